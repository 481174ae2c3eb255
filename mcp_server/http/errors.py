"""The one JSON shape of every error the HTTP layer itself answers (auth, limits, probes):
`{"error": {"code": "...", "message": "..."}}`, never a traceback or an HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import JSONResponse

from mcp_server.core.errors import ErrorKind

# The status each kind of error answers with over REST.
STATUS_BY_KIND: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNDERSTOOD_DIFFERENTLY: 409,
    ErrorKind.AMBIGUOUS: 409,
    ErrorKind.CONFIRMATION_REQUIRED: 409,
    ErrorKind.ABORTED: 409,
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.REFUSED: 422,
    ErrorKind.INSUFFICIENT_SCOPE: 403,
    ErrorKind.QUOTA_EXCEEDED: 429,
    ErrorKind.INVALID_MODEL_OUTPUT: 502,
    ErrorKind.MODEL_UNAVAILABLE: 503,
    ErrorKind.STORE_UNAVAILABLE: 503,
    ErrorKind.INTERNAL: 500,
}
# Outcomes of a command in words that are answers to it (200 with success false), not failures of the service.
SOFT_KINDS = frozenset(
    {
        ErrorKind.NOT_FOUND,
        ErrorKind.AMBIGUOUS,
        ErrorKind.CONFIRMATION_REQUIRED,
        ErrorKind.INVALID_INPUT,
        ErrorKind.REFUSED,
    }
)


def code_for_status(status: int) -> str:
    """A stable error code from the status: 404 -> not_found, 405 -> method_not_allowed."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    """For Starlette's last-resort handler: a JSON 500 naming the request id, never a traceback."""
    request_id = getattr(request.state, "request_id", None)
    return error_response(500, ErrorKind.INTERNAL, f"internal error; request id {request_id}")
