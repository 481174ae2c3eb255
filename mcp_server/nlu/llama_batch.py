"""Batched decoding for the embedded model: concurrent commands share each llama.cpp decode.

On a CPU, decoding one token for one sequence reads every weight for one row of work; decoding the
next token of ten sequences in one `llama_decode` reads them once for ten (one core here: 104 ms for
ten tokens together, 17.8 ms for one alone). So:

- One scheduler thread owns one llama.cpp context whose unified KV cache holds several sequences
  (`n_seq_max`). No other thread touches the context, so no lock is held for a generation.
- The system prompt is decoded once, into sequence 0. A new command's sequence starts as a copy of
  it (`llama_memory_seq_cp`: in a unified cache the cells are shared, not duplicated), so it pays
  only for its own tokens.
- Each step decodes, in one `llama_batch`, the next token of every active sequence and the prompt
  of every command that joins; a command submitted meanwhile joins at the next step. A sequence
  that ends (the end token, a stop string, its token limit), or whose caller gave up (a timeout, a
  cancellation), leaves before the next step and frees its cells.
- Every sequence has its own grammar and sampler chain, the ones the serial path used, seeded
  alike, so it gets the answer it would get alone (tests compare them, greedy and as served; see
  `SequenceSampler` for the one shortcut, which picks the same token).
- Each command reserves the cells it may need (its prompt beyond the shared prefix, plus its token
  limit) before it joins, so a decode never finds the cache full; one that does not fit yet waits.
- Callers never wait on the scheduler's lock or make it wait for them: `Generation.wait_for_more`
  blocks the caller's own thread until the text grows.

Needs llama-cpp-python 0.3.x with the `llama_memory_*` API (0.3.36 is tested); imported only when
the embedded backend loads.
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np
import numpy.typing as npt

from mcp_server.core.errors import ModelUnavailable

logger = logging.getLogger(__name__)

SEQUENCE_CELLS = 320  # the cache cells each sequence past the first gets: a prompt and an answer fit
BATCH_TOKENS = 2048  # the most tokens one step decodes (prompts that join plus one per sequence)
UBATCH_TOKENS = 512  # llama.cpp's micro-batch, as the serial path used
# llama-cpp-python's create_completion defaults, which the serial path sampled with.
TOP_K = 40
MIN_P = 0.05
SEED = 0  # every sequence starts from the same seed: the same prompt gets the same answer
WINDOW = 8.0  # the grammar is tried first on the tokens this close to the best logit (usually a few)
CANDIDATES = 64  # and else on this many of the highest-scoring ones
MARGIN = 1e-3  # float slack for the shortcut's tests: closer calls take the full path

_REQUIRED = (
    "llama_memory_seq_cp",
    "llama_memory_seq_rm",
    "llama_set_adapters_lora",
    "llama_sampler_clone",
    "llama_set_n_threads",
)
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])  # llama_token_data


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen: greedy at temperature 0, else top-k, top-p, min-p, then a
    seeded draw at the temperature (the order llama-cpp-python's chain applies them)."""

    temperature: float
    top_p: float
    top_k: int = TOP_K
    min_p: float = MIN_P
    seed: int = SEED

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


@dataclass(frozen=True)
class EngineConfig:
    gguf: Path
    adapter: Path | None
    threads: int  # for a step that decodes one sequence (its prompt or its next token)
    prefix: str  # the text every prompt starts with (the system turn): decoded once at load
    grammar: str  # GBNF, the same for every sequence
    sampling: Sampling
    context_per_sequence: int  # a prompt and its answer, in tokens, as the serial path's n_ctx
    max_sequences: int
    stop_strings: tuple[str, ...] = ()  # text that ends an answer, cut from it
    # The whole answer, when the text so far already decides it (a refusal's first words): the
    # sequence leaves with it instead of decoding the rest.
    finish_early: Callable[[str], str | None] | None = None
    # The text the contract decides comes next (see nlu/forced.py), and whether the answer is then
    # complete: appended without sampling, checked token by token against the grammar, and decoded
    # in one step with the token before it.
    forced: Callable[[str], tuple[str, bool]] | None = None
    # For a step that decodes two sequences or more (None: `threads`). Such a step is several times
    # one sequence's work, so on an otherwise idle machine another core pays for its barrier.
    shared_threads: int | None = None

    @property
    def n_ctx(self) -> int:
        return self.context_per_sequence + (self.max_sequences - 1) * SEQUENCE_CELLS


class Generation:
    """One prompt's generation: the scheduler writes it, its caller waits on it from its own thread."""

    def __init__(self, prompt: str, max_tokens: int, sampling: Sampling, wake_scheduler: Callable[[], None]) -> None:
        self.prompt = prompt
        self.max_tokens = max_tokens
        self.sampling = sampling
        self._wake_scheduler = wake_scheduler
        self._changed = threading.Condition()
        self._text = ""
        self._finished = False
        self._cancelled = False
        self._error: Exception | None = None
        self.tokens = 0  # generated so far

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def finished(self) -> bool:
        return self._finished

    def cancel(self) -> None:
        """The caller has gone (a timeout, a cancellation): the sequence leaves at the next step.
        Whoever still waits on it returns at once."""
        with self._changed:
            if self._finished or self._cancelled:
                return
            self._cancelled = True
            self._changed.notify_all()
        self._wake_scheduler()

    def wait_for_more(self, seen: str, timeout: float | None = None) -> tuple[str, bool]:
        """Block until the text is longer than `seen` or the generation is over; the text so far,
        and whether it is over (finished or cancelled)."""
        with self._changed:
            self._changed.wait_for(lambda: self._text != seen or self._finished or self._cancelled, timeout)
            return self._text, self._finished or self._cancelled

    def wait(self, timeout: float | None = None) -> str:
        """The whole answer (blocking), or the error the generation ended with."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._finished or self._cancelled, timeout):
                raise TimeoutError(f"no answer within {timeout} s")
        return self.result()

    def result(self) -> str:
        with self._changed:
            if self._error is not None:
                raise self._error
            if not self._finished:
                raise ModelUnavailable("the generation was stopped before it finished")
            return self._text

    # The scheduler's side.
    def _grow(self, text: str, tokens: int) -> None:
        with self._changed:
            self._text, self.tokens = text, tokens
            self._changed.notify_all()

    def _finish(self, text: str | None = None, error: Exception | None = None) -> None:
        """Over: with the whole answer, or with an error (none given: it was stopped)."""
        with self._changed:
            if text is not None and error is None:
                self._text = text
            else:
                self._error = error or ModelUnavailable("the generation was stopped before it finished")
            self._finished = True
            self._changed.notify_all()


class _Scratch:
    """Token arrays the samplers fill in place (the scheduler is one thread, so one set is enough)."""

    def __init__(self, n_vocab: int) -> None:
        self.ids = np.arange(n_vocab, dtype=np.int32)
        self.full = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self.small = np.zeros(CANDIDATES, dtype=_TOKEN_DATA)
        self.shortcuts = 0  # tokens chosen from the best candidates alone
        self.full_passes = 0  # tokens for which the grammar read the whole vocabulary


def _token_array(data: npt.NDArray[np.void], size: int) -> llama_cpp.llama_token_data_array:
    return llama_cpp.llama_token_data_array(
        data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=size, selected=-1, sorted=False
    )


class SequenceSampler:
    """One sequence's grammar and sampler chain: the serial path's chain (grammar, then top-k,
    top-p, min-p, temperature and a seeded draw, or greedy), split in two so that the grammar can
    be tried on a few candidates first.

    The grammar over the whole vocabulary (49k tokens) costs about 5 ms a token on one core, as
    much as a third of a batched step. The shortcut tries it on a few of the highest logits and
    keeps that choice only when the rest of the vocabulary cannot change it:
    - greedy: the best valid candidate is the best valid token;
    - otherwise: at least top_k candidates are valid (top-k keeps exactly them); or min-p drops
      every token outside the candidates (the best one outside is more than ln(1/min_p) below the
      best valid one), and top-p keeps every token min-p keeps. Tokens outside can then only add
      probability mass to top-p's sum, which moves its cut later, past what min-p keeps anyway.
    Then the same chain, with the same random state, draws from what is left. Anything closer than
    MARGIN takes the full path."""

    def __init__(self, *, grammar: Any, sampling: Sampling, scratch: _Scratch, shortcut: bool) -> None:
        self._grammar = llama_cpp.llama_sampler_clone(grammar)
        self._sampling = sampling
        self._scratch = scratch
        self._shortcut = shortcut
        self._n_vocab = len(scratch.ids)
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if sampling.greedy:
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_k(sampling.top_k))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_dist(sampling.seed))
        self._chain = chain

    def free(self) -> None:
        llama_cpp.llama_sampler_free(self._chain)
        llama_cpp.llama_sampler_free(self._grammar)

    def sample(self, ctx: Any, index: int) -> int:
        """The next token from the logits of batch row `index`, accepted by grammar and chain."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, index), shape=(self._n_vocab,))
        token = self._from_candidates(logits) if self._shortcut else None
        if token is None:
            token = self._from_everything(logits)
            self._scratch.full_passes += 1
        else:
            self._scratch.shortcuts += 1
        llama_cpp.llama_sampler_accept(self._grammar, token)
        llama_cpp.llama_sampler_accept(self._chain, token)
        return token

    def accept_forced(self, token: int) -> bool:
        """Take a token the caller chose, if the grammar allows it here (else change nothing)."""
        data = self._scratch.small
        data["id"][0], data["logit"][0], data["p"][0] = token, 0.0, 0.0
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(_token_array(data, 1)))
        if not np.isfinite(data["logit"][0]):
            return False
        llama_cpp.llama_sampler_accept(self._grammar, token)
        llama_cpp.llama_sampler_accept(self._chain, token)
        return True

    def _from_everything(self, logits: npt.NDArray[np.float32]) -> int:
        data = self._scratch.full
        data["id"], data["logit"], data["p"] = self._scratch.ids, logits, 0.0
        array = _token_array(data, self._n_vocab)
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(array))
        llama_cpp.llama_sampler_apply(self._chain, ctypes.byref(array))
        return int(data["id"][array.selected])

    def _from_candidates(self, logits: npt.NDArray[np.float32]) -> int | None:
        """The token the whole pass would pick, from a few candidates, or None when they cannot
        tell: first the tokens within WINDOW of the best logit (one cheap pass over the logits),
        then, if those are too many or cannot decide, the CANDIDATES best."""
        top = float(logits.max())
        near = np.flatnonzero(logits >= top - WINDOW)
        if len(near) <= CANDIDATES and (token := self._decide(logits, near, top - WINDOW)) is not None:
            return token
        best = np.argpartition(logits, -(CANDIDATES + 1))[-(CANDIDATES + 1) :]
        outside = float(logits[best].min())  # the best logit among the tokens not tried (or lower)
        return self._decide(logits, best[logits[best] > outside][:CANDIDATES], outside)

    def _decide(self, logits: npt.NDArray[np.float32], candidates: npt.NDArray[np.intp], outside: float) -> int | None:
        """Try the grammar on the candidates (every other token's logit is below `outside`)."""
        if len(candidates) == 0:
            return None
        candidates = candidates[np.lexsort((candidates, -logits[candidates]))]  # best first; ties by id
        data, size = self._scratch.small, len(candidates)
        data["id"][:size], data["logit"][:size], data["p"][:size] = candidates, logits[candidates], 0.0
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(_token_array(data, size)))
        valid = data[:size][np.isfinite(data["logit"][:size])]  # the grammar set the others to -inf
        if len(valid) == 0 or not self._decided(valid["logit"], outside):
            return None
        data[: len(valid)] = valid
        array = _token_array(data, len(valid))
        llama_cpp.llama_sampler_apply(self._chain, ctypes.byref(array))
        return int(data["id"][array.selected])

    def _decided(self, valid: npt.NDArray[np.float32], outside: float) -> bool:
        sampling = self._sampling
        if sampling.greedy or len(valid) >= sampling.top_k:
            return True
        if sampling.min_p <= 0:
            return False  # every valid token might survive: the candidates cannot stand for them
        top = float(valid[0])
        threshold = top + math.log(sampling.min_p)
        if outside >= threshold - MARGIN:
            return False
        kept = int(np.count_nonzero(valid >= threshold - MARGIN))
        if kept <= 1 or sampling.top_p >= 1:
            return True
        weights = np.exp(valid.astype(np.float64) - top)
        return bool(np.cumsum(weights)[kept - 2] / weights.sum() < sampling.top_p - MARGIN)


@dataclass
class _Sequence:
    seq_id: int
    generation: Generation
    reserved: int
    max_new: int
    sampler: SequenceSampler
    pos: int
    pending: list[int]  # tokens to decode at the next step (the prompt beyond the prefix, then one)
    output: bytearray = field(default_factory=bytearray)
    row: int = -1  # the batch row whose logits are this sequence's


class BatchEngine:
    """The model, its context and the scheduler thread that owns them (see the module doc)."""

    def __init__(self, config: EngineConfig) -> None:
        missing = [name for name in _REQUIRED if not hasattr(llama_cpp, name)]
        if missing:
            raise RuntimeError(f"llama-cpp-python {llama_cpp.__version__} lacks {', '.join(missing)}: upgrade it")
        self.config = config
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._incoming: deque[Generation] = deque()  # submitted, not yet seen by the scheduler
        self._in_flight = 0  # submitted and not yet over
        self._closing = False
        self._freed = False
        self._thread: threading.Thread | None = None
        self.failure: str | None = None  # why the scheduler stopped, if it failed
        self.tokens_generated = 0  # sampled
        self.tokens_forced = 0  # appended as the contract decided, without sampling
        self.peak_sequences = 0  # the most sequences one step has decoded together
        self.shared_steps = 0  # steps that decoded two sequences or more
        # Try the grammar on the best candidates first (the same tokens, in less time); tests and
        # benchmarks turn it off to compare. Read when a sequence joins.
        self.shortcut = True
        self._model: Any = None
        self._adapter: Any = None
        self._ctx: Any = None
        self._batch: Any = None
        self._grammar: Any = None
        try:
            self._load()
        except BaseException:
            self._free()
            raise
        # The scheduler's own state.
        self._waiting: deque[Generation] = deque()
        self._active: list[_Sequence] = []
        self._free_ids = list(range(config.max_sequences, 0, -1))  # 0 holds the prefix
        self._reserved = 0
        self._capacity = config.n_ctx - len(self._prefix)

    # Loading.
    def _load(self) -> None:
        config = self.config
        _backend_init()
        model_params = llama_cpp.llama_model_default_params()
        model_params.n_gpu_layers = 0
        if config.adapter is not None:  # as llama-cpp-python loads a model with an adapter
            model_params.load_mode = llama_cpp.LLAMA_LOAD_MODE_NONE
        self._model = llama_cpp.llama_model_load_from_file(str(config.gguf).encode(), model_params)
        if not self._model:
            raise ValueError(f"llama.cpp could not read {config.gguf}")
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        context_params = llama_cpp.llama_context_default_params()
        context_params.n_ctx = config.n_ctx
        context_params.n_batch = BATCH_TOKENS
        context_params.n_ubatch = UBATCH_TOKENS
        context_params.n_seq_max = config.max_sequences + 1
        context_params.kv_unified = True  # one cache for all sequences: the prefix's cells are shared
        # One thread until the scheduler's first step sets its own count. With llama.cpp's OpenMP
        # build, one decode of several threads here, on the loading thread (the system prompt's),
        # made every later decode of several threads on the scheduler thread slower than one
        # thread: commands alone on two threads, P50 357 ms with the system prompt decoded on two,
        # 179 ms with it decoded on one (one thread throughout: 297 ms).
        context_params.n_threads = 1
        context_params.n_threads_batch = 1
        self._step_threads = 1
        context_params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED  # as the serial path
        self._ctx = llama_cpp.llama_init_from_model(self._model, context_params)
        if not self._ctx:
            raise ValueError(f"llama.cpp could not make a context of {config.n_ctx} tokens for {config.gguf}")
        if config.adapter is not None:
            self._adapter = llama_cpp.llama_adapter_lora_init(self._model, str(config.adapter).encode())
            if not self._adapter:
                raise ValueError(f"llama.cpp could not read the adapter {config.adapter}")
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._adapter)
            if llama_cpp.llama_set_adapters_lora(self._ctx, adapters, 1, (ctypes.c_float * 1)(1.0)):
                raise ValueError(f"llama.cpp could not apply the adapter {config.adapter}")
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(BATCH_TOKENS, 0, 1)
        self._grammar = llama_cpp.llama_sampler_init_grammar(self._vocab, config.grammar.encode(), b"root")
        if not self._grammar:
            raise ValueError("llama.cpp could not parse the action grammar")
        n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._scratch = _Scratch(n_vocab)
        self._piece = ctypes.create_string_buffer(256)
        self._prefix = self.tokenize(config.prefix)
        # What the contract appends before a command's first token: room for it in the step it joins.
        opening = config.forced("")[0] if config.forced is not None else ""
        self._opening_tokens = len(self._tokenize_text(opening)) if opening else 0
        if len(self._prefix) >= config.context_per_sequence:
            raise ValueError(f"the system prompt has {len(self._prefix)} tokens, more than the context")
        self._decode_prefix()

    def _decode_prefix(self) -> None:
        """The shared system prompt, into sequence 0, once."""
        for start in range(0, len(self._prefix), BATCH_TOKENS):
            chunk = self._prefix[start : start + BATCH_TOKENS]
            self._batch.n_tokens = 0
            for offset, token in enumerate(chunk):
                self._add(token, start + offset, 0, logits=start + offset == len(self._prefix) - 1)
            if (rc := llama_cpp.llama_decode(self._ctx, self._batch)) != 0:
                raise ValueError(f"llama.cpp could not decode the system prompt (llama_decode returned {rc})")

    def tokenize(self, text: str) -> list[int]:
        """The prompt's tokens, as llama-cpp-python's completion makes them (special tokens parsed;
        BOS and EOS only where the model asks for them)."""
        raw = text.encode()
        buffer = (llama_cpp.llama_token * (len(raw) + 8))()
        count = llama_cpp.llama_tokenize(self._vocab, raw, len(raw), buffer, len(buffer), False, True)
        if count < 0:
            raise ValueError(f"could not tokenize a prompt of {len(raw)} bytes")
        tokens = list(buffer[:count])
        if llama_cpp.llama_vocab_get_add_bos(self._vocab):
            cls = llama_cpp.llama_vocab_cls(self._vocab)
            tokens.insert(0, cls if cls != -1 else llama_cpp.llama_vocab_bos(self._vocab))
        sep = llama_cpp.llama_vocab_sep(self._vocab)
        if llama_cpp.llama_vocab_get_add_eos(self._vocab) or sep != -1:
            tokens.append(sep if sep != -1 else llama_cpp.llama_vocab_eos(self._vocab))
        return tokens

    # The callers' side.
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="llama-batch", daemon=True)
        self._thread.start()

    def submit(self, prompt: str, max_tokens: int, sampling: Sampling | None = None) -> Generation:
        """Queue a prompt (sampled as configured, unless told otherwise); it joins the batch at the
        next step."""
        generation = Generation(prompt, max_tokens, sampling or self.config.sampling, self._notify)
        with self._lock:
            if self._closing or self._thread is None:
                raise ModelUnavailable(self.failure or "the embedded model is stopping")
            self._incoming.append(generation)
            self._in_flight += 1
            self._wake.notify()
        return generation

    def close(self) -> None:
        """Stop: every generation not over ends with an error, and the scheduler frees the model
        after its current step (or now, if it never started)."""
        with self._lock:
            self._closing = True
            self._wake.notify()
            started = self._thread is not None
        if not started:
            self._free()

    def join(self, timeout: float) -> bool:
        """Wait for the scheduler to have freed the model after `close` (so that nothing of
        llama.cpp still runs when the process exits); whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self._freed

    @property
    def busy(self) -> bool:
        """Whether a generation is queued or running (one that was told to stop still is, until
        the scheduler has dropped it at its next step)."""
        with self._lock:
            return self._in_flight > 0

    @property
    def threads(self) -> tuple[int, int]:
        """The context's threads for one token and for a batch, as llama.cpp reports them: those of
        the last step (`shared_threads` after a step of several sequences, until one of one)."""
        return llama_cpp.llama_n_threads(self._ctx), llama_cpp.llama_n_threads_batch(self._ctx)

    @property
    def sampling_passes(self) -> tuple[int, int]:
        """Tokens chosen from the best candidates alone, and with the grammar over everything."""
        return self._scratch.shortcuts, self._scratch.full_passes

    def sequences_in_memory(self) -> int:
        """Sequences other than the prefix that still hold cells in the cache."""
        return sum(
            llama_cpp.llama_memory_seq_pos_max(self._memory, seq_id) >= 0
            for seq_id in range(1, self.config.max_sequences + 1)
        )

    def _notify(self) -> None:
        with self._lock:
            self._wake.notify()

    # The scheduler.
    def _run(self) -> None:
        reason = "the embedded model is stopping"
        try:
            while True:
                with self._lock:
                    while not (self._closing or self._incoming or self._waiting or self._active):
                        self._wake.wait()
                    if self._closing:
                        break
                    self._waiting.extend(self._incoming)
                    self._incoming.clear()
                self._step()
        except Exception as exc:
            reason = f"the embedded model failed: {type(exc).__name__}: {exc}"
            self.failure = reason
            logger.exception("embedded_model_failed")
        finally:
            with self._lock:
                self._closing = True
                self._waiting.extend(self._incoming)
                self._incoming.clear()
            for sequence in list(self._active):
                self._leave(sequence, error=ModelUnavailable(reason))
            while self._waiting:
                self._over(self._waiting.popleft(), error=ModelUnavailable(reason))
            self._free()

    def _step(self) -> None:
        for sequence in [s for s in self._active if s.generation.cancelled]:
            self._leave(sequence)
        for generation in [g for g in self._waiting if g.cancelled]:
            self._waiting.remove(generation)
            self._over(generation)
        self._admit()
        if not self._active:
            return
        self.peak_sequences = max(self.peak_sequences, len(self._active))
        threads = self.config.threads
        if len(self._active) > 1:
            self.shared_steps += 1
            threads = self.config.shared_threads or threads
        if threads != self._step_threads:  # llama.cpp reads them at each decode; setting them is cheap
            llama_cpp.llama_set_n_threads(self._ctx, threads, threads)
            self._step_threads = threads
        self._batch.n_tokens = 0
        for sequence in self._active:
            for token in sequence.pending:
                self._add(token, sequence.pos, sequence.seq_id, logits=False)
                sequence.pos += 1
            sequence.row = self._batch.n_tokens - 1
            self._batch.logits[sequence.row] = 1
            sequence.pending = []
        if (rc := llama_cpp.llama_decode(self._ctx, self._batch)) != 0:
            logger.warning("embedded_decode_failed", extra={"rc": rc, "sequences": len(self._active)})
            for sequence in list(self._active):
                self._leave(sequence, error=ModelUnavailable(f"the embedded model could not decode (rc {rc})"))
            return
        for sequence in list(self._active):
            self._advance(sequence)

    def _admit(self) -> None:
        """Move waiting prompts into the batch while a sequence, the cache and the step have room
        (in order: one that does not fit yet waits, and so do those behind it)."""
        step_tokens = sum(len(s.pending) for s in self._active)  # a token each, and what was appended
        while self._waiting and self._free_ids:
            generation = self._waiting[0]
            try:
                tokens = self.tokenize(generation.prompt)
            except ValueError as exc:
                self._over(self._waiting.popleft(), error=ModelUnavailable(str(exc)))
                continue
            shared = _common_prefix(tokens, self._prefix)
            if shared == len(tokens):
                shared -= 1  # decode the last one again: its logits start the answer
            max_new = min(generation.max_tokens, self.config.context_per_sequence - len(tokens))
            need = len(tokens) - shared + max(max_new, 0)
            if max_new <= 0 or need > self._capacity:
                self._over(
                    self._waiting.popleft(),
                    error=ModelUnavailable(
                        f"the command is too long for the model ({len(tokens)} tokens; at most "
                        f"{self.config.context_per_sequence} with the answer)"
                    ),
                )
                continue
            joining = len(tokens) - shared + self._opening_tokens
            if need > self._capacity - self._reserved or step_tokens + joining > BATCH_TOKENS:
                return  # it joins once a sequence has left
            self._waiting.popleft()
            seq_id = self._free_ids.pop()
            llama_cpp.llama_memory_seq_rm(self._memory, seq_id, -1, -1)
            llama_cpp.llama_memory_seq_cp(self._memory, 0, seq_id, 0, shared)
            sampler = SequenceSampler(
                grammar=self._grammar,
                sampling=generation.sampling,
                scratch=self._scratch,
                shortcut=self.shortcut,
            )
            sequence = _Sequence(seq_id, generation, need, max_new, sampler, shared, tokens[shared:])
            opening, _ = self._force(sequence, "", max_new - 1)
            sequence.pending += opening
            if opening:
                generation._grow(_text(sequence.output), len(opening))
            self._active.append(sequence)
            self._reserved += need
            step_tokens += len(tokens) - shared + len(opening)

    def _advance(self, sequence: _Sequence) -> None:
        """Sample this sequence's next token; it leaves when its answer is over."""
        token = sequence.sampler.sample(self._ctx, sequence.row)
        self.tokens_generated += 1
        if llama_cpp.llama_vocab_is_eog(self._vocab, token):
            self._leave(sequence, text=_text(sequence.output))
            return
        length = llama_cpp.llama_token_to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        sequence.output += self._piece.raw[: max(length, 0)]
        text = _text(sequence.output)
        generated = sequence.generation.tokens + 1
        if self.config.finish_early is not None and (whole := self.config.finish_early(text)) is not None:
            self._leave(sequence, text=whole)
        elif stops := [text.index(stop) for stop in self.config.stop_strings if stop in text]:
            self._leave(sequence, text=text[: min(stops)])
        elif generated >= sequence.max_new:
            self._leave(sequence, text=text)
        else:
            forced, complete = self._force(sequence, text, sequence.max_new - generated - 1)
            if forced:
                text, generated = _text(sequence.output), generated + len(forced)
            if complete:
                self._leave(sequence, text=text)
                return
            sequence.generation._grow(text, generated)
            sequence.pending = [token, *forced]

    def _force(self, sequence: _Sequence, text: str, budget: int) -> tuple[list[int], bool]:
        """Append what the contract decides follows `text`, as far as the grammar takes it and the
        token budget allows: the tokens appended, and whether the answer is then complete."""
        if self.config.forced is None or budget <= 0:
            return [], False
        more, complete = self.config.forced(text)
        tokens = self._tokenize_text(more) if more else []
        if len(tokens) > budget:
            tokens, complete = tokens[:budget], False
        taken: list[int] = []
        for token in tokens:
            if not sequence.sampler.accept_forced(token):
                complete = False
                break
            length = llama_cpp.llama_token_to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
            sequence.output += self._piece.raw[: max(length, 0)]
            taken.append(token)
        self.tokens_forced += len(taken)
        return taken, complete

    def _tokenize_text(self, text: str) -> list[int]:
        """Text inside an answer, as tokens: no BOS, no special tokens."""
        raw = text.encode()
        buffer = (llama_cpp.llama_token * (len(raw) + 8))()
        count = llama_cpp.llama_tokenize(self._vocab, raw, len(raw), buffer, len(buffer), False, False)
        if count < 0:
            raise ValueError(f"could not tokenize {len(raw)} bytes of an answer")
        return list(buffer[:count])

    def _leave(self, sequence: _Sequence, *, text: str | None = None, error: Exception | None = None) -> None:
        """The sequence is over: its cells, sampler and id are free, and its caller has the outcome."""
        llama_cpp.llama_memory_seq_rm(self._memory, sequence.seq_id, -1, -1)
        sequence.sampler.free()
        self._active.remove(sequence)
        self._free_ids.append(sequence.seq_id)
        self._reserved -= sequence.reserved
        self._over(sequence.generation, text=text, error=error)

    def _over(self, generation: Generation, *, text: str | None = None, error: Exception | None = None) -> None:
        generation._finish(text, error)
        with self._lock:
            self._in_flight -= 1

    def _add(self, token: int, pos: int, seq_id: int, *, logits: bool) -> None:
        batch, row = self._batch, self._batch.n_tokens
        batch.token[row] = token
        batch.pos[row] = pos
        batch.n_seq_id[row] = 1
        batch.seq_id[row][0] = seq_id
        batch.logits[row] = logits
        batch.n_tokens = row + 1

    def _free(self) -> None:
        with self._lock:
            if self._freed:
                return
            self._freed = True
        if self._grammar:
            llama_cpp.llama_sampler_free(self._grammar)
        if self._batch is not None:
            llama_cpp.llama_batch_free(self._batch)
        if self._ctx:
            llama_cpp.llama_free(self._ctx)
        if self._adapter:
            llama_cpp.llama_adapter_lora_free(self._adapter)
        if self._model:
            llama_cpp.llama_model_free(self._model)
        self._grammar = self._batch = self._ctx = self._adapter = self._model = None


_backend_ready = threading.Lock()
_backend_started = False


def _backend_init() -> None:
    """llama.cpp's one-time set-up, once per process (as llama-cpp-python does it)."""
    global _backend_started
    with _backend_ready:
        if not _backend_started:
            llama_cpp.llama_backend_init()
            _backend_started = True


def _common_prefix(a: list[int], b: list[int]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _text(output: bytearray) -> str:
    """The answer so far; an unfinished UTF-8 character at the end waits for its next bytes."""
    return bytes(output).decode("utf-8", errors="ignore")
