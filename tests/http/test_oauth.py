"""OAuth 2.1 end to end: a real authorization server (oidc-provider), this server on a real port with
--oauth-issuer, and the MCP SDK's OAuth client completing discovery, registration (dynamic or
pre-registered), the authorization code flow with PKCE and a person's login, then calling tools.
Then the issuer rotates its signing key, a token expires, and a read-only token steps up."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import jwt
import pytest
from mcp.shared.auth import OAuthClientInformationFull

from harness.authorization_server import AuthorizationServer, public_client, signing_key, token_by_hand
from harness.servers import free_port
from mcp_server.config import Settings
from tests.support.clients import call, initialize_request
from tests.support.oauth import ServedOnPort, SigningIn, serve_on_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.anyio

CLI_CLIENT = "tasks-cli"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def issuer(tmp_path: Path, port: int) -> Iterator[AuthorizationServer]:
    server = AuthorizationServer(
        resource=f"http://127.0.0.1:{port}/mcp", workdir=tmp_path / "issuer", clients=[public_client(CLI_CLIENT)]
    ).start()
    yield server
    server.stop()


@pytest.fixture
async def served(db_path: Path, port: int, issuer: AuthorizationServer) -> AsyncIterator[ServedOnPort]:
    settings = Settings(
        db=str(db_path), transport="http", backend="none", port=port, oauth_issuer=issuer.issuer, oauth_leeway_s=0
    )
    async with serve_on_port(settings) as server:
        yield server


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post_initialize(url: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.post(
            url,
            json=initialize_request(),
            headers={"Accept": "application/json, text/event-stream", **(headers or {})},
        )


async def test_the_metadata_names_the_issuer_and_every_route_challenges_with_it(
    served: ServedOnPort, issuer: AuthorizationServer
) -> None:
    metadata_url = f"{served.base_url}/.well-known/oauth-protected-resource/mcp"
    async with httpx2.AsyncClient(base_url=served.base_url, timeout=10) as http:
        for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
            document = (await http.get(path)).json()
            assert document["resource"] == served.mcp_url
            assert document["authorization_servers"] == [issuer.issuer]
            assert document["scopes_supported"] == ["tasks:read", "tasks:write"]
        for method, path in [("POST", "/mcp"), ("GET", "/v1/tasks"), ("GET", "/metrics"), ("GET", "/openapi.json")]:
            response = await http.request(method, path)
            assert response.status_code == 401, (path, response.text)
            challenge = response.headers["WWW-Authenticate"]
            assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata_url}"' in challenge
            assert 'scope="tasks:read tasks:write"' in challenge and "error=" not in challenge
            assert response.json()["error"]["code"] == "unauthorized"
        refused = await http.get("/v1/tasks", headers=bearer("not-a-jwt"))
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        assert (await http.get("/healthz")).status_code == 200


async def test_a_person_signs_in_with_the_sdk_client_and_sees_only_their_own_tasks(
    served: ServedOnPort, issuer: AuthorizationServer
) -> None:
    alice, bob = SigningIn("alice"), SigningIn("bob")
    async with alice.mcp(served.mcp_url) as client:
        created = await call(client, "create_task", title="Call the dentist")
        assert [task["id"] for task in (await call(client, "list_tasks"))["tasks"]] == [created["id"]]
    # Discovery, dynamic registration, and one authorization for this resource with PKCE:
    assert alice.storage.client is not None and alice.storage.client.client_id
    assert alice.storage.tokens is not None
    (authorization,) = alice.authorizations
    assert "code_challenge_method=S256" in authorization and "resource=http" in authorization
    claims = jwt.decode(alice.storage.tokens.access_token, options={"verify_signature": False})
    assert (claims["sub"], claims["aud"], claims["iss"]) == ("alice", served.mcp_url, issuer.issuer)

    async with bob.mcp(served.mcp_url) as client:
        assert (await call(client, "list_tasks"))["tasks"] == []
        other = await client.call_tool("get_task", {"task_id": created["id"]})
        assert other.is_error and "does not exist" in other.content[0].text  # type: ignore[union-attr]
        await call(client, "create_task", title="Bob's own")

    async with httpx2.AsyncClient(base_url=served.base_url, timeout=10) as http:  # the token works on REST too
        tasks = (await http.get("/v1/tasks", headers=bearer(alice.storage.tokens.access_token))).json()["tasks"]
        assert [task["title"] for task in tasks] == ["Call the dentist"]
        usage = (await http.get("/v1/usage", headers=bearer(alice.storage.tokens.access_token))).json()["usage"]
        assert [(entry["principal"], entry["used"]) for entry in usage] == [("alice", 3)]  # 2 MCP calls, 1 REST


async def test_a_pre_registered_client_signs_in_without_registering(
    served: ServedOnPort, issuer: AuthorizationServer
) -> None:
    carol = SigningIn("carol")
    carol.storage.client = OAuthClientInformationFull.model_validate(public_client(CLI_CLIENT))
    async with carol.mcp(served.mcp_url) as client:
        await call(client, "create_task", title="From the CLI")
    assert carol.storage.client.client_id == CLI_CLIENT  # kept, not replaced by a registration
    assert carol.storage.tokens is not None
    claims = jwt.decode(carol.storage.tokens.access_token, options={"verify_signature": False})
    assert claims["client_id"] == CLI_CLIENT and claims["sub"] == "carol"


async def test_tokens_keep_verifying_when_the_issuer_rotates_its_signing_key(
    served: ServedOnPort, issuer: AuthorizationServer
) -> None:
    before = SigningIn("alice")
    async with before.mcp(served.mcp_url) as client:
        await call(client, "create_task", title="Before the rotation")
    assert before.storage.tokens is not None
    old_token = before.storage.tokens.access_token

    issuer.restart(keys=[signing_key("key-2"), *issuer.keys])  # signs with key-2; key-1 still published
    after = SigningIn("alice")
    async with after.mcp(served.mcp_url) as client:  # a token signed by a key the server has not seen
        titles = [task["title"] for task in (await call(client, "list_tasks"))["tasks"]]
    assert titles == ["Before the rotation"]
    assert after.storage.tokens is not None
    assert jwt.get_unverified_header(after.storage.tokens.access_token)["kid"] == "key-2"
    assert jwt.get_unverified_header(old_token)["kid"] == "key-1"
    assert (await post_initialize(served.mcp_url, bearer(old_token))).status_code == 200

    # The issuer retires both keys for key-3: the first token signed by it makes the server fetch
    # the keys again, and from then on a token of a retired key is refused.
    issuer.restart(keys=[signing_key("key-3")])
    async with SigningIn("alice").mcp(served.mcp_url) as client:
        await call(client, "list_tasks")
    response = await post_initialize(served.mcp_url, bearer(old_token))
    assert response.status_code == 401
    assert "key 'key-1' is not one the issuer publishes" in response.json()["error"]["message"]


async def test_an_expired_token_gets_401_and_the_client_signs_in_again(
    db_path: Path, tmp_path: Path, port: int
) -> None:
    issuer = AuthorizationServer(
        resource=f"http://127.0.0.1:{port}/mcp", workdir=tmp_path / "short-lived", token_ttl_s=2
    ).start()
    try:
        settings = Settings(
            db=str(db_path), transport="http", backend="none", port=port, oauth_issuer=issuer.issuer, oauth_leeway_s=0
        )
        async with serve_on_port(settings) as served:
            alice = SigningIn("alice")
            async with alice.mcp(served.mcp_url) as client:
                await call(client, "create_task", title="Survives re-authentication")
            assert alice.storage.tokens is not None
            expired = alice.storage.tokens.access_token
            expires_at = jwt.decode(expired, options={"verify_signature": False})["exp"]

            async def refused() -> bool:
                return (
                    time.time() > expires_at
                    and (await post_initialize(served.mcp_url, bearer(expired))).status_code == 401
                )

            await wait_until(refused, within_s=10, what="the token to expire")
            response = await post_initialize(served.mcp_url, bearer(expired))
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
            assert "expired" in response.json()["error"]["message"]

            # A client that cannot tell the token expired (one restarted from what it saved) sends it,
            # gets the 401, and signs in again on its own.
            alice.storage.tokens = alice.storage.tokens.model_copy(update={"expires_in": None, "refresh_token": None})
            async with alice.mcp(served.mcp_url) as client:
                titles = [task["title"] for task in (await call(client, "list_tasks"))["tasks"]]
            assert titles == ["Survives re-authentication"]
            assert len(alice.authorizations) == 2
            assert alice.storage.tokens.access_token != expired
    finally:
        issuer.stop()


async def test_a_read_only_token_reads_and_steps_up_to_write(served: ServedOnPort, issuer: AuthorizationServer) -> None:
    read_only = await token_by_hand(issuer, CLI_CLIENT, "dana", "tasks:read")
    assert read_only.scope == "tasks:read"
    raw = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "create_task", "arguments": {"title": "not allowed"}},
    }
    async with httpx2.AsyncClient(timeout=10) as http:
        headers = {**bearer(read_only.access_token), "Accept": "application/json, text/event-stream"}
        response = await http.post(served.mcp_url, json=raw, headers=headers)
        assert response.status_code == 403
        challenge = response.headers["WWW-Authenticate"]
        assert 'error="insufficient_scope"' in challenge and 'scope="tasks:read tasks:write"' in challenge
        rest = await http.post(
            f"{served.base_url}/v1/tasks", json={"title": "no"}, headers=bearer(read_only.access_token)
        )
        assert rest.status_code == 403 and rest.json()["error"]["code"] == "insufficient_scope"

    dana = SigningIn("dana")
    dana.storage.client = OAuthClientInformationFull.model_validate(public_client(CLI_CLIENT))
    dana.storage.tokens = read_only.model_copy(update={"expires_in": None})
    async with dana.mcp(served.mcp_url) as client:
        assert (await call(client, "list_tasks"))["tasks"] == []  # the read-only token suffices
        assert dana.authorizations == []
        await call(client, "create_task", title="After the step-up")  # 403, a new authorization, the retry
    (authorization,) = dana.authorizations
    assert "tasks%3Awrite" in authorization
    assert dana.storage.tokens.scope is not None and "tasks:write" in dana.storage.tokens.scope
