"""Readiness of each component, and the counters health reports.

The store must answer for the server to be ready. The model is a component of its own so
that later parsers can report "loading" without making the plain task tools unavailable.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mcp_server import __version__
from mcp_server.store.base import TaskStore


class ComponentState(StrEnum):
    DISABLED = "disabled"
    LOADING = "loading"
    READY = "ready"
    UNAVAILABLE = "unavailable"


@dataclass
class CallCounters:
    """Tool calls and errors since start, by tool name."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, tool: str, *, error: bool) -> None:
        self.calls[tool] += 1
        if error:
            self.errors[tool] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": sum(self.calls.values()),
            "errors": sum(self.errors.values()),
            "by_tool": {name: {"calls": n, "errors": self.errors[name]} for name, n in sorted(self.calls.items())},
        }


class Health:
    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.started = time.monotonic()
        self.counters = CallCounters()
        self.model_state = ComponentState.DISABLED
        self.model_detail = "natural-language commands are not configured"

    async def store_status(self) -> dict[str, Any]:
        try:
            await self.store.ping()
        except Exception as exc:  # any failure to answer means "down", with the reason
            return {"status": "down", "backend": self.store.description, "error": str(exc)}
        return {"status": "up", "backend": self.store.description}

    async def report(self) -> dict[str, Any]:
        """The health document: overall status, components, version, uptime, call counts."""
        store = await self.store_status()
        ready = store["status"] == "up"
        if not ready:
            overall = "down"
        elif self.model_state in (ComponentState.LOADING, ComponentState.UNAVAILABLE):
            overall = "degraded"
        else:
            overall = "ok"
        return {
            "status": overall,
            "ready": ready,
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "components": {
                "store": store,
                "model": {"status": self.model_state.value, "detail": self.model_detail},
            },
            "tool_calls": self.counters.snapshot(),
        }
