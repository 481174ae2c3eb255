"""Labelled training commands in the action contract: the dataset the fine-tune learns from.

Every example is a command and the one action the model must answer with, exactly as the server
wants it (dates copied as said, tasks named by id or by words of their title, refusals for what is
off-topic, ambiguous or an injection attempt). Two sources: people's requests (HWU64's train part,
labelled by hand, see `hwu64`), and composed commands, whose words live in `vocabulary`,
`phrasings` and `refusals` and which `composers` put together; this module draws the mix. No
composed phrasing is one of the typed evaluation set's (tests/training/test_templates.py); any
command that still equals an evaluation command (case and spacing aside) is dropped, so the
held-out sets stay held out.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path

from mcp_server.nlu.actions import ACTION_ADAPTER, parse_action
from mcp_server.training.composers import (
    Compose,
    Example,
    complete,
    create_described,
    create_due,
    create_full,
    create_listed,
    create_plain,
    create_priority,
    create_repeating,
    create_step,
    create_tagged,
    delete,
    list_due,
    list_filtered,
    list_fixed,
    list_in_list,
    list_search,
    list_tag,
    refusal,
    restore,
    update,
)
from mcp_server.training.hwu64 import HWU64, load_labels, load_requests, training_examples

__all__ = [
    "MIX",
    "Example",
    "action_counts",
    "generate",
    "held_out_commands",
    "normalised",
    "training_set",
    "write_jsonl",
]

# How often each kind of command is drawn: refusals and references get their share, since a
# wrong action there does harm.
MIX: list[tuple[Compose, float]] = [
    (create_plain, 0.08),
    (create_due, 0.08),
    (create_priority, 0.06),
    (create_tagged, 0.04),
    (create_full, 0.05),
    (create_described, 0.02),
    (create_listed, 0.04),
    (create_repeating, 0.04),
    (create_step, 0.02),
    (list_fixed, 0.07),
    (list_filtered, 0.09),
    (list_tag, 0.04),
    (list_due, 0.04),
    (list_search, 0.04),
    (list_in_list, 0.03),
    (complete, 0.12),
    (delete, 0.09),
    (restore, 0.03),
    (update, 0.16),
    (refusal, 0.24),
]


def normalised(command: str) -> str:
    return " ".join(command.lower().split())


def held_out_commands(paths: Iterable[Path]) -> set[str]:
    """The evaluation commands training must never contain."""
    commands: set[str] = set()
    for path in paths:
        for text in path.read_text().splitlines():
            if text.strip():
                commands.add(normalised(json.loads(text)["command"]))
    return commands


def generate(count: int, *, seed: int, exclude: AbstractSet[str] = frozenset()) -> list[Example]:
    """`count` distinct, schema-valid examples (none of them in `exclude`), the same for the same seed."""
    rng = random.Random(seed)
    composers, weights = zip(*MIX, strict=True)
    seen = set(exclude)
    examples: list[Example] = []
    attempts = 0
    while len(examples) < count:
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"only {len(examples)} distinct examples could be generated, not {count}")
        example = rng.choices(composers, weights)[0](rng)
        key = normalised(example.command)
        if key in seen:
            continue
        parse_action(example.action)  # every label is a valid action of the contract
        seen.add(key)
        examples.append(example)
    return examples


def training_set(
    generated: int, *, human_refusals: int, seed: int, exclude: AbstractSet[str] = frozenset(), hwu64: Path = HWU64
) -> list[Example]:
    """What the fine-tune learns from: HWU64's train part (every task request as labelled, with a
    typed variant, and `human_refusals` of its other requests), then `generated` composed commands.
    No command is in `exclude` or twice in the set."""
    human = training_examples(load_requests(hwu64), load_labels(hwu64), refusals=human_refusals, seed=seed)
    seen = set(exclude)
    examples: list[Example] = []
    for example in human:
        key = normalised(example.command)
        if key not in seen:
            seen.add(key)
            examples.append(example)
    return examples + generate(generated, seed=seed, exclude=seen)


def write_jsonl(examples: Iterable[Example], path: Path) -> None:
    with path.open("w") as out:
        for example in examples:
            out.write(json.dumps({"command": example.command, "target": example.target()}, ensure_ascii=False) + "\n")


def action_counts(examples: Iterable[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for example in examples:
        name = ACTION_ADAPTER.validate_python(example.action).action
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))
