"""Due dates said in words ("Friday", "tomorrow 5pm", "in 2 weeks", "end of month") to ISO 8601.

dateparser does the parsing, relative to a known "now" in a known timezone. A date without a time
of day stays a date; a time of day gives a datetime with that timezone's offset. The period ends
("end of week/month/year") that dateparser does not know are mapped onto the date they mean.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from mcp_server.core.domain import parse_due
from mcp_server.nlu.zones import DateError, zone

_PERIOD_END = re.compile(r"^(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<unit>day|week|month|year)$")
_PERIOD_END_OF_NAMED_MONTH = re.compile(r"^(?:by\s+)?(?:the\s+)?end\s+of\s+(?P<month>[a-z]+)$")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_PERIODS_WITH_TIME = {"time", "part_of_day"}
# dateparser reports period "day" when the time said equals the base time ("tomorrow 9am" at 9:00),
# so a time of day written in the text also counts.
_TIME_OF_DAY = re.compile(
    r"\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b|\b(noon|midnight|morning|afternoon|evening|tonight)\b"
)


def _period_end(text: str, today: dt.date) -> dt.date | None:
    if match := _PERIOD_END.match(text):
        unit = match["unit"]
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


def resolve_due(text: str, timezone: str, now: dt.datetime | None = None) -> str:
    """ISO 8601 for a due date given as ISO or in words, relative to `now` in `timezone`."""
    tz = zone(timezone)
    local_now = (now or dt.datetime.now(dt.UTC)).astimezone(tz)
    cleaned = " ".join(text.strip().lower().split())
    try:
        return parse_due(text)  # already ISO 8601
    except ValueError:
        pass
    if (end := _period_end(cleaned, local_now.date())) is not None:
        return end.isoformat()
    from dateparser.date import DateDataParser  # its import is paid by warm_up at start, off the hot path

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
    data = parser.get_date_data(cleaned.removeprefix("by ").removeprefix("due "))
    if data.date_obj is None:
        raise DateError(f"cannot understand the due date {text!r}; say e.g. 'Friday', 'tomorrow 5pm' or 2026-12-04")
    moment = data.date_obj.astimezone(tz)
    if data.period in _PERIODS_WITH_TIME or _TIME_OF_DAY.search(cleaned):
        return moment.replace(microsecond=0).isoformat()
    return moment.date().isoformat()


def warm_up() -> None:
    """dateparser loads its language data on first use (~0.3 s); pay that at start, not on a request."""
    resolve_due("tomorrow", "UTC")
