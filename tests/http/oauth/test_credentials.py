"""Access tokens through the whole HTTP stack in-process, beside the other credentials: a token acts
for its subject (created on first use, with the plan an operator gave it) on MCP and REST alike, keys
and the shared token keep working, a token granted none of this server's scopes gets 403, and an
issuer that cannot be reached is a 503, never a 500 or a refusal of keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.jwt_issuer import JwtIssuer
from harness.servers import free_port
from mcp_server.config import Settings
from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import Scope
from mcp_server.store import SQLiteTaskStore
from tests.support.asgi import BASE_URL, InProcessServer, serve_in_process
from tests.support.clients import call

pytestmark = pytest.mark.anyio

RESOURCE = f"{BASE_URL}/mcp"
SHARED_TOKEN = "a-shared-token-long-enough-0123456789"


@pytest.fixture
def issuer() -> Iterator[JwtIssuer]:
    published = JwtIssuer(RESOURCE).start()
    yield published
    published.stop()


@asynccontextmanager
async def serving(db_path: Path, issuer_url: str, **settings: Any) -> AsyncIterator[InProcessServer]:
    async with serve_in_process(
        Settings(
            db=str(db_path), transport="http", backend="none", oauth_issuer=issuer_url, oauth_leeway_s=0, **settings
        )
    ) as server:
        yield server


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_acts_for_its_subject_on_mcp_and_rest(db_path: Path, issuer: JwtIssuer) -> None:
    async with serving(db_path, issuer.issuer) as server:
        async with server.mcp(headers=bearer(issuer.token(sub="alice"))) as alice:
            created = await call(alice, "create_task", title="Alice's")
        async with server.http() as http:
            mine = await http.get("/v1/tasks", headers=bearer(issuer.token(sub="alice")))
            theirs = await http.get(f"/v1/tasks/{created['id']}", headers=bearer(issuer.token(sub="bob")))
        assert [task["title"] for task in mine.json()["tasks"]] == ["Alice's"]
        assert theirs.status_code == 404
        assert await server.app.keys.store.principal_plan("alice", now=dt.datetime.now(dt.UTC)) is None


async def test_keys_and_the_shared_token_keep_working_beside_tokens(db_path: Path, issuer: JwtIssuer) -> None:
    store = SQLiteTaskStore(db_path)
    await store.open()
    key, _ = await ApiKeys(store).create("team-bot", scopes=frozenset({Scope.READ}))
    await store.close()
    async with serving(db_path, issuer.issuer, token=SHARED_TOKEN) as server, server.http() as http:
        assert (await http.get("/v1/tasks", headers=bearer(key))).status_code == 200
        assert (await http.get("/v1/tasks", headers=bearer(SHARED_TOKEN))).status_code == 200
        assert (await http.get("/v1/tasks", headers=bearer(issuer.token()))).status_code == 200
        wrong_key = await http.get("/v1/tasks", headers=bearer("tam_0123456789ab_" + "x" * 43))
        assert wrong_key.status_code == 401
        assert wrong_key.json()["error"]["message"] == "missing or wrong bearer token or API key"


async def test_a_token_with_none_of_the_scopes_is_refused_403_and_admin_is_honoured(
    db_path: Path, issuer: JwtIssuer
) -> None:
    async with serving(db_path, issuer.issuer) as server, server.http() as http:
        bare = await http.get("/v1/tasks", headers=bearer(issuer.token(scope="openid profile")))
        assert bare.status_code == 403 and bare.json()["error"]["code"] == "insufficient_scope"
        challenge = bare.headers["WWW-Authenticate"]
        assert 'error="insufficient_scope"' in challenge and "resource_metadata=" in challenge
        everyone = await http.get("/v1/usage", params={"all": "true"}, headers=bearer(issuer.token(scope="admin")))
        assert everyone.status_code == 200
        reader = await http.get("/v1/usage", params={"all": "true"}, headers=bearer(issuer.token(scope="tasks:read")))
        assert reader.status_code == 403


async def test_the_subject_local_is_reserved_and_a_subject_must_be_a_principal_id(
    db_path: Path, issuer: JwtIssuer
) -> None:
    async with serving(db_path, issuer.issuer) as server, server.http() as http:
        response = await http.get("/v1/tasks", headers=bearer(issuer.token(sub="local")))
        assert response.status_code == 401 and "reserved" in response.json()["error"]["message"]
        spaced = await http.get("/v1/tasks", headers=bearer(issuer.token(sub="alice smith")))
        assert spaced.status_code == 401 and "no principal id" in spaced.json()["error"]["message"]


async def test_a_plan_given_to_the_subject_applies_to_its_tokens(db_path: Path, issuer: JwtIssuer) -> None:
    store = SQLiteTaskStore(db_path)
    await store.open()
    await ApiKeys(store).create("alice-laptop", principal_id="alice", plan="tiny")
    await store.close()
    async with serving(db_path, issuer.issuer, plans="tiny=2") as server, server.http() as http:
        token = bearer(issuer.token(sub="alice"))
        assert [(await http.get("/v1/tasks", headers=token)).status_code for _ in range(3)] == [200, 200, 429]
        usage = (await http.get("/v1/usage", headers=token)).json()["usage"]
        assert [(entry["principal"], entry["plan"]) for entry in usage] == [("alice", "tiny")]


async def test_an_unreachable_issuer_is_a_503_and_the_server_still_starts(db_path: Path) -> None:
    store = SQLiteTaskStore(db_path)
    await store.open()
    key, _ = await ApiKeys(store).create("team-bot")
    await store.close()
    down = JwtIssuer(RESOURCE)  # never started: nothing listens there
    async with serving(db_path, f"http://127.0.0.1:{free_port()}") as server, server.http() as http:
        assert (await http.get("/healthz")).status_code == 200
        response = await http.get("/v1/tasks", headers=bearer(down.token()))
        assert response.status_code == 503 and response.json()["error"]["code"] == "issuer_unavailable"
        assert (await http.get("/v1/tasks", headers=bearer(key))).status_code == 200


async def test_bad_tokens_are_rate_limited_per_address(db_path: Path, issuer: JwtIssuer) -> None:
    async with serving(db_path, issuer.issuer) as server, server.http() as http:
        statuses = [
            (await http.get("/v1/tasks", headers=bearer(issuer.token(lifetime_s=-10)))).status_code for _ in range(21)
        ]
        assert statuses[:20] == [401] * 20 and statuses[20] == 429
        assert (await http.get("/v1/tasks", headers=bearer(issuer.token()))).status_code == 200
