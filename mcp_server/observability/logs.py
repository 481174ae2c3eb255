"""Structured logs: one JSON object per line on stderr (stdout belongs to the stdio protocol)."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str = "INFO") -> None:
    """Route every logger, ours and the libraries', through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger", "message": "event"},
            timestamp="ts",
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that install their own handlers would print plain text; send them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "mcp"):
        lib = logging.getLogger(name)
        lib.handlers[:] = []
        lib.propagate = True
    # Per-request chatter from the HTTP layers; our own tool_call lines carry what matters.
    for name in ("uvicorn.access", "mcp.server.streamable_http", "mcp.server.streamable_http_manager"):
        logging.getLogger(name).setLevel(logging.WARNING)


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level.upper())
