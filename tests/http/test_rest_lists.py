"""Lists over REST: the list field and filter, GET /v1/lists, and PATCH /v1/lists/{name} to rename one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mcp_server.config import Settings
from tests.support.asgi import serve_in_process

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(http_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(http_settings) as server, server.http() as http:
        yield http


async def test_lists_over_rest(http: httpx.AsyncClient) -> None:
    created = (await http.post("/v1/tasks", json={"title": "send the report", "list": "Work"})).json()
    await http.post("/v1/tasks", json={"title": "water the plants"})
    assert created["list"] == "work"
    page = (await http.get("/v1/tasks", params={"list": "work"})).json()
    assert [task["id"] for task in page["tasks"]] == [created["id"]]
    assert (await http.get("/v1/lists")).json() == {
        "lists": [{"name": "inbox", "open": 1, "done": 0}, {"name": "work", "open": 1, "done": 0}]
    }
    moved = await http.patch(f"/v1/tasks/{created['id']}", json={"list": "office"})
    assert moved.status_code == 200 and moved.json()["list"] == "office"
    renamed = await http.patch("/v1/lists/office", json={"new_name": "inbox"})
    assert renamed.status_code == 200
    assert renamed.json() == {"name": "office", "new_name": "inbox", "moved": 1}
    assert (await http.get("/v1/lists")).json() == {"lists": [{"name": "inbox", "open": 2, "done": 0}]}


async def test_rest_list_errors_are_clear_4xx(http: httpx.AsyncClient) -> None:
    await http.post("/v1/tasks", json={"title": "t", "list": "home"})
    unknown = await http.patch("/v1/lists/nowhere", json={"new_name": "x"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    same = await http.patch("/v1/lists/home", json={"new_name": "HOME"})
    assert same.status_code == 422 and "already called" in same.json()["error"]["message"]
    extra = await http.patch("/v1/lists/home", json={"new_name": "x", "nmae": "y"})
    assert extra.status_code == 422
    too_long = await http.post("/v1/tasks", json={"title": "t", "list": "x" * 101})
    assert too_long.status_code == 422 and "list" in too_long.json()["error"]["message"]
    assert (await http.get("/v1/lists")).json() == {"lists": [{"name": "home", "open": 1, "done": 0}]}


async def test_a_list_with_a_slash_in_its_name_can_be_renamed(http: httpx.AsyncClient) -> None:
    await http.post("/v1/tasks", json={"title": "t", "list": "work/clients"})
    renamed = await http.patch("/v1/lists/work%2Fclients", json={"new_name": "clients"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"name": "work/clients", "new_name": "clients", "moved": 1}
    too_long = await http.patch("/v1/lists/" + "x" * 101, json={"new_name": "y"})
    assert too_long.status_code == 422 and "at most 100" in too_long.json()["error"]["message"]
