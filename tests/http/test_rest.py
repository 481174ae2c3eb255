"""The REST API through the HTTP stack the server serves (in-process): CRUD, errors in one JSON
shape, commands, SSE, OpenAPI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from harness.ollama_server import FakeOllama
from mcp_server.config import Settings
from mcp_server.http.rest import PreviewedAction
from mcp_server.nlu.actions import ACTION_NAMES
from tests.support.apps import wait_for_model
from tests.support.asgi import serve_in_process

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(http_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the REST API of `serve --transport http --backend rules`."""
    async with serve_in_process(replace(http_settings, backend="rules")) as server, server.http() as http:
        yield http


async def test_crud_round_trip(http: httpx.AsyncClient) -> None:
    created = await http.post(
        "/v1/tasks",
        json={"title": " Pay rent ", "tags": ["Home"], "due": "2026-12-01"},
        headers={"Idempotency-Key": "rent-1"},
    )
    again = await http.post(
        "/v1/tasks",
        json={"title": " Pay rent ", "tags": ["Home"], "due": "2026-12-01"},
        headers={"Idempotency-Key": "rent-1"},
    )
    task = created.json()
    page = await http.get("/v1/tasks", params={"tag": "home", "limit": 10})
    fetched = await http.get(f"/v1/tasks/{task['id']}")
    patched = await http.patch(f"/v1/tasks/{task['id']}", json={"priority": "high"}, params={"expected_version": 1})
    stale = await http.patch(f"/v1/tasks/{task['id']}", json={"priority": "low"}, params={"expected_version": 1})
    done = await http.post(f"/v1/tasks/{task['id']}/complete")
    deleted = await http.delete(f"/v1/tasks/{task['id']}")
    gone = await http.get(f"/v1/tasks/{task['id']}")
    assert created.status_code == 201 and task["title"] == "Pay rent" and task["tags"] == ["home"]
    assert again.json()["id"] == task["id"]
    assert page.json()["total"] == 1 and fetched.json() == task
    assert patched.json()["priority"] == "high" and patched.json()["version"] == 2
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    assert done.json()["status"] == "done"
    assert deleted.json()["deleted"] is True
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/tasks", {"title": ""}, 422),
        ("POST", "/v1/tasks", {"title": "x", "colour": "red"}, 422),
        ("POST", "/v1/tasks", {"title": "x", "due": "tomorrow"}, 422),
        ("GET", "/v1/tasks?limit=1000", None, 422),
        ("GET", "/v1/tasks?cursor=forged", None, 422),
        ("GET", "/v1/tasks/abc", None, 422),
        ("PATCH", "/v1/tasks/1", {}, 422),
        ("POST", "/v1/task", {"command": ""}, 422),
    ],
)
async def test_bad_input_is_a_4xx_with_one_json_shape(
    http: httpx.AsyncClient, method: str, path: str, body: object, status: int
) -> None:
    await http.post("/v1/tasks", json={"title": "existing"})
    response = await http.request(method, path, json=body)
    listing = await http.get("/v1/tasks")
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and set(response.json()["error"]) == {"code", "message"}
    assert listing.json()["total"] == 1  # nothing changed


async def test_command_answers_the_spec_task_response(http: httpx.AsyncClient) -> None:
    made = await http.post("/v1/task", json={"command": "create a task: call mum"})
    refused = await http.post("/v1/task", json={"command": "how are you?"})
    unconfirmed = await http.post("/v1/task", json={"command": "delete task 1"})
    confirmed = await http.post("/v1/task", json={"command": "delete task 1", "confirm": True})
    body = made.json()
    assert made.status_code == 200 and body["success"] is True and body["action"] == "create_task"
    assert body["params"] == {"title": "Call mum"} and body["result"]["id"] == 1 and body["parser"] == "rules"
    assert refused.json()["success"] is False and "only understands fixed shapes" in refused.json()["message"]
    assert unconfirmed.json()["success"] is False and "confirm=true" in unconfirmed.json()["message"]
    assert confirmed.json()["result"]["deleted"] is True


async def test_command_streams_tokens_then_the_response(http_settings: Settings, ollama: FakeOllama) -> None:
    answer = '{"action":"create_task","params":{"title":"Water the plants"}}'
    ollama.script.answer("plants", answer)
    settings = replace(http_settings, backend="ollama", ollama_host=ollama.host)
    async with serve_in_process(settings) as server, server.http(timeout=30) as http:
        await wait_for_model(server.app)
        events: list[tuple[str, str]] = []
        async with http.stream("POST", "/v1/task", json={"command": "water the plants", "stream": True}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = None
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind:
                    events.append((kind, line.removeprefix("data: ")))
    tokens = "".join(json.loads(data)["token"] for kind, data in events if kind == "token")
    assert tokens == answer and len([e for e in events if e[0] == "token"]) > 3
    final = json.loads(events[-1][1])
    assert events[-1][0] == "response" and final["success"] is True and final["result"]["title"] == "Water the plants"


def test_a_previewed_action_names_exactly_the_actions_that_run() -> None:
    named = PreviewedAction.model_json_schema()["properties"]["action"]["enum"]
    assert named == [name for name in ACTION_NAMES if name != "error"]  # a refusal never runs


async def test_a_previewed_command_runs_only_as_it_was_previewed(http_settings: Settings, ollama: FakeOllama) -> None:
    """The page's "Do it": the dry run's action goes back as `expected`; the run reads relative dates
    from the preview's moment ("in 2 hours" is the time the person saw), and a second reading that
    differs (the model answering otherwise) runs nothing and says what changed."""
    first = '{"action":"create_task","params":{"title":"Call the dentist","due":"in 2 hours","priority":"high"}}'
    other = '{"action":"create_task","params":{"title":"Call the dentist","due":"in 2 hours","priority":"low"}}'
    ollama.script.answer("dentist", first, first, other)
    ollama.script.answer("drop the dentist", '{"action":"delete_task","params":{"task_title":"Call the dentist"}}')
    settings = replace(http_settings, backend="ollama", ollama_host=ollama.host)
    async with serve_in_process(settings) as server, server.http(timeout=30) as http:
        await wait_for_model(server.app)

        async def preview(command: str) -> dict[str, Any]:
            answer: dict[str, Any] = (await http.post("/v1/task", json={"command": command, "dry_run": True})).json()
            return {"action": answer["action"], "params": answer["params"], "understood_at": answer["understood_at"]}

        expected = await preview("call the dentist in 2 hours")
        assert (await http.get("/v1/tasks")).json()["total"] == 0  # a dry run changes nothing
        ran = await http.post("/v1/task", json={"command": "call the dentist in 2 hours", "expected": expected})
        differs = await http.post("/v1/task", json={"command": "call the dentist in 2 hours", "expected": expected})
        stale = {**expected, "understood_at": "2026-01-01T00:00:00Z"}
        too_old = await http.post("/v1/task", json={"command": "call the dentist in 2 hours", "expected": stale})
        both = await http.post("/v1/task", json={"command": "x", "dry_run": True, "expected": expected})
        malformed = await http.post("/v1/task", json={"command": "x", "expected": {"action": "error", "params": {}}})
        deleting = await preview("drop the dentist task")
        deleted = await http.post(
            "/v1/task", json={"command": "drop the dentist task", "expected": deleting, "confirm": True}
        )
        listing = (await http.get("/v1/tasks?status=deleted")).json()
    assert ran.status_code == 200 and ran.json()["executed"] is True
    assert ran.json()["params"] == expected["params"]  # the due to the second, as previewed
    assert ran.json()["result"]["due"] == expected["params"]["due"]
    assert differs.status_code == 409 and differs.json()["error"]["code"] == "understood_differently"
    assert differs.json()["error"]["message"] == (
        'not run: this time the command was understood with priority "low", not "high"; preview it again'
    )
    assert too_old.status_code == 409 and "within 60 minutes" in too_old.json()["error"]["message"]
    assert both.status_code == 422 and malformed.status_code == 422
    assert deleting["action"] == "delete_task" and deleting["params"] == {"task_id": 1}
    assert deleted.status_code == 200 and deleted.json()["result"]["deleted"] is True
    assert [(task["title"], task["priority"]) for task in listing["tasks"]] == [("Call the dentist", "high")]


async def test_openapi_and_docs_describe_the_api(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    docs = await http.get("/docs")
    assert {"/v1/tasks", "/v1/tasks/{task_id}", "/v1/tasks/{task_id}/complete", "/v1/task"} <= set(spec["paths"])
    assert "TaskResponse" in spec["components"]["schemas"] and "ErrorResponse" in spec["components"]["schemas"]
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
