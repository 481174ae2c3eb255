"""A real PostgreSQL server for tests: initdb and pg_ctl on a temporary directory and a free loopback port.

As root (these machines, CI) the server runs as the `postgres` user, since initdb refuses root.
"""

from __future__ import annotations

import contextlib
import getpass
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from harness.servers import free_port


def pg_binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install PostgreSQL's server binaries (apt-get install postgresql)")
    return found


class PostgresServer:
    """One postgres process with its own data directory; databases are created per test."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="task-api-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user = "postgres" if os.geteuid() == 0 else getpass.getuser()
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
        self.root.chmod(0o700)

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", self.as_user, "--", *args] if os.geteuid() == 0 else list(args)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def init(self) -> PostgresServer:
        self._run(pg_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> PostgresServer:
        options = f"-p {self.port} -k {self.root} -h 127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"tasks_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text() if path.exists() else ""
