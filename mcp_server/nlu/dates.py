"""Due dates said in words ("Friday", "tomorrow 5pm", "at 9", "the 25th", "seven thirty am") to ISO 8601.

What a bare "at 3", "the 7th" or "friday" means is a convention (docs/hwu64.md, "Dates in the
evaluation files"), not something a general parser knows: a small grammar reads those shapes, after
numbers said in words become digits (nlu/spoken.py). The rest ("in 2 weeks", "next month") goes to
dateparser. A date without a time of day stays a date; a time gives the zone's offset.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mcp_server.core.domain import parse_due
from mcp_server.nlu.spoken import words_to_digits
from mcp_server.nlu.zones import DateError, zone

# "end of the week", and "this week" as a due: by the end of it (a due today would say "today").
_PERIOD_END = re.compile(
    r"^(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<unit>day|week|month|year)$"
    r"|^(?:by\s+|within\s+|during\s+|sometime\s+)?this\s+(?P<this>week|month|year)$"
)
_PERIOD_END_OF_NAMED_MONTH = re.compile(r"^(?:by\s+)?(?:the\s+)?end\s+of\s+(?P<month>[a-z]+)$")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTH_WORDS = _MONTHS | {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
_WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)} | {
    w: n
    for n, words in enumerate(("mon", "tue tues", "wed weds", "thu thur thurs", "fri", "sat", "sun"))
    for w in words.split()
}
_TODAY = frozenset({"today", "todays"})
_TOMORROW = frozenset({"tomorrow", "tomorrows", "tomorow", "tommorow", "tommorrow", "tmrw", "tmr"})
# Parts of the day and the hour each stands for when no hour is said.
_PARTS = {"morning": 9, "afternoon": 15, "evening": 18, "night": 20}
_FILLERS = frozenset({"at", "on", "for", "by", "around", "about", "the", "of", ",", "due"})
_NEXT = frozenset({"next", "coming", "upcoming", "following"})
_TOKEN = re.compile(r"\d{1,2}:\d{2}|\d+(?:st|nd|rd|th)?|[a-z]+|,")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")
_CLOCK = re.compile(r"\d{1,2}(?::\d{2})?")
_MERIDIEM = re.compile(r"(\d)\s*([ap])\.?\s?m\b\.?")
# "the next 5 days", "the past 3 months": a span's far end, the bound a query by period needs
_SPAN = re.compile(r"(?:(?:in|for|over|within|during) )?(?:the )?(next|past|last) (\d+) (day|week|month|year)s?")
_PERIODS_WITH_TIME = {"time", "part_of_day"}
# dateparser reports period "day" when the time said equals the base time ("tomorrow 9am" at 9:00),
# so a time of day written in the text also counts.
_TIME_OF_DAY = re.compile(
    r"\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b|\b(noon|midnight|morning|afternoon|evening|tonight)\b"
)


def _period_end(text: str, today: dt.date) -> dt.date | None:
    if match := _PERIOD_END.match(text):
        unit = match["unit"] or match["this"]
        if unit == "day":
            return today
        if unit == "week":  # the coming Friday: the end of the working week
            return today + dt.timedelta(days=(4 - today.weekday()) % 7)
        if unit == "month":
            return today.replace(day=calendar.monthrange(today.year, today.month)[1])
        return today.replace(month=12, day=31)
    if (match := _PERIOD_END_OF_NAMED_MONTH.match(text)) and match["month"] in _MONTHS:
        month = _MONTHS[match["month"]]
        year = today.year if month >= today.month else today.year + 1
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return None


def _next_weekday(today: dt.date, weekday: int) -> dt.date:
    """The next such day after today: on a Saturday, "saturday" is a week away."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _day_of_month(today: dt.date, day: int, month: int | None, year: int | None) -> dt.date:
    """The date said by its day (and month, and year): the next such date after today, unless the
    year is said."""
    if month is not None and year is not None:
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise DateError(f"there is no {calendar.month_name[month]} {day} in {year}") from None
    first = today.replace(day=1)
    for ahead in range(12 * 8 + 1):  # a February 29th is at most eight years away
        month_index = first.month - 1 + ahead
        y, m = first.year + month_index // 12, month_index % 12 + 1
        if (month is None or m == month) and day <= calendar.monthrange(y, m)[1] and dt.date(y, m, day) > today:
            return dt.date(y, m, day)
    raise DateError(
        f"there is no {calendar.month_name[month]} {day}" if month else f"there is no day {day} in any month"
    )


def _in_month(today: dt.date, day: int, ahead: bool) -> dt.date:
    """Day `day` of this month (of the next one when `ahead`), past or not: "the 14th of this month"."""
    start = today.replace(day=1)
    if ahead:
        start = (start + dt.timedelta(days=31)).replace(day=1)
    if not 1 <= day <= calendar.monthrange(start.year, start.month)[1]:
        raise DateError(f"there is no day {day} in {calendar.month_name[start.month]} {start.year}")
    return start.replace(day=day)


@dataclass
class _Said:
    """What a due phrase names: a day, and a time of day (an hour, a part of the day, or both)."""

    day: dt.date | None = None
    weekday: dt.date | None = None  # a weekday said with a date ("saturday march 25th") yields to it
    hour: int | None = None
    minute: int = 0
    zero_padded: bool = False  # "08:00", "05:30": a 24-hour clock, not the am/pm guess
    meridiem: str | None = None
    part: str | None = None
    midnight: bool = False

    def set_day(self, day: dt.date) -> None:
        if self.day is not None and self.day != day:
            raise DateError("it names two days")
        self.day = day

    def set_weekday(self, day: dt.date) -> None:
        if self.weekday is not None and self.weekday != day:
            raise DateError("it names two days")
        self.weekday = day

    def set_part(self, part: str) -> None:
        if self.part is not None and self.part != part:
            raise DateError("it names two parts of the day")
        self.part = part

    def set_time(self, hour: int, minute: int, zero_padded: bool) -> None:
        if self.hour is not None and (self.hour, self.minute) != (hour, minute):
            raise DateError("it names two times")
        self.hour, self.minute, self.zero_padded = hour, minute, zero_padded


def _read(tokens: list[str], today: dt.date) -> _Said | None:
    """The day and time a due phrase names, in the shapes this grammar knows; None for any other
    shape, DateError for a known shape that names no real date, or two of one kind."""
    said = _Said()
    i, n = 0, len(tokens)

    def at(k: int) -> str:
        return tokens[k] if k < n else ""

    def year_at(k: int) -> tuple[int | None, int]:
        """The year said at k ("march 1st, 2027"), and where the words after it start."""
        j = k + (at(k) == ",")
        if at(j).isdigit() and len(at(j)) == 4:
            return int(at(j)), j + 1
        return None, k

    while i < n:
        word, following = at(i), at(i + 1)
        if tokens[i : i + 3] == ["day", "after", "tomorrow"]:
            said.set_day(today + dt.timedelta(days=2))
            i += 3
        elif word == "in" and following == "the" and at(i + 2) in _PARTS:  # "five in the evening"
            said.set_part(at(i + 2))
            i += 3
        elif word in _FILLERS:
            i += 1
        elif word in _TODAY or word in _TOMORROW:
            said.set_day(today if word in _TODAY else today + dt.timedelta(days=1))
            i += 1
        elif word in ("tonight", "tonite"):
            said.set_day(today)
            said.set_part("night")
            i += 1
        elif word in ("this", "next") and following in _PARTS:  # "this evening"; "next morning" is tomorrow's
            said.set_day(today if word == "this" else today + dt.timedelta(days=1))
            said.set_part(following)
            i += 2
        elif word in _PARTS:
            said.set_part(word)
            i += 1
        elif word in _NEXT | {"this"} and following in _NEXT:  # "this coming friday"
            i += 1
        elif word in _WEEKDAYS or (word in _NEXT | {"this"} and following in _WEEKDAYS):
            # the next such day after today; "this saturday" on a Saturday is today
            weekday = _WEEKDAYS[word if word in _WEEKDAYS else following]
            this_day = word == "this" and weekday == today.weekday()
            said.set_weekday(today if this_day else _next_weekday(today, weekday))
            i += 1 if word in _WEEKDAYS else 2
        elif word in _NEXT and following == "week":  # a week from today
            said.set_day(today + dt.timedelta(days=7))
            i += 2
        elif word == "weekend" or (word == "this" and following == "weekend"):
            # its Saturday; today on a Saturday or a Sunday
            said.set_day(today if today.weekday() >= 5 else _next_weekday(today, 5))
            i += 1 if word == "weekend" else 2
        elif word in ("noon", "midday", "midnight"):
            said.set_time(0 if word == "midnight" else 12, 0, zero_padded=True)
            said.midnight = word == "midnight"
            i += 1
        elif word in _MONTH_WORDS:  # "march 1st", "march 1", "march the 1st, 2027"
            k = i + 1 + (following == "the")
            match = _ORDINAL.fullmatch(at(k))
            if not (match or (at(k).isdigit() and len(at(k)) <= 2)):
                return None  # a month alone: dateparser's
            year, i = year_at(k + 1)
            said.set_day(_day_of_month(today, int(match[1] if match else at(k)), _MONTH_WORDS[word], year))
        elif (match := _ORDINAL.fullmatch(word)) or (word.isdigit() and len(word) <= 2 and following in _MONTH_WORDS):
            # "the 25th", "25th of december", "25 december 2026", "the 14th of this month"
            day = int(match[1] if match else word)
            k = i + 1 + (following == "of")
            if at(k) in _MONTH_WORDS:
                year, i = year_at(k + 1)
                said.set_day(_day_of_month(today, day, _MONTH_WORDS[at(k)], year))
            elif following == "of" and at(k) in ("this", "next") and at(k + 1) == "month":
                said.set_day(_in_month(today, day, ahead=at(k) == "next"))
                i = k + 2
            else:  # "the 7th": the next 7th
                said.set_day(_day_of_month(today, day, None, None))
                i += 1
        elif _CLOCK.fullmatch(word):  # "9", "9:30", "09:30", "17:00", with am/pm or not
            hour, _, minute = word.partition(":")
            said.set_time(int(hour), int(minute or 0), zero_padded=hour.startswith("0") or int(hour) > 12)
            i += 1
            if at(i) in ("am", "pm"):
                said.meridiem = at(i)
                i += 1
        else:
            return None
    if said.day is None and said.weekday is None and said.hour is None and said.part is None:
        return None
    return said


def _hour(said: _Said) -> int:
    """The hour on a 24-hour clock: am/pm when said, else the part of the day, else the 24-hour
    clock when it is one ("08:00", "17:30"), else the guess for a bare hour: 1 to 6 is the afternoon,
    7 to 11 the morning."""
    hour = said.hour
    assert hour is not None
    if said.midnight:
        return 0
    if said.meridiem is not None:
        if not 1 <= hour <= 12:
            raise DateError(f"there is no {hour} {said.meridiem}")
        return hour % 12 + (12 if said.meridiem == "pm" else 0)
    if said.part == "morning":
        return 0 if hour == 12 else hour
    if said.part in ("afternoon", "evening") or (said.part == "night" and 6 <= hour <= 11):
        return hour + 12 if hour < 12 else hour
    if said.part == "night" and hour == 12:
        return 0
    if said.zero_padded or said.part is not None or hour == 0:
        return hour
    return hour + 12 if 1 <= hour <= 6 else hour


def _resolve(said: _Said, local_now: dt.datetime, tz: ZoneInfo) -> str:
    day = said.day or said.weekday
    if said.hour is None and said.part is None:
        assert day is not None
        return day.isoformat()
    if said.hour is None:
        assert said.part is not None
        hour, minute = _PARTS[said.part], 0
    else:
        hour, minute = _hour(said), said.minute
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateError(f"there is no time {said.hour}:{said.minute:02d} in a day")
    # midnight is the end of the day named, or of today when none is
    base = day or local_now.date()
    if said.midnight or (said.part == "night" and said.hour is not None and hour < 6):
        base += dt.timedelta(days=1)
    moment = dt.datetime.combine(base, dt.time(hour, minute), tzinfo=tz)
    if day is None and moment <= local_now:  # a time with no day: the next time it comes
        moment = dt.datetime.combine(base + dt.timedelta(days=1), dt.time(hour, minute), tzinfo=tz)
    return moment.astimezone(dt.UTC).astimezone(tz).isoformat()  # through UTC: a time in a DST gap moves


def _spoken_form(text: str) -> str:
    """Lower case, one space, "'s" and dots of "a.m." gone, numbers in digits."""
    cleaned = _MERIDIEM.sub(r"\1 \2m", text.replace("'s ", " ").removesuffix("'s"))
    return words_to_digits(cleaned.strip(" .?!"))


# A closing word of the sentence the due was copied from ("the 10th pls") is no part of the date.
_POLITE_TAIL = re.compile(r"(?:[ ,!.]+(?:please|pls|plz|thanks|thank you|thx|ty|cheers))+[ .!?]*$")


def resolve_due(text: str, timezone: str, now: dt.datetime | None = None) -> str:
    """ISO 8601 for a due date given as ISO or in words, relative to `now` in `timezone`."""
    tz = zone(timezone)
    local_now = (now or dt.datetime.now(dt.UTC)).astimezone(tz)
    cleaned = _POLITE_TAIL.sub("", " ".join(text.strip().lower().split()))
    try:
        return parse_due(text)  # already ISO 8601
    except ValueError:
        pass
    if (end := _period_end(cleaned, local_now.date())) is not None:
        return end.isoformat()
    spoken = _spoken_form(cleaned)
    tokens = _TOKEN.findall(spoken)
    try:
        if not _TOKEN.sub("", spoken).strip(" .") and (said := _read(tokens, local_now.date())) is not None:
            return _resolve(said, local_now, tz)
    except DateError as exc:  # read, but no such day or time ("february 30", "at 25"), or two of them
        raise DateError(f"cannot understand the due date {text!r}: {exc}") from None
    from dateparser.date import DateDataParser  # its import is paid by warm_up at start, off the hot path

    if span := _SPAN.fullmatch(spoken):
        count, unit = span[2], span[3]
        spoken = f"in {count} {unit}s" if span[1] == "next" else f"{count} {unit}s ago"
    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "TIMEZONE": timezone,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(spoken.removeprefix("by ").removeprefix("due "))
    if data.date_obj is None:
        raise DateError(f"cannot understand the due date {text!r}; say e.g. 'Friday', 'tomorrow 5pm' or 2026-12-04")
    moment = data.date_obj.astimezone(tz)
    if data.period in _PERIODS_WITH_TIME or _TIME_OF_DAY.search(spoken):
        return moment.replace(microsecond=0).isoformat()
    return moment.date().isoformat()


def warm_up() -> None:
    """dateparser loads its language data on first use (~0.3 s); pay that at start, not on a request."""
    resolve_due("in 2 weeks", "UTC")
