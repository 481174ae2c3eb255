"""How a filled phrasing gets typed: now and then a slip of the keyboard, a capital, a closing
word. The slips go into the phrasing's own words, never into the slot values the label copies."""

from __future__ import annotations

import random
from collections.abc import Mapping

_KEYBOARD_LETTERS = "qwertyuiopasdfghjklzxcvbnm"


def typo(text: str, rng: random.Random) -> str:
    """One slip of the keyboard in a longer word of the phrasing: swapped, dropped, doubled or
    mistyped letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    while True:
        at = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("swap", "drop", "double", "near"))
        if kind == "swap":
            slipped = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        elif kind == "drop":
            slipped = word[:at] + word[at + 1 :]
        elif kind == "double":
            slipped = word[:at] + word[at] + word[at:]
        else:
            slipped = word[:at] + rng.choice(_KEYBOARD_LETTERS) + word[at + 1 :]
        if slipped != word:  # swapping two equal letters, or the same letter, is no slip
            break
    words[i] = slipped
    return " ".join(words)


def phrase(template: str, rng: random.Random, slots: Mapping[str, str], typo_rate: float = 0.12) -> str:
    """Fill a phrasing; typos go into the phrasing's own words, never into the slot values the
    label copies."""
    if rng.random() < typo_rate:
        template = typo(template, rng)
    text = template.format(**slots)
    if rng.random() < 0.15:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.1:
        text = text.rstrip("?.!") + rng.choice(("?", ".", "!", " please", " pls", " thanks"))
    return text
