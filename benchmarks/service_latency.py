"""Latency of the shared HTTP service with bearer-token auth on versus off, in one run.

Starts the Ollama test server (fixed model latency) in its own process, and two `task-api-mcp serve
--transport http` processes on it: one with a token, one without. Against each, N concurrent clients
(default 10) send `POST /v1/task` commands (REST, through the model) and MCP `create_task` calls
(streamable HTTP). Prints P50/P99 per path and the auth-on/auth-off ratios.

    python -m benchmarks.service_latency [--clients 10] [--calls 20] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import ClientSession

from benchmarks.http_latency import _skip_output_validation, percentile
from harness.clients import http_client_with_headers
from harness.ollama_server import spawn_fake_ollama
from harness.servers import HttpServer, start_http_server

TOKEN = "benchmark-token-0123456789"
ROUNDS = 2
ANSWER = '{"action":"create_task","params":{"title":"Review PR #42","priority":"high"}}'


def figures(samples: list[float]) -> dict[str, float]:
    return {"n": len(samples), "p50_ms": round(percentile(samples, 50), 2), "p99_ms": round(percentile(samples, 99), 2)}


async def rest_commands(server: HttpServer, headers: dict[str, str], clients: int, calls: int) -> list[float]:
    samples: list[float] = []

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as http:
            for _ in range(calls):
                started = time.perf_counter()
                response = await http.post("/v1/task", json={"command": "Create a task: review PR #42, high priority"})
                samples.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or not response.json()["success"]:
                    raise RuntimeError(response.text)

    async with anyio.create_task_group() as group:
        for _ in range(clients):
            group.start_soon(worker)
    return samples


async def mcp_creates(server: HttpServer, headers: dict[str, str], clients: int, calls: int) -> list[float]:
    samples: list[float] = []

    async def worker(n: int) -> None:
        async with http_client_with_headers(server.mcp_url, headers) as client:
            for i in range(calls):
                started = time.perf_counter()
                result = await client.call_tool("create_task", {"title": f"bench {n}-{i}"})
                samples.append((time.perf_counter() - started) * 1000)
                if result.is_error:
                    raise RuntimeError(result.content)

    async with anyio.create_task_group() as group:
        for n in range(clients):
            group.start_soon(worker, n)
    return samples


async def wait_ready(server: HttpServer, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        with anyio.fail_after(30):
            while (await http.get("/readyz")).status_code != 200:  # noqa: ASYNC110
                await anyio.sleep(0.1)


async def measure(clients: int, calls: int, latency: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        fake = spawn_fake_ollama(logs / "ollama.log", latency_s=latency, answer=ANSWER)
        # A high model concurrency, so that the queue does not dominate what auth might add.
        common = ("--ollama-host", fake.base_url, "--log-level", "WARNING", "--model-concurrency", str(clients))
        open_server = start_http_server(logs / "open.db", logs / "open.log", *common)
        auth_server = start_http_server(logs / "auth.db", logs / "auth.log", *common, env={"TASK_API_TOKEN": TOKEN})
        auth = {"Authorization": f"Bearer {TOKEN}"}
        result: dict[str, Any] = {"clients": clients, "calls_per_client": calls, "model_latency_s": latency}
        try:
            await wait_ready(open_server, {})
            await wait_ready(auth_server, auth)
            modes = (("auth_off", open_server, {}), ("auth_on", auth_server, auth))
            samples: dict[str, dict[str, list[float]]] = {
                m: {"rest_task": [], "mcp_create_task": []} for m, *_ in modes
            }
            for _, server, headers in modes:
                await rest_commands(server, headers, clients, 2)  # warm-up
            # Alternate the two servers in rounds, so drift on a noisy machine hits both alike.
            for _ in range(ROUNDS):
                for name, server, headers in modes:
                    samples[name]["rest_task"] += await rest_commands(server, headers, clients, calls // ROUNDS)
                    samples[name]["mcp_create_task"] += await mcp_creates(server, headers, clients, calls // ROUNDS)
            for name, paths in samples.items():
                result[name] = {path: figures(values) for path, values in paths.items()}
        finally:
            for process in (open_server, auth_server, fake):
                process.stop()
    result["ratio_on_off"] = {
        path: {q: round(result["auth_on"][path][q] / result["auth_off"][path][q], 3) for q in ("p50_ms", "p99_ms")}
        for path in ("rest_task", "mcp_create_task")
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1, help="the model's fixed latency in seconds")
    args = parser.parse_args()
    ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    result = anyio.run(measure, args.clients, args.calls, args.latency)
    print(f"{args.clients} clients x {args.calls} calls, model latency {args.latency * 1000:.0f} ms")
    print(f"{'path':<18}{'auth':<6}{'p50 ms':>10}{'p99 ms':>10}")
    for path in ("rest_task", "mcp_create_task"):
        for mode in ("auth_off", "auth_on"):
            f = result[mode][path]
            print(f"{path:<18}{mode[5:]:<6}{f['p50_ms']:>10}{f['p99_ms']:>10}")
        r = result["ratio_on_off"][path]
        print(f"{path:<18}{'ratio':<6}{r['p50_ms']:>10}{r['p99_ms']:>10}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
