"""The task list view inside a chat, as a person uses it: a minimal MCP Apps host page (ext-apps' own
AppBridge, the view in an opaque-origin sandbox under the extension's default Content-Security-
Policy) in real Chromium, a real server process, and the real MCP client over streamable HTTP
carrying the host's tools/call. The view shows list_tasks' result, completes tasks through the
host, reads the list again, tells the conversation, and shows the server's refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from playwright.sync_api import Browser, Page, expect

from harness.clients import http_client_with_headers
from harness.servers import HttpServer
from tests.support.browser import ROOT, StaticSite, open_page, run_async, screenshot, serious_violations, static_site
from tests.support.clients import wire

SPEAKS_APPS = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]


@pytest.fixture(scope="module")
def host_site() -> Iterator[StaticSite]:
    with static_site(ROOT / "harness" / "browser") as site:
        yield site


def as_a_host(server: HttpServer, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """What a host does before it shows a view: the tools, the view the tool names, the tool's result."""

    async def fetch() -> dict[str, Any]:
        async with http_client_with_headers(server.mcp_url, {}, extensions=SPEAKS_APPS) as client:
            tools = [wire(known) for known in (await client.list_tools()).tools]
            [called] = [known for known in tools if known["name"] == tool]
            [document] = (await client.read_resource(called["_meta"]["ui"]["resourceUri"])).contents
            result = await client.call_tool(tool, arguments)
            return {"tools": tools, "tool": called, "html": document.text, "result": wire(result)}  # type: ignore[union-attr]

    fetched: dict[str, Any] = run_async(fetch)
    return fetched


def call_for_the_view(server: HttpServer) -> Any:
    def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        async def forward() -> dict[str, Any]:
            async with http_client_with_headers(server.mcp_url, {}, extensions=SPEAKS_APPS) as client:
                return wire(await client.call_tool(name, arguments))

        answered: dict[str, Any] = run_async(forward)
        return answered

    return call


def seed(server: HttpServer) -> dict[str, int]:
    def create(**fields: Any) -> int:
        made = httpx.post(f"{server.base_url}/v1/tasks", json=fields)
        assert made.status_code == 201, made.text
        task_id: int = made.json()["id"]
        return task_id

    ids = {
        "plumber": create(title="Call the plumber", priority="high", due="2026-12-08"),
        "plants": create(title="Water the plants", due="2026-12-07", recurrence="FREQ=WEEKLY", list="home"),
        "trip": create(title="Plan the trip", tags=["travel"]),
        "bread": create(title="Buy <b>bread</b>"),
    }
    create(title="Book flights", parent_id=ids["trip"])
    return ids


def open_view(page: Page, shown: dict[str, Any], arguments: dict[str, Any], *, proxies_tools: bool = True) -> None:
    page.evaluate(
        "(shown) => window.openView(shown)",
        {
            "html": shown["html"],
            "tool": shown["tool"],
            "tools": shown["tools"],
            "toolArguments": arguments,
            "toolResult": shown["result"],
            "said": "Here are your open tasks.",
            "proxiesTools": proxies_tools,
        },
    )


def test_the_view_shows_the_list_and_completes_tasks_through_the_host(
    browser: Browser, http_server: HttpServer, host_site: StaticSite
) -> None:
    ids = seed(http_server)
    arguments = {"status": "open", "limit": 4}
    shown = as_a_host(http_server, "list_tasks", arguments)
    problems: list[str] = []
    page = open_page(browser, host_site, problems, "/mcp-app-host.html", viewport={"width": 640, "height": 330})
    page.expose_function("callServerTool", call_for_the_view(http_server))
    open_view(page, shown, arguments)
    view = page.frame_locator("iframe[title='List tasks view']")
    rows = view.get_by_role("listitem")
    expect(view.get_by_role("checkbox", name="Call the plumber")).to_be_visible()
    expect(view.get_by_role("checkbox", name="Buy <b>bread</b>")).to_be_visible()  # markup stays text
    expect(view.get_by_text("↻ repeats weekly")).to_be_visible()
    expect(view.get_by_text("subtasks 0 of 1 done")).to_be_visible()
    expect(view.get_by_text("5 tasks: status open")).to_be_visible()
    expect(rows).to_have_count(4)
    view.get_by_role("button", name="Show more").click()  # the next page, through the host
    expect(rows.filter(has_text="Book flights")).to_contain_text(f"subtask of #{ids['trip']}")
    expect(view.get_by_role("button", name="Show more")).to_be_hidden()
    [frame] = [frame for frame in page.frames if frame != page.main_frame]
    assert serious_violations(frame) == []

    view.get_by_role("checkbox", name="Call the plumber").check()
    expect(view.get_by_role("status")).to_have_text("Done: Call the plumber.")
    expect(view.get_by_role("checkbox", name="Call the plumber")).to_have_count(0)  # the list read again
    expect(rows.filter(has_text="Book flights")).to_have_class("subtask")  # now on one page with its parent
    expect(rows.nth(2)).to_contain_text("Book flights")
    screenshot(page, "mcp-app")
    plumber = httpx.get(f"{http_server.base_url}/v1/tasks/{ids['plumber']}").json()
    assert plumber["status"] == "done"

    view.get_by_role("checkbox", name="Water the plants").check()  # a recurring task: its next one stays
    expect(view.get_by_role("status")).to_have_text("Done: Water the plants. Its next one is on the list.")
    expect(rows.filter(has_text="Water the plants")).to_contain_text("due Mon 14 Dec")

    view.get_by_role("checkbox", name="Plan the trip").check()  # open subtasks: the server refuses
    expect(view.get_by_role("status")).to_contain_text("open subtask")
    expect(view.get_by_role("checkbox", name="Plan the trip")).not_to_be_checked()
    assert httpx.get(f"{http_server.base_url}/v1/tasks/{ids['trip']}").json()["status"] == "open"

    log = page.evaluate("window.hostLog")
    calls = [entry[1:] for entry in log if entry[0] == "tools/call"]
    assert calls == [
        ["list_tasks", {**arguments, "cursor": shown["result"]["structuredContent"]["next_cursor"]}],
        ["complete_task", {"task_id": ids["plumber"]}],
        ["list_tasks", arguments],
        ["complete_task", {"task_id": ids["plants"]}],
        ["list_tasks", arguments],
        ["complete_task", {"task_id": ids["trip"]}],
    ]
    told = [entry[1]["content"][0]["text"] for entry in log if entry[0] == "ui/update-model-context"]
    assert told == [  # the refused one told nothing
        f'The person completed task #{ids["plumber"]} "Call the plumber" in the task list.',
        f'The person completed task #{ids["plants"]} "Water the plants" in the task list.',
    ]
    assert problems == []
    page.close()


def test_a_host_that_proxies_no_tools_shows_the_list_to_read(
    browser: Browser, http_server: HttpServer, host_site: StaticSite
) -> None:
    seed(http_server)
    shown = as_a_host(http_server, "list_tasks", {"status": "open"})
    problems: list[str] = []
    page = open_page(browser, host_site, problems, "/mcp-app-host.html", viewport={"width": 640, "height": 330})
    open_view(page, shown, {"status": "open"}, proxies_tools=False)
    view = page.frame_locator("iframe[title='List tasks view']")
    expect(view.get_by_role("checkbox", name="Call the plumber")).to_be_disabled()
    expect(view.get_by_role("status")).to_have_text("This chat shows your tasks here; complete them by asking.")
    assert [entry for entry in page.evaluate("window.hostLog") if entry[0] == "tools/call"] == []
    assert problems == []
    page.close()
