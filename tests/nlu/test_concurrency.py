"""The generation slots: a FIFO queue of bounded length in front of them, a fast "busy" past it, and
a limit that grows while the engine keeps up, shrinks when its first tokens slow, halves when it
says it is busy or times out, and stays within 1 and its ceiling; a fixed limit for the in-process
model. A cancelled waiter leaves the queue."""

from __future__ import annotations

import anyio
import pytest

from mcp_server.nlu.concurrency import Busy, ConcurrencyLimit, Outcome, adaptive_slots, fixed_slots

pytestmark = pytest.mark.anyio


async def test_past_the_limit_commands_wait_in_order_and_past_the_queue_are_refused() -> None:
    slots = ConcurrencyLimit(initial=2, ceiling=2, max_queued=2, adaptive=False)
    await slots.acquire()
    await slots.acquire()
    served: list[int] = []

    async def waiter(n: int) -> None:
        await slots.acquire()
        served.append(n)

    async with anyio.create_task_group() as group:
        for n in (1, 2):
            group.start_soon(waiter, n)
            await anyio.wait_all_tasks_blocked()
        assert slots.waiting == 2
        with pytest.raises(Busy, match="busy"):
            await slots.acquire()
        slots.release(Outcome.ANSWERED, 0.1)
        slots.release(Outcome.ANSWERED, 0.1)
    assert served == [1, 2] and slots.in_flight == 2 and slots.waiting == 0


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    slots = ConcurrencyLimit(initial=1, ceiling=1, max_queued=4, adaptive=False)
    await slots.acquire()
    async with anyio.create_task_group() as group:
        group.start_soon(slots.acquire)  # waits, then is cancelled while still waiting
        await anyio.wait_all_tasks_blocked()
        group.cancel_scope.cancel()
    assert slots.waiting == 0 and slots.in_flight == 1
    slots.release(Outcome.ANSWERED)  # nobody is waiting for it now
    assert slots.in_flight == 0
    await slots.acquire()
    assert slots.in_flight == 1


async def test_the_limit_grows_while_the_engine_keeps_up_and_never_past_the_ceiling() -> None:
    slots = adaptive_slots(initial=2, ceiling=4, max_queued=8)
    for _ in range(40):  # always saturated: every slot taken, every first token as fast as the fastest
        for _ in range(slots.current):
            await slots.acquire()
        for _ in range(slots.current):
            slots.release(Outcome.ANSWERED, 0.25)
    assert slots.current == 4


async def test_an_idle_engine_does_not_widen_the_limit() -> None:
    slots = adaptive_slots(initial=2, ceiling=16, max_queued=8)
    for _ in range(50):  # one command at a time: the limit never held anyone back
        await slots.acquire()
        slots.release(Outcome.ANSWERED, 0.25)
    assert slots.current == 2


async def test_busy_and_timeouts_halve_it_and_slow_first_tokens_narrow_it() -> None:
    slots = adaptive_slots(initial=16, ceiling=64, max_queued=8)
    await slots.acquire()
    slots.release(Outcome.BUSY)
    assert slots.current == 8
    await slots.acquire()
    slots.release(Outcome.TIMED_OUT)
    assert slots.current == 4
    await slots.acquire()
    slots.release(Outcome.ANSWERED, 0.25)  # the reference
    for _ in range(5):
        await slots.acquire()
        slots.release(Outcome.ANSWERED, 1.5)  # queueing in the engine: six times slower to start
    assert slots.current == 2  # 4 x 0.9^5 = 2.36
    for _ in range(20):
        await slots.acquire()
        slots.release(Outcome.BUSY)
    assert slots.current == 1
    await slots.acquire()
    slots.release(Outcome.FAILED)  # an error that says nothing about capacity
    assert slots.current == 1


async def test_a_fixed_limit_never_moves_and_a_start_past_the_ceiling_is_refused() -> None:
    slots = fixed_slots(3, max_queued=1)
    await slots.acquire()
    slots.release(Outcome.BUSY)
    assert slots.current == 3
    assert adaptive_slots(initial=16, ceiling=2, max_queued=1).current == 2  # --model-concurrency 2 caps the start
    with pytest.raises(ValueError, match=r"within 1\.\.2"):
        ConcurrencyLimit(initial=3, ceiling=2, max_queued=1)
