"""The task domain: what a task is, what may change, and how a list is asked for.

These pydantic models are the single definition of the data; tool schemas, the store and
validation all derive from them, so a rule written here holds everywhere.
"""

from __future__ import annotations

import builtins
import datetime as dt
import zoneinfo
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from mcp_server.core.history import HistoryEntry
from mcp_server.core.recurrence import RECURRENCE_MAX, RepeatFrom, parse_rrule

TITLE_MAX = 500
DESCRIPTION_MAX = 10_000
TAG_MAX = 50
LIST_MAX = 100
DEFAULT_LIST = "inbox"
TAGS_MAX = 20
SEARCH_MAX = 200
PAGE_DEFAULT = 20
PAGE_MAX = 100
# Ids are 64-bit signed integers in both stores (SQLite INTEGER, PostgreSQL BIGINT): a larger id can
# name no task, and handed to a store it fails there instead of being refused here.
TASK_ID_MAX = 2**63 - 1
IDEMPOTENCY_KEY_MAX = 200
CURSOR_MAX = 500
# A list's total counts matches up to this many; beyond it, total says this and total_exact is false.
# Counting every match is O(matches): on a 100k-task store it cost more than the page itself.
TOTAL_COUNT_LIMIT = 1000


TIMEZONE_MAX = 64
# A parent chain longer than this is refused: it is no plan a person keeps, and walking it is bounded.
NESTING_MAX = 100


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"


class StatusFilter(StrEnum):
    """What list_tasks can ask for: a status, or the trash (tasks deleted and not yet purged)."""

    OPEN = "open"
    DONE = "done"
    DELETED = "deleted"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


def refuse_nul(value: str) -> str:
    """PostgreSQL text cannot hold a NUL character, SQLite can: refusing it in every text input keeps
    both stores alike and the failure a clear one."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters")
    return value


NoNul = AfterValidator(refuse_nul)


def parse_due(value: Any) -> str:
    """Accept an ISO 8601 date, or a datetime that carries a timezone; return it in ISO form.

    A datetime without a timezone is refused: "17:00" means different instants to different
    users, and guessing silently would move deadlines.
    """
    if isinstance(value, dt.datetime):
        parsed: dt.date | dt.datetime = value
    elif isinstance(value, dt.date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"due must be an ISO 8601 date (2026-12-31) or datetime with a timezone "
                f"(2026-12-31T17:00:00+01:00), got {value!r}"
            ) from None
    else:
        raise ValueError(f"due must be an ISO 8601 string, got {type(value).__name__}")
    if isinstance(parsed, dt.datetime):
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise ValueError(
                f"due datetime {value!r} has no timezone; add an offset such as Z or +01:00, or give a date only"
            )
        try:  # lists order by the UTC instant, which must exist too
            parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValueError(f"due {value!r} falls outside the years 1-9999 once converted to UTC") from None
        return parsed.isoformat()
    return parsed.isoformat()


def _utc_key(instant: dt.datetime) -> str:
    # isoformat, not strftime: strftime writes year 1 as "1", not "0001", which breaks the fixed width.
    return instant.isoformat(timespec="microseconds") + "Z"


def due_sort_key(due: str) -> str:
    """A UTC, fixed-width form of a due value so that string order is time order.

    A date-only due counts as the start of that day in UTC.
    """
    if len(due) == 10:
        return _utc_key(dt.datetime.fromisoformat(due))
    return _utc_key(dt.datetime.fromisoformat(due).astimezone(dt.UTC).replace(tzinfo=None))


def due_bound_key(bound: str, *, upper: bool) -> str:
    """Sort key for a due_before/due_after bound, both inclusive; a date-only upper bound covers that
    whole day: it is the day's last instant, not the next day's first (9999-12-31 has none)."""
    if len(bound) == 10 and upper:
        return _utc_key(dt.datetime.combine(dt.date.fromisoformat(bound), dt.time.max))
    return due_sort_key(bound)


def _lowered_within(limit: int) -> Callable[[str], str]:
    """A name as stored (a tag, a list): lower-cased, as they compare case-insensitively, and within
    `limit` once lower-cased ("İ".lower() is 2 characters)."""

    def lowered(text: str) -> str:
        value = refuse_nul(text).lower()
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters once lower-cased (is {len(value)})")
        return value

    return lowered


_lower_tag = _lowered_within(TAG_MAX)
_list_name = _lowered_within(LIST_MAX)


def known_zone(name: str) -> str:
    """An IANA zone name this machine knows (Europe/Paris, UTC)."""
    refuse_nul(name)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: IsADirectoryError
        raise ValueError(f"{name!r} is not an IANA timezone name such as Europe/Paris or UTC") from None
    return name


def _rrule(text: str) -> str:
    refuse_nul(text)
    try:
        return parse_rrule(text)
    except ValueError as exc:  # the field's name is said where the error is reported
        raise ValueError(str(exc).removeprefix("recurrence: ")) from None


def _dedupe(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    NoNul,
    Field(description=f"Short summary of the task, 1-{TITLE_MAX} characters."),
]
Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX),
    NoNul,
    Field(description="Longer free-text notes."),
]
Due = Annotated[
    str,
    AfterValidator(parse_due),
    Field(
        description="ISO 8601 date (2026-12-31) or datetime with timezone (2026-12-31T17:00:00+01:00).",
        examples=["2026-12-31", "2026-12-31T17:00:00+01:00"],
    ),
]
# Lengths are checked on the normalised value (stripped, then lower-cased), the value that is stored.
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_MAX), AfterValidator(_lower_tag)
]
ListName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=LIST_MAX),
    AfterValidator(_list_name),
    Field(description="A list (project) name; case-insensitive."),
]
Tags = Annotated[
    list[Tag],
    Field(max_length=TAGS_MAX, description="Labels; stored lowercase and deduplicated."),
    AfterValidator(_dedupe),
]
# Strict: a JSON body's "3" is not the id 3 (REST bodies are validated from Python objects, where
# pydantic's lax mode would turn it into one).
ParentId = Annotated[
    int, Strict(), Field(ge=1, le=TASK_ID_MAX, description="Makes this a subtask of that task (same list).")
]
Recurrence = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=RECURRENCE_MAX),
    AfterValidator(_rrule),
    Field(description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO; needs a due.", examples=["FREQ=WEEKLY;BYDAY=MO"]),
]
RepeatFromField = Annotated[
    RepeatFrom, Field(description="Next due counted from the current due (default) or from completion.")
]
ZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TIMEZONE_MAX),
    AfterValidator(known_zone),
    Field(description="IANA zone a recurring due keeps its wall-clock time in; default the server's."),
]
SearchText = Annotated[str, StringConstraints(min_length=1, max_length=SEARCH_MAX), NoNul]
TaskId = Annotated[int, Field(ge=1, le=TASK_ID_MAX, description="The task's numeric id.")]
IdempotencyKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=IDEMPOTENCY_KEY_MAX),
    NoNul,
    Field(description="Any unique string; a retry with the same key returns the first task."),
]
# The list filters and the page, as both adapters take them. The description sits on the optional
# type, so that the schema joins it with Due's own (the date formats).
DueBefore = Annotated[Due | None, Field(description="Due on or before this date/datetime.")]
DueAfter = Annotated[Due | None, Field(description="Due on or after this date/datetime.")]
SearchFilter = Annotated[SearchText | None, Field(description="Case-insensitive text in title or description.")]
PageLimit = Annotated[int, Field(ge=1, le=PAGE_MAX)]
Cursor = Annotated[
    Annotated[str, StringConstraints(max_length=CURSOR_MAX), NoNul] | None,
    Field(description="next_cursor from the previous page."),
]


class _Strict(BaseModel):
    """Refuse fields we do not know: a misspelt field must not be dropped silently."""

    model_config = ConfigDict(extra="forbid")


class NewTask(_Strict):
    """What a caller gives to create a task."""

    title: Title
    description: Description | None = None
    due: Due | None = None
    priority: Priority = Priority.NORMAL
    tags: Tags = Field(default_factory=list)
    list: ListName = DEFAULT_LIST
    parent_id: ParentId | None = None
    recurrence: Recurrence | None = None
    repeat_from: RepeatFrom = RepeatFrom.DUE
    timezone: ZoneName | None = None


class TaskPatch(_Strict):
    """A partial update: only the fields that are set change."""

    title: Title | None = None
    description: Description | None = None
    due: Due | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    status: Status | None = None
    list: ListName | None = None
    parent_id: ParentId | None = None
    recurrence: Recurrence | None = None
    repeat_from: RepeatFrom | None = None
    timezone: ZoneName | None = None

    @model_validator(mode="after")
    def _only_optional_fields_cleared(self) -> TaskPatch:
        for name in ("title", "priority", "tags", "status", "list", "repeat_from", "timezone"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it as it is")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class SubtaskCounts(BaseModel):
    """How many direct subtasks a task has, open and done (the trash not counted)."""

    open: int = 0
    done: int = 0


NO_SUBTASKS = SubtaskCounts()


class Task(_Strict):
    """A stored task, as every adapter returns it."""

    id: int = Field(ge=1, description="The task's numeric id.")
    title: str
    description: str | None = None
    status: Status = Status.OPEN
    priority: Priority = Priority.NORMAL
    due: str | None = Field(default=None, description="ISO 8601 date or datetime with timezone.")
    tags: builtins.list[str] = Field(default_factory=builtins.list)  # `list` is a field of a task
    list: str = Field(default=DEFAULT_LIST, description="The list (project) the task belongs to.")
    parent_id: int | None = Field(default=None, description="The task this one is a subtask of.")
    subtasks: SubtaskCounts = Field(default=NO_SUBTASKS, description="Its direct subtasks, open and done.")
    recurrence: str | None = Field(default=None, description="RRULE of a recurring task, from its due on.")
    repeat_from: RepeatFrom = RepeatFrom.DUE
    timezone: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = Field(default=None, description="Set while the task is in the trash.")
    version: int = Field(ge=1, description="Increases on every change; pass it as expected_version.")


class TaskQuery(_Strict):
    """Filters for listing tasks; all optional and combined with AND."""

    status: StatusFilter | None = None
    priority: Priority | None = None
    tag: Tag | None = None
    list: ListName | None = None
    parent_id: Annotated[TaskId | None, Field(description="Only the direct subtasks of this task.")] = None
    due_before: DueBefore = None
    due_after: DueAfter = None
    search: SearchFilter = None

    def normalised(self) -> TaskQuery:
        """Tags compare lowercase, as they are stored."""
        return self.model_copy(update={"tag": self.tag.strip().lower() if self.tag else None})


class TaskList(BaseModel):
    """A list (project) and how many of its tasks are open and done. A list exists while a task is in it."""

    name: str
    open: int
    done: int


class ListRename(BaseModel):
    """The outcome of renaming a list: every task of `name` moved to `new_name` (merged into it if it exists)."""

    name: str
    new_name: str
    moved: int = Field(description="How many tasks moved; each got a new version.")


class TaskPage(BaseModel):
    """One page of a task list, in a stable order (by id)."""

    tasks: list[Task]
    next_cursor: str | None = Field(description="Pass as cursor to get the next page; null on the last page.")
    total: int = Field(
        description=f"How many tasks match the filters, over all pages, counted up to {TOTAL_COUNT_LIMIT}."
    )
    total_exact: bool = Field(
        default=True, description=f"False when more than {TOTAL_COUNT_LIMIT} tasks match: total is then a floor."
    )


class DeletedTask(BaseModel):
    """The outcome of a delete: the task in the trash (or, when purged, as it was just before)."""

    deleted: bool = True
    permanent: bool = Field(default=False, description="Purged for good; otherwise restore_task brings it back.")
    task: Task
    subtask_ids: builtins.list[int] = Field(
        default_factory=builtins.list, description="Ids of the subtasks deleted with it."
    )


Include = Literal["subtasks", "history"]


class TaskDetail(BaseModel):
    """One task, with its direct subtasks and/or its history when asked for."""

    task: Task
    subtasks: builtins.list[Task] | None = None
    history: builtins.list[HistoryEntry] | None = None
    history_truncated: bool | None = None
