"""The stdio transport: one JSON-RPC message a line on the process's stdin and stdout.

Built from the SDK's parts instead of `MCPServer.run_stdio_async`, whose transport decodes stdin with
errors="replace" (an invalid UTF-8 byte became U+FFFD and was stored) and answers a line it cannot
parse with nothing at all (the client waited for its id until its own timeout). Each line is
validated here as the SDK validates it, but on the raw bytes (strict UTF-8, no lone surrogate,
bounded nesting), and a line that fails is answered, as streamable HTTP answers a bad body: -32700
Parse error or -32600 Invalid Request, with the line's id when one can be read, and never processed.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import anyio
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

logger = logging.getLogger(__name__)

NOT_A_MESSAGE = (
    'Invalid Request: a JSON-RPC 2.0 message is one object with "jsonrpc": "2.0" and either a '
    '"method" (a request or notification) or a "result" or "error" (a response)'
)
NO_BATCHES = "Invalid Request: batches are not supported; send one JSON-RPC message a line"


@dataclass(frozen=True)
class Refusal:
    """The answer to a line that is not a message the server can process."""

    error: types.JSONRPCError


def _error(request_id: types.RequestId | None, code: int, message: str) -> Refusal:
    return Refusal(types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message)))


def _is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (JSON's "\\ud800"): it is no Unicode text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(value: Any) -> Iterator[str]:
    """Every key and string in a parsed JSON value, without recursion (the value may nest deeply)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _id_of(value: Any) -> types.RequestId | None:
    request_id = value.get("id") if isinstance(value, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        return None
    if isinstance(request_id, str) and not _is_text(request_id):
        return None
    return request_id


def _readable_id(line: bytes) -> types.RequestId | None:
    """The id of a line that failed to parse, when it can still be read (bad bytes elsewhere)."""
    try:
        return _id_of(json.loads(line.decode("utf-8", "surrogateescape")))
    except (ValueError, RecursionError):
        return None


def _parse_failure(line: bytes, parser_message: str) -> str:
    """Why a line is not JSON text, said for people (the parser's own words name line and column)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 (byte 0x{line[exc.start]:02x} at offset {exc.start})"
    try:
        value = json.loads(text)
    except RecursionError:
        return "the JSON nests too deeply"
    except ValueError:
        return f"not JSON ({parser_message})"
    if not all(_is_text(string) for string in _strings(value)):
        return "a string holds a lone UTF-16 surrogate escape (\\ud800 to \\udfff), which is no Unicode text"
    return parser_message


def parse_line(line: bytes) -> types.JSONRPCMessage | Refusal | None:
    """One stdin line as a message for the server, a refusal to send back, or None for a blank line."""
    if not line.strip():
        return None
    try:
        return types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except ValidationError as exc:
        errors = exc.errors()
    not_json = next((e["msg"] for e in errors if e["type"] == "json_invalid"), None)
    if not_json is not None:
        reason = _parse_failure(line, not_json.removeprefix("Invalid JSON: "))
        return _error(_readable_id(line), types.PARSE_ERROR, f"Parse error: {reason}; the line was not processed")
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        value = None
    return _error(_id_of(value), types.INVALID_REQUEST, NO_BATCHES if isinstance(value, list) else NOT_A_MESSAGE)


async def _read_lines(
    stdin: BinaryIO,
    to_server: MemoryObjectSendStream[SessionMessage | Exception],
    refusals: MemoryObjectSendStream[SessionMessage],
) -> None:
    async with to_server, refusals:
        try:
            async for line in anyio.wrap_file(stdin):
                parsed = parse_line(line)
                if isinstance(parsed, Refusal):
                    answer = parsed.error
                    logger.warning(
                        "stdio_bad_message",
                        extra={"code": answer.error.code, "id": answer.id, "reason": answer.error.message},
                    )
                    await refusals.send(SessionMessage(answer))
                elif parsed is not None:
                    await to_server.send(SessionMessage(parsed))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):  # the server stopped first
            return


async def _write_messages(stdout: BinaryIO, from_server: MemoryObjectReceiveStream[SessionMessage]) -> None:
    wire = anyio.wrap_file(stdout)
    async with from_server:
        async for session_message in from_server:
            line = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
            await wire.write(line.encode() + b"\n")
            await wire.flush()


@asynccontextmanager
async def stdio_streams(
    stdin: BinaryIO, stdout: BinaryIO
) -> AsyncIterator[
    tuple[MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]]
]:
    """The server's read and write streams over binary stdin and stdout, as the SDK's stdio transport
    gives them; refusals of bad lines join the server's own messages on the way out."""
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    server_writes, to_client = anyio.create_memory_object_stream[SessionMessage](0)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_read_lines, stdin, to_server, server_writes.clone())
        tasks.start_soon(_write_messages, stdout, to_client)
        yield server_reads, server_writes


@contextmanager
def claimed_stdio() -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """The protocol's own handles on stdin and stdout. While they are held, fd 0 reads the null device
    and fd 1 writes to stderr, so nothing else in the process (a stray print, a C library writing to
    fd 1) can take the client's bytes or corrupt the replies; both are put back afterwards."""
    sys.stdout.flush()
    wire_in, wire_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
        os.dup2(2, 1)
    finally:
        os.close(null)
    try:
        # closefd=False: a thread may still be blocked reading when serving ends, so the descriptor
        # must stay open rather than be reused under it.
        yield os.fdopen(wire_in, "rb", closefd=False), os.fdopen(wire_out, "wb", closefd=False)
    finally:
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)


async def run_stdio(server: MCPServer) -> None:
    """Serve `server` on stdin and stdout until the client closes stdin."""
    low = server._lowlevel_server  # what MCPServer.run_stdio_async runs, on this transport
    with claimed_stdio() as (stdin, stdout):
        async with stdio_streams(stdin, stdout) as (read_stream, write_stream):
            await low.run(read_stream, write_stream, low.create_initialization_options())
