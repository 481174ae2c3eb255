"""The task tools: each translates its arguments, calls the service and returns the domain model.

Every tool's description and schema is read by every agent that connects, so they say what an agent
needs to call the tool well and nothing more (tests/mcp/test_tools_contract.py holds them to a budget)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp_types import ToolAnnotations
from pydantic import Field

from mcp_server.core.batch import BATCH_MAX, BatchResult, Clear, ExpectedVersion, Operations, patch_of
from mcp_server.core.domain import (
    DEFAULT_LIST,
    PAGE_DEFAULT,
    Cursor,
    DeletedTask,
    Description,
    Due,
    DueAfter,
    DueBefore,
    IdempotencyKey,
    Include,
    ListName,
    ListRename,
    NewTask,
    PageLimit,
    ParentId,
    Priority,
    Recurrence,
    RepeatFromField,
    SearchFilter,
    Status,
    StatusFilter,
    Tag,
    Tags,
    Task,
    TaskDetail,
    TaskId,
    TaskPage,
    TaskQuery,
    Title,
    ZoneName,
)
from mcp_server.core.recurrence import RepeatFrom
from mcp_server.core.service import TaskService
from mcp_server.mcp.apps.view import LIST_TASKS_META
from mcp_server.mcp.tooling import ManagedTool, ToolObserver

# Every tool but get_task names a returned task in a line; get_task's output schema describes it in full.
TASK_SUMMARY: dict[str, Any] = {
    "type": "object",
    "description": "A task, with the fields get_task's output schema describes.",
    "properties": {"id": {"type": "integer"}, "version": {"type": "integer"}},
    "required": ["id", "version"],
}
SUMMARIES = {frozenset(Task.model_fields): TASK_SUMMARY}
# batch_tasks' operations as advertised: each is validated as the arguments of its own tool.
OPERATIONS_SHOWN: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": BATCH_MAX,
    "description": 'Each {"op": ..., ...the arguments of that tool}, e.g. {"op": "complete", "task_id": 3}.',
    "items": {
        "type": "object",
        "properties": {"op": {"enum": ["create", "update", "complete", "delete", "restore"]}},
        "required": ["op"],
    },
}


def _annotations(*, read_only: bool = False, destructive: bool = False, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=False
    )


def build_tools(service: TaskService, observer: ToolObserver | None) -> list[ManagedTool]:
    async def create_task(
        title: Title,
        description: Description | None = None,
        due: Due | None = None,
        priority: Priority = Priority.NORMAL,
        tags: Tags | None = None,
        list: Annotated[
            ListName | None, Field(description=f"The list (project); default {DEFAULT_LIST}, or the parent's.")
        ] = None,
        parent_id: ParentId | None = None,
        recurrence: Recurrence | None = None,
        repeat_from: RepeatFromField = RepeatFrom.DUE,
        timezone: ZoneName | None = None,
        idempotency_key: IdempotencyKey | None = None,
    ) -> Task:
        """Create an open task. Give idempotency_key when you might retry, so a retry never duplicates it."""
        given: dict[str, Any] = {
            "title": title,
            "description": description,
            "due": due,
            "priority": priority,
            "tags": tags or [],
            "parent_id": parent_id,
            "recurrence": recurrence,
            "repeat_from": repeat_from,
            "timezone": timezone,
        }
        if list is not None:  # else the default list, or for a subtask its parent's
            given["list"] = list
        return await service.create_task(NewTask.model_validate(given), idempotency_key=idempotency_key)

    async def list_tasks(
        status: Annotated[StatusFilter | None, Field(description="deleted lists the trash.")] = None,
        priority: Priority | None = None,
        tag: Tag | None = None,
        list: ListName | None = None,
        parent_id: Annotated[TaskId | None, Field(description="Only the direct subtasks of this task.")] = None,
        due_before: DueBefore = None,
        due_after: DueAfter = None,
        search: SearchFilter = None,
        limit: PageLimit = PAGE_DEFAULT,
        cursor: Cursor = None,
    ) -> TaskPage:
        """List tasks matching all given filters, oldest first, a page at a time, with the total that match."""
        query = TaskQuery(
            status=status,
            priority=priority,
            tag=tag,
            list=list,
            parent_id=parent_id,
            due_before=due_before,
            due_after=due_after,
            search=search,
        )
        return await service.list_tasks(query, limit=limit, cursor=cursor)

    async def get_task(task_id: TaskId, include: list[Include] | None = None) -> TaskDetail:
        """One task; include adds its direct subtasks and/or its history of changes."""
        return await service.task_detail(task_id, include=include or [])

    async def update_task(
        task_id: TaskId,
        title: Title | None = None,
        description: Description | None = None,
        due: Annotated[Due | None, Field(description="A recurring task keeps its rule.")] = None,
        priority: Priority | None = None,
        tags: Annotated[Tags | None, Field(description="Replaces all tags; [] removes them.")] = None,
        status: Status | None = None,
        list: Annotated[ListName | None, Field(description="Moves the task (and its subtasks) to this list.")] = None,
        parent_id: ParentId | None = None,
        recurrence: Recurrence | None = None,
        repeat_from: RepeatFrom | None = None,
        timezone: ZoneName | None = None,
        clear: Clear | None = None,
        expected_version: ExpectedVersion | None = None,
    ) -> Task:
        """Change some fields of a task; fields not given stay as they are."""
        given = {
            "title": title,
            "description": description,
            "due": due,
            "priority": priority,
            "tags": tags,
            "status": status,
            "list": list,
            "parent_id": parent_id,
            "recurrence": recurrence,
            "repeat_from": repeat_from,
            "timezone": timezone,
        }
        changes: dict[str, object] = {name: value for name, value in given.items() if value is not None}
        return await service.update_task(task_id, patch_of(changes, clear), expected_version=expected_version)

    async def complete_task(
        task_id: TaskId,
        cascade: Annotated[bool, Field(description="Also complete its open subtasks (else refused).")] = False,
    ) -> Task:
        """Mark a task done; a recurring one moves to its next due and stays open. Done already: no change."""
        return await service.complete_task(task_id, cascade=cascade)

    async def delete_task(
        task_id: TaskId,
        permanent: Annotated[bool, Field(description="Purge now instead of moving to the trash.")] = False,
    ) -> DeletedTask:
        """Move a task and its subtasks to the trash (restore_task undoes it)."""
        return await service.delete_task(task_id, permanent=permanent)

    async def restore_task(task_id: TaskId) -> Task:
        """Bring a task back from the trash, with the subtasks deleted with it."""
        return await service.restore_task(task_id)

    async def rename_list(
        name: Annotated[ListName, Field(description="The list to rename.")],
        new_name: Annotated[ListName, Field(description="Its new name; an existing list takes its tasks in.")],
    ) -> ListRename:
        """Rename a list: move all of its tasks to new_name in one step. task://lists shows the lists."""
        return await service.rename_list(name, new_name)

    async def batch_tasks(
        operations: Operations,
        atomic: Annotated[bool, Field(description="All or nothing: one failure undoes every operation.")] = False,
    ) -> BatchResult:
        """Run several task operations in one call and one transaction; one result per operation, in order."""
        return await service.batch(operations, atomic=atomic)

    def tool(fn: Any, title: str, annotations: ToolAnnotations, **options: Any) -> ManagedTool:
        summaries = None if fn is get_task else SUMMARIES
        return ManagedTool.create(
            fn, title=title, annotations=annotations, observer=observer, summaries=summaries, **options
        )

    return [
        tool(create_task, "Create task", _annotations()),
        tool(list_tasks, "List tasks", _annotations(read_only=True, idempotent=True), meta=LIST_TASKS_META),
        tool(get_task, "Get task", _annotations(read_only=True, idempotent=True)),
        tool(update_task, "Update task", _annotations(destructive=True, idempotent=True)),
        # Not idempotent: completing a recurring task twice completes two occurrences.
        tool(complete_task, "Complete task", _annotations()),
        tool(delete_task, "Delete task", _annotations(destructive=True, idempotent=True)),
        tool(restore_task, "Restore task", _annotations(idempotent=True)),
        tool(rename_list, "Rename list", _annotations()),
        tool(
            batch_tasks,
            "Batch tasks",
            _annotations(destructive=True),
            shown_arguments={"operations": OPERATIONS_SHOWN},
        ),
    ]
