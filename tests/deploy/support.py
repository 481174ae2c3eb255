"""What the deployment checks share: the repository's files, the checker binaries, and the settings
the server really reads (recorded by running its own argument parsing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.servers import HttpServer, free_port, spawn_http_server
from mcp_server.cli import build_parser
from mcp_server.config import settings_from_args

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"


def tool(name: str) -> str:
    """A checker installed with the test extra (next to this Python), else on PATH."""
    found = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail(f"{name} is missing: install the test extra (pip install -e '.[test]')")
    return found


def run(*args: str, env: Mapping[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120, check=False
    )


class RecordingEnviron(dict[str, str]):
    """os.environ stand-in that remembers every variable name looked up."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def env_vars_read_by_serve() -> set[str]:
    """The environment variables `task-api-mcp serve` consults, found by running its own parsing."""
    recording = RecordingEnviron({"TASK_API_TOKEN": "x" * 32})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", recording)
        settings_from_args(build_parser().parse_args(["serve", "--transport", "http"]))
    return recording.read


def serve_args_parse(args: list[str]) -> None:
    """Fails the test if the server's own parser rejects these arguments."""
    try:
        build_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"task-api-mcp rejects its arguments {args}")


def render_manifests(workdir: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize manifests/` on a copy whose secret files are filled in, as a user would."""
    copy = workdir / "manifests"
    shutil.copytree(MANIFESTS, copy, ignore=shutil.ignore_patterns("token", "database-url"))
    (copy / "secrets" / "token").write_text("0123456789abcdef0123456789abcdef")
    (copy / "secrets" / "database-url").write_text("postgresql://tasks:secret@postgres:5432/tasks")
    rendered = run(tool("kubectl"), "kustomize", str(copy))
    assert rendered.returncode == 0, rendered.stderr
    (workdir / "rendered.yaml").write_text(rendered.stdout)
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pod_spec.get("initContainers", [])
    yield from pod_spec["containers"]


def serve_as_deployed(
    serve_args: list[str], deployed_env: Mapping[str, str], workdir: Path, **overrides: str
) -> tuple[HttpServer, dict[str, str]]:
    """`task-api-mcp <serve_args>` with a deployment's environment, made local for a test: loopback,
    a free port, a SQLite file in `workdir`, a token (and any other overrides). Returns the running
    server and the environment it got."""
    port = free_port()
    env = {
        **deployed_env,
        "TASK_API_HOST": "127.0.0.1",
        "TASK_API_PORT": str(port),
        "TASK_API_DB": str(workdir / "tasks.db"),
        "TASK_API_TOKEN": "t" * 32,
        **overrides,
    }
    args = [sys.executable, "-m", "mcp_server", *serve_args]
    return spawn_http_server(args, port, workdir / "server.log", env), env
