"""How many CPU threads the embedded model takes: by default one core fewer than the process may
use (so that a second busy process or the event loop does not stall every token), or what
--model-threads / TASK_API_MODEL_THREADS say; prompts and batched steps use the same number."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcp_server.app import build_embedded
from mcp_server.cli import build_parser
from mcp_server.config import ConfigError, Settings, settings_from_args
from mcp_server.nlu.llamacpp import LlamaCppParser
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended


def _usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@pytest.fixture(scope="module")
def gguf() -> Path:
    return require_embedded()


def test_the_default_leaves_a_core_free(gguf: Path) -> None:
    embedded = build_embedded(Settings())
    assert embedded is not None
    assert embedded.threads == max(1, min(_usable_cpus() - 1, 8))


def test_model_threads_from_the_flag_and_the_environment(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flagged = settings_from_args(build_parser().parse_args(["serve", "--model-threads", "1"]))
    assert flagged.model_threads == 1 and build_embedded(flagged).threads == 1  # type: ignore[union-attr]
    monkeypatch.setenv("TASK_API_MODEL_THREADS", "3")
    monkeypatch.setenv("TASK_API_MODEL_LOAD_TIMEOUT", "45")
    from_env = settings_from_args(build_parser().parse_args(["serve"]))
    assert from_env.model_threads == 3 and from_env.model_load_timeout_s == 45
    with pytest.raises(ConfigError, match="model threads"):
        Settings(model_threads=0).validate()
    with pytest.raises(ConfigError, match="load timeout"):
        Settings(model_load_timeout_s=0).validate()


@pytest.mark.anyio
async def test_generation_and_the_prompt_use_the_chosen_threads(gguf: Path) -> None:
    """The batch's context decodes one token and a batch (prompts, several sequences) with the
    chosen number, as llama.cpp reports it."""
    parser = LlamaCppParser(gguf=gguf, threads=1)
    async with parser.running():
        await load_ended(parser.health)
        assert parser._engine is not None
        threads = parser._engine.threads
    assert threads == (1, 1)
