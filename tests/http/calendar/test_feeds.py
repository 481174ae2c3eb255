"""The calendar feed through the whole HTTP stack in-process: a principal makes a feed URL, a calendar
app fetches it with no header and gets that principal's dated tasks only; the URL's token reads the
feed and nothing else, a key with more scopes is never taken from a URL, and a revoked feed stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from icalendar import Calendar

from mcp_server.config import Settings
from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import Scope
from mcp_server.store import SQLiteTaskStore
from tests.support.asgi import InProcessServer, serve_in_process

pytestmark = pytest.mark.anyio

READ_WRITE = frozenset({Scope.READ, Scope.WRITE})


async def make_keys(db_path: Path, *names: str) -> dict[str, str]:
    store = SQLiteTaskStore(db_path)
    await store.open()
    try:
        return {name: (await ApiKeys(store).create(name, scopes=READ_WRITE))[0] for name in names}
    finally:
        await store.close()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def serving(db_path: Path, **settings: Any) -> AsyncIterator[tuple[InProcessServer, httpx.AsyncClient]]:
    settings_for_test = Settings(db=str(db_path), transport="http", backend="none", **settings)
    async with serve_in_process(settings_for_test) as server, server.http() as http:
        yield server, http


def summaries(body: bytes) -> set[str]:
    return {str(event["SUMMARY"]) for event in Calendar.from_ical(body).walk("VEVENT")}


async def new_feed(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    made = await http.post("/v1/calendar/feeds", headers=bearer(key))
    assert made.status_code == 201, made.text
    return made.json()


def feed_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_a_feed_url_shows_its_principal_s_dated_tasks_to_an_app_without_headers(db_path: Path) -> None:
    keys = await make_keys(db_path, "alice", "bob")
    async with serving(db_path) as (_, http):
        for title, due in [("Dentist", "2026-12-04T09:00:00+01:00"), ("Rent", "2026-12-31"), ("Someday", None)]:
            body = {"title": title} | ({"due": due} if due else {})
            assert (await http.post("/v1/tasks", json=body, headers=bearer(keys["alice"]))).status_code == 201
        await http.post("/v1/tasks", json={"title": "Bob's", "due": "2026-12-05"}, headers=bearer(keys["bob"]))
        feed = await new_feed(http, keys["alice"])
        assert feed["url"].startswith("http://127.0.0.1:8000/v1/calendar.ics?token=tam_")
        assert feed["token_prefix"].endswith("...") and feed["name"].startswith("calendar-")

        fetched = await http.get(feed_path(feed["url"]))  # what a calendar app sends: the URL, no header
        assert fetched.status_code == 200 and fetched.headers["content-type"].startswith("text/calendar")
        assert summaries(fetched.content) == {"Dentist", "Rent"}
        again = await http.get(feed_path(feed["url"]), headers={"If-None-Match": fetched.headers["etag"]})
        assert again.status_code == 304
        todos = await http.get(feed_path(feed["url"]) + "&shape=todos")
        assert {str(t["SUMMARY"]) for t in Calendar.from_ical(todos.content).walk("VTODO")} == {"Dentist", "Rent"}
        with_header = await http.get("/v1/calendar.ics", headers=bearer(keys["bob"]))  # a key in the header works
        assert summaries(with_header.content) == {"Bob's"}
        assert (await http.get("/v1/calendar.ics?shape=months", headers=bearer(keys["bob"]))).status_code == 422


async def test_a_feed_token_reads_the_feed_and_nothing_else_and_no_other_key_is_taken_from_a_url(
    db_path: Path,
) -> None:
    keys = await make_keys(db_path, "alice")
    async with serving(db_path) as (_, http):
        token = parse_qs(urlsplit((await new_feed(http, keys["alice"]))["url"]).query)["token"][0]
        assert (await http.get("/v1/tasks", headers=bearer(token))).status_code == 403
        refused = await http.post("/v1/tasks", json={"title": "x"}, headers=bearer(token))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
        assert (await http.get(f"/v1/tasks?token={token}")).status_code == 401  # URLs carry tokens to the feed only
        for path in ("/metrics", "/v1/usage", "/openapi.json", "/v1/calendar/feeds"):  # moved into a header
            assert (await http.get(path, headers=bearer(token))).status_code == 403, path
        assert (await http.get(f"/v1/calendar.ics?token={keys['alice']}")).status_code == 401  # a full key: never
        assert (await http.get("/v1/calendar.ics?token=tam_000000000000_" + "x" * 43)).status_code == 401


async def test_a_revoked_feed_stops_and_only_its_principal_can_list_or_revoke_it(db_path: Path) -> None:
    keys = await make_keys(db_path, "alice", "bob")
    async with serving(db_path) as (_, http):
        feed = await new_feed(http, keys["alice"])
        listed = (await http.get("/v1/calendar/feeds", headers=bearer(keys["alice"]))).json()["feeds"]
        assert [f["name"] for f in listed] == [feed["name"]] and "url" not in listed[0]
        assert (await http.get("/v1/calendar/feeds", headers=bearer(keys["bob"]))).json()["feeds"] == []
        assert (await http.delete(f"/v1/calendar/feeds/{feed['name']}", headers=bearer(keys["bob"]))).status_code == 404
        assert (await http.get(feed_path(feed["url"]))).status_code == 200
        revoked = await http.delete(f"/v1/calendar/feeds/{feed['name']}", headers=bearer(keys["alice"]))
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert (await http.get(feed_path(feed["url"]))).status_code == 401


async def test_a_feed_on_a_personal_server_does_not_turn_credentials_on(db_path: Path) -> None:
    """A loopback server with no token and no keys answers without credentials; a feed URL made
    there is not an API key that would start asking everyone for one."""
    async with serving(db_path) as (_, http):
        await http.post("/v1/tasks", json={"title": "Mine", "due": "2026-12-24"})
        made = await http.post("/v1/calendar/feeds")
        assert made.status_code == 201
        assert (await http.get("/v1/tasks")).status_code == 200
        assert summaries((await http.get(feed_path(made.json()["url"]))).content) == {"Mine"}
