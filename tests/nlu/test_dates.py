"""Due dates in words, resolved against a fixed now and timezone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mcp_server.nlu.dates import DateError, resolve_due

NOW = dt.datetime(2026, 11, 28, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Saturday


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Friday", "2026-12-04"),
        ("by friday", "2026-12-04"),
        ("tomorrow 5pm", "2026-11-29T17:00:00+01:00"),
        ("tomorrow at 15:00", "2026-11-29T15:00:00+01:00"),
        ("in 2 weeks", "2026-12-12"),
        ("in 3 days", "2026-12-01"),
        ("end of month", "2026-11-30"),
        ("end of the week", "2026-12-04"),
        ("end of december", "2026-12-31"),
        ("end of year", "2026-12-31"),
        ("next monday", "2026-11-30"),
        ("2026-12-24", "2026-12-24"),
        ("2026-12-24T09:00:00Z", "2026-12-24T09:00:00+00:00"),
    ],
)
def test_words_become_iso_8601(said: str, expected: str) -> None:
    assert resolve_due(said, "Europe/Paris", NOW) == expected


def test_the_timezone_decides_the_offset_and_the_day() -> None:
    assert resolve_due("tomorrow 9am", "America/New_York", NOW) == "2026-11-29T09:00:00-05:00"
    late = dt.datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert resolve_due("tomorrow", "Asia/Tokyo", late) == "2026-11-30"  # already Sunday in Tokyo


def test_nonsense_and_unknown_zones_are_refused() -> None:
    with pytest.raises(DateError, match="cannot understand the due date"):
        resolve_due("whenever you like", "UTC", NOW)
    with pytest.raises(DateError, match="unknown timezone"):
        resolve_due("Friday", "Mars/Olympus", NOW)
