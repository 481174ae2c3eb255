"""Commands the rules fast path answers for sure, with the action each one is."""

from __future__ import annotations

from typing import Any

SURE: list[tuple[str, dict[str, Any]]] = [
    ("delete task 3", {"action": "delete_task", "params": {"task_id": 3}}),
    ("Please remove task #12.", {"action": "delete_task", "params": {"task_id": 12}}),
    ("mark task 2 as done", {"action": "complete_task", "params": {"task_id": 2}}),
    ("Mark task 2 complete!", {"action": "complete_task", "params": {"task_id": 2}}),
    ("task 5 is finished", {"action": "complete_task", "params": {"task_id": 5}}),
    ("complete task 9", {"action": "complete_task", "params": {"task_id": 9}}),
    ("reopen task 4", {"action": "update_task", "params": {"task_id": 4, "status": "open"}}),
    ("set task 3 priority to high", {"action": "update_task", "params": {"task_id": 3, "priority": "high"}}),
    ("make task 3 urgent", {"action": "update_task", "params": {"task_id": 3, "priority": "urgent"}}),
    ("change the priority of task 7 to low", {"action": "update_task", "params": {"task_id": 7, "priority": "low"}}),
    (
        "rename task 3 to call the landlord",
        {"action": "update_task", "params": {"task_id": 3, "title": "Call the landlord"}},
    ),
    ("create a task: call mum", {"action": "create_task", "params": {"title": "Call mum"}}),
    ("new todo: water the plants", {"action": "create_task", "params": {"title": "Water the plants"}}),
    ("list my high priority tasks", {"action": "list_tasks", "params": {"priority": "high"}}),
    ("show me all open tasks", {"action": "list_tasks", "params": {"status": "open"}}),
    ("list completed tasks", {"action": "list_tasks", "params": {"status": "done"}}),
    ("show tasks tagged work", {"action": "list_tasks", "params": {"tag": "work"}}),
    ("list my tasks", {"action": "list_tasks", "params": {}}),
]
