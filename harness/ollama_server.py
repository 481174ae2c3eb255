"""A test server that speaks Ollama's HTTP API, with scripted answers and fault injection.

It serves the endpoints the server and the official `ollama` client use, with Ollama's own
shapes, status codes and error bodies: `/api/chat` (NDJSON streaming and single JSON, `format`
recorded, an empty `messages` list loading the model), `/api/tags`, `/api/show`, `/api/ps`,
`/api/version`. Faults: a fixed latency, a slow token stream, a model still loading, a busy 503,
a capacity (answers worked out at once, and a queue beyond which it answers 503, as Ollama's
OLLAMA_NUM_PARALLEL and OLLAMA_MAX_QUEUE),
a missing model (404), an answer cut off mid-stream, and, by stopping it, connection refused.
What the "model" says is scripted: by words found in the user's command, else a default.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from harness.servers import HttpServer, free_port, spawn_http_server
from harness.threaded_server import ThreadedServer

BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded"
VERSION = "0.12.6"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def _base(name: str) -> str:
    return name.removesuffix(":latest")


@dataclass
class Script:
    """What the fake model answers and how it misbehaves; tests change it while the server runs."""

    models: set[str] = field(default_factory=lambda: {"task-api-prod"})
    answers: dict[str, list[str]] = field(default_factory=dict)
    default_answer: str = '{"action":"error","message":"That is not a task command."}'
    latency_s: float = 0.0  # before the first token of every answer
    token_delay_s: float = 0.0  # between streamed pieces
    load_s: float = 0.0  # how long loading the model takes, once
    busy: bool = False  # answer 503 like Ollama's queue limit
    parallel: int | None = None  # answers generated at once, as OLLAMA_NUM_PARALLEL (None: no limit)
    max_queue: int | None = None  # requests waiting beyond `parallel` before a 503, as OLLAMA_MAX_QUEUE
    peak_parallel: int = 0  # the most answers it generated at once
    disconnect_after: int | None = None  # drop the connection after this many streamed pieces
    loaded: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, words: str, *outputs: str) -> None:
        """When the command (the first user message) contains `words` (the longest scripted words that match win),
        answer the outputs in turn; the last one repeats."""
        self.answers[words.lower()] = list(outputs)

    def _pick(self, message: str) -> str:
        lowered = message.lower()
        for words, outputs in sorted(self.answers.items(), key=lambda item: -len(item[0])):
            if words in lowered:
                return outputs.pop(0) if len(outputs) > 1 else outputs[0]
        return self.default_answer


def _details() -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "134.52M",
        "quantization_level": "Q4_1",
    }


class FakeOllama:
    def __init__(self, port: int | None = None) -> None:
        self.script = Script()
        self.port = port or free_port()
        self._load_lock = asyncio.Lock()
        self._generating = 0
        self._queued = 0
        self._slot_freed: asyncio.Condition | None = None  # made on the server's own loop
        app = Starlette(
            routes=[
                Route("/api/chat", self.chat, methods=["POST"]),
                Route("/api/tags", self.tags, methods=["GET"]),
                Route("/api/show", self.show, methods=["POST"]),
                Route("/api/ps", self.ps, methods=["GET"]),
                Route("/api/version", self.version, methods=["GET"]),
                Route("/", lambda _: Response("Ollama is running"), methods=["GET"]),
            ]
        )
        self._server = ThreadedServer(app, self.port)

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeOllama:
        self._server.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.stop()

    # -- endpoints -----------------------------------------------------------------------------

    def _missing(self, name: str) -> Response:
        return JSONResponse({"error": f"model '{name}' not found"}, status_code=404)

    async def _load(self) -> None:
        async with self._load_lock:
            if not self.script.loaded:
                await asyncio.sleep(self.script.load_s)
                self.script.loaded = True

    async def chat(self, request: Request) -> Response:
        body = await request.json()
        self.script.requests.append(body)
        name = _base(str(body.get("model", "")))
        if not name:
            return JSONResponse({"error": "model is required"}, status_code=400)
        if name not in self.script.models:
            return self._missing(name)
        if self.script.busy:
            return JSONResponse({"error": BUSY_MESSAGE}, status_code=503)
        await self._load()
        messages = body.get("messages") or []
        if not messages:  # Ollama's way to load a model without generating
            return JSONResponse(
                {
                    "model": name,
                    "created_at": _now(),
                    "message": {"role": "assistant", "content": ""},
                    "done_reason": "load",
                    "done": True,
                }
            )
        # The capacity is held while the "model" works out its answer (the latency); the answer then
        # streams on its own, so a response nobody reads holds no place.
        if not await self._take_slot():
            return JSONResponse({"error": BUSY_MESSAGE}, status_code=503)
        try:
            # The command is the first user message; later ones are the server's retry instructions.
            user = next((m.get("content", "") for m in messages if m.get("role") == "user"), "")
            content = self.script._pick(user)
            await asyncio.sleep(self.script.latency_s)
        finally:
            await self._free_slot()
        final = {
            "model": name,
            "created_at": _now(),
            "done": True,
            "done_reason": "stop",
            "total_duration": int(self.script.latency_s * 1e9),
            "load_duration": 0,
            "prompt_eval_count": sum(len(m.get("content", "")) // 4 for m in messages),
            "prompt_eval_duration": 1,
            "eval_count": max(1, len(content) // 4),
            "eval_duration": 1,
        }
        if body.get("stream") is False:
            return JSONResponse({**final, "message": {"role": "assistant", "content": content}})
        return StreamingResponse(self._stream(name, content, final), media_type="application/x-ndjson")

    async def _take_slot(self) -> bool:
        """A place among the answers being generated, after waiting in the queue; False: the queue is full."""
        if self._slot_freed is None:
            self._slot_freed = asyncio.Condition()
        async with self._slot_freed:
            parallel, room = self.script.parallel, self.script.max_queue
            if parallel is not None and self._generating >= parallel:
                if room is not None and self._queued >= room:
                    return False
                self._queued += 1
                try:
                    await self._slot_freed.wait_for(lambda: self._generating < (self.script.parallel or 1 << 30))
                finally:
                    self._queued -= 1
            self._generating += 1
            self.script.peak_parallel = max(self.script.peak_parallel, self._generating)
            return True

    async def _free_slot(self) -> None:
        assert self._slot_freed is not None
        async with self._slot_freed:
            self._generating -= 1
            self._slot_freed.notify()

    async def _stream(self, name: str, content: str, final: dict[str, Any]) -> AsyncIterator[bytes]:
        pieces = [content[i : i + 4] for i in range(0, len(content), 4)]
        for sent, piece in enumerate(pieces):
            if self.script.disconnect_after is not None and sent >= self.script.disconnect_after:
                raise ConnectionAbortedError("fault injected: connection dropped mid-stream")
            chunk = {
                "model": name,
                "created_at": _now(),
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            yield (json.dumps(chunk) + "\n").encode()
            await asyncio.sleep(self.script.token_delay_s)
        yield (json.dumps({**final, "message": {"role": "assistant", "content": ""}}) + "\n").encode()

    async def tags(self, _: Request) -> Response:
        return JSONResponse(
            {
                "models": [
                    {
                        "name": f"{m}:latest",
                        "model": f"{m}:latest",
                        "modified_at": _now(),
                        "size": 98_000_000,
                        "digest": "0" * 64,
                        "details": _details(),
                    }
                    for m in sorted(self.script.models)
                ]
            }
        )

    async def show(self, request: Request) -> Response:
        name = _base(str((await request.json()).get("model", "")))
        if name not in self.script.models:
            return self._missing(name)
        return JSONResponse(
            {
                "modelfile": f"FROM {name}",
                "parameters": "temperature 0.1",
                "template": "",
                "details": _details(),
                "model_info": {"general.architecture": "llama"},
                "capabilities": ["completion"],
                "modified_at": _now(),
            }
        )

    async def ps(self, _: Request) -> Response:
        loaded = sorted(self.script.models) if self.script.loaded else []
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).isoformat()
        return JSONResponse(
            {
                "models": [
                    {
                        "name": f"{m}:latest",
                        "model": f"{m}:latest",
                        "size": 98_000_000,
                        "digest": "0" * 64,
                        "details": _details(),
                        "expires_at": expires,
                        "size_vram": 0,
                    }
                    for m in loaded
                ]
            }
        )

    async def version(self, _: Request) -> Response:
        return JSONResponse({"version": VERSION})


def spawn_fake_ollama(
    log_path: Path, *, latency_s: float, answer: str, parallel: int | None = None, max_queue: int | None = None
) -> HttpServer:
    """The fake in its own process (so that it does not share a CPU-bound event loop with what it
    measures), answering every command with `answer` after `latency_s`, `parallel` at a time."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "harness.ollama_server",
        "--port",
        str(port),
        "--latency",
        str(latency_s),
        "--answer",
        answer,
        *(["--parallel", str(parallel)] if parallel is not None else []),
        *(["--max-queue", str(max_queue)] if max_queue is not None else []),
    ]
    return spawn_http_server(args, port, log_path, health_path="/api/version")


def main() -> None:
    """Run the fake on its own, e.g. for benchmarks: python -m harness.ollama_server --port 11500 --latency 0.2"""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before the first token")
    parser.add_argument("--answer", default=None, help="what the model answers to every command")
    parser.add_argument("--parallel", type=int, default=None, help="answers at once (OLLAMA_NUM_PARALLEL)")
    parser.add_argument("--max-queue", type=int, default=None, help="waiting beyond that before 503s")
    args = parser.parse_args()
    fake = FakeOllama(args.port)
    fake.script.latency_s = args.latency
    fake.script.parallel, fake.script.max_queue = args.parallel, args.max_queue
    if args.answer:
        fake.script.default_answer = args.answer
    fake.serve_forever()


if __name__ == "__main__":
    main()
