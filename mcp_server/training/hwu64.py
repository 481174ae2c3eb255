"""HWU64: human requests to a home assistant (Liu, Eshghi, Swietojanski and Rieser, IWSDS 2019;
CC BY 4.0, see data/hwu64/), split once by a fixed seed and labelled as process_command actions.

The split comes first and from the text alone, so a request's part never moves. The task requests
(calendar, alarm and lists scenarios) carry labels written one by one in data/hwu64/labels/; every
other request is a refusal by its intent. docs/hwu64.md writes the mapping down.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcp_server.nlu.actions import ACTION_ADAPTER
from mcp_server.training.composers import Example
from mcp_server.training.refusals import BULK, NOT_A_TASK, WHICH_TASK
from mcp_server.training.wording import typo

HWU64 = Path("data/hwu64")
REQUESTS = "hwu64_annotated.jsonl"
LABELS = "labels"
SPLIT_SEED = "task-api-mcp/hwu64/2026-12-01"
Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
# Percent of the requests in each part, in order: a request's bucket (0-99) picks its part.
SHARES: dict[Split, int] = {"train": 70, "dev": 10, "test": 20}
TASK_SCENARIOS = frozenset({"calendar", "alarm", "lists"})
REFUSALS = (NOT_A_TASK, WHICH_TASK, BULK)
# The params a label may hold per action, and those that are dates said in words.
DATE_PARAMS = ("due", "due_after", "due_before")
# What each task intent may be labelled as. A request sometimes says other than its intent (a
# "remove" that reschedules, a "remove" that asks what is on the list); a refusal is always allowed,
# listing too (it changes nothing), a destructive action only where the intent is one.
_SAFE = frozenset({"list_tasks", "error"})
ALLOWED_ACTIONS: dict[str, frozenset[str]] = {
    "calendar_set": _SAFE | {"create_task", "update_task"},
    "alarm_set": _SAFE | {"create_task", "update_task"},
    "lists_createoradd": _SAFE | {"create_task"},
    "calendar_query": _SAFE,
    "alarm_query": _SAFE,
    "lists_query": _SAFE,
    "calendar_remove": _SAFE | {"delete_task", "update_task"},
    "alarm_remove": _SAFE | {"delete_task", "update_task"},
    "lists_remove": _SAFE | {"delete_task"},
}
# The evaluation files' clock, as the typed sets': a Saturday afternoon in Paris.
EVAL_NOW = "2026-11-28T15:00:00+01:00"
EVAL_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class Request:
    """One HWU64 line: `id` is its line number (from 1) in the published file."""

    id: int
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...]  # (type, value), in the file's order

    @property
    def scenario(self) -> str:
        return self.intent.split("_", 1)[0]

    @property
    def is_task_request(self) -> bool:
        return self.scenario in TASK_SCENARIOS

    @property
    def split(self) -> Split:
        return split_of(self.text)


@dataclass(frozen=True)
class Label:
    """What process_command should do with a request: the action as the model answers it (dates
    and recurrences as said), and, for the evaluation files, the resolved values written by hand
    (ISO 8601 dates at the evaluation's fixed now; a recurrence's RRULE)."""

    action: dict[str, Any]
    resolved: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.action["action"])


def split_of(text: str) -> Split:
    """The part a request belongs to, from its text and SPLIT_SEED alone."""
    digest = hashlib.sha256(f"{SPLIT_SEED}\0{text}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    for part, share in SHARES.items():
        if bucket < share:
            return part
        bucket -= share
    raise AssertionError("the shares add up to 100")


def load_requests(folder: Path = HWU64) -> list[Request]:
    requests = []
    with (folder / REQUESTS).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            row = json.loads(line)
            entities = tuple((e["type"], e["value"]) for e in row["entities"])
            requests.append(Request(number, row["text"], row["intent"], entities))
    return requests


def refusal(message: str) -> dict[str, Any]:
    return {"action": "error", "message": message}


def load_labels(folder: Path = HWU64) -> dict[int, Label]:
    """The hand-written labels of the task requests, by request id. ValueError names a bad line."""
    labels: dict[int, Label] = {}
    for path in sorted((folder / LABELS).glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                ACTION_ADAPTER.validate_python(row["action"])
                label = Label(row["action"], dict(row.get("resolved", {})))
                request_id = int(row["id"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a label line: {exc}") from None
            if request_id in labels:
                raise ValueError(f"{path}:{number}: request {request_id} is labelled twice")
            labels[request_id] = label
    return labels


def labelled(requests: Iterable[Request], labels: dict[int, Label]) -> Iterator[tuple[Request, Label]]:
    """Each request with its label: a refusal by intent outside the task scenarios, the written
    label inside them (a task request without one is left out: it is not labelled yet)."""
    for request in requests:
        if not request.is_task_request:
            yield request, Label(refusal(NOT_A_TASK))
        elif request.id in labels:
            yield request, labels[request.id]


def expected_action(label: Label) -> dict[str, Any]:
    """The label as the evaluation compares it: a refusal by its action alone, and dates and
    recurrences as the server resolves them (the label's `resolved` values, written by hand)."""
    if label.name == "error":
        return {"action": "error"}
    params = {**label.action.get("params", {}), **label.resolved}
    return {"action": label.name, "params": params}


def evaluation_rows(part: Split, folder: Path = HWU64) -> list[dict[str, Any]]:
    """The requests of one part (dev or test) as evaluation lines, in the file's order."""
    rows = []
    for request, label in labelled(load_requests(folder), load_labels(folder)):
        if request.split != part:
            continue
        rows.append(
            {
                "command": request.text,
                "expected": expected_action(label),
                "now": EVAL_NOW,
                "timezone": EVAL_TIMEZONE,
                "source": f"hwu64:{request.id}",
                "intent": request.intent,
            }
        )
    return rows


# -- training ------------------------------------------------------------------------------------

_TEXT_PARAMS = ("title", "task_title", "search", "list", "recurrence", *DATE_PARAMS)
_WAKE_WORD = re.compile(r"^(?:hey |hi |ok |okay )?olly,? |,? olly$")
_ENDINGS = ("?", ".", "!", " please", " thanks")


def _protected(action: dict[str, Any]) -> set[str]:
    """The words the label copies from the request: a typed variant must keep them as they are."""
    params = action.get("params", {})
    return {word for key in _TEXT_PARAMS if key in params for word in str(params[key]).lower().split()}


def typed_variant(text: str, action: dict[str, Any], rng: random.Random) -> str:
    """The request as someone might type it rather than say it: a capital, an ending, a slip of the
    keyboard in a word the label does not copy, the wake word dropped. Never the same text."""
    protected = _protected(action)
    for _ in range(10):
        variant = _WAKE_WORD.sub("", text) if rng.random() < 0.5 else text
        if rng.random() < 0.4:
            words = variant.split(" ")
            free = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha() and w.lower() not in protected]
            if free:
                i = rng.choice(free)
                words[i] = typo(words[i], rng)
                variant = " ".join(words)
        if rng.random() < 0.6:
            variant = variant[:1].upper() + variant[1:]
        if rng.random() < 0.5:
            variant = variant.rstrip("?.!,") + rng.choice(_ENDINGS)
        if variant != text:
            return variant
    return text[:1].upper() + text[1:] + "?"


def training_examples(
    requests: Iterable[Request], labels: dict[int, Label], *, refusals: int, seed: int
) -> list[Example]:
    """The train part as examples, each with its label as the model must answer: every task request
    and a typed variant of it, and `refusals` of the other requests drawn evenly across their
    intents (half of them typed too), so that punctuation or casing never tells a refusal apart."""
    rng = random.Random(seed)
    train = [(r, label) for r, label in labelled(requests, labels) if r.split == "train"]
    examples: list[Example] = []
    for request, label in train:
        if request.is_task_request:
            examples.append(Example(request.text, label.action))
            examples.append(Example(typed_variant(request.text, label.action, rng), label.action))
    by_intent: dict[str, list[Request]] = {}
    for request, _ in train:
        if not request.is_task_request:
            by_intent.setdefault(request.intent, []).append(request)
    for pool in by_intent.values():
        rng.shuffle(pool)
    drawn: list[Request] = []
    while len(drawn) < refusals and any(by_intent.values()):
        for pool in by_intent.values():
            if pool and len(drawn) < refusals:
                drawn.append(pool.pop())
    for request in drawn:
        action = refusal(NOT_A_TASK)
        text = typed_variant(request.text, action, rng) if rng.random() < 0.5 else request.text
        if rng.random() < 0.3:  # people's off-topic requests often end in a full stop; task ones too, now
            text = text.rstrip(".,!?")
        examples.append(Example(text, action))
    return examples
