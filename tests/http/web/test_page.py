"""The task page as a person uses it, in a real browser (Debian's Chromium, driven by Playwright)
against a real server process: sign in with a key, add, complete, delete and restore a task, filter;
nothing is fetched from anywhere but the server, nothing breaks the page's Content-Security-Policy,
and axe-core finds no serious accessibility violation."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from harness.servers import HttpServer, start_http_server
from tests.http.test_docs_offline import CHROMIUM, CHROMIUM_FLAGS

AXE = Path(__file__).parents[3] / "harness" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parents[3] / ".cache" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def keyed_server(db_path: Path, tmp_path: Path) -> Iterator[tuple[HttpServer, str]]:
    made = subprocess.run(
        [sys.executable, "-m", "mcp_server", "keys", "--db", str(db_path), "create", "--name", "alice"],
        capture_output=True,
        text=True,
        check=True,
    )
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none")
    yield server, made.stdout.strip()
    server.stop()


def open_page(browser: Browser, server: HttpServer, problems: list[str]) -> Page:
    """A tab on the server's page that may reach nothing else, recording console errors (a CSP
    violation is one) and requests that tried to leave."""
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone's width

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{server.port}":
            route.continue_()
        else:
            problems.append(f"left the server: {route.request.url}")
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "401" not in message.text:  # the first try before signing in
            problems.append(f"console: {message.text}")

    page.route("**/*", only_this_server)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(f"{server.base_url}/app")
    return page


def serious_violations(page: Page) -> list[str]:
    page.evaluate(AXE.read_text())  # through DevTools: the page's own policy refuses any script but its own
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.nodes.length])")
    return [f"{rule} ({impact}, {nodes})" for rule, impact, nodes in found if impact in ("serious", "critical")]


def test_a_person_signs_in_and_adds_completes_deletes_and_restores_a_task(
    browser: Browser, keyed_server: tuple[HttpServer, str]
) -> None:
    server, key = keyed_server
    problems: list[str] = []
    page = open_page(browser, server, problems)
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-sign-in.png"))
    assert serious_violations(page) == []
    page.get_by_label("API key or token").fill("tam_000000000000_" + "x" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("sign in")  # a wrong key: back to the form, said why

    page.get_by_label("API key or token").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("No tasks here.")).to_be_visible()
    for title in ("Call the dentist", "Buy <b>bread</b>"):
        page.get_by_label("New task").fill(title)
        page.get_by_role("button", name="Add").click()
        expect(page.get_by_role("checkbox", name=title, exact=True)).to_be_visible()  # markup in a title stays text
    page.screenshot(path=str(SCREENSHOTS / "page-tasks.png"))
    assert serious_violations(page) == []

    page.get_by_role("checkbox", name="Call the dentist").check()
    expect(page.get_by_role("checkbox", name="Call the dentist")).to_have_count(0)  # done: gone from the open view
    page.get_by_label("Show").select_option("done")
    expect(page.get_by_role("checkbox", name="Call the dentist")).to_be_checked()
    page.get_by_label("Show").select_option("open")
    page.get_by_role("button", name="Delete Buy <b>bread</b>").click()
    expect(page.get_by_text("No tasks here.")).to_be_visible()
    page.get_by_label("Show").select_option("deleted")
    page.get_by_role("button", name="Restore Buy <b>bread</b>").click()
    expect(page.get_by_text("No tasks here.")).to_be_visible()
    page.get_by_label("Show").select_option("open")
    page.get_by_label("Search").fill("bread")
    expect(page.get_by_role("checkbox", name="Buy <b>bread</b>", exact=True)).to_be_visible()

    # What the page did, it did through the API, as the key's principal.
    tasks = httpx.get(f"{server.base_url}/v1/tasks?status=done", headers={"Authorization": f"Bearer {key}"}).json()
    assert [task["title"] for task in tasks["tasks"]] == ["Call the dentist"]
    assert problems == []
    page.close()


def test_the_page_of_a_personal_server_needs_no_sign_in_and_is_locked_down(
    browser: Browser, db_path: Path, tmp_path: Path
) -> None:
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none")
    try:
        httpx.post(f"{server.base_url}/v1/tasks", json={"title": "Already here"})
        problems: list[str] = []
        page = open_page(browser, server, problems)
        expect(page.get_by_role("checkbox", name="Already here")).to_be_visible()
        assert problems == []
        page.close()
        shell = httpx.get(f"{server.base_url}/app")
        policy = shell.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
        assert "<script>" not in shell.text and httpx.get(f"{server.base_url}/").headers["location"] == "/app"
        assert httpx.get(f"{server.base_url}/app/static/app.js").headers["content-security-policy"] == policy
    finally:
        server.stop()


def test_the_shell_is_public_but_no_data_is(keyed_server: tuple[HttpServer, str]) -> None:
    server, _ = keyed_server
    assert httpx.get(f"{server.base_url}/app").status_code == 200
    assert httpx.get(f"{server.base_url}/app/static/vendor/htm-preact.js").status_code == 200
    assert httpx.get(f"{server.base_url}/v1/tasks").status_code == 401
    assert httpx.get(f"{server.base_url}/app/static/../../v1/tasks").status_code in (401, 404)
    evil = httpx.get(f"{server.base_url}/app", headers={"Host": "evil.example"})
    assert evil.status_code == 421  # the Host check guards the page too
