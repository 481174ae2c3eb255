"""Serving: the app on stdio, or on streamable HTTP behind uvicorn with the service's limits."""

from __future__ import annotations

import logging

from mcp_server import __version__
from mcp_server.app import open_app
from mcp_server.config import Settings
from mcp_server.stdio import run_stdio

logger = logging.getLogger("mcp_server")


async def serve(settings: Settings) -> None:
    async with open_app(settings) as app:
        logger.info(
            "server_start",
            extra={
                "version": __version__,
                "transport": settings.transport,
                "store": app.service.store.description,
                "host": settings.host if settings.transport == "http" else None,
                "port": settings.port if settings.transport == "http" else None,
                "stateless": settings.stateless if settings.transport == "http" else None,
            },
        )
        try:
            if settings.transport == "stdio":
                await run_stdio(app.server)
            else:
                from mcp_server.http import serve_http  # the HTTP stack loads only for HTTP

                await serve_http(app, settings)
        finally:
            logger.info("server_stop", extra={"transport": settings.transport})
