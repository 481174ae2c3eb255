"""The typed evaluation set shares no phrasing with the training data, not only no sentence.

Both sides are taken as data: the evaluation phrasings from scripts/build_eval_dataset.py (TEMPLATES,
FIXED), the training ones from the module globals of mcp_server/training/phrasings.py and
refusals.py (every string with slots, every fixed sentence) and from what the training composers
actually fill (the list filters they put together from words, the refusals they combine). Each
phrasing is canonicalised (lower case, every slot `{}`, a task named in any form `{ref}`, polite words
at the edges and punctuation dropped), and the two sides must not meet: no canonical template in
common, none within two characters of the other side's, no fixed sentence that training holds.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.normalise import check_ids_were_said
from mcp_server.training import composers, data, phrasings, refusals, wording
from scripts import build_eval_dataset as typed

ROOT = Path(__file__).parents[2]
EVAL = [ROOT / "eval" / "dev.jsonl", ROOT / "eval" / "test.jsonl"]
HWU64 = ROOT / "data" / "hwu64" / "hwu64_annotated.jsonl"

TRAINING_REF_SLOTS = ("r",)  # phrasings.py: {r} is the task named; {s} there is search words
NEAR = 2  # characters of edit distance under which two canonical templates count as the same phrasing
SHORT = 8  # characters of a canonical fixed sentence from which a near copy counts as a copy
DRAWS = 3000  # per composer, when recording what the composers fill

_SLOT = re.compile(r"\{(\w*)\}")
_REF, _ANY = "\x00", "\x01"  # stand-ins while punctuation is dropped
_LEADING: tuple[str, ...] = ("please", "pls", "plz", "can you", "could you", "would you", "will you", "can u")
_LEADING += ("could u", "kindly", "hey", "hi", "ok", "okay", "so")
_TRAILING = ("please", "pls", "plz", "thanks", "thank you", "thx", "ty", "cheers")


def canonical(template: str, ref_slots: Iterable[str] = ()) -> str:
    """The phrasing of a template or sentence, whatever fills it and however it is typed."""
    text = template.lower()
    names = "|".join(ref_slots)
    if names:  # "task {i}", "task #{i}", "#{i}", "number {i}", "the {s} task", "'{s}'", "{r}": one reference
        text = re.sub(
            rf"(?:\bthe\s+)?(?:\b(?:task|todo|to-do|item|number|no\.?|id)\s*#?\s*|#\s*)?['\"]?\{{(?:{names})\}}['\"]?"
            r"(?:\s+(?:task|one|todo|to-do|item)\b)?",
            _REF,
            text,
        )
    text = _SLOT.sub(_ANY, text)
    text = re.sub(r"['’`]", "", text)  # what's -> whats
    text = re.sub(rf"[^\w\s{_REF}{_ANY}]|_", " ", text)
    words = text.split()
    trimmed = True
    while trimmed:
        trimmed = False
        for filler in _LEADING:
            cut = filler.split()
            if words[: len(cut)] == cut and len(words) > len(cut):
                words, trimmed = words[len(cut) :], True
        for filler in _TRAILING:
            cut = filler.split()
            if words[-len(cut) :] == cut and len(words) > len(cut):
                words, trimmed = words[: -len(cut)], True
    return " ".join(words).replace(_REF, "{ref}").replace(_ANY, "{}")


def within(a: str, b: str, limit: int = NEAR) -> bool:
    """Levenshtein distance of a and b at most `limit` (characters)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def _module_strings() -> set[str]:
    return {
        text
        for module in (phrasings, refusals)
        for name, value in vars(module).items()
        if name.isupper()
        for text in _strings(value)
    }


@pytest.fixture(scope="module")
def training_templates() -> set[str]:
    """Every training phrasing with slots: the modules' own, and what the composers fill."""
    found = {text for text in _module_strings() if _SLOT.search(text)}
    original = wording.phrase  # what composers fill their phrasings with

    def recording(template: str, rng: random.Random, slots: Any, *args: Any, **kwargs: Any) -> str:
        found.add(template)
        return original(template, rng, slots, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(composers, "phrase", recording)
        for compose, _ in data.MIX:
            rng = random.Random(1)
            for _ in range(DRAWS):
                compose(rng)
    return found


@pytest.fixture(scope="module")
def training_literals() -> set[str]:
    """Every fixed training sentence: the modules' own, the refusals the composer puts together, and
    the assistant requests and off-topic questions filled with every value they are drawn from."""
    literals = {text for text in _module_strings() if not _SLOT.search(text)}
    literals |= {
        f"{verb} {what}{tail}"
        for verb, what, tail in itertools.product(
            refusals.AMBIGUOUS_VERBS, refusals.AMBIGUOUS_OBJECTS, refusals.AMBIGUOUS_TAILS
        )
    }
    literals |= {f"{a} {b}" for a, b in itertools.product(refusals.INJECTION_OPENERS, refusals.INJECTION_PAYLOADS)}
    for template in refusals.ASSISTANT_REQUESTS:
        names = _SLOT.findall(template)
        for values in itertools.product(*(refusals.ASSISTANT_SLOTS[name] for name in names)):
            literals.add(template.format(**dict(zip(names, values, strict=True))))
    for template, choices in refusals.OFF_TOPIC_TEMPLATES:
        names = [name for name in _SLOT.findall(template) if name != "place"]
        for values in itertools.product(*(choices[name] for name in names)):
            for place in refusals.PLACES:
                literals.add(template.format(place=place, **dict(zip(names, values, strict=True))))
    rng = random.Random(2)
    literals |= {composers.refusal(rng).command for _ in range(DRAWS)}
    return literals


def _eval_templates() -> list[str]:
    return [template for templates in typed.TEMPLATES.values() for template in templates]


def test_the_canonical_form_sees_through_slots_references_fillers_and_punctuation() -> None:
    eval_side, training_side = typed.REF_SLOTS, TRAINING_REF_SLOTS
    assert canonical("Mark task #{i} as done, please!", eval_side) == canonical("mark {r} as done", training_side)
    assert canonical("completed the {s} task", eval_side) == canonical("completed {r}", training_side)
    assert canonical("Could you add '{t}' by {d}?", eval_side) == "add {} by {}"
    assert canonical("what's on my to-do list?") == "whats on my to do list"
    assert within("delet {ref}", "delete {ref}") and not within("bin {ref}", "delete {ref}")


def test_the_typed_set_is_what_its_script_builds() -> None:
    dev, test = typed.build()
    for path, rows in zip(EVAL, (dev, test), strict=True):
        assert [json.loads(text) for text in path.read_text().splitlines()] == rows, path


def test_the_eval_phrasings_cover_every_kind_and_every_action() -> None:
    templates = _eval_templates()
    assert len(templates) >= 150 and len(typed.FIXED) >= 100
    assert all(_SLOT.search(template) for template in templates)
    assert not any(_SLOT.search(text) for text, _ in typed.FIXED)
    actions = {expected["action"] for _, expected in typed.FIXED} | {kind.split("_")[0] for kind in typed.TEMPLATES}
    assert {"create", "list", "update", "complete", "delete", "restore", "error"} <= actions


# Phrasings of the typed set as it was before it was rebuilt, each also a training phrasing.
FORMERLY_SHARED = ["add {t} by {d}", "completed the {s} task", "finished task #{i}", "push the {s} deadline to {d}"]


def test_the_checks_find_the_phrasings_the_former_typed_set_shared(training_templates: set[str]) -> None:
    training = {canonical(t, TRAINING_REF_SLOTS) for t in training_templates}
    assert all(canonical(t, typed.REF_SLOTS) in training for t in FORMERLY_SHARED)
    assert canonical("delet task {i}", typed.REF_SLOTS) not in training
    assert any(within(canonical("delet task {i}", typed.REF_SLOTS), other) for other in training)


def test_every_label_is_a_valid_action_that_copies_the_command() -> None:
    """Ids are said, names are words of the command, dates are ISO and recurrences RRULEs."""
    for row in (json.loads(text) for path in EVAL for text in path.read_text().splitlines()):
        expected, command = row["expected"], row["command"].lower()
        if expected["action"] == "error":
            continue
        check_ids_were_said(parse_action(expected), row["command"])
        params = expected["params"]
        for key in ("task_title", "search", "list", "parent_title"):
            assert key not in params or params[key].lower() in command, row
        if "title" in params and expected["action"] == "create_task" and params["title"] not in ("Alarm", "Wake up"):
            assert params["title"].lower() in command, row
        for key in ("due", "due_before", "due_after"):
            assert key not in params or re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:00\+01:00)?", params[key]), row
        assert "recurrence" not in params or params["recurrence"].startswith("FREQ="), row


def test_no_phrasing_template_is_shared(training_templates: set[str]) -> None:
    training = {canonical(t, TRAINING_REF_SLOTS) for t in training_templates}
    assert len(training) > 500  # the composers' list filters are in, not only the module strings
    shared = sorted({t for t in _eval_templates() if canonical(t, typed.REF_SLOTS) in training})
    assert not shared


def test_no_eval_template_is_a_near_copy_of_a_training_one(training_templates: set[str]) -> None:
    """A typo or one changed word is still the same phrasing ("delet {ref}" is "delete {ref}")."""
    by_length: dict[int, set[str]] = defaultdict(set)
    for template in training_templates:
        skeleton = canonical(template, TRAINING_REF_SLOTS)
        by_length[len(skeleton)].add(skeleton)
    near = []
    for template in _eval_templates():
        skeleton = canonical(template, typed.REF_SLOTS)
        for size in range(len(skeleton) - NEAR, len(skeleton) + NEAR + 1):
            near += [(template, other) for other in by_length.get(size, ()) if within(skeleton, other)]
    assert not near


def test_no_fixed_eval_sentence_is_a_training_sentence(training_literals: set[str]) -> None:
    """Nor a typo of one, once the sentence is long enough for two characters to make a typo ("nvm"
    and "no" are two sentences)."""
    training = {canonical(text) for text in training_literals}
    shared = sorted(text for text, _ in typed.FIXED if canonical(text) in training)
    assert not shared
    by_length: dict[int, set[str]] = defaultdict(set)
    for sentence in training:
        by_length[len(sentence)].add(sentence)
    near = []
    for text, _ in typed.FIXED:
        sentence = canonical(text)
        if len(sentence) >= SHORT:
            for size in range(len(sentence) - NEAR, len(sentence) + NEAR + 1):
                near += [(text, other) for other in by_length.get(size, ()) if within(sentence, other)]
    assert not near


def test_generating_without_any_exclusion_gives_no_evaluation_command() -> None:
    """The exclusion list in training (data.generate's `exclude`) has nothing left to do for the typed set."""
    held_out = data.held_out_commands(EVAL)
    assert len(held_out) >= 300
    generated = {data.normalised(example.command) for example in data.generate(20000, seed=5)}
    assert not generated & held_out


def test_no_evaluation_command_is_an_hwu64_request() -> None:
    """HWU64 requests are trained on (the train split), so none of them is a typed evaluation command."""
    requests = {data.normalised(json.loads(text)["text"]) for text in HWU64.read_text().splitlines() if text}
    assert len(requests) > 11000
    assert not requests & data.held_out_commands(EVAL)
