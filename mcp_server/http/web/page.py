"""`GET /app`: the task page, and `/app/static/...`: its scripts, styles and vendored library.

The shell holds no data, so it is served without credentials (the person signs in on the page);
every task it shows comes from the REST API, under the same authentication, scopes, Host/Origin
check and limits as any client. A Content-Security-Policy allows scripts and styles from this
server only, and no inline script at all, so text in a task can never run as code.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
PAGE_PATH = "/app"
STATIC_PREFIX = "/app/static/"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def is_page_path(path: str) -> bool:
    """The paths served without credentials: the shell, its assets and / (which leads to it), never data."""
    return path in ("/", PAGE_PATH) or path.startswith(STATIC_PREFIX)


class _Assets(StaticFiles):
    """The static files with the page's security headers on every answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, with_headers)  # type: ignore[arg-type]


async def page(_: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


async def to_page(_: Request) -> Response:
    return RedirectResponse(PAGE_PATH, status_code=307)


def page_routes() -> list[Route | Mount]:
    return [
        Route("/", to_page, methods=["GET"]),
        Route(PAGE_PATH, page, methods=["GET"]),
        Mount(STATIC_PREFIX.rstrip("/"), app=_Assets(directory=STATIC)),
    ]
