"""Readiness of each component, and the counters health reports.

The store must answer for the server to be ready. The model is a component of its own, so that a
model backend can report "loading" or "unavailable" without making the plain task tools
unavailable; each change of its state wakes whoever waits for one (`wait_for`, `wait_ready`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

from mcp_server import __version__
from mcp_server.core.storage import TaskStore

# Where the HTTP transport answers with this health (liveness, readiness, the service spec's document):
# every check but the body limit leaves these paths alone, so an orchestrator can always see the service.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/health"})


class ComponentState(StrEnum):
    DISABLED = "disabled"
    LOADING = "loading"
    READY = "ready"
    UNAVAILABLE = "unavailable"


@dataclass
class CallCounters:
    """Tool calls and errors since start, by tool name."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, tool: str, *, error: bool) -> None:
        self.calls[tool] += 1
        if error:
            self.errors[tool] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": sum(self.calls.values()),
            "errors": sum(self.errors.values()),
            "by_tool": {name: {"calls": n, "errors": self.errors[name]} for name, n in sorted(self.calls.items())},
        }


# busy_refusals: commands refused as busy (this server's queue full, or the engine busy twice);
# engine_busy: the engine's own 503/429 answers, some of which a second try got past.
MODEL_EVENTS = ("calls", "invalid_outputs", "retries", "timeouts", "busy_refusals", "engine_busy", "errors")
_COUNTS = MODEL_EVENTS


@dataclass(eq=False)
class _Waiter:
    """One task waiting for the next change of state: an event of its own loop, set on that
    loop's thread whichever thread the change comes from."""

    event: anyio.Event
    token: anyio.lowlevel.EventLoopToken
    thread: int

    @classmethod
    def here(cls) -> _Waiter:
        return cls(anyio.Event(), anyio.lowlevel.current_token(), threading.get_ident())

    def wake(self) -> None:
        if threading.get_ident() == self.thread:
            self.event.set()
            return
        with contextlib.suppress(RuntimeError):  # its event loop has ended: nobody waits any more
            anyio.from_thread.run_sync(self.event.set, token=self.token)


class _Watched(Protocol):
    @property
    def state(self) -> ComponentState: ...

    @property
    def detail(self) -> str: ...


W = TypeVar("W", bound=_Watched)


async def _wait(
    health: W, backends: Sequence[ModelHealth], wanted: ComponentState | Callable[[W], bool]
) -> ComponentState:
    """Until `wanted` holds for `health` (a state it must be in, or a test of it), woken by each change
    of the backends' state. No deadline of its own: the caller sets one (`anyio.fail_after`)."""
    test: Callable[[W], bool] = wanted if callable(wanted) else lambda h: h.state == wanted
    while True:
        waiter = _Waiter.here()  # watching before testing: a change in between is not missed
        for backend in backends:
            backend._watch(waiter)
        try:
            if test(health):
                return health.state
            await waiter.event.wait()
        finally:
            for backend in backends:
                backend._unwatch(waiter)


@dataclass
class ModelHealth:
    """What the command model is doing, and how its calls have gone since start. Change the state with
    `set`, which wakes the tasks waiting in `wait_for` (from any thread)."""

    state: ComponentState = ComponentState.DISABLED
    detail: str = "natural-language commands are not configured"
    backend: str | None = None
    model: str | None = None
    counts: Counter[str] = field(default_factory=Counter)
    queued: int = 0
    in_flight: int = 0
    concurrency_limit: int | None = None  # generations it may have at once now (it adapts for remote engines)
    on_call: Callable[[str, float], None] | None = None  # (backend, seconds) after each generation
    _waiters: list[_Waiter] = field(default_factory=list, init=False, repr=False, compare=False)
    _waiters_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def observe_call(self, seconds: float) -> None:
        if self.on_call is not None:
            self.on_call(self.backend or "model", seconds)

    def set(self, state: ComponentState, detail: str) -> None:
        self.state, self.detail = state, detail
        with self._waiters_lock:
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.wake()

    def _watch(self, waiter: _Waiter) -> None:
        with self._waiters_lock:
            self._waiters.append(waiter)

    def _unwatch(self, waiter: _Waiter) -> None:
        with self._waiters_lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def wait_for(self, wanted: ComponentState | Callable[[ModelHealth], bool]) -> ComponentState:
        """Until the state is `wanted` (or `wanted(self)` is true), without polling; returns the state.
        Bound the wait with `anyio.fail_after`."""
        return await _wait(self, [self], wanted)

    async def wait_ready(self) -> None:
        await self.wait_for(ComponentState.READY)

    def count(self, what: str) -> None:
        """what: one of MODEL_EVENTS."""
        self.counts[what] += 1

    def snapshot(self) -> dict[str, Any]:
        counts = {key: self.counts[key] for key in MODEL_EVENTS}
        return {
            "status": self.state.value,
            "detail": self.detail,
            "backend": self.backend,
            "model": self.model,
            "concurrency_limit": self.concurrency_limit,
            "in_flight": self.in_flight,
            "queued": self.queued,
            **counts,
        }


class ModelsHealth:
    """The command parsers as one component: ready when any model backend is ready (or when the
    rules alone are configured), loading while one loads, else unavailable with every reason."""

    def __init__(self, backends: list[ModelHealth] | None = None, *, rules: bool = False) -> None:
        self.backends = backends or []
        self.rules = rules

    @property
    def state(self) -> ComponentState:
        states = [b.state for b in self.backends]
        if not states:
            return ComponentState.READY if self.rules else ComponentState.DISABLED
        for wanted in (ComponentState.READY, ComponentState.LOADING):
            if wanted in states:
                return wanted
        return ComponentState.UNAVAILABLE

    @property
    def active(self) -> str | None:
        """The backend a command the rules cannot read goes to now."""
        return next((b.backend for b in self.backends if b.state == ComponentState.READY), None)

    @property
    def detail(self) -> str:
        if not self.backends:
            return "rules only" if self.rules else "natural-language commands are not configured"
        return "; ".join(b.detail for b in self.backends)

    async def wait_for(self, wanted: ComponentState | Callable[[ModelsHealth], bool]) -> ComponentState:
        """Until the combined state is `wanted` (or `wanted(self)` is true), woken by each change of a
        backend's state; returns the state. With no backends it never changes: bound the wait with
        `anyio.fail_after`."""
        return await _wait(self, self.backends, wanted)

    async def wait_ready(self) -> None:
        await self.wait_for(ComponentState.READY)

    def snapshot(self) -> dict[str, Any]:
        return {
            "status": self.state.value,
            "detail": self.detail,
            "active": self.active,
            "rules": self.rules,
            "backends": {b.backend or "model": b.snapshot() for b in self.backends},
            **{key: sum(b.counts[key] for b in self.backends) for key in _COUNTS},
        }


Readiness = Literal["all", "store"]


class Health:
    """Overall health. `readiness` says what "ready" needs: "all" (store and model) suits one
    server; "store" suits replicas behind a load balancer, which should take task traffic while
    the model loads (process_command then answers "loading", the task tools keep working)."""

    def __init__(self, store: TaskStore, model: ModelsHealth | None = None, *, readiness: Readiness = "all") -> None:
        self.store = store
        self.readiness = readiness
        self.started = time.monotonic()
        self.counters = CallCounters()
        self.model = model or ModelsHealth()

    async def store_status(self) -> dict[str, Any]:
        try:
            await self.store.ping()
        except Exception as exc:  # any failure to answer means "down", with the reason
            return {"status": "down", "backend": self.store.description, "error": str(exc)}
        return {"status": "up", "backend": self.store.description}

    async def report(self) -> dict[str, Any]:
        """The health document: overall status, components, version, uptime, call counts."""
        store = await self.store_status()
        model_usable = self.model.state in (ComponentState.READY, ComponentState.DISABLED)
        ready = store["status"] == "up" and (model_usable or self.readiness == "store")
        if store["status"] != "up":
            overall = "down"
        elif not model_usable:
            overall = "loading" if self.model.state == ComponentState.LOADING else "degraded"
        else:
            overall = "ok"
        return {
            "status": overall,
            "ready": ready,
            "readiness": self.readiness,
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "components": {
                "store": store,
                "model": self.model.snapshot(),
            },
            "tool_calls": self.counters.snapshot(),
        }
