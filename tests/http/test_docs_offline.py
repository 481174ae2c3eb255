"""/docs renders in a real browser with no network beyond the server: Swagger UI is served from the
package, not a CDN (headless Debian Chromium, driven by Playwright)."""

from __future__ import annotations

from playwright.sync_api import Browser

from harness.servers import HttpServer
from tests.support.browser import open_page


def test_docs_render_offline(http_server: HttpServer, browser: Browser) -> None:
    problems: list[str] = []  # a request elsewhere fails, as on a machine without internet
    page = open_page(browser, http_server, problems, "/docs", viewport={"width": 1280, "height": 900})
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/v1/tasks" in path for path in paths), paths
    assert problems == []
    page.close()
