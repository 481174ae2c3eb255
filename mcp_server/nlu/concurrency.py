"""How many generations a model engine is sent at once, and the bounded queue in front of them.

A remote engine (Ollama with OLLAMA_NUM_PARALLEL, vLLM, llama-server with several slots) serves
many requests in parallel, and knows its own capacity better than this server can: the limit
starts where the engine's own default would not make anyone wait, and adapts as TCP and HTTP
clients do (additive increase, multiplicative decrease). It grows by one for each `limit` calls
whose first token came within `tolerance` times the fastest recent one (the engine kept up), shrinks
by a tenth when the first token was slower than that (requests queue in the engine), and halves
when the engine says it is busy (503/429) or a call times out. Never below 1, never above the
ceiling (`--model-concurrency`). The in-process model has a fixed limit: it batches on its own.

Beyond the limit, up to `max_queued` commands wait here, in order; one more is a fast "busy".
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
    ANSWERED = "answered"  # the engine answered; its first token came after `first_token_s`
    BUSY = "busy"  # the engine refused: too many requests (503, 429)
    TIMED_OUT = "timed_out"
    FAILED = "failed"  # anything else: says nothing about capacity


class Busy(ModelUnavailable):
    """No slot and no room in the queue."""


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
    _waiters: deque[anyio.Event] = field(default_factory=deque, init=False, repr=False)
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

    async def acquire(self) -> None:
        """A slot now, or a place in the queue until one frees, or `Busy` at once when the queue is full."""
        if not self._waiters and self.in_flight < self.current:
            self.in_flight += 1
            self._changed()
            return
        if len(self._waiters) >= self.max_queued:
            raise Busy(f"the command model is busy ({len(self._waiters)} requests queued); retry in a few seconds")
        turn = anyio.Event()
        self._waiters.append(turn)
        self._changed()
        try:
            await turn.wait()
        except BaseException:
            if turn.is_set():  # handed a slot as it was cancelled: pass it on
                self.in_flight -= 1
                self._hand_over()
            else:
                self._waiters.remove(turn)
            self._changed()
            raise

    def release(self, outcome: Outcome, first_token_s: float | None = None) -> None:
        """Give the slot back, telling how the call went."""
        self.in_flight -= 1
        if self.adaptive:
            self._adapt(outcome, first_token_s)
        self._hand_over()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def _adapt(self, outcome: Outcome, first_token_s: float | None) -> None:
        if outcome in (Outcome.BUSY, Outcome.TIMED_OUT):
            self.limit = max(1.0, self.limit / 2)
        elif outcome == Outcome.ANSWERED and first_token_s is not None:
            self._first_tokens.append(first_token_s)
            fastest = min(self._first_tokens)
            if first_token_s > max(fastest * self.tolerance, fastest + SLOW_MARGIN_S):
                self.limit = max(1.0, self.limit * 0.9)
            elif self._waiters or self.in_flight + 1 >= self.current:  # grow only when the limit held calls back
                self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)

    def _hand_over(self) -> None:
        while self._waiters and self.in_flight < self.current:
            self.in_flight += 1
            self._waiters.popleft().set()


def adaptive_slots(initial: int, ceiling: int, max_queued: int) -> ConcurrencyLimit:
    """A remote engine's slots: from `initial` (or the ceiling, when that is lower), adapting up to `ceiling`."""
    return ConcurrencyLimit(initial=min(initial, ceiling), ceiling=ceiling, max_queued=max_queued)


def fixed_slots(count: int, max_queued: int) -> ConcurrencyLimit:
    return ConcurrencyLimit(initial=count, ceiling=count, max_queued=max_queued, adaptive=False)
