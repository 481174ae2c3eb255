"""What open task pages cost the MCP tools: the same CRUD life cycle (create, update, list, complete,
delete) from N clients with no page open, and with P pages open, in alternating rounds on one server.

A page here is what the task page keeps open while a person leaves it on screen: one
`GET /v1/events` stream it reads every event of (each write the load makes reaches every stream),
and its health panel's reads of /readyz and /metrics every five seconds. The pages run in a process
of their own (`--pages-only`), as browsers would, so their reading takes nothing from the load's
process. One `task-api-mcp serve --transport http --backend none` process on a fresh SQLite file;
each round runs the cycle without pages and with them, the order swapping each round, so the
machine's drift touches both alike.

    python -m benchmarks.page_overhead [--clients 10] [--calls 20] [--rounds 4] [--pages 10]

Prints each tool's P50 and P99 in both modes and the ratio with pages to without, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import ClientSession

from benchmarks.http_latency import _skip_output_validation
from benchmarks.suite import CRUD_TOOLS, Load, Scenario, crud
from harness.servers import start_http_server

MODES = ("no_pages", "pages")
HEALTH_EVERY_S = 5.0  # the page's health panel (mcp_server/http/web/static/health.js)


async def keep_pages_open(base_url: str, pages: int) -> None:
    """`pages` pages' worth of traffic until killed; prints `ready` once every stream is listening."""
    listening = anyio.Event()
    ready = 0
    heard = 0

    async def page(http: httpx.AsyncClient) -> None:
        nonlocal ready, heard
        async with http.stream("GET", "/v1/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event: ready"):
                    ready += 1
                    if ready == pages:
                        listening.set()
                elif line.startswith("event:"):
                    heard += 1

    async def health(http: httpx.AsyncClient) -> None:
        while True:
            await http.get("/readyz")
            await http.get("/metrics")
            await anyio.sleep(HEALTH_EVERY_S)

    async with httpx.AsyncClient(base_url=base_url, timeout=None) as http, anyio.create_task_group() as group:
        for _ in range(pages):
            group.start_soon(page, http)
            group.start_soon(health, http)
        await listening.wait()
        print("ready", flush=True)


def open_pages(base_url: str, pages: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.page_overhead", "--pages-only", base_url, "--pages", str(pages)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the pages did not open their event streams")
    return process


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="task-api-pages-"))
    server = start_http_server(
        folder / "tasks.db", folder / "server.log", "--log-level", "WARNING", "--backend", "none"
    )
    samples: dict[str, dict[str, Scenario]] = {mode: {t: Scenario(t) for t in CRUD_TOOLS} for mode in MODES}
    try:
        for round_number in range(args.rounds):
            for mode in MODES if round_number % 2 == 0 else MODES[::-1]:
                pages = open_pages(server.base_url, args.pages) if mode == "pages" else None
                try:
                    ops = await crud(Load(args.clients, args.calls, None), server.mcp_url)
                finally:
                    if pages is not None:
                        pages.kill()
                        pages.wait()
                for tool, scenario in ops.items():
                    samples[mode][tool].samples.extend(scenario.samples)
                    samples[mode][tool].errors += scenario.errors
    finally:
        server.stop()
    figures: dict[str, Any] = {}
    for tool in CRUD_TOOLS:
        row: dict[str, Any] = {}
        for mode in MODES:
            measured = samples[mode][tool].figures()
            row[mode] = {key: measured[key] for key in ("n", "errors", "p50_ms", "p99_ms")}
        for stat in ("p50_ms", "p99_ms"):
            row[f"{stat.removesuffix('_ms')}_ratio"] = round(row["pages"][stat] / row["no_pages"][stat], 3)
        figures[tool] = row
    return {"clients": args.clients, "calls": args.calls, "rounds": args.rounds, "pages": args.pages, "tools": figures}


def print_report(results: dict[str, Any]) -> None:
    print(f"{'tool':<15}{'no pages P50/P99 ms':>22}{'pages P50/P99 ms':>22}{'P50 ratio':>11}{'P99 ratio':>11}")
    for tool, row in results["tools"].items():
        cells = "".join(f"{row[m]['p50_ms']:>12} / {row[m]['p99_ms']:<7}" for m in MODES)
        print(f"{tool:<15}{cells}{row['p50_ratio']:>11}{row['p99_ratio']:>11}")
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20, help="cycles per client per round and mode")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pages", type=int, default=10, help="open task pages (event streams)")
    parser.add_argument("--pages-only", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages_only:
        anyio.run(keep_pages_open, args.pages_only, args.pages)
        return
    ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    print_report(anyio.run(measure, args))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
