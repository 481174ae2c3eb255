"""Every error the HTTP service answers has one body: `{"error": {"code", "message"}}`.

Our own handlers and middleware write that shape themselves. This middleware catches what the
frameworks underneath answer on their own in plain text (Starlette's 404 and 405, the MCP SDK's
400 for a wrong Content-Type) and rewrites it into the same shape, keeping status and headers.
JSON bodies (ours, and JSON-RPC errors on /mcp) and event streams pass through untouched.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.http.errors import code_for_status

_PASS_THROUGH = ("application/json", "text/event-stream")
_MESSAGE_MAX = 300


def needs_rewrite(start: Message) -> bool:
    if start["status"] < 400:
        return False
    content_type = MutableHeaders(raw=start.get("headers", [])).get("content-type", "")
    return not content_type.lower().startswith(_PASS_THROUGH)


class JsonErrorBodyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        body = bytearray()

        async def rewriting_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and needs_rewrite(message):
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            status = held["status"]
            text = body.decode("utf-8", errors="replace").strip()[:_MESSAGE_MAX] or HTTPStatus(status).phrase
            payload = json.dumps({"error": {"code": code_for_status(status), "message": text}}).encode()
            headers = MutableHeaders(raw=list(held.get("headers", [])))
            headers["content-type"] = "application/json"
            headers["content-length"] = str(len(payload))
            await send({**held, "headers": headers.raw})
            await send({"type": "http.response.body", "body": payload})

        await self.app(scope, receive, rewriting_send)
