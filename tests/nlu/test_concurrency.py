"""The generation slots: a FIFO queue of bounded length in front of them, a fast "busy" past it or
past the command's deadline, and a limit that grows while the engine keeps up and every slot is in
use, holds when first tokens slow, halves once per burst when the engine says it is busy or times
out, and stays within 1 and its ceiling; a fixed limit for the in-process model."""

from __future__ import annotations

import anyio
import pytest

from mcp_server.config import ConfigError, Settings
from mcp_server.nlu.concurrency import Busy, ConcurrencyLimit, Outcome, adaptive_slots, fixed_slots

pytestmark = pytest.mark.anyio


async def round_of(slots: ConcurrencyLimit, outcome: Outcome, first_token_s: float | None = 0.25) -> None:
    """Every slot taken together, then all given back with the same outcome."""
    held = [await slots.acquire() for _ in range(slots.current)]
    for slot in held:
        slots.release(slot, outcome, first_token_s)


async def test_past_the_limit_commands_wait_in_order_and_past_the_queue_are_refused() -> None:
    slots = ConcurrencyLimit(initial=2, ceiling=2, max_queued=2, adaptive=False)
    held = [await slots.acquire(), await slots.acquire()]
    served: list[int] = []

    async def waiter(n: int) -> None:
        await slots.acquire()
        served.append(n)

    async with anyio.create_task_group() as group:
        for n in (1, 2):
            group.start_soon(waiter, n)
            await anyio.wait_all_tasks_blocked()
        assert slots.waiting == 2
        with pytest.raises(Busy, match="2 requests queued"):
            await slots.acquire()
        for slot in held:
            slots.release(slot, Outcome.ANSWERED, 0.1)
    assert served == [1, 2] and slots.in_flight == 2 and slots.waiting == 0


async def test_a_command_asking_again_keeps_its_place_past_a_full_queue_but_not_past_its_deadline() -> None:
    slots = ConcurrencyLimit(initial=1, ceiling=1, max_queued=0, adaptive=False)
    held = await slots.acquire()
    with pytest.raises(Busy, match="requests queued"):
        await slots.acquire()  # a new command: the queue (of none) is full
    with pytest.raises(Busy, match="no slot came free in this command's time"):
        await slots.acquire(deadline=anyio.current_time(), admitted=True)
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: slots.acquire(admitted=True))  # asking again: it may wait
        await anyio.wait_all_tasks_blocked()
        assert slots.waiting == 1
        slots.release(held, Outcome.BUSY)
    assert slots.in_flight == 1 and slots.waiting == 0


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    slots = ConcurrencyLimit(initial=1, ceiling=1, max_queued=4, adaptive=False)
    held = await slots.acquire()
    async with anyio.create_task_group() as group:
        group.start_soon(slots.acquire)  # waits, then is cancelled while still waiting
        await anyio.wait_all_tasks_blocked()
        group.cancel_scope.cancel()
    assert slots.waiting == 0 and slots.in_flight == 1
    slots.release(held, Outcome.ANSWERED)
    assert slots.in_flight == 0


async def test_the_limit_grows_while_every_slot_is_used_and_the_engine_keeps_up_never_past_the_ceiling() -> None:
    slots = adaptive_slots(initial=2, ceiling=4, max_queued=8)
    for _ in range(40):
        await round_of(slots, Outcome.ANSWERED, 0.25)
    assert slots.current == 4


async def test_an_engine_not_kept_busy_or_not_keeping_up_does_not_widen_it() -> None:
    slots = adaptive_slots(initial=2, ceiling=16, max_queued=8)
    for _ in range(50):  # one command at a time: the limit never held anyone back
        slots.release(await slots.acquire(), Outcome.ANSWERED, 0.25)
    assert slots.current == 2
    for _ in range(20):  # saturated, but the engine queues them: first tokens six times the fastest recent one
        await round_of(slots, Outcome.ANSWERED, 1.5)
    assert slots.current == 2


async def test_a_burst_of_refusals_halves_it_once_and_a_later_one_again() -> None:
    slots = adaptive_slots(initial=16, ceiling=64, max_queued=8)
    await round_of(slots, Outcome.BUSY)  # sixteen 503s of calls sent together: one signal
    assert slots.current == 8
    await round_of(slots, Outcome.TIMED_OUT)  # sent after the cut: a new signal
    assert slots.current == 4
    for _ in range(20):
        slots.release(await slots.acquire(), Outcome.BUSY)
    assert slots.current == 1
    slots.release(await slots.acquire(), Outcome.FAILED)  # an error that says nothing about capacity
    assert slots.current == 1


async def test_each_answer_lets_one_waiting_for_room_in_the_engine_go_in_order() -> None:
    slots = adaptive_slots(initial=4, ceiling=4, max_queued=1)
    held = [await slots.acquire() for _ in range(3)]
    woke: list[int] = []

    async def wait_for_room(n: int) -> None:
        await slots.room(deadline=anyio.current_time() + 10)
        woke.append(n)

    async with anyio.create_task_group() as group:
        for n in (1, 2):
            group.start_soon(wait_for_room, n)
            await anyio.wait_all_tasks_blocked()
        slots.release(held[0], Outcome.BUSY)  # a refusal frees no room in the engine
        await anyio.wait_all_tasks_blocked()
        assert woke == []
        slots.release(held[1], Outcome.ANSWERED, 0.1)
        await anyio.wait_all_tasks_blocked()
        assert woke == [1]
        slots.release(held[2], Outcome.ANSWERED, 0.1)
    assert woke == [1, 2]


async def test_a_fixed_limit_never_moves_and_a_start_past_the_ceiling_is_refused() -> None:
    slots = fixed_slots(3, max_queued=1)
    await round_of(slots, Outcome.BUSY)
    assert slots.current == 3
    assert adaptive_slots(initial=16, ceiling=2, max_queued=1).current == 2  # --model-concurrency 2 caps the start
    with pytest.raises(ValueError, match=r"within 1\.\.2"):
        ConcurrencyLimit(initial=3, ceiling=2, max_queued=1)


@pytest.mark.parametrize("cap", [0, -1])
def test_a_cap_below_one_is_refused_and_none_is_the_engine_s_default(cap: int) -> None:
    with pytest.raises(ConfigError, match="concurrency >= 1"):
        Settings(backend="ollama", model_concurrency=cap).validate()
    assert Settings(backend="ollama").validate().model_concurrency is None
