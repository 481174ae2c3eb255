"""What starting costs: `--version` and a stdio server load only what they use. MCP clients spawn a
stdio server per session and wait for it; the HTTP stack, the database driver and unused model
clients would be most of the start's time (`python -m benchmarks.startup` times it)."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path

from harness.mcp_messages import INITIALIZE

ANSWER_WITHIN_S = 60
NEVER_FOR_VERSION = {"mcp", "pydantic", "anyio", "fastapi", "uvicorn", "psycopg", "openai", "ollama", "dateparser"}
NEVER_FOR_STDIO = {"fastapi", "fastapi_offline", "psycopg", "psycopg_pool", "openai"}  # uvicorn: the SDK loads it


def imported(importtime_log: str) -> set[str]:
    """Top-level packages named in `python -X importtime` output."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            if module and module != "package":
                names.add(module.split(".")[0])
    return names


def test_version_imports_no_framework() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mcp_server", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("task-api-mcp ")
    loaded = imported(done.stderr)
    assert "mcp_server" in loaded
    assert not loaded & NEVER_FOR_VERSION, loaded & NEVER_FOR_VERSION


def test_a_stdio_server_loads_neither_the_http_stack_nor_unused_drivers(db_path: Path, tmp_path: Path) -> None:
    log_path = tmp_path / "importtime.log"
    with log_path.open("w") as log:  # a file, not a pipe: nobody reads stderr while the server runs
        server = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "mcp_server", "serve", "--db", str(db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(json.dumps(INITIALIZE) + "\n")
    server.stdin.flush()
    ready, _, _ = select.select([server.stdout], [], [], ANSWER_WITHIN_S)
    if not ready:
        server.kill()
        raise AssertionError(f"no answer to initialize within {ANSWER_WITHIN_S} s")
    answer = json.loads(server.stdout.readline())
    server.stdin.close()
    server.wait(timeout=60)
    server.stdout.close()
    assert answer["id"] == 1 and "result" in answer
    loaded = imported(log_path.read_text())
    assert "mcp" in loaded
    assert not loaded & NEVER_FOR_STDIO, loaded & NEVER_FOR_STDIO
