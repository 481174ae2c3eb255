"""Input that type and length checks once let through to crash later, refused as a clear invalid_input
error naming the field, over MCP and REST and on both stores: ids past 64 bits, due dates with no UTC
form within years 1-9999, cursors past the id range, NUL characters, coerced argument types, and
lengths measured before normalising."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from harness.ollama_server import FakeOllama
from mcp_server.app import App, open_app
from mcp_server.config import Settings
from mcp_server.core.domain import TASK_ID_MAX, NewTask, TaskQuery
from mcp_server.core.errors import InvalidInput
from mcp_server.core.service import encode_cursor
from mcp_server.http.rest import build_rest_app
from tests.support.apps import settings_for, wait_for_model
from tests.support.clients import call

pytestmark = pytest.mark.anyio

TOO_EARLY = "0001-01-01T00:00:00+01:00"  # 31 December of year 0 in UTC
TOO_LATE = "9999-12-31T23:59:59-01:00"  # 1 January 10000 in UTC
NUL = "\x00"


@pytest.fixture
async def app(db_path: Path) -> AsyncIterator[App]:
    """The server with the rules parser (conftest's `client` talks to it): process_command acts,
    with no model to wait for."""
    async with open_app(Settings(db=str(db_path), backend="rules")) as running:
        yield running


@asynccontextmanager
async def rest_client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API in process; an exception the app does not handle becomes its 500 answer."""
    transport = httpx.ASGITransport(app=build_rest_app(app.service, app.runner), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


async def call_error(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return result.content[0].text


async def all_tasks(client: Client) -> list[dict[str, Any]]:
    return (await call(client, "list_tasks", limit=100))["tasks"]


def assert_invalid_input(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input", error
    for word in words:
        assert word in error["message"], error


# -- task ids: 1..2**63-1, what both stores can hold ---------------------------------------------


@pytest.mark.parametrize("task_id", [2**63, 2**64])
@pytest.mark.parametrize(
    ("tool", "extra"), [("update_task", {"title": "x"}), ("complete_task", {}), ("delete_task", {})]
)
async def test_task_ids_past_64_bits_are_invalid_input(
    client: Client, tool: str, extra: dict[str, Any], task_id: int
) -> None:
    await call(client, "create_task", title="keep me")
    before = await all_tasks(client)
    message = await call_error(client, tool, {"task_id": task_id, **extra})
    assert f"task_id: Input should be less than or equal to {TASK_ID_MAX}" in message
    assert await all_tasks(client) == before


@pytest.mark.parametrize("task_id", [str(2**63), "9" * 30, "9" * 5000, "\u00b2", "0"])
async def test_task_resource_refuses_ids_no_store_holds(client: Client, task_id: str) -> None:
    with pytest.raises(MCPError) as raised:
        await client.read_resource(f"task://{task_id}")
    assert raised.value.error.code == types.INVALID_PARAMS
    assert "task_id must be a positive integer up to 9223372036854775807" in raised.value.error.message


async def test_the_largest_id_is_a_task_that_does_not_exist(client: Client) -> None:
    with pytest.raises(MCPError, match=f"task {TASK_ID_MAX} does not exist"):
        await client.read_resource(f"task://{TASK_ID_MAX}")
    assert "does not exist" in await call_error(client, "delete_task", {"task_id": TASK_ID_MAX})


# -- due dates: the UTC instant must exist ----------------------------------------------------------


@pytest.mark.parametrize("due", [TOO_EARLY, TOO_LATE])
async def test_due_dates_without_a_utc_form_are_invalid_input(client: Client, due: str) -> None:
    task = await call(client, "create_task", title="keep me", due="2026-12-04")
    expected = f"due: due '{due}' falls outside the years 1-9999 once converted to UTC"
    assert expected in await call_error(client, "create_task", {"title": "a", "due": due})
    assert expected in await call_error(client, "update_task", {"task_id": task["id"], "due": due})
    assert "due_after: due" in await call_error(client, "list_tasks", {"due_after": due})
    assert await all_tasks(client) == [task]


async def test_due_bounds_are_inclusive_up_to_the_last_day_there_is(client: Client) -> None:
    last_day = await call(client, "create_task", title="last day", due="9999-12-31")
    at_five = await call(client, "create_task", title="at five", due="2026-12-31T17:00:00+01:00")
    first_day = await call(client, "create_task", title="first day", due="0001-01-01")

    async def titles(**filters: str) -> list[str]:
        return [task["title"] for task in (await call(client, "list_tasks", **filters))["tasks"]]

    assert await titles(due_before="9999-12-31") == ["last day", "at five", "first day"]
    assert await titles(due_after="9999-12-31") == ["last day"]
    assert await titles(due_before="0001-01-01") == ["first day"]
    assert await titles(due_before="2026-12-31T16:00:00Z") == ["at five", "first day"]  # the same instant
    assert await titles(due_before="2026-12-31T16:59:59+01:00") == ["first day"]
    assert await titles(due_after="2026-12-31T17:00:00+01:00", due_before="2026-12-31") == ["at five"]
    assert {last_day["id"], at_five["id"], first_day["id"]} == {1, 2, 3}


async def test_year_one_sorts_before_later_years(client: Client) -> None:
    """The sort key is fixed width: year 1 as 0001, not 1 (which string order put after 2026)."""
    await call(client, "create_task", title="recent", due="2026-01-01")
    await call(client, "create_task", title="ancient", due="0500-01-01")
    page = await call(client, "list_tasks", due_before="1000-01-01")
    assert [task["title"] for task in page["tasks"]] == ["ancient"]


# -- cursors: the id they continue after must be one a store can compare with ---------------------


@pytest.mark.parametrize("after", [2**63, 2**70, True, -1])
async def test_cursors_past_the_id_range_are_invalid_input(client: Client, after: int) -> None:
    await call(client, "create_task", title="a")
    message = await call_error(client, "list_tasks", {"cursor": encode_cursor(after, TaskQuery())})
    assert "cursor is not one this server issued" in message


async def test_the_largest_cursor_is_an_empty_page(client: Client) -> None:
    await call(client, "create_task", title="a")
    page = await call(client, "list_tasks", cursor=encode_cursor(TASK_ID_MAX, TaskQuery()))
    assert page["tasks"] == [] and page["next_cursor"] is None


# -- REST: the same rules through the same domain models --------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "options", "words"),
    [
        ("POST", "/v1/tasks", {"json": {"title": "a", "due": TOO_EARLY}}, ("due:", "years 1-9999")),
        ("POST", "/v1/tasks", {"json": {"title": "a", "due": TOO_LATE}}, ("due:", "years 1-9999")),
        ("PATCH", "/v1/tasks/1", {"json": {"due": TOO_LATE}}, ("due:", "years 1-9999")),
        ("GET", "/v1/tasks", {"params": {"due_after": TOO_EARLY}}, ("due_after:", "years 1-9999")),
        ("GET", "/v1/tasks", {"params": {"cursor": encode_cursor(2**63, TaskQuery())}}, ("cursor",)),
        ("GET", "/v1/tasks", {"params": {"cursor": encode_cursor(0, TaskQuery()) + NUL}}, ("cursor",)),
        ("POST", "/v1/tasks", {"json": {"title": f"a{NUL}"}}, ("title:", "NUL")),
        ("POST", "/v1/tasks", {"json": {"title": "a", "description": NUL}}, ("description:", "NUL")),
        ("POST", "/v1/tasks", {"json": {"title": "a", "tags": [f"x{NUL}"]}}, ("tags.0:", "NUL")),
        ("PATCH", "/v1/tasks/1", {"json": {"title": f"a{NUL}"}}, ("title:", "NUL")),
        (
            "POST",
            "/v1/tasks",
            {"json": {"title": "a"}, "headers": {"Idempotency-Key": f"k{NUL}"}},
            ("idempotency_key",),
        ),
        ("POST", "/v1/tasks", {"json": {"title": "a", "tags": ["\u0130" * 50]}}, ("tags.0:", "lower-cased")),
    ],
)
async def test_rest_answers_invalid_input_naming_the_field(
    app: App, method: str, path: str, options: dict[str, Any], words: tuple[str, ...]
) -> None:
    async with rest_client(app) as http:
        await http.post("/v1/tasks", json={"title": "existing", "due": "2026-12-04"})
        response = await http.request(method, path, **options)
        listing = (await http.get("/v1/tasks")).json()
    assert_invalid_input(response, *words)
    assert [task["title"] for task in listing["tasks"]] == ["existing"] and listing["tasks"][0]["version"] == 1


async def test_rest_due_before_the_last_day_lists_it(app: App) -> None:
    async with rest_client(app) as http:
        await http.post("/v1/tasks", json={"title": "last day", "due": "9999-12-31"})
        response = await http.get("/v1/tasks", params={"due_before": "9999-12-31"})
    assert response.status_code == 200, response.text
    assert [task["title"] for task in response.json()["tasks"]] == ["last day"]


@pytest.mark.parametrize("params", [{"tag": f"a{NUL}"}, {"search": f"a{NUL}"}, {"tag": "\u0130" * 50}, {"tag": " "}])
async def test_rest_list_filters_are_invalid_input(app: App, params: dict[str, str]) -> None:
    async with rest_client(app) as http:
        response = await http.get("/v1/tasks", params=params)
    assert_invalid_input(response, next(iter(params)))


async def test_rest_command_with_nul_answers_why_and_stores_nothing(app: App) -> None:
    async with rest_client(app) as http:
        response = await http.post("/v1/task", json={"command": f"create a task: call{NUL} mum"})
        listing = (await http.get("/v1/tasks")).json()
    assert_invalid_input(response, "command: must not contain NUL (\\x00) characters")
    assert listing["total"] == 0


# -- NUL: refused in every text input, on both stores alike --------------------------------------


NUL_CALLS = [
    ("create_task", {"title": f"a{NUL}b"}, "title"),
    ("create_task", {"title": "a", "description": f"notes{NUL}"}, "description"),
    ("create_task", {"title": "a", "tags": ["ok", f"x{NUL}"]}, "tags.1"),
    ("create_task", {"title": "a", "idempotency_key": f"k{NUL}"}, "idempotency_key"),
    ("update_task", {"task_id": 1, "title": f"a{NUL}"}, "title"),
    ("update_task", {"task_id": 1, "description": NUL}, "description"),
    ("update_task", {"task_id": 1, "tags": [NUL]}, "tags.0"),
    ("list_tasks", {"tag": f"x{NUL}"}, "tag"),
    ("list_tasks", {"search": f"x{NUL}"}, "search"),
    ("list_tasks", {"cursor": f"x{NUL}"}, "cursor"),
    ("process_command", {"command": f"create a task: call{NUL} mum"}, "command"),
    ("process_command", {"command": "list tasks", "timezone": f"UTC{NUL}"}, "timezone"),
]


@pytest.fixture(params=["sqlite", "postgres"])
async def any_store_app(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[App]:
    db = str(db_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    async with open_app(Settings(db=db, backend="rules")) as app:
        yield app


async def test_nul_is_refused_in_every_text_input_on_both_stores(any_store_app: App) -> None:
    async with Client(any_store_app.server) as client:
        await call(client, "create_task", title="keep me", tags=["safe"])
        before = await all_tasks(client)
        for tool, arguments, field in NUL_CALLS:
            message = await call_error(client, tool, arguments)
            assert f"{field}: must not contain NUL (\\x00) characters" in message, (tool, arguments, message)
        assert await all_tasks(client) == before
    service = any_store_app.service
    with pytest.raises(InvalidInput, match="idempotency_key: must not contain NUL"):
        await service.create_task(NewTask(title="another"), idempotency_key=f"k{NUL}")
    with pytest.raises(InvalidInput, match="title: must not contain NUL"):  # the path REST commands take
        await any_store_app.runner.run_command(f"create a task: call{NUL} mum")
    assert await service.suggest_tags(f"s{NUL}") == []
    assert (await service.list_tasks()).total == 1


# -- strict argument types -------------------------------------------------------------------------


COERCED = [
    ("delete_task", {"task_id": "1"}, "task_id: Input should be a valid integer"),
    ("delete_task", {"task_id": True}, "task_id: Input should be a valid integer"),
    ("delete_task", {"task_id": 1.0}, "task_id: Input should be a valid integer"),
    ("complete_task", {"task_id": "1"}, "task_id: Input should be a valid integer"),
    ("update_task", {"task_id": "1", "title": "changed"}, "task_id: Input should be a valid integer"),
    ("update_task", {"task_id": 1, "title": "changed", "expected_version": "1"}, "expected_version: Input should"),
    ("update_task", {"task_id": 1, "title": 7}, "title: Input should be a valid string"),
    ("list_tasks", {"limit": "10"}, "limit: Input should be a valid integer"),
    ("list_tasks", {"limit": True}, "limit: Input should be a valid integer"),
    ("list_tasks", {"status": 1}, "status: Input should be"),
    ("create_task", {"title": "a", "tags": [1]}, "tags.0: Input should be a valid string"),
    ("process_command", {"command": "delete task 1", "dry_run": "yes"}, "dry_run: Input should be a valid boolean"),
    ("process_command", {"command": "delete task 1", "confirm": 1}, "confirm: Input should be a valid boolean"),
    ("process_command", {"command": "delete task 1", "confirm": "true"}, "confirm: Input should be a valid boolean"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"), COERCED, ids=[f"{t}-{json.dumps(a)}" for t, a, _ in COERCED]
)
async def test_arguments_of_the_wrong_json_type_are_refused(
    client: Client, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    await call(client, "create_task", title="task one")
    before = await all_tasks(client)
    message = await call_error(client, tool, arguments)
    assert message.startswith(f"invalid arguments for {tool}: ") and expected in message
    assert await all_tasks(client) == before  # task 1 is still there, unchanged


async def test_json_spellings_of_the_schema_types_are_accepted(client: Client) -> None:
    """Enums and dates are strings in JSON; an array sent as a string of JSON (some clients do) is
    read as that array; any other string stays the string it is."""
    task = await call(client, "create_task", title="a", priority="high", due="2026-12-04", tags='["Home"]')
    assert (task["priority"], task["due"], task["tags"]) == ("high", "2026-12-04", ["home"])
    noted = await call(client, "create_task", title="b", description="null")
    assert noted["description"] == "null"
    cleared = await call(client, "update_task", task_id=task["id"], clear='["due"]', expected_version=1)
    assert cleared["due"] is None
    done = await call(client, "process_command", command="mark task 1 as done", dry_run=False, confirm=False)
    assert done["result"]["status"] == "done"


# -- lengths are checked on the normalised value ---------------------------------------------------


async def test_tag_lengths_count_once_lower_cased(client: Client) -> None:
    dotted = "\u0130"  # "İ".lower() is "i" and a combining dot: 2 characters
    message = await call_error(client, "create_task", {"title": "a", "tags": [dotted * 50]})
    assert "tags.0: must be at most 50 characters once lower-cased (is 100)" in message
    task = await call(client, "create_task", title="a", tags=[dotted * 25, f"  {'x' * 50}  "])
    assert [len(tag) for tag in task["tags"]] == [50, 50]
    message = await call_error(client, "update_task", {"task_id": task["id"], "tags": [dotted * 26]})
    assert "tags.0: must be at most 50 characters once lower-cased (is 52)" in message
    assert "tag: must be at most 50 characters" in await call_error(client, "list_tasks", {"tag": dotted * 50})
    assert "tag: String should have at least 1 character" in await call_error(client, "list_tasks", {"tag": "  "})
    assert (await call(client, "list_tasks", tag=(dotted * 25).upper()))["total"] == 1
    assert [t["tags"] for t in await all_tasks(client)] == [[(dotted * 25).lower(), "x" * 50]]


@pytest.fixture
async def model_app(db_path: Path, ollama: FakeOllama) -> AsyncIterator[App]:
    async with open_app(settings_for(db_path, ollama)) as app:
        await wait_for_model(app)
        yield app


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"title": "a", "tags": ["\u0130" * 30]}, "tags.0: must be at most 50 characters once lower-cased (is 60)"),
        ({"title": f"call{NUL} mum"}, "title: must not contain NUL (\\x00) characters"),
        ({"title": "a", "description": NUL}, "description: must not contain NUL (\\x00) characters"),
        ({"title": "a", "due": TOO_LATE}, "falls outside the years 1-9999"),
        ({"title": "a", "due": TOO_EARLY}, "falls outside the years 1-9999"),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
async def test_a_models_action_is_held_to_the_task_rules(
    model_app: App, ollama: FakeOllama, answer: dict[str, Any], expected: str, dry_run: bool
) -> None:
    ollama.script.answer("remember", json.dumps({"action": "create_task", "params": answer}))
    async with Client(model_app.server) as client:
        message = await call_error(client, "process_command", {"command": "remember this", "dry_run": dry_run})
        assert expected in message and "Error executing tool" not in message
        assert await all_tasks(client) == []


async def test_a_models_list_filters_are_held_to_the_task_rules(model_app: App, ollama: FakeOllama) -> None:
    ollama.script.answer("search", json.dumps({"action": "list_tasks", "params": {"search": f"x{NUL}"}}))
    ollama.script.answer("due", json.dumps({"action": "list_tasks", "params": {"due_before": TOO_LATE}}))
    async with Client(model_app.server) as client:
        assert "search: must not contain NUL" in await call_error(client, "process_command", {"command": "search x"})
        assert "years 1-9999" in await call_error(client, "process_command", {"command": "what is due"})


# -- commands: zones that are no zone, strict REST bodies, unknown query parameters --------------


@pytest.mark.parametrize("timezone", ["Europe", "America/", "x" * 300, "../../etc/passwd"])
async def test_a_timezone_that_names_no_zone_is_a_clear_error(app: App, client: Client, timezone: str) -> None:
    message = await call_error(client, "process_command", {"command": "list my tasks", "timezone": timezone})
    assert "timezone" in message and "Error executing tool" not in message
    async with rest_client(app) as http:
        response = await http.post("/v1/task", json={"command": "list my tasks", "timezone": timezone})
    assert response.status_code in (200, 422), response.text
    body = response.json()
    if response.status_code == 200:
        assert body["success"] is False and "unknown timezone" in body["message"]
    else:
        assert_invalid_input(response, "timezone")


@pytest.mark.parametrize("field", ["confirm", "dry_run", "stream"])
@pytest.mark.parametrize("value", ["yes", 1, "true"])
async def test_rest_command_booleans_are_json_booleans(app: App, field: str, value: object) -> None:
    async with rest_client(app) as http:
        created = await http.post("/v1/tasks", json={"title": "stays"})
        response = await http.post("/v1/task", json={"command": "delete task 1", field: value})
        listing = (await http.get("/v1/tasks")).json()
    assert created.status_code == 201
    assert_invalid_input(response, field)
    assert [task["title"] for task in listing["tasks"]] == ["stays"]


async def test_rest_refuses_query_parameters_a_route_does_not_know(app: App) -> None:
    """A misspelt expected_version must not drop the version check and change the task anyway."""
    async with rest_client(app) as http:
        await http.post("/v1/tasks", json={"title": "versioned"})
        misspelt = await http.patch("/v1/tasks/1?expectedVersion=3", json={"title": "changed"})
        unknown_filter = await http.get("/v1/tasks", params={"state": "open"})
        task = (await http.get("/v1/tasks/1")).json()
    assert_invalid_input(misspelt, "expectedVersion", "expected_version")
    assert_invalid_input(unknown_filter, "state")
    assert task["title"] == "versioned" and task["version"] == 1
