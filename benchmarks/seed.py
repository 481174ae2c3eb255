"""Large SQLite task stores for benchmarks, written in bulk.

The schema comes from the store itself (SQLiteTaskStore.open runs its migrations); the rows are
inserted in one transaction, since creating 100k tasks one call at a time would take minutes and
measure nothing the benchmark is about. Rows are what the store would have written: the same
columns, due sort keys and tag index.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from pathlib import Path

import anyio

from mcp_server.core.domain import due_sort_key
from mcp_server.store.sqlite import SQLiteTaskStore

TAGS = ["work", "home", "errands", "health", "finance", "reading", "garden", "car", "school", "travel"]
VERBS = ["Review", "Write", "Call", "Buy", "Fix", "Plan", "Book", "Send", "Clean", "Read", "Pay", "Prepare"]
OBJECTS = ["report", "invoice", "PR", "dentist", "groceries", "slides", "tickets", "budget", "garage", "notes"]


def seed_rows(count: int, rng: random.Random) -> list[tuple[object, ...]]:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(1, count + 1):
        created = (start + dt.timedelta(minutes=n)).isoformat()
        done = rng.random() < 0.3
        due = (
            (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 730))).isoformat() if rng.random() < 0.6 else None
        )
        tags = sorted(rng.sample(TAGS, rng.randint(0, 3)))
        rows.append(
            (
                n,
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {n}",
                f"details for task {n}" if rng.random() < 0.3 else None,
                "done" if done else "open",
                rng.choice(["low", "normal", "normal", "high", "urgent"]),
                due,
                due_sort_key(due) if due else None,
                json.dumps(tags),
                created,
                created,
                created if done else None,
                1,
            )
        )
    return rows


async def seed_sqlite(path: Path, count: int, *, seed: int = 0) -> None:
    """A SQLite store at `path` holding `count` varied tasks (statuses, priorities, tags, due dates)."""
    store = SQLiteTaskStore(path)
    await store.open()
    await store.close()
    await anyio.to_thread.run_sync(_insert, path, seed_rows(count, random.Random(seed)))


def _insert(path: Path, rows: list[tuple[object, ...]]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO tasks (id, title, description, status, priority, due, due_key, tags, created_at,"
            " updated_at, completed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO task_tags (task_id, tag) VALUES (?, ?)",
            [(row[0], tag) for row in rows for tag in json.loads(str(row[7]))],
        )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
