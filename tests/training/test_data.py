"""The training commands: valid, varied, reproducible, and never an evaluation command."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from pathlib import Path

import pytest

from mcp_server.nlu.actions import ACTION_NAMES, parse_action
from mcp_server.nlu.dates import resolve_due
from mcp_server.nlu.normalise import check_ids_were_said
from mcp_server.nlu.recurrence import parse_recurrence
from mcp_server.training.composers import Example, date_phrase
from mcp_server.training.data import action_counts, generate, held_out_commands, normalised, training_set
from mcp_server.training.finetune import TrainConfig
from mcp_server.training.hwu64 import load_requests
from mcp_server.training.pipeline import HELD_OUT as PIPELINE_HELD_OUT
from mcp_server.training.refusals import BULK, INJECTION, NOT_A_TASK, WHICH_TASK
from mcp_server.training.vocabulary import DATES
from mcp_server.training.wording import typo

ROOT = Path(__file__).parents[2]
EVAL = ROOT / "eval"
HELD_OUT = [EVAL / "dev.jsonl", EVAL / "test.jsonl"]
PIPELINE = [ROOT / path for path in PIPELINE_HELD_OUT]


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return generate(2000, seed=7, exclude=held_out_commands(HELD_OUT))


def test_every_label_is_a_valid_action_and_every_command_distinct(examples: list[Example]) -> None:
    assert len({normalised(e.command) for e in examples}) == len(examples) == 2000
    for example in examples:
        assert parse_action(example.target()).action == example.action["action"]


def test_no_evaluation_command_is_trained_on(examples: list[Example]) -> None:
    held_out = held_out_commands(HELD_OUT)
    assert len(held_out) > 300
    assert not {normalised(e.command) for e in examples} & held_out


def test_an_excluded_command_is_never_generated() -> None:
    first = generate(50, seed=3)
    again = generate(50, seed=3, exclude={normalised(first[0].command)})
    assert normalised(first[0].command) not in {normalised(e.command) for e in again}


def test_the_same_seed_gives_the_same_data() -> None:
    assert generate(300, seed=11) == generate(300, seed=11)
    assert generate(300, seed=11) != generate(300, seed=12)


def test_the_training_set_is_pinned() -> None:
    """The shipped adapter was trained on this data (`task-api-mcp train`'s defaults): a change to
    the words, the labels or the order of the random draws changes the training set, which is then a
    decision (retrain, update the digest)."""
    config = TrainConfig()
    examples = training_set(
        config.examples, human_refusals=config.human_refusals, seed=config.seed, exclude=held_out_commands(PIPELINE)
    )
    lines = "\n".join(f"{e.command}\t{e.target()}" for e in examples)
    assert hashlib.sha256(lines.encode()).hexdigest() == (
        "3ea9261c14ad0823629cf22634dd1804c43eb99c85328db26061aec3e704fa71"
    )


def test_the_training_set_holds_people_and_composed_commands_once_each() -> None:
    """HWU64's train part comes first (every task request, labelled), composed commands after;
    nothing twice, nothing held out."""
    held_out = held_out_commands(PIPELINE)
    examples = training_set(300, human_refusals=200, seed=4, exclude=held_out)
    keys = [normalised(e.command) for e in examples]
    assert len(keys) == len(set(keys)) and not set(keys) & held_out
    requests = [r for r in load_requests(ROOT / "data" / "hwu64") if r.split == "train"]
    said = {normalised(r.text) for r in requests}
    human = [e for e in examples if normalised(e.command) in said]
    tasks = {normalised(r.text) for r in requests if r.is_task_request}
    assert {normalised(e.command) for e in human} >= tasks - held_out
    assert len(human) - len(tasks) <= 200  # at most the refusals asked for (some are typed variants instead)
    assert keys[-300:] == [normalised(e.command) for e in generate(300, seed=4, exclude=set(keys[:-300]) | held_out)]


def test_every_action_and_every_kind_of_refusal_is_well_represented(examples: list[Example]) -> None:
    counts = action_counts(examples)
    assert set(counts) == set(ACTION_NAMES)
    assert min(n for name, n in counts.items() if name != "restore_task") >= 0.05 * len(examples)
    assert counts["restore_task"] >= 0.015 * len(examples)  # rare in requests, and the rules answer the plain ones
    messages = {e.action["message"] for e in examples if e.action["action"] == "error"}
    assert messages == {NOT_A_TASK, WHICH_TASK, BULK, INJECTION}


def test_params_vary_as_the_contract_allows(examples: list[Example]) -> None:
    seen = {(e.action["action"], key) for e in examples for key in e.action.get("params", {})}
    for pair in [
        ("create_task", "due"),
        ("create_task", "priority"),
        ("create_task", "tags"),
        ("create_task", "description"),
        ("list_tasks", "status"),
        ("list_tasks", "priority"),
        ("list_tasks", "tag"),
        ("list_tasks", "due_before"),
        ("list_tasks", "due_after"),
        ("list_tasks", "search"),
        ("list_tasks", "list"),
        ("create_task", "list"),
        ("create_task", "recurrence"),
        ("create_task", "parent_title"),
        ("restore_task", "task_id"),
        ("restore_task", "task_title"),
        ("update_task", "task_id"),
        ("update_task", "task_title"),
        ("update_task", "title"),
        ("update_task", "status"),
        ("update_task", "tags"),
        ("complete_task", "task_title"),
        ("delete_task", "task_id"),
    ]:
        assert pair in seen, pair


def test_labels_copy_what_the_command_says(examples: list[Example]) -> None:
    """Ids appear in the text (the server's own guard), dates and titles are copied from it."""
    for example in examples:
        action = parse_action(example.action)
        check_ids_were_said(action, example.command)
        params = example.action.get("params", {})
        text = example.command.lower()
        if "due" in params:
            assert params["due"].lower() in text, example
        for key in ("title", "task_title", "search"):
            if key in params and example.action["action"] != "update_task":
                assert params[key].lower() in text, example


def test_every_date_phrase_resolves() -> None:
    now = dt.datetime.fromisoformat("2026-11-28T15:00:00+01:00")
    rng = random.Random(3)
    phrases = set(DATES) | {date_phrase(rng) for _ in range(3000)}
    assert any(p[0].isupper() for p in phrases) and any(p.startswith("in ") for p in phrases)
    for phrase in phrases:
        assert re.match(r"\d{4}-\d{2}-\d{2}", resolve_due(phrase, "Europe/Paris", now)), phrase


def test_every_recurrence_is_one_the_server_reads(examples: list[Example]) -> None:
    phrases = {e.action["params"]["recurrence"] for e in examples if "recurrence" in e.action.get("params", {})}
    assert len(phrases) >= 10
    for phrase in phrases:
        parse_recurrence(phrase)  # raises DateError naming the phrase


def test_typos_change_one_word_of_the_phrasing() -> None:
    rng = random.Random(1)
    for _ in range(200):
        changed = typo("please remember this task", rng)
        assert changed != "please remember this task"
        assert len(changed.split()) == 4
