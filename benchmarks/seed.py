"""Large SQLite task stores for benchmarks, written in bulk.

The schema comes from the store itself (SQLiteTaskStore.open runs its migrations); the rows are
inserted in one transaction, since creating 100k tasks one call at a time would take minutes and
measure nothing the benchmark is about. Rows are what the store would have written: the same
columns and timestamp format, due sort keys, the tag index, versions, and the history entries of
each task's changes (created, completed, deleted).

A seeded store looks like a real user's: tasks spread over ten lists (most in inbox, work and
home), about a fifth of them subtasks of a recent task in the same list (some two levels deep),
a few percent in the trash (deleted within the last week, each with the subtasks deleted with it),
and a few recurring weekly. Tasks are generated one after another from one random sequence, so
a store of n tasks is the first n tasks of any larger store seeded alike (only the trash's
timestamps follow the clock).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from mcp_server.core.domain import due_sort_key
from mcp_server.store.sqlite import SQLiteTaskStore

TAGS = ["work", "home", "errands", "health", "finance", "reading", "garden", "car", "school", "travel"]
VERBS = ["Review", "Write", "Call", "Buy", "Fix", "Plan", "Book", "Send", "Clean", "Read", "Pay", "Prepare"]
OBJECTS = ["report", "invoice", "PR", "dentist", "groceries", "slides", "tickets", "budget", "garage", "notes"]
# Lists and how often a new top-level task goes to each: most in a few, a long tail.
LISTS = {
    "inbox": 30,
    "work": 25,
    "home": 15,
    "errands": 8,
    "health": 6,
    "finance": 5,
    "reading": 4,
    "garden": 3,
    "travel": 2,
    "school": 2,
}
SUBTASK_SHARE = 0.2
# A subtask's parent is one of the last few tasks that are at most one level deep, so that
# subtasks sit near their parents and nest at most two levels.
PARENT_WINDOW = 10
DONE_SHARE = 0.3
TRASH_SHARE = 0.03
RECURRING_SHARE = 0.02
RECURRENCE = "FREQ=WEEKLY;BYDAY=MO"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

TASK_COLUMNS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due",
    "due_key",
    "tags",
    "list",
    "parent_id",
    "recurrence",
    "repeat_from",
    "timezone",
    "created_at",
    "updated_at",
    "completed_at",
    "deleted_at",
    "version",
)


def _iso(value: dt.datetime | None) -> str | None:
    # As the store writes instants: fixed width, microseconds always written.
    return value.isoformat(timespec="microseconds") if value else None


@dataclass
class _Seeded:
    id: int
    list: str
    depth: int
    completed_at: dt.datetime | None
    deleted_at: dt.datetime | None


@dataclass
class SeedRows:
    """The rows of a seeded store, by table, and each live task's number of live direct subtasks."""

    tasks: list[tuple[object, ...]] = field(default_factory=list)
    tags: list[tuple[int, str]] = field(default_factory=list)
    history: list[tuple[object, ...]] = field(default_factory=list)
    subtasks: Counter[int] = field(default_factory=Counter)


def seed_rows(count: int, rng: random.Random, *, now: dt.datetime | None = None) -> SeedRows:
    """`count` tasks, ids 1 to count; `now` (default the clock) dates the trash, which the server
    purges after --trash-days."""
    now = now or dt.datetime.now(dt.UTC)
    out = SeedRows()
    seeded: dict[int, _Seeded] = {}
    parents: deque[int] = deque(maxlen=PARENT_WINDOW)  # recent tasks at most one level deep
    list_names, list_weights = list(LISTS), list(LISTS.values())
    for n in range(1, count + 1):
        created = START + dt.timedelta(minutes=n)
        parent = seeded[rng.choice(parents)] if parents and rng.random() < SUBTASK_SHARE else None
        list_name = parent.list if parent else rng.choices(list_names, list_weights)[0]
        # A parent completed after this subtask existed was completed with it (or after it).
        forced_done = parent is not None and parent.completed_at is not None and parent.completed_at >= created
        completed_at = None
        if forced_done or rng.random() < DONE_SHARE:
            completed_at = created + dt.timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
            if forced_done and parent is not None and parent.completed_at is not None:
                completed_at = min(completed_at, parent.completed_at)
        if parent is not None and parent.deleted_at is not None:
            deleted_at: dt.datetime | None = parent.deleted_at  # deleted with its parent
        elif rng.random() < TRASH_SHARE:
            deleted_at = now - dt.timedelta(seconds=rng.randrange(60, 7 * 24 * 3600))
        else:
            deleted_at = None
        due = (START.date() + dt.timedelta(days=rng.randrange(0, 730))).isoformat() if rng.random() < 0.6 else None
        recurrence = timezone = None
        if completed_at is None and rng.random() < RECURRING_SHARE:
            # A weekly series on Mondays: its due is an occurrence.
            first = START.date() + dt.timedelta(days=rng.randrange(0, 730))
            due = (first - dt.timedelta(days=first.weekday())).isoformat()
            recurrence, timezone = RECURRENCE, "UTC"
        tags = sorted(rng.sample(TAGS, rng.randint(0, 3)))
        description = f"details for task {n}" if rng.random() < 0.3 else None
        priority = rng.choice(["low", "normal", "normal", "high", "urgent"])
        title = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {n}"

        version = 1
        out.history.append((n, _iso(created), "created", version, "{}"))
        if completed_at is not None:
            version += 1
            changes = json.dumps({"status": {"old": "open", "new": "done"}})
            out.history.append((n, _iso(completed_at), "completed", version, changes))
        if deleted_at is not None:
            version += 1
            out.history.append((n, _iso(deleted_at), "deleted", version, "{}"))
        updated = max(t for t in (created, completed_at, deleted_at) if t is not None)
        out.tasks.append(
            (
                n,
                title,
                description,
                "done" if completed_at else "open",
                priority,
                due,
                due_sort_key(due) if due else None,
                json.dumps(tags),
                list_name,
                parent.id if parent else None,
                recurrence,
                "due",
                timezone,
                _iso(created),
                _iso(updated),
                _iso(completed_at),
                _iso(deleted_at),
                version,
            )
        )
        if deleted_at is None:  # the store keeps tag rows for the tasks out of the trash only
            out.tags.extend((n, tag) for tag in tags)
        if parent is not None and deleted_at is None and parent.deleted_at is None:
            out.subtasks[parent.id] += 1

        depth = parent.depth + 1 if parent else 0
        seeded[n] = _Seeded(n, list_name, depth, completed_at, deleted_at)
        if depth < 2:
            parents.append(n)
    return out


def parent_with_subtasks(count: int, *, seed: int = 0) -> int:
    """The live task with the most live direct subtasks (the first such) among the first `count`
    tasks of a store seeded with `seed`: in a store of `count` tasks or more it has at least those."""
    subtasks = seed_rows(count, random.Random(seed)).subtasks
    if not subtasks:
        raise ValueError(f"a store of {count} tasks has no subtasks; seed more tasks")
    return min(subtasks, key=lambda task_id: (-subtasks[task_id], task_id))


async def seed_sqlite(path: Path, count: int, *, seed: int = 0, now: dt.datetime | None = None) -> None:
    """A SQLite store at `path` holding `count` varied tasks (lists, subtasks, statuses, priorities,
    tags, due dates, recurring tasks, a trash), with their history."""
    store = SQLiteTaskStore(path)
    await store.open()
    await store.close()
    await anyio.to_thread.run_sync(_insert, path, seed_rows(count, random.Random(seed), now=now))


def _insert(path: Path, rows: SeedRows) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany(
            f"INSERT INTO tasks ({', '.join(TASK_COLUMNS)}) VALUES ({', '.join('?' * len(TASK_COLUMNS))})",
            rows.tasks,
        )
        conn.executemany("INSERT INTO task_tags (task_id, tag) VALUES (?, ?)", rows.tags)
        conn.executemany(
            "INSERT INTO task_history (task_id, at, kind, version, changes) VALUES (?, ?, ?, ?, ?)", rows.history
        )
        conn.execute("INSERT INTO task_search (task_search) VALUES ('rebuild')")  # the store indexes its own inserts
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
