"""The benchmark suite: every scenario, N concurrent MCP clients over streamable HTTP, one table.

    python -m benchmarks [--clients 10] [--calls 30] [--duration SECONDS] [--skip SCENARIO ...]

Scenarios, each against real server processes started for the run:
- baseline: a bare MCP server with one no-op tool, same SDK, transport and uvicorn settings.
- crud: each client creates a task, renames it, lists a filtered page, completes it, deletes it.
- list@10k, list@100k: list_tasks with filters (status+tag, priority, due range, text search, a
  list's open tasks, a parent's subtasks) on SQLite stores holding 10,000 and 100,000 tasks, seeded
  like a real user's (lists, subtasks two levels deep, a trash, recurring tasks; benchmarks/seed.py).
  The two stores take turns in alternating rounds, so that both see the same load from the rest of
  the machine.
- batch vs single creates: each client alternately sends one batch_tasks of 50 creates and 5 single
  create_task calls back to back, on a fresh SQLite store, all clients changing over together; a
  batch is timed per call, the singles per group of 5, and their ratio is reported.
- command via ollama: process_command on the default settings with the Ollama test server answering
  every request in parallel after a fixed latency (--model-latency, 250 ms), as Ollama with
  OLLAMA_NUM_PARALLEL, vLLM or llama-server with slots do; and, in the same run, the same chat sent
  straight to that server with the official ollama client by the same number of concurrent callers:
  the model's own latency.
- command via rules: process_command answered by the deterministic fast path.
- command via embedded: process_command answered by the in-process model (the test GGUF), when
  the embedded extra and the test model are installed.
- tools/list: the size of the tool list an agent loads into its context, in bytes and in tokens
  (o200k_base, counted offline with bpe-openai).

Prints P50/P95/P99, throughput and errors per scenario with ratios to the baseline and the batch
vs single creates ratio, checks the targets, and ends with one JSON line of everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import ollama
from mcp import Client, ClientSession

from benchmarks.http_latency import _skip_output_validation, percentile
from benchmarks.seed import parent_with_subtasks, seed_sqlite
from harness.clients import http_client_with_headers
from harness.ollama_server import spawn_fake_ollama
from harness.servers import HttpServer, free_port, spawn_http_server, start_http_server
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.prompt import OPTIONS, messages_for

NOOP_SERVER = Path(__file__).with_name("noop_server.py")
OLLAMA_ANSWER = '{"action":"create_task","params":{"title":"Review PR #42","due":"Friday","priority":"high"}}'
OLLAMA_COMMAND = "Create a task: review PR #42 by Friday, high priority"
LIST_FILTERS: list[dict[str, Any]] = [
    {"status": "open", "tag": "work"},
    {"priority": "urgent"},
    {"due_after": "2026-06-01", "due_before": "2026-06-30"},
    {"search": "invoice"},
    {"list": "work", "status": "open"},
]


def list_filters(parent_id: int) -> list[dict[str, Any]]:
    """LIST_FILTERS and the direct subtasks of `parent_id`, a task with subtasks in both seeded stores."""
    return [*LIST_FILTERS, {"parent_id": parent_id}]


# The most o200k tokens tools/list may cost (about 2% of a 200k context): the tool surface's budget,
# the same figure as TOOLS_LIST_BUDGET in tests/mcp/test_tools_contract.py (benchmarks import no
# tests). The one place the suite sets it; --tools-budget overrides it.
TOOLS_LIST_BUDGET = 4_500
# list@10k and list@100k run in this many alternating rounds.
LIST_ROUNDS = 3
BATCH_SIZE = 50
SINGLES = 5
BATCH = f"batch of {BATCH_SIZE} creates"
SINGLE_GROUP = f"{SINGLES} single creates"
CRUD_TOOLS = ("create_task", "update_task", "list_tasks", "complete_task", "delete_task")
RULES_COMMANDS = ["Create a task: buy milk", "list my open tasks", "list my high priority tasks"]
EMBEDDED_COMMAND = "Create a task: call the dentist"

Step = Callable[[Client, int], Awaitable[None]]


@dataclass
class Scenario:
    name: str
    samples: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def figures(self) -> dict[str, Any]:
        ok = self.samples
        return {
            "n": len(ok),
            "errors": self.errors,
            "p50_ms": round(percentile(ok, 50), 2) if ok else None,
            "p95_ms": round(percentile(ok, 95), 2) if ok else None,
            "p99_ms": round(percentile(ok, 99), 2) if ok else None,
            "throughput_per_s": round(len(ok) / self.seconds, 1) if self.seconds else None,
        }


class Load:
    """Runs `step` from N concurrent clients (one MCP session each) for a number of calls or seconds."""

    def __init__(self, clients: int, calls: int, duration: float | None, headers: dict[str, str] | None = None) -> None:
        self.clients, self.calls, self.duration = clients, calls, duration
        self.headers = headers  # sent with every request (credentials)

    def rounds(self, count: int) -> list[Load]:
        """This load cut into `count` rounds (fewer when there are fewer calls), that add up to it."""
        if self.duration:
            return [Load(self.clients, self.calls, self.duration / count, self.headers) for _ in range(count)]
        count = max(1, min(count, self.calls))
        return [
            Load(self.clients, self.calls // count + (r < self.calls % count), None, self.headers) for r in range(count)
        ]

    async def run(self, url: str | None, scenario: Scenario, step: Step, *, calls: int | None = None) -> Scenario:
        """Each client holds one MCP session to `url` (none when url is None: the step calls
        something else) and calls `step` back to back; every successful call is timed."""
        per_client = calls if calls is not None else self.calls
        deadline = time.monotonic() + self.duration if self.duration else None

        async def calls_from(client: Any, n: int) -> None:
            i = 0
            while (i < per_client) if deadline is None else (time.monotonic() < deadline):
                started = time.perf_counter()
                try:
                    await step(client, n * 1_000_000 + i)
                    scenario.samples.append((time.perf_counter() - started) * 1000)
                except Exception:
                    scenario.errors += 1
                i += 1

        async def worker(n: int) -> None:
            if url is None:
                await calls_from(None, n)
                return
            connect = http_client_with_headers(url, self.headers) if self.headers else Client(url)
            async with connect as client:
                await calls_from(client, n)

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for n in range(self.clients):
                group.start_soon(worker, n)
        scenario.seconds += time.perf_counter() - started
        return scenario


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool}: {result.content[0].text if result.content else result}")
    return result.structured_content or {}


# -- scenarios ---------------------------------------------------------------------------------


async def crud(load: Load, url: str) -> dict[str, Scenario]:
    """One life cycle per iteration; every call is timed under its own tool's name."""
    ops = {
        name: Scenario(name) for name in ("create_task", "update_task", "list_tasks", "complete_task", "delete_task")
    }

    async def timed(name: str, client: Client, arguments: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            result = await call(client, name, arguments)
        except Exception:
            ops[name].errors += 1
            raise
        ops[name].samples.append((time.perf_counter() - started) * 1000)
        return result

    async def cycle(client: Client, i: int) -> None:
        task = await timed("create_task", client, {"title": f"task {i}", "priority": "high", "tags": ["bench"]})
        await timed("update_task", client, {"task_id": task["id"], "title": f"task {i} renamed"})
        await timed("list_tasks", client, {"tag": "bench", "status": "open", "limit": 20})
        await timed("complete_task", client, {"task_id": task["id"]})
        await timed("delete_task", client, {"task_id": task["id"]})

    whole = await load.run(url, Scenario("crud cycle"), cycle)
    for scenario in ops.values():
        scenario.seconds = whole.seconds
    return ops


async def list_filtered(
    load: Load, url: str, scenario: Scenario, filters: list[dict[str, Any]], *, first: int = 0
) -> Scenario:
    """list_tasks cycling through `filters`, each client from the `first`-th one on."""

    async def step(client: Client, i: int) -> None:
        await call(client, "list_tasks", {**filters[(first + i) % len(filters)], "limit": 20})

    return await load.run(url, scenario, step)


async def batch_vs_single(load: Load, url: str) -> tuple[Scenario, Scenario]:
    """Round after round, every client sends one batch_tasks of BATCH_SIZE creates (timed per call),
    then every client sends SINGLES create_task calls back to back (timed per group), the same tasks
    either way. The clients change over together: when each alternated at its own pace, a group of
    singles waited behind whichever batches other clients were sending at the time, and the ratio
    swung with how the clients happened to fall in step (0.63 and 1.67 in two runs)."""
    batch, singles = Scenario(BATCH), Scenario(SINGLE_GROUP)

    def new_task(i: int, k: int) -> dict[str, Any]:
        return {"title": f"task {i}.{k}", "priority": "high", "tags": ["bench"], "list": "work"}

    async def send_batch(client: Client, i: int) -> None:
        operations = [{"op": "create", **new_task(i, k)} for k in range(BATCH_SIZE)]
        result = await call(client, "batch_tasks", {"operations": operations})
        if not result.get("applied") or not all(item["ok"] for item in result["results"]):
            raise RuntimeError(f"batch_tasks failed: {result}")

    async def send_singles(client: Client, i: int) -> None:
        for k in range(SINGLES):
            await call(client, "create_task", new_task(i, k))

    async def everyone(clients: list[Client], scenario: Scenario, step: Step, i: int) -> None:
        async def timed(n: int, client: Client) -> None:
            started = time.perf_counter()
            try:
                await step(client, n * 1_000_000 + i)
                scenario.samples.append((time.perf_counter() - started) * 1000)
            except Exception:
                scenario.errors += 1

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for n, client in enumerate(clients):
                group.start_soon(timed, n, client)
        scenario.seconds += time.perf_counter() - started

    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(url)) for _ in range(load.clients)]
        deadline = time.monotonic() + load.duration if load.duration else None
        i = 0
        while (i < load.calls) if deadline is None else (time.monotonic() < deadline):
            await everyone(clients, batch, send_batch, i)
            await everyone(clients, singles, send_singles, i)
            i += 1
    return batch, singles


async def command_via_ollama(load: Load, url: str, ollama_url: str) -> tuple[Scenario, Scenario]:
    """process_command and, as its baseline, the model's own answer at the same concurrency."""
    schema = action_json_schema()
    model = ollama.AsyncClient(host=ollama_url)

    async def direct(_: Any, i: int) -> None:
        stream = await model.chat(
            model="task-api-prod", messages=messages_for(OLLAMA_COMMAND), stream=True, format=schema, options=OPTIONS
        )
        text = "".join([chunk.message.content async for chunk in stream])
        if text != OLLAMA_ANSWER:
            raise RuntimeError(f"unexpected model answer {text!r}")

    async def tool(client: Client, i: int) -> None:
        await call(client, "process_command", {"command": OLLAMA_COMMAND})

    model_only = await load.run(None, Scenario("model alone (ollama)"), direct)
    through_tool = await load.run(url, Scenario("command via ollama"), tool)
    return model_only, through_tool


async def command_via(load: Load, url: str, name: str, commands: list[str], calls: int | None = None) -> Scenario:
    async def step(client: Client, i: int) -> None:
        await call(client, "process_command", {"command": commands[i % len(commands)]})

    return await load.run(url, Scenario(name), step, calls=calls)


async def tools_list_size(url: str) -> dict[str, Any]:
    """What `tools/list` costs an agent's context: the JSON of the tools as the client receives it."""
    async with Client(url) as client:
        tools = (await client.list_tools()).tools
    text = json.dumps(
        [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":")
    )
    figures: dict[str, Any] = {"tools": len(tools), "bytes": len(text.encode())}
    try:
        import bpe_openai

        figures["tokens_o200k"] = len(bpe_openai.get_encoding("o200k_base").encode(text))
    except ImportError:
        figures["tokens_o200k"] = None
    return figures


# -- orchestration -----------------------------------------------------------------------------


def embedded_available() -> bool:
    try:
        import llama_cpp  # noqa: F401

        from mcp_server.nlu.llamacpp import installed_test_model
    except ImportError:
        return False
    return installed_test_model() is not None


async def wait_ready(server: HttpServer, seconds: float = 120) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=server.base_url) as http:
        with anyio.fail_after(seconds):
            while (await http.get("/readyz")).status_code != 200:  # noqa: ASYNC110 - polling a process
                await anyio.sleep(0.2)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    load = Load(args.clients, args.calls, args.duration)
    folder = Path(tempfile.mkdtemp(prefix="task-api-bench-"))
    quiet = ("--log-level", "WARNING")
    servers: list[HttpServer] = []
    results: dict[str, Any] = {}
    scenarios: list[Scenario] = []
    keep = False

    def started(server: HttpServer) -> HttpServer:
        servers.append(server)
        return server

    try:
        noop_port = free_port()
        noop = started(
            spawn_http_server([sys.executable, str(NOOP_SERVER), str(noop_port)], noop_port, folder / "noop.log")
        )
        tasks = started(start_http_server(folder / "crud.db", folder / "crud.log", *quiet, "--backend", "none"))
        results["tools_list"] = await tools_list_size(tasks.mcp_url)

        async def noop_step(client: Client, _: int) -> None:
            await call(client, "noop", {})

        await load.run(noop.mcp_url, Scenario("warm-up"), noop_step, calls=3)
        baseline = await load.run(noop.mcp_url, Scenario("baseline (no-op tool)"), noop_step)
        scenarios.append(baseline)

        if "crud" not in args.skip:
            scenarios.extend((await crud(load, tasks.mcp_url)).values())
        if "list" not in args.skip:
            # The same parent in both stores: the smaller one is the first tasks of the larger.
            filters = list_filters(parent_with_subtasks(min(args.small_store, args.large_store)))
            results["list_filters"] = filters
            stores: list[tuple[str, Scenario]] = []
            for size, label in ((args.small_store, "list@10k"), (args.large_store, "list@100k")):
                path = folder / f"seeded-{size}.db"
                await seed_sqlite(path, size)
                server = started(start_http_server(path, folder / f"list-{size}.log", *quiet, "--backend", "none"))
                await list_filtered(Load(args.clients, 2, None), server.mcp_url, Scenario("warm-up"), filters)
                stores.append((server.mcp_url, Scenario(label)))
            # The stores take turns, so that both see alike whatever else the machine is running.
            first = 0
            for round_load in load.rounds(LIST_ROUNDS):
                for url, scenario in stores:
                    await list_filtered(round_load, url, scenario, filters, first=first)
                first += round_load.calls
            scenarios.extend(scenario for _, scenario in stores)
        if "batch" not in args.skip:
            server = started(start_http_server(folder / "batch.db", folder / "batch.log", *quiet, "--backend", "none"))
            await batch_vs_single(Load(args.clients, 1, None), server.mcp_url)  # warm-up
            scenarios.extend(await batch_vs_single(load, server.mcp_url))
        if "ollama" not in args.skip:
            fake = started(spawn_fake_ollama(folder / "ollama.log", latency_s=args.model_latency, answer=OLLAMA_ANSWER))
            server = started(
                start_http_server(
                    folder / "ollama.db",
                    folder / "command-ollama.log",
                    *quiet,
                    "--backend",
                    "ollama",
                    "--ollama-host",
                    fake.base_url,
                    # The default settings: the concurrency limit starts at 16 and adapts to the engine.
                )
            )
            await wait_ready(server)
            model_only, through_tool = await command_via_ollama(load, server.mcp_url, fake.base_url)
            scenarios.extend([model_only, through_tool])
        if "rules" not in args.skip:
            server = started(
                start_http_server(folder / "rules.db", folder / "command-rules.log", *quiet, "--backend", "rules")
            )
            scenarios.append(await command_via(load, server.mcp_url, "command via rules", RULES_COMMANDS))
        if "embedded" not in args.skip and embedded_available():
            server = started(
                start_http_server(
                    folder / "embedded.db", folder / "command-embedded.log", *quiet, "--backend", "llamacpp"
                )
            )
            await wait_ready(server, 300)
            embedded_load = Load(args.clients, args.embedded_calls, None)
            scenarios.append(
                await command_via(embedded_load, server.mcp_url, "command via embedded", [EMBEDDED_COMMAND])
            )
    except BaseException:
        keep = True
        print(f"the servers' logs are kept in {folder}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        if not keep:  # the seeded stores and the WAL files of the write scenarios: hundreds of MB
            shutil.rmtree(folder, ignore_errors=True)

    base = baseline.figures()
    table = {}
    for scenario in scenarios:
        figures = scenario.figures()
        if figures["n"] and base["p50_ms"]:
            figures["p50_vs_baseline"] = round(figures["p50_ms"] / base["p50_ms"], 2)
            figures["p99_vs_baseline"] = round(figures["p99_ms"] / base["p99_ms"], 2)
        table[scenario.name] = figures
    results["scenarios"] = table
    batch, singles = table.get(BATCH), table.get(SINGLE_GROUP)
    if batch and singles and batch["n"] and singles["n"]:
        results["batch_vs_single"] = {
            "p50_ratio": round(batch["p50_ms"] / singles["p50_ms"], 2),
            "p99_ratio": round(batch["p99_ms"] / singles["p99_ms"], 2),
        }
    results["targets"] = targets(table, results["tools_list"], args.tools_budget, results.get("batch_vs_single"))
    results["settings"] = {
        "clients": args.clients,
        "calls_per_client": None if args.duration else args.calls,
        "duration_s": args.duration,
        "model_latency_s": args.model_latency,
        "stores": [args.small_store, args.large_store],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    return results


def targets(
    table: dict[str, dict[str, Any]], tools: dict[str, Any], tools_budget: int, ratio: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """The performance targets, each with the figure measured and whether it is met."""
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float | None, limit: float) -> None:
        if value is not None:
            checks.append({"target": name, "value": value, "limit": limit, "met": value <= limit})

    for tool in CRUD_TOOLS:
        if tool in table and table[tool]["n"]:
            check(f"{tool} P50 / baseline P50", table[tool]["p50_vs_baseline"], 1.5)
            check(f"{tool} P99 / baseline P99", table[tool]["p99_vs_baseline"], 1.5)
    model, command = table.get("model alone (ollama)"), table.get("command via ollama")
    if model and command and model["n"] and command["n"]:
        check("process_command P50 / model P50", round(command["p50_ms"] / model["p50_ms"], 3), 1.05)
        check("process_command P99 / model P99", round(command["p99_ms"] / model["p99_ms"], 3), 1.05)
    small, large = table.get("list@10k"), table.get("list@100k")
    if small and large and small["n"] and large["n"]:
        check("list P99 on 100k / on 10k", round(large["p99_ms"] / small["p99_ms"], 2), 2.0)
    if ratio is not None:
        check(f"{BATCH} / {SINGLE_GROUP} (P50)", ratio["p50_ratio"], 1.0)
    if tools.get("tokens_o200k") is not None:
        check("tools/list tokens (o200k)", tools["tokens_o200k"], tools_budget)
    return checks


def print_report(results: dict[str, Any]) -> None:
    settings = results["settings"]
    print(
        f"{settings['clients']} concurrent MCP clients over streamable HTTP; {settings['machine']}; "
        f"model latency {settings['model_latency_s'] * 1000:.0f} ms"
    )
    header = (
        f"{'scenario':<24}{'n':>6}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'per s':>8}{'p50/b':>7}{'p99/b':>7}"
    )
    print(header)
    for name, f in results["scenarios"].items():
        print(
            f"{name:<24}{f['n']:>6}{f['errors']:>5}{f['p50_ms'] or '-':>9}{f['p95_ms'] or '-':>9}"
            f"{f['p99_ms'] or '-':>9}{f['throughput_per_s'] or '-':>8}"
            f"{f.get('p50_vs_baseline', '-'):>7}{f.get('p99_vs_baseline', '-'):>7}"
        )
    tools = results["tools_list"]
    print(f"tools/list: {tools['tools']} tools, {tools['bytes']} bytes, {tools['tokens_o200k']} tokens (o200k_base)")
    if "batch_vs_single" in results:
        ratio = results["batch_vs_single"]
        print(f"{BATCH} / {SINGLE_GROUP}: P50 {ratio['p50_ratio']}, P99 {ratio['p99_ratio']}")
    for check in results["targets"]:
        verdict = "met" if check["met"] else "NOT met"
        print(f"target {check['target']}: {check['value']} (limit {check['limit']}) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--calls", type=int, default=30, help="calls per client per scenario")
    parser.add_argument("--duration", type=float, help="seconds per scenario instead of a call count")
    parser.add_argument("--model-latency", type=float, default=0.25, help="the Ollama test server's latency, seconds")
    parser.add_argument("--embedded-calls", type=int, default=2, help="calls per client for the in-process model")
    parser.add_argument("--small-store", type=int, default=10_000)
    parser.add_argument("--large-store", type=int, default=100_000)
    parser.add_argument(
        "--tools-budget",
        type=int,
        default=TOOLS_LIST_BUDGET,
        help=f"most o200k tokens tools/list may cost (default {TOOLS_LIST_BUDGET}: the tool surface's budget)",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["crud", "list", "batch", "ollama", "rules", "embedded"],
        help="scenarios to leave out",
    )
    args = parser.parse_args()
    ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    results = anyio.run(measure, args)
    print_report(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
