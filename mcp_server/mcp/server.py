"""The MCP adapter: tools, resources and prompts over TaskService. Thin by design: each handler
translates arguments, calls the service, and returns the domain model."""

from __future__ import annotations

import json
import logging
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import ValidationError

from mcp_server import __version__
from mcp_server.commands.executor import CommandExecutor
from mcp_server.commands.runner import CommandRunner
from mcp_server.core.domain import (
    PAGE_MAX,
    TASK_ID_MAX,
    Priority,
    StatusFilter,
    Task,
    TaskQuery,
)
from mcp_server.core.errors import TaskNotFound
from mcp_server.core.service import TaskService
from mcp_server.mcp.apps.view import task_list_app
from mcp_server.mcp.command_tool import build_process_command
from mcp_server.mcp.notifications import ClientNotifier, refuse_legacy_subscriptions
from mcp_server.mcp.tooling import request_id_of
from mcp_server.mcp.tools import build_tools
from mcp_server.nlu.parser import CommandParser
from mcp_server.observability.health import Health
from mcp_server.observability.metrics import Metrics

logger = logging.getLogger("mcp_server.tools")

INSTRUCTIONS = (
    "A persistent to-do list. Tasks are in lists (projects, default inbox; task://lists shows them), "
    "may have subtasks (parent_id) and recur (recurrence, an RRULE). delete_task moves a task to the "
    "trash and restore_task brings it back; batch_tasks runs several operations in one call. "
    "Ids are integers; list_tasks pages with next_cursor. Pass expected_version to update_task "
    "to refuse an update if the task changed since you read it, and idempotency_key to create_task "
    "so a retried call never creates a duplicate."
)

LISTS_URI = "task://lists"


def task_uri(task_id: int) -> str:
    return f"task://{task_id}"


_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
PLAN_TASK_LIMIT = 50


def _plan_order(task: Task) -> tuple[Any, ...]:
    return (task.due is None, task.due or "", _PRIORITY_RANK[task.priority], task.id)


def _invalid_argument(prompt: str, message: str) -> MCPError:
    """A prompt's bad argument is the caller's to fix: -32602, as an unknown resource is."""
    return MCPError(INVALID_PARAMS, message, data={"prompt": prompt})


def _open_tasks_query(focus_tag: str | None) -> TaskQuery:
    try:
        return TaskQuery(status=StatusFilter.OPEN, tag=focus_tag or None)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise _invalid_argument("plan_my_day", f"focus_tag {focus_tag!r} is not a tag: {reason}") from None


def _hours(hours_available: str | None) -> float | None:
    try:
        hours = float(hours_available) if hours_available else None
    except ValueError:
        hours = -1.0
    if hours is not None and not 0 < hours <= 24:
        raise _invalid_argument(
            "plan_my_day",
            f"hours_available must be a number of hours above 0 and at most 24, e.g. 3 or 1.5; got {hours_available!r}",
        )
    return hours


def _checked_prompt_requests(server: MCPServer) -> None:
    """Answer an unknown prompt, or an argument a prompt does not take, with -32602 and what there is,
    as resources/read answers an unknown resource (the SDK answers code 0 or -32603 and logs a
    traceback)."""
    low = server._lowlevel_server
    render = low.get_request_handler("prompts/get")
    assert render is not None, "MCPServer serves prompts/get"

    async def get_prompt(ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams) -> Any:
        prompts = {prompt.name: prompt for prompt in await server.list_prompts()}
        prompt = prompts.get(params.name)
        if prompt is None:
            raise MCPError(
                INVALID_PARAMS,
                f"unknown prompt {params.name!r}; prompts/list shows {', '.join(sorted(prompts))}",
                data={"prompt": params.name},
            )
        takes = [argument.name for argument in prompt.arguments or []]
        unknown = sorted(set(params.arguments or {}) - set(takes))
        if unknown:
            raise _invalid_argument(
                params.name,
                f"prompt {params.name!r} takes no argument {', '.join(map(repr, unknown))}; "
                f"its arguments are {', '.join(takes) or '(none)'}",
            )
        return await render.handler(ctx, params)

    low.add_request_handler("prompts/get", types.GetPromptRequestParams, get_prompt)


async def _open_tasks(service: TaskService, query: TaskQuery) -> list[Task]:
    page = await service.list_tasks(query, limit=PAGE_MAX)
    tasks = list(page.tasks)
    while page.next_cursor and len(tasks) < 10 * PAGE_MAX:
        page = await service.list_tasks(query, limit=PAGE_MAX, cursor=page.next_cursor)
        tasks.extend(page.tasks)
    return sorted(tasks, key=_plan_order)[:PLAN_TASK_LIMIT]


def build_server(
    service: TaskService,
    health: Health,
    *,
    parser: CommandParser | None = None,
    default_timezone: str = "UTC",
    notifier: ClientNotifier | None = None,
    metrics: Metrics | None = None,
    runner: CommandRunner | None = None,
    stateless_http: bool = False,
) -> MCPServer:
    """The MCP server. `stateless_http`: it will be served on stateless HTTP, where no stream outlives
    a request, so `resources/subscribe` is neither advertised nor served (subscriptions/listen is)."""
    notifier = notifier or ClientNotifier()
    metrics = metrics or Metrics()

    async def observe_tool_call(
        tool: str, duration_ms: float, outcome: str, error_kind: str | None, ctx: Context[Any, Any]
    ) -> None:
        health.counters.record(tool, error=outcome != "ok")
        metrics.record_tool_call(tool, duration_ms / 1000, outcome, error_kind)
        fields = {
            "tool": tool,
            "duration_ms": round(duration_ms, 3),
            "outcome": outcome,
            "error_kind": error_kind,
            "request_id": request_id_of(ctx),
        }
        logger.info("tool_call", extra=fields)
        await notifier.log(ctx.request_context, "error" if outcome != "ok" else "info", fields)

    server: MCPServer = MCPServer(
        "task-api-mcp",
        title="Task API",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=[
            *build_tools(service, observe_tool_call),
            build_process_command(
                runner or CommandRunner(CommandExecutor(service), parser, default_timezone), observe_tool_call
            ),
        ],
        subscriptions=notifier.bus,
        extensions=[task_list_app()],
        lifespan=notifier.lifespan,
        middleware=[refuse_legacy_subscriptions] if stateless_http else None,
    )

    async def on_task_changed(task_id: int) -> None:
        await notifier.resource_updated(task_uri(task_id))

    async def on_lists_changed() -> None:
        await notifier.resource_updated(LISTS_URI)

    service.on_change(on_task_changed)
    service.on_lists_change(on_lists_changed)

    low = server._lowlevel_server  # the SDK has no decorator for these handlers
    if not stateless_http:  # a registered handler is what advertises resources.subscribe
        low.add_request_handler("resources/subscribe", types.SubscribeRequestParams, notifier.subscribe)
        low.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, notifier.unsubscribe)
    low.add_request_handler("logging/setLevel", types.SetLevelRequestParams, notifier.set_level)

    @server.resource(
        "health://status",
        name="health",
        title="Server health",
        description="Overall status, store status, version, uptime and tool call counts.",
        mime_type="application/json",
    )
    async def health_status() -> str:
        return json.dumps(await health.report())

    @server.resource(
        LISTS_URI,
        name="lists",
        title="Lists",
        description="Every list (project) with its open and done counts, as JSON.",
        mime_type="application/json",
    )
    async def lists_resource() -> str:
        lists = await service.list_lists()
        return json.dumps({"lists": [entry.model_dump(mode="json") for entry in lists]})

    @server.resource(
        "task://{task_id}",
        name="task",
        title="Task",
        description="One task as JSON. Subscribe to hear when it changes.",
        mime_type="application/json",
    )
    async def task_resource(task_id: str) -> str:
        try:
            task = await service.get_task(_resource_task_id(task_id))
        except TaskNotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return task.model_dump_json()

    @server.resource(
        "task://{task_id}/history",
        name="task_history",
        title="Task history",
        description="Every change of one task, oldest first, as JSON (also for a task in the trash).",
        mime_type="application/json",
    )
    async def task_history_resource(task_id: str) -> str:
        try:
            history = await service.history(_resource_task_id(task_id))
        except TaskNotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return history.model_dump_json()

    @server.prompt(
        name="plan_my_day",
        title="Plan my day",
        description="Draft a plan for today from the open tasks, ordered by due date and priority.",
    )
    async def plan_my_day(focus_tag: str | None = None, hours_available: str | None = None) -> list[UserMessage]:
        query, hours = _open_tasks_query(focus_tag), _hours(hours_available)
        tasks = await _open_tasks(service, query)
        listing = (
            "\n".join(
                f"- #{t.id} [{t.priority.value}] {t.title}"
                + (f" (due {t.due})" if t.due else "")
                + (f" tags: {', '.join(t.tags)}" if t.tags else "")
                for t in tasks
            )
            or "(no open tasks)"
        )
        budget = f" I have about {hours:g} hours." if hours else ""
        scope = f" tagged '{focus_tag}'" if focus_tag else ""
        return [
            UserMessage(
                f"Here are my open tasks{scope}, most pressing first:\n{listing}\n\n"
                f"Plan my day.{budget} Pick what to do today and in what order, say why "
                f"(deadlines first, then priority), flag anything overdue, and suggest what to "
                f"defer. Use complete_task when I report something done."
            )
        ]

    @server.completion()  # type: ignore[no-untyped-call,untyped-decorator]  # unannotated in mcp 2.3
    async def complete_argument(
        ref: types.PromptReference | types.ResourceTemplateReference,
        argument: types.CompletionArgument,
        context: types.CompletionContext | None,
    ) -> types.Completion | None:
        values: list[str] = []
        prompt = ref.name if isinstance(ref, types.PromptReference) else None
        template = ref.uri if isinstance(ref, types.ResourceTemplateReference) else None
        if prompt == "plan_my_day" and argument.name == "focus_tag":
            values = await service.suggest_tags(argument.value)
        elif prompt == "plan_my_day" and argument.name == "hours_available":
            values = [h for h in ("1", "2", "4", "6", "8") if h.startswith(argument.value)]
        elif template == "task://{task_id}" and argument.name == "task_id":
            values = [str(i) for i in await service.suggest_open_ids(argument.value)]
        return types.Completion(values=values, has_more=False)

    _checked_prompt_requests(server)
    return server


def _resource_task_id(task_id: str) -> int:
    """A task id from a resource URI: ASCII digits only ("²".isdigit() is true), and few enough for
    int() and for the store; anything else is -32602, invalid params."""
    number = int(task_id) if task_id.isascii() and task_id.isdigit() and len(task_id) <= 19 else 0
    if not 1 <= number <= TASK_ID_MAX:
        raise ResourceNotFoundError(f"task_id must be a positive integer up to {TASK_ID_MAX}, got {task_id!r}")
    return number
