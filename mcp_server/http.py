"""The HTTP deployment: streamable HTTP at /mcp, liveness and readiness probes, bearer-token auth."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp

from mcp_server.abuse_limits import BodySizeLimitMiddleware, RateLimitMiddleware, RequestTimeoutMiddleware
from mcp_server.access_log import AccessLogMiddleware
from mcp_server.app import App
from mcp_server.bearer_auth import BearerToken, BearerTokenMiddleware
from mcp_server.config import Settings
from mcp_server.connection_limits import ConnectionLimits, limited_h11_protocol
from mcp_server.error_bodies import JsonErrorBodyMiddleware
from mcp_server.errors_http import unhandled_error
from mcp_server.health import Health
from mcp_server.host_origin import HostOriginMiddleware, host_allowlist, origin_allowlist
from mcp_server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from mcp_server.metrics import Metrics
from mcp_server.rest import build_rest_app

logger = logging.getLogger(__name__)


def build_http_app(
    server: MCPServer,
    health: Health,
    *,
    metrics: Metrics | None = None,
    host: str = "127.0.0.1",
    stateless: bool = True,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
    allowed_origins: list[str] | None = None,
    rate_limit: str | None = None,
    max_body_bytes: int = 1024 * 1024,
    rest: ASGIApp | None = None,
    request_timeout_s: float = 120.0,
) -> ASGIApp:
    """The ASGI app, outermost first: access log, JSON error bodies, Host/Origin check, body size
    limit, rate limit, bearer token, REST timeout, routes. Every check but the probes' exemption
    guards every route: /mcp, /v1/*, /openapi.json, /docs and /metrics alike."""

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

    @server.custom_route("/readyz", methods=["GET"])
    async def readyz(_: Request) -> Response:
        report: dict[str, Any] = await health.report()
        if report["ready"]:
            return JSONResponse({"status": "ready", "components": report["components"]})
        reasons = [
            f"{name}: {c.get('error') or c.get('detail') or c['status']}"
            for name, c in report["components"].items()
            if c["status"] in ("down", "loading", "unavailable")
        ]
        return JSONResponse(
            {"status": "not_ready", "reason": "; ".join(reasons), "components": report["components"]},
            status_code=503,
        )

    @server.custom_route("/health", methods=["GET"])
    async def spec_health(_: Request) -> Response:
        """The service spec's health document: 200 when ready, 503 while the model loads or is away."""
        report: dict[str, Any] = await health.report()
        model = report["components"]["model"]
        body = {
            "status": report["status"],
            "model": model.get("active") or model["status"],
            "model_status": model["status"],
            "uptime_seconds": report["uptime_seconds"],
            "request_count": report["tool_calls"]["total"],
            "is_ready": report["status"] == "ok",
        }
        return JSONResponse(body, status_code=200 if body["is_ready"] else 503)

    if metrics is not None:

        @server.custom_route("/metrics", methods=["GET"])
        async def prometheus(_: Request) -> Response:
            return Response(metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    app: Starlette = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=stateless,
        json_response=False,
        # The SDK's own Host/Origin check guards /mcp only, and answers in plain text;
        # HostOriginMiddleware below guards every route with the JSON error shape.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=host,
    )
    app.add_exception_handler(Exception, unhandled_error)
    if rest is not None:  # after the MCP routes and probes: /v1/..., /openapi.json, /docs
        app.router.routes.append(Mount("", app=rest))
    guarded: ASGIApp = RequestTimeoutMiddleware(app, request_timeout_s)
    auth = BearerToken(token) if token else None
    if auth is not None:
        guarded = BearerTokenMiddleware(guarded, auth)
    if rate_limit:
        guarded = RateLimitMiddleware(guarded, rate_limit, principal=auth.principal if auth else None)
    guarded = BodySizeLimitMiddleware(guarded, max_body_bytes)
    guarded = HostOriginMiddleware(
        guarded,
        hosts=host_allowlist(host, allowed_hosts or []),
        origins=origin_allowlist(host, allowed_origins or []),
    )
    observe = metrics.record_http_request if metrics is not None else None
    return AccessLogMiddleware(JsonErrorBodyMiddleware(guarded), on_request=observe)


async def serve_http(app: App, settings: Settings) -> None:
    """The app on streamable HTTP, REST beside it, behind uvicorn with the settings' limits."""
    asgi = build_http_app(
        app.server,
        app.health,
        metrics=app.metrics,
        rate_limit=settings.rate_limit,
        max_body_bytes=settings.max_body_bytes,
        rest=build_rest_app(app.service, app.runner),
        # Room for one model call and its retry, plus the work around them.
        request_timeout_s=2 * settings.model_timeout_s + 30,
        host=settings.host,
        stateless=settings.stateless,
        token=settings.token,
        allowed_hosts=settings.allowed_hosts,
        allowed_origins=settings.allowed_origins,
    )
    await uvicorn.Server(uvicorn_config(asgi, settings)).serve()


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
        timeout_keep_alive=settings.keep_alive_timeout_s,  # type: ignore[arg-type]
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
