"""API keys in both stores: checked by hash, revoked for every checker (at once without a cache, by
the checker itself at once with one), scopes and plan kept, one name one key."""

from __future__ import annotations

import datetime as dt

import pytest

from mcp_server.core.keys import ApiKeys, KeyNameTaken
from mcp_server.core.principals import FEED_SCOPES, Principal, Scope
from mcp_server.core.storage import Store

pytestmark = pytest.mark.anyio


async def test_a_key_authenticates_as_its_principal_until_revoked(store: Store) -> None:
    maker, other_replica = ApiKeys(store), ApiKeys(store)
    key, record = await maker.create("phone", principal_id="alice", scopes=frozenset({Scope.READ}), plan="pro")
    assert record.shown == key[:17] + "..." and key not in repr(await maker.list())
    assert await other_replica.authenticate(key) == Principal("alice", frozenset({Scope.READ}), "pro")
    assert await other_replica.authenticate(key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    await maker.revoke(record.prefix)
    assert await other_replica.authenticate(key) is None  # no cache: the next check reads the revoke
    with pytest.raises(KeyNameTaken):
        await maker.create("phone")
    assert await store.has_keys()


async def test_a_cached_key_is_trusted_for_its_time_but_a_revoke_here_ends_it_at_once(store: Store) -> None:
    caching, elsewhere = ApiKeys(store, cache_s=3600), ApiKeys(store)
    key, _ = await elsewhere.create("laptop")
    assert await caching.authenticate(key) == Principal("laptop", frozenset({Scope.READ, Scope.WRITE}))
    await elsewhere.revoke("laptop")
    assert await caching.authenticate(key) is not None  # within its cache time (a second, when served)
    assert await elsewhere.authenticate(key) is None
    again, _ = await caching.create("second")
    assert await caching.authenticate(again) is not None
    await caching.revoke(again)  # by the key itself
    assert await caching.authenticate(again) is None


async def test_a_principal_named_by_a_token_is_created_once_and_keeps_the_plan_given_it(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    assert await store.principal_plan("alice", now=now) is None  # created, with no plan
    assert await store.principal_plan("alice", now=now) is None  # and again: no duplicate, no error
    await ApiKeys(store).create("alice-laptop", principal_id="alice", plan="pro")
    assert await store.principal_plan("alice", now=now) == "pro"
    await ApiKeys(store).create("alice-phone", principal_id="alice")  # a key without a plan keeps it
    assert await store.principal_plan("alice", now=now) == "pro"


async def test_a_feed_token_is_not_a_credential_that_asks_everyone_for_one(store: Store) -> None:
    keys = ApiKeys(store)
    await keys.create("calendar-1", principal_id="alice", scopes=FEED_SCOPES)
    assert not await store.has_keys()
    await keys.create("alice-laptop", principal_id="alice")
    assert await store.has_keys()
