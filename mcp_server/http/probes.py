"""The probes: liveness, readiness and the service spec's health document. They are answered without a
token, a Host check or a rate limit, so an orchestrator can always see the service."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_server.observability.health import PROBE_PATHS, Health


def probe_routes(health: Health) -> list[Route]:
    """The three probe routes, reading `health`."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

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

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/health", spec_health, methods=["GET"]),
    ]
    assert {route.path for route in routes} == PROBE_PATHS
    return routes
