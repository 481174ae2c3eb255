"""create_task and list_tasks latency on PostgreSQL versus SQLite, same run, same clients.

Starts a real PostgreSQL server (initdb and pg_ctl on a temporary directory), then two
`task-api-mcp serve --transport http` processes: one on a fresh SQLite file, one on a fresh
PostgreSQL database. N concurrent MCP clients call each over streamable HTTP, in alternating rounds
so that the machine's noise falls on both alike.

    python -m benchmarks.store_backends [--clients 10] [--calls 50] [--rounds 2]

Prints a table and one JSON line with the figures and the PostgreSQL/SQLite ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import anyio
from mcp import Client, ClientSession

from benchmarks.http_latency import _skip_output_validation, check, summary, timed_calls
from harness.postgres_server import PostgresServer
from harness.servers import start_http_server

STORES = ("sqlite", "postgres")
SCENARIOS = ("create_task", "list_tasks")


async def measure(clients: int, calls: int, rounds: int) -> dict[str, object]:
    postgres = PostgresServer().init().start()
    folder = tempfile.TemporaryDirectory()
    logs = Path(folder.name)
    servers = {}
    try:
        common = ("--log-level", "WARNING", "--backend", "none")
        servers["sqlite"] = start_http_server(logs / "bench.db", logs / "sqlite.log", *common)
        servers["postgres"] = start_http_server(postgres.create_database(), logs / "postgres.log", *common)

        async def create(client: Client, i: int) -> None:
            await check(client, "create_task", {"title": f"bench task {i}", "priority": "high", "tags": ["bench"]})

        async def list_page(client: Client, _: int) -> None:
            await check(client, "list_tasks", {"tag": "bench", "limit": 20})

        steps = {"create_task": create, "list_tasks": list_page}
        samples: dict[str, dict[str, list[float]]] = {s: {n: [] for n in SCENARIOS} for s in STORES}
        for store in STORES:  # warm-up
            await timed_calls(servers[store].mcp_url, clients, 3, list_page)
        for _ in range(rounds):
            for scenario in SCENARIOS:
                for store in STORES:
                    url = servers[store].mcp_url
                    samples[store][scenario] += await timed_calls(url, clients, calls, steps[scenario])
    finally:
        for server in servers.values():
            server.stop()
        postgres.destroy()
        folder.cleanup()
    figures = {store: {name: summary(samples[store][name]) for name in SCENARIOS} for store in STORES}
    ratios = {
        name: {q: round(figures["postgres"][name][q] / figures["sqlite"][name][q], 2) for q in ("p50_ms", "p99_ms")}
        for name in SCENARIOS
    }
    return {
        "clients": clients,
        "calls_per_client_per_round": calls,
        "rounds": rounds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        **figures,
        "ratio_postgres_vs_sqlite": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50, help="calls per client per scenario and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    result = anyio.run(measure, args.clients, args.calls, args.rounds)
    print(f"{args.clients} concurrent clients, streamable HTTP, PostgreSQL vs SQLite ({result['machine']})")
    print(f"{'store':<10}{'scenario':<14}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'p50 ratio':>11}{'p99 ratio':>11}")
    for store in STORES:
        for name in SCENARIOS:
            f = result[store][name]
            r = result["ratio_postgres_vs_sqlite"][name] if store == "postgres" else {"p50_ms": 1.0, "p99_ms": 1.0}
            print(
                f"{store:<10}{name:<14}{f['p50_ms']:>10}{f['p95_ms']:>10}{f['p99_ms']:>10}"
                f"{r['p50_ms']:>11}{r['p99_ms']:>11}"
            )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
