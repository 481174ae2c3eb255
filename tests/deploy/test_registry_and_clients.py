"""server.json against the registry's published schema, and the client configs used as clients use them."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from mcp import Client, StdioServerParameters

from harness.authorization_server import AuthorizationServer
from harness.clients import http_client_with_headers
from harness.servers import free_port, start_http_server
from mcp_server import __version__
from mcp_server.config import Settings
from tests.deploy.support import ROOT, env_vars_read_by_serve, run, serve_args_parse, tool
from tests.support.oauth import SigningIn, serve_on_port

pytestmark = pytest.mark.anyio

SCHEMA_FILE = ROOT / "deploy" / "schemas" / "server.schema.json"
CLIENTS = ROOT / "deploy" / "clients"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def registry_errors(document: dict[str, Any]) -> list[str]:
    schema = load(SCHEMA_FILE)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(document)]


def test_server_json_names_the_schema_it_is_checked_against() -> None:
    assert load(ROOT / "server.json")["$schema"] == load(SCHEMA_FILE)["$id"]


def test_server_json_is_valid_against_the_published_schema() -> None:
    assert registry_errors(load(ROOT / "server.json")) == []
    result = run(tool("check-jsonschema"), "--schemafile", str(SCHEMA_FILE), "server.json")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "breakage",
    [
        {"name": "no-slash"},
        {"description": "x" * 101},
        {"packages": [{"registryType": "pypi", "identifier": "task-api-mcp", "version": "latest"}]},
    ],
)
def test_the_schema_check_refuses_broken_entries(breakage: dict[str, Any]) -> None:
    assert registry_errors({**load(ROOT / "server.json"), **breakage})


def test_server_json_matches_the_package() -> None:
    entry = load(ROOT / "server.json")
    assert entry["version"] == __version__
    (package,) = entry["packages"]
    assert package["identifier"] == re.search(r'^name = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1]
    assert package["version"] == __version__
    serve_args_parse([a["value"] for a in package["packageArguments"]])
    assert {v["name"] for v in package["environmentVariables"]} <= env_vars_read_by_serve()


async def test_claude_desktop_config_starts_a_working_stdio_server(db_path: Path) -> None:
    """The config's command (the placeholder path replaced by this environment's script) over real stdio."""
    (server,) = load(CLIENTS / "claude_desktop_config.json")["mcpServers"].values()
    assert server["command"].endswith("/.venv/bin/task-api-mcp")
    command = shutil.which("task-api-mcp", path=str(Path(sys.executable).parent)) or shutil.which("task-api-mcp")
    assert command is not None, "task-api-mcp is not installed next to this Python"
    assert set(server["env"]) <= env_vars_read_by_serve()
    params = StdioServerParameters(
        command=command,
        args=server["args"],
        env={**os.environ, **server["env"], "TASK_API_DB": str(db_path), "OLLAMA_HOST": "http://127.0.0.1:9"},
    )
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"create_task", "list_tasks", "update_task", "delete_task", "complete_task"} <= names
        assert not (await client.call_tool("create_task", {"title": "from the desktop config"})).is_error


async def test_remote_http_config_connects_with_its_token(db_path: Path, tmp_path: Path) -> None:
    """The remote config's URL and headers, with ${TASK_API_TOKEN} expanded as clients do, against a
    server that requires that token; without the header the same URL is refused."""
    (remote,) = load(CLIENTS / "remote-http.mcp.json")["mcpServers"].values()
    token = "r" * 40
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none", env={"TASK_API_TOKEN": token})
    try:
        url = remote["url"].replace(":8000/", f":{server.port}/")
        headers = {k: v.replace("${TASK_API_TOKEN}", token) for k, v in remote["headers"].items()}
        async with http_client_with_headers(url, headers) as client:
            assert not (await client.call_tool("list_tasks", {})).is_error
        async with httpx.AsyncClient() as http:
            assert (await http.post(url, json={}, timeout=5)).status_code == 401
    finally:
        server.stop()


async def test_remote_oauth_config_signs_in_with_its_url_alone(db_path: Path, tmp_path: Path) -> None:
    """The OAuth config's URL, and nothing else, is enough for a client to find the issuer, sign a
    person in and call the tools."""
    (remote,) = load(CLIENTS / "remote-oauth.mcp.json")["mcpServers"].values()
    assert set(remote) == {"type", "url"}
    port = free_port()
    url = remote["url"].replace(":8000/", f":{port}/")
    issuer = AuthorizationServer(resource=url, workdir=tmp_path / "issuer").start()
    try:
        settings = Settings(db=str(db_path), transport="http", backend="none", port=port, oauth_issuer=issuer.issuer)
        async with serve_on_port(settings), SigningIn("erin").mcp(url) as client:
            assert not (await client.call_tool("create_task", {"title": "from the OAuth config"})).is_error
    finally:
        issuer.stop()
