"""Names an answer copies from the command come out as the command types them: a slip one word
away from a run of the command's words is replaced by that run, anything else is left alone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mcp_server.core.errors import CommandRefused, InvalidInput
from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.copying import copied_from, with_names_as_typed
from mcp_server.nlu.normalise import normalise

NOW = dt.datetime(2026, 11, 28, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Saturday afternoon


@pytest.mark.parametrize(
    ("name", "command", "typed"),
    [
        # slips of the model, as the typed dev set shows them
        (
            "Restake the feature branch",
            "put down that I need to rebase the feature branch",
            "Rebase the feature branch",
        ),
        ("Fill up the timesheet", "i fill in the timesheet every month on the 1st", "Fill in the timesheet"),
        ("presentes", "no need for presents anymore, bin it", "presents"),
        # the person's spelling and case win, the answer's first letter stays
        ("reykjavk trip", "i've sorted the 'Reykjavik trip' task", "Reykjavik trip"),
        ("Order new headphones", "crete a taks: order new headphnes", "Order new headphnes"),
        # already a run of the command's words (case and quotes aside): unchanged
        ("Call mum", "remind me to call mum", "Call mum"),
        ("blinds", "Please set the task 'blinds' to completed.", "blinds"),
        (
            "Sort out the kids' swimming lessons",
            "titled 'sort out the kids' swimming lessons'",
            "Sort out the kids' swimming lessons",
        ),
        # made up, or too far from any run: the answer's own
        ("Wake up", "wake me at 6am on monday", "Wake up"),
        ("Alarm", "remind me at five pm", "Alarm"),
        ("Water the plants", "remind me to feed the cat", "Water the plants"),
        ("Buy storage boxes for the shed", "buy boxes", "Buy storage boxes for the shed"),
        ("", "anything", ""),
    ],
)
def test_a_copied_name_is_read_as_typed(name: str, command: str, typed: str) -> None:
    assert copied_from(name, command) == typed


def test_only_the_names_of_an_action_are_replaced() -> None:
    action = parse_action(
        {
            "action": "update_task",
            "params": {"task_title": "tyre presure", "title": "Iron the blu shirts", "priority": "high"},
        }
    )
    fixed = with_names_as_typed(action, "call the tyre pressure task 'Iron the blue shirts', high priority")
    assert fixed.model_dump(exclude_none=True) == {
        "action": "update_task",
        "params": {"task_title": "tyre pressure", "title": "Iron the blue shirts", "priority": "high"},
    }
    listing = parse_action({"action": "list_tasks", "params": {"search": "boilr"}})
    assert with_names_as_typed(listing, "any task with boiler in it") is listing  # a search is not a name


def test_normalise_reads_names_and_a_miscopied_recurrence_from_the_command() -> None:
    command = "take my vitamns - this repeats the last friday of every month"
    answer = {
        "action": "create_task",
        "params": {"title": "Take my vitamins", "recurrence": "this friday of every month"},
    }
    action = normalise(parse_action(answer), timezone="Europe/Paris", now=NOW, command=command)
    assert action.model_dump(exclude_none=True)["params"] == {
        "title": "Take my vitamns",
        "recurrence": "FREQ=MONTHLY;BYDAY=-1FR",
        "due": "2026-12-25",
    }


def test_a_recurrence_the_command_does_not_say_either_is_still_refused() -> None:
    answer = {"action": "create_task", "params": {"title": "Gym", "recurrence": "twice a week"}}
    with pytest.raises(InvalidInput, match="twice a week"):
        normalise(parse_action(answer), timezone="UTC", now=NOW, command="gym twice a week")
    without_command = {"action": "create_task", "params": {"title": "Post", "recurrence": "this friday of every month"}}
    with pytest.raises(InvalidInput):
        normalise(parse_action(without_command), timezone="UTC", now=NOW)


def test_a_run_broken_by_a_line_or_a_long_gap_or_a_long_name_is_left_alone() -> None:
    assert copied_from("Rebase feature brunch", "add rebase " + ". " * 380 + "feature branch") == (
        "Rebase feature brunch"
    )
    assert copied_from("Rebase the feature brunch", "rebase the\nfeature branch") == "Rebase the feature brunch"
    long_name = " ".join(["word"] * 16 + ["slipp"])
    assert copied_from(long_name, " ".join(["word"] * 16 + ["slip"])) == long_name


def test_a_name_is_checked_after_it_is_read_as_typed() -> None:
    """A pointer miscopied ("thinh from earlier") is still no name once it is read as typed."""
    answer = parse_action({"action": "complete_task", "params": {"task_title": "Thinh from earlier"}})
    with pytest.raises(CommandRefused, match="names no task"):
        normalise(answer, timezone="UTC", now=NOW, command="finish the thing from earlier")


def test_a_recurrence_the_command_turns_down_is_not_read_from_it() -> None:
    answer = {"action": "create_task", "params": {"title": "Buy milk", "recurrence": "never"}}
    with pytest.raises(InvalidInput):
        normalise(parse_action(answer), timezone="UTC", now=NOW, command="add buy milk, but don't repeat it every week")
