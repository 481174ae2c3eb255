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
