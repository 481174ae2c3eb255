"""An ASGI app served by uvicorn in a thread on a loopback port: what the protocol-faithful test servers
(Ollama, OpenAI-compatible) share."""

from __future__ import annotations

import socket
import threading

import uvicorn
from starlette.types import ASGIApp


class ThreadedServer:
    def __init__(self, app: ASGIApp, port: int) -> None:
        self.port = port
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a thread. The socket listens before this returns (connections wait in its backlog
        until the server takes them), so there is nothing to wait for."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the port again, after a stop
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self._server.should_exit = False
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = uvicorn.Server(self._server.config)  # a fresh one so start() works again
