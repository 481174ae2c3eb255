"""Recurrences said in words ("every monday", "every 2 weeks", "every weekday at 9", "monthly on the 1st")
to RFC 5545 RRULE values, deterministically.

A phrase is read in three steps:

1. Clean it: lower case, one space between words, no trailing period, number words "one" to "twelve" as
   digits, and the synonyms of `_CANONICAL` folded onto one spelling ("each" and "once a" become "every",
   "daily" becomes "every day", "biweekly" and "fortnightly" become "every 2 weeks", "quarterly" becomes
   "every 3 months", "every other" becomes "every 2", "work day" becomes "weekday").
2. Take the tails off its end (`_TAILS`), in any order: a time of day ("at 9", "at 9:30", "8am", "17:00",
   "at noon"; a bare "at 9" is 09:00; a time may also lead: "at 9 every weekday"), a part of the day
   ("morning" 09:00, "afternoon" 14:00, "evening" 18:00, "night" 21:00; "every evening at 7" is 19:00),
   an end ("until december 31", "till 2027-03-01": UNTIL as a date, inclusive; without a year, the next
   such day), a length ("for 6 weeks": COUNT, as many occurrences as the rule has in that time) or a count
   ("5 times"). One end at most: RFC 5545 forbids COUNT with UNTIL.
3. Match what is left against the forms of `_FORMS`, each a whole-phrase pattern and the rule it builds:
   every N hours/days/weeks/months/years; every third day; weekdays by name, abbreviation, or the groups
   "weekday" (MO-FR) and "weekend" (SA,SU), as "every monday", "every mon, wed and fri", "mondays", "on
   weekdays", "every other friday", "every 2 weeks on tuesday"; days of the month ("monthly on the 1st",
   "on the 3rd of every month", "every month on the last day", "every 15th"); the nth weekday of the month
   ("the last friday of every month", "every first monday", "monthly on the 2nd tuesday"); the nth weekday
   of a named month ("every 4th thursday of november"); dates in the year ("every year on march 3",
   "every dec 25", "every 25th of december").

Refused, with a reason (DateError naming the phrase): counts without days ("twice a week", "3 times a
month"), vague amounts ("every few days", "every couple of weeks"), vague frequencies ("sometimes",
"regularly"), words with two meanings ("bimonthly", "biannually", "every second tuesday": every other
tuesday, or the 2nd of the month?), intervals and counts outside 1-999 ("every 0 days", "every 1000
days"), times that are not times ("at 25:00"), dates that do not exist ("every february 30"), and a time
of day on an hourly rule. A day of the month that some months lack ("every month on the 31st") follows
RFC 5545: those months are skipped; "the last day" is BYMONTHDAY=-1.

Rules are written FREQ, INTERVAL, BYMONTH, BYMONTHDAY, BYDAY, COUNT, UNTIL, each only when said, and are
valid for mcp_server.core.recurrence.parse_rrule (which stores them in RFC 5545's order). UNTIL is a date
value (UNTIL=20261231): up to and including that day in the task's zone, as the core reads it.
`find_recurrence` finds a phrase inside a title; `first_due` gives the first due of a series for when no
date was said, skipping a time of day that a DST change removes, as the core does.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from dateutil.rrule import rrulestr  # type: ignore[import-untyped, unused-ignore]

from mcp_server.core.recurrence import parse_rrule
from mcp_server.nlu.zones import DateError, zone

INTERVAL_MAX = 999  # "every 999 days" is the most this parser writes; COUNT has the same bound
COUNT_MAX = 999
RECURRENCE_MAX = 200  # characters of a phrase; longer is refused unread
_FIND_WINDOW = 20  # words: the longest phrase find_recurrence tries from one starting word
_GAPS_MAX = 100  # occurrences first_due passes over in DST gaps before it gives up

_EXAMPLES = "say e.g. 'every monday', 'every 2 weeks', 'every weekday at 9' or 'monthly on the 1st'"


@dataclass(frozen=True)
class Recurrence:
    """A recurrence rule and the time of day it was said with."""

    rule: str  # an RRULE value, e.g. "FREQ=WEEKLY;BYDAY=MO" (no DTSTART, no "RRULE:" prefix)
    time: dt.time | None = None  # "every weekday at 9" -> 09:00; None when no time of day was said


class _Refused(Exception):
    """A phrase this parser reads but will not turn into a rule; the argument says why."""


class _Unknown(Exception):
    """A phrase that matches none of the forms."""


@dataclass(frozen=True)
class _Rule:
    freq: str
    interval: int = 1
    bymonth: int | None = None
    bymonthday: tuple[int, ...] = ()
    byday: tuple[str, ...] = ()
    count: int | None = None
    until: dt.date | None = None

    def render(self) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.bymonth is not None:
            parts.append(f"BYMONTH={self.bymonth}")
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.bymonthday)))
        if self.byday:
            parts.append("BYDAY=" + ",".join(self.byday))
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)

    def per_period(self) -> int:
        """Occurrences in one period of the rule's frequency (one week of "every mon and thu": 2)."""
        return max(len(self.byday), len(self.bymonthday), 1)


# --- Vocabulary -------------------------------------------------------------------------------------------

# English names, written out: calendar.day_name and month_name follow the process's locale.
_WEEK_ORDER = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = dict(zip(_WEEKDAY_NAMES, _WEEK_ORDER, strict=True))
_WEEKDAY_ABBREVIATIONS = {
    "mon": "MO", "tue": "TU", "tues": "TU", "wed": "WE", "weds": "WE", "thu": "TH", "thur": "TH", "thurs": "TH",
    "fri": "FR", "sat": "SA", "sun": "SU",
}  # fmt: skip
_DAY_GROUPS = {"weekday": ("MO", "TU", "WE", "TH", "FR"), "weekend": ("SA", "SU")}

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december",
)  # fmt: skip
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS |= {name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS["sept"] = 9

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12,
}  # fmt: skip


def _ordinal_words() -> dict[str, int]:
    """first..thirty first (hyphens are spaces by the time a phrase is matched)."""
    units = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
    teens = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth"]
    teens += ["eighteenth", "nineteenth"]
    words = {word: number for number, word in enumerate(units + teens, start=1)}
    words["twentieth"] = 20
    words |= {f"twenty {word}": 20 + number for number, word in enumerate(units, start=1)}
    words |= {"thirtieth": 30, "thirty first": 31}
    return words


_ORDINAL_WORDS = _ordinal_words()
_NTH_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}

_PART_OF_DAY = {"morning": dt.time(9), "afternoon": dt.time(14), "evening": dt.time(18), "night": dt.time(21)}
_FREQ_OF_UNIT = {"hour": "HOURLY", "day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
# How many periods of a rule's frequency a length said in some unit holds ("every day for 2 weeks": 14).
_PERIODS_IN = {
    ("HOURLY", "hour"): 1, ("HOURLY", "day"): 24, ("HOURLY", "week"): 168,
    ("DAILY", "day"): 1, ("DAILY", "week"): 7,
    ("WEEKLY", "week"): 1,
    ("MONTHLY", "month"): 1, ("MONTHLY", "year"): 12,
    ("YEARLY", "year"): 1,
}  # fmt: skip


def _words(names: Iterable[str]) -> str:
    """A regex alternation of `names`, longest first ("monday" before "mon")."""
    return "(?:" + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + ")"


# --- Step 1: cleaning ---------------------------------------------------------------------------------

_NUMBER_WORD = re.compile(rf"\b{_words(_NUMBER_WORDS)}\b")
# Synonyms folded onto one spelling, in order.
_CANONICAL: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^(?:repeat(?:s|ing)?|recurring)\s+", ""),
        (r"\beach\b", "every"),
        (r"\bevery\s+single\b", "every"),
        (r"\beveryday\b", "every day"),
        (r"\bon\s+every\b", "every"),
        (r"\bonce\s+(?:a|an|per|every)\b", "every"),
        (r"\bevery\s+other\b", "every 2"),
        (r"\b(?:bi ?weekly|fortnightly|every\s+fortnight)\b", "every 2 weeks"),
        (r"\bquarterly\b", "every 3 months"),
        (r"\b(?:semi ?annual(?:ly)?|half ?yearly)\b", "every 6 months"),
        (r"\bdaily\b", "every day"),
        (r"\bnightly\b", "every night"),
        (r"\bweekly\b", "every week"),
        (r"\bmonthly\b", "every month"),
        (r"\b(?:yearly|annually)\b", "every year"),
        (r"\bhourly\b", "every hour"),
        (r"\b(?:work|working|business|week) ?day(s?)\b", r"weekday\1"),
        (r"\bweekend day(s?)\b", r"weekend\1"),
    )
)


def _clean(phrase: str) -> str:
    text = phrase.strip().lower().replace("’", "'")
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # "twenty-first", "bi-weekly", "every-day"
    text = " ".join(text.split()).rstrip(".!").strip()
    return _NUMBER_WORD.sub(lambda match: str(_NUMBER_WORDS[match[0]]), text)


def _canonical(text: str) -> str:
    for pattern, replacement in _CANONICAL:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


# Said before anything else is read: phrases that sound like a recurrence but do not say one.
_VAGUE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), reason)
    for pattern, reason in (
        (
            r"\b(?:twice|thrice|\d+\s+times)\s+(?:a|an|per|every)\b",
            "it says how many times but not when; name the days, e.g. 'every monday and thursday'",
        ),
        (
            r"\b(?:few|several|couple|some|many|various|multiple)\b",
            "it does not say how many; give a number, e.g. 'every 3 days'",
        ),
        (
            r"\b(?:sometimes|occasionally|now and then|from time to time|once in a while|regularly|often|"
            r"frequently|periodically|whenever)\b",
            "it does not say how often; say e.g. 'every week'",
        ),
        (
            r"\bbi ?monthly\b",
            "'bimonthly' means twice a month or every two months; say 'every 2 months' or name the days",
        ),
        (
            r"\bbi ?annual(?:ly)?\b",
            "'biannually' means twice a year or every two years; say 'every 6 months' or 'every 2 years'",
        ),
    )
)


# --- Step 2: the tails --------------------------------------------------------------------------------

_TIME_FORMS = (
    r"(?:at\s+|@\s*)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<meridiem>[ap])\.?m\.?",  # 8am, at 8:30 p.m.
    r"(?:at\s+|@\s*)(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?:\s*o'?clock)?",  # at 9, at 17:00, at 9 o'clock
    r"(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})",  # 17:00
    r"(?:at\s+)?(?P<word>noon|midday|midnight)",
)
_TAIL = r"(?:,\s*|\s+)"
_TAILS: tuple[tuple[str, re.Pattern[str]], ...] = (
    *(("time", re.compile(rf"{_TAIL}{form}$")) for form in _TIME_FORMS),
    ("part", re.compile(rf"{_TAIL}(?:in\s+the\s+|at\s+|every\s+)?(?P<part>{_words(_PART_OF_DAY)})s?$")),
    ("for", re.compile(rf"{_TAIL}for\s+(?:the\s+next\s+)?(?P<n>\d+|an?)\s+(?P<unit>{_words(_FREQ_OF_UNIT)})s?$")),
    ("times", re.compile(rf"{_TAIL}(?:for\s+)?(?P<n>\d+)\s+(?:times|occurrences)$")),
    # Last: its date runs to the end, so the tails after it are taken off first.
    ("until", re.compile(rf"{_TAIL}(?:until|till|til|through|thru)\s+(?:on\s+)?(?:the\s+)?(?P<date>.+)$")),
)
_LEADING_TIMES = tuple(re.compile(rf"{form}{_TAIL}") for form in _TIME_FORMS)  # "at 9 every weekday"


def _time(match: re.Match[str], part: str | None) -> dt.time:
    groups = match.groupdict()
    if groups.get("word"):
        return dt.time(0) if groups["word"] == "midnight" else dt.time(12)
    hour, minute = int(groups["hour"]), int(groups["minute"] or 0)
    meridiem = groups.get("meridiem")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise _Refused(f"{match[0].strip()!r} is not a time of day")
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    elif part in {"afternoon", "evening", "night"} and 1 <= hour < 12:
        hour += 12  # "every evening at 7"
    elif part == "night" and hour == 12:
        hour = 0  # "every night at 12"
    if hour > 23 or minute > 59:
        raise _Refused(f"{match[0].strip()!r} is not a time of day")
    return dt.time(hour, minute)


# --- Step 3: the forms --------------------------------------------------------------------------------

_DAY = _words([*_WEEKDAYS, *_WEEKDAY_ABBREVIATIONS, *_DAY_GROUPS]) + "s?"  # monday(s), mon, weekday(s)
_ONE_DAY = _words([*_WEEKDAYS, *_WEEKDAY_ABBREVIATIONS]) + "s?"  # one weekday, not a group
_AND = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s*/\s*)"


def _list_of(item: str) -> str:
    """A pattern for one or more `item`s said as "a, b and c", "a & b" or "a/b"."""
    return f"{item}(?:{_AND}{item})*"


_DAYS = _list_of(_DAY)
_ORDINAL = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|{_words(_ORDINAL_WORDS)})"
_DAY_NUMBER = rf"(?:{_ORDINAL}|\d{{1,2}})"
# A day of the month. After "every": "the 1st", "15th day", "the last day". Before "of every month": also
# "the last", "the 15", "day 15". After "every month on": also a bare "15".
_MONTH_DAY = rf"(?:the\s+)?(?:last\s+day|{_ORDINAL}(?:\s+day)?)"
_MONTH_DAY_NAMED = rf"(?:(?:the\s+)?(?:last(?:\s+day)?|{_ORDINAL}(?:\s+day)?)|the\s+\d{{1,2}}|day\s+\d{{1,2}})"
_MONTH_DAY_AFTER_ON = rf"(?:{_MONTH_DAY_NAMED}|\d{{1,2}})"
_MONTH_DAYS = _list_of(_MONTH_DAY)
_MONTH_DAYS_NAMED = _list_of(_MONTH_DAY_NAMED)
_MONTH_DAYS_AFTER_ON = _list_of(_MONTH_DAY_AFTER_ON)
_NTH = rf"(?:the\s+)?(?:[1-5](?:st|nd|rd|th)|{_words(_NTH_WORDS)})"
_NTHS = _list_of(_NTH)
_MONTH = _words(_MONTHS)
_DATE = rf"(?:{_MONTH}\s+(?:the\s+)?{_DAY_NUMBER}|(?:the\s+)?{_DAY_NUMBER}\s+(?:of\s+)?{_MONTH})"
_EVERY_N = r"every\s+(?:(?P<n>\d+)\s+)?"
_OF_EVERY_N = rf"(?:\s+of)?\s+{_EVERY_N}"


def _interval(text: str | None) -> int:
    number = int(text) if text else 1
    if not 1 <= number <= INTERVAL_MAX:
        raise _Refused(f"the interval must be 1 to {INTERVAL_MAX}, not {number}")
    return number


_ITEM = re.compile(r"(?:the\s+)?(?:day\s+)?(?P<item>.+?)(?:\s+day)?")


def _items(text: str) -> list[str]:
    """The items of a list said as "a, b and c" / "a & b" / "a/b", without "the" and a trailing "day"."""
    items = (_ITEM.fullmatch(item.strip()) for item in re.split(_AND, text) if item.strip())
    return [item["item"] for item in items if item]


def _day_codes(word: str) -> tuple[str, ...]:
    if word in _WEEKDAY_ABBREVIATIONS:
        return (_WEEKDAY_ABBREVIATIONS[word],)
    singular = word.removesuffix("s")
    if singular in _DAY_GROUPS:
        return _DAY_GROUPS[singular]
    if singular in _WEEKDAYS:
        return (_WEEKDAYS[singular],)
    return (_WEEKDAY_ABBREVIATIONS[singular],)  # "weds", "mons"


def _is_plural(word: str) -> bool:
    singular = word.removesuffix("s")
    return word != singular and (singular in _WEEKDAYS or singular in _DAY_GROUPS)


def _byday(text: str) -> tuple[str, ...]:
    codes = {code for word in _items(text) for code in _day_codes(word)}
    return tuple(code for code in _WEEK_ORDER if code in codes)


def _day_number(text: str) -> int:
    return _ORDINAL_WORDS[text] if text in _ORDINAL_WORDS else int(re.sub(r"(?:st|nd|rd|th)$", "", text))


def _month_days(text: str) -> tuple[int, ...]:
    days = set()
    for item in _items(text):
        day = -1 if item == "last" else _day_number(item)
        if not 1 <= day <= 31 and day != -1:
            raise _Refused(f"a month has no day {day}")
        days.add(day)
    return tuple(sorted(days, key=lambda day: (day < 0, day)))


def _nths(text: str) -> list[int]:
    return sorted({_NTH_WORDS[item] if item in _NTH_WORDS else int(item[0]) for item in _items(text)})


def _nth_weekdays(match: re.Match[str]) -> tuple[str, ...]:
    (code,) = _day_codes(match["day"])
    return tuple(f"{nth}{code}" for nth in sorted(_nths(match["nths"]), key=lambda nth: (nth < 0, nth)))


_MONTH_AND_DAY = (
    re.compile(rf"(?P<month>{_MONTH})\s+(?:the\s+)?(?P<day>{_DAY_NUMBER})"),
    re.compile(rf"(?:the\s+)?(?P<day>{_DAY_NUMBER})\s+(?:of\s+)?(?P<month>{_MONTH})"),
)


def _month_and_day(text: str) -> tuple[int, int] | None:
    """(month, day) of "march 3", "march the 3rd", "3 march", "the 25th of december"; None for other words."""
    match = next(filter(None, (pattern.fullmatch(text) for pattern in _MONTH_AND_DAY)), None)
    if match is None:
        return None
    month, day = _MONTHS[match["month"]], _day_number(match["day"])
    if not 1 <= day <= calendar.monthrange(2024, month)[1]:  # 2024: a leap year, so February 29 exists
        raise _Refused(f"{_MONTH_NAMES[month - 1].capitalize()} has no day {day}")
    return month, day


def _by_unit(match: re.Match[str]) -> _Rule | None:
    return _Rule(_FREQ_OF_UNIT[match["unit"]], _interval(match["n"]))


def _by_ordinal_unit(match: re.Match[str]) -> _Rule | None:
    return _Rule(_FREQ_OF_UNIT[match["unit"]], _interval(str(_day_number(match["ord"]))))


def _weekly(match: re.Match[str]) -> _Rule | None:
    return _Rule("WEEKLY", _interval(match["n"]), byday=_byday(match["days"]))


def _weekly_plural(match: re.Match[str]) -> _Rule | None:
    """ "mondays", "on weekdays": without "every", only plurals say it repeats ("on monday" is one day)."""
    if not all(_is_plural(word) for word in _items(match["days"])):
        return None
    return _Rule("WEEKLY", byday=_byday(match["days"]))


def _monthly_by_day(match: re.Match[str]) -> _Rule | None:
    return _Rule("MONTHLY", _interval(match.groupdict().get("n")), bymonthday=_month_days(match["mdays"]))


def _monthly_by_weekday(match: re.Match[str]) -> _Rule | None:
    return _Rule("MONTHLY", _interval(match.groupdict().get("n")), byday=_nth_weekdays(match))


def _monthly_by_weekday_unqualified(match: re.Match[str]) -> _Rule | None:
    """ "every last friday", "every first monday": of the month. "every second tuesday" is refused: it is
    as often every other tuesday as the 2nd tuesday of the month."""
    if ambiguous := [nth for nth in _nths(match["nths"]) if nth not in (1, -1)]:
        said, day, weeks = match[0].removeprefix("every "), match["day"], ambiguous[0]
        raise _Refused(
            f"it can mean every {weeks} weeks on {day} or the {said} of each month; "
            f"say 'every {weeks} weeks on {day}' or 'the {said} of every month'"
        )
    return _Rule("MONTHLY", byday=_nth_weekdays(match))


def _yearly_by_weekday(match: re.Match[str]) -> _Rule | None:
    return _Rule(
        "YEARLY", _interval(match.groupdict().get("n")), bymonth=_MONTHS[match["month"]], byday=_nth_weekdays(match)
    )


def _yearly_by_date(match: re.Match[str]) -> _Rule | None:
    said = _month_and_day(match["date"])
    if said is None:  # the pattern _DATE matched, so this cannot happen
        raise _Unknown(match["date"])
    month, day = said
    return _Rule("YEARLY", _interval(match.groupdict().get("n")), bymonth=month, bymonthday=(day,))


# Whole-phrase forms, tried in order; a builder returning None passes to the next form.
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _Rule | None]], ...] = tuple(
    (re.compile(pattern), build)
    for pattern, build in (
        # every day, every 3 days, every 2 weeks, every month, every year, every 4 hours
        (rf"{_EVERY_N}(?P<unit>{_words(_FREQ_OF_UNIT)})s?", _by_unit),
        # every third day, every second week
        (rf"every\s+(?P<ord>{_ORDINAL})\s+(?P<unit>{_words(_FREQ_OF_UNIT)})s?", _by_ordinal_unit),
        # every 2 weeks on tuesday, every week on mon and wed; on mondays every 2 weeks
        (rf"{_EVERY_N}weeks?\s+on\s+(?P<days>{_DAYS})", _weekly),
        (rf"(?:on\s+)?(?P<days>{_DAYS})\s+{_EVERY_N}weeks?", _weekly),
        # every monday, every mon, wed and fri, every other friday, every weekday, every weekend
        (rf"{_EVERY_N}(?P<days>{_DAYS})", _weekly),
        # mondays, mondays and thursdays, on weekdays, weekends
        (rf"(?:on\s+)?(?P<days>{_DAYS})", _weekly_plural),
        # every month on the 15th, every 2 months on the 1st and 15th, every month on the last day
        (rf"{_EVERY_N}months?\s+on\s+(?P<mdays>{_MONTH_DAYS_AFTER_ON})", _monthly_by_day),
        # on the 3rd of every month, the 1st every month, the last day of every 2 months
        (rf"(?:on\s+)?(?P<mdays>{_MONTH_DAYS_NAMED}){_OF_EVERY_N}months?", _monthly_by_day),
        # every 15th, every last day of the month, every 1st and 15th of the month
        (rf"every\s+(?P<mdays>{_MONTH_DAYS})(?:\s+of\s+the\s+month)?", _monthly_by_day),
        # every month on the first monday, monthly on the 1st and 3rd tuesday
        (rf"{_EVERY_N}months?\s+on\s+(?P<nths>{_NTHS})\s+(?P<day>{_ONE_DAY})", _monthly_by_weekday),
        # the last friday of every month, first monday of every 2 months, every last friday of the month
        (rf"(?:on\s+)?(?P<nths>{_NTHS})\s+(?P<day>{_ONE_DAY}){_OF_EVERY_N}months?", _monthly_by_weekday),
        (rf"every\s+(?P<nths>{_NTHS})\s+(?P<day>{_ONE_DAY})\s+of\s+the\s+month", _monthly_by_weekday),
        # every last friday, every first monday
        (rf"every\s+(?P<nths>{_NTHS})\s+(?P<day>{_ONE_DAY})", _monthly_by_weekday_unqualified),
        # every 4th thursday of november; the first monday of september every year
        (rf"every\s+(?P<nths>{_NTHS})\s+(?P<day>{_ONE_DAY})\s+(?:of|in)\s+(?P<month>{_MONTH})", _yearly_by_weekday),
        (
            rf"(?:on\s+)?(?P<nths>{_NTHS})\s+(?P<day>{_ONE_DAY})\s+(?:of|in)\s+(?P<month>{_MONTH})\s+{_EVERY_N}years?",
            _yearly_by_weekday,
        ),
        # every year on march 3, every 2 years on 25 december; every march 3rd, every dec 25; on may 1 every year
        (rf"{_EVERY_N}years?\s+on\s+(?P<date>{_DATE})", _yearly_by_date),
        (rf"every\s+(?P<date>{_DATE})", _yearly_by_date),
        (rf"(?:on\s+)?(?P<date>{_DATE})\s+{_EVERY_N}years?", _yearly_by_date),
    )
)


def _until(text: str, today: dt.date) -> dt.date:
    """The last day of a series: ISO ("2026-12-31"), or a month and day with or without a year (without
    one: the next such day on or after `today`)."""
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        match = re.fullmatch(r"(?P<date>.+?)(?:,?\s+(?P<year>\d{4}))?", text)
        if match and (said := _month_and_day(match["date"])):
            month, day = said
            if match["year"]:
                return dt.date(int(match["year"]), month, day)
            for year in range(today.year, today.year + 9):  # February 29 waits for a leap year
                if day <= calendar.monthrange(year, month)[1] and (end := dt.date(year, month, day)) >= today:
                    return end
    except ValueError:
        pass
    raise _Refused(f"{text!r} is not a date it can end on; say e.g. 'until december 31' or 'until 2027-06-30'")


def _read(text: str, today: dt.date) -> tuple[_Rule, dt.time | None]:
    for pattern, reason in _VAGUE:
        if pattern.search(text):
            raise _Refused(reason)
    tails: dict[str, re.Match[str]] = {}
    core = _canonical(text)
    for pattern in _LEADING_TIMES:
        if match := pattern.match(core):
            tails["time"] = match
            core = core[match.end() :]
            break
    while True:
        for kind, pattern in _TAILS:
            if kind not in tails and (match := pattern.search(core)):
                tails[kind] = match
                core = core[: match.start()]
                break
        else:
            break
    if core == "every" and "part" in tails:  # "every morning", "every night" with the part of the day taken off
        core = "every day"
    for pattern, build in _FORMS:
        if (match := pattern.fullmatch(core)) and (rule := build(match)) is not None:
            break
    else:
        raise _Unknown(core)
    part = tails["part"]["part"] if "part" in tails else None
    time = _time(tails["time"], part) if "time" in tails else _PART_OF_DAY.get(part) if part else None
    if rule.freq == "HOURLY" and time is not None:
        raise _Refused("an hourly rule has no time of day")
    return _bounded(rule, tails, today), time


def _bounded(rule: _Rule, tails: dict[str, re.Match[str]], today: dt.date) -> _Rule:
    """The rule with the end said: UNTIL for "until ...", COUNT for "5 times" or "for 6 weeks"."""
    ends = [kind for kind in ("until", "for", "times") if kind in tails]
    if len(ends) > 1:
        raise _Refused("say one end: an end date ('until ...'), a length ('for 6 weeks') or a count ('5 times')")
    if "until" in tails:
        return replace(rule, until=_until(tails["until"]["date"], today))
    if "times" in tails:
        count = int(tails["times"]["n"])
    elif "for" in tails:
        said = tails["for"]
        length = 1 if said["n"] in ("a", "an") else int(said["n"])
        periods_per_unit = _PERIODS_IN.get((rule.freq, said["unit"]))
        if periods_per_unit is None:
            raise _Refused(f"{said[0].strip()!r} is not a whole number of the rule's periods; say a count instead")
        periods, left = divmod(length * periods_per_unit, rule.interval)
        if left:
            unit = next(unit for unit, freq in _FREQ_OF_UNIT.items() if freq == rule.freq)
            raise _Refused(f"{said[0].strip()!r} is not a whole number of {rule.interval}-{unit} steps")
        count = periods * rule.per_period()
    else:
        return rule
    if not 1 <= count <= COUNT_MAX:
        raise _Refused(f"the number of occurrences must be 1 to {COUNT_MAX}, not {count}")
    return replace(rule, count=count)


# --- The API ------------------------------------------------------------------------------------------


def parse_recurrence(phrase: str, *, today: dt.date | None = None) -> Recurrence:
    """The rule and time of day of a recurrence said in words ("every monday at 9").

    `today` (default: the machine's date) only gives a year to an end said without one ("until march 1").
    Raises DateError naming the phrase when it is not a recurrence this parser knows, or is ambiguous.
    """
    if len(phrase) > RECURRENCE_MAX:
        raise DateError(f"the recurrence {phrase[:40]!r}... is too long; {_EXAMPLES}")
    text = _clean(phrase)
    if not text:
        raise DateError(f"the recurrence is empty; {_EXAMPLES}")
    try:
        rule, time = _read_repeating(text, today or dt.date.today())
    except _Refused as refused:
        raise DateError(f"cannot use the recurrence {phrase.strip()!r}: {refused}") from None
    except _Unknown:
        raise DateError(f"cannot understand the recurrence {phrase.strip()!r}; {_EXAMPLES}") from None
    return Recurrence(rule.render(), time)


_DAY_NAME = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?|(?:tues|wednes|thurs|satur)days?"
_DAYS_ALONE = re.compile(rf"(?:{_DAY_NAME})(?:(?: ?, ?| and | & | ?, and )(?:{_DAY_NAME}))+")


def _read_repeating(text: str, today: dt.date) -> tuple[_Rule, dt.time | None]:
    """Days named together repeat: "mon and wed" given as a recurrence is "every mon and wed" (one
    day alone may be a due date misplaced, "friday", and stays unknown)."""
    try:
        return _read(text, today)
    except _Unknown:
        if not _DAYS_ALONE.fullmatch(text):
            raise
        return _read(f"every {text}", today)


# find_recurrence: words a recurrence can start with. The weak ones are also adjectives or nouns ("the
# weekly report", "mondays are hard"): they count only where nothing but an end, a comma or a linking
# word follows them, and no article comes before.
_WEAK_STARTS = frozenset(
    {"daily", "weekly", "monthly", "yearly", "annually", "hourly", "quarterly", "biweekly", "fortnightly", "nightly"}
    | {"semiannually", "halfyearly", "everyday", "workdays", "business", "working"}
    | {f"{name}s" for name in (*_WEEKDAYS, *_DAY_GROUPS)}
)
_STARTS = _WEAK_STARTS | {"every", "each", "on", "the", "once", "repeat", "repeats", "recurring", "at", "@"}
_STARTS |= set(_NTH_WORDS) | set(_ORDINAL_WORDS) | set(_MONTHS)
_LINKS = frozenset(
    {"at", "on", "for", "until", "till", "with", "and", "to", "before", "after", "in", "from", "starting", "then"}
    | {"but", "or", "by", "except", "please", "if", "when", "while"}
)
_ARTICLES = frozenset({"the", "a", "an", "my", "our", "your", "his", "her", "their", "this", "that", "next", "last"})
_VERBS_OF_A_SUBJECT = frozenset({"is", "are", "was", "were", "has", "have", "counts", "matters", "feels", "seems"})
_WORD = re.compile(r"\S+")
_NUMBER_START = re.compile(r"\d{1,2}(?:st|nd|rd|th|:\d{2}|[ap]\.?m\.?)?")  # "1st of every month", "9am daily"
_TIME_WORD = re.compile(r"\d{1,2}(?::\d{2})?(?:[ap]\.?m\.?)?|[ap]\.?m\.?|noon|midday|midnight|o'?clock")
_LEADING = "\"'“‘(["
_TRAILING = ".,;:!?)]\"'”’"
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<!\w)'[^']*'(?!\w)")


def _normal(word: str) -> str:
    return word.lower().strip(_LEADING + _TRAILING).replace("-", "")


def find_recurrence(text: str, *, today: dt.date | None = None) -> tuple[str, Recurrence] | None:
    """The first recurrence phrase inside a sentence and what it means, e.g. "water the plants every monday
    at 9" -> ("every monday at 9", Recurrence("FREQ=WEEKLY;BYDAY=MO", time(9, 0))); None when there is none.

    The phrase is the exact substring of `text`, so `text.replace(phrase, "")` takes it out of a title. From
    each word that can start one, the longest phrase that parses wins. Quoted text is never read, "every day
    is ..." is a subject, not a recurrence, and the adjectives and plurals ("weekly", "mondays") count only
    where they end the phrase ("send the report weekly", not "the weekly report").
    """
    words = []  # (normalised word, start, end without the punctuation around it)
    for match in _WORD.finditer(text):
        body = match[0].lstrip(_LEADING)
        kept = body.rstrip(_TRAILING)
        if re.search(r"[ap]\.m$", kept.lower()) and body[len(kept) :].startswith("."):
            kept += "."  # "9 a.m." keeps its last dot
        start = match.end() - len(body)
        words.append((_normal(match[0]), start, start + len(kept)))
    quoted = [(match.start(), match.end()) for match in _QUOTED.finditer(text)]
    for first, (word, start, _) in enumerate(words):
        if not (word in _STARTS or _NUMBER_START.fullmatch(word)):
            continue
        head = first  # the first word after a leading time ("at 9 weekly"): the one that may be weak
        while head + 1 < len(words) and (words[head][0] in {"at", "@"} or _TIME_WORD.fullmatch(words[head][0])):
            head += 1
        for last in range(min(len(words), first + _FIND_WINDOW) - 1, first - 1, -1):
            end = words[last][2]
            if any(start < quote_end and quote_start < end for quote_start, quote_end in quoted):
                continue
            phrase = text[start:end]
            try:
                recurrence = parse_recurrence(phrase, today=today)
            except DateError:
                continue
            following = words[last + 1][0] if last + 1 < len(words) else None
            if following in _VERBS_OF_A_SUBJECT:
                break
            if words[head][0] in _WEAK_STARTS and head <= last:
                before = words[head - 1][0] if head else None
                ends_clause = following is None or text[end : words[last + 1][1]].strip() != ""
                if before in _ARTICLES or not (ends_clause or following in _LINKS):
                    break
            return phrase, recurrence
    return None


_UNTIL_PART = re.compile(r"(?:^|;)UNTIL=(?P<day>\d{8})(?:T(?P<time>\d{6})(?P<utc>Z?))?(?=;|$)")


_INTERVAL_PART = re.compile(r"(?:^|;)INTERVAL=\d+(?=;|$)", re.IGNORECASE)


def _occurrences(rule: str, start: dt.datetime, tz: dt.tzinfo) -> Iterator[dt.datetime]:
    """The naive local occurrences of `rule` from `start` on. UNTIL is read in `tz`: a date includes its
    whole day, a date-time ending in Z is an instant, one without a wall-clock time."""
    try:
        checked = parse_rrule(rule)
    except ValueError as error:
        raise DateError(f"invalid recurrence rule {rule!r}: {error}") from None
    until = _UNTIL_PART.search(checked)
    series = rrulestr(_UNTIL_PART.sub("", checked).lstrip(";"), dtstart=start)
    if until is not None:
        last = dt.datetime.strptime(until["day"] + (until["time"] or "235959"), "%Y%m%d%H%M%S")
        if until["utc"]:
            last = last.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
        series = series.replace(until=last.replace(microsecond=999999) if not until["time"] else last)
    yield from series


def _instant(wall_clock: dt.datetime, tz: dt.tzinfo, not_before: dt.datetime) -> dt.datetime | None:
    """A naive local time in `tz` as its first instant on or after `not_before`; None when there is none or
    the time does not exist that day (a DST gap): RFC 5545 skips such an occurrence, and moving it (02:30 to
    03:30) would move the whole series, whose due is all that it remembers."""
    first = wall_clock.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if first.astimezone(tz).replace(tzinfo=None) != wall_clock:
        return None
    second = wall_clock.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)  # differs from first in a DST fold
    instant = next((instant for instant in (first, second) if instant >= not_before), None)
    return None if instant is None else instant.astimezone(tz)


def first_due(recurrence: Recurrence, *, now: dt.datetime, timezone: str) -> str:
    """The first occurrence on or after `now` (aware) in `timezone`, as ISO 8601: a date ("2026-12-07")
    when the recurrence has no time of day, else a datetime with the zone's offset at that instant
    ("2026-12-07T09:00:00+01:00"). For when the user says "every monday" and no date.

    An hourly rule starts at the next full hour. A time of day that a DST change skips is skipped (the next
    day's is taken); in a fold, the first of its two instants on or after `now`. The series counts from the
    due returned (COUNT's first occurrence). Raises DateError for an unknown zone, a rule that
    mcp_server.core.recurrence.parse_rrule refuses, or a series that has ended before `now`; ValueError for
    a naive `now`.
    """
    tz = zone(timezone)
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    instant_now = now.astimezone(dt.UTC)
    local_now = now.astimezone(tz)
    hourly = re.search(r"(?:^|;)FREQ=HOURLY(?:;|$)", recurrence.rule.upper()) is not None
    timed = recurrence.time is not None or hourly
    if recurrence.time is not None:
        start = dt.datetime.combine(local_now.date(), recurrence.time.replace(tzinfo=None))
        step = dt.timedelta(days=1)
    elif hourly:
        start = local_now.replace(tzinfo=None, minute=0, second=0, microsecond=0)
        step = dt.timedelta(hours=1)
    else:
        start = dt.datetime.combine(local_now.date(), dt.time())
    if timed and _instant(start, tz, instant_now) is None:
        start += step  # today's time (this hour) has passed: the series starts at the next one
    # The first occurrence is the next date the rule's days allow: "every other monday" said on a
    # Saturday starts on the coming Monday. dateutil counts an INTERVAL from the start's own week (or
    # month), and would skip to the Monday after next; the series then counts from the due found.
    first_rule = _INTERVAL_PART.sub("", recurrence.rule).strip(";")
    for count, occurrence in enumerate(_occurrences(first_rule, start, tz)):
        if not timed:
            return occurrence.date().isoformat()
        if (instant := _instant(occurrence, tz, instant_now)) is not None:
            return instant.isoformat()
        if count >= _GAPS_MAX:
            break
    raise DateError(f"the recurrence {recurrence.rule!r} has no occurrence on or after {local_now.date()}")
