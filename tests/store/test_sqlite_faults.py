"""The SQLite store under faults, on real files: worker-thread connections stay bounded, and a file
that was deleted, damaged or made read-only is refused with store_unavailable (a clear tool error,
REST 503) and reported not ready, never an internal error."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.types import TextContent

from mcp_server.app import App, open_app
from mcp_server.config import Settings
from mcp_server.core.domain import NewTask, TaskQuery
from mcp_server.core.errors import StoreUnavailable
from mcp_server.core.service import TaskService
from mcp_server.http.rest import build_rest_app
from mcp_server.observability.health import Health
from mcp_server.store.sqlite import MIGRATIONS, SQLiteTaskStore
from tests.support.clients import call

pytestmark = pytest.mark.anyio


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def tool_error(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    content = result.content[0]
    assert isinstance(content, TextContent)
    text = content.text
    assert "Error executing tool" not in text
    return text


@pytest.fixture
async def app_on(tmp_path: Path) -> AsyncIterator[tuple[App, Path]]:
    db = tmp_path / "data" / "tasks.db"
    async with open_app(Settings(db=str(db), backend="none")) as running:
        yield running, db


async def rest_answer(app: App, method: str, path: str, **options: Any) -> httpx.Response:
    rest = build_rest_app(app.service, app.runner)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rest), base_url="http://rest") as http:
        return await http.request(method, path, **options)


def assert_store_unavailable(response: httpx.Response, expected: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "store_unavailable" and expected in error["message"], error


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
async def test_bursts_of_searches_keep_connections_and_descriptors_bounded(tmp_path: Path) -> None:
    """Searches run in worker threads; ten bursts of 50 at once must not add a connection (two
    descriptors: the file and its WAL) per thread anyio ever started."""
    store = SQLiteTaskStore(tmp_path / "tasks.db")
    await store.open()
    try:
        service = TaskService(store)
        for n in range(300):
            await service.create_task(NewTask(title=f"task {n}", description="words " * 40))
        await store.get(1)
        before = open_descriptors()

        async def search() -> None:
            _, total = await store.list_page(TaskQuery(search="nothing has this"), after_id=None, limit=10)
            assert total == 0

        after_each_burst = []
        for _ in range(10):
            async with anyio.create_task_group() as group:
                for _ in range(50):
                    group.start_soon(search)
            after_each_burst.append(open_descriptors())
        # At most five pooled connections (four scans, one waiting write), two descriptors each.
        assert max(after_each_burst) <= before + 10, (before, after_each_burst)
        assert store.open_connections <= 6
    finally:
        await store.close()
    assert store.open_connections == 0


async def test_deleting_the_database_folder_refuses_writes_and_reports_not_ready(
    app_on: tuple[App, Path],
) -> None:
    app, db = app_on
    async with Client(app.server) as client:
        kept = await call(client, "create_task", title="written before")
        shutil.rmtree(db.parent)

        message = await tool_error(client, "create_task", title="written after")
        assert f"the task database {db} was deleted while the server ran" in message
        assert "restart the server" in message
        assert "was deleted" in await tool_error(client, "complete_task", task_id=kept["id"])
        assert_store_unavailable(await rest_answer(app, "POST", "/v1/tasks", json={"title": "over REST"}), "deleted")

        report = await app.health.report()
        assert report["ready"] is False and report["status"] == "down"
        assert "was deleted" in report["components"]["store"]["error"]
        # What was written before is still served from the open file until the restart.
        assert [t["title"] for t in (await call(client, "list_tasks"))["tasks"]] == ["written before"]


async def test_a_replaced_database_file_refuses_writes(app_on: tuple[App, Path]) -> None:
    app, db = app_on
    async with Client(app.server) as client:
        await call(client, "create_task", title="in the first file")
        replacement = db.with_name("other.db")
        shutil.copyfile(db, replacement)
        os.replace(replacement, db)
        assert "was replaced by another file" in await tool_error(client, "create_task", title="lost")
        assert (await app.health.report())["ready"] is False


def damage(db: Path) -> None:
    """In another process, as a failing disk or a stray write would: move everything into the file,
    overwrite every page after the first with garbage (0xff is no page type SQLite knows), then
    commit a change of the header, so that every connection drops its cache and reads the damage."""
    script = (
        "import os, sqlite3, sys\n"
        "path = sys.argv[1]\n"
        "conn = sqlite3.connect(path, isolation_level=None)\n"
        "conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')\n"
        "page = conn.execute('PRAGMA page_size').fetchone()[0]\n"
        "version = conn.execute('PRAGMA user_version').fetchone()[0]\n"
        "with open(path, 'r+b') as f:\n"
        "    f.seek(page)\n"
        "    f.write(b'\\xff' * (os.path.getsize(path) - page))\n"
        "conn.execute(f'PRAGMA user_version = {version}')\n"
        "conn.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, timeout=30)


async def test_a_damaged_file_is_store_unavailable_for_tools_and_rest_and_not_ready(
    app_on: tuple[App, Path],
) -> None:
    app, db = app_on
    async with Client(app.server) as client:
        for n in range(100):
            await call(client, "create_task", title=f"task {n}", description="words " * 50, tags=["t"])
        damage(db)

        assert "is damaged" in await tool_error(client, "list_tasks")
        assert "is damaged" in await tool_error(client, "create_task", title="after the damage")
        assert "is damaged" in await tool_error(client, "list_tasks", search="task")
        assert_store_unavailable(await rest_answer(app, "GET", "/v1/tasks"), "is damaged")
        assert_store_unavailable(await rest_answer(app, "POST", "/v1/tasks", json={"title": "x"}), "is damaged")

        report = await app.health.report()
        assert report["ready"] is False
        assert "is damaged" in report["components"]["store"]["error"]


def chattr(flag: str, *paths: Path) -> bool:
    return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True).returncode == 0


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr to make a file immutable")
async def test_a_read_only_file_is_not_ready_until_it_is_writable_again(tmp_path: Path) -> None:
    """An immutable file refuses writes even to root. Writes fail with store_unavailable and
    readiness says why; once the file is writable again, both recover without a restart."""
    db = tmp_path / "tasks.db"
    store = SQLiteTaskStore(db)
    await store.open()
    health = Health(store)
    service = TaskService(store)
    try:
        first = await service.create_task(NewTask(title="before"))
        # Never the -shm file: it is mapped into memory, and writing to an immutable mapping is SIGBUS.
        files = (db, db.with_name("tasks.db-wal"))
        if not chattr("+i", *files):
            pytest.skip("this file system has no immutable files")
        try:
            with pytest.raises(StoreUnavailable, match=f"the task database {db}"):
                await service.create_task(NewTask(title="refused"))
            with pytest.raises(StoreUnavailable, match=f"the task database {db}"):
                await service.delete_task(first.id)
            with pytest.raises(StoreUnavailable, match=f"the task database {db}"):
                await service.rename_list("inbox", "elsewhere")
            with pytest.raises(StoreUnavailable, match="is read-only"):
                await store.ping()
            report = await health.report()
            assert report["ready"] is False and "is read-only" in report["components"]["store"]["error"]
            assert await store.get(first.id) == first
        finally:
            chattr("-i", *files)
        await store.ping()
        assert (await health.report())["ready"] is True
        again = await service.create_task(NewTask(title="after"))
        assert [t.title for t in (await store.list_page(TaskQuery(), after_id=None, limit=10))[0]] == [
            "before",
            "after",
        ]
        assert again.id > first.id
    finally:
        await store.close()


async def test_a_write_the_file_refuses_is_store_unavailable_and_readiness_rechecks_the_file(tmp_path: Path) -> None:
    """A write refused by the file (here a trigger added from outside) is store_unavailable with
    SQLite's reason, and readiness clears the fault once its whole-file check and test write pass."""
    db = tmp_path / "tasks.db"
    store = SQLiteTaskStore(db)
    service = TaskService(store)
    await store.open()
    try:
        await service.create_task(NewTask(title="fine"))
        script = "CREATE TRIGGER refuse BEFORE INSERT ON tasks BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
        with contextlib.closing(sqlite3.connect(db)) as other:
            other.execute(script)
        with pytest.raises(StoreUnavailable, match="could not complete the operation: refused by trigger"):
            await service.create_task(NewTask(title="refused"))
        await store.ping()  # the file itself is healthy: quick_check and the test write pass
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()


async def test_a_file_that_cannot_grow_says_so_rather_than_how_the_rollback_failed(tmp_path: Path) -> None:
    """SQLite rolls a transaction back itself when the file cannot grow; the caller must hear that the
    disk is full, not that the store's own ROLLBACK found no transaction. The file is capped from
    outside with max_page_count, which SQLite answers with the same SQLITE_FULL a full disk gives."""
    db = tmp_path / "tasks.db"
    store = SQLiteTaskStore(db)
    service = TaskService(store)
    await store.open()
    try:
        await service.create_task(NewTask(title="fits"))
        pages = await store._read(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
        capped = store._inline or store._open_inline()
        capped.execute(f"PRAGMA max_page_count = {pages}")

        async def fill() -> None:
            for n in range(200):
                await service.create_task(NewTask(title=f"grows the file {n}", description="x" * 2000))

        with pytest.raises(StoreUnavailable, match="cannot grow: the disk is full") as refused:
            await fill()
        assert "cannot rollback" not in str(refused.value)
    finally:
        await store.close()
