"""The task list view: one self-contained HTML document (its style, the ext-apps library and its own
script inlined) served as the `ui://` resource that `list_tasks` names in `_meta.ui.resourceUri`. A
host that supports MCP Apps renders it with the tool's result and proxies the view's `tools/call`
(completing a task, reading the list again) to this server; other clients ignore both."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.apps import Apps

from mcp_server.mcp.apps.bundle import UnexpectedBundle, as_global

TASK_LIST_URI = "ui://task-api/task-list.html"
LIBRARY_GLOBAL = "McpExtApps"
# `ui.resourceUri` is the extension's key; hosts written before it read the flat key, still in the spec.
LIST_TASKS_META: dict[str, Any] = {"ui": {"resourceUri": TASK_LIST_URI}, "ui/resourceUri": TASK_LIST_URI}


@cache
def task_list_html() -> str:
    here = files("mcp_server.mcp.apps")
    page = (here / "static" / "task-list.html").read_text(encoding="utf-8")
    parts = {
        "/*STYLE*/": (here / "static" / "task-list.css").read_text(encoding="utf-8"),
        "/*LIBRARY*/": as_global((here / "vendor" / "ext-apps.js").read_text(encoding="utf-8"), LIBRARY_GLOBAL),
        "/*VIEW*/": (here / "static" / "task-list.js").read_text(encoding="utf-8"),
    }
    for marker in parts:
        if page.count(marker) != 1:
            raise UnexpectedBundle(f"task-list.html must hold {marker} once")
    # One pass, so that a marker inside an inlined part is left as it is.
    return re.sub("|".join(re.escape(marker) for marker in parts), lambda found: parts[found[0]], page)


def task_list_app() -> Apps:
    """The extension with the view's resource; `list_tasks` itself stays a ManagedTool (strict
    arguments, logging), linked by LIST_TASKS_META rather than registered through Apps.tool."""
    apps = Apps()
    apps.add_html_resource(
        TASK_LIST_URI,
        task_list_html(),
        name="task-list",
        title="Task list",
        description="Your tasks as a list you can tick off, shown by hosts that support MCP Apps.",
        prefers_border=True,
    )
    return apps
