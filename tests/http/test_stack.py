"""The streamable HTTP stack: MCP over HTTP, probes, Host/Origin, the bearer token, logs, metrics and
limits, in-process through the ASGI app the server serves; a real `task-api-mcp serve --transport
http` process where the process itself is what is tested (a restart, its JSON logs on stderr)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
from mcp import Client

from harness.clients import http_client_with_headers
from harness.mcp_messages import INITIALIZE, MCP_HEADERS
from harness.servers import HttpServer, start_http_server
from mcp_server.app import App
from mcp_server.config import Settings
from mcp_server.http.stack import build_http_app
from tests.support.asgi import InProcessServer, serve_in_process
from tests.support.clients import add_tag_until_it_lands, call
from tests.support.waiting import wait_until

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_both_client_generations_work_over_http(served: InProcessServer, mode: str) -> None:
    async with served.mcp(mode=mode) as client:
        assert {t.name for t in (await client.list_tools()).tools} >= {"create_task", "list_tasks"}
        task = await call(client, "create_task", title=f"from {mode}", tags=["http"])
        done = await call(client, "complete_task", task_id=task["id"])
        assert done["status"] == "done"
        page = await call(client, "list_tasks", tag="http")
        assert [t["title"] for t in page["tasks"]] == [f"from {mode}"]
        error = await client.call_tool("update_task", {"task_id": 12345, "title": "x"})
        assert error.is_error and "does not exist" in error.content[0].text


async def test_data_survives_a_server_restart(db_path: Path, tmp_path: Path) -> None:
    first = start_http_server(db_path, tmp_path / "first.log", "--backend", "none")
    try:
        async with Client(first.mcp_url) as client:
            created = await call(client, "create_task", title="durable", due="2026-12-24", tags=["keep"])
    finally:
        first.stop()
    second = start_http_server(db_path, tmp_path / "second.log", "--backend", "none")
    try:
        async with Client(second.mcp_url, mode="legacy") as client:
            page = await call(client, "list_tasks")
    finally:
        second.stop()
    assert page["tasks"] == [created]


async def test_ten_clients_updating_the_same_tasks_lose_nothing(served: InProcessServer) -> None:
    """Each client adds its own tag to every task by read-modify-write with expected_version,
    retrying on conflict: every tag must end up on every task, one version per change."""
    async with served.mcp() as setup:
        task_ids = [(await call(setup, "create_task", title=f"shared {n}"))["id"] for n in range(3)]
    conflicts = 0

    async def worker(n: int) -> None:
        nonlocal conflicts
        async with served.mcp() as client:
            for task_id in task_ids:
                conflicts += await add_tag_until_it_lands(client, task_id, f"c{n}")

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for n in range(10):
                group.start_soon(worker, n)

    async with served.mcp() as check:
        for task_id in task_ids:
            task = json.loads((await check.read_resource(f"task://{task_id}")).contents[0].text)
            assert sorted(task["tags"]) == sorted(f"c{n}" for n in range(10))
            assert task["version"] == 11
    print(f"conflicts seen and retried: {conflicts}")


async def test_probes(served: InProcessServer) -> None:
    async with served.http() as http:
        assert (await http.get("/healthz")).json() == {"status": "alive"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        spec = await http.get("/health")
    assert spec.status_code == 200
    body = spec.json()
    assert body["is_ready"] is True and body["status"] == "ok" and body["model_status"] == "disabled"
    assert body["uptime_seconds"] >= 0 and body["request_count"] == 0


async def test_readyz_is_503_with_a_reason_when_the_store_is_down(app: App) -> None:
    asgi = build_http_app(app.server, app.health)
    await app.service.store.close()
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready" and "store: the task store is closed" in response.json()["reason"]


async def test_dns_rebinding_is_refused(served: InProcessServer) -> None:
    async with served.http() as http:
        bad_host = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Host": "evil.test"})
        bad_origin = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Origin": "http://evil.test"})
        good = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Origin": "http://127.0.0.1:8000"})
    assert bad_host.status_code == 421
    assert bad_origin.status_code == 403
    assert good.status_code == 200


async def test_bearer_token_guards_mcp_but_not_probes(http_settings: Settings) -> None:
    settings = replace(http_settings, token="s3cret-token-for-tests")
    async with serve_in_process(settings) as server, server.http() as http:
        missing = await http.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        wrong = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": "Bearer nope"})
        probe = await http.get("/healthz")
        spec_probe = await http.get("/health")
        metrics = await http.get("/metrics")
        assert missing.status_code == 401 and wrong.status_code == 401
        assert missing.json()["error"]["code"] == "unauthorized"
        assert probe.status_code == 200 and spec_probe.status_code == 200
        assert metrics.status_code == 401
        async with server.mcp({"Authorization": "Bearer s3cret-token-for-tests"}) as client:
            assert (await call(client, "create_task", title="authorised"))["id"] == 1


async def test_every_tool_call_is_one_json_log_line_with_request_id(http_server: HttpServer) -> None:
    """The real CLI's logs: one JSON object a line on stderr, the start first."""
    async with http_client_with_headers(http_server.mcp_url, {"X-Request-ID": "trace-123"}) as client:
        await call(client, "create_task", title="logged")
        await client.call_tool("complete_task", {"task_id": 999})

    def records() -> list[dict[str, Any]]:
        return [json.loads(line) for line in http_server.logs().splitlines() if line.strip()]

    def tool_calls() -> list[dict[str, Any]]:
        return [r for r in records() if r["event"] == "tool_call"]

    # The server writes each line once the answer is on its way: it may land after the client has it.
    await wait_until(lambda: len(tool_calls()) >= 2, within_s=10, what="two tool_call lines in the server's log")
    calls = tool_calls()
    assert [(c["tool"], c["outcome"], c["error_kind"]) for c in calls] == [
        ("create_task", "ok", None),
        ("complete_task", "error", "not_found"),
    ]
    assert all(c["request_id"] == "trace-123" and c["duration_ms"] >= 0 for c in calls)
    assert records()[0]["event"] == "server_start"


async def test_stateful_http_delivers_legacy_subscription_updates(http_settings: Settings) -> None:
    updates: list[str] = []
    arrived = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updates.append(message.params.uri)
            arrived.set()

    stateful = serve_in_process(replace(http_settings, stateless=False))
    async with stateful as server, server.mcp(mode="legacy", message_handler=on_message) as client:
        task = await call(client, "create_task", title="watched over http")
        await client.subscribe_resource(f"task://{task['id']}")
        async with server.mcp() as other:  # the change comes from another client
            await call(other, "complete_task", task_id=task["id"])
        with anyio.fail_after(10):
            await arrived.wait()
    assert updates == [f"task://{task['id']}"]


async def test_listen_stream_delivers_updates_over_stateless_http(served: InProcessServer) -> None:
    async with served.mcp() as client:
        task = await call(client, "create_task", title="watched")
        async with client.listen(resource_subscriptions=[f"task://{task['id']}"]) as subscription:
            async with served.mcp() as other:
                await call(other, "update_task", task_id=task["id"], priority="urgent")
            with anyio.fail_after(10):
                event = await subscription.__anext__()
    assert getattr(event, "uri", None) == f"task://{task['id']}"


async def test_metrics_count_tool_calls_by_outcome(served: InProcessServer) -> None:
    async with served.mcp() as client:
        await call(client, "create_task", title="measured")
        await client.call_tool("complete_task", {"task_id": 404})
    async with served.http() as http:
        response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'task_api_tool_calls_total{error_kind="",outcome="ok",tool="create_task"} 1.0' in text
    assert 'task_api_tool_calls_total{error_kind="not_found",outcome="error",tool="complete_task"} 1.0' in text
    assert 'task_api_tool_call_seconds_count{outcome="ok",tool="create_task"} 1.0' in text
    assert "task_api_store_errors_total 0.0" in text
    assert 'task_api_http_requests_total{method="POST",route="/mcp",status="200"}' in text


async def test_every_http_request_gets_an_access_log_line_and_a_request_id(
    served: InProcessServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mcp_server.access")
    async with served.http() as http:
        chosen = await http.get("/healthz", headers={"X-Request-ID": "probe-7"})
        made = await http.get("/nope")
        hostile = await http.get("/healthz", headers={"X-Request-ID": "a b\\n{}"})
    assert chosen.headers["x-request-id"] == "probe-7"
    assert len(made.headers["x-request-id"]) == 32 and made.status_code == 404
    assert hostile.headers["x-request-id"] != "a b\\n{}"
    lines = [record.__dict__ for record in caplog.records if record.getMessage() == "http_request"]
    assert len(lines) == 3
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["probe-7"]["path"] == "/healthz" and by_id["probe-7"]["status"] == 200
    assert by_id[made.headers["x-request-id"]]["status"] == 404
    assert all(line["duration_ms"] >= 0 and line["client"].startswith("127.0.0.1:") for line in lines)


async def chunked(piece: bytes, times: int) -> AsyncIterator[bytes]:
    """A body without Content-Length, so the limit must be enforced while reading."""
    for _ in range(times):
        yield piece


async def test_body_too_large_is_413_and_rate_limit_is_429(http_settings: Settings) -> None:
    settings = replace(http_settings, rate_limit="5/minute", max_body_bytes=2048)
    async with serve_in_process(settings) as server, server.http() as http:
        big = await http.post("/mcp", content=b"x" * 5000, headers=MCP_HEADERS)
        chunks = await http.post("/mcp", content=chunked(b"x" * 1500, 3), headers=MCP_HEADERS)
        answers = [await http.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS) for _ in range(6)]
        probe = await http.get("/healthz")
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
    assert chunks.status_code == 413
    statuses = [a.status_code for a in answers]
    assert statuses.count(429) >= 1 and statuses[0] == 200, statuses
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
    assert probe.status_code == 200
