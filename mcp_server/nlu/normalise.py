"""A parsed action as it would run, without reading the store: due dates resolved in a known zone,
and guards against a model that invents ids or far-off dates; then the task rules' own request."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import ValidationError

from mcp_server.core.domain import DEFAULT_LIST, NewTask, Priority, TaskPatch, TaskQuery, due_sort_key
from mcp_server.core.errors import CommandRefused, InvalidInput, InvalidModelOutput
from mcp_server.nlu.actions import Action, CreateTask, ListTasks, Refusal, TaskAction, UpdateTask
from mcp_server.nlu.dates import resolve_due
from mcp_server.nlu.zones import DateError

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


def normalise(
    action: Action, *, timezone: str, now: dt.datetime | None = None, command: str | None = None
) -> TaskAction:
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
                list=DEFAULT_LIST if p.list is None else p.list,
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
