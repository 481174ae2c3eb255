"""Server processes on loopback for tests and benchmarks: started, waited for, stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HttpServer:
    """A server process on a loopback port that answers GET /healthz."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_http_server(
    args: list[str],
    port: int,
    log_path: Path,
    env: dict[str, str] | None = None,
    health_path: str = "/healthz",
    host: str = "127.0.0.1",
) -> HttpServer:
    """Start `args` (which must listen on `host`:`port`) and wait until `health_path` answers 200."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
    server = HttpServer(process, port, log_path, host)
    # Another process tells nobody when it listens: ask until it answers, under a deadline.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.logs()}")
        try:
            if httpx.get(f"{server.base_url}{health_path}", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer {health_path} within 30 s:\n{server.logs()}")


def start_http_server(db: Path | str, log_path: Path, *extra: str, env: dict[str, str] | None = None) -> HttpServer:
    """`task-api-mcp serve --transport http` on a free loopback port and the given SQLite file or database URL."""
    port = free_port()
    args = [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--port", str(port), "--db", str(db)]
    return spawn_http_server([*args, *extra], port, log_path, env)
