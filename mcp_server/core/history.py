"""A task's history: one entry per change, written in the transaction of the change it records, so
"what did the agent do to my task?" always has an answer that matches the task."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

# How many entries a read returns at most: the newest, oldest first.
HISTORY_READ_MAX = 200


class HistoryKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    COMPLETED = "completed"
    OCCURRENCE_COMPLETED = "occurrence_completed"
    REOPENED = "reopened"
    DELETED = "deleted"
    RESTORED = "restored"
    PURGED = "purged"


class FieldChange(BaseModel):
    old: Any = None
    new: Any = None


class HistoryEntry(BaseModel):
    """One change of one task. `changes` names each changed field with its old and new value
    (for an occurrence completed: the due it moved from and to)."""

    @classmethod
    def of(
        cls, task_id: int, at: dt.datetime, kind: HistoryKind, version: int, changes: dict[str, FieldChange]
    ) -> HistoryEntry:
        """An entry the server makes from values it holds (every write makes one: not validated again)."""
        return cls.model_construct(task_id=task_id, at=at, kind=kind, version=version, changes=changes)

    def changes_json(self) -> dict[str, dict[str, Any]]:
        return {name: change.model_dump(mode="json") for name, change in self.changes.items()}

    task_id: int
    at: dt.datetime
    kind: HistoryKind
    version: int = Field(description="The task's version after this change (0 once purged).")
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class TaskHistory(BaseModel):
    """A task's history, oldest first; `truncated` when older entries were left out."""

    task_id: int
    entries: list[HistoryEntry]
    truncated: bool = False
