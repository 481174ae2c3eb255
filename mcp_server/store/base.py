"""The TaskStore protocol, and the pure rules every backend applies inside its transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from mcp_server.domain import NewTask, Priority, Status, Task, TaskQuery
from mcp_server.errors import IdempotencyConflict, TaskNotFound


class TaskStore(Protocol):
    """Durable task storage. Each mutating call is one transaction; all calls are safe to run concurrently.

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

    async def create(
        self, new: NewTask, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]:
        """Insert a task; with a known idempotency key return the task it created and False instead.

        Raises IdempotencyConflict when the key was used with a different fingerprint, and
        TaskNotFound when the task that key created has since been deleted.
        """
        ...

    async def get(self, task_id: int) -> Task | None: ...

    async def list_page(
        self, query: TaskQuery, *, after_id: int | None, limit: int, count_limit: int | None = None
    ) -> tuple[list[Task], int]:
        """Tasks matching the query with id > after_id, in id order, and how many match in all,
        counting no further than count_limit when it is given."""
        ...

    async def update(
        self, task_id: int, changes: dict[str, Any], *, expected_version: int | None = None
    ) -> tuple[Task, bool]:
        """Apply a partial change atomically and say whether anything changed; raise TaskNotFound or
        VersionConflict."""
        ...

    async def delete(self, task_id: int) -> Task:
        """Remove a task and return it as it was; raise TaskNotFound."""
        ...

    async def count_by_status(self) -> dict[str, int]: ...

    async def suggest_tags(self, prefix: str, limit: int) -> list[str]:
        """Known tags starting with prefix, most used first (for argument completion)."""
        ...

    async def suggest_ids(self, prefix: str, limit: int) -> list[int]:
        """Ids of open tasks whose decimal form starts with prefix, newest first."""
        ...


def stored_task(
    *,
    id: int,
    title: str,
    description: str | None,
    status: str,
    priority: str,
    due: str | None,
    tags: list[str],
    created_at: dt.datetime,
    updated_at: dt.datetime,
    completed_at: dt.datetime | None,
    version: int,
) -> Task:
    """A Task from values a store wrote itself, validated on their way in, built without validating
    them again: pages of tasks are the hot path, and re-validation was most of their cost."""
    return Task.model_construct(
        id=id,
        title=title,
        description=description,
        status=Status(status),
        priority=Priority(priority),
        due=due,
        tags=tags,
        created_at=created_at,
        updated_at=updated_at,
        completed_at=completed_at,
        version=version,
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def apply_changes(task: Task, changes: dict[str, Any], now: dt.datetime) -> Task | None:
    """The task after `changes`, or None when nothing would change (no new version for a no-op).

    Completing sets completed_at; reopening clears it.
    """
    effective = {key: value for key, value in changes.items() if getattr(task, key) != value}
    if not effective:
        return None
    if "status" in effective:
        effective["completed_at"] = now if effective["status"] == Status.DONE else None
    return task.model_copy(update={**effective, "updated_at": now, "version": task.version + 1})


def replay_create(
    key: str, stored_fingerprint: str, fingerprint: str | None, task_id: int, task: Task | None
) -> tuple[Task, bool]:
    """Answer a create retried with a known idempotency key: the first task, never a second one."""
    if stored_fingerprint != (fingerprint or ""):
        raise IdempotencyConflict(
            f"idempotency_key {key!r} was already used to create task {task_id} with different "
            f"parameters; use a new key for a new task"
        )
    if task is None:
        raise TaskNotFound(task_id, f"task {task_id}, created with idempotency_key {key!r}, has since been deleted")
    return task, False
