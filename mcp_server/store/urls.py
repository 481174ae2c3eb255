"""What a --db value names, told without importing any database driver."""

from __future__ import annotations

from urllib.parse import urlsplit

# PostgreSQL connections one server opens at most, unless --db-pool-size says otherwise.
POOL_SIZE_DEFAULT = 10


def is_postgres_url(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """The URL without its password, for logs and health."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


def describe(db: str) -> str:
    """The --db value as logs may show it: a database URL without its password."""
    return redacted(db) if is_postgres_url(db) else db
