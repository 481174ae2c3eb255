"""TaskService: the one place business rules live. Every adapter (the MCP tools and resources, the REST API)
calls this; none talks to the store directly."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from pydantic import TypeAdapter, ValidationError

from mcp_server.core.audit import audit
from mcp_server.core.batch import (
    BatchItem,
    BatchOperation,
    BatchResult,
    CompleteOp,
    CreateOp,
    DeleteOp,
    ItemError,
    RestoreOp,
    UpdateOp,
)
from mcp_server.core.domain import (
    DEFAULT_LIST,
    PAGE_DEFAULT,
    PAGE_MAX,
    TASK_ID_MAX,
    TOTAL_COUNT_LIMIT,
    DeletedTask,
    Include,
    ListName,
    ListRename,
    NewTask,
    StatusFilter,
    Task,
    TaskDetail,
    TaskList,
    TaskPage,
    TaskPatch,
    TaskQuery,
    refuse_nul,
)
from mcp_server.core.errors import BatchAborted, ErrorKind, InvalidInput, StoreUnavailable, TaskError, TaskNotFound
from mcp_server.core.history import HISTORY_READ_MAX, TaskHistory
from mcp_server.core.principals import Scope, acting_owner, acting_principal
from mcp_server.core.recurrence import RepeatFrom
from mcp_server.core.storage import TaskStore
from mcp_server.core.trash import TRASH_DAYS_DEFAULT
from mcp_server.core.writes import Outcome, Writes, utc_now

logger = logging.getLogger(__name__)

ChangeListener = Callable[[int], Awaitable[None]]
ListsListener = Callable[[], Awaitable[None]]

# The trash is purged of what has expired at most this often (and at start).
PURGE_EVERY_S = 60.0
_CURSOR_VERSION = 1
_CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Filters added since cursors were first issued: digested only when given, so that a cursor a previous
# release issued still pages on.
_LATER_FILTERS = ("list", "parent_id")


def _query_digest(query: TaskQuery) -> str:
    """What a cursor is bound to: the filters."""
    return _digest(query.model_dump_json(exclude={name for name in _LATER_FILTERS if getattr(query, name) is None}))


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


# Fields added to NewTask since idempotency keys were first stored, with their defaults: a task created
# with all of them at their default is fingerprinted without them, as it was before they existed, so a
# key stored by a previous release still replays its task.
_LATER_FIELDS = {
    "list": DEFAULT_LIST,
    "parent_id": None,
    "recurrence": None,
    "repeat_from": RepeatFrom.DUE,
    "timezone": None,
}


def _fingerprint(new: NewTask) -> str:
    """What an idempotency key is bound to: the task asked for."""
    defaults = {name for name, default in _LATER_FIELDS.items() if getattr(new, name) == default}
    return _digest(new.model_dump_json(exclude=defaults))


def _reading() -> None:
    """Every read needs the read scope of the acting principal."""
    acting_principal().require(Scope.READ)


class _Rollback(Exception):
    """Raised inside an atomic batch's transaction to undo it."""


class TaskService:
    def __init__(
        self, store: TaskStore, *, default_timezone: str = "UTC", trash_days: int = TRASH_DAYS_DEFAULT
    ) -> None:
        self.store = store
        self.default_timezone = default_timezone
        self.trash_days = trash_days
        self._listeners: list[ChangeListener] = []
        self._lists_listeners: list[ListsListener] = []
        # When each principal's trash was last purged (every principal purges only its own).
        self._purged_at: dict[str, float] = {}

    def on_change(self, listener: ChangeListener) -> None:
        """Call listener(task_id) after a task is created, changed, deleted or purged."""
        self._listeners.append(listener)

    def on_lists_change(self, listener: ListsListener) -> None:
        """Call listener() once after a write that may have moved the lists' counts (a create, a
        delete, a change of list or status, a rename), not after other edits."""
        self._lists_listeners.append(listener)

    async def _notify(self, outcome: Outcome) -> None:
        for task_id in dict.fromkeys(outcome.changed):
            for listener in self._listeners:
                try:
                    await listener(task_id)
                except Exception:  # a notification failure must never fail the write that caused it
                    logger.exception("task change listener failed", extra={"task_id": task_id})
        if outcome.lists:
            for lists_listener in self._lists_listeners:
                try:
                    await lists_listener()
                except Exception:
                    logger.exception("lists change listener failed")

    @asynccontextmanager
    async def _writing(
        self, operation: str, *, task_id: int | None = None, scope: Scope | None = Scope.WRITE
    ) -> AsyncIterator[Writes]:
        """One transaction with the write rules over it; listeners hear of the changes after the commit,
        and the audit trail of how it ended (`task_id`: the task asked for, named when it fails).
        The acting principal needs `scope` (None: upkeep any call may cause, the trash's purge,
        audited only when it purged something)."""
        asked = [task_id] if task_id is not None else []
        try:
            if scope is not None:
                acting_principal().require(scope)
            async with self.store.transaction() as tx:
                writes = Writes(tx, now=utc_now(), default_timezone=self.default_timezone)
                yield writes
                await writes.flush()
        except TaskError as exc:
            audit(operation, asked, exc.kind.value)
            raise
        except _Rollback:
            audit(operation, asked, ErrorKind.ABORTED.value)
            raise
        changed = list(dict.fromkeys(writes.outcome.changed))
        if scope is not None or changed:
            audit(operation, changed or asked, "ok")
        await self._notify(writes.outcome)

    # -- reads -------------------------------------------------------------------------------------

    async def get_task(self, task_id: int) -> Task:
        """A task that is not in the trash."""
        _reading()
        task = await self.store.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if task.deleted_at is not None:
            raise TaskNotFound(
                task_id,
                f"task {task_id} is in the trash; restore_task brings it back, list_tasks status=deleted lists it",
            )
        return task

    async def task_detail(self, task_id: int, *, include: list[Include]) -> TaskDetail:
        """A task (not in the trash) with, as asked, its direct subtasks and its history."""
        detail = TaskDetail(task=await self.get_task(task_id))
        if "subtasks" in include:
            detail.subtasks = await self.subtasks_of(task_id)
        if "history" in include:
            history = await self.history(task_id)
            detail.history, detail.history_truncated = history.entries, history.truncated
        return detail

    async def subtasks_of(self, task_id: int) -> list[Task]:
        """The direct subtasks of a task (up to PAGE_MAX), oldest first."""
        _reading()
        tasks, _ = await self.store.list_page(TaskQuery(parent_id=task_id), after_id=None, limit=PAGE_MAX)
        return tasks

    async def history(self, task_id: int) -> TaskHistory:
        """A task's history, trashed or purged tasks included: it says what happened to them."""
        _reading()
        entries = await self.store.history(task_id, limit=HISTORY_READ_MAX + 1)
        if not entries and await self.store.get(task_id) is None:
            raise TaskNotFound(
                task_id, f"task {task_id} has no history: it does not exist, or was deleted before history was kept"
            )
        truncated = len(entries) > HISTORY_READ_MAX
        return TaskHistory(task_id=task_id, entries=entries[-HISTORY_READ_MAX:], truncated=truncated)

    async def list_tasks(
        self, query: TaskQuery | None = None, *, limit: int = PAGE_DEFAULT, cursor: str | None = None
    ) -> TaskPage:
        _reading()
        query = (query or TaskQuery()).normalised()
        if not 1 <= limit <= PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {PAGE_MAX}, got {limit}; page with next_cursor")
        after_id = decode_cursor(cursor, query) if cursor else None
        if query.status == StatusFilter.DELETED:  # the trash shows only what can still be restored
            await self._purge_quietly()
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
        _reading()
        if "\x00" in prefix:  # no tag holds one, and PostgreSQL cannot be asked
            return []
        return await self.store.suggest_tags(prefix.strip().lower(), limit)

    async def suggest_open_ids(self, prefix: str, limit: int = 20) -> list[int]:
        _reading()
        if prefix and not prefix.isdigit():
            return []
        return await self.store.suggest_ids(prefix, limit)

    async def list_lists(self) -> list[TaskList]:
        _reading()
        return await self.store.lists()

    # -- writes ------------------------------------------------------------------------------------

    async def create_task(self, new: NewTask, *, idempotency_key: str | None = None) -> Task:
        if idempotency_key is not None:
            _refuse_nul("idempotency_key", idempotency_key)
        fingerprint = _fingerprint(new) if idempotency_key is not None else None
        async with self._writing("create_task") as writes:
            return await writes.create(new, idempotency_key=idempotency_key, fingerprint=fingerprint)

    async def update_task(self, task_id: int, patch: TaskPatch, *, expected_version: int | None = None) -> Task:
        changes = patch.changes()
        if not changes:
            raise InvalidInput(
                "update_task needs at least one field to change: title, description, due, priority, tags, "
                "status, list, parent_id, recurrence, repeat_from or timezone"
            )
        async with self._writing("update_task", task_id=task_id) as writes:
            return await writes.update(task_id, changes, expected_version=expected_version)

    async def complete_task(self, task_id: int, *, cascade: bool = False) -> Task:
        """Mark a task done (a recurring one moves to its next occurrence); completing a done task
        returns it unchanged."""
        async with self._writing("complete_task", task_id=task_id) as writes:
            return await writes.complete(task_id, cascade=cascade)

    async def delete_task(self, task_id: int, *, permanent: bool = False) -> DeletedTask:
        """To the trash with its subtasks (restorable for trash_days), or purged at once."""
        async with self._writing(
            "delete_task", task_id=task_id
        ) as writes:  # with no trash kept (trash_days 0), every delete purges
            deleted = await writes.delete(task_id, permanent=permanent or self.trash_days == 0)
        await self._purge_quietly()
        return deleted

    async def restore_task(self, task_id: int) -> Task:
        async with self._writing("restore_task", task_id=task_id) as writes:
            return await writes.restore(task_id)

    async def _purge_quietly(self) -> None:
        """Purge what is due, after a delete or before the trash is read, at most once a PURGE_EVERY_S
        (a transaction of its own after every delete doubled a delete's cost), and so that a failure
        here is no failure of the call that asked (the next call, or a restart, purges it)."""
        owner = acting_owner()
        last = self._purged_at.get(owner)
        if last is not None and time.monotonic() - last < PURGE_EVERY_S:
            return
        self._purged_at[owner] = time.monotonic()
        try:
            await self.purge_expired()
        except TaskError:
            logger.warning("trash purge failed", exc_info=True)

    async def purge_expired(self) -> int:
        """Purge what the acting principal has had in the trash longer than trash_days; how many tasks went."""
        async with self._writing("purge_expired", scope=None) as writes:
            return await writes.purge_expired(writes.now - dt.timedelta(days=self.trash_days))

    async def rename_list(self, name: str, new_name: str) -> ListRename:
        """Move every task of list `name` to `new_name` (merging into it when it exists), in one
        transaction; each moved task gets a new version and its subscribers hear of it."""
        old, new = _list_name_of("name", name), _list_name_of("new_name", new_name)
        if old == new:
            raise InvalidInput(f"the list is already called {old!r}; give another new_name")
        async with self._writing("rename_list") as writes:
            moved = await writes.rename_list(old, new)
            if not moved:  # a list shown nowhere (its tasks all in the trash) is no list to rename
                raise TaskNotFound(
                    None, f"no task is in a list called {old!r}; read task://lists for the lists there are"
                )
        return ListRename(name=old, new_name=new, moved=moved)

    async def batch(self, operations: list[BatchOperation], *, atomic: bool = False) -> BatchResult:
        """Every operation in one transaction, in order, each seeing the ones before it. A refused
        operation has written nothing (Writes checks before it writes), so it fails alone, or, when
        atomic, undoes the whole batch. A store failure fails the whole call."""
        results: list[BatchItem] = []
        try:
            async with self._writing("batch_tasks") as writes:
                for operation in operations:
                    mark = writes.mark()
                    try:
                        result = await self._run_operation(writes, operation)
                    except StoreUnavailable:
                        raise
                    except TaskError as exc:
                        if writes.wrote_since(mark):  # a rule that refused after writing: undo it all
                            raise RuntimeError(f"batch operation refused after it wrote: {exc}") from exc
                        writes.undo_to(mark)
                        results.append(BatchItem(ok=False, error=ItemError(kind=exc.kind, message=str(exc))))
                    else:
                        results.append(BatchItem.of(result))
                if atomic and not all(item.ok for item in results):
                    raise _Rollback
        except _Rollback:
            failed = [str(number) for number, item in enumerate(results) if not item.ok]
            undone = BatchAborted(
                f"not applied: the batch is atomic and operation(s) {', '.join(failed)} failed (counting from 0)"
            )
            aborted = BatchItem(ok=False, error=ItemError(kind=undone.kind, message=str(undone)))
            return BatchResult(applied=False, results=[aborted if item.ok else item for item in results])
        return BatchResult(applied=True, results=results)

    async def _run_operation(self, writes: Writes, operation: BatchOperation) -> Task | DeletedTask:
        if isinstance(operation, CreateOp):
            key = operation.idempotency_key
            if key is None:  # a CreateOp is a NewTask (with op): no copy needed
                return await writes.create(operation, idempotency_key=None, fingerprint=None)
            _refuse_nul("idempotency_key", key)
            new = operation.new_task()
            return await writes.create(new, idempotency_key=key, fingerprint=_fingerprint(new))
        if isinstance(operation, UpdateOp):
            changes = operation.patch().changes()
            if not changes:
                raise InvalidInput("an update operation needs at least one field to change")
            return await writes.update(operation.task_id, changes, expected_version=operation.expected_version)
        if isinstance(operation, CompleteOp):
            return await writes.complete(operation.task_id, cascade=operation.cascade)
        if isinstance(operation, DeleteOp):
            return await writes.delete(operation.task_id, permanent=operation.permanent)
        assert isinstance(operation, RestoreOp)
        return await writes.restore(operation.task_id)
