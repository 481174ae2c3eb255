"""The task list view as a client sees it over MCP, in-process: list_tasks names the `ui://`
resource in its `_meta` as the MCP Apps extension says, the resource is one HTML document with
everything inlined (a host's sandbox can load nothing else), and a client that does not speak MCP
Apps gets from list_tasks exactly what one that does gets."""

from __future__ import annotations

import re

import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from mcp_server.app import App
from mcp_server.mcp.apps.view import TASK_LIST_URI
from tests.support.clients import wire

pytestmark = pytest.mark.anyio

SPEAKS_APPS = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]


async def test_list_tasks_links_its_view_and_the_view_is_one_self_contained_document(app: App) -> None:
    async with Client(app.server, extensions=SPEAKS_APPS) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        listed = {resource.uri: resource for resource in (await client.list_resources()).resources}
        read = (await client.read_resource(TASK_LIST_URI)).contents
        advertised = client.server_capabilities.extensions
    meta = wire(tools["list_tasks"])["_meta"]
    assert meta["ui"] == {"resourceUri": TASK_LIST_URI} and meta["ui/resourceUri"] == TASK_LIST_URI
    assert all("_meta" not in wire(tool) for name, tool in tools.items() if name != "list_tasks")
    assert listed[TASK_LIST_URI].mime_type == APP_MIME_TYPE == "text/html;profile=mcp-app"
    [document] = read
    assert wire(document)["_meta"] == {"ui": {"prefersBorder": True}}  # no domains: the host's strictest policy
    html = document.text  # type: ignore[union-attr]
    assert html.startswith("<!doctype html>") and html.count("<html") == 1
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html)  # nothing to fetch
    assert html.count("<script") == 2 and html.count("</script>") == 2  # the library, then the view
    assert "globalThis.McpExtApps=Object.freeze({" in html and "/*VIEW*/" not in html
    assert advertised is not None and EXTENSION_ID in advertised


async def test_a_client_without_mcp_apps_gets_what_it_got_before(app: App) -> None:
    async with Client(app.server) as plain, Client(app.server, extensions=SPEAKS_APPS) as apps:
        await plain.call_tool("create_task", {"title": "Call the plumber", "priority": "high"})
        without = await plain.call_tool("list_tasks", {"status": "open"})
        with_apps = await apps.call_tool("list_tasks", {"status": "open"})
    assert wire(without) == wire(with_apps)
    assert not any(key.startswith("ui") for key in wire(without).get("_meta", {}))
    assert without.structured_content is not None
    assert [task["title"] for task in without.structured_content["tasks"]] == ["Call the plumber"]
    assert [part.type for part in without.content] == ["text"]
