"""A destructive answer the command does not ground is refused: a delete nobody asked for (unless
the command states the task is done: then it is its complete), a complete the command
contradicts, a task named by no name. Every labelled delete of the dev sets
still passes, and all but a few three-letter slips of the training set's; every labelled complete
passes."""

import json
from pathlib import Path
from typing import Any

import pytest

from mcp_server.core.errors import CommandRefused, InvalidModelOutput
from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.grounding import asks_for_deletion, grounded, says_it_is_done
from mcp_server.nlu.normalise import normalise
from mcp_server.training.data import generate
from mcp_server.training.hwu64 import HWU64, load_labels, load_requests, training_examples

ROOT = Path(__file__).parents[2]
DEV_SETS = [ROOT / "eval" / "dev.jsonl", ROOT / "eval" / "hwu64-dev.jsonl"]


def action(name: str, **params: Any) -> Any:
    return parse_action({"action": name, "params": params})


@pytest.mark.parametrize(
    "command",
    [
        "move task 3 to friday",
        "rename task 3 to 'call mum'",
        "is task 3 done?",
        "did I finish task 3",
        "task 3",
        # said of another task, negated, doubted, a need, a question, a listing
        "task 3 is finished, and task 7 can wait",
        "don't mark task 3 as done",
        "never mark task 3 as done",
        "task 3 needs to get done",
        "Task 3 is done? not sure",
        "please show tasks that are done, like task 3",
        "I doubt task 3 is finished",
        "if task 3 is finished then ok",
        "finished off the task 3 shirts",  # "off the" that is no list
    ],
)
def test_a_delete_nobody_asked_for_is_refused(command: str) -> None:
    with pytest.raises(InvalidModelOutput, match="asks for no delete"):
        grounded(action("delete_task", task_id=3), command)


@pytest.mark.parametrize(
    "command",
    ["Task 3 can be marked off now", "tick off task 3", "task 3 is done", "I finished task 3", "knocked out task 3"],
)
def test_a_delete_of_a_task_the_command_says_is_done_is_its_complete(command: str) -> None:
    assert grounded(action("delete_task", task_id=3), command) == action("complete_task", task_id=3)
    assert grounded(action("complete_task", task_id=3), command) == action("complete_task", task_id=3)
    by_title = grounded(action("delete_task", task_title="flu jab"), command)
    assert by_title == action("complete_task", task_title="flu jab")


@pytest.mark.parametrize(
    "command",
    [
        "delete task 3",
        "deleete task 3",  # one slip of the keyboard
        "cancle task 3",
        "bin task 3",
        "get rid of task 3",
        "I don't need task 3 anymore",
        "take task 3 off my list",
        "never mind task 3",
        "turn off the 7am alarm",
        "take out the milk from the shopping list",
        "supprime la tâche 3",
    ],
)
def test_words_that_ask_for_a_delete_let_it_through(command: str) -> None:
    assert asks_for_deletion(command)
    grounded(action("delete_task", task_id=3), command)


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("un-complete the boiler task", "not done"),
        ("reopen task 3", "not done"),
        ("task 3 isn't done yet", "not done"),
        ("Bin task 3", "asks for a delete"),
        ("nuke #3", "asks for a delete"),
    ],
)
def test_a_complete_the_command_contradicts_is_refused(command: str, why: str) -> None:
    with pytest.raises(InvalidModelOutput, match=why):
        grounded(action("complete_task", task_id=3), command)


@pytest.mark.parametrize(
    "command",
    ["task 3 is done", "knock task 3 off the list, it's done", "polished off task 3", "tick off #3", "finished 3"],
)
def test_a_complete_the_command_asks_for_passes(command: str) -> None:
    grounded(action("complete_task", task_id=3), command)


def test_every_labelled_complete_passes() -> None:
    human = training_examples(load_requests(HWU64), load_labels(HWU64), refusals=0, seed=1)
    commands = [e.command for e in human + generate(3000, seed=7) if e.action["action"] == "complete_task"]
    for path in DEV_SETS:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        commands += [row["command"] for row in rows if row["expected"]["action"] == "complete_task"]
    assert len(commands) > 200
    for command in commands:
        grounded(action("complete_task", task_id=3), command)


@pytest.mark.parametrize("title", ["thing", "the thing", "that one", "it", "the task from earlier", "stuff"])
@pytest.mark.parametrize("name", ["complete_task", "delete_task", "update_task", "restore_task"])
def test_a_task_named_by_no_name_is_a_question(name: str, title: str) -> None:
    params: dict[str, Any] = {"task_title": title}
    if name == "update_task":
        params["priority"] = "high"
    with pytest.raises(CommandRefused, match="which task do you mean"):
        grounded(action(name, **params), f"delete finish restore {title}")


def test_a_real_title_and_a_new_task_pass() -> None:
    grounded(action("complete_task", task_title="the fern"), "finish the fern task")
    grounded(action("complete_task", task_title="thing 2"), "finish thing 2")
    grounded(action("create_task", title="Thing"), "add a task called thing")
    grounded(action("complete_task", task_title="thing"), "mark 'Thing' as done")  # a task may be called that


def test_normalise_refuses_what_the_command_does_not_ground() -> None:
    with pytest.raises(InvalidModelOutput):
        normalise(action("delete_task", task_id=21), timezone="UTC", command="move task 21 to friday")
    done = normalise(action("delete_task", task_id=21), timezone="UTC", command="task 21 can be marked off now")
    assert done == action("complete_task", task_id=21)
    with pytest.raises(CommandRefused):
        normalise(action("complete_task", task_title="thing"), timezone="UTC", command="finish the thing from earlier")


def test_no_dev_command_the_labels_do_not_complete_states_that_a_task_is_done() -> None:
    """What lets a delete become a complete: in the dev sets, only labelled completes say a task is
    done, but for two that another check refuses first (a bulk delete, which also asks for a delete,
    and a task named only "that")."""
    stated = []
    for path in DEV_SETS:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["expected"]["action"] != "complete_task" and says_it_is_done(row["command"]):
                stated.append(row["command"])
    assert stated == ["Delete all tasks where status is done.", "that's done now"]


def test_every_labelled_delete_of_the_dev_sets_passes() -> None:
    for path in DEV_SETS:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["expected"]["action"] == "delete_task":
                assert asks_for_deletion(row["command"]), row["command"]


def test_the_training_deletes_pass_but_for_a_few_short_slips() -> None:
    human = training_examples(load_requests(HWU64), load_labels(HWU64), refusals=0, seed=1)
    examples = human + generate(3000, seed=7)
    deletes = [e.command for e in examples if e.action["action"] == "delete_task"]
    missed = [command for command in deletes if not asks_for_deletion(command)]
    assert len(deletes) > 300
    assert len(missed) <= len(deletes) // 100, missed


def test_an_update_that_changes_nothing_is_refused() -> None:
    with pytest.raises(InvalidModelOutput, match="changes nothing"):
        grounded(action("update_task", task_id=21), "Did #21 already")
    with pytest.raises(InvalidModelOutput, match="changes nothing"):
        grounded(action("update_task", task_title="fern"), "the fern one")
    moved = action("update_task", task_id=21, priority="low")
    assert grounded(moved, "task 21 is low priority") == moved
