"""The task page as a person uses it, in a real browser (Debian's Chromium, driven by Playwright)
against a real server process: sign in with a key, add, complete, delete and restore a task, filter;
nothing is fetched from anywhere but the server, nothing breaks the page's Content-Security-Policy,
and axe-core finds no serious accessibility violation."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from harness.servers import HttpServer, start_http_server
from tests.support.browser import open_page, screenshot, serious_violations


def test_a_person_signs_in_and_adds_completes_deletes_and_restores_a_task(
    browser: Browser, keyed_server: tuple[HttpServer, str]
) -> None:
    server, key = keyed_server
    problems: list[str] = []
    page = open_page(browser, server, problems)
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    screenshot(page, "page-sign-in")
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
    screenshot(page, "page-first-tasks")
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
