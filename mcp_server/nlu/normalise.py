"""A parsed action as it would run, without reading the store: due dates resolved in a known zone,
a recurrence said in words turned into its RRULE, and guards against a model that invents ids or
far-off dates; then the task rules' own request.

A recurrence and its due (both in the command's timezone):
- said without a due: the due is the rule's first occurrence from now ("every monday at 9" said on a
  Saturday: Monday 09:00); a time of day said with the rule makes it a datetime, else it is a date.
- said with a time of day ("every weekday at 9") and a due that is a date ("from Monday"): that date
  at that time. A due with a time of day of its own must say the same time, or it is refused (two
  times of day for one series is a misreading, not a plan).
- on an update that names no due, the task's own due is kept (see CommandExecutor.prepare).
"""

from __future__ import annotations

import datetime as dt
import re
from difflib import SequenceMatcher

from pydantic import ValidationError

from mcp_server.core.domain import NewTask, TaskPatch, TaskQuery, due_sort_key
from mcp_server.core.errors import CommandRefused, InvalidInput, InvalidModelOutput
from mcp_server.nlu.actions import Action, CreateTask, ListTasks, Refusal, TaskAction, UpdateTask
from mcp_server.nlu.copying import with_names_as_typed
from mcp_server.nlu.dates import resolve_due
from mcp_server.nlu.grounding import grounded
from mcp_server.nlu.recurrence import Recurrence, find_recurrence, first_due, parse_recurrence
from mcp_server.nlu.zones import DateError, zone

PAST_LIMIT = dt.timedelta(days=366)
FUTURE_LIMIT = dt.timedelta(days=366 * 50)


def check_ids_were_said(action: Action, command: str) -> None:
    """A task id in an action (the task's, a parent's) must appear in the command's own words (small
    models invent ids)."""
    params = getattr(action, "params", None)
    said = re.findall(r"\d+", command)
    for field, role in (("task_id", "task"), ("parent_id", "parent task")):
        task_id = getattr(params, field, None)
        if task_id is not None and str(task_id) not in said:
            raise InvalidModelOutput(
                f"the command was read as being about {role} {task_id}, but it mentions no task {task_id}; "
                f"name the {role} by its id or by words of its title"
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


def recurrence_of(
    text: str | None, timezone: str, now: dt.datetime | None, command: str | None = None
) -> Recurrence | None:
    """The rule (and time of day) of a recurrence said in words; InvalidInput naming the phrase when
    it is not one the parser knows. An end said without a year ("until march 1") is the next one
    from `now` in `timezone`. A phrase miscopied from the command ("every friday of every month"
    for "the last friday of every month") is read as the command says it, when it says one."""
    if text is None:
        return None
    today = (now or dt.datetime.now(dt.UTC)).astimezone(zone(timezone)).date()
    try:
        return parse_recurrence(text, today=today)
    except DateError as exc:
        if command is not None and (said := _recurrence_in(command, text, today)) is not None:
            return said
        raise InvalidInput(str(exc)) from exc


# A command that says a recurrence only to turn it down ("don't repeat it every week").
_DECLINED = re.compile(r"\b(?:not|never|no|without|stop\w*|\w+n't)\b", re.IGNORECASE)
RECURRENCE_LIKENESS_MIN = 0.6  # difflib's ratio between the model's phrase and the command's


def _recurrence_in(command: str, miscopied: str, today: dt.date) -> Recurrence | None:
    """The recurrence the command says, when the model's phrase is a miscopy of it (alike, and the
    command turns no recurrence down); None otherwise."""
    found = find_recurrence(command, today=today)
    if found is None or _DECLINED.search(command):
        return None
    phrase, recurrence = found
    alike = SequenceMatcher(None, miscopied.lower(), phrase.lower(), autojunk=False).ratio()
    return recurrence if alike >= RECURRENCE_LIKENESS_MIN else None


def due_of_series(due: str | None, recurrence: Recurrence, *, timezone: str, now: dt.datetime | None) -> str:
    """The due (ISO) a recurring task starts from (see the module's docstring): the rule's first
    occurrence from `now` when none is said, else the due said with the rule's time of day."""
    if due is None:
        try:
            return first_due(recurrence, now=now or dt.datetime.now(dt.UTC), timezone=timezone)
        except DateError as exc:
            raise InvalidInput(str(exc)) from exc
    return with_time_of_day(due, recurrence, timezone=timezone)


def with_time_of_day(due: str, recurrence: Recurrence, *, timezone: str) -> str:
    """`due` (ISO) with the recurrence's time of day: a date gets it, a datetime must already have it."""
    wanted = recurrence.time
    if wanted is None:
        return due
    tz = zone(timezone)
    if len(due) == 10:  # a date: that day at the rule's time, in the command's zone
        wall = dt.datetime.combine(dt.date.fromisoformat(due), wanted)
        try:  # a time a DST change skips moves past the gap (02:30 -> 03:30), as first_due does
            return wall.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz).isoformat()
        except OverflowError:
            raise InvalidInput(f"due {due} at {wanted:%H:%M} falls outside the years 1-9999") from None
    said = dt.datetime.fromisoformat(due).astimezone(tz).time().replace(tzinfo=None)
    if said != wanted:
        raise InvalidInput(
            f"the due says {said:%H:%M} but the recurrence says {wanted:%H:%M}; say the time of day once"
        )
    return due


def normalise(
    action: Action, *, timezone: str, now: dt.datetime | None = None, command: str | None = None
) -> TaskAction:
    """An action as it would be executed, without reading the store: due dates in ISO 8601 in
    `timezone` relative to `now`, a recurrence as its RRULE (with the due it starts from, see the
    module's docstring). A refusal is raised as CommandRefused. Given the command text, guards
    against a model that invents: a task id the text never mentions, a delete nobody asked for, a
    task named by no name (see `grounding`), a far-off due date; and names and recurrences it
    miscopied are read as the command has them (see `copying`)."""
    if isinstance(action, Refusal):
        raise CommandRefused(action.message)
    if command is not None:
        check_ids_were_said(action, command)
        action = grounded(with_names_as_typed(action, command), command)
    if isinstance(action, ListTasks):
        update = {
            "due_before": _due(action.params.due_before, timezone, now),
            "due_after": _due(action.params.due_after, timezone, now),
        }
        return action.model_copy(update={"params": action.params.model_copy(update=update)})
    if isinstance(action, (CreateTask, UpdateTask)):
        due = _due(action.params.due, timezone, now)
        said: dict[str, str | None] = {"due": due}
        recurrence = recurrence_of(action.params.recurrence, timezone, now, command)
        if recurrence is not None:
            said["recurrence"] = recurrence.rule
            if due is not None or isinstance(action, CreateTask):  # an update keeps the task's due
                said["due"] = due = due_of_series(due, recurrence, timezone=timezone, now=now)
        check_plausible_due(due, now)
        return action.model_copy(update={"params": action.params.model_copy(update=said)})
    return action


def service_request(action: Action, *, timezone: str | None = None) -> NewTask | TaskQuery | TaskPatch | None:
    """What a normalised (and prepared: the parent named by id) action asks of TaskService, in the
    task rules' own models. A recurring task keeps its wall-clock time in `timezone`, the command's
    (default: the server's). The action contract is looser than those rules (a tag of 30 "İ" is 60
    characters once lower-cased, over the tag limit): what they refuse is the caller's invalid
    input, named field by field."""
    try:
        if isinstance(action, CreateTask):
            fields = action.params.model_dump(exclude={"parent_title"}, exclude_none=True)
            if action.params.recurrence is not None and timezone is not None:
                fields["timezone"] = timezone
            # A list left unsaid stays unset: a subtask is then in its parent's list, any other
            # task in the default list.
            return NewTask.model_validate(fields)
        if isinstance(action, ListTasks):
            return TaskQuery(**action.params.model_dump())
        if isinstance(action, UpdateTask):
            fields = action.params.model_dump(exclude={"task_id", "task_title", "parent_title"}, exclude_none=True)
            if action.params.recurrence is not None and timezone is not None:
                fields["timezone"] = timezone
            return TaskPatch.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'params'}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(f"cannot {action.action.replace('_', ' ')}: {problems}") from None
    return None
