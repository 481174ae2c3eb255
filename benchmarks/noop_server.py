"""Baseline for the benchmarks: a bare MCP server with one no-op tool, on the same SDK, transport
(stateless streamable HTTP) and uvicorn settings as task-api-mcp, so ratios isolate our own cost."""

from __future__ import annotations

import logging
import sys

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def main(port: int) -> None:
    server = MCPServer("noop")

    @server.tool()
    async def noop() -> str:
        """Do nothing."""
        return "ok"

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

    app = server.streamable_http_app(stateless_http=True, json_response=False)
    logging.getLogger().setLevel(logging.WARNING)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(int(sys.argv[1]))
