"""Recurrences in words to RRULEs, found in sentences, and their first occurrence in a timezone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr  # type: ignore[import-untyped, unused-ignore]
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_server.core.recurrence import parse_rrule
from mcp_server.nlu.recurrence import Recurrence, find_recurrence, first_due, parse_recurrence
from mcp_server.nlu.zones import DateError

TODAY = dt.date(2026, 11, 28)  # a Saturday: gives a year to "until december 31"
PARIS = "Europe/Paris"
WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
NINE = dt.time(9, 0)

PHRASES = [
    # days
    ("daily", "FREQ=DAILY", None),
    ("every day", "FREQ=DAILY", None),
    ("each day", "FREQ=DAILY", None),
    ("every single day", "FREQ=DAILY", None),
    ("everyday", "FREQ=DAILY", None),
    ("once a day", "FREQ=DAILY", None),
    ("every other day", "FREQ=DAILY;INTERVAL=2", None),
    ("every 3 days", "FREQ=DAILY;INTERVAL=3", None),
    ("every three days", "FREQ=DAILY;INTERVAL=3", None),
    ("every third day", "FREQ=DAILY;INTERVAL=3", None),
    ("every 999 days", "FREQ=DAILY;INTERVAL=999", None),
    # working days and weekends
    ("every weekday", WEEKDAYS, None),
    ("weekdays", WEEKDAYS, None),
    ("on weekdays", WEEKDAYS, None),
    ("every work day", WEEKDAYS, None),
    ("every working day", WEEKDAYS, None),
    ("every business day", WEEKDAYS, None),
    ("every weekend", "FREQ=WEEKLY;BYDAY=SA,SU", None),
    ("weekends", "FREQ=WEEKLY;BYDAY=SA,SU", None),
    # weeks and named days
    ("weekly", "FREQ=WEEKLY", None),
    ("every week", "FREQ=WEEKLY", None),
    ("once a week", "FREQ=WEEKLY", None),
    ("every monday", "FREQ=WEEKLY;BYDAY=MO", None),
    ("every mon", "FREQ=WEEKLY;BYDAY=MO", None),
    ("mondays", "FREQ=WEEKLY;BYDAY=MO", None),
    ("on mondays", "FREQ=WEEKLY;BYDAY=MO", None),
    ("each tuesday", "FREQ=WEEKLY;BYDAY=TU", None),
    ("every thurs", "FREQ=WEEKLY;BYDAY=TH", None),
    ("every monday and thursday", "FREQ=WEEKLY;BYDAY=MO,TH", None),
    ("every mon, wed and fri", "FREQ=WEEKLY;BYDAY=MO,WE,FR", None),
    ("every mon, wed, and fri", "FREQ=WEEKLY;BYDAY=MO,WE,FR", None),
    ("every fri/mon", "FREQ=WEEKLY;BYDAY=MO,FR", None),
    ("mondays and thursdays", "FREQ=WEEKLY;BYDAY=MO,TH", None),
    ("weekly on friday", "FREQ=WEEKLY;BYDAY=FR", None),
    ("every week on mondays", "FREQ=WEEKLY;BYDAY=MO", None),
    ("on monday every week", "FREQ=WEEKLY;BYDAY=MO", None),
    ("repeat every tuesday", "FREQ=WEEKLY;BYDAY=TU", None),
    # every other week
    ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2", None),
    ("every two weeks", "FREQ=WEEKLY;INTERVAL=2", None),
    ("every other week", "FREQ=WEEKLY;INTERVAL=2", None),
    ("every second week", "FREQ=WEEKLY;INTERVAL=2", None),
    ("biweekly", "FREQ=WEEKLY;INTERVAL=2", None),
    ("bi-weekly", "FREQ=WEEKLY;INTERVAL=2", None),
    ("fortnightly", "FREQ=WEEKLY;INTERVAL=2", None),
    ("every fortnight", "FREQ=WEEKLY;INTERVAL=2", None),
    ("every other friday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", None),
    ("every 2 weeks on tuesday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", None),
    ("every other week on mon and wed", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", None),
    ("every other weekend", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU", None),
    ("every 5 weeks", "FREQ=WEEKLY;INTERVAL=5", None),
    # months
    ("monthly", "FREQ=MONTHLY", None),
    ("every month", "FREQ=MONTHLY", None),
    ("once a month", "FREQ=MONTHLY", None),
    ("monthly on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1", None),
    ("every month on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15", None),
    ("every month on the 15", "FREQ=MONTHLY;BYMONTHDAY=15", None),
    ("on the 3rd of every month", "FREQ=MONTHLY;BYMONTHDAY=3", None),
    ("the 1st of each month", "FREQ=MONTHLY;BYMONTHDAY=1", None),
    ("on the first every month", "FREQ=MONTHLY;BYMONTHDAY=1", None),
    ("on the 1st and 15th of every month", "FREQ=MONTHLY;BYMONTHDAY=1,15", None),
    ("every 15th", "FREQ=MONTHLY;BYMONTHDAY=15", None),
    ("every twenty-first of the month", "FREQ=MONTHLY;BYMONTHDAY=21", None),
    ("on the last day of every month", "FREQ=MONTHLY;BYMONTHDAY=-1", None),
    ("every month on the last day", "FREQ=MONTHLY;BYMONTHDAY=-1", None),
    ("every last day of the month", "FREQ=MONTHLY;BYMONTHDAY=-1", None),
    ("every 2 months on the 1st", "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1", None),
    ("every last friday of the month", "FREQ=MONTHLY;BYDAY=-1FR", None),
    ("the last friday of every month", "FREQ=MONTHLY;BYDAY=-1FR", None),
    ("every last friday", "FREQ=MONTHLY;BYDAY=-1FR", None),
    ("first monday of every month", "FREQ=MONTHLY;BYDAY=1MO", None),
    ("every first monday", "FREQ=MONTHLY;BYDAY=1MO", None),
    ("monthly on the second tuesday", "FREQ=MONTHLY;BYDAY=2TU", None),
    ("every month on the first and third monday", "FREQ=MONTHLY;BYDAY=1MO,3MO", None),
    ("every 3 months", "FREQ=MONTHLY;INTERVAL=3", None),
    ("quarterly", "FREQ=MONTHLY;INTERVAL=3", None),
    ("every 6 months", "FREQ=MONTHLY;INTERVAL=6", None),
    ("semi-annually", "FREQ=MONTHLY;INTERVAL=6", None),
    ("every twelve months", "FREQ=MONTHLY;INTERVAL=12", None),
    # years
    ("yearly", "FREQ=YEARLY", None),
    ("annually", "FREQ=YEARLY", None),
    ("every year", "FREQ=YEARLY", None),
    ("every year on march 3", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", None),
    ("every march 3rd", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", None),
    ("every dec 25", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25", None),
    ("every 25 december", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25", None),
    ("every 25th of december", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25", None),
    ("on march 3 every year", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", None),
    ("every 2 years on feb 29", "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29", None),
    ("every 4th thursday of november", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", None),
    # hours
    ("every hour", "FREQ=HOURLY", None),
    ("hourly", "FREQ=HOURLY", None),
    ("every 4 hours", "FREQ=HOURLY;INTERVAL=4", None),
    # times of day
    ("every weekday at 9", WEEKDAYS, NINE),
    ("every day at 8am", "FREQ=DAILY", dt.time(8, 0)),
    ("every monday at 9:30", "FREQ=WEEKLY;BYDAY=MO", dt.time(9, 30)),
    ("daily at 17:00", "FREQ=DAILY", dt.time(17, 0)),
    ("daily 17:00", "FREQ=DAILY", dt.time(17, 0)),
    ("every day at 9 a.m.", "FREQ=DAILY", NINE),
    ("every day at 5:45 pm", "FREQ=DAILY", dt.time(17, 45)),
    ("every day at 12am", "FREQ=DAILY", dt.time(0, 0)),
    ("every day at noon", "FREQ=DAILY", dt.time(12, 0)),
    ("every day at nine", "FREQ=DAILY", NINE),
    ("every sunday at 10 o'clock", "FREQ=WEEKLY;BYDAY=SU", dt.time(10, 0)),
    ("every monday, at 9", "FREQ=WEEKLY;BYDAY=MO", NINE),
    ("at 9 every weekday", WEEKDAYS, NINE),
    ("every morning", "FREQ=DAILY", NINE),
    ("every afternoon", "FREQ=DAILY", dt.time(14, 0)),
    ("every evening", "FREQ=DAILY", dt.time(18, 0)),
    ("every night", "FREQ=DAILY", dt.time(21, 0)),
    ("nightly", "FREQ=DAILY", dt.time(21, 0)),
    ("every evening at 7", "FREQ=DAILY", dt.time(19, 0)),
    ("every night at 12", "FREQ=DAILY", dt.time(0, 0)),
    ("every monday morning", "FREQ=WEEKLY;BYDAY=MO", NINE),
    ("every weekday in the morning", WEEKDAYS, NINE),
    # ends
    ("every day until december 31", "FREQ=DAILY;UNTIL=20261231", None),
    ("every day at 9 until march 1", "FREQ=DAILY;UNTIL=20270301", NINE),
    ("every monday until 2027-01-31", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270131", None),
    ("every day at 9am until dec 31 2027", "FREQ=DAILY;UNTIL=20271231", NINE),
    ("every friday till the 2nd of april", "FREQ=WEEKLY;BYDAY=FR;UNTIL=20270402", None),
    ("every monday for 6 weeks", "FREQ=WEEKLY;BYDAY=MO;COUNT=6", None),
    ("every day for 2 weeks", "FREQ=DAILY;COUNT=14", None),
    ("every weekday for 2 weeks", f"{WEEKDAYS};COUNT=10", None),
    ("every mon and thu for 3 weeks", "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", None),
    ("every 2 weeks for 6 weeks", "FREQ=WEEKLY;INTERVAL=2;COUNT=3", None),
    ("every month for a year", "FREQ=MONTHLY;COUNT=12", None),
    ("monthly on the 1st, 6 times", "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=6", None),
    ("every monday at 9 5 times", "FREQ=WEEKLY;BYDAY=MO;COUNT=5", NINE),
]


@pytest.mark.parametrize(("said", "rule", "time"), PHRASES)
def test_phrases_become_rules(said: str, rule: str, time: dt.time | None) -> None:
    assert parse_recurrence(said, today=TODAY) == Recurrence(rule, time)


def test_there_are_at_least_forty_distinct_phrasings() -> None:
    assert len({said for said, _, _ in PHRASES}) == len(PHRASES) >= 40


@pytest.mark.parametrize("rule", sorted({rule for _, rule, _ in PHRASES}))
def test_every_rule_is_valid_for_dateutil_and_the_store(rule: str) -> None:
    parse_rrule(rule)  # the check every stored rule passes
    start = dt.datetime(2026, 12, 1)
    assert next(iter(rrulestr(rule, dtstart=start)), None) is not None
    assert rrulestr(rule, dtstart=start).after(start, inc=True) is not None


@pytest.mark.parametrize(
    "said",
    [
        "Every Monday At 9",
        "  every   monday   at 9  ",
        "every monday at 9.",
        "EVERY MONDAY AT 9AM",
        "every monday at 9 .",
    ],
)
def test_case_spaces_and_a_trailing_period_do_not_matter(said: str) -> None:
    assert parse_recurrence(said) == Recurrence("FREQ=WEEKLY;BYDAY=MO", NINE)


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("twice a week", "name the days"),
        ("3 times a month", "name the days"),
        ("every few days", "give a number"),
        ("every couple of weeks", "give a number"),
        ("sometimes", "how often"),
        ("regularly", "how often"),
        ("bimonthly", "twice a month or every two months"),
        ("bi-annually", "twice a year or every two years"),
        ("every second tuesday", "every 2 weeks on tuesday or the second tuesday of each month"),
        ("every 3rd friday", "every 3 weeks on friday"),
        ("every 0 days", "interval must be 1 to 999, not 0"),
        ("every 1000 days", "interval must be 1 to 999, not 1000"),
        ("every february 30", "February has no day 30"),
        ("on the 32nd of every month", "no day 32"),
        ("every day at 25:00", "not a time of day"),
        ("every day at 13pm", "not a time of day"),
        ("every hour at 9", "hourly rule has no time of day"),
        ("every day until the end", "not a date it can end on"),
        ("every monday until february 30", "February has no day 30"),
        ("every day until dec 31 for 3 days", "say one end"),
        ("every 2 weeks for 5 weeks", "not a whole number of 2-week steps"),
        ("every month for 10 days", "not a whole number"),
        ("every hour for 6 weeks", "occurrences must be 1 to 999, not 1008"),
        ("every day 1000 times", "occurrences must be 1 to 999"),
    ],
)
def test_vague_and_impossible_phrases_are_refused_with_a_reason(said: str, reason: str) -> None:
    with pytest.raises(DateError, match="cannot use the recurrence") as refused:
        parse_recurrence(said, today=TODAY)
    assert repr(said) in str(refused.value)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "said", ["on monday", "monday", "next friday", "tomorrow", "every", "every monday or tuesday", "every blue moon"]
)
def test_phrases_that_are_not_recurrences_are_refused(said: str) -> None:
    with pytest.raises(DateError, match=f"cannot understand the recurrence '{said}'; say e.g. 'every monday'"):
        parse_recurrence(said)


@pytest.mark.parametrize("said", ["", "   ", "."])
def test_an_empty_phrase_is_refused(said: str) -> None:
    with pytest.raises(DateError, match="the recurrence is empty"):
        parse_recurrence(said)


def test_a_very_long_phrase_is_refused_unread() -> None:
    with pytest.raises(DateError, match="too long"):
        parse_recurrence("every monday " * 40)


def test_an_end_without_a_year_is_the_next_such_day() -> None:
    assert parse_recurrence("every day until november 28", today=TODAY).rule == "FREQ=DAILY;UNTIL=20261128"
    assert parse_recurrence("every day until november 27", today=TODAY).rule == "FREQ=DAILY;UNTIL=20271127"
    assert parse_recurrence("every day until feb 29", today=TODAY).rule == "FREQ=DAILY;UNTIL=20280229"


_WORDS = (
    "every each on the of and , at 9 9:30 am pm 5pm noon morning evening night day days week weeks month months year "
    "monday mondays mon fri weekday weekdays weekend other 2 3 1000 0 first last 1st 15th 31st second december dec "
    "25 march feb 29 until for times 5 2027 2026-12-31 a once twice hour hours daily weekly monthly quarterly in"
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(_WORDS.split()), min_size=1, max_size=8).map(" ".join))
def test_any_phrase_is_a_valid_rule_or_a_date_error(said: str) -> None:
    sentence = f"do it {said} today"
    if (found := find_recurrence(sentence, today=TODAY)) is not None:
        assert found[0] in sentence
        assert parse_recurrence(found[0], today=TODAY) == found[1]
    try:
        recurrence = parse_recurrence(said, today=TODAY)
    except DateError:
        return
    assert next(iter(rrulestr(recurrence.rule, dtstart=dt.datetime(2026, 12, 1))), None) is not None
    assert first_due(recurrence, now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), timezone=PARIS)


# --- find_recurrence ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "phrase", "rule", "time"),
    [
        ("water the plants every monday at 9", "every monday at 9", "FREQ=WEEKLY;BYDAY=MO", NINE),
        ("Water the plants Every Monday at 9.", "Every Monday at 9", "FREQ=WEEKLY;BYDAY=MO", NINE),
        ("send the weekly report every friday", "every friday", "FREQ=WEEKLY;BYDAY=FR", None),
        ("pay rent on the 1st of every month", "on the 1st of every month", "FREQ=MONTHLY;BYMONTHDAY=1", None),
        ("take out the bins on Mondays", "on Mondays", "FREQ=WEEKLY;BYDAY=MO", None),
        ("call mom weekly", "weekly", "FREQ=WEEKLY", None),
        ("standup daily at 9:30, in room 4", "daily at 9:30", "FREQ=DAILY", dt.time(9, 30)),
        ("take pills daily with food", "daily", "FREQ=DAILY", None),
        ("standup at 9 every weekday", "at 9 every weekday", WEEKDAYS, NINE),
        (
            "team lunch every other friday at noon",
            "every other friday at noon",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            dt.time(12, 0),
        ),
        ("file taxes every year on april 15", "every year on april 15", "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=15", None),
        ("dentist every 6 months.", "every 6 months", "FREQ=MONTHLY;INTERVAL=6", None),
        ("check email every 2 hours please", "every 2 hours", "FREQ=HOURLY;INTERVAL=2", None),
        (
            "call grandma every sunday until december 31",
            "every sunday until december 31",
            "FREQ=WEEKLY;BYDAY=SU;UNTIL=20261231",
            None,
        ),
        (
            "water the lawn every other day for 2 weeks",
            "every other day for 2 weeks",
            "FREQ=DAILY;INTERVAL=2;COUNT=7",
            None,
        ),
        (
            "gym at 7am on mondays, wednesdays and fridays",
            "at 7am on mondays, wednesdays and fridays",
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            dt.time(7, 0),
        ),
        (
            "meeting notes (every last friday of the month)",
            "every last friday of the month",
            "FREQ=MONTHLY;BYDAY=-1FR",
            None,
        ),
    ],
)
def test_a_recurrence_is_found_inside_a_sentence(sentence: str, phrase: str, rule: str, time: dt.time | None) -> None:
    found = find_recurrence(sentence, today=TODAY)
    assert found == (phrase, Recurrence(rule, time))
    assert phrase in sentence  # the exact substring, same case: text.replace takes it out of the title


@pytest.mark.parametrize(
    "sentence",
    [
        "weekly report",
        "the weekly standup",
        "daily standup notes",
        "read 'every day is a gift'",
        "every day is a gift",
        "Every Day Counts poster",
        'pay the "every month" bill',
        "Mondays are hard",
        "meet on monday",
        "buy milk",
        "exercise 3 times a week",
        "everyday carry list",
        "buy 2 monthly passes",
        "",
    ],
)
def test_no_recurrence_is_found_where_there_is_none(sentence: str) -> None:
    assert find_recurrence(sentence, today=TODAY) is None


def test_taking_the_phrase_out_leaves_the_title() -> None:
    text = "send the weekly report every friday at 5pm"
    found = find_recurrence(text)
    assert found is not None
    assert text.replace(found[0], "").strip() == "send the weekly report"


# --- first_due ----------------------------------------------------------------------------------------


def paris(*moment: int) -> dt.datetime:
    return dt.datetime(*moment, tzinfo=ZoneInfo(PARIS))


def due(said: str, now: dt.datetime, timezone: str = PARIS) -> str:
    return first_due(parse_recurrence(said, today=now.date()), now=now, timezone=timezone)


def test_a_weekday_without_a_time_is_the_next_such_date() -> None:
    assert due("every monday", paris(2026, 12, 1, 10)) == "2026-12-07"  # on a Tuesday: next Monday
    assert due("every monday", paris(2026, 12, 7, 23, 59)) == "2026-12-07"  # on a Monday: today, a date


def test_a_time_of_day_later_today_is_today_and_earlier_is_the_next_one() -> None:
    assert due("every monday at 9", paris(2026, 12, 7, 8)) == "2026-12-07T09:00:00+01:00"
    assert due("every monday at 9", paris(2026, 12, 7, 10)) == "2026-12-14T09:00:00+01:00"
    assert due("every monday at 9", paris(2026, 12, 7, 9)) == "2026-12-07T09:00:00+01:00"  # on, not only after
    assert due("every weekday at 9", paris(2026, 12, 4, 10)) == "2026-12-07T09:00:00+01:00"  # Friday -> Monday


def test_the_offset_is_the_one_at_that_instant_across_dst() -> None:
    # Europe/Paris leaves summer time on Sunday 2026-10-25 and enters it on Sunday 2027-03-28.
    assert due("every day at 9", paris(2026, 10, 24, 10)) == "2026-10-25T09:00:00+01:00"
    assert due("every sunday at 9", paris(2027, 3, 27, 12)) == "2027-03-28T09:00:00+02:00"
    # 02:30 does not exist on 2027-03-28 in Paris: that occurrence is skipped (RFC 5545), not moved.
    assert due("every day at 2:30", paris(2027, 3, 28, 1)) == "2027-03-29T02:30:00+02:00"
    # 02:30 happens twice on 2026-10-25: the first instant on or after now.
    assert due("every day at 2:30", paris(2026, 10, 25, 1)) == "2026-10-25T02:30:00+02:00"
    after_the_first = dt.datetime(2026, 10, 25, 0, 45, tzinfo=dt.UTC)  # 02:45 summer time
    assert due("every day at 2:30", after_the_first) == "2026-10-25T02:30:00+01:00"
    assert due("every hour", paris(2027, 3, 28, 1, 30)) == "2027-03-28T03:00:00+02:00"  # 02:00 does not exist


def test_the_zone_decides_the_day() -> None:
    late = dt.datetime(2026, 11, 28, 23, 30, tzinfo=dt.UTC)  # Saturday in UTC, already Sunday in Tokyo
    assert due("every sunday", late, "Asia/Tokyo") == "2026-11-29"
    assert due("every sunday", late, "UTC") == "2026-11-29"
    assert due("every saturday", late, "UTC") == "2026-11-28"
    assert due("every saturday", late, "Asia/Tokyo") == "2026-12-05"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("every day", "2026-12-01"),
        ("every 3 days", "2026-12-01"),
        ("every day at 9", "2026-12-02T09:00:00+01:00"),
        ("every hour", "2026-12-01T11:00:00+01:00"),
        ("monthly on the 1st", "2026-12-01"),
        ("every month on the 15th", "2026-12-15"),
        ("on the last day of every month", "2026-12-31"),
        ("the last friday of every month", "2026-12-25"),
        ("every year on march 3", "2027-03-03"),
        ("every 2 years on feb 29", "2028-02-29"),
        ("every evening", "2026-12-01T18:00:00+01:00"),
    ],
)
def test_first_occurrences(said: str, expected: str) -> None:
    assert due(said, paris(2026, 12, 1, 10, 20)) == expected  # a Tuesday


def test_an_end_date_includes_its_day_and_an_ended_series_has_no_due() -> None:
    assert due("every day at 9 until december 31", paris(2026, 12, 31, 8)) == "2026-12-31T09:00:00+01:00"
    recurrence = parse_recurrence("every day at 9 until december 31", today=TODAY)
    with pytest.raises(DateError, match="no occurrence on or after 2026-12-31"):
        first_due(recurrence, now=paris(2026, 12, 31, 10), timezone=PARIS)


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        ("20261231", "2026-12-31T09:00:00+01:00"),  # a date: the whole day
        ("20261231T090000", "2026-12-31T09:00:00+01:00"),  # wall-clock time in the zone
        ("20261231T080000Z", "2026-12-31T09:00:00+01:00"),  # 08:00 UTC is 09:00 in Paris
    ],
)
def test_an_end_given_as_a_date_or_a_date_time_includes_its_last_occurrence(until: str, expected: str) -> None:
    recurrence = Recurrence(f"FREQ=DAILY;UNTIL={until}", NINE)
    assert first_due(recurrence, now=paris(2026, 12, 31, 8), timezone=PARIS) == expected
    with pytest.raises(DateError, match="no occurrence"):
        first_due(recurrence, now=paris(2026, 12, 31, 9, 1), timezone=PARIS)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("every other monday", "2026-11-30"),
        ("every 2 weeks on friday", "2026-12-04"),
        ("every 2 months on the 1st", "2026-12-01"),
        ("every 3 weeks on saturday", "2026-11-28"),
    ],
)
def test_an_interval_starts_at_the_next_day_the_rule_allows(said: str, expected: str) -> None:
    """Said on a Saturday: the coming Monday, not the Monday after next (dateutil counts an interval
    from the start's own week)."""
    assert due(said, paris(2026, 11, 28, 15)) == expected


def test_a_count_starts_at_the_first_due() -> None:
    recurrence = parse_recurrence("every monday 1 times")
    assert first_due(recurrence, now=paris(2026, 12, 1), timezone=PARIS) == "2026-12-07"


def test_an_unknown_zone_an_invalid_rule_and_a_naive_now_are_refused() -> None:
    every_monday = Recurrence("FREQ=WEEKLY;BYDAY=MO")
    with pytest.raises(DateError, match="unknown timezone 'Mars/Olympus'"):
        first_due(every_monday, now=paris(2026, 12, 1), timezone="Mars/Olympus")
    with pytest.raises(DateError, match="invalid recurrence rule 'FREQ=SOMETIMES'"):
        first_due(Recurrence("FREQ=SOMETIMES"), now=paris(2026, 12, 1), timezone=PARIS)
    with pytest.raises(DateError, match=r"invalid recurrence rule .*BYMONTHDAY"):
        first_due(Recurrence("FREQ=MONTHLY;BYMONTHDAY=32"), now=paris(2026, 12, 1), timezone=PARIS)
    with pytest.raises(ValueError, match="timezone-aware"):
        first_due(every_monday, now=dt.datetime(2026, 12, 1), timezone=PARIS)


@pytest.mark.parametrize(
    ("said", "rule"),
    [
        ("mon and wed", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("Tuesday, Thursday", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("monday, wednesday and friday", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        ("sat & sun", "FREQ=WEEKLY;BYDAY=SA,SU"),
    ],
)
def test_days_named_together_repeat_on_those_days(said: str, rule: str) -> None:
    assert parse_recurrence(said).rule == rule


@pytest.mark.parametrize("said", ["friday", "10th", "in a fortnight", "this friday of every month"])
def test_one_day_alone_or_a_date_is_no_recurrence(said: str) -> None:
    with pytest.raises(DateError, match="cannot understand"):
        parse_recurrence(said)
