"""A real server process on a SQLite file that runs out of room, or that is killed: clients get a
clear store_unavailable and /readyz says why, the server recovers without a restart once there is
room, and no acknowledged write is ever lost."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from harness.servers import HttpServer, start_http_server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.anyio

resource = pytest.importorskip("resource")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HttpServer]:
    running = start_http_server(tmp_path / "tasks.db", tmp_path / "server.log", "--backend", "none")
    yield running
    running.stop()


def largest_file(db: Path) -> int:
    return max(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


async def ready_within(http: httpx.AsyncClient, seconds: float) -> httpx.Response:
    """Poll /readyz until it answers 200 (each probe re-checks a recorded fault)."""
    answers: list[httpx.Response] = []

    async def ready() -> bool:
        answers.append(await http.get("/readyz"))
        return answers[-1].status_code == 200

    await wait_until(ready, within_s=seconds, what="/readyz answering 200")
    return answers[-1]


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="sets the file size limit of another process")
async def test_a_full_disk_is_store_unavailable_and_not_ready_until_there_is_room(
    server: HttpServer, tmp_path: Path
) -> None:
    """The server's file size limit (ulimit -f, SIGXFSZ ignored as Python does) stands in for a full
    disk: SQLite's writes fail with an I/O error, exactly where a full disk fails them."""
    db = tmp_path / "tasks.db"
    pid = server.process.pid
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        first = (await http.post("/v1/tasks", json={"title": "before the limit"})).json()
        limit = largest_file(db) + 256 * 1024
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:
            accepted = [first["id"]]
            for n in range(200):
                response = await http.post("/v1/tasks", json={"title": f"filler {n}", "description": "x" * 9000})
                if response.status_code != 201:
                    break
                accepted.append(response.json()["id"])
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "store_unavailable" and f"the task database {db}" in error["message"]
            assert "disk" in error["message"]

            async with Client(streamable_http_client(server.mcp_url)) as client:
                result = await client.call_tool("create_task", {"title": "over MCP", "description": "x" * 9000})
            content = result.content[0]
            assert result.is_error and isinstance(content, TextContent)
            assert f"the task database {db}" in content.text

            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 503
            assert "file size limit" in not_ready.json()["reason"], not_ready.json()
            assert (await http.get(f"/v1/tasks/{first['id']}")).json()["title"] == "before the limit"
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

        await ready_within(http, 10)
        after = await http.post("/v1/tasks", json={"title": "after the room came back"})
        assert after.status_code == 201
        listed = (await http.get("/v1/tasks", params={"limit": 100})).json()
    assert [t["id"] for t in listed["tasks"]] == [*accepted, after.json()["id"]]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_a_killed_server_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "tasks.db"
    first = start_http_server(db, tmp_path / "first.log", "--backend", "none")
    try:
        async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as http:
            acknowledged = []
            for n in range(30):
                response = await http.post("/v1/tasks", json={"title": f"task {n}"})
                assert response.status_code == 201
                acknowledged.append(response.json()["id"])
            done = await http.post(f"/v1/tasks/{acknowledged[0]}/complete")
            assert done.status_code == 200
    finally:
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
    second = start_http_server(db, tmp_path / "second.log", "--backend", "none")
    try:
        async with httpx.AsyncClient(base_url=second.base_url, timeout=10) as http:
            listed = (await http.get("/v1/tasks", params={"limit": 100})).json()
    finally:
        second.stop()
    assert [t["id"] for t in listed["tasks"]] == acknowledged
    assert listed["tasks"][0]["status"] == "done"
