"""The deterministic fast path: commands whose shape leaves no doubt ("delete task 3", "mark task 2
as done", "list my high priority tasks", "create a task: call mum", "move task 3 to the work list").

It answers only when sure. Anything with a shape it does not know, or words it would have to
interpret (a date, a priority or a tag inside a new task's title), is not theirs: `parse_rules`
returns None and the chain asks a model; the rules backend alone (`RulesParser`) refuses it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from mcp_server.nlu.actions import SHORT_MAX, Action, parse_action
from mcp_server.nlu.parser import ParseOutcome, PartialOutput

NAME = "rules"

_ID = r"#?(?P<id>\d{1,9})"
_TASK = rf"(?:task|todo|item)\s+(?:number\s+|no\.?\s*)?{_ID}"
_PLEASE = r"(?:(?:please|pls|can you|could you)\s+)?"
_DONE = r"(?:done|complete|completed|finished)"
_PRIORITY = r"(?P<priority>low|normal|high|urgent)"
_STATUS_WORDS = {"open": "open", "pending": "open", "done": "done", "completed": "done", "finished": "done"}

# Words that mean a new task's text carries more than a title: leave it to the model.
_NEEDS_MODEL = re.compile(
    r"\b(by|due|until|before|tomorrow|today|tonight|next|this|in\s+\d+|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|weekend|week|month|year|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|priority|urgent|"
    r"important|asap|tag|tagged|remind|am|pm|noon|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2})\b|#|@",
    re.IGNORECASE,
)


# A list named in words: one word starting with a letter ("the work list", "list groceries"), or any
# name in double quotes ("the \"home office\" list"). `_named` gives each use its own group names.
_LIST_WORD = r"[^\W\d_][\w-]{0,99}"
_LIST_QUOTED = r"[^\"“”]{1,100}"
# Words that say which list by position, status or time rather than by name ("the next list", "the
# done list", "the today list"): not a name the rules may take as said.
_NOT_A_LIST_NAME = frozenset(
    {
        "a", "an", "the", "my", "your", "our", "this", "that", "these", "those", "next", "previous", "last",
        "first", "other", "another", "same", "new", "which", "what", "any", "some", "each", "every", "all",
        "whole", "full", "entire", "current", "main", "default", "right", "wrong",
        "done", "completed", "complete", "finished", "open", "pending", "closed", "archived", "deleted", "trash",
        "bin", "task", "tasks", "todo", "todos", "to-do", "to-dos", "item", "items", "list", "lists",
        "someday", "anytime", "upcoming", "later", "soon", "called", "named", "please", "now", "again", "here",
    }
)  # fmt: skip


def _named(key: str) -> str:
    """A list's name, captured as `list_<key>` (one word) or `quoted_<key>` (in quotes)."""
    return rf"(?:(?P<list_{key}>{_LIST_WORD})|[\"“](?P<quoted_{key}>{_LIST_QUOTED})[\"”])"


_THE_LIST = rf"(?:the\s+|my\s+)?(?:{_named('before')}\s+list|list\s+(?:called\s+|named\s+)?{_named('after')})"
"""A list by name, after a preposition: "the work list", "my work list", "list work", "the list called work"."""
_LIST_SHOWN = rf"(?:the\s+|my\s+)?(?:{_named('before')}\s+list|list\s+(?:called|named)\s+{_named('after')})"
"""A list by name, as what is shown: not "list <word>" ("show me my list please")."""


def _list_name(match: re.Match[str]) -> str | None:
    """The list a match names, as said (the task rules lower-case it); None when it names none, or
    when the word is not surely a name (_NOT_A_LIST_NAME, and the dates, priorities and tags of
    _NEEDS_MODEL). A name in quotes is a name, whatever its words."""
    found = match.groupdict()
    for key in ("before", "after"):
        quoted = (found.get(f"quoted_{key}") or "").strip()
        if quoted:
            return quoted
        word = found.get(f"list_{key}")
        if word:
            return None if word.lower() in _NOT_A_LIST_NAME or _NEEDS_MODEL.search(word) else word
    return None


def _clean(text: str) -> str:
    return " ".join(text.strip().rstrip(".!").split())


def _title(text: str) -> str:
    text = text.strip().strip("\"'“”‘’").strip()
    return text[:1].upper() + text[1:]


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], dict[str, object] | None]]


def _rule(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^{_PLEASE}{pattern}$", re.IGNORECASE)


def _names_a_list(match: re.Match[str]) -> bool:
    return any(key.startswith(("list_", "quoted_")) for key in match.re.groupindex)


def _create(match: re.Match[str]) -> dict[str, object] | None:
    title = match["title"]
    if _NEEDS_MODEL.search(title) or len(title) > SHORT_MAX:
        return None
    params: dict[str, object] = {"title": _title(title)}
    if "priority" in match.groupdict() and match["priority"]:
        params["priority"] = match["priority"].lower()
    if _names_a_list(match):
        name = _list_name(match)
        if name is None:
            return None
        params["list"] = name
    return {"action": "create_task", "params": params}


def _list(match: re.Match[str]) -> dict[str, object] | None:
    params: dict[str, object] = {}
    if match["status"]:
        params["status"] = _STATUS_WORDS[match["status"].lower()]
    if match["priority"]:
        params["priority"] = match["priority"].lower()
    if match["tag"]:
        params["tag"] = match["tag"].lower()
    if match["in_list"]:
        name = _list_name(match)
        if name is None:
            return None
        params["list"] = name
    return {"action": "list_tasks", "params": params}


def _show_list(match: re.Match[str]) -> dict[str, object] | None:
    name = _list_name(match)
    return None if name is None else {"action": "list_tasks", "params": {"list": name}}


def _move_to_list(match: re.Match[str]) -> dict[str, object] | None:
    name = _list_name(match)
    return None if name is None else {"action": "update_task", "params": {"task_id": int(match["id"]), "list": name}}


def _on_task(action: str, **fixed: object) -> Callable[[re.Match[str]], dict[str, object]]:
    """An action on the task whose id the pattern captured, with fixed params and any captured
    `priority`, `title`, `due` or `tag`."""

    def build(match: re.Match[str]) -> dict[str, object]:
        params: dict[str, object] = {"task_id": int(match["id"]), **fixed}
        found = match.groupdict()
        if found.get("priority"):
            params["priority"] = found["priority"].lower()
        if found.get("title"):
            params["title"] = _title(found["title"])
        if found.get("due"):
            params["due"] = found["due"]
        if found.get("tag"):
            params["tags"] = [found["tag"].lower()]
        return {"action": action, "params": params}

    return build


_DUE_TEXT = r"(?P<due>[\w :,-]{1,60})"
_NEW_TASK = r"(?:create|add|new|make)\s+(?:a\s+|an\s+)?(?:new\s+)?"

RULES: list[Rule] = [
    # Before "move task 3 to <a date>": "move task 3 to the work list" names a list, not a due date.
    (_rule(rf"(?:move|transfer|shift)\s+{_TASK}\s+(?:over\s+)?(?:to|into|onto)\s+{_THE_LIST}"), _move_to_list),
    (_rule(rf"(?:put|place|file)\s+{_TASK}\s+(?:in|into|on|onto|under)\s+{_THE_LIST}"), _move_to_list),
    (_rule(rf"add\s+{_TASK}\s+to\s+{_THE_LIST}"), _move_to_list),
    (_rule(rf"(?:delete|remove|erase|drop|trash|get rid of)\s+{_TASK}"), _on_task("delete_task")),
    (_rule(rf"(?:mark|set|flag)\s+{_TASK}\s+(?:as\s+)?{_DONE}"), _on_task("complete_task")),
    (_rule(rf"(?:complete|finish|close|check off|tick off)\s+{_TASK}"), _on_task("complete_task")),
    (_rule(rf"(?:finished|completed|did)\s+{_TASK}"), _on_task("complete_task")),
    (_rule(rf"{_TASK}\s+is\s+{_DONE}"), _on_task("complete_task")),
    (_rule(rf"done\s+with\s+(?:task\s+)?{_ID}"), _on_task("complete_task")),
    (_rule(rf"(?:reopen|re-open|undo)\s+{_TASK}"), _on_task("update_task", status="open")),
    (
        _rule(rf"(?:mark|set)\s+{_TASK}\s+(?:as\s+)?(?:open|not done|undone|pending)"),
        _on_task("update_task", status="open"),
    ),
    (
        _rule(rf"(?:set|change|make)\s+(?:the\s+)?priority\s+of\s+{_TASK}\s+(?:to\s+)?{_PRIORITY}"),
        _on_task("update_task"),
    ),
    (
        _rule(rf"(?:set|change|make)\s+{_TASK}(?:'s)?\s+(?:priority\s+(?:to\s+)?)?{_PRIORITY}(?:\s+priority)?"),
        _on_task("update_task"),
    ),
    (
        # a "due" that mentions a list is a list this rule could not read ("the home office list")
        _rule(rf"(?:move|postpone|push|reschedule)\s+{_TASK}\s+(?:to|until|till)\s+(?!.*\blists?\b){_DUE_TEXT}"),
        _on_task("update_task"),
    ),
    (
        _rule(rf"(?:set|change)\s+(?:the\s+)?(?:due date|deadline)\s+of\s+{_TASK}\s+to\s+{_DUE_TEXT}"),
        _on_task("update_task"),
    ),
    (_rule(rf"tag\s+{_TASK}\s+(?:as|with)\s+#?(?P<tag>[a-z0-9_-]{{1,30}})"), _on_task("update_task")),
    (_rule(rf"(?:rename|retitle)\s+{_TASK}\s+(?:to|as)\s+(?P<title>.+)"), _on_task("update_task")),
    (_rule(rf"{_NEW_TASK}(?:task|todo|to-do)\s*:\s*(?P<title>.+)"), _create),
    (
        _rule(
            rf"{_NEW_TASK}(?:{_PRIORITY}(?:[-\s]priority)?\s+)?(?:task|todo|to-do)\s+(?:in|on|to|for)\s+{_THE_LIST}"
            r"\s*:\s*(?P<title>.+)"
        ),
        _create,
    ),
    (_rule(rf"{_NEW_TASK}{_PRIORITY}(?:[-\s]priority)?\s+(?:task|todo|to-do)\s*:\s*(?P<title>.+)"), _create),
    (
        _rule(
            r"(?:list|show|display|get)(?:\s+me)?\s+(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+)?"
            r"(?P<status>open|pending|done|completed|finished)?\s*"
            r"(?:(?P<priority>low|normal|high|urgent)(?:[-\s]priority)?\s+)?(?:tasks|todos|to-dos)"
            r"(?:\s+(?:tagged|with\s+(?:the\s+)?tag)\s+#?(?P<tag>[a-z0-9_-]{1,30}))?"
            rf"(?P<in_list>\s+(?:in|on|from)\s+{_THE_LIST})?"
        ),
        _list,
    ),
    (_rule(rf"(?:show|display|get|view)(?:\s+me)?\s+{_LIST_SHOWN}"), _show_list),
]


def parse_rules(command: str) -> Action | None:
    """The action a command unambiguously names, or None."""
    text = _clean(command)
    for pattern, build in RULES:
        match = pattern.match(text)
        if match:
            payload = build(match)
            return parse_action(payload) if payload is not None else None
    return None


class RulesParser:
    """The rules alone, as a backend: a command they cannot read is refused, not guessed."""

    name = NAME

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        yield  # nothing to load

    async def parse(self, command: str, *, on_partial: PartialOutput | None = None) -> ParseOutcome:
        action = parse_rules(command)
        if action is None:
            action = parse_action(
                {
                    "action": "error",
                    "message": (
                        "The rules parser only understands fixed shapes such as 'delete task 3', 'mark task 2 as "
                        "done', 'list my high priority tasks' or 'create a task: call mum'; enable a model for others."
                    ),
                }
            )
        return ParseOutcome(action=action, parser=self.name, model=None, attempts=1, raw_output="")
