"""The container image's recipe: lint-clean, and its port, environment and health check are the server's."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.support import ROOT, env_vars_read_by_serve, run, serve_args_parse, serve_as_deployed, tool


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


DOCKERFILE = instructions((ROOT / "Dockerfile").read_text())
RUNTIME = DOCKERFILE[max(i for i, (op, args) in enumerate(DOCKERFILE) if op == "FROM") :]


def runtime_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for op, args in RUNTIME:
        if op == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(args))
    return env


def exec_form(op: str) -> list[str]:
    (args,) = [a for o, a in RUNTIME if o == op]
    return json.loads(args)


def test_hadolint_passes() -> None:
    result = run(tool("hadolint"), "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_recipe(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\n")
    assert run(tool("hadolint"), str(bad)).returncode != 0


def test_final_stage_runs_as_non_root_without_build_tools() -> None:
    (user,) = [a for o, a in RUNTIME if o == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    assert not any("apt-get" in a or "build-essential" in a for o, a in RUNTIME if o == "RUN")
    assert next(a for o, a in DOCKERFILE if o == "FROM").endswith("AS build")


def test_exposed_port_is_the_port_the_server_listens_on() -> None:
    (exposed,) = [a for o, a in RUNTIME if o == "EXPOSE"]
    assert int(exposed) == int(runtime_env()["TASK_API_PORT"])


def test_environment_names_are_settings_the_server_reads() -> None:
    assert (
        set(runtime_env())
        - {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}
        <= env_vars_read_by_serve()
    )


def test_entrypoint_and_command_are_a_valid_invocation() -> None:
    entrypoint, command = exec_form("ENTRYPOINT"), exec_form("CMD")
    assert entrypoint == ["task-api-mcp"]
    serve_args_parse(command)


def test_dockerignore_lets_the_copied_files_through() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    copied = [a.split()[:-1] for o, a in DOCKERFILE if o == "COPY" and "--from" not in a]
    for sources in copied:
        for source in sources:
            assert f"!{source.rstrip('/')}" in ignore or f"!{source.rstrip('/')}/" in ignore, source


def test_healthcheck_command_passes_against_the_server_started_as_the_image_starts_it(
    tmp_path: Path,
) -> None:
    """The image's ENTRYPOINT and CMD with its ENV (on a loopback port and a temporary database),
    then the HEALTHCHECK command exactly as written."""
    health = next(a for o, a in RUNTIME if o == "HEALTHCHECK")
    check = json.loads(health.split("CMD", 1)[1])
    assert check[0] == "python"
    server, env = serve_as_deployed(exec_form("CMD"), runtime_env(), tmp_path, TASK_API_BACKEND="none")
    try:
        ok = subprocess.run([sys.executable, *check[1:]], env=env, capture_output=True, timeout=10, check=False)
        assert ok.returncode == 0, ok.stderr
    finally:
        server.stop()
    down = subprocess.run([sys.executable, *check[1:]], env=env, capture_output=True, timeout=10, check=False)
    assert down.returncode != 0


@pytest.mark.parametrize("extras", ["", "embedded"])
def test_build_stage_requirement_is_a_valid_pip_target(extras: str) -> None:
    """The shell expansion the build uses gives `.` or `.[embedded]`, an extra that pyproject defines."""
    expanded = run("sh", "-c", 'printf %s ".${EXTRAS:+[$EXTRAS]}"', env={"EXTRAS": extras}).stdout
    assert expanded == (f".[{extras}]" if extras else ".")
    if extras:
        assert f"\n{extras} = [" in (ROOT / "pyproject.toml").read_text()
