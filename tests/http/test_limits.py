"""The request timeout in front of the REST API (413 and 429 are tested on a real server in test_http)."""

import anyio
import httpx
import pytest
from starlette.types import Receive, Scope, Send

from mcp_server.http.timeout import RequestTimeoutMiddleware

pytestmark = pytest.mark.anyio


async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
    await anyio.sleep(5)  # the behaviour under test: an app slower than the timeout
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"late"})


async def test_a_slow_rest_request_gets_504_and_mcp_is_left_alone() -> None:
    app = RequestTimeoutMiddleware(slow_app, 0.2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        with anyio.fail_after(3):
            timed_out = await http.get("/v1/tasks")
        assert timed_out.status_code == 504
        assert timed_out.json() == {"error": {"code": "timeout", "message": "no answer within 0.2 s; retry"}}
        with anyio.move_on_after(0.5) as waited:
            await http.post("/mcp")
        assert waited.cancelled_caught  # still waiting: no timeout on the MCP endpoint
