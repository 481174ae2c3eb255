"""The process_command tool: one natural-language request, parsed into one action and run.

Kept apart from the five plain task tools: it is the only tool that talks to a model, streams
progress, and may ask the user to confirm."""

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from mcp_server.commands.runner import CommandResult, CommandRunner
from mcp_server.commands.text import CommandText, TimezoneName
from mcp_server.core.domain import Task
from mcp_server.mcp.tooling import ManagedTool, ToolObserver
from mcp_server.mcp.tools import SUMMARIES
from mcp_server.nlu.actions import ACTION_NAMES

PROGRESS_INTERVAL_S = 0.05


class ConfirmDelete(BaseModel):
    confirm: bool = Field(description="Move the task to the trash?")


def _can_elicit(ctx: Context[Any, Any]) -> bool:
    session = ctx.request_context.session
    capabilities = session.client_capabilities
    return bool(capabilities and capabilities.elicitation and session.can_send_request)


async def _confirmed_by_user(ctx: Context[Any, Any], question: str) -> bool | None:
    """Ask through MCP elicitation when the client can answer (None when it cannot: then the caller
    must pass confirm=true)."""
    if not _can_elicit(ctx):
        return None
    answer = await ctx.elicit(question, ConfirmDelete)
    return answer.action == "accept" and answer.data is not None and answer.data.confirm


class ProgressThrottle:
    """Progress notifications for the model's partial output, at most one per PROGRESS_INTERVAL_S and
    the latest once it is done. A model streams a token every few milliseconds; a notification per
    token cost the server and the client more than the command's own work and still redrew the same
    line."""

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._sent_at = -PROGRESS_INTERVAL_S
        self._latest: str | None = None
        self._sent: str | None = None

    async def __call__(self, partial: str) -> None:
        self._latest = partial
        now = time.monotonic()
        if now - self._sent_at >= PROGRESS_INTERVAL_S:
            self._sent_at, self._sent = now, partial
            await self._send(partial)

    async def flush(self) -> None:
        if self._latest is not None and self._latest != self._sent:
            self._sent = self._latest
            await self._send(self._latest)


def build_process_command(runner: CommandRunner, observer: ToolObserver) -> ManagedTool:
    default_timezone = runner.default_timezone

    async def process_command(
        command: Annotated[
            CommandText,
            Field(
                description="One request in plain words, e.g. 'Create a task: review PR #42 by Friday, high priority'."
            ),
        ],
        ctx: Context[Any, Any],
        dry_run: Annotated[bool, Field(description="Parse and resolve only; change nothing.")] = False,
        timezone: Annotated[
            TimezoneName | None,
            Field(description=f"IANA zone for dates in words; default {default_timezone}."),
        ] = None,
        confirm: Annotated[bool, Field(description="Confirms a delete asked for in words.")] = False,
    ) -> CommandResult:
        """Do one thing with the task list, asked for in plain words. Returns the action taken and its result."""

        async def send(partial: str) -> None:
            await ctx.report_progress(len(partial), None, partial)

        async def ask(task: Task) -> bool | None:
            return await _confirmed_by_user(ctx, f"Move task #{task.id} {task.title!r} to the trash?")

        progress = ProgressThrottle(send)
        result = await runner.run_command(
            command, dry_run=dry_run, timezone=timezone, confirm=confirm, on_partial=progress, ask_confirmation=ask
        )
        await progress.flush()
        return result

    tool = ManagedTool.create(
        process_command,
        title="Process a command in plain words",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
        ),
        observer=observer,
        summaries=SUMMARIES,
    )
    output = tool.fn_metadata.output_schema
    assert output is not None, "process_command returns a CommandResult"
    output["properties"]["action"] = ACTION_SHOWN
    return tool


# The action as the output schema names it: the action contract (docs/process-command.md) has every
# field; an agent needs to know that params are the arguments of that action's tool.
ACTION_SHOWN: dict[str, object] = {
    "type": "object",
    "description": "The action run: params are the arguments of that tool, dates in ISO 8601, the task by id.",
    "properties": {
        "action": {"enum": [name for name in ACTION_NAMES if name != "error"]},
        "params": {"type": "object"},
    },
    "required": ["action", "params"],
}
