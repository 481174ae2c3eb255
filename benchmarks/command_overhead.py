"""Overhead of process_command over the model call it wraps.

A test server speaking Ollama's API answers every chat after a fixed latency (default 200 ms). The
same run measures, one call at a time:
- direct: the official `ollama` AsyncClient streaming one chat with the same messages, schema and
  options the server sends;
- process_command: the tool called through an MCP client over streamable HTTP, against a real
  `task-api-mcp serve --transport http` process using that same test server (parse, validate,
  resolve dates, create the task, answer).

    python -m benchmarks.command_overhead [--calls 50] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import anyio
import ollama
from mcp import Client, ClientSession

from benchmarks.http_latency import _skip_output_validation, percentile
from harness.ollama_server import spawn_fake_ollama
from harness.servers import start_http_server
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.prompt import OPTIONS, messages_for

ANSWER = '{"action":"create_task","params":{"title":"Review PR #42","due":"Friday","priority":"high"}}'
COMMAND = "Create a task: review PR #42 by Friday, high priority"


def figures(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


async def direct_calls(host: str, calls: int) -> list[float]:
    client = ollama.AsyncClient(host=host)
    schema = action_json_schema()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        stream = await client.chat(
            model="task-api-prod", messages=messages_for(COMMAND), stream=True, format=schema, options=OPTIONS
        )
        text = "".join([chunk.message.content async for chunk in stream])
        samples.append((time.perf_counter() - started) * 1000)
        assert text == ANSWER
    return samples


async def tool_calls(url: str, calls: int) -> list[float]:
    samples = []
    async with Client(url) as client:
        for _ in range(calls):
            started = time.perf_counter()
            result = await client.call_tool("process_command", {"command": COMMAND})
            samples.append((time.perf_counter() - started) * 1000)
            if result.is_error:
                raise RuntimeError(result.content[0].text)
    return samples


async def measure(calls: int, latency: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        fake = spawn_fake_ollama(logs / "ollama.log", latency_s=latency, answer=ANSWER)
        server = start_http_server(
            logs / "bench.db", logs / "server.log", "--ollama-host", fake.base_url, "--log-level", "WARNING"
        )
        try:
            with anyio.fail_after(30):
                while "ready" not in await _ready(server.base_url):  # noqa: ASYNC110
                    await anyio.sleep(0.1)
            await direct_calls(fake.base_url, 3)  # warm both paths
            await tool_calls(server.mcp_url, 3)
            direct = figures(await direct_calls(fake.base_url, calls))
            tool = figures(await tool_calls(server.mcp_url, calls))
        finally:
            server.stop()
            fake.stop()
    return {
        "model_latency_s": latency,
        "calls": calls,
        "direct_ollama": direct,
        "process_command": tool,
        "ratio": {q: round(tool[q] / direct[q], 3) for q in ("p50_ms", "p99_ms", "mean_ms")},
        "overhead_ms": {q: round(tool[q] - direct[q], 2) for q in ("p50_ms", "p99_ms", "mean_ms")},
    }


async def _ready(base_url: str) -> str:
    import httpx

    async with httpx.AsyncClient() as http:
        return (await http.get(f"{base_url}/readyz")).json().get("status", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.2, help="the model's fixed latency in seconds")
    args = parser.parse_args()
    ClientSession.validate_tool_result = _skip_output_validation  # type: ignore[method-assign]
    result = anyio.run(measure, args.calls, args.latency)
    print(f"process_command vs a direct ollama call, model latency {args.latency * 1000:.0f} ms, {args.calls} calls")
    print(f"{'path':<18}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name in ("direct_ollama", "process_command"):
        f = result[name]
        print(f"{name:<18}{f['p50_ms']:>10}{f['p99_ms']:>10}{f['mean_ms']:>10}")
    r = result["ratio"]
    print(f"{'ratio':<18}{r['p50_ms']:>10}{r['p99_ms']:>10}{r['mean_ms']:>10}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
