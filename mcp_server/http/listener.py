"""uvicorn, configured with the connection limits and timeouts of the settings."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp

from mcp_server.config import Settings
from mcp_server.http.connection_limits import ConnectionLimits, limited_h11_protocol


def uvicorn_config(asgi: ASGIApp, settings: Settings) -> uvicorn.Config:
    """uvicorn with the connection limits and timeouts of the settings. Forwarded headers
    (X-Forwarded-For) are trusted only from --forwarded-allow-ips: uvicorn's own default trusts them
    from loopback, which would let any local process choose its address in the logs and the limiter."""
    limits = ConnectionLimits(
        header_timeout_s=settings.header_timeout_s,
        body_timeout_s=settings.body_timeout_s,
        max_connections=settings.max_connections,
    )
    return uvicorn.Config(
        asgi,
        host=settings.host,
        port=settings.port,
        http=limited_h11_protocol(limits),
        # uvicorn annotates an int but hands the value to loop.call_later, which takes a float
        timeout_keep_alive=settings.keep_alive_timeout_s,  # type: ignore[arg-type]
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
