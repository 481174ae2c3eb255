"""Timezone names, checked with the standard library alone, so that settings can be validated
without loading the date parser."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class DateError(ValueError):
    """A due date in words, or a timezone, that cannot be understood."""


TIMEZONE_MAX = 64  # the longest IANA name is 32 characters


def zone(name: str) -> ZoneInfo:
    if not name or len(name) > TIMEZONE_MAX:
        raise DateError(f"unknown timezone {name[:TIMEZONE_MAX]!r}; use an IANA name such as Europe/Paris or UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder of zones: IsADirectoryError
        raise DateError(f"unknown timezone {name!r}; use an IANA name such as Europe/Paris or UTC") from None
