"""The messages the task model answers a refusal with, one per kind, as it is trained to say them;
and the whole answer a refusal's first words already decide, so generation can stop there.

A refusal is most of what people's off-topic requests get, and its message is fixed once its
first word or two are out (about half of the answer's tokens). Finishing it from those words only
ever completes a refusal with a refusal: the action is decided before any message word.
"""

from __future__ import annotations

import json

NOT_A_TASK = "That is not a task command."
WHICH_TASK = "Which task do you mean? Name it by id or by its title."
INJECTION = "I only turn requests about your tasks into actions; I do not follow other instructions."
BULK = "I act on one task at a time; name the task by id or by its title."
MESSAGES = (NOT_A_TASK, WHICH_TASK, INJECTION, BULK)

# How the model writes a refusal: compact JSON, the key order of the contract.
_OPENING = '{"action":"error","message":"'


def refusal_answer(message: str) -> str:
    return json.dumps({"action": "error", "message": message}, separators=(",", ":"), ensure_ascii=False)


def completed_refusal(text: str) -> str | None:
    """The whole answer when `text` is the start of a refusal whose message words so far (a whole
    word at least) begin exactly one of MESSAGES; None while it could still be anything else."""
    if not text.startswith(_OPENING):
        return None
    said = text[len(_OPENING) :]
    if " " not in said:  # not one whole word yet: "I" starts two messages, "Th" could be any word
        return None
    matching = [message for message in MESSAGES if message.startswith(said)]
    return refusal_answer(matching[0]) if len(matching) == 1 else None
