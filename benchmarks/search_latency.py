"""Text search on seeded SQLite stores of two sizes: one page of list_tasks(search=...), in-process.

    python -m benchmarks.search_latency [--small 10000] [--large 100000] [--calls 30]

The stores are the suite's seeded ones (benchmarks/seed.py), the small one the first tasks of the
large one. Each term is searched on both stores in alternating rounds; the figure for a term is its
P50 on the large store over its P50 on the small one, in the same run (the index's promise: a
search at 100k tasks costs at most 2x its cost at 10k). Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from benchmarks.seed import seed_sqlite
from mcp_server.core.domain import TaskQuery
from mcp_server.core.service import TaskService
from mcp_server.store.sqlite import SQLiteTaskStore

# A term in a tenth of the titles, a rare phrase, one too short for trigrams (a scan), and none.
TERMS = ("invoice", "dentist 99", "in", "no such words")


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="task-api-search-"))
    services: dict[int, TaskService] = {}
    for size in (args.small, args.large):
        await seed_sqlite(folder / f"{size}.db", size)
        store = SQLiteTaskStore(folder / f"{size}.db")
        await store.open()
        services[size] = TaskService(store)
    samples: dict[tuple[int, str], list[float]] = {(size, term): [] for size in services for term in TERMS}
    try:
        for _ in range(args.calls):
            for size, service in services.items():
                for term in TERMS:
                    started = time.perf_counter()
                    await service.list_tasks(TaskQuery(search=term), limit=20)
                    samples[size, term].append((time.perf_counter() - started) * 1000)
    finally:
        for service in services.values():
            await service.store.close()
    table = {}
    for term in TERMS:
        small = statistics.median(samples[args.small, term])
        large = statistics.median(samples[args.large, term])
        table[term] = {
            "small_p50_ms": round(small, 3),
            "large_p50_ms": round(large, 3),
            "ratio": round(large / small, 2),
        }
    return {"stores": [args.small, args.large], "calls": args.calls, "terms": table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    results = anyio.run(measure, args)
    print(f"{'search':<16}{'p50 ms @' + str(args.small):>16}{'p50 ms @' + str(args.large):>17}{'ratio':>8}")
    for term, figures in results["terms"].items():
        print(f"{term:<16}{figures['small_p50_ms']:>16}{figures['large_p50_ms']:>17}{figures['ratio']:>8}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
