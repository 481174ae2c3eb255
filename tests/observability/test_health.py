"""Waiting for the model's state: woken by each change, from the loop or from a worker thread,
never by polling."""

from __future__ import annotations

import threading

import anyio
import anyio.to_thread
import pytest

from mcp_server.observability.health import ComponentState, ModelHealth, ModelsHealth

pytestmark = pytest.mark.anyio


def loading(backend: str) -> ModelHealth:
    health = ModelHealth(backend=backend)
    health.set(ComponentState.LOADING, f"loading {backend}")
    return health


async def test_wait_ready_returns_at_once_when_ready() -> None:
    health = ModelHealth()
    health.set(ComponentState.READY, "ready")
    with anyio.fail_after(1):
        await health.wait_ready()


async def test_a_waiter_wakes_on_the_change_it_waits_for() -> None:
    health = loading("ollama")
    seen: list[ComponentState] = []

    async def wait() -> None:
        seen.append(await health.wait_for(lambda h: h.state != ComponentState.LOADING))

    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            health.set(ComponentState.LOADING, "still loading")  # a change, but not the awaited one
            await anyio.wait_all_tasks_blocked()
            assert seen == []
            health.set(ComponentState.UNAVAILABLE, "gone")
    assert seen == [ComponentState.UNAVAILABLE]
    assert health._waiters == []  # nobody left watching


@pytest.mark.parametrize("how", ["anyio worker", "plain thread"])
async def test_a_change_from_another_thread_wakes_the_loop(how: str) -> None:
    health = loading("llamacpp")

    def load() -> None:
        health.set(ComponentState.READY, "loaded")

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(health.wait_ready)
            await anyio.wait_all_tasks_blocked()
            if how == "anyio worker":
                await anyio.to_thread.run_sync(load)
            else:
                thread = threading.Thread(target=load)
                thread.start()
                await anyio.to_thread.run_sync(thread.join)
    assert health.state == ComponentState.READY


async def test_the_models_wake_on_a_change_of_any_backend() -> None:
    ollama, embedded = loading("ollama"), loading("llamacpp")
    models = ModelsHealth([ollama, embedded], rules=True)
    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            group.start_soon(models.wait_for, lambda m: m.active == "llamacpp")
            await anyio.wait_all_tasks_blocked()
            ollama.set(ComponentState.UNAVAILABLE, "nothing listens")
            embedded.set(ComponentState.READY, "loaded")
    assert models.state == ComponentState.READY
    assert ollama._waiters == [] and embedded._waiters == []


async def test_a_cancelled_wait_stops_watching() -> None:
    health = loading("ollama")
    with anyio.move_on_after(0.05) as waited:
        await health.wait_ready()
    assert waited.cancelled_caught and health._waiters == []


async def test_without_backends_the_state_never_changes() -> None:
    with anyio.move_on_after(0.05) as waited:
        await ModelsHealth().wait_ready()
    assert waited.cancelled_caught
