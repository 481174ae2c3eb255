"""Task stores: the backends of the TaskStore protocol, chosen by the --db value.

Each backend (and its driver) is imported only when it is used, so that reading what a --db value
names (`store.urls`, which the settings need) loads no store, and a server on the default SQLite
file starts without loading psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp_server.store.urls import POOL_SIZE_DEFAULT, describe, is_postgres_url

if TYPE_CHECKING:
    from mcp_server.core.storage import Store, TaskStore
    from mcp_server.store.postgres import PostgresTaskStore
    from mcp_server.store.sqlite import SQLiteTaskStore


def store_for(db: str, *, pool_size: int = POOL_SIZE_DEFAULT) -> Store:
    """A PostgreSQL store for a postgresql:// (or postgres://) URL, else a SQLite file at that path."""
    if is_postgres_url(db):
        from mcp_server.store.postgres import PostgresTaskStore

        return PostgresTaskStore(db, max_size=pool_size)
    from mcp_server.store.sqlite import SQLiteTaskStore

    return SQLiteTaskStore(db)


def __getattr__(name: str) -> Any:
    if name == "PostgresTaskStore":
        from mcp_server.store.postgres import PostgresTaskStore

        return PostgresTaskStore
    if name == "SQLiteTaskStore":
        from mcp_server.store.sqlite import SQLiteTaskStore

        return SQLiteTaskStore
    if name == "TaskStore":
        from mcp_server.core.storage import TaskStore

        return TaskStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PostgresTaskStore", "SQLiteTaskStore", "TaskStore", "describe", "store_for"]
