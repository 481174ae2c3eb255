"""Due dates in words, resolved against a fixed now and timezone, by the conventions of
docs/hwu64.md ("Dates in the evaluation files"). Every expected value is worked out by hand."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mcp_server.nlu.dates import resolve_due
from mcp_server.nlu.zones import DateError

NOW = dt.datetime(2026, 11, 28, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Saturday, 15:00


def resolved(said: str) -> str:
    return resolve_due(said, "Europe/Paris", NOW)


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
        ("this week", "2026-12-04"),  # by the end of it
        ("by this month", "2026-11-30"),
        ("end of december", "2026-12-31"),
        ("end of year", "2026-12-31"),
        ("next monday", "2026-11-30"),
        ("2026-12-24", "2026-12-24"),
        ("2026-12-24T09:00:00Z", "2026-12-24T09:00:00+00:00"),
    ],
)
def test_words_become_iso_8601(said: str, expected: str) -> None:
    assert resolved(said) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        # a weekday is the next such day after today; "this saturday" is today; "next" changes nothing
        ("saturday", "2026-12-05"),
        ("on monday", "2026-11-30"),
        ("this saturday", "2026-11-28"),
        ("this sunday", "2026-11-29"),
        ("next friday", "2026-12-04"),
        ("coming sunday", "2026-11-29"),
        ("this coming friday", "2026-12-04"),
        # a day of the month is the next such date: today's (the 28th) is next month's
        ("on the 7th", "2026-12-07"),
        ("the 25th", "2026-12-25"),
        ("on 25th", "2026-12-25"),
        ("the 28th", "2026-12-28"),
        ("the 29th", "2026-11-29"),
        ("the 31st", "2026-12-31"),
        ("the 14th of this month", "2026-11-14"),
        ("the 3rd of next month", "2026-12-03"),
        # a month and a day is the next such date; a year said is kept
        ("march first", "2027-03-01"),
        ("December 3", "2026-12-03"),
        ("3rd of december", "2026-12-03"),
        ("4 april", "2027-04-04"),
        ("november 28", "2027-11-28"),
        ("dec 3 2027", "2027-12-03"),
        ("march 1st, 2027", "2027-03-01"),
        ("saturday march 25th", "2027-03-25"),  # the date said wins over the weekday said with it
        # a time without a day is today when still ahead, otherwise tomorrow
        ("5 pm", "2026-11-28T17:00:00+01:00"),
        ("7 am", "2026-11-29T07:00:00+01:00"),
        ("3pm", "2026-11-29T15:00:00+01:00"),  # 15:00 is now: no longer ahead
        ("8:30am", "2026-11-29T08:30:00+01:00"),
        ("17:45", "2026-11-28T17:45:00+01:00"),
        ("05:30", "2026-11-29T05:30:00+01:00"),  # a 24-hour clock: no am/pm guess
        ("5 p.m.", "2026-11-28T17:00:00+01:00"),
        # a bare hour: 1 to 6 is the afternoon, 7 to 11 the morning, 12 noon
        ("at 9", "2026-11-29T09:00:00+01:00"),
        ("at 3", "2026-11-29T15:00:00+01:00"),
        ("at 5", "2026-11-28T17:00:00+01:00"),
        ("by 4", "2026-11-28T16:00:00+01:00"),
        ("at 12", "2026-11-29T12:00:00+01:00"),
        ("5:30", "2026-11-28T17:30:00+01:00"),
        # a bare hour after a day is that day's time, past or not
        ("friday at 3", "2026-12-04T15:00:00+01:00"),
        ("today at 5", "2026-11-28T17:00:00+01:00"),
        ("today at 9am", "2026-11-28T09:00:00+01:00"),
        ("ten tomorrow", "2026-11-29T10:00:00+01:00"),
        ("tomorrow at 4", "2026-11-29T16:00:00+01:00"),
        # parts of the day
        ("morning", "2026-11-29T09:00:00+01:00"),
        ("in the morning", "2026-11-29T09:00:00+01:00"),
        ("noon", "2026-11-29T12:00:00+01:00"),
        ("afternoon", "2026-11-29T15:00:00+01:00"),
        ("this afternoon", "2026-11-28T15:00:00+01:00"),
        ("evening", "2026-11-28T18:00:00+01:00"),
        ("this evening", "2026-11-28T18:00:00+01:00"),
        ("tonight", "2026-11-28T20:00:00+01:00"),
        ("midnight", "2026-11-29T00:00:00+01:00"),
        ("this morning", "2026-11-28T09:00:00+01:00"),
        ("next morning", "2026-11-29T09:00:00+01:00"),
        ("sunday night", "2026-11-29T20:00:00+01:00"),
        # midnight ends the day it is said with
        ("friday at midnight", "2026-12-05T00:00:00+01:00"),
        # an hour said with a part of the day takes its half of the day
        ("tonight at 8", "2026-11-28T20:00:00+01:00"),
        ("tomorrow morning at 8", "2026-11-29T08:00:00+01:00"),
        ("friday evening at 7", "2026-12-04T19:00:00+01:00"),
        ("12 in the morning", "2026-11-29T00:00:00+01:00"),
        ("evening at 5 pm", "2026-11-28T17:00:00+01:00"),  # am/pm said wins
        # weekends and weeks
        ("this weekend", "2026-11-28"),
        ("weekend", "2026-11-28"),
        ("next week", "2026-12-05"),
        ("upcoming week", "2026-12-05"),
        ("next week at 10", "2026-12-05T10:00:00+01:00"),
        ("the next 5 days", "2026-12-03"),
        ("past 3 months", "2026-08-28"),
        # a date is a date unless a time of day is said
        ("the day after tomorrow", "2026-11-30"),
        ("today", "2026-11-28"),
        ("tomorrow's", "2026-11-29"),
        ("friday's afternoon", "2026-12-04T15:00:00+01:00"),
    ],
)
def test_the_conventions_hold(said: str, expected: str) -> None:
    assert resolved(said) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("seven thirty am", "2026-11-29T07:30:00+01:00"),
        ("eight hundred", "2026-11-29T08:00:00+01:00"),
        ("eight hundred am tuesday", "2026-12-01T08:00:00+01:00"),
        ("twenty fifth", "2026-12-25"),
        ("five in the evening", "2026-11-28T17:00:00+01:00"),
        ("half an hour", "2026-11-28T15:30:00+01:00"),
        ("in half an hour", "2026-11-28T15:30:00+01:00"),
        ("in an hour and a half", "2026-11-28T16:30:00+01:00"),
        ("quarter past nine", "2026-11-29T09:15:00+01:00"),
        ("quarter to nine", "2026-11-29T08:45:00+01:00"),
        ("twenty to five", "2026-11-28T16:40:00+01:00"),
        ("half past six", "2026-11-28T18:30:00+01:00"),
        ("noon tomorrow", "2026-11-29T12:00:00+01:00"),
        ("twelve noon", "2026-11-29T12:00:00+01:00"),
        ("the day after tomorrow", "2026-11-30"),
        ("tomorrow evening", "2026-11-29T18:00:00+01:00"),
        ("next tuesday at ten", "2026-12-01T10:00:00+01:00"),
        ("five in the evening on seventh", "2026-12-07T17:00:00+01:00"),
        ("5 pm on the 7th", "2026-12-07T17:00:00+01:00"),
        ("eight forty five am", "2026-11-29T08:45:00+01:00"),
        ("six thirty pm", "2026-11-28T18:30:00+01:00"),
        ("five thirty", "2026-11-28T17:30:00+01:00"),
        ("twelve thirty", "2026-11-29T12:30:00+01:00"),
        ("nine oh five", "2026-11-29T09:05:00+01:00"),
        ("four hundred pm", "2026-11-28T16:00:00+01:00"),
        ("five hundred and thirty", "2026-11-29T05:30:00+01:00"),  # said in hundreds: a 24-hour clock
        ("one thousand three hundred", "2026-11-29T13:00:00+01:00"),
        ("two hundred this afternoon", "2026-11-28T14:00:00+01:00"),
        ("eight o clock", "2026-11-29T08:00:00+01:00"),
        ("five o'clock in the morning", "2026-11-29T05:00:00+01:00"),
        ("six in the morning", "2026-11-29T06:00:00+01:00"),
        ("nine at night", "2026-11-28T21:00:00+01:00"),
        ("tonight at eight", "2026-11-28T20:00:00+01:00"),
        ("tomorrow morning at eight", "2026-11-29T08:00:00+01:00"),
        ("seven am tomorrow morning", "2026-11-29T07:00:00+01:00"),
        ("eight", "2026-11-29T08:00:00+01:00"),
        ("friday at five", "2026-12-04T17:00:00+01:00"),
        ("march fifth", "2027-03-05"),
        ("march twenty five", "2027-03-25"),
        ("fifteenth march", "2027-03-15"),
        ("twenty third of march", "2027-03-23"),
        ("twelveth july", "2027-07-12"),
        ("march nineteenth at one pm", "2027-03-19T13:00:00+01:00"),
        ("twenty fifth may at five pm", "2027-05-25T17:00:00+02:00"),  # summer time by then
        ("the morning of twenty three march", "2027-03-23T09:00:00+01:00"),
        ("fourteenth of this month", "2026-11-14"),
        ("in the next five days", "2026-12-03"),
        # years are kept as said, even when long past (normalise refuses those as a due)
        ("march twenty four two thousand and seventeen", "2017-03-24"),
        ("twenty ninth of march twenty seventeen", "2017-03-29"),
        ("april one two thousand and seventeen", "2017-04-01"),
    ],
)
def test_numbers_and_times_said_in_words(said: str, expected: str) -> None:
    assert resolved(said) == expected


def test_the_timezone_decides_the_offset_and_the_day() -> None:
    assert resolve_due("tomorrow 9am", "America/New_York", NOW) == "2026-11-29T09:00:00-05:00"
    late = dt.datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert resolve_due("tomorrow", "Asia/Tokyo", late) == "2026-11-30"  # already Sunday in Tokyo
    # 09:00 in New York at NOW: no longer ahead there, so tomorrow's
    assert resolve_due("at 9", "America/New_York", NOW) == "2026-11-29T09:00:00-05:00"
    assert resolve_due("morning", "Asia/Tokyo", late) == "2026-11-29T09:00:00+09:00"  # 08:30 there: ahead
    # a Sunday in Tokyo: this weekend is today
    assert resolve_due("this weekend", "Asia/Tokyo", late) == "2026-11-29"


def test_a_time_that_the_clocks_skip_moves_forward() -> None:
    # Paris goes from 02:00 to 03:00 on Sunday 2027-03-28
    assert resolved("march 28th at 2:30 am") == "2027-03-28T03:30:00+02:00"


def test_nonsense_and_unknown_zones_are_refused() -> None:
    with pytest.raises(DateError, match="cannot understand the due date"):
        resolve_due("whenever you like", "UTC", NOW)
    with pytest.raises(DateError, match="unknown timezone"):
        resolve_due("Friday", "Mars/Olympus", NOW)


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ("february 30", "there is no February 30"),
        ("the 32nd", "there is no day 32 in any month"),
        ("the 31st of this month", "there is no day 31 in November 2026"),
        ("at 25", "there is no time 25:00"),
        ("13 pm", "there is no 13 pm"),
        ("4 6", "it names two times"),
        ("eight am five pm today", "it names two times"),
        ("friday saturday", "it names two days"),
        ("today tomorrow", "it names two days"),
        ("this morning this evening", "it names two parts of the day"),
    ],
)
def test_what_names_no_one_date_is_refused_with_the_reason(said: str, why: str) -> None:
    with pytest.raises(DateError, match=f"cannot understand the due date '{said}': {why}"):
        resolved(said)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("the 10th pls", "2026-12-10"),
        ("friday, thanks", "2026-12-04"),
        ("tomorrow at 9 please!", "2026-11-29T09:00:00+01:00"),
    ],
)
def test_a_closing_word_copied_with_the_date_is_no_part_of_it(said: str, expected: str) -> None:
    assert resolve_due(said, "Europe/Paris", NOW) == expected


def test_a_closing_word_alone_is_no_date() -> None:
    with pytest.raises(DateError, match="cannot understand the due date 'pls'"):
        resolve_due("pls", "Europe/Paris", NOW)
