"""Writes the databases that test_migration.py opens: a SQLite file and a PostgreSQL dump made by the
release before lists (commit 6960856: SQLite schema version 2, PostgreSQL schema version 1), through
that release's own TaskService and stores, and release_v2.json, the tasks and idempotency keys as
that release returned them.

It was run against commit 6960856, from a checkout of it, as:

    git worktree add /tmp/release-v2 6960856
    cd /tmp/release-v2 && PYTHONPATH=/tmp/release-v2 /path/to/.venv/bin/python \\
        /path/to/repo/tests/store/data/make_release_v2.py

and refuses to run on any code but that release's (it checks the schema versions it would write).
Running it again rewrites the three files next to it (with new timestamps).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import mcp_server
from harness.postgres_server import PostgresServer, pg_binary
from mcp_server.core.domain import NewTask, Priority, Status, TaskPatch
from mcp_server.core.service import TaskService
from mcp_server.store import postgres as postgres_store
from mcp_server.store import sqlite as sqlite_store

RELEASE = "6960856"
HERE = Path(__file__).resolve().parent
SQLITE_FILE = HERE / "release_v2.sqlite"
PG_DUMP = HERE / "release_v2.pg.sql"
MANIFEST = HERE / "release_v2.json"

# (idempotency key or None, what to create)
CREATES: list[tuple[str | None, dict[str, Any]]] = [
    (
        "key-report",
        {
            "title": "Write the quarterly report",
            "description": "Numbers from finance first",
            "priority": "high",
            "tags": ["work", "reports"],
            "due": "2026-03-31",
        },
    ),
    (None, {"title": "Buy milk", "tags": ["home", "errands"], "due": "2026-02-01T09:30:00+01:00"}),
    (None, {"title": "Call the dentist", "priority": "low", "due": "2026-02-10T08:00:00Z"}),
    (None, {"title": "Renew passport", "tags": ["admin"]}),
    ("key-offsite", {"title": "Plan the offsite", "tags": ["work"], "due": "2026-04-15"}),
    ("key-deleted", {"title": "Throw this away", "tags": ["junk"]}),
    (None, {"title": "Pay rent", "priority": "high", "due": "2026-02-28"}),
    (None, {"title": "Read «Ulysses», chapter 1", "description": "Über 700 Seiten", "tags": ["bücher"]}),
    (None, {"title": "Fix the bike", "due": "2026-05-01", "description": "rear brake"}),
    ("key-flights", {"title": "Book flights", "tags": ["travel", "work"], "priority": "urgent"}),
    (None, {"title": "Delete me too"}),
    (None, {"title": "Water the plants", "tags": ["home"]}),
    (None, {"title": "Sort the photos", "priority": "low"}),
    ("key-expenses", {"title": "Submit expenses", "tags": ["work"], "due": "2026-01-31"}),
]


async def write(service: TaskService) -> dict[str, Any]:
    """The same history on either store: creates, updates, completions, deletes. Returns what the
    release answered: every task left, the deleted ids, and every idempotency key with its task."""
    ids: dict[str, int] = {}
    keys: list[dict[str, Any]] = []
    for key, fields in CREATES:
        new = NewTask(**fields)
        task = await service.create_task(new, idempotency_key=key)
        ids[task.title] = task.id
        if key is not None:
            keys.append({"key": key, "new": new.model_dump(mode="json"), "task_id": task.id})
    await service.complete_task(ids["Renew passport"])
    offsite = ids["Plan the offsite"]
    await service.update_task(
        offsite, TaskPatch(title="Plan the team offsite", priority=Priority.HIGH), expected_version=1
    )
    await service.update_task(offsite, TaskPatch(tags=["work", "team"], due="2026-04-22"), expected_version=2)
    rent = ids["Pay rent"]
    await service.complete_task(rent)
    await service.update_task(rent, TaskPatch(status=Status.OPEN))  # reopened: completed_at cleared
    await service.update_task(ids["Fix the bike"], TaskPatch(due=None, description=None))  # both cleared
    await service.complete_task(ids["Submit expenses"])
    deleted = [ids["Throw this away"], ids["Delete me too"]]
    for task_id in deleted:
        await service.delete_task(task_id)
    for entry in keys:
        entry["deleted"] = entry["task_id"] in deleted
    page = await service.list_tasks(limit=50)
    assert page.total == len(CREATES) - len(deleted) and page.next_cursor is None
    return {
        "schema_version": await service.store.schema_version(),
        "tasks": [task.model_dump(mode="json") for task in page.tasks],
        "deleted_ids": deleted,
        "keys": keys,
    }


async def write_sqlite() -> dict[str, Any]:
    for path in (SQLITE_FILE, SQLITE_FILE.with_name(SQLITE_FILE.name + "-wal")):
        path.unlink(missing_ok=True)
    store = sqlite_store.SQLiteTaskStore(SQLITE_FILE)
    await store.open()
    try:
        written = await write(TaskService(store))
    finally:
        await store.close()
    # The last connection to close moves the WAL into the file: the file alone is the database.
    sqlite3.connect(SQLITE_FILE).close()
    assert not SQLITE_FILE.with_name(SQLITE_FILE.name + "-wal").exists()
    return written


async def write_postgres(url: str) -> dict[str, Any]:
    store = postgres_store.PostgresTaskStore(url)
    await store.open()
    try:
        return await write(TaskService(store))
    finally:
        await store.close()


def main() -> None:
    if len(sqlite_store.MIGRATIONS) != 2 or len(postgres_store.MIGRATIONS) != 1 or "list" in NewTask.model_fields:
        raise SystemExit(f"run this with the code of release {RELEASE} (see the docstring), not {mcp_server.__file__}")
    print(f"writing with {mcp_server.__file__}")
    sqlite_written = asyncio.run(write_sqlite())
    server = PostgresServer().init().start()
    try:
        url = server.create_database()
        postgres_written = asyncio.run(write_postgres(url))
        dump = subprocess.run(
            [pg_binary("pg_dump"), "--no-owner", "--format=plain", url],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        PG_DUMP.write_text(dump.stdout)
    finally:
        server.destroy()
    assert sqlite_written["keys"] == postgres_written["keys"]
    manifest = {
        "release": RELEASE,
        "keys": sqlite_written.pop("keys"),
        "sqlite": sqlite_written,
        "postgres": {k: v for k, v in postgres_written.items() if k != "keys"},
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    for path in (SQLITE_FILE, PG_DUMP, MANIFEST):
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
