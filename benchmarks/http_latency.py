"""Latency of create_task and list_tasks over streamable HTTP with concurrent clients.

Starts a real `task-api-mcp serve --transport http` process on a fresh SQLite file, and, as the
baseline, a bare MCP server with one no-op tool on the same SDK, transport and uvicorn settings.
Each of N clients keeps one MCP session and calls tools back to back; every call is timed.

    python -m benchmarks.http_latency [--clients 10] [--calls 50]

Prints a table and one JSON line with the figures and the ratios against the baseline.

The Python client re-validates every structured result against the tool's output schema with
jsonschema, which costs more CPU than the server's own work for a page of 20 tasks and shares the
same cores here; that measures the client, so it is off unless --validate-output is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from mcp import Client, ClientSession

from harness.servers import free_port, spawn_http_server, start_http_server

NOOP_SERVER = Path(__file__).with_name("noop_server.py")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
    }


async def timed_calls(
    url: str, clients: int, calls: int, step: Callable[[Client, int], Awaitable[None]]
) -> list[float]:
    samples: list[float] = []

    async def worker(n: int) -> None:
        async with Client(url) as client:
            for i in range(calls):
                started = time.perf_counter()
                await step(client, n * calls + i)
                samples.append((time.perf_counter() - started) * 1000)

    async with anyio.create_task_group() as group:
        for n in range(clients):
            group.start_soon(worker, n)
    return samples


async def check(client: Client, tool: str, arguments: dict[str, object]) -> None:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.content}")


async def _skip_output_validation(self: ClientSession, name: str, result: object) -> None:
    return None


async def measure(clients: int, calls: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        task_server = start_http_server(
            logs / "bench.db", logs / "server.log", "--log-level", "WARNING", "--backend", "none"
        )
        noop_port = free_port()
        noop_server = spawn_http_server(
            [sys.executable, str(NOOP_SERVER), str(noop_port)], noop_port, logs / "noop.log"
        )
        try:
            task_url, noop_url = task_server.mcp_url, noop_server.mcp_url

            async def noop(client: Client, _: int) -> None:
                await check(client, "noop", {})

            async def create(client: Client, i: int) -> None:
                await check(client, "create_task", {"title": f"bench task {i}", "priority": "high", "tags": ["bench"]})

            async def list_page(client: Client, _: int) -> None:
                await check(client, "list_tasks", {"tag": "bench", "limit": 20})

            await timed_calls(noop_url, clients, 5, noop)  # warm-up of both servers
            await timed_calls(task_url, clients, 5, list_page)
            baseline = summary(await timed_calls(noop_url, clients, calls, noop))
            created = summary(await timed_calls(task_url, clients, calls, create))
            listed = summary(await timed_calls(task_url, clients, calls, list_page))
        finally:
            task_server.stop()
            noop_server.stop()
    ratios = {
        name: {q: round(figures[q] / baseline[q], 2) for q in ("p50_ms", "p99_ms")}
        for name, figures in (("create_task", created), ("list_tasks", listed))
    }
    return {
        "clients": clients,
        "calls_per_client": calls,
        "client_output_validation": ClientSession.validate_tool_result is not _skip_output_validation,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "baseline_noop": baseline,
        "create_task": created,
        "list_tasks": listed,
        "ratio_vs_baseline": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50, help="calls per client per scenario")
    parser.add_argument("--validate-output", action="store_true", help="let the client check results (jsonschema)")
    args = parser.parse_args()
    if not args.validate_output:
        ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    result = anyio.run(measure, args.clients, args.calls)
    print(f"{args.clients} concurrent clients x {args.calls} calls each, streamable HTTP ({result['machine']})")
    print(f"{'scenario':<16}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'p50/base':>10}{'p99/base':>10}")
    for name in ("baseline_noop", "create_task", "list_tasks"):
        figures = result[name]
        ratio = result["ratio_vs_baseline"].get(name, {"p50_ms": 1.0, "p99_ms": 1.0})
        print(
            f"{name:<16}{figures['p50_ms']:>10}{figures['p95_ms']:>10}{figures['p99_ms']:>10}"
            f"{ratio['p50_ms']:>10}{ratio['p99_ms']:>10}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
