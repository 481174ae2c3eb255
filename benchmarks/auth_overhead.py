"""What authentication adds to CRUD calls: the same MCP life cycle (create, update, list, complete,
delete) with no credentials, with the shared token, with an API key and with an OAuth access token
(a JWT), in alternating rounds.

Two `task-api-mcp serve --transport http --backend none` processes on fresh SQLite files: one with no
credentials asked for (no token, no key), one with a token, an API key in its store, and
--oauth-issuer naming a real authorization server (oidc-provider, harness/oidc/) that issued the
token. Each round runs the cycle from N clients once per mode, in turn, each round starting with the
next mode, so the machine's drift and a server's warm-up touch every mode alike.

    python -m benchmarks.auth_overhead [--clients 10] [--calls 20] [--rounds 3]

Prints a table of each tool's P50 and P99 per mode and the ratios against no credentials, and one
JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession

from benchmarks.http_latency import _skip_output_validation, percentile
from benchmarks.suite import CRUD_TOOLS, Load, Scenario, crud
from harness.authorization_server import AuthorizationServer, public_client, token_by_hand
from harness.servers import HttpServer, free_port, spawn_http_server, start_http_server
from mcp_server.core.keys import ApiKeys
from mcp_server.store import SQLiteTaskStore

MODES = ("none", "token", "key", "jwt")
CREDENTIALS = MODES[1:]


async def make_key(db: Path) -> str:
    store = SQLiteTaskStore(db)
    await store.open()
    try:
        key, _ = await ApiKeys(store).create("bench")
        return key
    finally:
        await store.close()


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="task-api-auth-"))
    token = secrets.token_hex(32)
    key = await make_key(folder / "authed.db")
    quiet = ("--log-level", "WARNING", "--backend", "none")
    servers: list[HttpServer] = []
    port = free_port()
    issuer = AuthorizationServer(
        resource=f"http://127.0.0.1:{port}/mcp", workdir=folder / "issuer", clients=[public_client("bench")]
    ).start()
    try:
        access_token = (await token_by_hand(issuer, "bench", "bench", "tasks:read tasks:write")).access_token
        servers.append(start_http_server(folder / "open.db", folder / "open.log", *quiet))
        command = [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--port", str(port)]
        command += ["--db", str(folder / "authed.db"), *quiet, "--oauth-issuer", issuer.issuer]
        servers.append(spawn_http_server(command, port, folder / "authed.log", env={"TASK_API_TOKEN": token}))
        open_server, authed = servers
        plans = {
            "none": (open_server.mcp_url, None),
            "token": (authed.mcp_url, {"Authorization": f"Bearer {token}"}),
            "key": (authed.mcp_url, {"Authorization": f"Bearer {key}"}),
            "jwt": (authed.mcp_url, {"Authorization": f"Bearer {access_token}"}),
        }
        samples: dict[str, dict[str, Scenario]] = {mode: {t: Scenario(t) for t in CRUD_TOOLS} for mode in MODES}
        for round_number in range(args.rounds):
            # Each round starts with the next mode, so no mode always runs first (on a server just idle).
            for mode in MODES[round_number % len(MODES) :] + MODES[: round_number % len(MODES)]:
                url, headers = plans[mode]
                ops = await crud(Load(args.clients, args.calls, None, headers), url)
                for tool, scenario in ops.items():
                    samples[mode][tool].samples.extend(scenario.samples)
                    samples[mode][tool].errors += scenario.errors
    finally:
        for server in servers:
            server.stop()
        issuer.stop()
    figures: dict[str, Any] = {}
    for tool in CRUD_TOOLS:
        row: dict[str, Any] = {}
        for mode in MODES:
            scenario = samples[mode][tool]
            row[mode] = {
                "n": len(scenario.samples),
                "errors": scenario.errors,
                "p50_ms": round(percentile(scenario.samples, 50), 2) if scenario.samples else None,
                "p99_ms": round(percentile(scenario.samples, 99), 2) if scenario.samples else None,
            }
        base = row["none"]["p50_ms"]
        for mode in CREDENTIALS:
            row[f"{mode}_p50_ratio"] = round(row[mode]["p50_ms"] / base, 3) if base and row[mode]["p50_ms"] else None
        figures[tool] = row
    return {"clients": args.clients, "calls": args.calls, "rounds": args.rounds, "tools": figures}


def print_report(results: dict[str, Any]) -> None:
    print(
        f"{'tool':<15}"
        + "".join(f"{mode + ' P50/P99 ms':>22}" for mode in MODES)
        + "".join(f"{mode + '/none':>11}" for mode in CREDENTIALS)
    )
    for tool, row in results["tools"].items():
        cells = "".join(f"{row[m]['p50_ms']:>12} / {row[m]['p99_ms']:<7}" for m in MODES)
        ratios = "".join(f"{row[f'{mode}_p50_ratio']:>11}" for mode in CREDENTIALS)
        print(f"{tool:<15}{cells}{ratios}")
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20, help="cycles per client per round and mode")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    print_report(anyio.run(measure, args))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
