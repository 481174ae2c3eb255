"""Names an answer copies from the command are the command's own words.

A task's title and the title that points at a task are copied from what the person typed (in the
typed and HWU64 sets, all but the made-up alarm titles, "Wake up" for "wake me at 6", are a run of
the command's words). A small model copies them with slips: "restake the feature branch" for
"rebase the feature branch", "fill up the timesheet" for "fill in", "presentes" for "presents".
A slip stored as a title is a task the person never named, and a slip in a pointer finds no task.

So a copied name that is not a run of the command's words, but is one word from one (at most a
third of its words differ, and the text is at least `SIMILARITY_MIN` alike), is replaced by that
run as typed: the person's spelling and case (the first letter as the answer had it). A name with
no such run near it (a made-up "Alarm", "Wake up") is left as the answer gave it.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from pydantic import ValidationError

from mcp_server.nlu.actions import TaskAction

SIMILARITY_MIN = 0.8  # difflib's ratio between the answer's words and the run of the command's
NAME_WORDS_MAX = 16  # a longer name is left as it is: no title is that long, and it bounds the cost
GAP_MAX = 3  # characters between two words of a run ("kids' swimming", "boxes, shed"), no line break
_WORD = re.compile(r"\w[\w'-]*")


def _words(text: str) -> list[tuple[str, int, int]]:
    """Each word of the text in lower case, without a closing quote, and where it starts and ends."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group().rstrip("'")
        found.append((word.lower(), match.start(), match.start() + len(word)))
    return found


def copied_from(name: str, command: str) -> str:
    """`name` as the command says it (see the module's docstring): itself when it is a run of the
    command's words or near none, else the nearest run, as typed."""
    said = [word for word, _, _ in _words(name)]
    typed = _words(command)
    words = [word for word, _, _ in typed]
    size = len(said)
    if not size or size > min(len(words), NAME_WORDS_MAX):
        return name
    runs = range(len(words) - size + 1)
    if any(words[i : i + size] == said for i in runs):
        return name
    best: tuple[float, int] | None = None
    for i in runs:
        run = words[i : i + size]
        if sum(a != b for a, b in zip(run, said, strict=True)) > max(1, size // 3):
            continue
        gaps = (command[typed[j][2] : typed[j + 1][1]] for j in range(i, i + size - 1))
        if any(len(gap) > GAP_MAX or "\n" in gap for gap in gaps):
            continue
        matcher = SequenceMatcher(None, " ".join(said), " ".join(run), autojunk=False)
        if matcher.quick_ratio() < SIMILARITY_MIN:
            continue
        ratio = matcher.ratio()
        if ratio >= SIMILARITY_MIN and (best is None or ratio > best[0]):
            best = (ratio, i)
    if best is None:
        return name
    start, end = typed[best[1]][1], typed[best[1] + size - 1][2]
    run_text = command[start:end]
    first = name.lstrip(" '\"")[:1]
    return run_text[:1].upper() + run_text[1:] if first.isupper() else run_text


NAME_FIELDS = ("title", "task_title", "parent_title")


def with_names_as_typed(action: TaskAction, command: str) -> TaskAction:
    """The action with each name it copied (`NAME_FIELDS`) as the command types it."""
    params = action.params
    update = {}
    for field in NAME_FIELDS:
        name = getattr(params, field, None)
        if isinstance(name, str) and (typed := copied_from(name, command)) != name:
            update[field] = typed
    if not update:
        return action
    try:  # the command's words are held to the contract's bounds as the answer's were
        typed_params = type(params).model_validate({**params.model_dump(), **update})
    except ValidationError:
        return action
    return action.model_copy(update={"params": typed_params})
