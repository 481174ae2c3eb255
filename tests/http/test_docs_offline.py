"""/docs renders in a real browser with no network beyond the server: Swagger UI is served from the
package, not a CDN (headless Debian Chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from harness.servers import HttpServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def test_docs_render_offline(http_server: HttpServer, browser: Browser) -> None:
    elsewhere: list[str] = []

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{http_server.port}":
            route.continue_()
        else:  # the network a machine without internet has: nothing but the server
            elsewhere.append(route.request.url)
            route.abort()

    page = browser.new_page()
    page.route("**/*", only_this_server)
    page.goto(f"{http_server.base_url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/v1/tasks" in path for path in paths), paths
    assert elsewhere == []
    page.close()
