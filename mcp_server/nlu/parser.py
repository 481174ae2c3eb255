"""The CommandParser interface every backend implements, and what a parse returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from mcp_server.nlu.actions import Action
from mcp_server.observability.health import ModelHealth

PartialOutput = Callable[[str], Awaitable[None]]
"""Called with the output generated so far, as the model streams it."""


@dataclass(frozen=True)
class ParseOutcome:
    action: Action
    parser: str
    model: str | None
    attempts: int
    raw_output: str


class CommandParser(Protocol):
    name: str

    def running(self) -> AbstractAsyncContextManager[None]:
        """Warm up and keep ready in the background while the server runs; entering returns at once."""
        ...

    async def parse(self, command: str, *, on_partial: PartialOutput | None = None) -> ParseOutcome:
        """One command to one validated action. Raises ModelUnavailable or InvalidModelOutput."""
        ...


class ModelParser(CommandParser, Protocol):
    """A parser backed by a model, whose readiness health reports."""

    health: ModelHealth
