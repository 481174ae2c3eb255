"""Task stores: the TaskStore protocol and its backends."""

from mcp_server.store.base import TaskStore
from mcp_server.store.sqlite import SQLiteTaskStore

__all__ = ["SQLiteTaskStore", "TaskStore"]
