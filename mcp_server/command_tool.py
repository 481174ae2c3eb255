"""The process_command tool: one natural-language request, parsed into one action and run.

Kept apart from the five plain task tools: it is the only tool that talks to a model, streams
progress, and may ask the user to confirm."""

import time
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, StringConstraints

from mcp_server.commands import CommandExecutor, CommandResult
from mcp_server.errors import ConfirmationRequired, InvalidInput, ModelUnavailable
from mcp_server.nlu.actions import ACTION_ADAPTER, DeleteTask
from mcp_server.nlu.dates import DateError, zone
from mcp_server.nlu.parser import CommandParser
from mcp_server.tooling import ManagedTool, ToolObserver

COMMAND_MAX = 1000


class ConfirmDelete(BaseModel):
    confirm: bool = Field(description="Delete the task for good?")


def _can_elicit(ctx: Context[Any, Any]) -> bool:
    session = ctx.request_context.session
    capabilities = session.client_capabilities
    return bool(capabilities and capabilities.elicitation and session.can_send_request)


async def _confirmed_by_user(ctx: Context[Any, Any], question: str) -> bool:
    """Ask through MCP elicitation when the client can answer; otherwise the caller must pass confirm=true."""
    if not _can_elicit(ctx):
        return False
    answer = await ctx.elicit(question, ConfirmDelete)
    return answer.action == "accept" and answer.data is not None and answer.data.confirm


def build_process_command(
    executor: CommandExecutor, parser: CommandParser | None, default_timezone: str, observer: ToolObserver
) -> ManagedTool:
    async def process_command(
        command: Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMAND_MAX),
            Field(
                description="One request in plain words, e.g. 'Create a task: review PR #42 by Friday, high priority'."
            ),
        ],
        ctx: Context[Any, Any],
        dry_run: Annotated[bool, Field(description="Parse and resolve only; change nothing.")] = False,
        timezone: Annotated[
            str | None, Field(description=f"IANA zone for dates in words; default {default_timezone}.")
        ] = None,
        confirm: Annotated[bool, Field(description="Confirms a delete asked for in words.")] = False,
    ) -> CommandResult:
        """Do one thing with the task list, asked for in plain words. Returns the action taken and its result."""
        started = time.perf_counter()
        if parser is None:
            raise ModelUnavailable(
                "natural-language commands are not configured on this server (backend none); use the task tools"
            )
        tz = timezone or default_timezone
        try:
            zone(tz)  # refuse a bad timezone before spending a model call on it
        except DateError as exc:
            raise InvalidInput(str(exc)) from exc

        async def report(partial: str) -> None:
            await ctx.report_progress(len(partial), None, partial)

        outcome = await parser.parse(command, on_partial=report)
        action = await executor.prepare(outcome.action, timezone=tz, command=command)
        result = None
        if not dry_run:
            confirmed = confirm
            if isinstance(action, DeleteTask) and not confirmed:
                task = await executor.service.get_task(action.params.task_id or 0)
                confirmed = await _confirmed_by_user(ctx, f"Delete task #{task.id} {task.title!r} for good?")
                if not confirmed and _can_elicit(ctx):
                    raise ConfirmationRequired(
                        f"not deleted: deleting task #{task.id} {task.title!r} was not confirmed"
                    )
            result = await executor.run(action, confirmed=confirmed)
        return CommandResult(
            command=command,
            action=ACTION_ADAPTER.dump_python(action, mode="json", exclude_none=True),
            executed=not dry_run,
            result=result,
            parser=outcome.parser,
            model=outcome.model,
            attempts=outcome.attempts,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    return ManagedTool.create(
        process_command,
        title="Process a command in plain words",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
        ),
        observer=observer,
    )
