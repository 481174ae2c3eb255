"""What only the SQLite store has: one file in WAL mode, created on first open.
The behaviour both stores share is in test_contract.py."""

import sqlite3
from pathlib import Path

import pytest

from mcp_server.domain import NewTask
from mcp_server.store.sqlite import MIGRATIONS, SQLiteTaskStore

pytestmark = pytest.mark.anyio


async def test_open_creates_the_file_and_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "tasks.db"
    store = SQLiteTaskStore(path)
    await store.open()
    try:
        await store.create(NewTask(title="on disk"))
        assert path.stat().st_size > 0
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        await store.close()
