"""The one JSON shape of every error the HTTP layer itself answers (auth, limits, probes):
`{"error": {"code": "...", "message": "..."}}`, never a traceback or an HTML page."""

from __future__ import annotations

from starlette.responses import JSONResponse


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
