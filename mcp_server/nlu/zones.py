"""Timezone names, checked with the standard library alone, so that settings can be validated
without loading the date parser."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class DateError(ValueError):
    """A due date in words, or a timezone, that cannot be understood."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DateError(f"unknown timezone {name!r}; use an IANA name such as Europe/Paris or UTC") from None
