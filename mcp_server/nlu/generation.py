"""What every model backend shares: a readiness gate, a bounded queue in front of the generation
slots (a fixed number for the in-process model, adapting to a remote engine's capacity: see
concurrency.py), and validation of the output with one retry that says what was wrong."""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from pydantic import ValidationError

from mcp_server.core.errors import InvalidModelOutput, ModelUnavailable
from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.concurrency import Busy, ConcurrencyLimit, Outcome, Slot
from mcp_server.nlu.parser import ParseOutcome, PartialOutput
from mcp_server.nlu.prompt import messages_for
from mcp_server.observability.health import ComponentState, ModelHealth

logger = logging.getLogger(__name__)


def describe_invalid(exc: Exception) -> str:
    """A short account of why an output is not a valid action, for the retry and the error."""
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'output'}: {error['msg']}"
            for error in exc.errors(include_url=False)[:3]
        ]
        return "; ".join(problems)
    return str(exc)[:200]


class EngineBusy(ModelUnavailable):
    """The engine refused the request for want of capacity (503, 429)."""


class ModelTimedOut(ModelUnavailable):
    """The engine did not answer within the command's timeout."""


class _FirstToken:
    """When a generation's first piece came, from when the command got its slot: the queueing
    (and prefill) an engine adds, the signal the adaptive limit reads."""

    def __init__(self, on_partial: PartialOutput | None) -> None:
        self.started = time.perf_counter()
        self.first_token_s: float | None = None
        self._on_partial = on_partial

    async def __call__(self, text: str) -> None:
        if self.first_token_s is None:
            self.first_token_s = time.perf_counter() - self.started
        if self._on_partial is not None:
            await self._on_partial(text)


BUSY_PAUSE_S = 0.5  # before asking a busy engine again when none of this server's calls is out


class GenerativeParser(ABC):
    """A parser whose actions come from a model: subclasses say how to generate text."""

    name: str
    timeout_s: float
    # A remote engine queues too: the command's time covers waiting here, there and answering.
    deadline_covers_queue = False

    def __init__(self, *, model: str, health: ModelHealth | None, slots: ConcurrencyLimit) -> None:
        self.model = model
        self.health = health or ModelHealth()
        self.health.backend, self.health.model = self.name, model
        self.slots = slots
        self.slots.on_change = self._show_slots
        self._show_slots(slots)

    def _show_slots(self, slots: ConcurrencyLimit) -> None:
        self.health.queued, self.health.in_flight = slots.waiting, slots.in_flight
        self.health.concurrency_limit = slots.current

    @abstractmethod
    async def _generate(self, messages: list[dict[str, Any]], on_partial: PartialOutput | None) -> str:
        """The model's whole answer to the messages, streaming it to on_partial as it comes."""

    @staticmethod
    async def _gather(pieces: AsyncIterator[str | None], on_partial: PartialOutput | None) -> str:
        """Join streamed pieces into the answer, handing the text so far to on_partial as it grows."""
        parts: list[str] = []
        async for piece in pieces:
            if piece:
                parts.append(piece)
                if on_partial is not None:
                    await on_partial("".join(parts))
        return "".join(parts)

    def _timed_out(self, timeout_s: float) -> ModelUnavailable:
        self.health.count("timeouts")
        return ModelTimedOut(f"the command model did not answer within {timeout_s:g} s; retry, or use the task tools")

    def _refuse_if_not_ready(self) -> None:
        if self.health.state == ComponentState.READY:
            return
        when = "in a few seconds" if self.health.state == ComponentState.LOADING else "once it is back"
        raise ModelUnavailable(
            f"the command model is {self.health.state.value} ({self.health.detail}); the task tools work "
            f"meanwhile; retry process_command {when}"
        )

    async def parse(self, command: str, *, on_partial: PartialOutput | None = None) -> ParseOutcome:
        self._refuse_if_not_ready()
        deadline = anyio.current_time() + self.timeout_s if self.deadline_covers_queue else math.inf
        for attempt in (1, 2):  # an engine that was busy once: the limit is cut; wait for room, ask again
            slot = await self._take_slot(deadline, admitted=attempt == 2)
            clock, outcome = _FirstToken(on_partial), Outcome.FAILED
            try:
                with anyio.fail_after(None if deadline == math.inf else deadline - anyio.current_time()):
                    parsed = await self._parse_with_retry(command, clock)
                outcome = Outcome.ANSWERED
                return parsed
            except TimeoutError:  # the command's own time, queue included, ran out
                outcome = Outcome.TIMED_OUT
                raise self._timed_out(self.timeout_s) from None
            except ModelTimedOut:
                outcome = Outcome.TIMED_OUT
                raise
            except InvalidModelOutput:
                outcome = Outcome.ANSWERED  # the engine kept up; the answer was wrong
                raise
            except EngineBusy:
                outcome = Outcome.BUSY
                if attempt == 2:
                    self.health.count("busy_refusals")
                    raise
            finally:
                self.slots.release(slot, outcome, clock.first_token_s)
            await self._room_in_engine(deadline)
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _room_in_engine(self, deadline: float) -> None:
        """After the engine said busy: until one of this server's calls to it ends with an answer
        (room, likely; one waiter each), or a short pause when none is out (others fill it); never
        past the command's deadline."""
        if self.slots.in_flight:
            await self.slots.room(deadline=deadline)
        else:
            await anyio.sleep(max(0.0, min(BUSY_PAUSE_S, deadline - anyio.current_time())))

    async def _take_slot(self, deadline: float, *, admitted: bool = False) -> Slot:
        """A generation slot now, or a place in the bounded queue, or a fast 'busy'."""
        try:
            return await self.slots.acquire(deadline=deadline, admitted=admitted)
        except Busy:
            self.health.count("busy_refusals")
            raise

    async def _parse_with_retry(self, command: str, on_partial: PartialOutput) -> ParseOutcome:
        messages: list[dict[str, Any]] = messages_for(command)
        last_error = ""
        for attempt in (1, 2):
            started = time.perf_counter()
            output = await self._generate(messages, on_partial)
            self.health.observe_call(time.perf_counter() - started)
            try:
                action = parse_action(output)
            except (ValidationError, ValueError) as exc:
                self.health.count("invalid_outputs")
                last_error = describe_invalid(exc)
                logger.info("model_output_invalid", extra={"attempt": attempt, "error": last_error})
                if attempt == 1:
                    self.health.count("retries")
                    messages = [
                        *messages,
                        {"role": "assistant", "content": output},
                        {
                            "role": "user",
                            "content": f"That is not one valid action ({last_error}). Reply with one JSON action only.",
                        },
                    ]
                continue
            return ParseOutcome(action=action, parser=self.name, model=self.model, attempts=attempt, raw_output=output)
        raise InvalidModelOutput(
            f"the model did not produce a valid action after a retry: {last_error}",
            parser=self.name,
            raw_output=output,
        )


class RemoteModelParser(GenerativeParser):
    """A model behind a server: warmed up in the background at start, and again whenever a call
    finds it gone, with back-off between tries; its state and the reason are in health."""

    deadline_covers_queue = True

    def __init__(
        self,
        *,
        model: str,
        health: ModelHealth | None,
        slots: ConcurrencyLimit,
        load_timeout_s: float,
        max_backoff_s: float,
    ) -> None:
        super().__init__(model=model, health=health, slots=slots)
        self.load_timeout_s = load_timeout_s
        self.max_backoff_s = max_backoff_s
        self._wake = anyio.Event()
        self.health.set(ComponentState.LOADING, f"loading {model} {self.where}")

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the model is served, for messages: 'on Ollama at http://...'."""

    @abstractmethod
    async def _load(self) -> None:
        """Make the model ready to answer (load it, or check the server has it)."""

    @abstractmethod
    def _reason(self, exc: BaseException) -> str:
        """Why the model is unavailable, in words an operator can act on."""

    async def _close(self) -> None:
        """Release the client."""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep the model warm in the background for as long as the server runs."""
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._keep_warm)
                yield
                group.cancel_scope.cancel()
        finally:
            await self._close()

    def _mark_unavailable(self, reason: str) -> None:
        if self.health.state != ComponentState.UNAVAILABLE or self.health.detail != reason:
            logger.warning("model_unavailable", extra={"model": self.model, "reason": reason})
        self.health.set(ComponentState.UNAVAILABLE, reason)
        self._wake.set()  # let the warm-up loop try again now

    async def _keep_warm(self) -> None:
        backoff = 1.0
        while True:
            if self.health.state != ComponentState.READY:
                if self.health.state != ComponentState.UNAVAILABLE:
                    self.health.set(ComponentState.LOADING, f"loading {self.model} {self.where}")
                started = time.perf_counter()
                try:
                    with anyio.fail_after(self.load_timeout_s):
                        await self._load()
                except Exception as exc:
                    self._mark_unavailable(self._reason(exc))
                    self._wake = anyio.Event()
                    with anyio.move_on_after(backoff):
                        await self._wake.wait()
                    backoff = min(backoff * 2, self.max_backoff_s)
                    continue
                backoff = 1.0
                self.health.set(ComponentState.READY, f"{self.model} ready {self.where}")
                load_ms = round((time.perf_counter() - started) * 1000, 1)
                logger.info("model_ready", extra={"model": self.model, "backend": self.name, "load_ms": load_ms})
            self._wake = anyio.Event()
            await self._wake.wait()
