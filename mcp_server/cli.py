"""`task-api-mcp serve`: start the server on stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sqlite3
import sys

import anyio
import uvicorn

from mcp_server import __version__
from mcp_server.app import open_app
from mcp_server.config import ConfigError, Settings, add_model_arguments, add_serve_arguments, settings_from_args
from mcp_server.errors import StoreUnavailable
from mcp_server.http import build_http_app
from mcp_server.logs import configure_logging
from mcp_server.nlu.prompt import render_modelfile

logger = logging.getLogger("mcp_server")


async def serve(settings: Settings) -> None:
    async with open_app(settings) as app:
        logger.info(
            "server_start",
            extra={
                "version": __version__,
                "transport": settings.transport,
                "store": app.service.store.description,
                "host": settings.host if settings.transport == "http" else None,
                "port": settings.port if settings.transport == "http" else None,
                "stateless": settings.stateless if settings.transport == "http" else None,
            },
        )
        try:
            if settings.transport == "stdio":
                await app.server.run_stdio_async()
            else:
                asgi = build_http_app(
                    app.server,
                    app.health,
                    host=settings.host,
                    stateless=settings.stateless,
                    token=settings.token,
                    allowed_hosts=settings.allowed_hosts,
                    allowed_origins=settings.allowed_origins,
                )
                config = uvicorn.Config(
                    asgi,
                    host=settings.host,
                    port=settings.port,
                    log_config=None,
                    access_log=False,
                    lifespan="on",
                    timeout_graceful_shutdown=5,
                )
                await uvicorn.Server(config).serve()
        finally:
            logger.info("server_stop", extra={"transport": settings.transport})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="task-api-mcp", description="A persistent task list for MCP clients.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    add_serve_arguments(serve_parser)
    add_model_arguments(serve_parser)
    modelfile_parser = commands.add_parser("modelfile", help="print the Ollama Modelfile for the task model")
    modelfile_parser.add_argument(
        "--gguf", default="./models/task-api.gguf", help="the FROM line: a GGUF path or model"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "modelfile":
        sys.stdout.write(render_modelfile(args.gguf))
        return
    if args.command is None:
        args = parser.parse_args(["serve", *(argv if argv is not None else sys.argv[1:])])
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        parser.exit(2, f"task-api-mcp: error: {exc}\n")
    configure_logging(settings.log_level)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(serve, settings)
    except (StoreUnavailable, OSError, sqlite3.Error) as exc:
        # A store that cannot open is an operator's problem to fix, not a crash: say what and where.
        logger.error("server_failed", extra={"error": str(exc), "store": settings.db})
        sys.exit(1)
