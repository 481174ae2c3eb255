"""HWU64 as vendored, split and labelled: the data is the published data, the split is fixed and
disjoint, every task request is labelled by the mapping's rules, and the evaluation files are what
the labels say."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mcp_server.core.domain import parse_due
from mcp_server.core.errors import TaskError
from mcp_server.nlu.actions import ACTION_ADAPTER
from mcp_server.nlu.evaluation import load_dataset, params_match
from mcp_server.nlu.guards import refusal_for
from mcp_server.nlu.normalise import normalise
from mcp_server.nlu.rules import parse_rules
from mcp_server.training.data import generate, held_out_commands, normalised
from mcp_server.training.hwu64 import (
    ALLOWED_ACTIONS,
    DATE_PARAMS,
    EVAL_NOW,
    EVAL_TIMEZONE,
    REFUSALS,
    SHARES,
    Label,
    Request,
    evaluation_rows,
    labelled,
    load_labels,
    load_requests,
    split_of,
    training_examples,
    typed_variant,
)
from mcp_server.training.pipeline import HELD_OUT

ROOT = Path(__file__).parents[2]
DATA = ROOT / "data" / "hwu64"
PUBLISHED_SHA256 = "32c7df199e08ba928ff80c6482be9f4d8475f5c055f52d1c3411a249604bdaad"
# Words a label may hold that the request need not say: the default title of an alarm.
DEFAULT_WORDS = {"alarm"}


@pytest.fixture(scope="module")
def requests() -> list[Request]:
    return load_requests(DATA)


@pytest.fixture(scope="module")
def labels() -> dict[int, Label]:
    return load_labels(DATA)


def test_the_data_is_the_published_data_with_its_licence_and_attribution(requests: list[Request]) -> None:
    assert hashlib.sha256((DATA / "hwu64_annotated.jsonl").read_bytes()).hexdigest() == PUBLISHED_SHA256
    assert len(requests) == 11_033 and len({r.text for r in requests}) == 11_033
    assert len({r.intent for r in requests}) == 64
    assert "Attribution 4.0 International" in (DATA / "LICENSE").read_text(encoding="utf-8")
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for credit in ("Xingkun Liu", "Verena Rieser", "IWSDS 2019", "NLU-Evaluation-Data", "Attribution 4.0"):
        assert credit in readme


def test_the_split_is_disjoint_fixed_and_near_its_shares(requests: list[Request]) -> None:
    parts = Counter(r.split for r in requests)
    assert sum(parts.values()) == len(requests)
    for part, share in SHARES.items():
        assert abs(parts[part] / len(requests) * 100 - share) < 2, parts
    for intent in {r.intent for r in requests}:
        assert {r.split for r in requests if r.intent == intent} == {"train", "dev", "test"}, intent
    assert all(split_of(r.text) == r.split for r in requests[:100])  # from the text alone


def test_the_split_is_pinned(requests: list[Request]) -> None:
    """Moving a request between parts would put a held-out request into training."""
    test_ids = ",".join(str(r.id) for r in requests if r.split == "test")
    assert hashlib.sha256(test_ids.encode()).hexdigest() == (
        "d224e395b905af28bedc49d655d966bb904051cbae6fd177d56def404e7c0c47"
    )


def test_every_task_request_has_one_label_that_follows_the_mapping(
    requests: list[Request], labels: dict[int, Label]
) -> None:
    tasks = {r.id: r for r in requests if r.is_task_request}
    assert set(labels) == set(tasks), "every calendar, alarm and lists request is labelled, nothing else"
    for request_id, label in labels.items():
        request = tasks[request_id]
        assert label.name in ALLOWED_ACTIONS[request.intent], (request.text, label.action)
        if label.name == "error":
            assert label.action["message"] in REFUSALS, (request.text, label.action)


def _words(text: str) -> set[str]:
    return {word.removesuffix("'s") for word in re.findall(r"[\w']+", text.lower())}


def test_labels_take_their_words_from_the_request(requests: list[Request], labels: dict[int, Label]) -> None:
    """Titles, searches and lists are what the person said, not words a labeller made up. (Dates
    may be put in words the server reads: "the next two days" as "in two days".)"""
    texts = {r.id: r.text for r in requests}
    unsaid = []
    for request_id, label in labels.items():
        said = _words(texts[request_id]) | DEFAULT_WORDS
        for key, value in label.action.get("params", {}).items():
            if key in ("title", "task_title", "search", "list"):
                missing = _words(str(value)) - said
                if missing:
                    unsaid.append((texts[request_id], key, value, missing))
    assert len(unsaid) <= 5, unsaid  # a handful of rewordings ("meeting with john" for "i have a meeting with john")


def test_held_out_labels_have_their_dates_written_out(requests: list[Request], labels: dict[int, Label]) -> None:
    parts = {r.id: r.split for r in requests}
    for request_id, label in labels.items():
        params = label.action.get("params", {})
        if parts[request_id] == "train":
            continue
        for key in DATE_PARAMS:
            if key in params and "recurrence" not in params:
                assert key in label.resolved, (request_id, label.action)
                parse_due(label.resolved[key])  # ISO 8601, as the server stores it


def test_no_bulk_or_unnamed_remove_is_a_delete(requests: list[Request], labels: dict[int, Label]) -> None:
    texts = {r.id: r.text for r in requests}
    bulk = re.compile(r"\b(all|every|everything|entire|whole)\b")
    for request_id, label in labels.items():
        if label.name == "delete_task":
            assert not bulk.search(texts[request_id]), (texts[request_id], label.action)
            generic = ("it", "this", "that", "event", "events", "item", "items", "list", "calendar", "everything")
            assert label.action["params"]["task_title"].lower() not in generic, (texts[request_id], label.action)


@pytest.mark.parametrize("part", ["dev", "test"])
def test_the_evaluation_files_are_what_the_labels_say(part: str) -> None:
    path = ROOT / "eval" / f"hwu64-{part}.jsonl"
    built = evaluation_rows(part, DATA)  # type: ignore[arg-type]
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == built, (
        "run python scripts/build_hwu64_eval.py"
    )
    rows = load_dataset(path)
    assert {row["expected"]["action"] for row in rows} >= {"create_task", "list_tasks", "delete_task", "error"}


def test_nothing_held_out_is_trained_on(requests: list[Request]) -> None:
    """`task-api-mcp train` leaves out every command of the held-out sets, HWU64's dev and test among them."""
    held_out = {normalised(r.text) for r in requests if r.split != "train"}
    assert held_out <= held_out_commands(ROOT / path for path in HELD_OUT)
    examples = generate(3000, seed=0, exclude=held_out_commands(ROOT / path for path in HELD_OUT))
    assert not [e.command for e in examples if normalised(e.command) in held_out]


def test_the_rules_are_never_wrong_where_they_answer(requests: list[Request], labels: dict[int, Label]) -> None:
    """The fast path answers people's requests only when it is sure: on every train and dev request
    it answers, its action is the label's (dates as the server resolves both)."""
    now = dt.datetime.fromisoformat(EVAL_NOW)

    def executed(action: dict[str, Any]) -> dict[str, Any]:
        try:
            done = normalise(ACTION_ADAPTER.validate_python(action), timezone=EVAL_TIMEZONE, now=now)
        except TaskError:
            return {"action": "error"}
        return ACTION_ADAPTER.dump_python(done, mode="json", exclude_none=True)

    answered, wrong = 0, []
    for request, label in labelled(requests, labels):
        if request.split == "test" or refusal_for(request.text) is not None:
            continue
        action = parse_rules(request.text)
        if action is None:
            continue
        answered += 1
        got, want = executed(ACTION_ADAPTER.dump_python(action, mode="json")), executed(label.action)
        if got["action"] != want["action"] or not params_match(want.get("params", {}), got.get("params", {})):
            wrong.append((request.text, got, want))
    assert answered >= 40 and not wrong, wrong


def _bare(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]", " ", text.lower()).split())


def test_training_examples_come_from_the_train_part_alone(requests: list[Request], labels: dict[int, Label]) -> None:
    examples = training_examples(requests, labels, refusals=1500, seed=3)
    held_out = {_bare(r.text) for r in requests if r.split != "train"}
    assert not [e.command for e in examples if _bare(e.command) in held_out]  # nor a variant of one
    task_requests = [r for r in requests if r.is_task_request and r.split == "train"]
    assert len(examples) == 2 * len(task_requests) + 1500
    assert training_examples(requests, labels, refusals=1500, seed=3) == examples  # the same for the same seed


def test_a_typed_variant_keeps_the_words_its_label_copies(requests: list[Request], labels: dict[int, Label]) -> None:
    rng = random.Random(5)
    for request in [r for r in requests if r.id in labels][:400]:
        action = labels[request.id].action
        variant = typed_variant(request.text, action, rng)
        assert variant != request.text
        for key in ("title", "task_title", "search", "list"):
            if key in action.get("params", {}):
                copied = _words(action["params"][key]) & _words(request.text)
                assert copied <= _words(variant), (variant, action)


def test_refusals_are_drawn_evenly_across_the_other_intents(requests: list[Request], labels: dict[int, Label]) -> None:
    by_text = {r.text: r for r in requests}
    examples = training_examples(requests, labels, refusals=550, seed=4)
    refused = [e for e in examples if e.action["action"] == "error" and e.command in by_text]
    intents = Counter(by_text[e.command].intent for e in refused if not by_text[e.command].is_task_request)
    assert len(intents) == 55 and max(intents.values()) - min(intents.values()) <= 10, intents
