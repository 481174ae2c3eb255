"""Tasks as iCalendar, checked by parsing the document back with the same library a calendar app's
side would use, and by RFC 5545's own rules (a recurring item has a DTSTART; every item a UID and
DTSTAMP)."""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrulestr
from icalendar import Calendar

from mcp_server.core.domain import Priority, Status, Task
from mcp_server.http.calendar.ics import DONE_MARK, FeedShape, render

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def task(task_id: int, **fields: object) -> Task:
    base: dict[str, object] = {
        "id": task_id,
        "title": f"task {task_id}",
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }
    return Task.model_validate({**base, **fields})


TASKS = [
    task(1, title="Dentist", due="2026-12-04T09:00:00+01:00", priority=Priority.HIGH, tags=["health"]),
    task(2, title="Pay rent", due="2026-12-31", recurrence="FREQ=MONTHLY;BYMONTHDAY=-1", description="the flat"),
    task(3, title="Filed", due="2026-11-30", status=Status.DONE, completed_at=NOW),
    task(4, title="Someday"),  # no due: not in a calendar
]


def parsed(shape: FeedShape) -> Calendar:
    return Calendar.from_ical(render(TASKS, shape=shape, name="Tasks", owner_key="abc", now=NOW))


def test_events_show_every_dated_task_with_its_time_rule_and_state() -> None:
    calendar = parsed(FeedShape.EVENTS)
    assert calendar["X-WR-CALNAME"] == "Tasks" and calendar["VERSION"] == "2.0"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"task-{n}-abc@task-api-mcp" for n in (1, 2, 3)}
    dentist = events["task-1-abc@task-api-mcp"]
    assert dentist.decoded("DTSTART") == dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)
    assert dentist.decoded("DTEND") - dentist.decoded("DTSTART") == dt.timedelta(minutes=30)
    assert str(dentist["SUMMARY"]) == "Dentist" and dentist["PRIORITY"] == 3
    assert [str(c) for c in dentist["CATEGORIES"].cats] == ["health"]
    rent = events["task-2-abc@task-api-mcp"]
    assert rent.decoded("DTSTART") == dt.date(2026, 12, 31) and rent.decoded("DTEND") == dt.date(2027, 1, 1)
    rule = rrulestr(rent["RRULE"].to_ical().decode(), dtstart=dt.datetime(2026, 12, 31))
    assert rule.after(dt.datetime(2026, 12, 31)) == dt.datetime(2027, 1, 31)  # the month's last day
    assert str(rent["DESCRIPTION"]) == "the flat"
    assert str(events["task-3-abc@task-api-mcp"]["SUMMARY"]) == f"{DONE_MARK}Filed"
    assert all(e.decoded("DTSTAMP") == NOW and str(e["TRANSP"]) == "TRANSPARENT" for e in events.values())


def test_todos_carry_status_due_and_a_dtstart_for_their_rule() -> None:
    todos = {str(t["SUMMARY"]): t for t in parsed(FeedShape.TODOS).walk("VTODO")}
    assert set(todos) == {"Dentist", "Pay rent", "Filed"}
    assert str(todos["Dentist"]["STATUS"]) == "NEEDS-ACTION" and "DTSTART" not in todos["Dentist"]
    assert todos["Pay rent"].decoded("DUE") == dt.date(2026, 12, 31)
    assert todos["Pay rent"].decoded("DTSTART") == dt.date(2026, 12, 30)  # before DUE, as RFC 5545 requires
    filed = todos["Filed"]
    assert str(filed["STATUS"]) == "COMPLETED" and filed["PERCENT-COMPLETE"] == 100
    assert filed.decoded("COMPLETED") == NOW


def test_a_time_is_written_in_the_task_s_zone_with_its_definition_else_in_utc() -> None:
    weekly = task(
        6, title="Standup", due="2026-12-07T09:00:00+01:00", timezone="Europe/Paris", recurrence="FREQ=WEEKLY"
    )
    body = render([weekly, TASKS[0]], shape=FeedShape.EVENTS, name="Tasks", owner_key="k", now=NOW)
    assert b"DTSTART;TZID=Europe/Paris:20261207T090000" in body and b"BEGIN:VTIMEZONE" in body
    assert b"DTSTART:20261204T080000Z" in body  # no zone named: UTC, not an offset no app knows
    standup = next(e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["SUMMARY"]) == "Standup")
    start = standup.decoded("DTSTART")
    summer = rrulestr(standup["RRULE"].to_ical().decode(), dtstart=start).after(dt.datetime(2027, 7, 1, tzinfo=dt.UTC))
    assert (summer.hour, summer.utcoffset()) == (9, dt.timedelta(hours=2))  # still 9:00 in Paris in July


def test_rules_run_as_the_server_runs_them() -> None:
    nightly = task(7, title="Backup", due="2026-03-23T00:30:00+01:00", recurrence="FREQ=WEEKLY;BYDAY=MO")
    dated_until = task(8, title="Water", due="2026-12-05", recurrence="FREQ=DAILY;UNTIL=20261210T120000Z")
    timed_until = task(9, title="Pill", due="2026-12-05T08:00:00Z", recurrence="FREQ=DAILY;UNTIL=20261210")
    after_done = task(
        10, title="Haircut", due="2026-12-20", recurrence="FREQ=WEEKLY;INTERVAL=6", repeat_from="completion"
    )
    tasks = [nightly, dated_until, timed_until, after_done]
    body = render(tasks, shape=FeedShape.EVENTS, name="Tasks", owner_key="k", now=NOW, default_zone="Europe/Paris")
    assert b"X-PUBLISHED-TTL:PT15M" in body
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    backup = events["Backup"]  # no zone of its own: the server's default, in which its weeks are counted
    assert b"DTSTART;TZID=Europe/Paris:20260323T003000" in body
    next_run = rrulestr(backup["RRULE"].to_ical().decode(), dtstart=backup.decoded("DTSTART")).after(
        backup.decoded("DTSTART")
    )
    assert (next_run.weekday(), next_run.hour, next_run.minute) == (0, 0, 30)  # Monday 00:30 local, after DST too
    water_until = events["Water"]["RRULE"]["UNTIL"][0]  # a timed UNTIL on a dated rule: that day
    assert water_until == dt.date(2026, 12, 10) and not isinstance(water_until, dt.datetime)
    assert b"UNTIL=20261210T235959Z" in body  # a date UNTIL on a timed rule: the end of that day
    assert "RRULE" not in events["Haircut"]  # repeats from its completion: only the next due is known


def test_titles_with_commas_semicolons_and_newlines_come_back_unchanged() -> None:
    tricky = task(5, title="Call mum; then dad, and\\ nobody", description="line one\nline two", due="2026-12-05")
    calendar = Calendar.from_ical(render([tricky], shape=FeedShape.EVENTS, name="Tasks", owner_key="k", now=NOW))
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Call mum; then dad, and\\ nobody"
    assert str(event["DESCRIPTION"]) == "line one\nline two"
