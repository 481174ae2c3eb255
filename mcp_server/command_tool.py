"""The process_command tool: one natural-language request, parsed into one action and run.

Kept apart from the five plain task tools: it is the only tool that talks to a model, streams
progress, and may ask the user to confirm."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, StringConstraints

from mcp_server.commands import CommandResult, CommandRunner
from mcp_server.domain import Task
from mcp_server.tooling import ManagedTool, ToolObserver

COMMAND_MAX = 1000


class ConfirmDelete(BaseModel):
    confirm: bool = Field(description="Delete the task for good?")


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


def build_process_command(runner: CommandRunner, observer: ToolObserver) -> ManagedTool:
    default_timezone = runner.default_timezone

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

        async def report(partial: str) -> None:
            await ctx.report_progress(len(partial), None, partial)

        async def ask(task: Task) -> bool | None:
            return await _confirmed_by_user(ctx, f"Delete task #{task.id} {task.title!r} for good?")

        return await runner.run_command(
            command, dry_run=dry_run, timezone=timezone, confirm=confirm, on_partial=report, ask_confirmation=ask
        )

    return ManagedTool.create(
        process_command,
        title="Process a command in plain words",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
        ),
        observer=observer,
    )
