"""Validation rules of the task model: what is accepted, normalised, and refused."""

import pytest
from pydantic import ValidationError

from mcp_server.domain import NewTask, TaskPatch, TaskQuery, due_bound_key, due_sort_key, parse_due


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
    assert due_sort_key("2026-12-31T23:59:00+00:00") < due_bound_key("2026-12-31", upper=True)
    assert due_sort_key("2027-01-01") == due_bound_key("2026-12-31", upper=True)


def test_patch_reports_only_fields_that_were_set() -> None:
    assert TaskPatch(priority="high").changes() == {"priority": "high"}
    assert TaskPatch.model_validate({"due": None}).changes() == {"due": None}


def test_query_tag_compares_lowercase() -> None:
    assert TaskQuery(tag="Work").normalised().tag == "work"


@pytest.mark.parametrize("field", ["title", "priority", "tags", "status"])
def test_patch_refuses_null_for_fields_a_task_must_have(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} cannot be null"):
        TaskPatch.model_validate({field: None})
