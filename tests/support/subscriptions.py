"""What a subscribing test client heard: the URIs of resources/updated notifications, in order, and an
event to wait on for the next one."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import types


class UpdatesHeard:
    def __init__(self) -> None:
        self.uris: list[str] = []
        self.changed = anyio.Event()

    async def on_message(self, message: Any) -> None:
        """The client's message_handler."""
        if isinstance(message, types.ResourceUpdatedNotification):
            self.uris.append(str(message.params.uri))
            self.changed.set()

    def expect_more(self) -> None:
        """Wait on a fresh event from here on."""
        self.changed = anyio.Event()
