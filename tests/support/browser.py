"""Real headless Chromium (Debian's package, driven by Playwright's sync API) for the pages: a tab
that may reach nothing but the server under test, the console and page errors it logged, and
axe-core's verdict on the page as it stands."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from playwright.sync_api import Browser, ConsoleMessage, Frame, Page, Route, sync_playwright

from harness.servers import HttpServer

ROOT = Path(__file__).parents[2]
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
AXE = ROOT / "harness" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".cache" / "screenshots"
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def open_page(
    browser: Browser,
    server: HttpServer | StaticSite,
    problems: list[str],
    path: str = "/app",
    viewport: dict[str, int] = PHONE,
) -> Page:
    """A tab (its own context: its own sessionStorage) on the server that may reach nothing else,
    recording console errors (a CSP violation is one) and requests that tried to leave."""
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{server.port}":
            route.continue_()
        else:
            problems.append(f"left the server: {route.request.url}")
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "status of 401" not in message.text:  # the first try before signing in
            problems.append(f"console: {message.text}")

    page.route("**/*", only_this_server)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(f"{server.base_url}{path}")
    return page


def serious_violations(page: Page | Frame) -> list[str]:
    """axe-core's serious and critical findings in a page or a frame; injected through DevTools, as
    the page's own policy refuses any script but its own."""
    page.evaluate(AXE.read_text())
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.nodes.length])")
    return [f"{rule} ({impact}, {nodes})" for rule, impact, nodes in found if impact in ("serious", "critical")]


def screenshot(page: Page, name: str) -> Path:
    """A state of the page saved where CI keeps its artifacts (.cache/screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Not to stderr: a test's output stays its own."""


@dataclass
class StaticSite:
    """A folder served over loopback HTTP, for pages that are test fixtures (the MCP Apps host)."""

    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def static_site(folder: Path) -> Iterator[StaticSite]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(folder)))
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    try:
        yield StaticSite(port=httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join()


def run_async(work: Any, *args: Any) -> Any:
    """Runs an async function to its end on a thread of its own (Playwright's sync API holds this
    thread's event loop): an agent acting while the browser watches."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, work, *args).result(timeout=60)
