"""Smaller tool schemas: every agent that connects loads `tools/list` into its context.

Pydantic's JSON schemas carry what a model does not need: a "title" on every property and model
(the property name already says it), and optional arguments spelt `anyOf: [X, {"type": "null"}]`
with `"default": null`. Compacting removes those without changing what is valid input or output:
- input: an optional argument is shown as X alone (leaving it out means "not given"; the server
  still accepts an explicit null);
- output: a nullable field keeps null, as `anyOf: [X, {"type": "null"}]`: the form every client
  reads (some read `type` as one string and drop or refuse `"type": [T, "null"]`).
A definition used once is written where it is used: `$defs` and `$ref` cost more than they save
there, and some clients handle no `$ref` at all. An output schema also drops what tells its reader
nothing: a model's own docstring (the tool's description says what it returns) and bounds such as
`minimum`, which only the server, writing the value, has to keep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

_NULL = {"type": "null"}
_INT64_MAX = 2**63 - 1
_DEFS = "#/$defs/"
_BOUNDS = frozenset({"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"})


# A model described once in full elsewhere, by the set of its property names, and what stands for it.
Summaries = Mapping[frozenset[str], dict[str, Any]]


def compact_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return _compact_object(_inline_single_use(schema), keep_null=False)


def compact_output_schema(schema: dict[str, Any], summaries: Summaries | None = None) -> dict[str, Any]:
    compact = _compact_object(_inline_single_use(schema), keep_null=True)
    return _inline_single_use(summarise(compact, summaries)) if summaries else compact


def summarise(node: Any, summaries: Summaries) -> Any:
    """The schema with each object whose properties are one of `summaries`' models replaced by its
    summary: a task is described in full by one tool's output schema (get_task), and the other tools
    that return tasks say so in a line instead of repeating ~300 tokens each. The summary is still a
    schema every returned task fits."""
    if isinstance(node, list):
        return [summarise(item, summaries) for item in node]
    if not isinstance(node, dict):
        return node
    properties = node.get("properties")
    if isinstance(properties, dict) and (summary := summaries.get(frozenset(properties))) is not None:
        return summary
    return {
        key: (
            {name: summarise(sub, summaries) for name, sub in value.items()}
            if key in ("properties", "$defs")
            else summarise(value, summaries)
        )
        for key, value in node.items()
    }


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from refs_in(item)
    elif isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)


def _inline_single_use(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each definition referenced once put in place of its `$ref`."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    uses = Counter(refs_in(schema))
    once = {name for name in defs if uses[_DEFS + name] == 1}

    def place(node: Any, inside: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [place(item, inside) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        name = ref.removeprefix(_DEFS) if isinstance(ref, str) and ref.startswith(_DEFS) else None
        # `inside` guards a definition that refers to itself
        if name is not None and name in once and name not in inside:
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            return {**place(defs[name], inside | {name}), **place(siblings, inside)}
        return {key: place(value, inside) for key, value in node.items()}

    kept = {name: place(spec, frozenset({name})) for name, spec in defs.items() if name not in once}
    body = {key: place(value, frozenset()) for key, value in schema.items() if key != "$defs"}
    return {**body, "$defs": kept} if kept else body


def _compact(node: Any, *, keep_null: bool) -> Any:
    if isinstance(node, list):
        return [_compact(item, keep_null=keep_null) for item in node]
    if not isinstance(node, dict):
        return node
    return _compact_object(node, keep_null=keep_null)


def _compact_object(node: dict[str, Any], *, keep_null: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue  # a schema keyword here; property names are keys of "properties", kept below
        if keep_null and (key == "default" or key in _BOUNDS):
            continue  # an output always carries every field, within its bounds: these tell its reader nothing
        if key == "maximum" and value == _INT64_MAX:
            continue  # an id's bound: the store's integer size, nothing an agent could reach
        if keep_null and key == "description" and "properties" in node:
            continue  # a model's docstring, written for the code's readers
        if key == "examples" and _shown_in(value, node.get("description")):
            continue  # the description already quotes them
        if key in ("properties", "$defs", "definitions", "patternProperties"):
            out[key] = {name: _compact(sub, keep_null=keep_null) for name, sub in value.items()}
        else:
            out[key] = _compact(value, keep_null=keep_null)
    return _fold_nullable(out, keep_null=keep_null)


def _fold_nullable(node: dict[str, Any], *, keep_null: bool) -> dict[str, Any]:
    """`anyOf: [X, null]` as X (input), or kept with X's description moved up beside it (output)."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or _NULL not in options:
        return node
    (other,) = [option for option in options if option != _NULL]
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    inner, outer = other.get("description"), rest.get("description")
    if isinstance(inner, str):
        rest["description"] = f"{outer} {inner}" if isinstance(outer, str) and inner not in outer else outer or inner
    if not keep_null:
        if rest.get("default", 0) is None:
            del rest["default"]
        return {**other, **rest}
    bare = {key: value for key, value in other.items() if key != "description"}
    return {"anyOf": [bare, _NULL], **rest}


def _shown_in(examples: Any, description: Any) -> bool:
    return (
        isinstance(examples, list)
        and isinstance(description, str)
        and all(isinstance(e, str) and e in description for e in examples)
    )
