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
    """A store's data location, and the few things a test must do to it from outside the store."""

    name: str
    make: Callable[[], TaskStore]  # a new store object on the same data
    migrations: int
    set_schema_version: Callable[[int], None]
    sabotage_tag_inserts: Callable[[], None]  # make the next tag insert fail inside its transaction
    # make every update of a task titled EXPLODES fail inside its transaction
    sabotage_task_updates: Callable[[], None]


EXPLODES = "explodes"


def sqlite_backend(path: Path) -> Backend:
    def set_version(version: int) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {version}")

    def sabotage() -> None:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TRIGGER boom BEFORE INSERT ON task_tags BEGIN SELECT RAISE(ABORT, 'boom'); END")

    def sabotage_updates() -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(
                f"CREATE TRIGGER boom_update BEFORE UPDATE ON tasks WHEN NEW.title = '{EXPLODES}'"
                " BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )

    return Backend(
        "sqlite", lambda: SQLiteTaskStore(path), len(sqlite_store.MIGRATIONS), set_version, sabotage, sabotage_updates
    )


def postgres_backend(url: str) -> Backend:
    def set_version(version: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS task_api_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO task_api_schema (version) VALUES (%s)", (version,))

    def sabotage() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$"
            )
            conn.execute("CREATE TRIGGER boom BEFORE INSERT ON task_tags FOR EACH ROW EXECUTE FUNCTION boom()")

    def sabotage_updates() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE FUNCTION boom_update() RETURNS trigger LANGUAGE plpgsql"
                " AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$"
            )
            conn.execute(
                f"CREATE TRIGGER boom_update BEFORE UPDATE ON tasks FOR EACH ROW WHEN (NEW.title = '{EXPLODES}')"
                " EXECUTE FUNCTION boom_update()"
            )

    # Warm connections, so that concurrent calls in a test really overlap in the database.
    return Backend(
        "postgres",
        lambda: PostgresTaskStore(url, min_size=4),
        len(postgres_store.MIGRATIONS),
        set_version,
        sabotage,
        sabotage_updates,
    )
