"""An MCP client that signs in with OAuth, as a person's MCP client would: the SDK's
OAuthClientProvider, with the person's browser played by harness.authorization_server.log_in; and
the server on a real loopback port, since the client talks to the authorization server too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import uvicorn
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from harness.authorization_server import REDIRECT_URI, log_in
from mcp_server.app import App, open_app
from mcp_server.config import Settings
from mcp_server.http.listener import uvicorn_config
from mcp_server.serving import http_app
from tests.support.waiting import wait_until


@dataclass
class MemoryTokenStorage:
    """Where an MCP client keeps its registration and tokens (a real client keeps them on disk)."""

    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class SigningIn:
    """One person's client: who logs in, where it keeps its tokens, and each authorization URL it opened."""

    account: str
    storage: MemoryTokenStorage = field(default_factory=MemoryTokenStorage)
    authorizations: list[str] = field(default_factory=list)

    def provider(self, mcp_url: str) -> OAuthClientProvider:
        landed: list[str] = []

        async def redirect_handler(authorization_url: str) -> None:
            self.authorizations.append(authorization_url)
            landed.append(await log_in(authorization_url, self.account, REDIRECT_URI))

        async def callback_handler() -> AuthorizationCodeResult:
            query = parse_qs(urlsplit(landed.pop()).query)
            assert "error" not in query, query
            return AuthorizationCodeResult(
                code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0]
            )

        return OAuthClientProvider(
            server_url=mcp_url,
            client_metadata=OAuthClientMetadata(client_name=f"{self.account}'s client", redirect_uris=[REDIRECT_URI]),
            storage=self.storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )

    @asynccontextmanager
    async def mcp(self, mcp_url: str) -> AsyncIterator[Client]:
        async with (
            httpx2.AsyncClient(auth=self.provider(mcp_url), timeout=30) as http,
            Client(streamable_http_client(mcp_url, http_client=http)) as client,
        ):
            yield client


@dataclass
class ServedOnPort:
    app: App
    settings: Settings

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"


@asynccontextmanager
async def serve_on_port(settings: Settings) -> AsyncIterator[ServedOnPort]:
    """What `task-api-mcp serve --transport http` serves for `settings`, on its loopback port, in this process."""
    async with open_app(settings) as app, anyio.create_task_group() as group:
        server = uvicorn.Server(uvicorn_config(http_app(app, settings), settings))
        group.start_soon(server.serve)
        await wait_until(lambda: server.started, within_s=10, what="the server listening")
        try:
            yield ServedOnPort(app, settings)
        finally:
            server.should_exit = True
