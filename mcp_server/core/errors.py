"""Errors the service raises on purpose; every adapter turns them into a client-facing message."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorKind(StrEnum):
    """The categories of error a caller sees: the `code` of an HTTP error body, the `error_kind` of
    logs and metrics. Each adapter maps every kind (http/errors.py to a status, mcp/tooling.py to a
    tool result), and a test holds them to it."""

    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID_INPUT = "invalid_input"
    STORE_UNAVAILABLE = "store_unavailable"
    AMBIGUOUS = "ambiguous"
    CONFIRMATION_REQUIRED = "confirmation_required"
    REFUSED = "refused"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    QUOTA_EXCEEDED = "quota_exceeded"
    MODEL_UNAVAILABLE = "model_unavailable"
    INVALID_MODEL_OUTPUT = "invalid_model_output"
    ABORTED = "aborted"
    UNDERSTOOD_DIFFERENTLY = "understood_differently"
    INTERNAL = "internal"  # a bug: never raised on purpose, reported without its details


class TaskError(Exception):
    """Base of errors a caller can act on; `kind` names the category in logs and metrics."""

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL


class TaskNotFound(TaskError):
    kind = ErrorKind.NOT_FOUND

    def __init__(self, task_id: int | None, detail: str = "") -> None:
        self.task_id = task_id
        super().__init__(detail or f"task {task_id} does not exist; call list_tasks to see the ids there are")


class VersionConflict(TaskError):
    kind = ErrorKind.CONFLICT

    def __init__(self, task_id: int, expected: int, current: int) -> None:
        self.task_id = task_id
        self.expected = expected
        self.current = current
        super().__init__(
            f"task {task_id} is at version {current}, not the expected version {expected}: "
            f"it changed since you read it; read it again and retry with expected_version={current}"
        )


class IdempotencyConflict(TaskError):
    kind = ErrorKind.CONFLICT


class StateConflict(TaskError):
    """The task is not in a state that allows this (open subtasks, already in the trash, not in it)."""

    kind = ErrorKind.CONFLICT


class UnderstoodDifferently(TaskError):
    """A command sent with the action a dry run showed was understood as another one this time (the
    model answered otherwise, or the preview is too old to run as shown): nothing ran; preview again."""

    kind = ErrorKind.UNDERSTOOD_DIFFERENTLY


class ConcurrentWrite(TaskError):
    """Two writes of the same tasks, at the same moment, each waited for the other (a deadlock the
    database broke): this one was undone, and may simply be sent again."""

    kind = ErrorKind.CONFLICT


class BatchAborted(TaskError):
    """An operation of an atomic batch that was undone because another one failed."""

    kind = ErrorKind.ABORTED


class InvalidInput(TaskError):
    kind = ErrorKind.INVALID_INPUT


class ScopeMissing(TaskError):
    """The credentials of the call do not grant the scope it needs (a read-only key asked to write)."""

    kind = ErrorKind.INSUFFICIENT_SCOPE

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(f"these credentials do not grant the {scope} scope this call needs; use a key that has it")


class StoreUnavailable(TaskError):
    kind = ErrorKind.STORE_UNAVAILABLE


class AmbiguousTask(TaskError):
    """Words of a title matched several tasks; the message lists them so the caller can pick one."""

    kind = ErrorKind.AMBIGUOUS


class ConfirmationRequired(TaskError):
    """A destructive command asked for in words must be confirmed before it runs."""

    kind = ErrorKind.CONFIRMATION_REQUIRED


class CommandRefused(TaskError):
    """The parser judged the command not a task command, or too ambiguous to act on."""

    kind = ErrorKind.REFUSED


class ModelUnavailable(TaskError):
    """The command model is loading, unreachable, busy or too slow; the message says when to retry."""

    kind = ErrorKind.MODEL_UNAVAILABLE


class InvalidModelOutput(TaskError):
    """The model's answer was not one valid action, even after a retry (or it named what the command
    never said)."""

    kind = ErrorKind.INVALID_MODEL_OUTPUT

    def __init__(self, message: str, *, parser: str | None = None, raw_output: str | None = None) -> None:
        super().__init__(message)
        self.parser = parser
        self.raw_output = raw_output
