"""Task stores: the TaskStore protocol and its backends, chosen by the --db value."""

from mcp_server.store.base import TaskStore
from mcp_server.store.postgres import PostgresTaskStore, is_postgres_url, redacted
from mcp_server.store.sqlite import SQLiteTaskStore


def store_for(db: str, *, pool_size: int = 10) -> TaskStore:
    """A PostgreSQL store for a postgresql:// (or postgres://) URL, else a SQLite file at that path."""
    return PostgresTaskStore(db, max_size=pool_size) if is_postgres_url(db) else SQLiteTaskStore(db)


def describe(db: str) -> str:
    """The --db value as logs may show it: a database URL without its password."""
    return redacted(db) if is_postgres_url(db) else db


__all__ = ["PostgresTaskStore", "SQLiteTaskStore", "TaskStore", "describe", "store_for"]
