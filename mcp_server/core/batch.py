"""Batches: up to BATCH_MAX operations in one call and one transaction, each with the arguments of its
own tool, and one result per operation in order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict, StrictBool
from pydantic.json_schema import SkipJsonSchema

from mcp_server.core.domain import (
    DeletedTask,
    IdempotencyKey,
    NewTask,
    Task,
    TaskId,
    TaskPatch,
    _Strict,
)
from mcp_server.core.errors import ErrorKind, InvalidInput

BATCH_MAX = 50

# The fields update_task's `clear` can remove.
ClearableField = Literal["description", "due", "parent_id", "recurrence"]
Clear = Annotated[list[ClearableField], Field(description="Fields to remove.")]
# Strict numbers and booleans: REST bodies are validated from Python objects, where "3" or "yes" would
# otherwise pass for 3 or true (and "permanent": "yes" purge a task).
ExpectedVersion = Annotated[
    int, Strict(), Field(ge=1, description="Refuse the update unless the task is at this version.")
]
OpTaskId = Annotated[TaskId, Strict()]


def patch_of(changes: dict[str, object], clear: list[ClearableField] | None) -> TaskPatch:
    """The patch of an update: the fields given, and the ones to clear (never both for one field)."""
    merged = dict(changes)
    for name in clear or []:
        if name in merged:
            raise InvalidInput(f"{name} is both set and cleared; do one or the other")
        merged[name] = None
    return TaskPatch.model_validate(merged)


class CreateOp(NewTask):
    op: Literal["create"]
    idempotency_key: IdempotencyKey | None = None

    def new_task(self) -> NewTask:
        """The task asked for, as validated already (not again: a batch holds up to 50), with the
        fields given marked as given (a subtask with no list given is in its parent's)."""
        values = {name: getattr(self, name) for name in NewTask.model_fields}
        return NewTask.model_construct(self.model_fields_set & set(NewTask.model_fields), **values)


class UpdateOp(TaskPatch):
    op: Literal["update"]
    task_id: OpTaskId
    clear: Clear | None = None
    expected_version: ExpectedVersion | None = None

    def patch(self) -> TaskPatch:
        given = self.model_dump(exclude={"op", "task_id", "clear", "expected_version"}, exclude_unset=True)
        return patch_of(given, self.clear)


class CompleteOp(_Strict):
    op: Literal["complete"]
    task_id: OpTaskId
    cascade: StrictBool = False


class DeleteOp(_Strict):
    op: Literal["delete"]
    task_id: OpTaskId
    permanent: StrictBool = False


class RestoreOp(_Strict):
    op: Literal["restore"]
    task_id: OpTaskId


BatchOperation = Annotated[CreateOp | UpdateOp | CompleteOp | DeleteOp | RestoreOp, Field(discriminator="op")]
Operations = Annotated[list[BatchOperation], Field(min_length=1, max_length=BATCH_MAX)]


class ItemError(BaseModel):
    kind: ErrorKind = Field(description="aborted: undone because another operation of an atomic batch failed.")
    message: str


def _absent(value: object) -> bool:
    return value is None


class BatchItem(BaseModel):
    """One operation's result: its task, or why it failed. The other field is left out rather than
    null, so a client checks each item against one shape (no `anyOf` with null per field)."""

    ok: bool
    task: Task | SkipJsonSchema[None] = Field(default=None, exclude_if=_absent)
    error: ItemError | SkipJsonSchema[None] = Field(default=None, exclude_if=_absent)

    @classmethod
    def of(cls, result: Task | DeletedTask) -> BatchItem:
        return cls(ok=True, task=result.task if isinstance(result, DeletedTask) else result)


class BatchResult(BaseModel):
    """`applied` is false when an atomic batch was rolled back: then no operation took effect."""

    applied: bool = Field(description="False when an atomic batch was rolled back.")
    results: list[BatchItem]
