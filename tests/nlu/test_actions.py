"""The action contract: strict per action, bounded, one self-contained schema for the model."""

import json

import jsonschema
import pytest
from pydantic import ValidationError

from mcp_server.core.domain import NewTask, TaskPatch, TaskQuery
from mcp_server.core.errors import InvalidInput
from mcp_server.nlu.actions import (
    ACTION_ADAPTER,
    ACTION_NAMES,
    CreateParams,
    CreateTask,
    ListParams,
    Refusal,
    UpdateParams,
    action_json_schema,
    parse_action,
    returned_action_schema,
)
from mcp_server.nlu.normalise import service_request


def test_each_action_parses_into_its_own_model() -> None:
    assert isinstance(parse_action('{"action":"create_task","params":{"title":"x"}}'), CreateTask)
    assert isinstance(parse_action({"action": "error", "message": "no"}), Refusal)
    assert parse_action('{"action":"list_tasks"}').params.status is None


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ('{"action":"launch","params":{}}', "does not match any of the expected tags"),
        ('{"action":"create_task","params":{"title":"x","task_id":3}}', "Extra inputs are not permitted"),
        ('{"action":"delete_task","params":{}}', "exactly one of task_id or task_title"),
        ('{"action":"delete_task","params":{"task_id":1,"task_title":"a"}}', "exactly one of task_id or task_title"),
        ('{"action":"create_task","params":{"title":"' + "x" * 201 + '"}}', "at most 200 characters"),
        ('{"action":"create_task","params":{"title":"x","tags":["a","b","c","d","e","f","g","h","i"]}}', "at most 8"),
        ('{"action":"update_task","params":{"task_id":1,"priority":"asap"}}', "'low', 'normal', 'high' or 'urgent'"),
        ('{"action":"error","message":""}', "at least 1 character"),
        ('{"action":"create_task","params":{"title":"x","list":" "}}', "at least 1 character"),
        ('{"action":"update_task","params":{"task_id":1,"list":"' + "w" * 101 + '"}}', "at most 100 characters"),
        ('{"action":"list_tasks","params":{"list":["work"]}}', "valid string"),
        ('{"action":"delete_task","params":{"task_id":1,"list":"work"}}', "Extra inputs are not permitted"),
        ('{"action":"restore_task","params":{}}', "exactly one of task_id or task_title"),
        ('{"action":"restore_task","params":{"task_id":1,"recurrence":"daily"}}', "Extra inputs are not permitted"),
        ('{"action":"create_task","params":{"title":"x","parent_id":2,"parent_title":"y"}}', "at most one of parent"),
        ('{"action":"update_task","params":{"task_id":1,"parent_id":2,"parent_title":"y"}}', "at most one of parent"),
        ('{"action":"create_task","params":{"title":"x","parent_id":0}}', "greater than or equal to 1"),
        ('{"action":"create_task","params":{"title":"x","recurrence":""}}', "at least 1 character"),
        ('{"action":"create_task","params":{"title":"x","recurrence":"' + "e" * 101 + '"}}', "at most 100 char"),
        ('{"action":"list_tasks","params":{"recurrence":"daily"}}', "Extra inputs are not permitted"),
        ("not json", "Invalid JSON"),
    ],
)
def test_invalid_outputs_are_refused(payload: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        parse_action(payload)


def test_schema_is_self_contained_and_strict() -> None:
    schema = action_json_schema()
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    branches = schema["oneOf"]
    assert sorted(b["properties"]["action"]["const"] for b in branches) == sorted(ACTION_NAMES)
    assert all(b["additionalProperties"] is False for b in branches)
    create = next(b for b in branches if b["properties"]["action"]["const"] == "create_task")
    assert create["properties"]["params"]["properties"]["title"]["maxLength"] == 200
    assert "title" in create["properties"]["params"]["properties"]  # a field named title survives
    lists = {
        b["properties"]["action"]["const"]: json.dumps(b["properties"].get("params", {})).count('"list"')
        for b in branches
    }
    assert lists == {
        "create_task": 1,
        "list_tasks": 1,
        "update_task": 2,
        "delete_task": 0,
        "complete_task": 0,
        "restore_task": 0,
        "error": 0,
    }
    assert create["properties"]["params"]["properties"]["list"] == {
        "anyOf": [{"type": "string", "minLength": 1, "maxLength": 100}, {"type": "null"}],
        "default": None,
    }


@pytest.mark.parametrize(
    ("params", "valid"),
    [
        ({"task_id": 3}, True),
        ({"task_title": "milk"}, True),
        ({"task_id": 3, "task_title": "milk"}, False),
        ({}, False),
        ({"task_id": None}, False),
    ],
)
def test_schema_itself_demands_exactly_one_task_reference(params: dict[str, object], valid: bool) -> None:
    """Constrained decoders see only the JSON schema, so the rule must live there, not only in pydantic."""
    validator = jsonschema.Draft202012Validator(action_json_schema())
    assert validator.is_valid({"action": "delete_task", "params": params}) is valid
    assert validator.is_valid({"action": "update_task", "params": {**params, "priority": "high"}}) is valid


def test_returned_action_schema_is_the_contract_as_actions_are_returned() -> None:
    """process_command returns a prepared action: dates in ISO, the task named by id, no absent fields."""
    schema = returned_action_schema()
    assert "$ref" not in json.dumps(schema) and '"null"' not in json.dumps(schema)
    validator = jsonschema.Draft202012Validator(schema)
    fields = {"create_task": CreateParams, "list_tasks": ListParams, "update_task": UpdateParams}
    named = set()
    for variant in schema["anyOf"]:
        spec = variant["properties"]["action"]
        for name in spec.get("enum", [spec.get("const")]):
            named.add(name)
            by_id = set(fields[name].model_fields) - {"task_title", "parent_title"} if name in fields else {"task_id"}
            assert set(variant["properties"]["params"]["properties"]) == by_id, name
    assert named == set(ACTION_NAMES) - {"error"}
    for payload in (
        {
            "action": "create_task",
            "params": {"title": "x", "due": "2026-12-04", "tags": ["a"], "priority": "high", "list": "work"},
        },
        {"action": "list_tasks"},
        {"action": "list_tasks", "params": {"list": "work", "status": "open"}},
        {"action": "update_task", "params": {"task_id": 2, "list": "work"}},
        {"action": "update_task", "params": {"task_id": 2, "status": "done", "due": "2026-12-04T17:00:00+01:00"}},
        {"action": "complete_task", "params": {"task_id": 2}},
        {"action": "delete_task", "params": {"task_id": 2}},
        {"action": "restore_task", "params": {"task_id": 2}},
        {"action": "create_task", "params": {"title": "x", "due": "2026-11-30", "recurrence": "FREQ=WEEKLY;BYDAY=MO"}},
        {"action": "update_task", "params": {"task_id": 2, "parent_id": 1, "recurrence": "FREQ=DAILY"}},
    ):
        returned = ACTION_ADAPTER.dump_python(parse_action(payload), mode="json", exclude_none=True)
        assert validator.is_valid(returned), returned
    assert not validator.is_valid({"action": "delete_task", "params": {"task_title": "milk"}})
    assert not validator.is_valid({"action": "restore_task", "params": {"task_title": "milk"}})
    assert not validator.is_valid({"action": "error", "message": "no"})


def test_a_list_reaches_the_task_rules_as_said_and_is_held_to_them() -> None:
    """The contract takes a list as said; the task rules lower-case it and name what they refuse."""
    created = service_request(parse_action({"action": "create_task", "params": {"title": "x", "list": " Work "}}))
    assert isinstance(created, NewTask) and created.list == "work"
    unsaid = service_request(parse_action({"action": "create_task", "params": {"title": "x"}}))
    assert isinstance(unsaid, NewTask) and unsaid.list == "inbox"
    moved = service_request(parse_action({"action": "update_task", "params": {"task_id": 3, "list": "Errands"}}))
    assert isinstance(moved, TaskPatch) and moved.list == "errands" and moved.model_fields_set == {"list"}
    kept = service_request(parse_action({"action": "update_task", "params": {"task_id": 3, "priority": "high"}}))
    assert isinstance(kept, TaskPatch) and "list" not in kept.model_fields_set
    query = service_request(parse_action({"action": "list_tasks", "params": {"list": "WORK"}}))
    assert isinstance(query, TaskQuery) and query.list == "work"
    assert isinstance(everywhere := service_request(parse_action({"action": "list_tasks"})), TaskQuery)
    assert everywhere.list is None
    long_once_lowered = "\u0130" * 60  # 60 characters, 120 once lower-cased
    for action, verb in (("create_task", "create task"), ("update_task", "update task")):
        params = {"title": "x"} if action == "create_task" else {"task_id": 3}
        with pytest.raises(InvalidInput, match=f"cannot {verb}: list: must be at most 100 characters once lower"):
            service_request(parse_action({"action": action, "params": {**params, "list": long_once_lowered}}))
    with pytest.raises(InvalidInput, match="cannot list tasks: list: "):
        service_request(parse_action({"action": "list_tasks", "params": {"list": "a\x00b"}}))


def test_the_new_fields_are_optional_and_bounded_in_the_schema_the_model_writes() -> None:
    """A parent by id or by title, a recurrence as said: optional, bounded, and restore_task takes a
    task as delete_task does."""
    branches = {b["properties"]["action"]["const"]: b for b in action_json_schema()["oneOf"]}
    for name in ("create_task", "update_task"):
        params = branches[name]["properties"]["params"]
        for variant in params.get("anyOf", [params]):
            props, required = variant["properties"], set(variant.get("required", []))
            new = {"recurrence", "parent_id", "parent_title"}
            assert new <= set(props) and not new & required
            said = next(o for o in props["recurrence"]["anyOf"] if o.get("type") == "string")
            assert said["maxLength"] == 100
            parent = next(o for o in props["parent_id"]["anyOf"] if o.get("type") == "integer")
            assert parent["minimum"] == 1 and parent["maximum"] == 2**31 - 1
    restore, delete = branches["restore_task"]["properties"]["params"], branches["delete_task"]["properties"]["params"]
    assert restore == delete
    validator = jsonschema.Draft202012Validator(action_json_schema())
    assert validator.is_valid({"action": "restore_task", "params": {"task_title": "milk"}})
    assert validator.is_valid(
        {"action": "create_task", "params": {"title": "x", "recurrence": "every monday", "parent_title": "garden"}}
    )


def test_a_prepared_action_reaches_the_task_rules_with_its_rule_parent_and_zone() -> None:
    """service_request takes a normalised action: the recurrence is its RRULE by then, the parent an
    id; a recurring task keeps the command's zone, and a list left unsaid is left to the service."""
    created = service_request(
        parse_action(
            {
                "action": "create_task",
                "params": {"title": "x", "due": "2026-11-30", "recurrence": "FREQ=WEEKLY;BYDAY=MO", "parent_id": 4},
            }
        ),
        timezone="Europe/Paris",
    )
    assert isinstance(created, NewTask)
    assert (created.recurrence, created.timezone, created.parent_id) == ("FREQ=WEEKLY;BYDAY=MO", "Europe/Paris", 4)
    assert "list" not in created.model_fields_set  # a subtask is in its parent's list
    plain = service_request(parse_action({"action": "create_task", "params": {"title": "x"}}), timezone="Europe/Paris")
    assert isinstance(plain, NewTask) and plain.timezone is None and plain.recurrence is None
    patch = service_request(
        parse_action({"action": "update_task", "params": {"task_id": 3, "recurrence": "FREQ=DAILY", "parent_id": 2}}),
        timezone="UTC",
    )
    assert isinstance(patch, TaskPatch) and patch.changes() == {
        "recurrence": "FREQ=DAILY",
        "parent_id": 2,
        "timezone": "UTC",
    }
    with pytest.raises(InvalidInput, match="cannot create task: recurrence: "):
        service_request(
            parse_action({"action": "create_task", "params": {"title": "x", "recurrence": "FREQ=SOMETIMES"}})
        )
