"""The listening server's own limits, on a real `task-api-mcp serve --transport http` process: header
and body deadlines, the connection cap, which forwarded addresses are believed, and a bind to
another loopback address."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from harness.mcp_messages import INITIALIZE
from harness.servers import HttpServer, free_port, spawn_http_server, start_http_server
from tests.support.waiting import wait_until_sync

TRICKLE_INTERVAL_S = 0.2
IDLE_BETWEEN_REQUESTS_S = 0.6  # a slow client's pace: a byte this often, well inside any idle timeout


Connect = Callable[[HttpServer], socket.socket]


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Open a raw connection to a server; every one is closed after the test."""
    opened: list[socket.socket] = []

    def open_connection(server: HttpServer) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
        sock.settimeout(15)
        opened.append(sock)
        return sock

    yield open_connection
    for sock in opened:
        sock.close()


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or the socket's timeout)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def json_body(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower(), head
    return json.loads(body)


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One server for the tests of its deadlines: each test's connections end before the next."""
    folder = tmp_path_factory.mktemp("strict")
    server = start_http_server(
        folder / "tasks.db", folder / "strict.log", "--backend", "none", "--header-timeout", "1", "--body-timeout", "1"
    )
    yield server
    server.stop()


def test_connections_that_never_send_a_byte_are_closed(connect: Connect, strict_server: HttpServer) -> None:
    started = time.monotonic()
    silent = [connect(strict_server) for _ in range(20)]
    answers = [read_until_closed(sock) for sock in silent]
    assert time.monotonic() - started < 10
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408")
        assert json_body(answer)["error"] == {
            "code": "request_timeout",
            "message": "the request headers did not arrive within 1 s",
        }
    assert httpx.get(f"{strict_server.base_url}/healthz").status_code == 200


def test_headers_sent_a_byte_at_a_time_meet_the_same_deadline(connect: Connect, strict_server: HttpServer) -> None:
    sock = connect(strict_server)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200
    started = time.monotonic()
    closed = False
    for byte in request:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        sock.settimeout(TRICKLE_INTERVAL_S)
        try:
            if sock.recv(65536).startswith(b"HTTP/1.1 408"):
                closed = True
                break
        except TimeoutError:
            continue
    assert closed, "the server kept reading a request that never ends"
    assert time.monotonic() - started < 5


def test_a_body_that_never_finishes_gets_408(connect: Connect, strict_server: HttpServer) -> None:
    before = httpx.get(f"{strict_server.base_url}/v1/tasks").json()["total"]
    sock = connect(strict_server)
    sock.sendall(
        b"POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + b'{"title": "'
    )
    answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408")
    assert json_body(answer)["error"]["code"] == "request_timeout"
    assert httpx.get(f"{strict_server.base_url}/v1/tasks").json()["total"] == before  # nothing was created


def test_a_keep_alive_connection_serves_one_request_after_another(strict_server: HttpServer) -> None:
    """The header deadline (1 s here) is per request, not per connection: a client that pauses
    between requests, within the keep-alive timeout, is served on one connection for longer."""
    with httpx.Client(base_url=strict_server.base_url) as http:
        started = time.monotonic()
        peers = set()
        for _ in range(4):
            response = http.post("/v1/tasks", json={"title": "quick"})
            assert response.status_code == 201
            peers.add(response.extensions["network_stream"].get_extra_info("client_addr"))
            time.sleep(IDLE_BETWEEN_REQUESTS_S)  # the client's own pause, shorter than the keep-alive
        assert time.monotonic() - started > 2  # longer than the header deadline, on one connection
    assert len(peers) == 1, peers


def test_connections_past_the_cap_get_503(connect: Connect, db_path: Path, tmp_path: Path) -> None:
    server = start_http_server(db_path, tmp_path / "cap.log", "--backend", "none", "--max-connections", "4")
    try:
        held = [connect(server) for _ in range(4)]
        extra = connect(server)
        answer = read_until_closed(extra)
        assert answer.startswith(b"HTTP/1.1 503")
        assert json_body(answer)["error"]["code"] == "too_many_connections"
        for sock in held:
            sock.close()

        def serving_again() -> bool:
            try:
                return httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        # The server process notices the closed connections in its own time, and tells nobody.
        wait_until_sync(serving_again, within_s=10, what="accepting connections again once the held ones closed")
    finally:
        server.stop()


def access_log_client(server: HttpServer, request_id: str) -> str:
    """The client address in the access log line of `request_id`, which the server process writes
    once the answer is on its way."""

    def record() -> dict[str, object] | None:
        records = (json.loads(line) for line in server.logs().splitlines())
        return next(
            (r for r in records if r.get("event") == "http_request" and r.get("request_id") == request_id), None
        )

    wait_until_sync(lambda: record() is not None, within_s=10, what=f"an access log line for {request_id}")
    found = record()
    assert found is not None
    return str(found["client"])


def test_forwarded_addresses_are_ignored_unless_the_proxy_is_trusted(db_path: Path, tmp_path: Path) -> None:
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "forged-1"}
    plain = start_http_server(db_path, tmp_path / "plain.log", "--backend", "none", "--rate-limit", "3/minute")
    try:
        statuses = [
            httpx.get(f"{plain.base_url}/v1/tasks", headers={**forged, "X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]  # one address, however it claims to be others
        assert access_log_client(plain, "forged-1").startswith("127.0.0.1:")
    finally:
        plain.stop()
    behind_proxy = start_http_server(
        db_path, tmp_path / "proxied.log", "--backend", "none", "--forwarded-allow-ips", "127.0.0.1"
    )
    try:
        assert httpx.get(f"{behind_proxy.base_url}/healthz", headers=forged).status_code == 200
        assert access_log_client(behind_proxy, "forged-1").startswith("203.0.113.9")
    finally:
        behind_proxy.stop()


def test_another_loopback_address_needs_a_token_and_accepts_its_own_host(db_path: Path, tmp_path: Path) -> None:
    port = free_port()
    args = ["--transport", "http", "--host", "127.0.0.2", "--port", str(port), "--db", str(db_path)]
    args += ["--backend", "none"]
    refused = subprocess.run([sys.executable, "-m", "mcp_server", "serve", *args], capture_output=True, text=True)
    assert refused.returncode == 2 and "without a bearer token" in refused.stderr
    server = spawn_http_server(
        [sys.executable, "-m", "mcp_server", "serve", *args],
        port,
        tmp_path / "other-loopback.log",
        env={"TASK_API_TOKEN": "s3cret-token-for-tests"},
        host="127.0.0.2",
    )
    try:
        response = httpx.post(
            f"{server.base_url}/mcp",
            json=INITIALIZE,
            headers={"Authorization": "Bearer s3cret-token-for-tests", "Accept": "application/json, text/event-stream"},
        )
        assert response.status_code == 200, response.text
    finally:
        server.stop()
