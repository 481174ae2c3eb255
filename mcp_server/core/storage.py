"""The TaskStore protocol: what the service needs of a store. Backends live in mcp_server.store.

A store keeps rows; the rules of a write (versions, subtasks, recurrence, the trash, history) are the
service's, run inside one store transaction (TaskTransaction), so both backends apply the same rules
and a write, its cascade and its history entries commit together or not at all."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from mcp_server.core.domain import NewTask, Task, TaskList, TaskQuery
from mcp_server.core.history import HistoryEntry
from mcp_server.core.keys import KeyStore
from mcp_server.core.usage import UsageStore


class TaskTransaction(Protocol):
    """One transaction of a store. A task read through it is locked until the end of the transaction
    (a concurrent writer of the same task, in any process, waits), and trashed tasks are visible."""

    async def get(self, task_id: int) -> Task | None: ...

    async def insert(self, new: NewTask, *, timezone: str | None, now: dt.datetime) -> Task:
        """A new open task at version 1, with a fresh id."""
        ...

    async def save(self, task: Task, *, tags_changed: bool) -> None:
        """Write every field of `task` (an existing id) as it is. `tags_changed`: its tags, or whether it
        is in the trash, changed (the tag index holds the tasks out of the trash only)."""
        ...

    async def subtree(self, task_id: int) -> list[Task]:
        """Every descendant of a task, at any depth, trashed or not, parents before children."""
        ...

    async def purge(self, task_ids: list[int]) -> None:
        """Remove the tasks for good (children before parents are not required: all go at once)."""
        ...

    async def move_list(self, name: str, new_name: str, *, now: dt.datetime) -> list[Task]:
        """Move every task of list `name` (trashed ones too) to `new_name`, each with a new version, and
        return them as they were before, in id order."""
        ...

    async def expired_trash(self, before: dt.datetime) -> list[int]:
        """Ids of tasks deleted before `before`."""
        ...

    async def key_owner(self, key: str) -> tuple[str, int] | None:
        """The fingerprint and task id an idempotency key created, or None; retries of one key queue
        here, in any process, until the first commits."""
        ...

    async def remember_key(self, key: str, fingerprint: str, task_id: int, *, now: dt.datetime) -> None: ...

    async def record(self, entries: list[HistoryEntry]) -> None:
        """Append history entries."""
        ...

    async def forget_history(self, task_ids: list[int]) -> None:
        """Drop the history of purged tasks (their titles and notes go with them)."""
        ...


class TaskStore(Protocol):
    """Durable task storage; all calls are safe to run concurrently. Reads never show trashed tasks
    unless asked (TaskQuery.status = deleted).

    A store that cannot do what is asked (unreachable, full, read-only, damaged) raises
    StoreUnavailable with what to do about it, never its driver's own exception."""

    @property
    def description(self) -> str:
        """Where the data lives, for logs and health (never includes secrets)."""
        ...

    async def open(self) -> None:
        """Connect and bring the schema up to date."""
        ...

    async def close(self) -> None: ...

    async def schema_version(self) -> int:
        """How many migrations the data has had."""
        ...

    async def ping(self) -> None:
        """Readiness: raise StoreUnavailable, with a reason an operator can act on, unless the store
        can serve reads and writes now. Probed every few seconds, so cheap while the store is healthy."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[TaskTransaction]:
        """One write transaction: it commits when the block ends, and rolls back when it raises."""
        ...

    async def get(self, task_id: int) -> Task | None:
        """A task, trashed or not."""
        ...

    async def list_page(
        self, query: TaskQuery, *, after_id: int | None, limit: int, count_limit: int | None = None
    ) -> tuple[list[Task], int]:
        """Tasks matching the query with id > after_id, in id order, and how many match in all,
        counting no further than count_limit when it is given."""
        ...

    async def history(self, task_id: int, *, limit: int) -> list[HistoryEntry]:
        """The newest `limit` entries of a task's history, oldest first."""
        ...

    async def count_by_status(self) -> dict[str, int]: ...

    async def suggest_tags(self, prefix: str, limit: int) -> list[str]:
        """Known tags starting with prefix, most used first (for argument completion)."""
        ...

    async def suggest_ids(self, prefix: str, limit: int) -> list[int]:
        """Ids of open tasks whose decimal form starts with prefix, newest first."""
        ...

    async def lists(self) -> list[TaskList]:
        """Every list a task is in, by name, with its open and done counts."""
        ...


class Store(TaskStore, KeyStore, UsageStore, Protocol):
    """What a backend keeps: the tasks, the keys of the principals they belong to, and their usage."""
