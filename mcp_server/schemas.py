"""Smaller tool schemas: every agent that connects loads `tools/list` into its context.

Pydantic's JSON schemas carry what a model does not need: a "title" on every property and model
(the property name already says it), and optional arguments spelt `anyOf: [X, {"type": "null"}]`
with `"default": null`. Compacting removes those without changing what is valid input or output:
- input: an optional argument is shown as X alone (leaving it out means "not given"; the server
  still accepts an explicit null);
- output: a nullable field keeps null, written as `"type": [T, "null"]` where X is a plain type.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


def compact_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return _compact(schema, keep_null=False)


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return _compact(schema, keep_null=True)


def _compact(node: Any, *, keep_null: bool) -> Any:
    if isinstance(node, list):
        return [_compact(item, keep_null=keep_null) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue  # a schema keyword here; property names are keys of "properties", kept below
        if key == "default" and keep_null:
            continue  # an output always carries every field: a default tells its reader nothing
        if key == "examples" and _shown_in(value, node.get("description")):
            continue  # the description already quotes them
        if key in ("properties", "$defs", "definitions", "patternProperties"):
            out[key] = {name: _compact(sub, keep_null=keep_null) for name, sub in value.items()}
        else:
            out[key] = _compact(value, keep_null=keep_null)
    return _fold_nullable(out, keep_null=keep_null)


def _fold_nullable(node: dict[str, Any], *, keep_null: bool) -> dict[str, Any]:
    """`anyOf: [X, null]` as X (input) or as X with null added to its type (output)."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or _NULL not in options:
        return node
    (other,) = [option for option in options if option != _NULL]
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    inner, outer = other.get("description"), rest.get("description")
    if isinstance(inner, str) and isinstance(outer, str) and inner not in outer:
        rest["description"] = f"{outer} {inner}"
    if not keep_null:
        if rest.get("default", 0) is None:
            del rest["default"]
        return {**other, **rest}
    if isinstance(other.get("type"), str) and "$ref" not in other:
        return {**other, **rest, "type": [other["type"], "null"]}
    return node


def _shown_in(examples: Any, description: Any) -> bool:
    return (
        isinstance(examples, list)
        and isinstance(description, str)
        and all(isinstance(e, str) and e in description for e in examples)
    )
