"""The composition root: one store, one service, one health tracker and the MCP server over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from mcp.server.mcpserver import MCPServer

from mcp_server.config import Settings
from mcp_server.health import Health
from mcp_server.server import build_server
from mcp_server.service import TaskService
from mcp_server.store.sqlite import SQLiteTaskStore


@dataclass
class App:
    """Everything one running server holds."""

    service: TaskService
    health: Health
    server: MCPServer


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    store = SQLiteTaskStore(settings.db)
    await store.open()
    service = TaskService(store)
    health = Health(store)
    try:
        yield App(service=service, health=health, server=build_server(service, health))
    finally:
        await store.close()
