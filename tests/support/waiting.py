"""Waiting for something that signals nothing (a model loading in a worker thread, a probe that
re-checks a file): poll the condition under a deadline, and fail saying what never happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

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
