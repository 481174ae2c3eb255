"""The ASGI assembly: streamable HTTP at /mcp, the probes, /metrics and the REST API, behind one stack of
checks that guards every route but the probes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Scope

from mcp_server.config import Settings
from mcp_server.core.keys import ApiKeys
from mcp_server.core.usage import UsageMeter
from mcp_server.http.access_log import AccessLogMiddleware
from mcp_server.http.auth import AuthenticationMiddleware, Credentials, authenticated
from mcp_server.http.body_limit import BodySizeLimitMiddleware
from mcp_server.http.error_bodies import JsonErrorBodyMiddleware
from mcp_server.http.errors import unhandled_error
from mcp_server.http.host_origin import HostOriginMiddleware, host_allowlist, origin_allowlist
from mcp_server.http.oauth.principals import TokenPrincipals
from mcp_server.http.oauth.resource import ProtectedResource
from mcp_server.http.oauth.step_up import ScopeStepUpMiddleware, writing_tools_of
from mcp_server.http.probes import probe_routes
from mcp_server.http.quota import QuotaMiddleware
from mcp_server.http.rate_limit import RateLimitMiddleware
from mcp_server.http.session_owner import SessionOwnerMiddleware
from mcp_server.http.timeout import RequestTimeoutMiddleware
from mcp_server.http.web.page import page_routes
from mcp_server.observability.health import Health
from mcp_server.observability.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from mcp_server.observability.metrics import METRICS_PATH, Metrics

logger = logging.getLogger(__name__)


def build_http_app(
    server: MCPServer,
    health: Health,
    *,
    metrics: Metrics | None = None,
    host: str = "127.0.0.1",
    stateless: bool = True,
    token: str | None = None,
    keys: ApiKeys | None = None,
    oauth: TokenPrincipals | None = None,
    resource: ProtectedResource | None = None,
    meter: UsageMeter | None = None,
    allowed_hosts: list[str] | None = None,
    allowed_origins: list[str] | None = None,
    rate_limit: str | None = None,
    max_body_bytes: int = Settings.max_body_bytes,
    rest: ASGIApp | None = None,
    request_timeout_s: float = 120.0,
) -> ASGIApp:
    """The ASGI app, outermost first: access log, JSON error bodies, Host/Origin check, body size
    limit, authentication (the token, API keys, OAuth access tokens), rate limit, the plans' quotas,
    an OAuth token's scope step-up, a session's owner (stateful only), REST timeout, routes. Every
    check guards every route: /mcp, /v1/*, /openapi.json, /docs and /metrics alike; only the probes
    and the OAuth resource metadata are served without credentials."""

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
    # The probes and /metrics are this adapter's own routes, added to the app built for this call:
    # the MCPServer it is given is left as it was.
    app.router.routes.extend(probe_routes(health))
    if metrics is not None:
        app.router.routes.append(Route(METRICS_PATH, _metrics_endpoint(metrics), methods=["GET"]))
    app.router.routes.extend(page_routes())
    if resource is not None:
        app.router.routes.extend(resource.routes())
    if rest is not None:  # after the MCP routes and probes: /v1/..., /openapi.json, /docs
        app.router.routes.append(Mount("", app=rest))
    guarded: ASGIApp = RequestTimeoutMiddleware(app, request_timeout_s)
    if not stateless:
        guarded = SessionOwnerMiddleware(guarded)
    if oauth is not None and resource is not None:
        guarded = ScopeStepUpMiddleware(guarded, resource, lambda: writing_tools_of(server.list_tools))
    if meter is not None:
        guarded = QuotaMiddleware(guarded, meter)
    limiter = RateLimitMiddleware(guarded, rate_limit, principal=_principal_id) if rate_limit else None
    guarded = AuthenticationMiddleware(
        limiter or guarded, Credentials(token, keys, oauth=oauth, resource=resource), rate_limit=limiter
    )
    guarded = BodySizeLimitMiddleware(guarded, max_body_bytes)
    guarded = HostOriginMiddleware(
        guarded,
        hosts=host_allowlist(host, allowed_hosts or []),
        origins=origin_allowlist(host, allowed_origins or []),
    )
    observe = metrics.record_http_request if metrics is not None else None
    return AccessLogMiddleware(JsonErrorBodyMiddleware(guarded), on_request=observe)


def _principal_id(scope: Scope) -> str | None:
    found = authenticated(scope)
    return found.id if found is not None else None


def _metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def prometheus(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    return prometheus
