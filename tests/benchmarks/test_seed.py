"""Seeded benchmark stores hold what the store itself would have written, shaped like a real user's."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks.seed import LISTS, RECURRENCE, TASK_COLUMNS, parent_with_subtasks, seed_rows, seed_sqlite
from mcp_server.core.domain import StatusFilter, TaskQuery
from mcp_server.core.service import TaskService
from mcp_server.store.sqlite import MIGRATIONS, SQLiteTaskStore

pytestmark = pytest.mark.anyio

COUNT = 2000
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_a_smaller_store_is_the_first_tasks_of_a_larger_one() -> None:
    small, large = seed_rows(300, random.Random(0), now=NOW), seed_rows(COUNT, random.Random(0), now=NOW)
    assert large.tasks[:300] == small.tasks
    parent = parent_with_subtasks(300)
    assert small.subtasks[parent] >= 2 and large.subtasks[parent] >= small.subtasks[parent]


def test_seeded_tasks_spread_over_lists_subtasks_trash_and_recurrence() -> None:
    tasks: list[dict[str, Any]] = [
        dict(zip(TASK_COLUMNS, row, strict=True)) for row in seed_rows(COUNT, random.Random(0), now=NOW).tasks
    ]
    by_id = {task["id"]: task for task in tasks}
    lists = Counter(task["list"] for task in tasks)
    assert set(lists) == set(LISTS) and lists.most_common(1)[0][0] == "inbox"
    subtasks = [task for task in tasks if task["parent_id"] is not None]
    assert 0.15 < len(subtasks) / COUNT < 0.25
    assert all(by_id[t["parent_id"]]["list"] == t["list"] and t["parent_id"] < t["id"] for t in subtasks)
    assert any(by_id[t["parent_id"]]["parent_id"] is not None for t in subtasks)  # two levels deep
    trashed = [task for task in tasks if task["deleted_at"] is not None]
    assert 0.01 < len(trashed) / COUNT < 0.08
    week_ago = NOW - dt.timedelta(days=7)
    assert all(week_ago <= dt.datetime.fromisoformat(t["deleted_at"]) < NOW for t in trashed)
    recurring = [task for task in tasks if task["recurrence"] is not None]
    assert recurring
    for task in recurring:
        assert (task["recurrence"], task["timezone"], task["status"]) == (RECURRENCE, "UTC", "open")
        assert dt.date.fromisoformat(task["due"]).weekday() == 0


async def test_a_seeded_store_opens_and_answers_every_benchmark_filter(tmp_path: Path) -> None:
    path = tmp_path / "seeded.db"
    await seed_sqlite(path, COUNT)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("SELECT count(*) FROM tasks").fetchone()[0] == COUNT
    store = SQLiteTaskStore(path)
    await store.open()
    try:
        service = TaskService(store)
        parent = parent_with_subtasks(COUNT)
        children = await service.list_tasks(TaskQuery(parent_id=parent))
        assert children.total >= 2 and all(t.parent_id == parent for t in children.tasks)
        counts = (await service.get_task(parent)).subtasks
        assert counts.open + counts.done == children.total
        work = await service.list_tasks(TaskQuery(list="work", status=StatusFilter.OPEN))
        assert work.total > 100 and all(t.list == "work" and t.deleted_at is None for t in work.tasks)
        trash = await service.list_tasks(TaskQuery(status=StatusFilter.DELETED))
        assert trash.total > 0 and all(t.deleted_at is not None for t in trash.tasks)
        found = await service.list_tasks(TaskQuery(search="invoice"))
        assert found.total > 0 and all("invoice" in t.title.lower() for t in found.tasks)
        history = await service.history(found.tasks[0].id)
        assert history.entries[0].kind == "created" and history.entries[-1].version == found.tasks[0].version
        lists = {item.name for item in await service.list_lists()}
        assert lists == set(LISTS)
        assert await service.purge_expired() == 0  # the trash is recent: nothing expires when a server starts
    finally:
        await store.close()
