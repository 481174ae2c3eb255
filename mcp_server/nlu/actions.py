"""The action contract: the one JSON shape every command parser (model or rules) must produce.

A discriminated union on `action`, strict per action: each action has its own params, no extra
properties, bounded strings and lists (small models loop on unbounded ones, and put words in the
wrong free-text field when one flat schema offers them all). The JSON schema handed to the model
as its constrained output format, the validation of what comes back, and the docs all derive
from these models.
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

from mcp_server.core.domain import LIST_MAX, Priority, Status

# The contract bounds what a parser may say; the task rules (NUL refused, tag lengths once lower-cased)
# are held where the action reaches the service (nlu.normalise.service_request), for every parser alike.
SHORT_MAX = 200
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_MAX)]
When = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
    Field(description="As the user said it ('Friday', 'tomorrow 5pm', '2026-12-04'); the server resolves it."),
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
Labels = Annotated[list[Label], Field(max_length=8)]
ListLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LIST_MAX)]
"""A list (project) by name, as said; the task rules lower-case it."""
Repeat = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="How it repeats, as the user said it ('every monday', 'every weekday at 9')."),
]
"""A recurrence as said; the server turns it into an RRULE (nlu.recurrence), never the model."""
ParentId = Annotated[int, Field(ge=1, le=2**31 - 1, description="The parent task's id: makes this a subtask.")]
ParentTitle = Annotated[Short, Field(description="Words of the parent task's title, when no id is given.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _exactly_one_reference(schema: dict[str, Any]) -> None:
    """State "task_id or task_title, exactly one" in the JSON schema itself, as two object variants,
    so that grammar-constrained decoding cannot produce both or neither."""
    properties = schema.pop("properties")
    required = [name for name in schema.pop("required", []) if name not in ("task_id", "task_title")]
    others = {name: spec for name, spec in properties.items() if name not in ("task_id", "task_title")}
    variants = []
    for name in ("task_id", "task_title"):
        spec = next(s for s in properties[name]["anyOf"] if s.get("type") != "null")
        described = {**spec, **{k: v for k, v in properties[name].items() if k == "description"}}
        variants.append(
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {name: described, **others},
                "required": [name, *required],
            }
        )
    schema.pop("type", None)
    schema.pop("additionalProperties", None)
    schema["anyOf"] = variants


class TaskRef(_Strict):
    """Which task: by its id, or by words of its title when the user named it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_exactly_one_reference)

    task_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    task_title: Short | None = Field(default=None, description="Words of the task's title, when no id is given.")

    @model_validator(mode="after")
    def _one_reference(self) -> TaskRef:
        if (self.task_id is None) == (self.task_title is None):
            raise ValueError("name the task by exactly one of task_id or task_title")
        return self


def _at_most_one_parent(parent_id: int | None, parent_title: str | None) -> None:
    if parent_id is not None and parent_title is not None:
        raise ValueError("name the parent task by at most one of parent_id or parent_title")


class CreateParams(_Strict):
    title: Short
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    due: When | None = None
    priority: Priority | None = None
    tags: Labels | None = None
    list: ListLabel | None = None
    recurrence: Repeat | None = None
    parent_id: ParentId | None = None
    parent_title: ParentTitle | None = None

    @model_validator(mode="after")
    def _one_parent(self) -> CreateParams:
        _at_most_one_parent(self.parent_id, self.parent_title)
        return self


class ListParams(_Strict):
    status: Status | None = None
    priority: Priority | None = None
    tag: Label | None = None
    due_before: When | None = None
    due_after: When | None = None
    search: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    list: ListLabel | None = None


class UpdateParams(TaskRef):
    title: Short | None = Field(default=None, description="The new title, only when the user renames the task.")
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    due: When | None = None
    priority: Priority | None = None
    tags: Labels | None = None
    status: Status | None = None
    list: ListLabel | None = None
    recurrence: Repeat | None = None
    parent_id: ParentId | None = None
    parent_title: ParentTitle | None = None

    @model_validator(mode="after")
    def _one_parent(self) -> UpdateParams:
        _at_most_one_parent(self.parent_id, self.parent_title)
        return self


class CreateTask(_Strict):
    action: Literal["create_task"]
    params: CreateParams


class ListTasks(_Strict):
    action: Literal["list_tasks"]
    params: ListParams = Field(default_factory=ListParams)


class UpdateTask(_Strict):
    action: Literal["update_task"]
    params: UpdateParams


class DeleteTask(_Strict):
    action: Literal["delete_task"]
    params: TaskRef


class CompleteTask(_Strict):
    action: Literal["complete_task"]
    params: TaskRef


class RestoreTask(_Strict):
    action: Literal["restore_task"]
    params: TaskRef


class Refusal(_Strict):
    """Not a task command, or too ambiguous to act on: say why instead of guessing."""

    action: Literal["error"]
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


TaskAction = CreateTask | ListTasks | UpdateTask | DeleteTask | CompleteTask | RestoreTask
"""An action that does task work: any but a refusal."""
Action = Annotated[TaskAction | Refusal, Field(discriminator="action")]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
ACTION_NAMES = ("create_task", "list_tasks", "update_task", "delete_task", "complete_task", "restore_task", "error")


def parse_action(payload: str | bytes | dict[str, Any]) -> Action:
    """Validate a parser's output; raises pydantic.ValidationError (or ValueError for bad JSON)."""
    if isinstance(payload, dict):
        return ACTION_ADAPTER.validate_python(payload)
    return ACTION_ADAPTER.validate_json(payload)


def _inline_refs(node: Any, defs: dict[str, Any], *, names: bool = False) -> Any:
    """Replace each $ref by its definition and drop annotations a decoder does not need.
    With names=True, node is a `properties` mapping whose keys are field names, kept as they are."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: _inline_refs(value, defs) for name, value in node.items()}
    if "$ref" in node:
        return _inline_refs(copy.deepcopy(defs[node["$ref"].split("/")[-1]]), defs)
    return {
        key: _inline_refs(value, defs, names=key == "properties")
        for key, value in node.items()
        if key not in ("title", "discriminator")
    }


def action_json_schema() -> dict[str, Any]:
    """The action union as one self-contained JSON schema (no $ref), the form grammar-constrained
    decoders handle most reliably."""
    schema = ACTION_ADAPTER.json_schema()
    inlined: dict[str, Any] = _inline_refs({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))
    return inlined  # a mapping inlines to a mapping


_RETURNED_KEYWORDS = ("type", "enum", "const", "items", "properties", "required")


def _returned_form(node: Any) -> Any:
    """A schema node reduced to the shape of a value: a returned action leaves absent fields out
    (never null), and bounds and hints are for the model that writes it, not for who reads it."""
    if isinstance(node, list):
        return [_returned_form(item) for item in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (node,) = [option for option in options if option != {"type": "null"}]
    return {
        key: ({name: _returned_form(spec) for name, spec in value.items()} if key == "properties" else value)
        if key != "items"
        else _returned_form(value)
        for key, value in node.items()
        if key in _RETURNED_KEYWORDS
    }


def returned_action_schema() -> dict[str, Any]:
    """The action as process_command returns it, for its output schema: one of the task actions (a
    refusal is answered as an error, never returned), prepared (due dates in ISO 8601, a recurrence
    as its RRULE, the task and its parent named by id), without absent fields. Derived from the
    contract, so the two cannot drift apart."""
    by_params: dict[str, tuple[list[str], dict[str, Any]]] = {}  # actions with the same params share a variant
    for variant in action_json_schema()["oneOf"]:
        name = variant["properties"]["action"]["const"]
        if name == "error":
            continue
        params = variant["properties"]["params"]
        if "anyOf" in params:  # task_id or task_title: a prepared action names the task by id
            params = next(option for option in params["anyOf"] if "task_id" in option["properties"])
        form = _returned_form(params)
        form.get("properties", {}).pop("parent_title", None)  # resolved to parent_id, as task_title is
        by_params.setdefault(json.dumps(form, sort_keys=True), ([], form))[0].append(name)
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "action": {"const": names[0]} if len(names) == 1 else {"enum": names},
                    "params": form,
                },
                "required": ["action", "params"],
            }
            for names, form in by_params.values()
        ]
    }
