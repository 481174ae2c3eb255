"""Numbers and clock times said in words ("seven thirty", "eight hundred", "twenty fifth", "half an
hour") rewritten as digits, so that the date rules and dateparser, which read digits, can read what
people say aloud."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16}
_TEENS |= {"seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_TENS |= {"eighty": 80, "ninety": 90}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8}
_ORDINALS |= {"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twelveth": 12, "thirteenth": 13}
_ORDINALS |= {"fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18}
_ORDINALS |= {"nineteenth": 19, "twentieth": 20, "thirtieth": 30}
_NUMBER_WORDS = _UNITS.keys() | _TEENS.keys() | _TENS.keys() | _ORDINALS.keys() | {"hundred", "thousand"}


@dataclass
class _Number:
    """One number said in words: its value, and how it was said."""

    thousands: int = 0  # the part from a thousand up
    below: int = 0  # the part below a thousand
    ordinal: bool = False
    scaled: bool = False  # said with "hundred" or "thousand": a clock time ("eight hundred") or a year
    hundred: bool = False  # `below` has its "hundred" already
    last: str = ""  # the kind of the last word: unit, teen, tens, hundred, thousand

    @property
    def value(self) -> int:
        return self.thousands + self.below

    def take(self, word: str) -> bool:
        """Add `word` to this number when it continues it ("twenty" + "five"); False when it starts another."""
        if self.ordinal:
            return False
        if word == "hundred":
            if self.last not in ("unit", "teen", "tens") or self.hundred or not 0 < self.below < 100:
                return False
            self.below *= 100
            self.scaled = self.hundred = True
        elif word == "thousand":
            if self.last == "thousand" or self.thousands or not 0 < self.below < 1000:
                return False
            self.thousands, self.below = self.below * 1000, 0
            self.scaled, self.hundred = True, False
        elif self.last in ("hundred", "thousand") or (self.last == "tens" and 1 <= _units_digit(word) <= 9):
            self.below += _value(word)
        else:
            return False
        self.ordinal = word in _ORDINALS
        self.last = _kind(word)
        return True


def _units_digit(word: str) -> int:
    """1-9 for a word that can end a number after "twenty" ("five", "fifth"), else 0."""
    return _UNITS.get(word) or (_ORDINALS[word] if _ORDINALS.get(word, 10) < 10 else 0)


def _value(word: str) -> int:
    return _UNITS.get(word, _TEENS.get(word, _TENS.get(word, _ORDINALS.get(word, 0))))


def _kind(word: str) -> str:
    if word in ("hundred", "thousand"):
        return word
    return "teen" if word in _TEENS else "tens" if word in _TENS else "unit"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _numbers(words: list[str]) -> list[_Number | str]:
    """A run of number words as the numbers said one after another ("seven thirty" is two)."""
    said: list[_Number | str] = []
    current: _Number | None = None
    for word in words:
        if current is not None and word != "oh" and current.take(word):
            continue
        if word in ("oh", "hundred", "thousand"):  # "oh" between numbers, or a scale with no number before it
            said.append(word)
            current = None
            continue
        current = _Number(below=_value(word), ordinal=word in _ORDINALS, last=_kind(word))
        said.append(current)
    return said


def _render(said: list[_Number | str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(said):
        item = said[i]
        if isinstance(item, str):
            out.append(item)
            i += 1
            continue
        nxt = said[i + 1] if i + 1 < len(said) else None
        after = said[i + 2] if i + 2 < len(said) else None
        plain = not item.ordinal and not item.scaled
        if item.ordinal:
            out.append(_ordinal(item.value))
        elif item.scaled:
            value = item.value
            if value >= 2000 and item.thousands:  # "two thousand seventeen"
                out.append(str(value))
            elif 100 <= value < 2400 and value % 100 < 60:  # "eight hundred", "one thousand three hundred"
                out.append(f"{value // 100:02d}:{value % 100:02d}")
            else:
                out.append(str(value))
        elif plain and nxt == "oh" and isinstance(after, _Number) and 1 <= item.value <= 12 and after.value < 10:
            out.append(f"{item.value}:0{after.value}")  # "nine oh five"
            i += 3
            continue
        elif plain and isinstance(nxt, _Number) and not nxt.ordinal and not nxt.scaled:
            if 1 <= item.value <= 12 and 10 <= nxt.value <= 59:  # "seven thirty", "eight forty five"
                out.append(f"{item.value}:{nxt.value:02d}")
                i += 2
                continue
            if item.value in (19, 20) and 10 <= nxt.value <= 99:  # "twenty seventeen", "nineteen ninety"
                out.append(f"{item.value}{nxt.value:02d}")
                i += 2
                continue
            out.append(str(item.value))
        else:
            out.append(str(item.value))
        i += 1
    return out


def _digits(words: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for k, word in enumerate(words):
        joins = word in ("and", "oh") and bool(run) and k + 1 < len(words) and words[k + 1] in _NUMBER_WORDS
        if word == "and" and joins and run[-1] not in ("hundred", "thousand"):
            joins = False  # "eight and nine" is two numbers; "five hundred and thirty" is one
        if word in _NUMBER_WORDS or joins:
            if word != "and":
                run.append(word)
            continue
        if run:
            out += _render(_numbers(run))
            run = []
        out.append(word)
    if run:
        out += _render(_numbers(run))
    return out


def _before(hour: int, minutes: int) -> str:
    return f"{(hour - 2) % 12 + 1}:{60 - minutes:02d}"


# Phrases of the clock and of spans, read once the numbers are digits.
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(\d{1,2}) ?o'? ?clock\b"), r"\1:00"),
    (re.compile(r"\b(?:an? )?half (?:an? )?hour\b"), "30 minutes"),
    (re.compile(r"\b(?:an? |1 )?hour and a half\b|\b1 and a half hours?\b"), "90 minutes"),
    (re.compile(r"\b(?:an? )?quarter (?:of )?(?:an? )?hour\b"), "15 minutes"),
    (re.compile(r"\b12 (noon|midnight)\b"), r"\1"),
]
_PAST = re.compile(r"\b(?:(?:a )?(quarter|half)|(\d{1,2})(?: minutes?)?) past (\d{1,2})\b")
_TO = re.compile(r"(?<!from )(?<!between )\b(?:(?:a )?(quarter)|(10|20|25)|(\d{1,2}) minutes?) to (\d{1,2})\b")
_SPLIT = re.compile(r"(?<=[a-z])-(?=[a-z])")  # "twenty-five"


def _clock(match: re.Match[str], to: bool) -> str:
    groups = match.groups()
    hour = int(groups[-1])
    named = groups[0]
    minutes = 15 if named == "quarter" else 30 if named == "half" else int(next(g for g in groups[1:-1] if g))
    if not (1 <= hour <= 12 and 1 <= minutes <= 30):
        return match[0]
    return _before(hour, minutes) if to else f"{hour}:{minutes:02d}"


def words_to_digits(text: str) -> str:
    """`text` (lower case, single spaces) with its numbers and clock phrases in digits:
    "seven thirty am" -> "7:30 am", "eight hundred" -> "08:00", "twenty fifth" -> "25th",
    "two thousand seventeen" -> "2017", "quarter past nine" -> "9:15", "half an hour" -> "30 minutes".
    Words that are no number, and numbers already in digits, are left as they are."""
    words = _SPLIT.sub(" ", text).split(" ")
    converted = " ".join(_digits(words)) if any(w in _NUMBER_WORDS for w in words) else text
    for pattern, replacement in _REWRITES:
        converted = pattern.sub(replacement, converted)
    converted = _PAST.sub(lambda m: _clock(m, to=False), converted)
    return _TO.sub(lambda m: _clock(m, to=True), converted)
