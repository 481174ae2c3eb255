"""A refusal's whole answer from its first words: only ever a refusal, only once one message fits."""

from __future__ import annotations

import pytest

from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.refusals import BULK, INJECTION, MESSAGES, NOT_A_TASK, WHICH_TASK, completed_refusal, refusal_answer

OPENING = '{"action":"error","message":"'


@pytest.mark.parametrize(
    ("said", "message"),
    [("That is", NOT_A_TASK), ("Which task", WHICH_TASK), ("I only", INJECTION), ("I act on", BULK)],
)
def test_the_first_words_that_fit_one_message_decide_it(said: str, message: str) -> None:
    answer = completed_refusal(OPENING + said)
    assert answer == refusal_answer(message)
    assert parse_action(answer).model_dump() == {"action": "error", "message": message}


@pytest.mark.parametrize(
    "text",
    [
        OPENING,  # no word yet
        OPENING + "That",  # a word still being written ("Thanks", "Though")
        OPENING + "I ",  # two messages start with "I"
        OPENING + "Sorry, I",  # a message of the model's own: decoded to its end
        '{"action":"create_task","params":{"title":"That is',  # not a refusal
        '{"action": "error", "message": "That is',  # not the compact form the model is trained on
    ],
)
def test_anything_still_open_is_left_to_the_model(text: str) -> None:
    assert completed_refusal(text) is None


def test_the_messages_are_those_the_training_data_teaches() -> None:
    from mcp_server.training import refusals

    assert {refusals.NOT_A_TASK, refusals.WHICH_TASK, refusals.INJECTION, refusals.BULK} == set(MESSAGES)
