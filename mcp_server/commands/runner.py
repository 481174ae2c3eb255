"""One command in words, end to end (parse, normalise and resolve, confirm a delete, run), shared by
the process_command tool and POST /v1/task."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from mcp_server.commands.executor import CommandExecutor
from mcp_server.core.domain import DeletedTask, Task, TaskPage
from mcp_server.core.errors import ConfirmationRequired, InvalidInput, ModelUnavailable, UnderstoodDifferently
from mcp_server.nlu.actions import ACTION_ADAPTER, DeleteTask, returned_action_schema
from mcp_server.nlu.guards import check_command
from mcp_server.nlu.parser import CommandParser, PartialOutput
from mcp_server.nlu.zones import DateError, zone


class CommandResult(BaseModel):
    """What process_command did: the action, whether it ran, its result, and who parsed it."""

    command: str
    action: Annotated[dict[str, Any], WithJsonSchema(returned_action_schema())] = Field(
        description="The action as parsed and normalised (ISO dates, task ids)."
    )
    executed: bool = Field(description="False for dry_run.")
    result: Task | TaskPage | DeletedTask | None = Field(description="The task, page of tasks, or deleted task.")
    parser: str = Field(description="Which parser answered, e.g. ollama.")
    model: str | None = None
    attempts: int = Field(description="Model calls it took: 2 when the first answer was invalid.")
    latency_ms: float


AskConfirmation = Callable[[Task], Awaitable[bool | None]]
"""Asks the user to confirm deleting a task: True or False as answered, None when it cannot ask."""


def _differences(expected: Mapping[str, Any], said: Mapping[str, Any]) -> str:
    """What a second reading changed, in a line a person can read: `priority "low", not "high"`."""
    if expected.get("action") != said.get("action"):
        return f"the action {said.get('action')}, not {expected.get('action')}"
    before, now = expected.get("params", {}), said.get("params", {})
    changed = [name for name in dict.fromkeys([*now, *before]) if before.get(name) != now.get(name)]

    def shown(value: Any) -> str:
        return "nothing" if value is None else json.dumps(value)

    return "; ".join(f"{name} {shown(now.get(name))}, not {shown(before.get(name))}" for name in changed)


class CommandRunner:
    """One command in words, end to end: parse, normalise and resolve, confirm a delete, run.
    Shared by the process_command tool and the REST API, so both follow the same rules."""

    def __init__(self, executor: CommandExecutor, parser: CommandParser | None, default_timezone: str) -> None:
        self.executor = executor
        self.parser = parser
        self.default_timezone = default_timezone

    async def run_command(
        self,
        command: str,
        *,
        dry_run: bool = False,
        timezone: str | None = None,
        confirm: bool = False,
        on_partial: PartialOutput | None = None,
        ask_confirmation: AskConfirmation | None = None,
        expected: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> CommandResult:
        """`expected`: the `action` and `params` a dry run of the command answered; the command runs
        only when it is understood as that same action again, so what a person confirmed is what runs.
        `now`: the moment relative dates ("tomorrow", "in 2 hours") are read from (default: now); a
        run after a preview passes the preview's, so that it reads them as the preview did."""
        started = time.perf_counter()
        if self.parser is None:
            raise ModelUnavailable(
                "natural-language commands are not configured on this server (backend none); use the task tools"
            )
        check_command(command)  # bulk requests and text aimed at the model reach no parser
        tz = timezone or self.default_timezone
        try:
            zone(tz)  # refuse a bad timezone before spending a model call on it
        except DateError as exc:
            raise InvalidInput(str(exc)) from exc
        outcome = await self.parser.parse(command, on_partial=on_partial)
        action = await self.executor.prepare(outcome.action, timezone=tz, now=now, command=command)
        said = ACTION_ADAPTER.dump_python(action, mode="json", exclude_none=True)
        if expected is not None and not dry_run and expected != said:
            raise UnderstoodDifferently(
                f"not run: this time the command was understood with {_differences(expected, said)}; preview it again"
            )
        result = None
        if not dry_run:
            confirmed = confirm
            if isinstance(action, DeleteTask) and not confirmed and ask_confirmation is not None:
                task = await self.executor.service.get_task(action.params.task_id or 0)
                answer = await ask_confirmation(task)
                if answer is False:
                    raise ConfirmationRequired(
                        f"not deleted: deleting task #{task.id} {task.title!r} was not confirmed"
                    )
                confirmed = bool(answer)
            result = await self.executor.run(action, confirmed=confirmed, timezone=tz)
        return CommandResult(
            command=command,
            action=said,
            executed=not dry_run,
            result=result,
            parser=outcome.parser,
            model=outcome.model,
            attempts=outcome.attempts,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
