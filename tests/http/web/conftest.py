"""A real server process that asks for an API key, and the key it made."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import HttpServer, start_http_server


@pytest.fixture
def keyed_server(db_path: Path, tmp_path: Path) -> Iterator[tuple[HttpServer, str]]:
    made = subprocess.run(
        [sys.executable, "-m", "mcp_server", "keys", "--db", str(db_path), "create", "--name", "alice"],
        capture_output=True,
        text=True,
        check=True,
    )
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none")
    yield server, made.stdout.strip()
    server.stop()
