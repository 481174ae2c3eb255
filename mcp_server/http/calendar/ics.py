"""Tasks as iCalendar (RFC 5545), built with the `icalendar` library.

Two shapes, because calendar apps differ: events (VEVENT, the default), which every app shows
(Google Calendar shows nothing else), and to-dos (VTODO), which task-aware apps (Thunderbird,
Evolution) show as tasks with their status. A task dated by a day is an all-day item, one dated by a
time a 30-minute one at that time; a recurring task carries its RRULE from its current due on; a
completed task is STATUS:COMPLETED as a to-do, and marked "✓" in its summary as an event.
A time is written in the zone its recurrence counts in (the task's, else the server's default).
A task that repeats from its completion shows its next due only: later ones are not known yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Todo, vDuration, vRecur

from mcp_server import __version__
from mcp_server.core.domain import Priority, Status, Task
from mcp_server.core.recurrence import RepeatFrom

PRODUCT_ID = f"-//Task API MCP//task-api-mcp {__version__}//EN"
TIMED_LENGTH = dt.timedelta(minutes=30)
REFRESH = dt.timedelta(minutes=15)  # how often apps are asked to fetch it again
DONE_MARK = "✓ "
# RFC 5545 PRIORITY: 1 highest, 9 lowest, 0 undefined.
PRIORITIES = {Priority.URGENT: 1, Priority.HIGH: 3, Priority.NORMAL: 5, Priority.LOW: 9}


class FeedShape(StrEnum):
    EVENTS = "events"
    TODOS = "todos"


def due_value(task: Task, default_zone: str) -> dt.date | dt.datetime:
    """A task's due as iCalendar takes it: a date; or a time in the zone its recurrence is counted
    in (the task's own, else the server's default), named with TZID and defined by a VTIMEZONE in
    the document, so a weekly 9:00 stays 9:00 across daylight saving. A fixed offset is no zone a
    calendar app knows; UTC is the last resort."""
    assert task.due is not None
    if len(task.due) == 10:
        return dt.date.fromisoformat(task.due)
    instant = dt.datetime.fromisoformat(task.due)
    for name in (task.timezone, default_zone):
        if name:
            try:
                return instant.astimezone(ZoneInfo(name))
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return instant.astimezone(dt.UTC)


def rule_for(task: Task, start: dt.date | dt.datetime) -> vRecur | None:
    """The task's RRULE as its series will really run, with UNTIL of DTSTART's type (RFC 5545);
    none for a task that repeats from its completion, whose next due is not known until then."""
    if not task.recurrence or task.repeat_from == RepeatFrom.COMPLETION:
        return None
    rule: vRecur = vRecur.from_ical(task.recurrence.removeprefix("RRULE:"))
    until = rule.get("UNTIL")
    if until:
        end = until[0]
        if isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            end = dt.datetime.combine(end, dt.time(23, 59, 59), tzinfo=dt.UTC)
        elif not isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
            end = end.date()
        elif isinstance(end, dt.datetime):
            end = end.astimezone(dt.UTC)
        rule["UNTIL"] = [end]
    return rule


def task_uid(task: Task, owner_key: str) -> str:
    """Stable across fetches, so apps update an item instead of adding another; distinct between
    principals, whose task ids are the store's own."""
    return f"task-{task.id}-{owner_key}@task-api-mcp"


def render(
    tasks: Iterable[Task], *, shape: FeedShape, name: str, owner_key: str, now: dt.datetime, default_zone: str = "UTC"
) -> bytes:
    """The calendar of `tasks` that have a due; others are left out."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for task in tasks:
        if task.due is None:
            continue
        start = due_value(task, default_zone)
        item = _todo(task, start) if shape == FeedShape.TODOS else _event(task, start)
        item.add("uid", task_uid(task, owner_key))
        item.add("dtstamp", now)
        item.add("created", task.created_at)
        item.add("last-modified", task.updated_at)
        item.add("sequence", task.version)
        if task.description:
            item.add("description", task.description)
        if task.tags:
            item.add("categories", task.tags)
        item.add("priority", PRIORITIES[task.priority])
        rule = rule_for(task, start)
        if rule is not None:
            item.add("rrule", rule)
        calendar.add_component(item)
    calendar.add_missing_timezones()
    document: bytes = calendar.to_ical()
    return document


def _event(task: Task, start: dt.date | dt.datetime) -> Event:
    event = Event()
    done = task.status == Status.DONE
    event.add("summary", f"{DONE_MARK}{task.title}" if done else task.title)
    event.add("dtstart", start)
    if isinstance(start, dt.datetime):
        event.add("dtend", start + TIMED_LENGTH)
    else:
        event.add("dtend", start + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: it does not make the person busy
    return event


def _todo(task: Task, due: dt.date | dt.datetime) -> Todo:
    todo = Todo()
    todo.add("summary", task.title)
    todo.add("due", due)
    if rule_for(task, due) is not None:
        # An RRULE counts from DTSTART, which a VTODO then needs, and DUE must come after it: the
        # to-do starts a day (a dated one) or half an hour (a timed one) before it is due.
        todo.add("dtstart", due - (TIMED_LENGTH if isinstance(due, dt.datetime) else dt.timedelta(days=1)))
    if task.status == Status.DONE:
        todo.add("status", "COMPLETED")
        todo.add("percent-complete", 100)
        if task.completed_at is not None:
            todo.add("completed", task.completed_at)
    else:
        todo.add("status", "NEEDS-ACTION")
    return todo
