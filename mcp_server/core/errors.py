"""Errors the service raises on purpose; every adapter turns them into a client-facing message."""

from __future__ import annotations


class TaskError(Exception):
    """Base of errors a caller can act on; `kind` names the category in logs and metrics."""

    kind = "error"


class TaskNotFound(TaskError):
    kind = "not_found"

    def __init__(self, task_id: int | None, detail: str = "") -> None:
        self.task_id = task_id
        super().__init__(detail or f"task {task_id} does not exist; call list_tasks to see the ids there are")


class VersionConflict(TaskError):
    kind = "conflict"

    def __init__(self, task_id: int, expected: int, current: int) -> None:
        self.task_id = task_id
        self.expected = expected
        self.current = current
        super().__init__(
            f"task {task_id} is at version {current}, not the expected version {expected}: "
            f"it changed since you read it; read it again and retry with expected_version={current}"
        )


class IdempotencyConflict(TaskError):
    kind = "conflict"


class InvalidInput(TaskError):
    kind = "invalid_input"


class StoreUnavailable(TaskError):
    kind = "store_unavailable"


class AmbiguousTask(TaskError):
    """Words of a title matched several tasks; the message lists them so the caller can pick one."""

    kind = "ambiguous"


class ConfirmationRequired(TaskError):
    """A destructive command asked for in words must be confirmed before it runs."""

    kind = "confirmation_required"


class CommandRefused(TaskError):
    """The parser judged the command not a task command, or too ambiguous to act on."""

    kind = "refused"


class ModelUnavailable(TaskError):
    """The command model is loading, unreachable, busy or too slow; the message says when to retry."""

    kind = "model_unavailable"


class InvalidModelOutput(TaskError):
    """The model's answer was not one valid action, even after a retry (or it named what the command
    never said)."""

    kind = "invalid_model_output"

    def __init__(self, message: str, *, parser: str | None = None, raw_output: str | None = None) -> None:
        super().__init__(message)
        self.parser = parser
        self.raw_output = raw_output
