"""An app on a test Ollama, and waiting for its model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from harness.ollama_server import FakeOllama
from mcp_server.app import App
from mcp_server.config import Settings
from mcp_server.observability.health import ComponentState


def settings_for(db_path: Path, ollama: FakeOllama, **overrides: Any) -> Settings:
    base = Settings(
        db=str(db_path),
        backend="ollama",
        ollama_host=ollama.host,
        model="task-api-prod",
        model_timeout_s=5,
        timezone="Europe/Paris",
    )
    return replace(base, **overrides)


async def wait_for_model(app: App, state: ComponentState = ComponentState.READY, *, within_s: float = 10) -> None:
    """Until the app's model is in `state` (woken by each change of it); fails saying where it stands."""
    models = app.health.model
    with anyio.move_on_after(within_s):
        await models.wait_for(state)
        return
    raise AssertionError(
        f"the model is {models.state.value} ({models.detail}), not {state.value}, after {within_s:g} s"
    )
