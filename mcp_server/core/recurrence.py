"""Recurring tasks: RFC 5545 RRULE values, checked and normalised, and the next due of a series.

Pure functions (no clock, no store), so that both stores, the service and the tests share one definition of
what a series is. A task's `due` is the start of its series (RFC 5545's DTSTART); completing an occurrence
asks `next_occurrence` for the due that follows it and the rule for the rest of the series.

Choices, each for a reason:
- Datetime dues are evaluated on naive wall-clock times in the task's zone, so that 09:00 stays 09:00 across
  a DST change; the result carries the zone's offset at that instant.
- A wall-clock time that does not exist (the spring-forward gap) is skipped, as RFC 5545 (3.3.10) says of
  recurrence instances: shifting it instead would move the series to the shifted time for good, since the
  due is all the series remembers. An ambiguous one (the autumn fold) is its first instant, or its second
  when only that one is after the previous due.
- COUNT counts the occurrences from the current due on, the current due being the first (as DTSTART always
  is in RFC 5545): completing one hands back COUNT-1, and completing the last ends the series.
- Every search is bounded (dateutil scans period after period for a rule that never matches again); a rule
  with no occurrence within the bound, or none before the year 9999 ends, has ended.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import dateutil.rrule  # type: ignore[import-untyped]

RECURRENCE_MAX = 300  # characters of an RRULE value


class RepeatFrom(StrEnum):
    DUE = "due"
    COMPLETION = "completion"


# The parts in RFC 5545's order (3.3.10, recur-rule-part): the order of a normalised rule, FREQ first.
PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
_TOO_FREQUENT = ("MINUTELY", "SECONDLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DATEUTIL_FREQ = {
    "YEARLY": dateutil.rrule.YEARLY,
    "MONTHLY": dateutil.rrule.MONTHLY,
    "WEEKLY": dateutil.rrule.WEEKLY,
    "DAILY": dateutil.rrule.DAILY,
    "HOURLY": dateutil.rrule.HOURLY,
}
# (lowest, highest, negatives allowed) of each list of numbers.
_NUMBER_LISTS = {
    "BYSECOND": (0, 59, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO")
_ALLOWED = re.compile(r"[A-Z0-9=;,+\-]*")
_INTEGER = re.compile(r"[+-]?[0-9]{1,4}")
_POSITIVE = re.compile(r"[0-9]+")
_WEEKDAY = re.compile(r"(?:([+-]?)([0-9]{1,2}))?([A-Z]{2})")
_UNTIL = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:T([0-9]{2})([0-9]{2})([0-9]{2})(Z?))?")
_BYDAY_HINT = "MO..SU, optionally with a number such as 1MO or -1FR"

# A search gives up after this many of dateutil's month (YEARLY: year) steps without an occurrence: about a
# century, well past the longest gap of a sensible rule (29 February on a Monday: 40 years).
_SEARCH_STEPS = 1200
# ...and after this many occurrences passed over (times in a DST gap, or not after the previous due).
_SKIPPED_MAX = 10_000
# The Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks): a pattern of days
# that occurs at all occurs within any 400 years.
_CYCLE_YEARS = 400
_PROBE_START = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class _Rule:
    """A checked RRULE, its values as numbers; `text()` writes it normalised."""

    freq: str
    until: str | None = None
    count: int | None = None
    interval: int | None = None
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    byday: tuple[tuple[int | None, int], ...] = ()  # (number or None, weekday 0=MO)
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int | None = None

    def text(self) -> str:
        values: list[tuple[str, str | None]] = [
            ("FREQ", self.freq),
            ("UNTIL", self.until),
            ("COUNT", None if self.count is None else str(self.count)),
            ("INTERVAL", None if self.interval is None else str(self.interval)),
            ("BYSECOND", _join(self.bysecond)),
            ("BYMINUTE", _join(self.byminute)),
            ("BYHOUR", _join(self.byhour)),
            ("BYDAY", ",".join(f"{'' if n is None else n}{WEEKDAYS[day]}" for n, day in self.byday) or None),
            ("BYMONTHDAY", _join(self.bymonthday)),
            ("BYYEARDAY", _join(self.byyearday)),
            ("BYWEEKNO", _join(self.byweekno)),
            ("BYMONTH", _join(self.bymonth)),
            ("BYSETPOS", _join(self.bysetpos)),
            ("WKST", None if self.wkst is None else WEEKDAYS[self.wkst]),
        ]
        return ";".join(f"{name}={value}" for name, value in values if value is not None)


def _join(numbers: tuple[int, ...]) -> str | None:
    return ",".join(map(str, numbers)) or None


def _fail(message: str) -> ValueError:
    return ValueError(f"recurrence: {message}")


# -- parsing -----------------------------------------------------------------------------------------------


def parse_rrule(text: str) -> str:
    """Validate an RRULE value and return it normalised (upper-case, no 'RRULE:' prefix, no spaces, parts in
    RFC 5545's order, FREQ first; numbers without '+' or leading zeros; list items sorted, without repeats).

    One normalised form means two spellings of one rule store and compare alike. Every refusal is a
    ValueError whose message names the offending part, so that a caller can hand it on as it is; the
    rule-part constraints of RFC 5545 are enforced (dateutil would silently ignore some, such as the number
    in BYDAY=1MO under FREQ=WEEKLY), and a rule that yields no occurrence for any due is refused.
    """
    rule = _parse(text)
    _probe_with_dateutil(rule)
    if _yields_nothing(rule):
        raise _fail(f"{rule.text()} yields no occurrence at all (no date ever matches every BY part)")
    return rule.text()


def _parse(text: str) -> _Rule:
    """The rule's parts, each checked on its own and against the others (no dateutil)."""
    value = text.strip()
    if len(value) > RECURRENCE_MAX:
        raise _fail(f"at most {RECURRENCE_MAX} characters, got {len(value)}")
    if not value.isascii():
        raise _fail("only ASCII letters, digits and = ; , + - are allowed")
    value = value.upper()
    if "DTSTART" in value:
        raise _fail("DTSTART is not allowed: the task's due is the start of the series")
    if value.startswith("RRULE:"):
        value = value[len("RRULE:") :]
    value = re.sub(r"\s*([;=,])\s*", r"\1", value.strip())
    if not value:
        raise _fail("the rule is empty; FREQ is required, such as FREQ=WEEKLY")
    if not _ALLOWED.fullmatch(value):
        bad = next(char for char in value if not _ALLOWED.fullmatch(char))
        hint = " (give the RRULE value only, such as FREQ=WEEKLY;BYDAY=MO)" if bad == ":" else ""
        raise _fail(f"character {bad!r} is not allowed{hint}")
    raw: dict[str, str] = {}
    for part in value.split(";"):
        if not part:
            raise _fail(f"empty part in {value!r} (two ';' in a row, or one at an end)")
        name, equals, item = part.partition("=")
        if not equals:
            raise _fail(f"part {name!r} has no value (write NAME=VALUE, such as FREQ=WEEKLY)")
        if not name:
            raise _fail(f"part {part!r} has no name (write NAME=VALUE, such as FREQ=WEEKLY)")
        if name not in PARTS:
            raise _fail(f"unknown part {name!r} (known: {', '.join(PARTS)})")
        if name in raw:
            raise _fail(f"{name} is given twice")
        if not item:
            raise _fail(f"{name} has an empty value")
        raw[name] = item
    return _checked(raw)


def _checked(raw: dict[str, str]) -> _Rule:
    if "FREQ" not in raw:
        raise _fail("FREQ is required (YEARLY, MONTHLY, WEEKLY, DAILY or HOURLY)")
    freq = raw["FREQ"]
    if freq in _TOO_FREQUENT:
        raise _fail(f"FREQ={freq} is not a task recurrence; the most frequent is HOURLY")
    if freq not in FREQUENCIES:
        raise _fail(f"FREQ {freq!r} is not a frequency ({', '.join(FREQUENCIES)})")
    if "COUNT" in raw and "UNTIL" in raw:
        raise _fail("COUNT and UNTIL cannot both be given")
    numbers = {name: _numbers(name, raw[name]) for name in _NUMBER_LISTS if name in raw}
    byday = _weekdays(raw["BYDAY"]) if "BYDAY" in raw else ()
    rule = _Rule(
        freq=freq,
        until=_until(raw["UNTIL"]) if "UNTIL" in raw else None,
        count=_positive("COUNT", raw["COUNT"]) if "COUNT" in raw else None,
        interval=_positive("INTERVAL", raw["INTERVAL"]) if "INTERVAL" in raw else None,
        bysecond=numbers.get("BYSECOND", ()),
        byminute=numbers.get("BYMINUTE", ()),
        byhour=numbers.get("BYHOUR", ()),
        byday=byday,
        bymonthday=numbers.get("BYMONTHDAY", ()),
        byyearday=numbers.get("BYYEARDAY", ()),
        byweekno=numbers.get("BYWEEKNO", ()),
        bymonth=numbers.get("BYMONTH", ()),
        bysetpos=numbers.get("BYSETPOS", ()),
        wkst=_weekday_name("WKST", raw["WKST"]) if "WKST" in raw else None,
    )
    _check_combinations(rule, raw)
    return rule


def _check_combinations(rule: _Rule, raw: dict[str, str]) -> None:
    """RFC 5545's constraints between parts (3.3.10)."""
    freq = rule.freq
    if rule.byweekno and freq != "YEARLY":
        raise _fail(f"BYWEEKNO needs FREQ=YEARLY, not FREQ={freq}")
    if rule.byyearday and freq in ("MONTHLY", "WEEKLY", "DAILY"):
        raise _fail(f"BYYEARDAY cannot be used with FREQ={freq} (only YEARLY or HOURLY)")
    if rule.bymonthday and freq == "WEEKLY":
        raise _fail("BYMONTHDAY cannot be used with FREQ=WEEKLY (use BYDAY for days of the week)")
    numbered = [f"{n}{WEEKDAYS[day]}" for n, day in rule.byday if n is not None]
    if numbered:
        if freq not in ("MONTHLY", "YEARLY"):
            raise _fail(f"BYDAY {numbered[0]!r} has a number, which needs FREQ=MONTHLY or FREQ=YEARLY")
        if freq == "YEARLY" and rule.byweekno:
            raise _fail(f"BYDAY {numbered[0]!r} has a number, which cannot be combined with BYWEEKNO")
        in_a_month = freq == "MONTHLY" or bool(rule.bymonth)
        for n, day in rule.byday:
            if in_a_month and n is not None and abs(n) > 5:
                raise _fail(f"BYDAY '{n}{WEEKDAYS[day]}': a month has at most 5 of a weekday (1 to 5 or -5 to -1)")
    if rule.bysetpos and not any(name.startswith("BY") and name != "BYSETPOS" for name in raw):
        raise _fail("BYSETPOS needs another BY part (such as BYDAY) to choose from")


def _positive(name: str, text: str) -> int:
    if not _POSITIVE.fullmatch(text) or int(text) < 1:
        raise _fail(f"{name} must be a positive integer, got {text!r}")
    return int(text)


def _numbers(name: str, text: str) -> tuple[int, ...]:
    low, high, negatives = _NUMBER_LISTS[name]
    span = f"{low} to {high} or -{high} to -{low}" if negatives else f"{low} to {high}"
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _fail(f"{name} has an empty item in {text!r}")
        if not _INTEGER.fullmatch(item):
            raise _fail(f"{name} {item!r} is not an integer ({span})")
        number = int(item)
        if not (low <= number <= high or (negatives and -high <= number <= -low)):
            raise _fail(f"{name} values must be {span}, got {item!r}")
        values.add(number)
    return tuple(sorted(values))


def _weekday_name(name: str, text: str) -> int:
    if text not in WEEKDAYS:
        raise _fail(f"{name} {text!r} is not a weekday (MO, TU, WE, TH, FR, SA or SU)")
    return WEEKDAYS.index(text)


def _weekdays(text: str) -> tuple[tuple[int | None, int], ...]:
    values: set[tuple[int | None, int]] = set()
    for item in text.split(","):
        if not item:
            raise _fail(f"BYDAY has an empty item in {text!r}")
        match = _WEEKDAY.fullmatch(item)
        if match is None or match[3] not in WEEKDAYS:
            raise _fail(f"BYDAY {item!r} is not a weekday ({_BYDAY_HINT})")
        sign, digits, day = match.groups()
        number = None if digits is None else int(sign + digits)
        if number is not None and not (1 <= abs(number) <= 53):
            raise _fail(f"BYDAY {item!r}: the number must be 1 to 53 or -53 to -1 ({_BYDAY_HINT})")
        values.add((number, WEEKDAYS.index(day)))
    return tuple(sorted(values, key=lambda value: (value[1], value[0] or 0)))


def _until(text: str) -> str:
    if _until_value(text) is None:
        raise _fail(f"UNTIL {text!r} is not a date (YYYYMMDD) or a date-time (YYYYMMDDTHHMMSS, ending in Z for UTC)")
    return text


def _until_value(text: str) -> dt.date | dt.datetime | None:
    """UNTIL as a date, a naive (local) datetime, or an aware (UTC) one; None when it is no such value."""
    match = _UNTIL.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        if hour is None:
            return dt.date(int(year), int(month), int(day))
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=dt.UTC if utc else None,
        )
    except ValueError:
        return None


def _probe_with_dateutil(rule: _Rule) -> None:
    """Hand the normalised rule to dateutil's own parser, so that what it refuses is refused here too, with
    a message naming the part instead of its exception."""
    hour = min(rule.byhour) if rule.freq == "HOURLY" and rule.byhour else 0
    aware = rule.until is not None and rule.until.endswith("Z")
    start = _PROBE_START.replace(hour=hour, tzinfo=dt.UTC if aware else None)
    try:
        dateutil.rrule.rrulestr(rule.text(), dtstart=start)
    except (ValueError, TypeError, LookupError, ArithmeticError, AttributeError) as exc:
        raise _fail(_dateutil_message(str(exc))) from None


def _dateutil_message(message: str) -> str:
    named = re.search(r"\b(" + "|".join(PARTS) + r")\b", message.upper())
    if named is not None:
        return f"{named[1]} is not valid ({message})"
    for fragment, part in (("bysetpos", "BYSETPOS"), ("byxxx", "BYHOUR"), ("until", "UNTIL")):
        if fragment in message.lower():
            return f"{part} is not valid ({message})"
    return f"not a valid rule ({message})"


def _yields_nothing(rule: _Rule) -> bool:
    """Whether no due could ever start a series of this rule: no date matches its BY parts together.

    INTERVAL, COUNT and UNTIL are left out (whether they leave an occurrence depends on the due), and the
    check runs on a FREQ=YEARLY rule with the same days where that is equivalent, as it reaches 400 years
    in 400 of dateutil's steps."""
    rule = replace(rule, interval=None, count=None, until=None)
    if rule.bysetpos and rule.freq in ("DAILY", "HOURLY"):
        # Each period is a day (an hour): BYSETPOS picks among its times, as many every period.
        times = math.prod(
            len(values) or 1 for values in (rule.byminute, rule.bysecond, rule.byhour if rule.freq == "DAILY" else ())
        )
        if all(abs(position) > times for position in rule.bysetpos):
            return True
        rule = replace(rule, bysetpos=())
    if rule.bysetpos:
        steps = _CYCLE_YEARS * (1 if rule.freq == "YEARLY" else 12) + 10
        return _first_year(rule, steps) is None
    if not any((rule.byday, rule.bymonthday, rule.byyearday, rule.byweekno)):
        return False  # the due's own day (or weekday) in every period, or every day
    bymonth = rule.bymonth
    if rule.freq == "MONTHLY" and not bymonth and any(n is not None for n, _ in rule.byday):
        bymonth = tuple(range(1, 13))  # "the 2nd Monday" counts within each month, as under MONTHLY
    yearly = replace(rule, freq="YEARLY", bymonth=bymonth, byhour=(), byminute=(), bysecond=())
    return _first_year(yearly, _CYCLE_YEARS + 10) is None


def _first_year(rule: _Rule, steps: int) -> int | None:
    """The year of the rule's first occurrence from 2000 on, if there is one within the 400-year cycle."""
    for occurrence in _occurrences(rule, _PROBE_START, steps=steps):
        year: int = occurrence.year
        return year if year < _PROBE_START.year + _CYCLE_YEARS else None
    return None


# -- evaluation --------------------------------------------------------------------------------------------


class _StepsSpent(Exception):
    """A search took its share of dateutil's steps without finding an occurrence."""


class _BoundedRule(dateutil.rrule.rrule):  # type: ignore[misc]
    """dateutil's rrule, counting its steps: `_iterinfo.rebuild` reads `_byeaster` once at each year (each
    month below YEARLY) it moves to, and a search that never matches would otherwise scan to the year 9999
    (seconds for FREQ=DAILY, more for HOURLY). The count raises once it is spent."""

    def __init__(self, steps: int, **kwargs: Any) -> None:
        self._steps_left = steps
        super().__init__(**kwargs)

    @property
    def _byeaster(self) -> Any:
        self._steps_left -= 1
        if self._steps_left < 0:
            raise _StepsSpent
        return self._easter

    @_byeaster.setter
    def _byeaster(self, value: Any) -> None:
        self._easter = value


def _occurrences(rule: _Rule, start: dt.datetime, *, after: dt.datetime | None = None, steps: int) -> Iterator[Any]:
    """The rule's naive occurrences from `start` (its DTSTART; after `after` when given), without COUNT and
    UNTIL (the callers apply those), ending quietly where dateutil gives up or the search is spent."""
    try:
        engine = _BoundedRule(
            steps,
            freq=_DATEUTIL_FREQ[rule.freq],
            dtstart=start,
            interval=rule.interval or 1,
            wkst=rule.wkst or 0,  # RFC 5545's default, not calendar.firstweekday()
            bysetpos=rule.bysetpos or None,
            bymonth=rule.bymonth or None,
            bymonthday=rule.bymonthday or None,
            byyearday=rule.byyearday or None,
            byweekno=rule.byweekno or None,
            byweekday=[dateutil.rrule.weekday(day, n) for n, day in rule.byday] or None,
            byhour=rule.byhour or None,
            byminute=rule.byminute or None,
            bysecond=rule.bysecond or None,
        )
        found = iter(engine) if after is None else engine.xafter(after)
        while True:
            yield next(found)
    except (StopIteration, _StepsSpent):
        return
    except (ValueError, LookupError, ArithmeticError):
        # An hour set INTERVAL can never reach from this start, or a date past the year 9999.
        return


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"timezone: {name!r} is not an IANA time zone name such as Europe/Paris or UTC") from None


def _parse_due(due: str) -> dt.date | dt.datetime:
    text = due.strip()
    try:
        value: dt.date | dt.datetime = (
            dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        )
    except ValueError:
        raise ValueError(
            f"due must be an ISO 8601 date (2026-12-31) or datetime with an offset "
            f"(2026-12-31T09:00:00+01:00), got {due!r}"
        ) from None
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        raise ValueError(f"due {due!r} has no offset; a recurring datetime needs one, such as +01:00 or Z")
    return value


def next_occurrence(
    rule: str,
    due: str,
    *,
    timezone: str,
    repeat_from: RepeatFrom,
    completed_at: dt.datetime,
) -> tuple[str, str] | None:
    """The next due and the rule for the rest of the series, or None when the series has ended.

    Completing a recurring task moves its due here and keeps it open; None means the completed occurrence
    was the last (COUNT used up, the next one after UNTIL, none within the search's bound, or none before
    the year 9999 ends), so the task is done. The series starts at the current `due`:
    - repeat_from=DUE: the first occurrence strictly after the current due, even if that is still past.
    - repeat_from=COMPLETION: the series restarts on the completion's day in `timezone` (for a datetime due,
      at the due's wall-clock time; for HOURLY without BYHOUR, at the completion's hour and the due's minute),
      and the next due is its first occurrence after the completion (for a date-only due: after the
      completion's date). So FREQ=DAILY;INTERVAL=3 done on a Wednesday gives Saturday, FREQ=WEEKLY;BYDAY=MO
      done on a Wednesday the next Monday (done on a Monday, the Monday after). Completing early never keeps
      or moves back the due: when that occurrence is not after the current due, repeat_from=DUE's is taken.
    - A datetime due is read in `timezone` (08:00Z is 09:00 in Paris in winter) and keeps that wall-clock
      time; the result is written with the zone's offset at that instant. A time that does not exist that
      day is skipped; an ambiguous one is its first instant unless only its second is after the previous
      due (or the completion); see the module's notes.
    - A date-only due gives a date-only due: the rule's dates are what count, its times of day are ignored.
    - UNTIL is inclusive: a date covers that whole day in `timezone`, a date-time ending in Z is an instant,
      one without Z a wall-clock time in `timezone`. COUNT is returned less the occurrence just completed.
    Raises ValueError for a rule that is no valid RRULE (parse_rrule's checks; a rule that never matches is
    no error here, its series simply ends), a due that is no ISO date or datetime with an offset, a zone that
    names none, or a naive completed_at.
    """
    parsed = _parse(rule)
    zone = _zone(timezone)
    start = _parse_due(due)
    mode = RepeatFrom(repeat_from)
    if completed_at.utcoffset() is None:
        raise ValueError("completed_at must be timezone-aware")
    if parsed.count == 1:
        return None
    rest = replace(parsed, count=None if parsed.count is None else parsed.count - 1).text()
    if isinstance(start, dt.datetime):
        following = _next_datetime(parsed, start, zone, mode, completed_at)
        return None if following is None else (following.isoformat(), rest)
    day = _next_date(parsed, start, zone, mode, completed_at)
    return None if day is None else (day.isoformat(), rest)


def _next_date(
    rule: _Rule, due: dt.date, zone: zoneinfo.ZoneInfo, mode: RepeatFrom, completed_at: dt.datetime
) -> dt.date | None:
    until = _local_until(rule.until, zone)
    if mode is RepeatFrom.COMPLETION:
        try:
            done = completed_at.astimezone(zone).date()
        except (OverflowError, ValueError):
            return None
        following = _first_date(rule, done, until)
        if following is None or following > due:
            return following
    return _first_date(rule, due, until)


def _first_date(rule: _Rule, start: dt.date, until: dt.date | dt.datetime | None) -> dt.date | None:
    """The first date after `start` of the series that starts there, None when UNTIL comes first."""
    hour = min(rule.byhour) if rule.freq == "HOURLY" and rule.byhour else 0
    begin = dt.datetime.combine(start, dt.time(hour))
    for occurrence in _occurrences(rule, begin, after=dt.datetime.combine(start, dt.time.max), steps=_SEARCH_STEPS):
        day: dt.date = occurrence.date()
        if until is not None and (
            day > until if not isinstance(until, dt.datetime) else dt.datetime.combine(day, dt.time()) > until
        ):
            return None
        return day
    return None


def _local_until(until: str | None, zone: zoneinfo.ZoneInfo) -> dt.date | dt.datetime | None:
    """UNTIL as a date or a naive wall-clock time in `zone` (a UTC instant read there)."""
    value = None if until is None else _until_value(until)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:
            return value.astimezone(zone).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return None  # past the year 9999 in that zone: no bound this side of it
    return value


def _next_datetime(
    rule: _Rule, due: dt.datetime, zone: zoneinfo.ZoneInfo, mode: RepeatFrom, completed_at: dt.datetime
) -> dt.datetime | None:
    try:
        wall = due.astimezone(zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None
    if mode is RepeatFrom.COMPLETION:
        try:
            done = completed_at.astimezone(zone).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return None
        anchor = dt.datetime.combine(done.date(), wall.time())
        if rule.freq == "HOURLY" and not rule.byhour:
            anchor = anchor.replace(hour=done.hour)
        following = _first_instant(rule, anchor, max(anchor, done), completed_at, zone)
        if following is None or following > due:
            return following
    return _first_instant(rule, wall, wall, due, zone)


def _first_instant(
    rule: _Rule, start: dt.datetime, after: dt.datetime, later_than: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime | None:
    """The first occurrence of the series starting at wall-clock `start` whose wall-clock time is after
    `after` and whose instant is after `later_than`, as an aware time in `zone`; None when UNTIL, the year
    9999 or the search's bound comes first."""
    until = None if rule.until is None else _until_value(rule.until)
    skipped = 0
    for occurrence in _occurrences(rule, start.replace(microsecond=0), after=after, steps=_SEARCH_STEPS):
        candidate: dt.datetime = occurrence.replace(microsecond=start.microsecond)
        if candidate <= after:
            continue  # the due's own second, when the due has microseconds
        if isinstance(until, dt.datetime) and until.tzinfo is None and candidate > until:
            return None
        if isinstance(until, dt.date) and not isinstance(until, dt.datetime) and candidate.date() > until:
            return None
        try:
            instant = _instant(candidate, zone, later_than)
        except (OverflowError, ValueError):
            return None  # its instant is past the year 9999
        if isinstance(until, dt.datetime) and until.tzinfo is not None and instant is not None and instant > until:
            return None
        if instant is not None:
            return instant
        skipped += 1
        if skipped >= _SKIPPED_MAX:
            return None
    return None


def _instant(wall: dt.datetime, zone: zoneinfo.ZoneInfo, later_than: dt.datetime) -> dt.datetime | None:
    """A wall-clock time in `zone` as an instant after `later_than`: None when it does not exist (a DST gap)
    or is not after; of an ambiguous time (a DST fold), the first instant that is after."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    if first.astimezone(zone).replace(tzinfo=None) != wall:
        return None  # in a gap: fold=0 read it with the offset before the gap, which lands elsewhere
    second = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    for instant in (first, second):
        if instant > later_than:
            local: dt.datetime = instant.astimezone(zone)
            return local
    return None
