"""Running one parsed action through TaskService: dates resolved, tasks named by title resolved to
one id, deletes confirmed. The same rules hold whichever parser produced the action."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError, WithJsonSchema

from mcp_server.domain import (
    DeletedTask,
    NewTask,
    NoNul,
    Priority,
    Status,
    Task,
    TaskPage,
    TaskPatch,
    TaskQuery,
    due_sort_key,
)
from mcp_server.errors import (
    AmbiguousTask,
    CommandRefused,
    ConfirmationRequired,
    InvalidInput,
    InvalidModelOutput,
    ModelUnavailable,
    TaskNotFound,
)
from mcp_server.nlu.actions import (
    ACTION_ADAPTER,
    Action,
    CompleteTask,
    CreateTask,
    DeleteTask,
    ListTasks,
    Refusal,
    TaskRef,
    UpdateTask,
    returned_action_schema,
)
from mcp_server.nlu.dates import DateError, resolve_due, zone
from mcp_server.nlu.guards import check_command
from mcp_server.nlu.parser import CommandParser, PartialOutput
from mcp_server.nlu.zones import TIMEZONE_MAX
from mcp_server.service import TaskService

COMMAND_MAX = 1000
# What every entry point (the process_command tool, POST /v1/task) accepts as a command and a zone.
CommandText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMAND_MAX), NoNul]
TimezoneName = Annotated[str, StringConstraints(min_length=1, max_length=TIMEZONE_MAX), NoNul]

CANDIDATES_SHOWN = 5
_WORD = re.compile(r"[\w#@'-]+")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


PAST_LIMIT = dt.timedelta(days=366)
FUTURE_LIMIT = dt.timedelta(days=366 * 50)


def check_ids_were_said(action: Action, command: str) -> None:
    """A task id in an action must appear in the command's own words (small models invent ids)."""
    task_id = getattr(getattr(action, "params", None), "task_id", None)
    if task_id is not None and str(task_id) not in re.findall(r"\d+", command):
        raise InvalidModelOutput(
            f"the command was read as being about task {task_id}, but it mentions no task {task_id}; "
            f"name the task by its id or by words of its title"
        )


def check_plausible_due(due: str | None, now: dt.datetime | None) -> None:
    """A new due date more than a year in the past, or decades ahead, is a misreading, not a plan."""
    if due is None:
        return
    moment = dt.datetime.fromisoformat(due_sort_key(due).removesuffix("Z")).replace(tzinfo=dt.UTC)
    reference = now or dt.datetime.now(dt.UTC)
    if moment < reference - PAST_LIMIT:
        raise InvalidInput(f"the due date {due} is more than a year in the past; give the date again")
    if moment > reference + FUTURE_LIMIT:
        raise InvalidInput(f"the due date {due} is more than 50 years ahead; give the date again")


def _due(text: str | None, timezone: str, now: dt.datetime | None) -> str | None:
    if text is None:
        return None
    try:
        return resolve_due(text, timezone, now)
    except DateError as exc:
        raise InvalidInput(str(exc)) from exc
    except OverflowError:  # dateparser read it, but the instant has no UTC form within years 1-9999
        raise InvalidInput(f"due {text!r} falls outside the years 1-9999 once converted to UTC") from None


def normalise(action: Action, *, timezone: str, now: dt.datetime | None = None, command: str | None = None) -> Action:
    """An action as it would be executed, without reading the store: due dates in ISO 8601 in
    `timezone` relative to `now`. A refusal is raised as CommandRefused. Given the command text,
    guards against a model that invents: a task id the text never mentions, a far-off due date."""
    if isinstance(action, Refusal):
        raise CommandRefused(action.message)
    if command is not None:
        check_ids_were_said(action, command)
    if isinstance(action, ListTasks):
        update = {
            "due_before": _due(action.params.due_before, timezone, now),
            "due_after": _due(action.params.due_after, timezone, now),
        }
        return action.model_copy(update={"params": action.params.model_copy(update=update)})
    if isinstance(action, (CreateTask, UpdateTask)):
        due = _due(action.params.due, timezone, now)
        check_plausible_due(due, now)
        return action.model_copy(update={"params": action.params.model_copy(update={"due": due})})
    return action


def service_request(action: Action) -> NewTask | TaskQuery | TaskPatch | None:
    """What a normalised action asks of TaskService, in the task rules' own models. The action
    contract is looser than those rules (a tag of 30 "İ" is 60 characters once lower-cased, over the
    tag limit): what they refuse is the caller's invalid input, named field by field."""
    try:
        if isinstance(action, CreateTask):
            p = action.params
            return NewTask(
                title=p.title,
                description=p.description,
                due=p.due,
                priority=p.priority or Priority.NORMAL,
                tags=p.tags or [],
            )
        if isinstance(action, ListTasks):
            return TaskQuery(**action.params.model_dump())
        if isinstance(action, UpdateTask):
            fields = action.params.model_dump(exclude={"task_id", "task_title"}, exclude_none=True)
            return TaskPatch.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'params'}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(f"cannot {action.action.replace('_', ' ')}: {problems}") from None
    return None


class CommandExecutor:
    def __init__(self, service: TaskService) -> None:
        self.service = service

    # -- preparing: everything short of changing data ------------------------------------------

    async def resolve_task(self, ref: TaskRef) -> Task:
        """The one task a reference names: by id, or by words of its title (open tasks preferred,
        an exact title preferred); several matches are an error that lists them."""
        if ref.task_id is not None:
            return await self.service.get_task(ref.task_id)
        assert ref.task_title is not None
        wanted = _words(ref.task_title)
        if not wanted:
            raise InvalidInput(f"cannot find a task from {ref.task_title!r}; name it by id")
        longest = max(wanted, key=len)
        page = await self.service.list_tasks(TaskQuery(search=longest), limit=100)
        matches = [task for task in page.tasks if all(word in _words(task.title) for word in wanted)]
        if not matches:
            raise TaskNotFound(None, f"no task has {ref.task_title!r} in its title; call list_tasks to find it")
        for narrower in (
            lambda t: t.status == Status.OPEN,
            lambda t: t.title.lower() == ref.task_title.lower(),  # type: ignore[union-attr]
        ):
            preferred = [task for task in matches if narrower(task)]
            if preferred:
                matches = preferred
        if len(matches) > 1:
            shown = ", ".join(f"#{t.id} {t.title!r}" for t in matches[:CANDIDATES_SHOWN])
            more = f" and {len(matches) - CANDIDATES_SHOWN} more" if len(matches) > CANDIDATES_SHOWN else ""
            raise AmbiguousTask(f"{ref.task_title!r} matches several tasks: {shown}{more}; say which one by id")
        return matches[0]

    async def prepare(
        self, action: Action, *, timezone: str, now: dt.datetime | None = None, command: str | None = None
    ) -> Action:
        """The action as it will run: normalised (see `normalise`), and a task named by title resolved
        to its id. A refusal is raised as CommandRefused."""
        action = normalise(action, timezone=timezone, now=now, command=command)
        service_request(action)  # a dry run, too, learns what the task rules refuse
        if isinstance(action, (CreateTask, ListTasks)):
            return action
        task = await self.resolve_task(action.params)
        params = action.params.model_copy(update={"task_id": task.id, "task_title": None})
        return action.model_copy(update={"params": params})

    # -- running -------------------------------------------------------------------------------

    async def run(self, action: Action, *, confirmed: bool = False) -> Any:
        """Execute a prepared action; a delete runs only when confirmed."""
        request = service_request(action)
        if isinstance(request, NewTask):
            return await self.service.create_task(request)
        if isinstance(request, TaskQuery):
            return await self.service.list_tasks(request)
        if isinstance(action, (UpdateTask, DeleteTask, CompleteTask)):
            task_id = action.params.task_id
            assert task_id is not None, "prepare() resolves every task reference to an id"
            if isinstance(action, CompleteTask):
                return await self.service.complete_task(task_id)
            if isinstance(action, DeleteTask):
                if not confirmed:
                    task = await self.service.get_task(task_id)
                    raise ConfirmationRequired(
                        f"deleting task #{task.id} {task.title!r} needs confirmation: "
                        f"send the command again with confirm=true"
                    )
                return await self.service.delete_task(task_id)
            assert isinstance(request, TaskPatch)
            return await self.service.update_task(task_id, request)
        raise CommandRefused(getattr(action, "message", "not a task command"))


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
    ) -> CommandResult:
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
        action = await self.executor.prepare(outcome.action, timezone=tz, command=command)
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
            result = await self.executor.run(action, confirmed=confirmed)
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
