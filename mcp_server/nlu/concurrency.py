"""How many generations a model engine is sent at once, and the bounded queue in front of them.

A remote engine (Ollama with OLLAMA_NUM_PARALLEL, vLLM, llama-server with several slots) serves
many requests in parallel, and knows its own capacity better than this server can: the limit
starts where the engine's own default would not make anyone wait here, and adapts as TCP and HTTP
clients do (additive increase, multiplicative decrease). While every slot is in use and first
tokens come within `tolerance` times the fastest recent one (the engine keeps up), each answer adds
1/limit of a slot, about one slot a round; a slower first token adds nothing (the engine queues
them: wait rather than send more). It halves when the engine says it is busy (503, 429) or a call
times out, once for all the calls that were out together (a burst of refusals is one signal, as
for TCP one window's losses are). Never below 1, never above the ceiling (`--model-concurrency`).
The in-process model has a fixed limit: it batches on its own.

Beyond the limit, up to `max_queued` commands wait here, in order; one more is a fast "busy", and
so is a wait past the command's deadline.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import anyio

from mcp_server.core.errors import ModelUnavailable

WINDOW = 64  # the recent calls whose fastest first token is the reference
SLOW_MARGIN_S = 0.05  # below this, a first token "slower than the fastest" is noise, not queueing


class Outcome(StrEnum):
    ANSWERED = "answered"  # the engine answered (valid or not); its first token came after `first_token_s`
    BUSY = "busy"  # the engine refused: too many requests (503, 429)
    TIMED_OUT = "timed_out"
    FAILED = "failed"  # anything else: says nothing about capacity


class Busy(ModelUnavailable):
    """No slot: the queue is full, or the command's time ran out while it waited."""


@dataclass(frozen=True)
class Slot:
    """A slot held: given back with `ConcurrencyLimit.release`. `epoch`: how many times the limit
    had been cut when it was taken, so that one cut answers one burst."""

    epoch: int


@dataclass
class ConcurrencyLimit:
    """Slots for generations: `limit` of them (adapting between 1 and `ceiling` when `adaptive`),
    and a FIFO queue of at most `max_queued` waiters."""

    initial: int
    ceiling: int
    max_queued: int
    adaptive: bool = True
    tolerance: float = 2.0
    limit: float = field(init=False)
    in_flight: int = field(default=0, init=False)
    on_change: Callable[[ConcurrencyLimit], None] | None = field(default=None, repr=False)
    _epoch: int = field(default=0, init=False)
    _waiters: deque[anyio.Event] = field(default_factory=deque, init=False, repr=False)
    _room_waiters: deque[anyio.Event] = field(default_factory=deque, init=False, repr=False)
    _first_tokens: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW), init=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.initial <= self.ceiling:
            raise ValueError(f"the limit must start within 1..{self.ceiling}, got {self.initial}")
        self.limit = float(self.initial)

    @property
    def current(self) -> int:
        """The slots there are now."""
        return max(1, int(self.limit))

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, *, deadline: float = float("inf"), admitted: bool = False) -> Slot:
        """A slot now, or a place in the queue until one frees; `Busy` at once when the queue is full
        (unless `admitted`: a command asking again, which had its place), or when `deadline` (on
        anyio's clock) passes first."""
        if not self._waiters and self.in_flight < self.current:
            return self._take()
        if len(self._waiters) >= self.max_queued and not admitted:
            raise Busy(f"the command model is busy ({len(self._waiters)} requests queued); retry in a few seconds")
        turn = anyio.Event()
        self._waiters.append(turn)
        self._changed()
        try:
            with anyio.move_on_after(deadline - anyio.current_time()):
                await turn.wait()
        except BaseException:
            self._leave(turn)
            raise
        if not turn.is_set():
            self._leave(turn)
            raise Busy("the command model is busy: no slot came free in this command's time; retry in a few seconds")
        return Slot(self._epoch)

    async def room(self, *, deadline: float) -> None:
        """Until one of the calls out ends with an answer, or `deadline`: after an engine said busy,
        the moment it likely has room for one more. Those waiting are let go one an answer, in order,
        so that they do not all ask again at once."""
        turn = anyio.Event()
        self._room_waiters.append(turn)
        try:
            with anyio.move_on_after(deadline - anyio.current_time()):
                await turn.wait()
        finally:
            if not turn.is_set():
                self._room_waiters.remove(turn)

    def release(self, slot: Slot, outcome: Outcome, first_token_s: float | None = None) -> None:
        """Give the slot back, telling how the call went."""
        saturated = self.in_flight >= self.current or bool(self._waiters)
        self.in_flight -= 1
        if self.adaptive:
            self._adapt(slot, outcome, first_token_s, saturated)
        if outcome != Outcome.BUSY and self._room_waiters:  # a call ended: room in the engine for one
            self._room_waiters.popleft().set()
        self._hand_over()
        self._changed()

    def _take(self) -> Slot:
        self.in_flight += 1
        self._changed()
        return Slot(self._epoch)

    def _leave(self, turn: anyio.Event) -> None:
        if turn.is_set():  # handed a slot as it gave up: pass it on
            self.in_flight -= 1
            self._hand_over()
        else:
            self._waiters.remove(turn)
        self._changed()

    def _adapt(self, slot: Slot, outcome: Outcome, first_token_s: float | None, saturated: bool) -> None:
        if outcome in (Outcome.BUSY, Outcome.TIMED_OUT):
            if slot.epoch == self._epoch:  # the first of its burst to say so: cut once
                self.limit = max(1.0, self.limit / 2)
                self._epoch += 1
        elif outcome == Outcome.ANSWERED and first_token_s is not None:
            self._first_tokens.append(first_token_s)
            fastest = min(self._first_tokens)
            kept_up = first_token_s <= max(fastest * self.tolerance, fastest + SLOW_MARGIN_S)
            if kept_up and saturated:  # grow only when the limit, not the engine, held calls back
                self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)

    def _hand_over(self) -> None:
        while self._waiters and self.in_flight < self.current:
            self.in_flight += 1
            self._waiters.popleft().set()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)


def adaptive_slots(initial: int, ceiling: int, max_queued: int) -> ConcurrencyLimit:
    """A remote engine's slots: from `initial` (or the ceiling, when that is lower), adapting up to `ceiling`."""
    return ConcurrencyLimit(initial=min(initial, ceiling), ceiling=ceiling, max_queued=max_queued)


def fixed_slots(count: int, max_queued: int) -> ConcurrencyLimit:
    return ConcurrencyLimit(initial=count, ceiling=count, max_queued=max_queued, adaptive=False)
