"""Loading the embedded model leaves stdout alone: on the stdio transport, stdout carries the
protocol, and a message written while the model loads must reach the client."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mcp_server.nlu.llamacpp import LlamaCppParser
from mcp_server.observability.health import ComponentState
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended

pytestmark = pytest.mark.anyio


def _write_until(done: threading.Event, written: list[int]) -> None:
    """What the stdio transport does meanwhile: write lines to file descriptor 1."""
    while not done.is_set():
        os.write(1, f"protocol line {len(written)}\n".encode())
        written.append(len(written))
        done.wait(0.001)


async def test_nothing_written_to_stdout_while_the_model_loads_is_lost(capfd: pytest.CaptureFixture[str]) -> None:
    gguf: Path = require_embedded()
    parser = LlamaCppParser(gguf=gguf, threads=1)
    done, written = threading.Event(), []
    writer = threading.Thread(target=_write_until, args=(done, written))
    writer.start()
    try:
        async with parser.running():
            await load_ended(parser.health)
    finally:
        done.set()
        writer.join()
    assert parser.health.state == ComponentState.READY, parser.health.detail
    received = [line for line in capfd.readouterr().out.splitlines() if line.startswith("protocol line")]
    assert len(received) == len(written) > 100
