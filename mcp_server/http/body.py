"""Reading a request's body ahead of the app, and handing it on unchanged: the layers that decide
from an MCP request's JSON-RPC messages (quotas, scope step-up) read it whole, and the app then reads
the same messages."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """The request's body messages, all of them (the body limit outside bounds their size)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


def replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
