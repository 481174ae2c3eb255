"""Connection limits uvicorn does not have: a deadline for a request's headers and one for its body,
and a cap on open connections.

uvicorn closes a connection that stays idle after a response (`timeout_keep_alive`), but a client
that connects and never sends a byte, sends its headers a byte at a time, or never finishes its
body, holds a connection (and a file descriptor) for as long as it likes, and nothing caps how many
it opens. These limits live in the HTTP protocol (h11), where the bytes arrive: an ASGI middleware
only runs once the headers are complete. The answers are JSON like every other error.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class ConnectionLimits:
    """Set from Settings (--header-timeout, --body-timeout, --max-connections), which hold the defaults."""

    header_timeout_s: float
    body_timeout_s: float
    max_connections: int


def _json_error(status: int, reason: bytes, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, written before h11 knows of a request."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason.decode()}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def limited_h11_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with `limits` applied (pass it as `uvicorn.Config(http=...)`)."""

    class LimitedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _waiting_for: str | None = None  # "headers" or "body": what the armed deadline is for

        # as in uvicorn's own H11Protocol: asyncio types the argument as a BaseTransport
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= limits.max_connections:
                message = f"the server has {limits.max_connections} connections open; retry in a few seconds"
                transport.write(_json_error(503, b"Service Unavailable", "too_many_connections", message))
                transport.close()
                return
            super().connection_made(transport)
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self.transport is not None:  # None when connection_made refused it
                super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # idle now: uvicorn's keep-alive timeout runs until the next byte
            self._watch()  # unless a pipelined request is already under way

        def _watch(self) -> None:
            """Arm the deadline for what this connection owes next, once; disarm it when that has come.
            A deadline is not pushed back by each byte, so a client trickling bytes still meets it."""
            if self.transport is None or self.transport.is_closing():
                return
            state = self.conn.their_state
            if state is h11.IDLE and self.conn.our_state is h11.IDLE and self.timeout_keep_alive_task is None:
                self._arm("headers", limits.header_timeout_s)
            elif state is h11.SEND_BODY:
                self._arm("body", limits.body_timeout_s)
            elif state is not h11.IDLE:
                self._disarm()

        def _arm(self, what: str, seconds: float) -> None:
            if self._waiting_for == what:
                return
            self._disarm()
            self._waiting_for = what
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline, self._waiting_for = None, None

        def _expired(self) -> None:
            what, self._deadline, self._waiting_for = self._waiting_for, None, None
            if self.transport.is_closing():
                return
            seconds = limits.header_timeout_s if what == "headers" else limits.body_timeout_s
            message = f"the request {what} did not arrive within {seconds:g} s"
            cycle: Any = self.cycle
            if what == "body" and cycle is not None:
                if not cycle.response_started:
                    self.transport.write(_json_error(408, b"Request Timeout", "request_timeout", message))
                cycle.disconnected = True  # the app's receive() sees a disconnect; its sends are dropped
                cycle.message_event.set()
            elif what == "headers" and self.conn.their_state is h11.IDLE:
                self.transport.write(_json_error(408, b"Request Timeout", "request_timeout", message))
            self.transport.close()

    return LimitedH11Protocol
