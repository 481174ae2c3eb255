"""Validation rules of the task model: what is accepted, normalised, and refused."""

import pytest
from pydantic import TypeAdapter, ValidationError

from mcp_server.core.domain import (
    TASK_ID_MAX,
    NewTask,
    TaskId,
    TaskPatch,
    TaskQuery,
    due_bound_key,
    due_sort_key,
    parse_due,
)


def test_title_is_trimmed_and_tags_normalised() -> None:
    task = NewTask(title="  Review PR #42  ", tags=["Work", "work ", "URGENT-ish"])
    assert task.title == "Review PR #42"
    assert task.tags == ["work", "urgent-ish"]


@pytest.mark.parametrize("title", ["", "   ", "x" * 501])
def test_title_must_be_1_to_500_characters(title: str) -> None:
    with pytest.raises(ValidationError, match="title"):
        NewTask(title=title)


def test_500_character_title_is_accepted() -> None:
    assert len(NewTask(title="x" * 500).title) == 500


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        NewTask(title="a", colour="red")
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        TaskPatch(titel="typo")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-12-31", "2026-12-31"),
        ("2026-12-31T17:00:00+01:00", "2026-12-31T17:00:00+01:00"),
        ("2026-12-31T17:00:00Z", "2026-12-31T17:00:00+00:00"),
    ],
)
def test_due_accepts_dates_and_zoned_datetimes(given: str, stored: str) -> None:
    assert parse_due(given) == stored


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "2026-12-31T17:00:00", "31/12/2026", ""])
def test_due_refuses_words_bad_dates_and_naive_datetimes(bad: str) -> None:
    with pytest.raises(ValueError, match="due"):
        parse_due(bad)


def test_due_sort_key_orders_by_instant_across_offsets() -> None:
    earlier = due_sort_key("2026-12-31T17:00:00+02:00")  # 15:00 UTC
    later = due_sort_key("2026-12-31T16:00:00+00:00")
    assert earlier < later
    assert due_sort_key("2026-12-31") < earlier


def test_date_only_upper_bound_covers_the_whole_day() -> None:
    """Bounds are inclusive (due_key <= bound): a date-only upper bound is the day's last instant."""
    bound = due_bound_key("2026-12-31", upper=True)
    assert due_sort_key("2026-12-31T23:59:59.999999+00:00") <= bound < due_sort_key("2027-01-01")


def test_patch_reports_only_fields_that_were_set() -> None:
    assert TaskPatch(priority="high").changes() == {"priority": "high"}
    assert TaskPatch.model_validate({"due": None}).changes() == {"due": None}


def test_query_tag_compares_lowercase() -> None:
    assert TaskQuery(tag="Work").normalised().tag == "work"


@pytest.mark.parametrize("field", ["title", "priority", "tags", "status"])
def test_patch_refuses_null_for_fields_a_task_must_have(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} cannot be null"):
        TaskPatch.model_validate({field: None})


@pytest.mark.parametrize(
    "due",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:59:59+01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:00:00-01:00",
    ],
)
def test_due_must_have_a_utc_instant_within_years_1_to_9999(due: str) -> None:
    with pytest.raises(ValueError, match=r"due .* falls outside the years 1-9999 once converted to UTC"):
        parse_due(due)
    with pytest.raises(ValidationError, match="due"):
        NewTask(title="a", due=due)


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31", "0001-01-01T01:00:00+01:00", "9999-12-31T22:59:59-01:00"])
def test_the_first_and_last_instants_are_accepted(due: str) -> None:
    assert parse_due(due) == due
    assert len(due_sort_key(due)) == len("2026-12-31T00:00:00.000000Z")


def test_sort_keys_are_fixed_width_in_every_year() -> None:
    assert due_sort_key("0001-01-01") == "0001-01-01T00:00:00.000000Z"
    assert due_sort_key("0999-12-31T23:00:00-01:00") == "1000-01-01T00:00:00.000000Z"
    assert due_sort_key("0500-06-01") < due_sort_key("2026-01-01") < due_bound_key("9999-12-31", upper=True)
    assert due_bound_key("9999-12-31", upper=True) == "9999-12-31T23:59:59.999999Z"


@pytest.mark.parametrize(
    ("model", "fields", "where"),
    [
        (NewTask, {"title": "a\x00"}, "title"),
        (NewTask, {"title": "a", "description": "\x00"}, "description"),
        (NewTask, {"title": "a", "tags": ["ok", "\x00"]}, "tags.1"),
        (TaskPatch, {"title": "\x00a"}, "title"),
        (TaskQuery, {"tag": "a\x00"}, "tag"),
        (TaskQuery, {"search": "a\x00"}, "search"),
    ],
)
def test_nul_is_refused_in_every_text_field(model: type, fields: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as raised:
        model(**fields)
    (error,) = raised.value.errors()
    assert ".".join(str(part) for part in error["loc"]) == where
    assert error["msg"] == "Value error, must not contain NUL (\\x00) characters"


def test_tag_lengths_are_checked_once_stripped_and_lower_cased() -> None:
    with pytest.raises(ValidationError, match=r"at most 50 characters once lower-cased \(is 100\)"):
        NewTask(title="a", tags=["\u0130" * 50])
    assert [len(tag) for tag in NewTask(title="a", tags=["\u0130" * 25, f" {'X' * 50} "]).tags] == [50, 50]
    with pytest.raises(ValidationError, match="at most 50 characters once lower-cased"):
        TaskQuery(tag="\u0130" * 26)
    with pytest.raises(ValidationError, match="at least 1 character"):
        TaskQuery(tag="   ")  # once stripped it is no filter at all
    assert TaskQuery(tag=" Work ").tag == "work"


@pytest.mark.parametrize(("task_id", "valid"), [(1, True), (TASK_ID_MAX, True), (TASK_ID_MAX + 1, False), (0, False)])
def test_task_ids_are_what_64_bit_stores_hold(task_id: int, valid: bool) -> None:
    adapter = TypeAdapter(TaskId)
    if valid:
        assert adapter.validate_python(task_id) == task_id
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(task_id)
