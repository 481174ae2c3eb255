"""The TaskStore protocol: what the service needs of a store. Backends live in mcp_server.store."""

from __future__ import annotations

from typing import Any, Protocol

from mcp_server.core.domain import NewTask, Task, TaskList, TaskQuery


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

    async def lists(self) -> list[TaskList]:
        """Every list a task is in, by name, with its open and done counts."""
        ...

    async def rename_list(self, name: str, new_name: str) -> list[int]:
        """Move every task of list `name` to `new_name` in one transaction (each gets a new version and
        updated_at) and return their ids, in id order; none when no task is in `name`."""
        ...
