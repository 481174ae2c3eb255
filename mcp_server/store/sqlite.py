"""SQLite task store: the embedded default, one file in WAL mode. Calls run on the event loop's
thread; scans, and calls that find the file busy, run on a few pooled connections in worker threads."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import anyio.to_thread

try:
    import resource
except ImportError:  # Windows has no file size limits to read
    resource = None  # type: ignore[assignment]

from mcp_server.core.domain import NESTING_MAX, NewTask, Status, Task, TaskList, TaskQuery, due_sort_key
from mcp_server.core.errors import StoreUnavailable
from mcp_server.core.history import HistoryEntry, HistoryKind
from mcp_server.core.keys import ApiKey, KeyNameTaken, PrincipalRecord
from mcp_server.core.principals import acting_owner
from mcp_server.core.storage import TaskTransaction
from mcp_server.store.accounts_sql import (
    CREDENTIAL_KEY_SQL,
    KEY_COLUMNS_SQL,
    PRINCIPALS_SQL,
    SET_PLAN_SQL,
    USAGE_IN_SQL,
    feed_scopes_text,
    scopes_of,
    scopes_text,
)
from mcp_server.store.base import inserted_task, stored_task
from mcp_server.store.selection import COLUMNS, SUBTREE_SQL, TextIndex, escape_like, lists_sql, select

T = TypeVar("T")

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
# Writes between checkpoints of the WAL (each syncs the database file), run off the event loop.
CHECKPOINT_EVERY = 500
# Scans running at once in worker threads, each on a pooled connection (a write that waits for a busy
# file has one more). A connection per worker thread leaked two descriptors and ~2 MB of cache per
# thread anyio ever started; more concurrent scans of one file gain nothing on a few cores anyway.
THREAD_CONNECTIONS = 4
# After a write failed, readiness wants at least this much room for the files to grow (free disk
# space, and what the file size limit leaves) before it tries a write and says ready again.
ROOM_NEEDED_BYTES = 4 * 1024 * 1024
# How long a readiness check waits for the write lock before it gives up for this probe.
PROBE_BUSY_TIMEOUT_MS = 1_000

# Forward-only migrations; PRAGMA user_version records how many have run.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        description TEXT,
        status TEXT NOT NULL,
        priority TEXT NOT NULL,
        due TEXT,
        due_key TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT,
        version INTEGER NOT NULL
    );
    CREATE TABLE task_tags (
        task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (tag, task_id)
    );
    CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        task_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX tasks_status ON tasks(status, id);
    CREATE INDEX tasks_priority ON tasks(priority, id);
    CREATE INDEX tasks_due_key ON tasks(due_key);
    """,
    # Rewriting or cascading a task's tags looks them up by task; without this, every such write
    # scanned all tags, so writes slowed as the store grew.
    """
    CREATE INDEX task_tags_task ON task_tags(task_id);
    """,
    # Lists (projects): every task is in one, `inbox` unless given. The index gives a list's tasks in
    # id order (the list filter's pages) and the lists with their counts without sorting.
    """
    ALTER TABLE tasks ADD COLUMN list TEXT NOT NULL DEFAULT 'inbox';
    CREATE INDEX tasks_list ON tasks(list, id);
    """,
    # Subtasks, recurrence, the trash and history. The filters' indexes now hold the tasks out of the
    # trash only (every read but the trash's asks for those), so a page never steps over trashed rows,
    # however many there are; tag rows are kept for those tasks only. The other partial indexes hold
    # only the few rows that have a parent or are in the trash: a task's subtask counts are one probe
    # of tasks_parent. A new
    # history row's seq is above every row there is (rowid order, no AUTOINCREMENT bookkeeping), which
    # is all the order a task's entries need.
    """
    ALTER TABLE tasks ADD COLUMN parent_id INTEGER REFERENCES tasks(id);
    ALTER TABLE tasks ADD COLUMN recurrence TEXT;
    ALTER TABLE tasks ADD COLUMN repeat_from TEXT NOT NULL DEFAULT 'due';
    ALTER TABLE tasks ADD COLUMN timezone TEXT;
    ALTER TABLE tasks ADD COLUMN deleted_at TEXT;
    DROP INDEX tasks_status;
    DROP INDEX tasks_priority;
    DROP INDEX tasks_due_key;
    DROP INDEX tasks_list;
    CREATE INDEX tasks_status ON tasks(status, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_priority ON tasks(priority, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_due_key ON tasks(due_key) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_list ON tasks(list, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_parent ON tasks(parent_id, status) WHERE parent_id IS NOT NULL;
    CREATE INDEX tasks_trash ON tasks(deleted_at) WHERE deleted_at IS NOT NULL;
    CREATE TABLE task_history (
        seq INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        changes TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX task_history_task ON task_history(task_id, seq);
    """,
    # Text search by index: an FTS5 trigram index of titles and descriptions, kept by triggers, finds
    # a substring of 3 characters or more without reading every task. A write rewrites every column,
    # so the update trigger re-indexes only when the text did change.
    """
    CREATE VIRTUAL TABLE task_search USING fts5(
        title, description, content='tasks', content_rowid='id', tokenize='trigram'
    );
    INSERT INTO task_search (task_search) VALUES ('rebuild');
    CREATE TRIGGER task_search_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO task_search (rowid, title, description) VALUES (new.id, new.title, new.description);
    END;
    CREATE TRIGGER task_search_delete AFTER DELETE ON tasks BEGIN
        INSERT INTO task_search (task_search, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END;
    CREATE TRIGGER task_search_update AFTER UPDATE OF title, description ON tasks
    WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
        INSERT INTO task_search (task_search, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO task_search (rowid, title, description) VALUES (new.id, new.title, new.description);
    END;
    """,
    # The same index, cheaper to keep:
    # - no row of column sizes per task (columnsize=0): they serve only bm25 ranking, which search
    #   never does (matches come in id order);
    # - no insert trigger: the store indexes a new task itself (_SQLiteTransaction.insert). A
    #   trigger's statement runs in a savepoint, and FTS5 writes its pending terms out as a new
    #   segment at every savepoint: one segment per created task, and three times the cost of a
    #   create, where a plain statement lets a transaction's new tasks share one segment.
    # The update and delete triggers stay: they run only when a title or description changes or a
    # task is purged.
    """
    DROP TRIGGER task_search_insert;
    DROP TABLE task_search;
    CREATE VIRTUAL TABLE task_search USING fts5(
        title, description, content='tasks', content_rowid='id', tokenize='trigram', columnsize=0
    );
    INSERT INTO task_search (task_search) VALUES ('rebuild');
    """,
    # Principals: every task and idempotency key is one principal's, and those a database held before
    # are the local principal's (the literal is LOCAL_PRINCIPAL). Every index of the filters leads with
    # the owner, so one principal's page reads none of another's rows. API keys are kept as hashes.
    """
    ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
    ALTER TABLE task_history ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
    DROP INDEX tasks_status;
    DROP INDEX tasks_priority;
    DROP INDEX tasks_due_key;
    DROP INDEX tasks_list;
    DROP INDEX tasks_trash;
    CREATE INDEX tasks_owner ON tasks(owner, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_status ON tasks(owner, status, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_priority ON tasks(owner, priority, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_due_key ON tasks(owner, due_key) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_list ON tasks(owner, list, id) WHERE deleted_at IS NULL;
    CREATE INDEX tasks_trash ON tasks(owner, deleted_at) WHERE deleted_at IS NOT NULL;
    CREATE TABLE owned_idempotency_keys (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        task_id INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (owner, key)
    );
    INSERT INTO owned_idempotency_keys SELECT 'local', key, fingerprint, task_id, created_at FROM idempotency_keys;
    DROP TABLE idempotency_keys;
    ALTER TABLE owned_idempotency_keys RENAME TO idempotency_keys;
    CREATE TABLE principals (
        id TEXT PRIMARY KEY,
        plan TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        prefix TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        principal_id TEXT NOT NULL REFERENCES principals(id),
        scopes TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    """,
    # Each principal's requests in a calendar month (core/usage.py), added to by every replica.
    """
    CREATE TABLE usage (
        principal_id TEXT NOT NULL,
        month TEXT NOT NULL,
        requests INTEGER NOT NULL,
        PRIMARY KEY (principal_id, month)
    );
    """,
]


def statements(script: str) -> list[str]:
    """A migration's statements; a trigger's body holds semicolons of its own, so a statement ends
    where SQLite says one is complete, not at every semicolon."""
    found: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                found.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        found.append(pending.strip())
    return found


@functools.lru_cache(maxsize=64)
def _iso(value: dt.datetime | None) -> str | None:
    # Fixed width (microseconds always written), so that text order is time order. Cached: every row
    # and history entry of one transaction is stamped with the same instant.
    return value.isoformat(timespec="microseconds") if value else None


def _changes_text(entry: HistoryEntry) -> str:
    return json.dumps(entry.changes_json()) if entry.changes else "{}"  # most entries change no field


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _row_to_task(row: sqlite3.Row) -> Task:
    return stored_task(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        status=row["status"],
        priority=row["priority"],
        due=row["due"],
        tags=json.loads(row["tags"]),
        list=row["list"],
        parent_id=row["parent_id"],
        recurrence=row["recurrence"],
        repeat_from=row["repeat_from"],
        timezone=row["timezone"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        updated_at=dt.datetime.fromisoformat(row["updated_at"]),
        completed_at=_instant(row["completed_at"]),
        deleted_at=_instant(row["deleted_at"]),
        version=row["version"],
        subtasks_open=row["subtasks_open"],
        subtasks_done=row["subtasks_done"],
    )


def _row_to_entry(row: sqlite3.Row) -> HistoryEntry:
    return HistoryEntry(
        task_id=row["task_id"],
        at=dt.datetime.fromisoformat(row["at"]),
        kind=HistoryKind(row["kind"]),
        version=row["version"],
        changes=json.loads(row["changes"]),
    )


def _error_name(exc: sqlite3.Error) -> str:
    return getattr(exc, "sqlite_errorname", None) or ""


def _is_busy(exc: sqlite3.Error) -> bool:
    """The file is locked by another connection: worth waiting for, and no fault of the file."""
    name = _error_name(exc)
    if name:
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    return "locked" in str(exc) or "busy" in str(exc)


def _is_misuse(exc: sqlite3.Error) -> bool:
    """A misuse of the sqlite3 module (wrong bindings, an unsupported type): a bug in this server,
    to surface as one rather than as a store that is down."""
    return isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError))


class SQLiteTaskStore:
    """Tasks in one SQLite file. Each write is one BEGIN IMMEDIATE transaction on the event loop's own
    connection, so this process's writers queue in order; only a write that finds the file busy (another
    process writing) waits, in a worker thread, on the busy timeout.

    Every SQLite failure but a busy file reaches callers as StoreUnavailable with what to do about
    it, and is recorded as a fault: readiness then reports the store down until a check of the
    whole file and a test write pass. Writes are refused once the file at the path is no longer the
    one opened (deleted or replaced), since they would land in a file no restart will see."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file = self.path.absolute()  # what stat and the connections open, whatever the cwd later
        self._wal = self._file.with_name(self._file.name + "-wal")
        self._uri = self._file.as_uri()
        self._connections: set[sqlite3.Connection] = set()
        self._connections_lock = threading.Lock()
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue(maxsize=THREAD_CONNECTIONS + 1)
        self._scans = anyio.CapacityLimiter(THREAD_CONNECTIONS)
        self._thread_writer = anyio.CapacityLimiter(1)
        self._inline: sqlite3.Connection | None = None
        self._write_lock = anyio.Lock(fast_acquire=True)
        self._probe_lock = anyio.Lock()
        self._checkpointing = threading.Lock()
        self._writes_since_checkpoint = 0
        self._identity: tuple[int, int] | None = None
        self._fault: str | None = None
        self._closed = False

    @property
    def description(self) -> str:
        return f"sqlite:{self.path}"

    @property
    def open_connections(self) -> int:
        """SQLite connections open now: the loop's, the pooled ones, and any checkpoint or probe."""
        with self._connections_lock:
            return len(self._connections)

    # -- connections ---------------------------------------------------------------------------

    def _connect(self, *, create: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
        """A new connection. Only open() may create the file: any later connection opens it as it
        is, so a deleted file is an error rather than a new, empty database."""
        if self._closed:
            raise StoreUnavailable("the task store is closed")
        mode = "rwc" if create else "rw"
        try:
            conn = sqlite3.connect(
                f"{self._uri}?mode={mode}",
                uri=True,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
            conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._unavailable(exc) from exc
        with self._connections_lock:
            self._connections.add(conn)
        return conn

    def _disconnect(self, conn: sqlite3.Connection) -> None:
        with self._connections_lock:
            self._connections.discard(conn)
        with contextlib.suppress(sqlite3.Error):  # closing rolls back what a failure left; nothing to keep
            conn.close()

    def _take(self) -> sqlite3.Connection:
        """A pooled connection for a worker thread; the limiters keep at most the pool's size in use."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._connect()

    def _release(self, conn: sqlite3.Connection, *, healthy: bool) -> None:
        """Back to the pool, or closed when it failed: its cache may hold what the failure left."""
        if healthy and conn.in_transaction:
            healthy = self._rollback(conn)
        if healthy and not self._closed:
            try:
                self._idle.put_nowait(conn)
                return
            except queue.Full:
                pass
        self._disconnect(conn)

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> bool:
        """Roll back what a failed call left open; False when even that failed."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            return False
        return True

    async def _run(self, fn: Callable[[sqlite3.Connection], T], *, limiter: anyio.CapacityLimiter) -> T:
        """fn on a pooled connection in a worker thread, at most `limiter` of them at once."""

        def call() -> T:
            conn = self._take()
            healthy = True
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                healthy = _is_busy(exc)
                if _is_misuse(exc) and not self._closed:
                    raise
                raise self._unavailable(exc) from exc
            finally:
                self._release(conn, healthy=healthy)

        return await anyio.to_thread.run_sync(call, limiter=limiter)

    def _open_inline(self) -> sqlite3.Connection:
        """The event loop thread's connection: it never waits on a lock (busy timeout 0) and never
        checkpoints (a checkpoint syncs the file to disk); _checkpoint_soon does that off the loop."""
        conn = self._connect(busy_timeout_ms=0)
        try:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error as exc:
            self._disconnect(conn)
            raise self._unavailable(exc) from exc
        self._inline = conn
        return conn

    def _try_inline(self, fn: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """(True, result) when fn ran on the loop's connection; (False, None) when the file was busy.
        After any other SQLite failure the connection is closed, so that the next call reads the
        file afresh instead of trusting a cache the failure may have left."""
        conn = self._inline or self._open_inline()
        try:
            return True, fn(conn)
        except sqlite3.Error as exc:
            if _is_busy(exc) and self._rollback(conn):
                return False, None
            if _is_misuse(exc) and not self._closed:
                raise
            if self._inline is conn:
                self._inline = None
            self._disconnect(conn)
            raise self._unavailable(exc) from exc

    async def _read(self, fn: Callable[[sqlite3.Connection], T], *, may_scan: bool = False) -> T:
        """Run a read on the event loop's own thread. In WAL mode a read does not wait for writers and
        takes well under a millisecond, while handing it to a worker thread cost more than the read
        and, through the GIL hand-offs, tripled the P99 of list_tasks under 10 clients. A read that may
        scan the whole table (text search, counts), or that finds the file busy, runs in a worker
        thread instead, so the loop never stalls behind it."""
        # The loop's connection inside a write transaction would read what is not committed yet.
        if not may_scan and not (self._inline is not None and self._inline.in_transaction):
            done, result = self._try_inline(fn)
            if done:
                return result  # type: ignore[return-value]
        return await self._run(fn, limiter=self._scans)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[TaskTransaction]:
        """One IMMEDIATE transaction: all of it commits, or none of it.

        It runs on the loop's thread (a WAL commit without a checkpoint does not touch the disk's
        sync), and the write lock makes this process's writers queue in order: before, writers in
        worker threads collided inside SQLite and waited in its busy handler, which sleeps in steps
        of up to 100 ms; that made the P99 of writes several hundred milliseconds. When the file is
        busy (another process writing), the transaction runs on a pooled connection in a worker
        thread instead, where BEGIN waits its turn with the busy timeout.

        It first checks (one stat) that the path still names the file this store opened.

        Beginning and ending a transaction in a worker thread is shielded from cancellation (a client
        that cancels its call, a deadline): abandoned there, the connection would hold the file's
        write lock, and every later write of every process would wait on it in vain."""
        self._check_identity()
        async with self._write_lock:
            inline = self._begin_inline()
            if inline is not None:
                tx = _SQLiteTransaction(self, inline, threaded=False)
            else:
                with anyio.CancelScope(shield=True):
                    threaded = await self._begin_in_thread()
                tx = _SQLiteTransaction(self, threaded, threaded=True)
            try:
                yield tx
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await tx.finish(commit=False)
                raise
            with anyio.CancelScope(shield=True):
                await tx.finish(commit=True)
        self._checkpoint_soon()

    def _begin_inline(self) -> sqlite3.Connection | None:
        """BEGIN IMMEDIATE on the loop's connection, or None when the file is busy."""

        def begin(conn: sqlite3.Connection) -> sqlite3.Connection:
            conn.execute("BEGIN IMMEDIATE")
            return conn

        done, conn = self._try_inline(begin)
        return conn if done else None

    async def _begin_in_thread(self) -> sqlite3.Connection:
        def begin() -> sqlite3.Connection:
            conn = self._take()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                self._release(conn, healthy=_is_busy(exc))
                raise self._unavailable(exc) from exc
            return conn

        return await anyio.to_thread.run_sync(begin, limiter=self._thread_writer)

    def _checkpoint_soon(self) -> None:
        """Every CHECKPOINT_EVERY writes, copy the WAL into the database file in a thread of its own,
        so the disk sync never happens on the event loop."""
        self._writes_since_checkpoint += 1
        if self._writes_since_checkpoint < CHECKPOINT_EVERY or self._checkpointing.locked():
            return
        self._writes_since_checkpoint = 0
        threading.Thread(target=self._checkpoint, name="sqlite-checkpoint", daemon=True).start()

    def _checkpoint(self) -> None:
        """A failed passive checkpoint loses nothing (the next one catches up), but one that failed
        for want of space or a damaged file is recorded as a fault, so readiness says so."""
        with self._checkpointing:
            try:
                conn = self._connect()
            except StoreUnavailable:
                return
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    self._record_fault(self._explain(exc), exc)
            finally:
                self._disconnect(conn)

    # -- faults --------------------------------------------------------------------------------

    def _explain(self, exc: sqlite3.Error) -> str:
        """What a failed SQLite call means for the store, and what an operator can do about it."""
        name = _error_name(exc)
        where = f"the task database {self.path}"
        if _is_busy(exc):
            return f"{where} stayed locked by another connection for {BUSY_TIMEOUT_MS // 1000} s ({exc}); retry shortly"
        if name.startswith("SQLITE_FULL"):
            return f"{where} cannot grow: the disk is full or a file size limit was reached ({exc}); free space"
        if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_AUTH")):
            return f"{where} cannot be opened or written ({exc}): check that it and its folder exist and are writable"
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return f"{where} is damaged ({exc}): stop the server and restore the file from a backup"
        if name.startswith("SQLITE_IOERR"):
            return f"reading or writing {where} failed ({exc}, {name}): the disk may be full, read-only or failing"
        return f"{where} could not complete the operation: {exc}"

    def _unavailable(self, exc: sqlite3.Error) -> StoreUnavailable:
        """The error a caller sees for a failed SQLite call; every failure but a busy file is a fault."""
        if self._closed:
            return StoreUnavailable("the task store is closed")
        message = self._explain(exc)
        if not _is_busy(exc):
            self._record_fault(message, exc)
        return StoreUnavailable(message)

    def _record_fault(self, message: str, exc: BaseException | None = None) -> None:
        if self._fault is None:
            logger.error("store_fault", extra={"store": self.description, "error": message}, exc_info=exc)
        self._fault = message

    def _check_identity(self) -> None:
        """Raise unless the path still names the file open() opened: a deleted file keeps taking
        writes through the open connections, and every one of them is gone after a restart."""
        if self._identity is None:
            return
        try:
            stat = os.stat(self._file)
        except FileNotFoundError:
            problem = "was deleted"
        except OSError as exc:
            problem = f"cannot be reached ({exc})"
        else:
            if (stat.st_dev, stat.st_ino) == self._identity:
                return
            problem = "was replaced by another file"
        message = (
            f"the task database {self.path} {problem} while the server ran; writes are refused so that "
            f"none is lost: put the file back, or restart the server to open the file now at that path"
        )
        self._record_fault(message)
        raise StoreUnavailable(message)

    def _check_writable(self) -> None:
        """A read-only file system or an immutable file fails os.access even for root."""
        for path in (self._file, self._wal, self._file.parent):
            if (path is not self._wal or path.exists()) and not os.access(path, os.W_OK):
                raise StoreUnavailable(
                    f"the task database cannot be written: {path} is read-only (a read-only file system, "
                    f"an immutable file or its permissions)"
                )

    def _room_problem(self) -> str | None:
        """Why the files may not be able to grow now (disk space, the file size limit), or None."""
        space = os.statvfs(self._file.parent)
        free = space.f_bavail * space.f_frsize
        if free < ROOM_NEEDED_BYTES:
            return f"the file system holding {self.path.parent} has only {free} bytes free"
        if resource is not None:
            limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
            if limit != resource.RLIM_INFINITY:
                largest = max((p.stat().st_size for p in (self._file, self._wal) if p.exists()), default=0)
                if limit - largest < ROOM_NEEDED_BYTES:
                    room = max(limit - largest, 0)
                    return f"the file size limit of this process ({limit} bytes, ulimit -f) leaves {room} bytes of room"
        return None

    def _check_health(self) -> bool:
        """Readiness, in a worker thread: the file is the one opened and writable, and a connection
        of its own reads the schema from the file. While a fault is recorded, also the room to grow,
        PRAGMA quick_check (it reads every page, so only then) and a test write that rewrites the
        schema version; when all pass, the fault is cleared and True returned."""
        fault = self._fault
        self._check_identity()
        self._check_writable()
        conn = self._connect(busy_timeout_ms=PROBE_BUSY_TIMEOUT_MS)
        try:
            version = self._check_schema(conn)
            return fault is not None and self._recheck(conn, version, fault)
        except sqlite3.Error as exc:
            if _is_busy(exc) and fault is not None:
                raise StoreUnavailable(fault) from exc
            raise self._unavailable(exc) from exc
        finally:
            self._disconnect(conn)

    def _check_schema(self, conn: sqlite3.Connection) -> int:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        if version != len(MIGRATIONS):
            raise StoreUnavailable(
                f"the task database {self.path} is now at schema version {version}, not {len(MIGRATIONS)} "
                f"as opened; restart the server"
            )
        return version

    def _recheck(self, conn: sqlite3.Connection, version: int, fault: str) -> bool:
        room = self._room_problem()
        if room is not None:
            raise StoreUnavailable(f"{fault}; still: {room}")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise StoreUnavailable(
                f"the task database {self.path} is damaged ({'; '.join(problems)}): stop the server and "
                f"restore the file from a backup"
            )
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
        if self._fault != fault:
            return False  # another failure meanwhile: the next probe checks again
        self._fault = None
        logger.info("store_recovered", extra={"store": self.description, "error": fault})
        return True

    def _reopen_connections(self) -> None:
        """After a fault cleared, on the loop's thread (so the loop's connection is not in use): close
        the loop's and the idle pooled connections, which may have been opened while the file was
        read-only (SQLite then opens it read-only for good); the next calls open fresh ones."""
        if self._inline is not None:
            conn, self._inline = self._inline, None
            self._disconnect(conn)
        while True:
            try:
                self._disconnect(self._idle.get_nowait())
            except queue.Empty:
                break

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await anyio.to_thread.run_sync(self._open_file)

    def _open_file(self) -> None:
        """Create or migrate the file, and remember which file it is (device and inode)."""
        conn = self._connect(create=True)
        try:
            self._migrate(conn)
            stat = os.stat(self._file)
        except sqlite3.Error as exc:
            self._disconnect(conn)
            raise self._unavailable(exc) from exc
        except BaseException:
            self._disconnect(conn)
            raise
        self._identity = (stat.st_dev, stat.st_ino)
        self._release(conn, healthy=True)

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > len(MIGRATIONS):
                raise StoreUnavailable(
                    f"the database schema is version {current}, newer than this server knows "
                    f"({len(MIGRATIONS)}); upgrade the server"
                )
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    async def schema_version(self) -> int:
        return await self._read(lambda conn: conn.execute("PRAGMA user_version").fetchone()[0])

    async def close(self) -> None:
        self._closed = True
        self._inline = None
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            conn.close()
        while True:
            try:
                self._idle.get_nowait()
            except queue.Empty:
                break

    async def ping(self) -> None:
        """Readiness: see _check_health. Probes run one at a time, each on a connection of its own,
        so that a probe reads the file rather than a cache."""
        if self._closed:
            raise StoreUnavailable("the task store is closed")
        async with self._probe_lock:
            recovered = await anyio.to_thread.run_sync(self._check_health)
        if recovered:
            self._reopen_connections()

    # -- reads ---------------------------------------------------------------------------------

    async def get(self, task_id: int) -> Task | None:
        owner = acting_owner()
        return await self._read(lambda conn: _get(conn, task_id, owner))

    async def list_page(
        self, query: TaskQuery, *, after_id: int | None, limit: int, count_limit: int | None = None
    ) -> tuple[list[Task], int]:
        selection = select(
            query, owner=acting_owner(), placeholder="?", ilike="LIKE", indexed_search=fts_search, tag_in_row=TAG_IN_ROW
        )

        def read(conn: sqlite3.Connection) -> tuple[list[Task], int]:
            # One read transaction so the page and the total see the same snapshot.
            conn.execute("BEGIN")
            try:
                rows = conn.execute(selection.page_sql("?"), [*selection.args, after_id or 0, limit]).fetchall()
                total = conn.execute(selection.count_sql("?"), [*selection.args, count_limit or -1]).fetchone()[0]
            finally:
                conn.execute("COMMIT")
            return [_row_to_task(row) for row in rows], total

        return await self._read(read, may_scan=query.search is not None)

    async def count_by_status(self) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute(
                "SELECT status, count(*) FROM tasks WHERE deleted_at IS NULL GROUP BY status"
            ).fetchall()
            counts = {status.value: 0 for status in Status}
            counts.update({row[0]: row[1] for row in rows})
            return counts

        return await self._read(read, may_scan=True)

    async def suggest_tags(self, prefix: str, limit: int) -> list[str]:
        owner = acting_owner()

        def read(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT tag FROM task_tags JOIN tasks ON tasks.id = task_tags.task_id"
                " WHERE tag LIKE ? ESCAPE '\\' AND tasks.owner = ? GROUP BY tag ORDER BY count(*) DESC, tag LIMIT ?",
                (escape_like(prefix.lower()) + "%", owner, limit),
            ).fetchall()
            return [row[0] for row in rows]

        return await self._read(read, may_scan=True)

    async def suggest_ids(self, prefix: str, limit: int) -> list[int]:
        owner = acting_owner()

        def read(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                "SELECT id FROM tasks WHERE owner = ? AND status = 'open' AND deleted_at IS NULL"
                " AND CAST(id AS TEXT) LIKE ? ORDER BY id DESC LIMIT ?",
                (owner, escape_like(prefix) + "%", limit),
            ).fetchall()
            return [row[0] for row in rows]

        return await self._read(read, may_scan=True)

    async def lists(self) -> list[TaskList]:
        owner = acting_owner()

        def read(conn: sqlite3.Connection) -> list[TaskList]:
            rows = conn.execute(lists_sql("?"), (owner,)).fetchall()
            return [TaskList(name=row["name"], open=row["open"], done=row["done"]) for row in rows]

        return await self._read(read, may_scan=True)

    async def history(self, task_id: int, *, limit: int) -> list[HistoryEntry]:
        owner = acting_owner()

        def read(conn: sqlite3.Connection) -> list[HistoryEntry]:
            rows = conn.execute(
                "SELECT task_id, at, kind, version, changes FROM task_history WHERE task_id = ?"
                " AND owner = ? ORDER BY seq DESC LIMIT ?",
                (task_id, owner, limit),
            ).fetchall()
            return [_row_to_entry(row) for row in reversed(rows)]

        return await self._read(read)

    # -- API keys ------------------------------------------------------------------------------

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """fn in one write transaction of its own."""
        async with self.transaction() as tx:
            assert isinstance(tx, _SQLiteTransaction)
            return await tx._call(fn)

    async def add_key(self, key: ApiKey, secret_hash: str) -> None:
        def add(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM api_keys WHERE name = ?", (key.name,)).fetchone() is not None:
                raise KeyNameTaken(key.name)
            conn.execute(
                "INSERT INTO principals (id, plan, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET plan = coalesce(excluded.plan, principals.plan)",
                (key.principal_id, key.plan, _iso(key.created_at)),
            )
            conn.execute(
                "INSERT INTO api_keys (prefix, name, principal_id, scopes, secret_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key.prefix, key.name, key.principal_id, scopes_text(key.scopes), secret_hash, _iso(key.created_at)),
            )

        await self._write(add)

    async def key_by_prefix(self, prefix: str) -> tuple[ApiKey, str] | None:
        def read(conn: sqlite3.Connection) -> tuple[ApiKey, str] | None:
            row = conn.execute(f"{KEY_COLUMNS_SQL} WHERE k.prefix = ?", (prefix,)).fetchone()
            return (_row_to_key(row), row["secret_hash"]) if row else None

        return await self._read(read)

    async def list_keys(self) -> list[ApiKey]:
        def read(conn: sqlite3.Connection) -> list[ApiKey]:
            return [_row_to_key(row) for row in conn.execute(f"{KEY_COLUMNS_SQL} ORDER BY k.created_at, k.name")]

        return await self._read(read)

    async def revoke_key(self, name_or_prefix: str, *, now: dt.datetime) -> ApiKey | None:
        def revoke(conn: sqlite3.Connection) -> ApiKey | None:
            conn.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE name = ? OR prefix = ?",
                (_iso(now), name_or_prefix, name_or_prefix),
            )
            row = conn.execute(
                f"{KEY_COLUMNS_SQL} WHERE k.name = ? OR k.prefix = ?", (name_or_prefix, name_or_prefix)
            ).fetchone()
            return _row_to_key(row) if row else None

        return await self._write(revoke)

    async def has_keys(self) -> bool:
        sql = CREDENTIAL_KEY_SQL.format(placeholder="?")
        return await self._read(lambda conn: conn.execute(sql, (feed_scopes_text(),)).fetchone() is not None)

    async def principal_plan(self, principal_id: str, *, now: dt.datetime) -> str | None:
        def read(conn: sqlite3.Connection) -> tuple[bool, str | None]:
            row = conn.execute("SELECT plan FROM principals WHERE id = ?", (principal_id,)).fetchone()
            return (row is not None, row["plan"] if row else None)

        known, plan = await self._read(read)  # a read first: a write transaction on every request would queue them
        if known:
            return plan
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO principals (id, plan, created_at) VALUES (?, NULL, ?) ON CONFLICT (id) DO NOTHING",
                (principal_id, _iso(now)),
            )
        )
        return await self._read(lambda conn: read(conn)[1])

    async def set_principal_plan(self, principal_id: str, plan: str | None, *, now: dt.datetime) -> None:
        await self._write(
            lambda conn: conn.execute(
                f"{SET_PLAN_SQL} VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET plan = excluded.plan",
                (principal_id, plan, _iso(now)),
            )
        )

    async def list_principals(self) -> list[PrincipalRecord]:
        def read(conn: sqlite3.Connection) -> list[PrincipalRecord]:
            return [
                PrincipalRecord(
                    row["id"], row["plan"], _instant(row["created_at"]) or dt.datetime.min, row["active_keys"]
                )
                for row in conn.execute(PRINCIPALS_SQL)
            ]

        return await self._read(read)

    # -- usage ---------------------------------------------------------------------------------

    async def add_usage(self, counts: dict[tuple[str, str], int]) -> None:
        rows = [(principal, month, count) for (principal, month), count in counts.items()]
        await self._write(
            lambda conn: conn.executemany(
                "INSERT INTO usage (principal_id, month, requests) VALUES (?, ?, ?)"
                " ON CONFLICT (principal_id, month) DO UPDATE SET requests = usage.requests + excluded.requests",
                rows,
            )
        )

    async def usage_of(self, principal_id: str, month: str) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT requests FROM usage WHERE principal_id = ? AND month = ?", (principal_id, month)
            ).fetchone()
            return int(row[0]) if row else 0

        return await self._read(read)

    async def usage_in(self, month: str) -> list[tuple[str, str | None, int]]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, str | None, int]]:
            rows = conn.execute(USAGE_IN_SQL.format(placeholder="?"), (month,))
            return [(row[0], row[1], int(row[2])) for row in rows]

        return await self._read(read)


def _row_to_key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        prefix=row["prefix"],
        name=row["name"],
        principal_id=row["principal_id"],
        scopes=scopes_of(row["scopes"]),
        created_at=_instant(row["created_at"]) or dt.datetime.min,
        revoked_at=_instant(row["revoked_at"]),
        plan=row["plan"],
    )


class _SQLiteTransaction:
    """A TaskTransaction on one connection: the loop's own, or a pooled one in a worker thread when
    the file was busy. After any SQLite failure the transaction is done for: it rolls back, and the
    connection is closed rather than trusted again."""

    def __init__(self, store: SQLiteTaskStore, conn: sqlite3.Connection, *, threaded: bool) -> None:
        self._store = store
        self._conn = conn
        self._threaded = threaded
        self._failed = False
        self._owner = acting_owner()

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._failed:
            raise StoreUnavailable("the task store failed earlier in this transaction")

        def call() -> T:
            try:
                return fn(self._conn)
            except sqlite3.Error as exc:
                self._failed = True
                if _is_misuse(exc) and not self._store._closed:
                    raise
                raise self._store._unavailable(exc) from exc

        if self._threaded:
            return await anyio.to_thread.run_sync(call, limiter=self._store._thread_writer)
        return call()

    async def finish(self, *, commit: bool) -> None:
        store, conn = self._store, self._conn

        def end() -> None:
            if commit and not self._failed:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    # SQLite may have rolled back already (a full disk, some I/O errors): a failing
                    # ROLLBACK must not hide the error that says what happened.
                    with contextlib.suppress(sqlite3.Error):
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                    self._dispose()
                    raise store._unavailable(exc) from exc
                self._keep()
            elif not self._failed and store._rollback(conn):
                self._keep()
            else:
                self._dispose()

        if self._threaded:
            await anyio.to_thread.run_sync(end, limiter=store._thread_writer)
        else:
            end()

    def _keep(self) -> None:
        if self._threaded:
            self._store._release(self._conn, healthy=True)

    def _dispose(self) -> None:
        store = self._store
        if store._inline is self._conn:
            store._inline = None
        store._disconnect(self._conn)

    async def get(self, task_id: int) -> Task | None:
        return await self._call(lambda conn: _get(conn, task_id, self._owner))

    async def insert(self, new: NewTask, *, timezone: str | None, now: dt.datetime) -> Task:
        def insert(conn: sqlite3.Connection) -> Task:
            stamp = _iso(now)
            cursor = conn.execute(
                "INSERT INTO tasks (owner, title, description, status, priority, due, due_key, tags, list, parent_id,"
                " recurrence, repeat_from, timezone, created_at, updated_at, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    self._owner,
                    new.title,
                    new.description,
                    Status.OPEN.value,
                    new.priority.value,
                    new.due,
                    due_sort_key(new.due) if new.due else None,
                    json.dumps(new.tags),
                    new.list,
                    new.parent_id,
                    new.recurrence,
                    new.repeat_from.value,
                    timezone,
                    stamp,
                    stamp,
                ),
            )
            task_id = int(cursor.lastrowid or 0)
            conn.execute(  # not by trigger: see the last migration
                "INSERT INTO task_search (rowid, title, description) VALUES (?, ?, ?)",
                (task_id, new.title, new.description),
            )
            conn.executemany("INSERT INTO task_tags (task_id, tag) VALUES (?, ?)", [(task_id, t) for t in new.tags])
            return inserted_task(task_id, new, timezone=timezone, now=now)

        return await self._call(insert)

    async def save(self, task: Task, *, tags_changed: bool) -> None:
        def save(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, due = ?, due_key = ?,"
                " tags = ?, list = ?, parent_id = ?, recurrence = ?, repeat_from = ?, timezone = ?,"
                " updated_at = ?, completed_at = ?, deleted_at = ?, version = ? WHERE id = ? AND owner = ?",
                (
                    task.title,
                    task.description,
                    task.status.value,
                    task.priority.value,
                    task.due,
                    due_sort_key(task.due) if task.due else None,
                    json.dumps(task.tags),
                    task.list,
                    task.parent_id,
                    task.recurrence,
                    task.repeat_from.value,
                    task.timezone,
                    _iso(task.updated_at),
                    _iso(task.completed_at),
                    _iso(task.deleted_at),
                    task.version,
                    task.id,
                    self._owner,
                ),
            )
            if tags_changed:  # the tag index holds the tasks out of the trash only
                conn.execute("DELETE FROM task_tags WHERE task_id = ?", (task.id,))
                if task.deleted_at is None:
                    conn.executemany(
                        "INSERT INTO task_tags (task_id, tag) VALUES (?, ?)", [(task.id, tag) for tag in task.tags]
                    )

        await self._call(save)

    async def subtree(self, task_id: int) -> list[Task]:
        def read(conn: sqlite3.Connection) -> list[Task]:
            rows = conn.execute(
                SUBTREE_SQL.format(columns=COLUMNS, placeholder="?"), (task_id, self._owner, NESTING_MAX)
            )
            return [_row_to_task(row) for row in rows]

        return await self._call(read)

    async def purge(self, task_ids: list[int]) -> None:
        def purge(conn: sqlite3.Connection) -> None:
            marks = ", ".join("?" * len(task_ids))
            conn.execute(f"DELETE FROM tasks WHERE owner = ? AND id IN ({marks})", [self._owner, *task_ids])

        if task_ids:
            await self._call(purge)

    async def move_list(self, name: str, new_name: str, *, now: dt.datetime) -> list[Task]:
        def move(conn: sqlite3.Connection) -> list[Task]:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM tasks WHERE owner = ? AND list = ? ORDER BY id", (self._owner, name)
            ).fetchall()
            if rows:
                conn.execute(
                    "UPDATE tasks SET list = ?, updated_at = ?, version = version + 1 WHERE owner = ? AND list = ?",
                    (new_name, _iso(now), self._owner, name),
                )
            return [_row_to_task(row) for row in rows]

        return await self._call(move)

    async def expired_trash(self, before: dt.datetime) -> list[int]:
        def read(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                "SELECT id FROM tasks WHERE owner = ? AND deleted_at IS NOT NULL AND deleted_at < ? ORDER BY id",
                (self._owner, _iso(before)),
            )
            return [row[0] for row in rows]

        return await self._call(read)

    async def key_owner(self, key: str) -> tuple[str, int] | None:
        def read(conn: sqlite3.Connection) -> tuple[str, int] | None:
            row = conn.execute(
                "SELECT fingerprint, task_id FROM idempotency_keys WHERE owner = ? AND key = ?", (self._owner, key)
            ).fetchone()
            return (row["fingerprint"], row["task_id"]) if row else None

        return await self._call(read)

    async def remember_key(self, key: str, fingerprint: str, task_id: int, *, now: dt.datetime) -> None:
        await self._call(
            lambda conn: conn.execute(
                "INSERT INTO idempotency_keys (owner, key, fingerprint, task_id, created_at) VALUES (?, ?, ?, ?, ?)",
                (self._owner, key, fingerprint, task_id, _iso(now)),
            )
        )

    async def record(self, entries: list[HistoryEntry]) -> None:
        rows = [(self._owner, e.task_id, _iso(e.at), e.kind.value, e.version, _changes_text(e)) for e in entries]
        await self._call(
            lambda conn: conn.executemany(
                "INSERT INTO task_history (owner, task_id, at, kind, version, changes) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
        )

    async def forget_history(self, task_ids: list[int]) -> None:
        def forget(conn: sqlite3.Connection) -> None:
            marks = ", ".join("?" * len(task_ids))
            conn.execute(f"DELETE FROM task_history WHERE owner = ? AND task_id IN ({marks})", [self._owner, *task_ids])

        if task_ids:
            await self._call(forget)


# A trashed task has no tag rows: the trash is filtered by the tags of the task itself.
TAG_IN_ROW = "EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE json_each.value = ?)"


def _unicode_lower(text: str | None) -> str | None:
    return text.lower() if isinstance(text, str) else None


def fts_search(text: str) -> TextIndex | None:
    """The trigram index for a search, or None for one too short for trigrams (then LIKE's scan). The text
    is one FTS5 phrase: a substring of title or description, case-insensitive. FTS5 returns matches
    in rowid (task id) order and takes the page's `rowid > ?` bound, so a page reads no further than
    its own matches."""
    if len(text) < 3:
        if text.isascii():
            return None  # LIKE folds ASCII case itself
        # LIKE folds ASCII only: compare both sides lower-cased by Python (a scan, as LIKE's is)
        pattern = f"%{escape_like(text.lower())}%"
        folded = (
            "(unicode_lower(tasks.title) LIKE ? ESCAPE '\\' OR unicode_lower(tasks.description) LIKE ? ESCAPE '\\')"
        )
        return TextIndex(source="tasks", key="tasks.id", match=folded, member=folded, args=[pattern, pattern])
    phrase = '"' + text.replace('"', '""') + '"'
    return TextIndex(
        source="task_search JOIN tasks ON tasks.id = task_search.rowid",
        key="task_search.rowid",
        match="task_search MATCH ?",
        member="tasks.id IN (SELECT rowid FROM task_search WHERE task_search MATCH ?)",
        args=[phrase],
    )


def _get(conn: sqlite3.Connection, task_id: int, owner: str) -> Task | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM tasks WHERE id = ? AND owner = ?", (task_id, owner)).fetchone()
    return _row_to_task(row) if row else None
