"""One structured access-log line per HTTP request, with a request id that the client may choose.

A pure ASGI middleware, so streamed responses (SSE) pass through untouched: it only reads the
status line and adds the `X-Request-ID` header. An incoming `X-Request-ID` is kept when it is a
sane token, otherwise a new one is made; the id is also put in the ASGI scope's `state` so that
handlers can log it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("mcp_server.access")

REQUEST_ID_HEADER = b"x-request-id"
RequestObserver = Callable[[str, str, int, float], None]  # method, path, status, seconds
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    given = dict(headers).get(REQUEST_ID_HEADER, b"")
    return given.decode() if _SANE_ID.match(given) else uuid.uuid4().hex


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, on_request: RequestObserver | None = None) -> None:
        self.app = app
        self.on_request = on_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            if self.on_request is not None:
                self.on_request(scope["method"], scope["path"], status, duration)
            client = scope.get("client")
            logger.info(
                "http_request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                    "client": f"{client[0]}:{client[1]}" if client else None,
                },
            )
