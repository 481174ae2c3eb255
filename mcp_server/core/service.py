"""TaskService: the one place business rules live. Every adapter (the MCP tools and resources, the REST API)
calls this; none talks to the store directly."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable

from pydantic import TypeAdapter, ValidationError

from mcp_server.core.domain import (
    DEFAULT_LIST,
    PAGE_DEFAULT,
    PAGE_MAX,
    TASK_ID_MAX,
    TOTAL_COUNT_LIMIT,
    DeletedTask,
    ListName,
    ListRename,
    NewTask,
    Status,
    Task,
    TaskList,
    TaskPage,
    TaskPatch,
    TaskQuery,
    refuse_nul,
)
from mcp_server.core.errors import InvalidInput, TaskNotFound
from mcp_server.core.storage import TaskStore

logger = logging.getLogger(__name__)

ChangeListener = Callable[[int], Awaitable[None]]
ListsListener = Callable[[], Awaitable[None]]
# The task fields whose change can move a list's open and done counts.
_COUNTED = frozenset({"list", "status"})

_CURSOR_VERSION = 1
_CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _query_digest(query: TaskQuery) -> str:
    """What a cursor is bound to: the filters. A query without a list is digested without it, as it was
    before tasks had lists, so a cursor a previous release issued still pages on."""
    return _digest(query.model_dump_json(exclude={"list"} if query.list is None else None))


def encode_cursor(after_id: int, query: TaskQuery) -> str:
    payload = {"v": _CURSOR_VERSION, "after": after_id, "q": _query_digest(query)}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, query: TaskQuery) -> int:
    """The id a cursor continues after; refuses cursors that are malformed or from another query.
    The id must be one a store can compare with (0..TASK_ID_MAX), or the store fails on it."""
    try:
        if not _CURSOR_ALPHABET.fullmatch(cursor):  # base64 decoding would skip stray characters
            raise ValueError("not base64url")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        after: object = payload["after"]
        valid = (
            payload["v"] == _CURSOR_VERSION
            and type(after) is int  # not a bool
            and 0 <= after <= TASK_ID_MAX
        )
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidInput("cursor is not one this server issued; omit it to start from the first page")
    if payload.get("q") != _query_digest(query):
        raise InvalidInput(
            "cursor belongs to a list_tasks call with different filters; repeat the same filters "
            "or omit the cursor to start again"
        )
    assert isinstance(after, int)  # checked above (an int, not a bool)
    return after


_LIST_NAME: TypeAdapter[str] = TypeAdapter(ListName)


def _list_name_of(field: str, value: str) -> str:
    """A list name given outside a model (a tool's or a route's own argument), held to the models' rule."""
    try:
        return _LIST_NAME.validate_python(value)
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{field}: {problem}") from None


def _refuse_nul(field: str, value: str) -> None:
    """Text that reaches the service outside a domain model (an idempotency key from a header) is held
    to the models' NUL rule. (A cursor is held to its base64url alphabet in decode_cursor.)"""
    try:
        refuse_nul(value)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {exc}") from None


def _fingerprint(new: NewTask) -> str:
    """What an idempotency key is bound to. A task in the default list is fingerprinted without the
    list, as it was before tasks had lists, so a key stored then still replays its task."""
    exclude = {"list"} if new.list == DEFAULT_LIST else None
    return _digest(new.model_dump_json(exclude=exclude))


class TaskService:
    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self._listeners: list[ChangeListener] = []
        self._lists_listeners: list[ListsListener] = []

    def on_change(self, listener: ChangeListener) -> None:
        """Call listener(task_id) after a task is created, changed or deleted."""
        self._listeners.append(listener)

    def on_lists_change(self, listener: ListsListener) -> None:
        """Call listener() once after a write that may have moved the lists' counts (a create, a
        delete, a change of list or status, a rename), not after other edits."""
        self._lists_listeners.append(listener)

    async def _changed(self, *task_ids: int, lists: bool) -> None:
        for task_id in task_ids:
            for listener in self._listeners:
                try:
                    await listener(task_id)
                except Exception:  # a notification failure must never fail the write that caused it
                    logger.exception("task change listener failed", extra={"task_id": task_id})
        if lists:
            for lists_listener in self._lists_listeners:
                try:
                    await lists_listener()
                except Exception:
                    logger.exception("lists change listener failed")

    async def create_task(self, new: NewTask, *, idempotency_key: str | None = None) -> Task:
        if idempotency_key is not None:
            _refuse_nul("idempotency_key", idempotency_key)
        fingerprint = _fingerprint(new) if idempotency_key is not None else None
        task, created = await self.store.create(new, idempotency_key=idempotency_key, fingerprint=fingerprint)
        if created:
            await self._changed(task.id, lists=True)
        return task

    async def get_task(self, task_id: int) -> Task:
        task = await self.store.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    async def list_tasks(
        self, query: TaskQuery | None = None, *, limit: int = PAGE_DEFAULT, cursor: str | None = None
    ) -> TaskPage:
        query = (query or TaskQuery()).normalised()
        if not 1 <= limit <= PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {PAGE_MAX}, got {limit}; page with next_cursor")
        after_id = decode_cursor(cursor, query) if cursor else None
        # One extra row tells whether another page exists without a second query.
        tasks, total = await self.store.list_page(
            query, after_id=after_id, limit=limit + 1, count_limit=TOTAL_COUNT_LIMIT + 1
        )
        has_more = len(tasks) > limit
        tasks = tasks[:limit]
        next_cursor = encode_cursor(tasks[-1].id, query) if has_more else None
        exact = total <= TOTAL_COUNT_LIMIT
        return TaskPage(tasks=tasks, next_cursor=next_cursor, total=min(total, TOTAL_COUNT_LIMIT), total_exact=exact)

    async def suggest_tags(self, prefix: str, limit: int = 20) -> list[str]:
        if "\x00" in prefix:  # no tag holds one, and PostgreSQL cannot be asked
            return []
        return await self.store.suggest_tags(prefix.strip().lower(), limit)

    async def suggest_open_ids(self, prefix: str, limit: int = 20) -> list[int]:
        if prefix and not prefix.isdigit():
            return []
        return await self.store.suggest_ids(prefix, limit)

    async def update_task(self, task_id: int, patch: TaskPatch, *, expected_version: int | None = None) -> Task:
        changes = patch.changes()
        if not changes:
            raise InvalidInput(
                "update_task needs at least one field to change: "
                "title, description, due, priority, tags, status or list"
            )
        task, changed = await self.store.update(task_id, changes, expected_version=expected_version)
        if changed:
            await self._changed(task_id, lists=not _COUNTED.isdisjoint(changes))
        return task

    async def complete_task(self, task_id: int) -> Task:
        """Mark a task done; completing a done task returns it unchanged."""
        task, changed = await self.store.update(task_id, {"status": Status.DONE})
        if changed:
            await self._changed(task_id, lists=True)
        return task

    async def list_lists(self) -> list[TaskList]:
        return await self.store.lists()

    async def rename_list(self, name: str, new_name: str) -> ListRename:
        """Move every task of list `name` to `new_name` (merging into it when it exists), in one
        transaction; each moved task gets a new version and its subscribers hear of it."""
        old, new = _list_name_of("name", name), _list_name_of("new_name", new_name)
        if old == new:
            raise InvalidInput(f"the list is already called {old!r}; give another new_name")
        moved = await self.store.rename_list(old, new)
        if not moved:
            raise TaskNotFound(None, f"no task is in a list called {old!r}; read task://lists for the lists there are")
        await self._changed(*moved, lists=True)
        return ListRename(name=old, new_name=new, moved=len(moved))

    async def delete_task(self, task_id: int) -> DeletedTask:
        task = await self.store.delete(task_id)
        await self._changed(task_id, lists=True)
        return DeletedTask(task=task)
