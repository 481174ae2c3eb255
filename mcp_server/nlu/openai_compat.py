"""The parser for any OpenAI-compatible server (vLLM, llama.cpp's llama-server, ...): the path to
take when one Ollama is not enough. The action schema goes as `response_format` (json_schema,
strict), answers stream, and the same validation, retry, bounds and warm-up apply as with Ollama.
Such servers batch many requests (vLLM up to 256 sequences by default): the limit starts at 16 and
adapts up to 256, or `--model-concurrency` (concurrency.py).

Errors are told apart with the `openai` SDK's own exception classes, which hold whatever HTTP library
the SDK is built on (httpx2 since openai 3): a connection error before the server answers means no
server is reachable; one after it has started streaming means the stream was cut, a failure of that
call only.
"""

from __future__ import annotations

from typing import Any, cast

import anyio
import openai
from openai.types.chat import ChatCompletionMessageParam

from mcp_server.core.errors import ModelUnavailable
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.concurrency import adaptive_slots
from mcp_server.nlu.generation import EngineBusy, RemoteModelParser
from mcp_server.nlu.parser import PartialOutput
from mcp_server.nlu.prompt import OPTIONS, STOP_TOKENS
from mcp_server.observability.health import ModelHealth

INITIAL_CONCURRENCY = 16
CEILING = 256  # vLLM's default max_num_seqs


class OpenAICompatParser(RemoteModelParser):
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        health: ModelHealth | None = None,
        timeout_s: float = 30.0,
        load_timeout_s: float = 60.0,
        max_concurrent: int | None = None,
        max_queued: int = 32,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        super().__init__(
            model=model,
            health=health,
            slots=adaptive_slots(INITIAL_CONCURRENCY, max_concurrent or CEILING, max_queued),
            load_timeout_s=load_timeout_s,
            max_backoff_s=max_backoff_s,
        )
        self.timeout_s = timeout_s
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=openai.Timeout(timeout_s, connect=5.0),
        )
        self._response_format: Any = {
            "type": "json_schema",
            "json_schema": {"name": "task_action", "schema": action_json_schema(), "strict": True},
        }

    @property
    def where(self) -> str:
        return f"on the OpenAI-compatible server at {self.base_url}"

    async def _load(self) -> None:
        served = [model.id async for model in self._client.models.list()]
        if self.model not in served:
            raise LookupError(f"serves {', '.join(served) or 'no model'}")

    async def _close(self) -> None:
        await self._client.close()

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, LookupError):
            return f"model {self.model} is not served {self.where} (it {exc}); set --model"
        if isinstance(exc, openai.APIConnectionError):
            return f"no OpenAI-compatible server reachable at {self.base_url}"
        if isinstance(exc, openai.APIStatusError):
            return f"the server at {self.base_url} answered {exc.status_code}: {exc.message}"
        return f"the server at {self.base_url} failed: {type(exc).__name__}: {exc}"

    async def _generate(self, messages: list[dict[str, Any]], on_partial: PartialOutput | None) -> str:
        self.health.count("calls")
        answering = False  # set once the server has answered 200 and the stream has begun
        try:
            with anyio.fail_after(self.timeout_s):
                stream = await self._client.chat.completions.create(
                    model=self.model,
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    response_format=self._response_format,
                    temperature=float(OPTIONS["temperature"]),
                    top_p=float(OPTIONS["top_p"]),
                    max_tokens=int(OPTIONS["num_predict"]),
                    stop=list(STOP_TOKENS),
                    stream=True,
                )
                answering = True
                pieces = (chunk.choices[0].delta.content if chunk.choices else None async for chunk in stream)
                return await self._gather(pieces, on_partial)
        except (TimeoutError, openai.APITimeoutError):
            raise self._timed_out(self.timeout_s) from None
        except openai.APIConnectionError as exc:
            self.health.count("errors")
            if answering:  # the server was reachable; the connection broke before the answer ended
                cause = type(exc.__cause__ or exc).__name__
                raise ModelUnavailable(
                    f"the connection to the OpenAI-compatible server at {self.base_url} broke mid-answer "
                    f"({cause}); retry"
                ) from exc
            self._mark_unavailable(self._reason(exc))
            raise ModelUnavailable(f"{self._reason(exc)}; retry once it is back") from exc
        except openai.APIStatusError as exc:
            self.health.count("errors")
            if exc.status_code in (429, 503):
                self.health.count("engine_busy")
                raise EngineBusy(f"the model server is busy ({exc.status_code}); retry in a few seconds") from exc
            if exc.status_code == 404:
                self._mark_unavailable(self._reason(exc))
            raise ModelUnavailable(self._reason(exc)) from exc
