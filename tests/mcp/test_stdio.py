"""The stdio transport as a real `task-api-mcp serve` subprocess fed raw bytes: every line gets an
answer, a bad line a JSON-RPC error with its id where it can be read, and nothing bad is stored."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

pytestmark = pytest.mark.anyio

LEGACY_VERSION = "2025-11-25"


def line_of(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def tool_call(request_id: int, tool: str, **arguments: Any) -> dict[str, Any]:
    params = {"name": tool, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


class RawStdioClient:
    """Writes bytes lines to the server's stdin and reads its answers, each under a deadline."""

    def __init__(self, process: Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)

    async def send(self, line: bytes) -> None:
        await self._stdin.send(line)

    async def answer(self) -> dict[str, Any]:
        with anyio.fail_after(15):  # a bad line left unanswered would hang here
            return json.loads(await self._stdout.receive_until(b"\n", 1024 * 1024))

    async def ask(self, line: bytes) -> dict[str, Any]:
        await self.send(line)
        return await self.answer()

    async def handshake(self) -> None:
        params = {"protocolVersion": LEGACY_VERSION, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
        answer = await self.ask(line_of({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}))
        assert answer["result"]["protocolVersion"] == LEGACY_VERSION
        await self.send(line_of({"jsonrpc": "2.0", "method": "notifications/initialized"}))


@asynccontextmanager
async def raw_stdio_server(db: Path, stderr_path: Path) -> AsyncIterator[RawStdioClient]:
    command = [sys.executable, "-m", "mcp_server", "serve", "--db", str(db), "--backend", "none"]
    with stderr_path.open("wb") as stderr:
        async with await anyio.open_process(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        ) as process:
            client = RawStdioClient(process)
            try:
                await client.handshake()
                yield client
            finally:
                await process.stdin.aclose()  # type: ignore[union-attr]
                with anyio.fail_after(15):
                    await process.wait()


def assert_refused(answer: dict[str, Any], code: int, request_id: int | None, *words: str) -> None:
    assert "result" not in answer, answer
    assert answer["id"] == request_id and answer["error"]["code"] == code, answer
    for word in words:
        assert word in answer["error"]["message"], answer


async def test_every_bad_line_is_answered_and_the_connection_goes_on(db_path: Path, tmp_path: Path) -> None:
    async with raw_stdio_server(db_path, tmp_path / "stderr.log") as client:
        assert_refused(await client.ask(b"this is not json\n"), -32700, None, "Parse error", "not JSON")
        surrogate = b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "create_task", '
        surrogate += b'"arguments": {"title": "half an emoji \\ud83d"}}}\n'
        assert_refused(await client.ask(surrogate), -32700, 2, "lone UTF-16 surrogate")
        assert_refused(await client.ask(b"[" * 100_000 + b"\n"), -32700, None, "nests too deeply")
        latin1 = line_of(tool_call(4, "create_task", title="caf\u00e9")).replace(b"caf\\u00e9", b"caf\xe9")
        assert_refused(await client.ask(latin1), -32700, 4, "invalid UTF-8 (byte 0xe9 at offset")
        assert_refused(await client.ask(b'{"jsonrpc": "2.0", "id": 5}\n'), -32600, 5, "Invalid Request")
        assert_refused(await client.ask(line_of([tool_call(6, "list_tasks")])), -32600, None, "batches")
        await client.send(b"\n")  # a blank line is no message: nothing to answer
        listed = await client.ask(line_of(tool_call(7, "list_tasks")))
        assert listed["id"] == 7 and listed["result"]["structuredContent"]["total"] == 0  # nothing was stored
        emoji = await client.ask(
            b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"create_task",'
            b'"arguments":{"title":"\\ud83d\\ude00 escaped in pairs"}}}\n'
        )
        assert emoji["result"]["structuredContent"]["title"] == "\U0001f600 escaped in pairs"
    logs = [json.loads(line) for line in (tmp_path / "stderr.log").read_text().splitlines()]
    bad = [entry for entry in logs if entry["event"] == "stdio_bad_message"]
    assert [entry["code"] for entry in bad] == [-32700, -32700, -32700, -32700, -32600, -32600]
    assert not [entry for entry in logs if "exc_info" in entry or "Traceback" in json.dumps(entry)]


def test_stray_output_on_fd_1_goes_to_stderr_while_stdio_is_claimed() -> None:
    """A library that prints (or a C library that writes to fd 1) cannot corrupt the protocol."""
    program = (
        "import os\n"
        "from mcp_server.mcp.stdio import claimed_stdio\n"
        "with claimed_stdio() as (stdin, stdout):\n"
        "    print('stray print', flush=True)\n"
        "    os.write(1, b'stray write\\n')\n"
        "    stdout.write(stdin.readline().upper())\n"
        "    stdout.flush()\n"
        "print('after, stdout again', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], input=b"wire\n", capture_output=True, timeout=30, check=True)
    assert done.stdout == b"WIRE\nafter, stdout again\n"
    assert done.stderr == b"stray print\nstray write\n"
