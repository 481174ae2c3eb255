"""The SQL that selects a page of tasks and counts the matches, shared by the SQLite and PostgreSQL
stores (they differ only in placeholder and case-insensitive LIKE)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp_server.core.domain import TaskQuery, due_bound_key

COLUMNS = ", ".join(
    f"tasks.{name}"
    for name in (
        "id",
        "title",
        "description",
        "status",
        "priority",
        "due",
        "tags",
        "list",
        "created_at",
        "updated_at",
        "completed_at",
        "version",
    )
)


def lists_sql(collate: str = "") -> str:
    """Every list with its open and done counts, by name, in one query. `collate` is the store's
    byte-order collation (SQLite's default already is one), so that both stores order names alike."""
    return (
        "SELECT list AS name, count(CASE WHEN status = 'open' THEN 1 END) AS open,"
        " count(CASE WHEN status = 'done' THEN 1 END) AS done"
        f" FROM tasks GROUP BY list ORDER BY list{collate}"
    )


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Selection:
    """FROM and WHERE for a query, and the id column pages are ordered and cut by.

    A tag filter reads the (tag, task_id) index in id order and joins the tasks to it, so a page
    stops after `limit` rows; as `id IN (subquery)` it first gathered every tagged id, which on a
    100k-task store cost more than everything else in the call."""

    source: str
    key: str
    where: str
    args: list[Any] = field(default_factory=list)

    def page_sql(self, placeholder: str) -> str:
        return (
            f"SELECT {COLUMNS} FROM {self.source} WHERE {self.where} AND {self.key} > {placeholder}"
            f" ORDER BY {self.key} LIMIT {placeholder}"
        )

    def count_sql(self, placeholder: str) -> str:
        """The number of matches, counting no further than a limit (the last placeholder)."""
        return f"SELECT count(*) AS n FROM (SELECT 1 FROM {self.source} WHERE {self.where} LIMIT {placeholder}) AS m"


def select(query: TaskQuery, *, placeholder: str, ilike: str) -> Selection:
    """The Selection for `query`; `ilike` is the store's case-insensitive LIKE operator."""
    source, key = "tasks", "tasks.id"
    clauses: list[str] = []
    args: list[Any] = []
    if query.tag:
        source, key = "task_tags AS tt JOIN tasks ON tasks.id = tt.task_id", "tt.task_id"
        clauses.append(f"tt.tag = {placeholder}")
        args.append(query.tag)
    if query.list:
        # The (list, id) index gives a list's tasks in id order, so a page stops after `limit` rows.
        clauses.append(f"tasks.list = {placeholder}")
        args.append(query.list)
    if query.status:
        clauses.append(f"tasks.status = {placeholder}")
        args.append(query.status.value)
    if query.priority:
        clauses.append(f"tasks.priority = {placeholder}")
        args.append(query.priority.value)
    if query.due_before:
        clauses.append(f"tasks.due_key <= {placeholder}")
        args.append(due_bound_key(query.due_before, upper=True))
    if query.due_after:
        clauses.append(f"tasks.due_key >= {placeholder}")
        args.append(due_bound_key(query.due_after, upper=False))
    if query.search:
        clauses.append(
            f"(tasks.title {ilike} {placeholder} ESCAPE '\\'"
            f" OR coalesce(tasks.description, '') {ilike} {placeholder} ESCAPE '\\')"
        )
        pattern = f"%{escape_like(query.search)}%"
        args.extend([pattern, pattern])
    return Selection(source, key, " AND ".join(clauses) or "TRUE", args)
