"""What the action contract decides comes next in a model's answer, so the engine need not sample it.

About half of an answer's tokens carry no choice: `{"action":"` opens every answer; once the action's
first word is out, its name is, and so is what follows it (`","params":{"title":"` for a create); once
a key's first letters tell it from the keys still allowed, the key is. The batch engine appends that
text to the sequence and decodes it in one step with the next token, instead of one step a token; it
checks every appended token against the grammar first, so a wrong guess here can only cost speed.

Each continuation ends where a token of the answer as trained ends (after a run of punctuation
such as `":"`, never inside one), so what the model writes next is what it learnt to write there.
The answer is read as the model writes it: compact JSON, keys in the schema's order (required keys
first, as the grammar built from the schema wants them). Anything else (a space, a null, an unknown
shape) gets no continuation, and the model goes on choosing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mcp_server.nlu.actions import action_json_schema


@dataclass(frozen=True)
class _Variant:
    """One shape of an action's params: required keys first, then the optional ones, in order."""

    keys: tuple[str, ...]
    required: frozenset[str]


@dataclass(frozen=True)
class _Action:
    variants: tuple[_Variant, ...]
    openers: dict[str, str]  # what a key's value starts with, when only one kind of value is allowed


def _opener(schema: dict[str, Any]) -> str:
    """The first characters of a value: a string or enum opens with a quote, a list of strings with
    `["`; a number has none. A null is never written (absent fields are left out)."""
    options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
    if len(options) != 1:
        return ""
    (value,) = options
    if value.get("type") == "string" or "enum" in value:
        return '"'
    if value.get("type") == "array" and value.get("items", {}).get("type") == "string":
        return '["'
    return ""


@cache
def _contract() -> dict[str, _Action]:
    actions: dict[str, _Action] = {}
    for variant in action_json_schema()["oneOf"]:
        name = variant["properties"]["action"]["const"]
        params = variant["properties"].get("params", {})
        shapes: list[_Variant] = []
        openers: dict[str, str] = {}
        for shape in params.get("anyOf", [params]):
            properties: dict[str, Any] = shape.get("properties", {})
            required = [key for key in properties if key in shape.get("required", [])]
            shapes.append(_Variant(tuple(required + [k for k in properties if k not in required]), frozenset(required)))
            openers.update({key: _opener(spec) for key, spec in properties.items()})
        actions[name] = _Action(tuple(shapes), openers)
    return actions


def _next_keys(action: _Action, written: list[str]) -> set[str]:
    """The keys the grammar allows after those written, over every shape they fit."""
    allowed: set[str] = set()
    for variant in action.variants:
        if not all(key in variant.keys for key in written):
            continue
        positions = [variant.keys.index(key) for key in written]
        if positions != sorted(positions):
            continue
        after = variant.keys[positions[-1] + 1 :] if positions else variant.keys
        missing = [key for key in after if key in variant.required]
        allowed.update(missing[:1] if missing else after)
    return allowed


def _key(action: _Action, written: list[str], begun: str) -> str:
    """The rest of a key begun with `begun`: all of it, closed, and the opening of its value, when
    one key allowed next starts so; else what every such key has in common ("task_")."""
    keys = [key for key in _next_keys(action, written) if key.startswith(begun)]
    if len(keys) == 1:
        return keys[0][len(begun) :] + '":' + action.openers.get(keys[0], "")
    return _shared_start([key[len(begun) :] for key in keys]) if keys else ""


def _shared_start(texts: list[str]) -> str:
    """The characters every text starts with."""
    first, last = min(texts), max(texts)  # sorted, the most different two
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


def _after_action(name: str) -> str:
    """What follows a complete action name (its closing quote written)."""
    if name == "error":
        return ',"message":"'
    action = _contract()[name]
    if not all(variant.required for variant in action.variants):
        # The params may be empty: `{}` or `{"` is the model's to write, in the one token it learnt
        # (`":{"` and `":{}}` are single tokens; text that ends inside one makes the model write
        # another, worse, spelling).
        return ',"params'
    return ',"params":{"' + _key(action, [], "")


@dataclass
class _Reading:
    """Where a compact answer stands: the containers open, the string being written, the keys."""

    stack: list[str] = field(default_factory=list)  # "{" and "[" still open
    in_string: bool = False
    string: str = ""  # the string being written (without its opening quote)
    string_is_key: bool = False
    expect_key: bool = False  # just after "{" or "," of an object
    last_key: str = ""
    action: str | None = None
    params_keys: list[str] = field(default_factory=list)
    closed: bool = False  # the answer's object is complete
    compact: bool = True  # nothing but compact JSON so far


def _read(text: str) -> _Reading:
    reading = _Reading()
    escaped = False
    for char in text:
        if reading.closed:
            reading.compact = False
            break
        if reading.in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                reading.in_string = False
                _string_ended(reading)
                continue
            reading.string += char
            continue
        if char == '"':
            reading.in_string, reading.string = True, ""
            reading.string_is_key = reading.expect_key
            reading.expect_key = False
        elif char in "{[":
            reading.stack.append(char)
            reading.expect_key = char == "{"
        elif char in "}]":
            if not reading.stack:
                reading.compact = False
                break
            reading.stack.pop()
            reading.expect_key = False
            reading.closed = not reading.stack
        elif char == ",":
            reading.expect_key = bool(reading.stack) and reading.stack[-1] == "{"
        elif char.isspace():  # the compact form has none outside strings
            reading.compact = False
            break
    return reading


def _string_ended(reading: _Reading) -> None:
    if reading.string_is_key:
        reading.last_key = reading.string
        if len(reading.stack) == 2:
            reading.params_keys.append(reading.string)
    elif len(reading.stack) == 1 and reading.last_key == "action":
        reading.action = reading.string


def continuation(text: str) -> tuple[str, bool]:
    """The text the contract decides comes after `text` (maybe none), and whether the answer is
    then complete (its object closed: nothing but the end may follow)."""
    if not text:
        return '{"action":"', False
    reading = _read(text)
    if not reading.compact:
        return "", False
    if reading.closed:
        return "", True
    contract = _contract()
    depth = len(reading.stack)
    if reading.in_string:
        if depth == 1 and reading.last_key == "action" and not reading.string_is_key:
            names = [name for name in contract if name.startswith(reading.string)]
            if len(names) == 1 and reading.string:
                return names[0][len(reading.string) :] + '"' + _after_action(names[0]), False
        elif depth == 2 and reading.string_is_key and reading.action in contract:
            return _key(contract[reading.action], reading.params_keys, reading.string), False
        return "", False
    if depth == 1 and text.endswith('"') and reading.last_key == "action" and reading.action in contract:
        return _after_action(reading.action), False
    if depth == 1 and text.endswith('"') and reading.last_key == "message":
        return "}", True
    if depth == 1 and text.endswith("}"):  # the params closed: so does the answer
        return "}", True
    if depth == 2 and reading.expect_key and text.endswith(",") and reading.action in contract:
        return '"' + _key(contract[reading.action], reading.params_keys, ""), False
    return "", False
