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
    ("move task 3 to the work list", {"action": "update_task", "params": {"task_id": 3, "list": "work"}}),
    ("move task #3 to list work", {"action": "update_task", "params": {"task_id": 3, "list": "work"}}),
    ("put task 3 in the groceries list", {"action": "update_task", "params": {"task_id": 3, "list": "groceries"}}),
    ("Move task 5 to my Errands list.", {"action": "update_task", "params": {"task_id": 5, "list": "Errands"}}),
    ("add task 8 to the list called home", {"action": "update_task", "params": {"task_id": 8, "list": "home"}}),
    (
        'move task 3 to the "home office" list',
        {"action": "update_task", "params": {"task_id": 3, "list": "home office"}},
    ),
    ("list my tasks in the work list", {"action": "list_tasks", "params": {"list": "work"}}),
    ("show the work list", {"action": "list_tasks", "params": {"list": "work"}}),
    ("show me my groceries list", {"action": "list_tasks", "params": {"list": "groceries"}}),
    ("display the list named errands", {"action": "list_tasks", "params": {"list": "errands"}}),
    ("list open tasks in list work", {"action": "list_tasks", "params": {"status": "open", "list": "work"}}),
    (
        "show high priority tasks on the work list",
        {"action": "list_tasks", "params": {"priority": "high", "list": "work"}},
    ),
    (
        "create a task in the work list: call mum",
        {"action": "create_task", "params": {"title": "Call mum", "list": "work"}},
    ),
    (
        "add a high priority task to list work: call mum",
        {"action": "create_task", "params": {"title": "Call mum", "priority": "high", "list": "work"}},
    ),
]
