"""The one JSON shape of every error the HTTP layer itself answers (auth, limits, probes):
`{"error": {"code": "...", "message": "..."}}`, never a traceback or an HTML page."""

from __future__ import annotations

from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import JSONResponse


def code_for_status(status: int) -> str:
    """A stable error code from the status: 404 -> not_found, 405 -> method_not_allowed."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    """For Starlette's last-resort handler: a JSON 500 naming the request id, never a traceback."""
    request_id = getattr(request.state, "request_id", None)
    return error_response(500, "internal", f"internal error; request id {request_id}")
