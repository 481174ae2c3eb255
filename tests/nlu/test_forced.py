"""What the contract decides comes next in an answer: always a prefix of the answer the model was
taught to write, never text the grammar would refuse, and nothing when the answer leaves the
compact form."""

from __future__ import annotations

import json

import pytest

from mcp_server.nlu.actions import ACTION_NAMES
from mcp_server.nlu.forced import continuation
from mcp_server.nlu.prompt import EXAMPLES
from mcp_server.training.composers import Example
from mcp_server.training.data import generate


def written(answer: str) -> tuple[int, bool]:
    """Write `answer` as the engine would: the continuation wherever there is one, the model's
    next character elsewhere. How many characters were decided, and whether the end was told."""
    text, decided = "", 0
    while True:
        more, complete = continuation(text)
        assert answer.startswith(text + more), (text, more, answer)
        text += more
        decided += len(more)
        if complete:
            assert text == answer
            return decided, True
        if text == answer:
            return decided, False
        text += answer[len(text)]


def test_every_answer_begins_the_same() -> None:
    assert continuation("") == ('{"action":"', False)


@pytest.mark.parametrize(
    ("text", "more"),
    [
        ('{"action":"cr', 'eate_task","params":{"title":"'),
        ('{"action":"l', 'ist_tasks","params'),  # then `":{"` or `":{}}`, one token each
        ('{"action":"de', 'lete_task","params":{"task_'),
        ('{"action":"e', 'rror","message":"'),
        ('{"action":"delete_task","params":{"task_t', 'itle":"'),
        ('{"action":"delete_task","params":{"task_i', 'd":'),
        ('{"action":"create_task","params":{"title":"Buy milk",', '"'),
        ('{"action":"create_task","params":{"title":"Buy milk","ta', 'gs":["'),
        ('{"action":"create_task","params":{"title":"Buy milk","d', ""),  # description or due
        ('{"action":"create_task","params":{"title":"Buy milk","du', 'e":"'),
        ('{"action":"list_tasks","params":{"due_', ""),  # due_before or due_after
        ('{"action":"update_task","params":{"task_id":3,"pr', 'iority":"'),
    ],
)
def test_the_contract_decides_names_keys_and_openings(text: str, more: str) -> None:
    assert continuation(text) == (more, False)


def test_a_key_the_grammar_no_longer_allows_is_never_offered() -> None:
    """Keys come in the schema's order: after `due`, no key starting with d is allowed."""
    assert continuation('{"action":"create_task","params":{"title":"x","due":"friday","d') == ("", False)


@pytest.mark.parametrize(
    "answer",
    [
        '{"action":"create_task","params":{"title":"Buy milk"}}',
        '{"action":"list_tasks","params":{}}',
        '{"action":"error","message":"That is not a task command."}',
    ],
)
def test_the_end_is_told_once_the_object_closes(answer: str) -> None:
    assert continuation(answer) == ("", True)
    assert written(answer)[1]


@pytest.mark.parametrize(
    ("text", "more"),
    [
        ('{ "action":"cr', ""),  # a space: not the compact form
        ('{"action":"create_task","params":{"title":"Buy, \\"milk\\"', ""),  # a quote inside a value
        ('{"action":"create_task","params":{"title":"a {b', ""),  # a brace inside a value
        ('{"action":"create_task","params":{"title":"Buy, then sell",', '"'),  # the comma after the value
        ('{"action":"create_task","params":{"title":"Buy milk"}}  ', ""),
    ],
)
def test_text_inside_values_or_outside_the_compact_form_decides_nothing(text: str, more: str) -> None:
    assert continuation(text) == (more, False)


def test_every_trained_and_prompted_answer_is_written_alike_and_half_of_it_decided() -> None:
    examples = generate(3000, seed=9) + [Example(c, a) for c, a in EXAMPLES]
    decided = total = 0
    for example in examples:
        answer = example.target()
        count, complete = written(answer)
        assert complete, answer
        decided, total = decided + count, total + len(answer)
    assert {json.loads(e.target())["action"] for e in examples} == set(ACTION_NAMES)
    assert decided > 0.45 * total
