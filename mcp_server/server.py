"""The MCP adapter: tools, resources and prompts over TaskService. Thin by design: each handler
translates arguments, calls the service, and returns the domain model."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp_types import ToolAnnotations
from pydantic import Field, StringConstraints

from mcp_server import __version__
from mcp_server.command_tool import build_process_command
from mcp_server.commands import CommandExecutor, CommandRunner
from mcp_server.domain import (
    PAGE_DEFAULT,
    PAGE_MAX,
    SEARCH_MAX,
    TAG_MAX,
    DeletedTask,
    Description,
    Due,
    NewTask,
    Priority,
    Status,
    Tags,
    Task,
    TaskId,
    TaskPage,
    TaskPatch,
    TaskQuery,
    Title,
)
from mcp_server.errors import InvalidInput, TaskNotFound
from mcp_server.health import Health
from mcp_server.metrics import Metrics
from mcp_server.nlu.parser import CommandParser
from mcp_server.notifications import ClientNotifier
from mcp_server.service import TaskService
from mcp_server.tooling import ManagedTool

logger = logging.getLogger("mcp_server.tools")

INSTRUCTIONS = (
    "A persistent to-do list. Create, list, update, complete and delete tasks. "
    "Ids are integers; list_tasks pages with next_cursor. Pass expected_version to update_task "
    "to refuse an update if the task changed since you read it, and idempotency_key to create_task "
    "so a retried call never creates a duplicate."
)

IdempotencyKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    Field(description="Any unique string; a retry with the same key returns the first task."),
]
ClearableField = Literal["description", "due"]


def task_uri(task_id: int) -> str:
    return f"task://{task_id}"


def _annotations(*, read_only: bool = False, destructive: bool = False, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=False
    )


def build_tools(service: TaskService, observer: Any) -> list[ManagedTool]:
    async def create_task(
        title: Title,
        description: Description | None = None,
        due: Due | None = None,
        priority: Priority = Priority.NORMAL,
        tags: Tags | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> Task:
        """Create an open task. Give idempotency_key when you might retry, so a retry never duplicates it."""
        new = NewTask(title=title, description=description, due=due, priority=priority, tags=tags or [])
        return await service.create_task(new, idempotency_key=idempotency_key)

    async def list_tasks(
        status: Status | None = None,
        priority: Priority | None = None,
        tag: Annotated[str, StringConstraints(min_length=1, max_length=TAG_MAX)] | None = None,
        due_before: Annotated[Due | None, Field(description="Due on or before this date/datetime.")] = None,
        due_after: Annotated[Due | None, Field(description="Due on or after this date/datetime.")] = None,
        search: Annotated[
            str | None,
            StringConstraints(min_length=1, max_length=SEARCH_MAX),
            Field(description="Case-insensitive text in title or description."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
        cursor: Annotated[str | None, Field(description="next_cursor from the previous page.")] = None,
    ) -> TaskPage:
        """List tasks matching all given filters, oldest first, a page at a time, with the total that match."""
        query = TaskQuery(
            status=status, priority=priority, tag=tag, due_before=due_before, due_after=due_after, search=search
        )
        return await service.list_tasks(query, limit=limit, cursor=cursor)

    async def update_task(
        task_id: TaskId,
        title: Title | None = None,
        description: Description | None = None,
        due: Due | None = None,
        priority: Priority | None = None,
        tags: Annotated[Tags | None, Field(description="Replaces all tags; [] removes them.")] = None,
        status: Status | None = None,
        clear: Annotated[
            list[ClearableField] | None, Field(description="Fields to remove: description and/or due.")
        ] = None,
        expected_version: Annotated[
            int | None, Field(ge=1, description="Refuse the update unless the task is at this version.")
        ] = None,
    ) -> Task:
        """Change some fields of a task; fields not given stay as they are."""
        given = {
            "title": title,
            "description": description,
            "due": due,
            "priority": priority,
            "tags": tags,
            "status": status,
        }
        changes = {name: value for name, value in given.items() if value is not None}
        for name in clear or []:
            if name in changes:
                raise InvalidInput(f"{name} is both set and cleared; do one or the other")
            changes[name] = None
        patch = TaskPatch.model_validate(changes)
        return await service.update_task(task_id, patch, expected_version=expected_version)

    async def complete_task(task_id: TaskId) -> Task:
        """Mark a task done. Completing a task that is already done changes nothing."""
        return await service.complete_task(task_id)

    async def delete_task(task_id: TaskId) -> DeletedTask:
        """Delete a task for good and return it as it was."""
        return await service.delete_task(task_id)

    return [
        ManagedTool.create(create_task, title="Create task", annotations=_annotations(), observer=observer),
        ManagedTool.create(
            list_tasks, title="List tasks", annotations=_annotations(read_only=True, idempotent=True), observer=observer
        ),
        ManagedTool.create(
            update_task,
            title="Update task",
            annotations=_annotations(destructive=True, idempotent=True),
            observer=observer,
        ),
        ManagedTool.create(
            complete_task, title="Complete task", annotations=_annotations(idempotent=True), observer=observer
        ),
        ManagedTool.create(
            delete_task,
            title="Delete task",
            annotations=_annotations(destructive=True, idempotent=True),
            observer=observer,
        ),
    ]


_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
PLAN_TASK_LIMIT = 50


def _plan_order(task: Task) -> tuple[Any, ...]:
    return (task.due is None, task.due or "", _PRIORITY_RANK[task.priority], task.id)


async def _open_tasks(service: TaskService, tag: str | None) -> list[Task]:
    query = TaskQuery(status=Status.OPEN, tag=tag or None)
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
) -> MCPServer:
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
            "request_id": _request_id(ctx),
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
    )

    async def on_task_changed(task_id: int) -> None:
        await notifier.resource_updated(task_uri(task_id))

    service.on_change(on_task_changed)

    low = server._lowlevel_server  # the SDK has no decorator for these handlers
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
        "task://{task_id}",
        name="task",
        title="Task",
        description="One task as JSON. Subscribe to hear when it changes.",
        mime_type="application/json",
    )
    async def task_resource(task_id: str) -> str:
        if not task_id.isdigit():
            raise ResourceNotFoundError(f"task id must be a positive integer, got {task_id!r}")
        try:
            task = await service.get_task(int(task_id))
        except TaskNotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return task.model_dump_json()

    @server.prompt(
        name="plan_my_day",
        title="Plan my day",
        description="Draft a plan for today from the open tasks, ordered by due date and priority.",
    )
    async def plan_my_day(focus_tag: str | None = None, hours_available: str | None = None) -> list[UserMessage]:
        tasks = await _open_tasks(service, focus_tag)
        listing = (
            "\n".join(
                f"- #{t.id} [{t.priority.value}] {t.title}"
                + (f" (due {t.due})" if t.due else "")
                + (f" tags: {', '.join(t.tags)}" if t.tags else "")
                for t in tasks
            )
            or "(no open tasks)"
        )
        budget = f" I have about {hours_available} hours." if hours_available else ""
        scope = f" tagged '{focus_tag}'" if focus_tag else ""
        return [
            UserMessage(
                f"Here are my open tasks{scope}, most pressing first:\n{listing}\n\n"
                f"Plan my day.{budget} Pick what to do today and in what order, say why "
                f"(deadlines first, then priority), flag anything overdue, and suggest what to "
                f"defer. Use complete_task when I report something done."
            )
        ]

    @server.completion()
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

    return server


def _request_id(ctx: Context[Any, Any]) -> str | None:
    """The HTTP request's id (the access log's, from X-Request-ID or made), else the JSON-RPC id."""
    http_state = getattr(ctx.request_context.request, "state", None)
    if (from_http := getattr(http_state, "request_id", None)) is not None:
        return str(from_http)
    try:
        return str(ctx.request_id)
    except (ValueError, AttributeError):
        return None
