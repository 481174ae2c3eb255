"""Waiting in tests, always under a deadline and failing with what never happened: for the model's
state, woken by each change of it; and, for what signals nothing (a line another process writes to
its log, a server process that starts), by polling the condition."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from mcp_server.observability.health import ComponentState, ModelHealth, ModelsHealth

POLL_S = 0.02  # how often the condition is read; the deadline, not this, bounds the wait


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], *, within_s: float, what: str) -> None:
    """Return once `condition()` is true; raise AssertionError naming `what` after `within_s`."""
    with anyio.move_on_after(within_s):
        while True:
            outcome = condition()
            if outcome if isinstance(outcome, bool) else await outcome:
                return
            await anyio.sleep(POLL_S)
    raise AssertionError(f"{what} did not happen within {within_s:g} s")


def wait_until_sync(condition: Callable[[], bool], *, within_s: float, what: str) -> None:
    """`wait_until` for synchronous tests."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within_s:g} s")
        time.sleep(POLL_S)


async def load_ended(health: ModelHealth | ModelsHealth, *, within_s: float = 120) -> ComponentState:
    """Until the model is no longer loading (ready, or unavailable with its reason); its state then."""
    with anyio.move_on_after(within_s):
        return await health.wait_for(lambda h: h.state != ComponentState.LOADING)
    raise AssertionError(f"the model was still loading ({health.detail}) after {within_s:g} s")
