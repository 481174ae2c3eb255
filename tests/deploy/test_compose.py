"""compose.yaml: valid for Compose and its specification, and it configures the server the server reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import ROOT, env_vars_read_by_serve, run, serve_args_parse, tool

PROFILES = ["cpu", "gpu", "postgres", "monitoring"]
ENV = {"TASK_API_TOKEN": "compose-check-token"}


def resolved(*profiles: str) -> dict[str, Any]:
    """The file as Compose itself resolves it (anchors, interpolation, profiles)."""
    flags = [arg for p in profiles for arg in ("--profile", p)]
    result = compose("-f", "compose.yaml", *flags, "config", "--format", "json")
    assert result.returncode == 0 and not result.stderr, result.stderr
    return json.loads(result.stdout)


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    """The Compose CLI (its Python wrapper exits 0 even on errors, so callers also check stderr)."""
    return run(tool("docker-compose"), *args, env=ENV)


@pytest.mark.parametrize("profiles", [[], ["cpu"], ["gpu"], PROFILES])
def test_compose_accepts_the_file(profiles: list[str]) -> None:
    services = resolved(*profiles)["services"]
    assert "server" in services
    if "cpu" in profiles or "gpu" in profiles:
        assert "model-init" in services


def test_file_is_valid_against_the_compose_specification() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  server:\n    image: x\n    depends_on: {nothing: {condition: service_healthy}}\n")
    result = compose("-f", str(broken), "config", "-q")
    assert "undefined service" in result.stderr


def test_server_environment_and_command_are_what_the_server_reads() -> None:
    server = resolved(*PROFILES)["services"]["server"]
    assert set(server["environment"]) <= env_vars_read_by_serve()
    serve_args_parse(server["command"])
    secret_file = server["command"][server["command"].index("--token-file") + 1]
    assert secret_file == f"/run/secrets/{server['secrets'][0]['source']}"


def test_server_port_and_health_check_match_the_image() -> None:
    server = resolved()["services"]["server"]
    (published,) = server["ports"]
    assert published["target"] == 8000 and published["host_ip"] == "127.0.0.1"
    assert "http://127.0.0.1:8000/healthz" in " ".join(server["healthcheck"]["test"])


def test_model_init_creates_the_model_the_server_asks_for() -> None:
    services = resolved("cpu")["services"]
    assert services["model-init"]["entrypoint"][:3] == [
        "ollama",
        "create",
        services["server"]["environment"]["TASK_API_MODEL"],
    ]
    assert services["server"]["environment"]["OLLAMA_HOST"] == services["model-init"]["environment"]["OLLAMA_HOST"]
    gpu = resolved("gpu")["services"]["ollama-gpu"]
    assert "ollama" in gpu["networks"]["default"]["aliases"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_prometheus_scrapes_the_server_with_the_token() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["server:8000"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["credentials_file"] == "/run/secrets/task_api_token"


def test_postgres_profile_matches_the_url_the_readme_gives() -> None:
    url = "postgresql://tasks:tasks@postgres:5432/tasks"
    result = run(
        tool("docker-compose"),
        "-f",
        "compose.yaml",
        "--profile",
        "postgres",
        "config",
        "--format",
        "json",
        env={**ENV, "TASK_API_DB": url},
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services["server"]["environment"]["TASK_API_DB"] == url
    database = services["postgres"]["environment"]
    assert (database["POSTGRES_USER"], database["POSTGRES_PASSWORD"], database["POSTGRES_DB"]) == ("tasks",) * 3
    assert services["server"]["depends_on"]["postgres"]["condition"] == "service_healthy"
