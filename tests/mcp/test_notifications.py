"""Notifications never wait on a client: a handshake-era subscriber that stops reading is dropped, and
the writes of other clients are answered as before."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.message import SessionMessage

from mcp_server.app import App
from mcp_server.mcp.notifications import ClientNotifier
from mcp_server.mcp.server import build_server
from tests.support.clients import call
from tests.support.subscriptions import UpdatesHeard

pytestmark = pytest.mark.anyio

LEGACY_VERSION = "2025-11-25"


def request(request_id: int, method: str, params: dict[str, Any]) -> SessionMessage:
    return SessionMessage(types.JSONRPCRequest(jsonrpc="2.0", id=request_id, method=method, params=params))


@asynccontextmanager
async def stalled_legacy_subscriber(app: App, uri: str) -> AsyncIterator[None]:
    """A handshake-era client on the real server's stream loop that subscribes to `uri` and then never
    reads again: the server's writes to it find no reader (the streams hold nothing)."""
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](0)
    low = app.server._lowlevel_server
    async with anyio.create_task_group() as serving:
        serving.start_soon(low.run, server_reads, server_writes, low.create_initialization_options())
        with anyio.fail_after(10):
            await to_server.send(
                request(
                    1,
                    "initialize",
                    {
                        "protocolVersion": LEGACY_VERSION,
                        "capabilities": {},
                        "clientInfo": {"name": "stalled", "version": "1"},
                    },
                )
            )
            assert isinstance((await from_server.receive()).message, types.JSONRPCResponse)
            initialized = types.JSONRPCNotification(jsonrpc="2.0", method="notifications/initialized")
            await to_server.send(SessionMessage(initialized))
            await to_server.send(request(2, "resources/subscribe", {"uri": uri}))
            assert isinstance((await from_server.receive()).message, types.JSONRPCResponse)
        try:
            yield  # from here on nothing reads what the server sends
        finally:
            from_server.close()
            to_server.close()
            serving.cancel_scope.cancel()


async def test_a_subscriber_that_stops_reading_never_delays_another_clients_writes(app: App) -> None:
    async with Client(app.server) as writer:
        task = await call(writer, "create_task", title="watched by a client that stopped reading")
        async with stalled_legacy_subscriber(app, f"task://{task['id']}"):
            with anyio.fail_after(20):  # a write that waited for the stalled client would wait forever
                for n in range(300):
                    await call(writer, "update_task", task_id=task["id"], title=f"revision {n}")
            assert (await call(writer, "list_tasks"))["tasks"][0]["title"] == "revision 299"


async def test_a_stalled_subscriber_is_dropped_once(app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mcp_server.mcp.notifications")
    server = build_server(app.service, app.health, notifier=ClientNotifier(stall_s=0.2))
    stalled = App(
        service=app.service,
        keys=app.keys,
        meter=app.meter,
        health=app.health,
        server=server,
        parser=None,
        metrics=app.metrics,
        runner=app.runner,
        store_description=app.store_description,
    )

    def dropped() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.getMessage() == "subscriber_dropped"]

    async with Client(server) as writer:
        task = await call(writer, "create_task", title="watched")
        async with stalled_legacy_subscriber(stalled, f"task://{task['id']}"):
            await call(writer, "update_task", task_id=task["id"], priority="high")
            with anyio.fail_after(10):
                while not dropped():
                    await call(writer, "update_task", task_id=task["id"], title="changed again")
            for n in range(20):  # dropped: later writes offer it nothing
                await call(writer, "update_task", task_id=task["id"], title=f"after the drop {n}")
    assert len(dropped()) == 1
    assert dropped()[0].uris == [f"task://{task['id']}"]


async def test_a_healthy_subscriber_keeps_hearing_through_a_burst_of_writes(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """Updates of one task that pile up while one is being sent are sent once: the subscriber is not
    taken for a stalled one."""
    caplog.set_level(logging.WARNING, logger="mcp_server.mcp.notifications")
    heard = UpdatesHeard()
    async with Client(app.server, mode="legacy", message_handler=heard.on_message) as subscriber:
        task = await call(subscriber, "create_task", title="watched")
        uri = f"task://{task['id']}"
        await subscriber.subscribe_resource(uri)
        async with Client(app.server) as writer:
            async with anyio.create_task_group() as writers:
                for n in range(300):
                    writers.start_soon(partial(call, writer, "update_task", task_id=task["id"], title=f"t{n}"))
            with anyio.fail_after(10):
                await heard.changed.wait()
            assert heard.uris and set(heard.uris) == {uri}
            after_burst = len(heard.uris)
            heard.expect_more()
            await call(writer, "complete_task", task_id=task["id"])  # still subscribed after the burst
            with anyio.fail_after(10):
                while len(heard.uris) == after_burst:
                    await heard.changed.wait()
                    heard.expect_more()
    assert not [r for r in caplog.records if r.getMessage() == "subscriber_dropped"]
