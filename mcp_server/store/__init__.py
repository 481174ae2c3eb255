"""Task stores: the TaskStore protocol and its backends, chosen by the --db value.

The PostgreSQL backend (and its driver) is imported only when a database URL asks for it, so a
server on the default SQLite file starts without loading psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp_server.core.storage import TaskStore
from mcp_server.store.sqlite import SQLiteTaskStore
from mcp_server.store.urls import describe, is_postgres_url

if TYPE_CHECKING:
    from mcp_server.store.postgres import PostgresTaskStore


def store_for(db: str, *, pool_size: int = 10) -> TaskStore:
    """A PostgreSQL store for a postgresql:// (or postgres://) URL, else a SQLite file at that path."""
    if is_postgres_url(db):
        from mcp_server.store.postgres import PostgresTaskStore

        return PostgresTaskStore(db, max_size=pool_size)
    return SQLiteTaskStore(db)


def __getattr__(name: str) -> Any:
    if name == "PostgresTaskStore":
        from mcp_server.store.postgres import PostgresTaskStore

        return PostgresTaskStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PostgresTaskStore", "SQLiteTaskStore", "TaskStore", "describe", "store_for"]
