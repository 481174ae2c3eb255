"""The SQL that selects a page of tasks and counts the matches, shared by the SQLite and PostgreSQL
stores (they differ only in placeholder and case-insensitive LIKE)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp_server.core.domain import StatusFilter, TaskQuery, due_bound_key

FIELDS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due",
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


def _subtasks_with(status: str) -> str:
    # Evaluated for the rows returned only (after the LIMIT), each one probe of the (parent_id, status) index.
    return (
        f"(SELECT count(*) FROM tasks AS sub WHERE sub.parent_id = tasks.id AND sub.status = '{status}'"
        f" AND sub.deleted_at IS NULL) AS subtasks_{status}"
    )


COLUMNS = ", ".join([*(f"tasks.{name}" for name in FIELDS), _subtasks_with("open"), _subtasks_with("done")])
# Every descendant of a task (trashed or not), parents before children; the depth bound (the last
# placeholder) stops a walk that could not end. The placeholders: the task, its owner, the bound (a
# task's subtasks have its owner: a parent is looked up as its owner's before a child is written).
SUBTREE_SQL = (
    "WITH RECURSIVE sub(id, depth) AS ("
    " SELECT id, 1 FROM tasks WHERE parent_id = {placeholder} AND owner = {placeholder}"
    " UNION ALL SELECT child.id, sub.depth + 1 FROM tasks AS child JOIN sub ON child.parent_id = sub.id"
    " WHERE sub.depth < {placeholder})"
    " SELECT {columns} FROM tasks JOIN sub ON tasks.id = sub.id ORDER BY sub.depth, tasks.id"
)
# Every row-level read of a task, live or trashed, with its subtask counts.
LIVE = "tasks.deleted_at IS NULL"


def lists_sql(placeholder: str, collate: str = "") -> str:
    """Every list of one owner (the placeholder) with its open and done counts, by name, in one query.
    `collate` is the store's byte-order collation (SQLite's default already is one), so that both
    stores order names alike."""
    return (
        "SELECT list AS name, count(CASE WHEN status = 'open' THEN 1 END) AS open,"
        " count(CASE WHEN status = 'done' THEN 1 END) AS done"
        f" FROM tasks WHERE owner = {placeholder} AND deleted_at IS NULL GROUP BY list ORDER BY list{collate}"
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

    def page_sql(self, placeholder: str, *, extra: str = "") -> str:
        """The page; `extra` is more columns, placed before the page's own placeholders."""
        return (
            f"SELECT {COLUMNS}{extra} FROM {self.source} WHERE {self.where} AND {self.key} > {placeholder}"
            f" ORDER BY {self.key} LIMIT {placeholder}"
        )

    def count_sql(self, placeholder: str) -> str:
        """The number of matches, counting no further than a limit (the last placeholder)."""
        return f"SELECT count(*) AS n FROM (SELECT 1 FROM {self.source} WHERE {self.where} LIMIT {placeholder}) AS m"


@dataclass(frozen=True)
class TextIndex:
    """A store's text index for one search: read as the source of a page (in id order, so a page
    stops after `limit` matches), or, when the tag index is the source, as a membership test."""

    source: str
    key: str
    match: str
    member: str
    args: list[Any]


IndexedSearch = Callable[[str], TextIndex | None]


def select(
    query: TaskQuery,
    *,
    owner: str,
    placeholder: str,
    ilike: str,
    tag_in_row: str,
    indexed_search: IndexedSearch | None = None,
) -> Selection:
    """The Selection for `query` among the tasks of `owner`; `ilike` is the store's case-insensitive
    LIKE operator, `tag_in_row` its test of a task's own tags (for the trash: its tasks have no tag
    rows), and `indexed_search` gives the clause of a store's text index for a search it can serve
    (else LIKE)."""
    trash = query.status == StatusFilter.DELETED
    source, key = "tasks", "tasks.id"
    clauses: list[str] = []
    args: list[Any] = []
    index = indexed_search(query.search) if query.search and indexed_search else None
    by_tag_rows = bool(query.tag) and not trash
    if index is not None and not by_tag_rows:
        source, key = index.source, index.key
        clauses.append(index.match)
        args.extend(index.args)
    elif index is not None:
        clauses.append(index.member)
        args.extend(index.args)
    if by_tag_rows:
        source, key = "task_tags AS tt JOIN tasks ON tasks.id = tt.task_id", "tt.task_id"
        clauses.append(f"tt.tag = {placeholder}")
        args.append(query.tag)
    elif query.tag:
        clauses.append(tag_in_row)
        args.append(query.tag)
    # Every index of the filters leads with the owner: a page reads one owner's rows only.
    clauses.append(f"tasks.owner = {placeholder}")
    args.append(owner)
    if query.list:
        # The (owner, list, id) index gives a list's tasks in id order, so a page stops after `limit` rows.
        clauses.append(f"tasks.list = {placeholder}")
        args.append(query.list)
    if query.parent_id is not None:
        clauses.append(f"tasks.parent_id = {placeholder}")
        args.append(query.parent_id)
    if trash:
        clauses.append("tasks.deleted_at IS NOT NULL")
    else:
        clauses.append(LIVE)  # the trash is shown only when asked for
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
    if query.search and index is None:
        # A NULL description is no match: `description ILIKE` (not coalesce) keeps its index usable.
        clauses.append(
            f"(tasks.title {ilike} {placeholder} ESCAPE '\\' OR tasks.description {ilike} {placeholder} ESCAPE '\\')"
        )
        pattern = f"%{escape_like(query.search)}%"
        args.extend([pattern, pattern])
    return Selection(source, key, " AND ".join(clauses), args)
