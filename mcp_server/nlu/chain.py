"""Several parsers as one: the rules first, then the first model backend that is ready."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from mcp_server.errors import ModelUnavailable
from mcp_server.health import ComponentState, ModelHealth
from mcp_server.nlu.parser import ModelParser, ParseOutcome, PartialOutput
from mcp_server.nlu.rules import NAME as RULES
from mcp_server.nlu.rules import parse_rules

HOW_TO_ENABLE = (
    "start Ollama with the task model (ollama create task-api-prod -f Modelfile), or give a GGUF with "
    "--gguf PATH and install the embedded extra (pip install '.[embedded]')"
)


class ChainParser:
    """`rules` (when enabled) answers the commands it is sure of; every other command goes to the
    first model backend, in the given order, whose model is ready."""

    def __init__(self, models: Sequence[ModelParser], *, rules: bool = True, name: str = "auto") -> None:
        self.models = list(models)
        self.rules = rules
        self.name = name

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for model in self.models:
                await stack.enter_async_context(model.running())
            yield

    async def parse(self, command: str, *, on_partial: PartialOutput | None = None) -> ParseOutcome:
        if self.rules and (action := parse_rules(command)) is not None:
            return ParseOutcome(action=action, parser=RULES, model=None, attempts=0, raw_output="")
        for model in self.models:
            if model.health.state == ComponentState.READY:
                return await model.parse(command, on_partial=on_partial)
        raise ModelUnavailable(self._why_none(command))

    def _why_none(self, command: str) -> str:
        if not self.models:
            return f"this server parses commands with rules only, and they do not cover {command!r}; {HOW_TO_ENABLE}"
        states: list[ModelHealth] = [model.health for model in self.models]
        if any(h.state == ComponentState.LOADING for h in states):
            return (
                f"the command model is loading ({'; '.join(h.detail for h in states)}); the task tools work "
                f"meanwhile; retry process_command in a few seconds"
            )
        return (
            f"no command model is available ({'; '.join(h.detail for h in states)}); the task tools work "
            f"meanwhile; to enable one, {HOW_TO_ENABLE}"
        )
