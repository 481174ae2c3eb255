"""The task page as a person watches their agents work, in real Chromium against a real server
process: an agent's change over MCP and another tab's change arrive without a reload; a sentence is
shown as understood before it runs; lists, subtasks, recurrence, editing, history, filters and the
server's health are on the page; axe-core finds nothing serious in any of those states."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from harness.clients import http_client_with_headers
from harness.ollama_server import FakeOllama
from harness.servers import HttpServer, start_http_server
from tests.support.browser import open_page, run_async, screenshot, serious_violations
from tests.support.waiting import wait_until_sync


def sign_in(page: Page, key: str) -> None:
    page.get_by_label("API key or token").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("live")).to_have_text("Live")


def agent_calls(server: HttpServer, key: str, tool: str, arguments: dict[str, Any]) -> Any:
    """One tool call by an agent with the person's key, over the real MCP client and streamable HTTP."""

    async def call() -> Any:
        async with http_client_with_headers(server.mcp_url, {"Authorization": f"Bearer {key}"}) as client:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, result.content
            return result.structured_content

    return run_async(call)


def test_an_agents_change_and_another_tabs_appear_without_a_reload(
    browser: Browser, keyed_server: tuple[HttpServer, str]
) -> None:
    server, key = keyed_server
    problems: list[str] = []
    first, second = open_page(browser, server, problems), open_page(browser, server, problems)
    for tab in (first, second):
        sign_in(tab, key)
    first.evaluate("() => { window.neverReloaded = true; }")

    agent_calls(server, key, "create_task", {"title": "Call the plumber", "priority": "high"})
    for tab in (first, second):
        expect(tab.get_by_role("checkbox", name="Call the plumber")).to_be_visible()
    second.get_by_role("checkbox", name="Call the plumber").check()  # the other tab completes it
    expect(first.get_by_role("checkbox", name="Call the plumber")).to_have_count(0)

    plants = agent_calls(server, key, "create_task", {"title": "Water the plants"})
    expect(first.get_by_role("checkbox", name="Water the plants")).to_be_visible()
    agent_calls(server, key, "update_task", {"task_id": plants["id"], "title": "Water the balcony plants"})
    expect(first.get_by_role("checkbox", name="Water the balcony plants")).to_be_visible()
    screenshot(first, "page-live")
    assert first.evaluate("() => window.neverReloaded") is True
    assert problems == []

    server.stop()  # the server goes away: the page says so and keeps what it shows
    expect(first.get_by_test_id("live")).to_have_text("Reconnecting…")
    expect(first.get_by_role("checkbox", name="Water the balcony plants")).to_be_visible()
    assert all("Failed to load resource: net::ERR_" in problem for problem in problems), problems  # only the cut


@pytest.fixture
def worded_server(db_path: Path, tmp_path: Path, ollama: FakeOllama) -> Iterator[HttpServer]:
    """A personal server (no key) whose sentences go to a model served the way Ollama serves it."""
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "ollama", "--ollama-host", ollama.host)
    wait_until_sync(lambda: httpx.get(f"{server.base_url}/readyz").status_code == 200, within_s=30, what="ready")
    yield server
    server.stop()


def tasks_of(server: HttpServer, status: str = "open") -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = httpx.get(f"{server.base_url}/v1/tasks?status={status}").json()["tasks"]
    return listed


def test_a_sentence_is_shown_as_understood_and_runs_only_when_confirmed(
    browser: Browser, worded_server: HttpServer, ollama: FakeOllama
) -> None:
    ollama.script.answer(
        "dentist tomorrow",
        '{"action":"create_task","params":{"title":"Call the dentist","due":"tomorrow at 9","priority":"high"}}',
    )
    ollama.script.answer("drop the dentist", '{"action":"delete_task","params":{"task_title":"Call the dentist"}}')
    ollama.script.answer("what is urgent", '{"action":"list_tasks","params":{"priority":"high"}}')
    problems: list[str] = []
    page = open_page(browser, worded_server, problems)
    expect(page.get_by_text("No tasks here.")).to_be_visible()
    page.get_by_label("Understand a sentence").check()

    page.get_by_label("Ask in words").fill("remind me to call the dentist tomorrow at 9, it matters")
    page.get_by_role("button", name="Preview").click()
    understood = page.get_by_role("region", name="What was understood")
    expect(understood).to_contain_text("create_task")
    expect(understood).to_contain_text("Call the dentist")
    expect(understood).to_contain_text("high")
    assert tasks_of(worded_server) == []  # shown, not run
    screenshot(page, "page-sentence")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Do it").dblclick()  # a double click runs it once
    expect(page.get_by_role("checkbox", name="Call the dentist")).to_be_visible()
    [made] = tasks_of(worded_server)
    assert made["priority"] == "high" and made["due"] is not None and "T09:00:00" in made["due"]

    page.get_by_label("Ask in words").fill("what's the weather like")  # a refusal runs nothing
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("not a task command")
    expect(page.get_by_role("button", name="Do it")).to_have_count(0)

    page.get_by_label("Ask in words").fill("what is urgent")  # a read: shown with the page's own filters
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Show them").click()
    expect(page.get_by_role("search", name="Filter").get_by_label("Priority")).to_have_value("high")
    expect(page.get_by_role("checkbox", name="Call the dentist")).to_be_visible()

    page.get_by_label("Ask in words").fill("drop the dentist task")  # a delete, confirmed by "Do it"
    page.get_by_role("button", name="Preview").click()
    understood = page.get_by_role("region", name="What was understood")
    expect(understood).to_contain_text("delete_task")
    expect(understood).to_contain_text(f"#{made['id']} Call the dentist")  # which task, by its title
    assert len(tasks_of(worded_server)) == 1
    page.get_by_role("button", name="Do it").click()
    expect(page.get_by_text("No tasks here.")).to_be_visible()
    assert [task["title"] for task in tasks_of(worded_server, "deleted")] == ["Call the dentist"]
    assert problems == []
    page.close()


def seed(server: HttpServer) -> None:
    def create(**fields: Any) -> int:
        made = httpx.post(f"{server.base_url}/v1/tasks", json=fields)
        assert made.status_code == 201, made.text
        task_id: int = made.json()["id"]
        return task_id

    create(title="Water the plants", due="2026-12-07", recurrence="FREQ=WEEKLY")
    trip = create(title="Plan the trip", list="travel")
    create(title="Book flights", list="travel", parent_id=trip)
    hotel = create(title="Book the hotel", list="travel", parent_id=trip)
    httpx.post(f"{server.base_url}/v1/tasks/{hotel}/complete").raise_for_status()
    create(title="Renew the passport", list="travel", priority="urgent", tags=["papers"], due="2026-12-20")


def test_lists_subtasks_recurrence_editing_history_filters_and_health(
    browser: Browser, http_server: HttpServer
) -> None:
    seed(http_server)
    problems: list[str] = []
    page = open_page(browser, http_server, problems)
    expect(page.get_by_text("↻ repeats weekly")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Book flights")).to_have_count(0)  # folded under its parent
    page.get_by_text("Subtasks").click()
    expect(page.get_by_text("1 of 2 done")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Book flights")).to_be_visible()
    lists = page.get_by_role("navigation", name="Lists")
    expect(lists.get_by_role("button", name="travel 3 open, 1 done")).to_contain_text("travel 3")
    screenshot(page, "page-tasks")
    assert serious_violations(page) == []

    lists.get_by_role("button", name="travel").click()
    expect(page.get_by_role("checkbox", name="Water the plants")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Renew the passport")).to_be_visible()
    lists.get_by_role("button", name="All lists").click()

    page.get_by_role("button", name="Edit Water the plants").click()
    form = page.get_by_role("form", name="Edit Water the plants")
    form.get_by_label("Title").fill("Water the balcony plants")
    form.get_by_label("Priority").select_option("high")
    form.get_by_role("button", name="Save").click()
    row = page.locator("li.task", has=page.get_by_role("checkbox", name="Water the balcony plants"))
    expect(row).to_contain_text("high")
    expect(row).to_contain_text("↻ repeats weekly")
    page.get_by_role("button", name="History Water the balcony plants").click()
    history = page.get_by_role("list", name="History of Water the balcony plants")
    expect(history).to_contain_text('title: "Water the plants" → "Water the balcony plants"')
    expect(history.get_by_role("listitem")).to_have_count(2)  # created, then updated
    screenshot(page, "page-history")
    assert serious_violations(page) == []

    filters, shown = page.get_by_role("search", name="Filter"), page.get_by_role("list", name="Tasks")
    filters.get_by_text("More filters").click()
    filters.get_by_label("Priority").select_option("urgent")
    expect(shown.get_by_role("checkbox")).to_have_count(1)
    expect(page.get_by_role("checkbox", name="Renew the passport")).to_be_visible()
    filters.get_by_role("button", name="Clear filters").click()
    filters.get_by_label("Due before").fill("2026-12-10")
    expect(page.get_by_role("checkbox", name="Water the balcony plants")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Renew the passport")).to_have_count(0)
    filters.get_by_role("button", name="Clear filters").click()
    filters.get_by_label("Tag").fill("papers")
    expect(shown.get_by_role("checkbox")).to_have_count(1)

    page.get_by_text("Server: model").click()
    expect(page.get_by_test_id("model-state")).to_have_text("disabled")
    expect(page.get_by_role("img", name="API requests every 5 seconds and their mean latency")).to_be_visible()
    expect(page.locator("figure.chart figcaption")).to_contain_text("requests in the last 5 s", timeout=15_000)
    screenshot(page, "page-health")
    assert serious_violations(page) == []
    assert problems == []
    page.close()


def test_an_edit_never_undoes_a_change_made_meanwhile_and_the_latest_read_wins(
    browser: Browser, http_server: HttpServer
) -> None:
    seed(http_server)
    plants = next(task for task in tasks_of(http_server) if task["title"] == "Water the plants")
    problems: list[str] = []
    page = open_page(browser, http_server, problems)
    page.get_by_role("button", name="Edit Water the plants").click()
    form = page.get_by_role("form", name=re.compile("^Edit Water the"))  # its name follows the title
    renamed = httpx.patch(f"{http_server.base_url}/v1/tasks/{plants['id']}", json={"title": "Water the fern"})
    assert renamed.status_code == 200  # an agent renames it while the form is open
    form.get_by_label("Priority").select_option("high")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="changed elsewhere")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Water the fern")).to_be_visible()
    after = httpx.get(f"{http_server.base_url}/v1/tasks/{plants['id']}").json()
    assert (after["title"], after["priority"]) == ("Water the fern", "normal")  # the agent's change stands
    conflict = "console: Failed to load resource: the server responded with a status of 409 (Conflict)"
    assert problems == [conflict]  # the browser logs the refused save; nothing else went wrong
    problems.clear()

    held: list[Route] = []  # the read for the first letter typed, answered only after the last one's

    def hold_first_search(route: Route) -> None:
        if "search=w" in route.request.url and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/v1/tasks?*", hold_first_search)
    search = page.get_by_role("search", name="Filter").get_by_label("Search")
    search.press_sequentially("wat")
    shown = page.get_by_role("list", name="Tasks").get_by_role("checkbox")
    expect(shown).to_have_count(1)  # "wat": the fern alone
    with page.expect_response(lambda response: "search=w&" in response.url or response.url.endswith("search=w")):
        held[0].continue_()
    # Two frames drawn after the late answer: time enough for the page to have shown it, had it taken it.
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert shown.count() == 1
    assert problems == []
    page.close()
