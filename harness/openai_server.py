"""A test server that speaks the OpenAI chat-completions API as vLLM and llama-server do:
`GET /v1/models`, `POST /v1/chat/completions` (SSE streaming and whole answers, `response_format`
recorded), OpenAI-style error bodies. Answers are scripted as for the Ollama test server; with
`script.disconnect_after = n` a streamed answer is cut after n content chunks: the connection closes
without the final chunk, the `[DONE]` line or the end of the chunked body, as when a server dies mid-answer."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from harness.ollama_server import Script
from harness.servers import free_port
from harness.threaded_server import ThreadedServer


def _error(message: str, kind: str, status: int) -> Response:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": None}}, status_code=status)


class FakeOpenAI:
    def __init__(self) -> None:
        self.script = Script(models={"task-api-prod"})
        self.port = free_port()
        app = Starlette(
            routes=[
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/v1/chat/completions", self.completions, methods=["POST"]),
            ]
        )
        self._server = ThreadedServer(app, self.port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    async def models(self, _: Request) -> Response:
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in sorted(self.script.models)
                ],
            }
        )

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        self.script.requests.append(body)
        if body.get("model") not in self.script.models:
            return _error(f"The model `{body.get('model')}` does not exist.", "NotFoundError", 404)
        if self.script.busy:
            return _error("Too many requests", "RateLimitError", 429)
        user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
        content = self.script._pick(user)
        await asyncio.sleep(self.script.latency_s)
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )
        return StreamingResponse(self._stream(ident, created, body["model"], content), media_type="text/event-stream")

    async def _stream(self, ident: str, created: int, model: str, content: str) -> AsyncIterator[bytes]:
        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            chunk = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        yield event({"role": "assistant", "content": ""})
        for sent, i in enumerate(range(0, len(content), 4)):
            if self.script.disconnect_after is not None and sent >= self.script.disconnect_after:
                raise ConnectionAbortedError("fault injected: connection dropped mid-stream")
            yield event({"content": content[i : i + 4]})
            await asyncio.sleep(self.script.token_delay_s)
        yield event({}, "stop")
        yield b"data: [DONE]\n\n"
