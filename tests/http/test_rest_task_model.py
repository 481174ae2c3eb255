"""The deeper task model over REST: subtasks, recurrence, the trash, history and batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mcp_server.config import Settings
from tests.support.asgi import serve_in_process

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(http_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(http_settings) as server, server.http() as http:
        yield http


async def _create(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await http.post("/v1/tasks", json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_delete_to_the_trash_restore_and_history(http: httpx.AsyncClient) -> None:
    parent = await _create(http, title="party", list="home")
    child = await _create(http, title="cake", parent_id=parent["id"])
    assert child["list"] == "home" and child["parent_id"] == parent["id"]
    assert (await http.get(f"/v1/tasks/{parent['id']}")).json()["subtasks"] == {"open": 1, "done": 0}
    children = (await http.get("/v1/tasks", params={"parent_id": parent["id"]})).json()["tasks"]
    assert [t["id"] for t in children] == [child["id"]]

    deleted = await http.delete(f"/v1/tasks/{parent['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["subtask_ids"] == [child["id"]] and deleted.json()["task"]["deleted_at"]
    assert (await http.get(f"/v1/tasks/{parent['id']}")).status_code == 404
    assert (await http.get("/v1/tasks")).json()["tasks"] == []
    trash = (await http.get("/v1/tasks", params={"status": "deleted"})).json()["tasks"]
    assert [t["id"] for t in trash] == [parent["id"], child["id"]]
    assert (await http.get("/v1/lists")).json() == {"lists": []}

    restored = await http.post(f"/v1/tasks/{parent['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    again = await http.post(f"/v1/tasks/{parent['id']}/restore")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    history = (await http.get(f"/v1/tasks/{child['id']}/history")).json()
    assert [e["kind"] for e in history["entries"]] == ["created", "deleted", "restored"]
    assert (await http.get("/v1/tasks/424242/history")).status_code == 404

    purged = await http.delete(f"/v1/tasks/{parent['id']}", params={"permanent": "true"})
    assert purged.status_code == 200 and purged.json()["permanent"] is True
    assert (await http.post(f"/v1/tasks/{parent['id']}/restore")).status_code == 404


async def test_complete_with_open_subtasks_is_a_409_unless_cascade(http: httpx.AsyncClient) -> None:
    parent = await _create(http, title="trip")
    await _create(http, title="passport", parent_id=parent["id"])
    refused = await http.post(f"/v1/tasks/{parent['id']}/complete")
    assert refused.status_code == 409 and "passport" in refused.json()["error"]["message"]
    done = await http.post(f"/v1/tasks/{parent['id']}/complete", params={"cascade": "true"})
    assert done.status_code == 200 and done.json()["status"] == "done"


async def test_a_weekly_task_completed_twice(http: httpx.AsyncClient) -> None:
    task = await _create(
        http,
        title="review",
        due="2027-03-22T09:00:00+01:00",
        recurrence="FREQ=WEEKLY;BYDAY=MO",
        timezone="Europe/Paris",
    )
    first = (await http.post(f"/v1/tasks/{task['id']}/complete")).json()
    second = (await http.post(f"/v1/tasks/{task['id']}/complete")).json()
    assert (first["status"], first["due"]) == ("open", "2027-03-29T09:00:00+02:00")
    assert (second["status"], second["due"], second["version"]) == ("open", "2027-04-05T09:00:00+02:00", 3)


async def test_batch_over_rest(http: httpx.AsyncClient) -> None:
    existing = await _create(http, title="existing")
    response = await http.post(
        "/v1/tasks:batch",
        json={
            "operations": [
                {"op": "create", "title": "new"},
                {"op": "update", "task_id": 999_999, "title": "ghost"},
                {"op": "complete", "task_id": existing["id"]},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is True
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    assert body["results"][1]["error"]["kind"] == "not_found"
    atomic = await http.post(
        "/v1/tasks:batch",
        json={"atomic": True, "operations": [{"op": "create", "title": "x"}, {"op": "restore", "task_id": 1}]},
    )
    assert atomic.json()["applied"] is False
    assert [r["error"]["kind"] for r in atomic.json()["results"]] == ["aborted", "conflict"]
    assert (await http.get("/v1/tasks")).json()["total"] == 2


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"operations": []}, "operations"),
        ({"operations": [{"op": "create", "title": "x"}] * 51}, "at most 50"),
        ({"operations": [{"op": "explode", "task_id": 1}]}, "op"),
        ({"operations": [{"op": "create"}]}, "title"),
        ({"operations": [{"op": "create", "title": "x", "recurrence": "FREQ=DAILY;BYDAY=XX"}]}, "BYDAY"),
        ({"operations": [{"op": "complete", "task_id": 1}], "atomically": True}, "atomically"),
        # JSON types are strict: "yes" is not true, "1" is not 1 (a lax "permanent" once purged a task)
        ({"operations": [{"op": "delete", "task_id": 1, "permanent": "yes"}]}, "permanent"),
        ({"operations": [{"op": "complete", "task_id": "1"}]}, "task_id"),
        ({"operations": [{"op": "complete", "task_id": 1}], "atomic": "no"}, "atomic"),
    ],
)
async def test_bad_batches_are_refused_whole_and_change_nothing(
    http: httpx.AsyncClient, body: dict[str, Any], problem: str
) -> None:
    response = await http.post("/v1/tasks:batch", json=body)
    assert response.status_code == 422, response.text
    assert problem in response.json()["error"]["message"]
    assert (await http.get("/v1/tasks")).json()["total"] == 0


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"title": "x", "recurrence": "FREQ=WEEKLY;BYDAY=XX", "due": "2027-01-01"}, "BYDAY"),
        ({"title": "x", "recurrence": "FREQ=FORTNIGHTLY", "due": "2027-01-01"}, "FREQ"),
        ({"title": "x", "recurrence": "FREQ=DAILY"}, "recurrence needs a due"),
        ({"title": "x", "timezone": "Mars/Olympus"}, "IANA"),
        ({"title": "x", "timezone": "Europe"}, "IANA"),
        ({"title": "x", "parent_id": 999}, "parent_id"),
        ({"title": "x", "repeat_from": "whenever"}, "repeat_from"),
        ({"title": "x", "parent_id": "1"}, "parent_id"),
    ],
)
async def test_bad_task_fields_are_clear_4xx(http: httpx.AsyncClient, fields: dict[str, Any], problem: str) -> None:
    response = await http.post("/v1/tasks", json=fields)
    assert response.status_code in (404, 422), response.text
    assert problem in response.json()["error"]["message"]
    assert "recurrence: recurrence" not in response.json()["error"]["message"]
    assert (await http.get("/v1/tasks")).json()["total"] == 0
