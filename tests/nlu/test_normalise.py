"""Normalising an action without the store: a recurrence said in words becomes its RRULE and the due
it starts from, in the command's timezone; a phrase the parser does not know is the caller's error."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mcp_server.core.errors import InvalidInput, InvalidModelOutput
from mcp_server.nlu.actions import CreateTask, UpdateTask, parse_action
from mcp_server.nlu.normalise import normalise, with_time_of_day
from mcp_server.nlu.recurrence import Recurrence

NOW = dt.datetime(2026, 11, 28, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Saturday afternoon


def created(params: dict[str, Any], timezone: str = "Europe/Paris") -> CreateTask:
    action = normalise(
        parse_action({"action": "create_task", "params": {"title": "x", **params}}), timezone=timezone, now=NOW
    )
    assert isinstance(action, CreateTask)
    return action


@pytest.mark.parametrize(
    ("said", "due", "timezone", "rule", "first"),
    [
        # no due said: the first occurrence from now, a date unless a time of day was said
        ("every monday", None, "Europe/Paris", "FREQ=WEEKLY;BYDAY=MO", "2026-11-30"),
        ("every 2 weeks", None, "Europe/Paris", "FREQ=WEEKLY;INTERVAL=2", "2026-11-28"),
        ("monthly on the 1st", None, "Europe/Paris", "FREQ=MONTHLY;BYMONTHDAY=1", "2026-12-01"),
        ("every weekday at 9", None, "Europe/Paris", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-11-30T09:00:00+01:00"),
        ("every day at 9", None, "Europe/Paris", "FREQ=DAILY", "2026-11-29T09:00:00+01:00"),  # 09:00 today is past
        ("every day at 9", None, "America/New_York", "FREQ=DAILY", "2026-11-28T09:00:00-05:00"),  # 09:00 is to come
        ("every evening", None, "Europe/Paris", "FREQ=DAILY", "2026-11-28T18:00:00+01:00"),
        ("every year on feb 29", None, "UTC", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2028-02-29"),
        ("every monday until march 1", None, "UTC", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301", "2026-11-30"),  # next March
        ("every day for 3 days", None, "UTC", "FREQ=DAILY;COUNT=3", "2026-11-28"),
        # a due said: kept; a date gets the rule's time of day
        ("every monday", "friday", "Europe/Paris", "FREQ=WEEKLY;BYDAY=MO", "2026-12-04"),
        ("every friday at 5pm", "Friday", "Europe/Paris", "FREQ=WEEKLY;BYDAY=FR", "2026-12-04T17:00:00+01:00"),
        ("every friday at 5pm", "2026-12-04", "America/New_York", "FREQ=WEEKLY;BYDAY=FR", "2026-12-04T17:00:00-05:00"),
        ("every day at 9", "tomorrow 9am", "Europe/Paris", "FREQ=DAILY", "2026-11-29T09:00:00+01:00"),
        ("daily", "tomorrow 5pm", "Europe/Paris", "FREQ=DAILY", "2026-11-29T17:00:00+01:00"),
    ],
)
def test_a_recurrence_becomes_its_rule_and_the_due_it_starts_from(
    said: str, due: str | None, timezone: str, rule: str, first: str
) -> None:
    action = created({"recurrence": said} | ({"due": due} if due else {}), timezone)
    assert (action.params.recurrence, action.params.due) == (rule, first)


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"recurrence": "every few days"}, "cannot use the recurrence 'every few days': it does not say how many"),
        ({"recurrence": "when pigs fly"}, "cannot understand the recurrence 'when pigs fly'; say e.g. 'every monday'"),
        ({"recurrence": "bimonthly"}, "cannot use the recurrence 'bimonthly'"),
        ({"recurrence": "every day at 9", "due": "tomorrow 5pm"}, "the due says 17:00 but the recurrence says 09:00"),
        ({"recurrence": "every monday", "due": "when pigs fly"}, "cannot understand the due date"),
        ({"recurrence": "every monday until 2026-01-05"}, "has no occurrence on or after 2026-11-28"),
    ],
)
def test_a_recurrence_it_cannot_use_is_invalid_input_naming_the_phrase(params: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        created(params)


def test_without_a_recurrence_nothing_changes() -> None:
    action = created({"due": "Friday"})
    assert (action.params.recurrence, action.params.due) == (None, "2026-12-04")
    assert created({}).params.due is None


def test_an_update_keeps_the_task_s_due_unless_one_is_said() -> None:
    """Normalising cannot read the task's due: without one said, the executor sets where it starts."""
    update = {"action": "update_task", "params": {"task_id": 3, "recurrence": "every weekday at 9"}}
    kept = normalise(parse_action(update), timezone="Europe/Paris", now=NOW)
    assert isinstance(kept, UpdateTask)
    assert (kept.params.recurrence, kept.params.due) == ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", None)
    update["params"] |= {"due": "monday"}
    moved = normalise(parse_action(update), timezone="Europe/Paris", now=NOW)
    assert isinstance(moved, UpdateTask) and moved.params.due == "2026-11-30T09:00:00+01:00"


def test_a_time_of_day_a_dst_change_skips_moves_past_the_gap() -> None:
    """02:30 does not exist in Paris on 2027-03-28: the series starts at 03:30, as first_due does."""
    at_half_two = Recurrence("FREQ=WEEKLY;BYDAY=SU", dt.time(2, 30))
    assert with_time_of_day("2027-03-28", at_half_two, timezone="Europe/Paris") == "2027-03-28T03:30:00+02:00"
    assert with_time_of_day("2027-03-21", at_half_two, timezone="Europe/Paris") == "2027-03-21T02:30:00+01:00"
    assert with_time_of_day("2027-03-21", Recurrence("FREQ=DAILY"), timezone="Europe/Paris") == "2027-03-21"


def test_a_parent_id_the_command_never_mentions_is_refused() -> None:
    invented = parse_action({"action": "create_task", "params": {"title": "Buy nails", "parent_id": 7}})
    with pytest.raises(InvalidModelOutput, match="about parent task 7, but it mentions no task 7"):
        normalise(invented, timezone="UTC", command="add buy nails under the shed task")
    said = normalise(invented, timezone="UTC", command="add buy nails as a subtask of task 7")
    assert isinstance(said, CreateTask) and said.params.parent_id == 7
