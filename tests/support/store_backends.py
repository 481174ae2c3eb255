"""Each store's data, and the few things a test must do to it from outside the store (set its schema
version, make a write fail inside its transaction), so the contract suite runs the same tests on each."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from mcp_server.core.storage import TaskStore
from mcp_server.store import PostgresTaskStore, SQLiteTaskStore
from mcp_server.store import postgres as postgres_store
from mcp_server.store import sqlite as sqlite_store


@dataclass
class Backend:
    """A store's data location, and the few things a test must do to it from outside the store.

    Each sabotage adds a trigger that fails a statement of a write inside its transaction (after the
    write has changed other rows), so that a test can check nothing of the failed write is left."""

    name: str
    make: Callable[[], TaskStore]  # a new store object on the same data
    migrations: int
    set_schema_version: Callable[[int], None]
    sabotage_tag_inserts: Callable[[], None]  # make every tag insert fail
    # make every update of a task titled EXPLODES fail
    sabotage_task_updates: Callable[[], None]
    # make every history entry fail to be written (the change it records is written first)
    sabotage_history_inserts: Callable[[], None]


EXPLODES = "explodes"


def sqlite_backend(path: Path) -> Backend:
    def set_version(version: int) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {version}")

    def trigger(sql: str) -> Callable[[], None]:
        def sabotage() -> None:
            with sqlite3.connect(path) as conn:
                conn.execute(sql)

        return sabotage

    return Backend(
        "sqlite",
        lambda: SQLiteTaskStore(path),
        len(sqlite_store.MIGRATIONS),
        set_version,
        trigger("CREATE TRIGGER boom BEFORE INSERT ON task_tags BEGIN SELECT RAISE(ABORT, 'boom'); END"),
        trigger(
            f"CREATE TRIGGER boom_update BEFORE UPDATE ON tasks WHEN NEW.title = '{EXPLODES}'"
            " BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ),
        trigger("CREATE TRIGGER boom_history BEFORE INSERT ON task_history BEGIN SELECT RAISE(ABORT, 'boom'); END"),
    )


def postgres_backend(url: str) -> Backend:
    def set_version(version: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS task_api_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO task_api_schema (version) VALUES (%s)", (version,))

    def trigger(name: str, event: str) -> Callable[[], None]:
        def sabotage() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
                    " AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$"
                )
                conn.execute(f"CREATE TRIGGER {name} BEFORE {event} EXECUTE FUNCTION {name}()")

        return sabotage

    # Warm connections, so that concurrent calls in a test really overlap in the database.
    return Backend(
        "postgres",
        lambda: PostgresTaskStore(url, min_size=4),
        len(postgres_store.MIGRATIONS),
        set_version,
        trigger("boom", "INSERT ON task_tags FOR EACH ROW"),
        trigger("boom_update", f"UPDATE ON tasks FOR EACH ROW WHEN (NEW.title = '{EXPLODES}')"),
        trigger("boom_history", "INSERT ON task_history FOR EACH ROW"),
    )
