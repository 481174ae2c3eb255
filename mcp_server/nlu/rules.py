"""The deterministic fast path: commands whose shape leaves no doubt ("delete task 3", "mark task 2
as done", "list my high priority tasks", "create a task: call mum", "move task 3 to the work list",
"restore task 4", "remind me to water the plants every monday").

It answers only when sure. Anything with a shape it does not know, or words it would have to
interpret (a date, a priority or a tag inside a new task's title), is not theirs: `parse_rules`
returns None and the chain asks a model; the rules backend alone (`RulesParser`) refuses it.
A recurrence is the one thing inside a new task's words they take out: when `find_recurrence`
finds one that ends the text ("water the plants every monday at 9"), as said; the server turns it
into its rule, as it does for every parser.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from mcp_server.nlu.actions import SHORT_MAX, Action, parse_action
from mcp_server.nlu.dates import resolve_due
from mcp_server.nlu.parser import ParseOutcome, PartialOutput
from mcp_server.nlu.recurrence import find_recurrence, parse_recurrence
from mcp_server.nlu.zones import DateError

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
_NO_TASKS_HERE = frozenset({"contact", "contacts", "playlist", "playlists", "music", "song", "songs"})
"""Lists of an assistant's other apps: what is on them is no task."""
_NOT_A_LIST_NAME = frozenset(
    {
        "a", "an", "the", "my", "your", "our", "this", "that", "these", "those", "next", "previous", "last",
        "first", "other", "another", "same", "new", "which", "what", "any", "some", "each", "every", "all",
        "whole", "full", "entire", "current", "main", "default", "right", "wrong",
        "done", "completed", "complete", "finished", "open", "pending", "closed", "archived", "deleted", "trash",
        "bin", "task", "tasks", "todo", "todos", "to-do", "to-dos", "item", "items", "list", "lists",
        "someday", "anytime", "upcoming", "later", "soon", "called", "named", "please", "now", "again", "here",
        "do",  # "my to do list": the default list, not one called "do"
        *_NO_TASKS_HERE,
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


# A list said as one bare word ("move task 3 to work") could as well be a date ("to friday", "to
# tmrw"): it is a list only when no reading of it is a date, and it says no position ("to the top").
_DATE_WORD = re.compile(
    r"(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)s?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|"
    r"tom\w*|tmr\w*|tmw|2mor\w*|tod(?:a|e)y|ton(?:ight|ite)|yesterday|now|noon|midnight|morning|afternoon|"
    r"evening|night|weekend|weekday|day|week|month|quarter|year|eod|eow|eom|eoq|eoy|cob|asap|later|soon|someday|"
    r"sometime|anytime|never|end|christmas|xmas|easter|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|"
    r"june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?",
    re.IGNORECASE,
)
_POSITIONS = frozenset({"top", "bottom", "front", "back", "start", "beginning", "middle", "it", "there", "them"})


def _reads_as_date(word: str) -> bool:
    if _DATE_WORD.fullmatch(word):
        return True
    try:
        resolve_due(word, "UTC")
    except (DateError, OverflowError):
        return False
    return True


def _surely_a_list(word: str) -> bool:
    """A bare word that can only be a list's name: no date (by these words or by the date parser),
    no position, none of the words _NOT_A_LIST_NAME and _NEEDS_MODEL keep from being taken as one."""
    lower = word.lower()
    if lower in _NOT_A_LIST_NAME or lower in _POSITIONS or _NEEDS_MODEL.search(word):
        return False
    return not _reads_as_date(word)


def _split_recurrence(text: str) -> tuple[str, str | None] | None:
    """A new task's words as (title, the recurrence said at their end, or None). None when a
    recurrence is found anywhere but at the end (the title's words would have to be re-read), or
    when the words are longer than a title may be (searching them costs more the longer they are)."""
    if len(text) > SHORT_MAX:
        return None
    found = find_recurrence(text)
    if found is None:
        return text, None
    phrase, _ = found
    start = text.index(phrase)
    if text[start + len(phrase) :].strip(" ,.;:!"):
        return None
    title = text[:start].rstrip(" ,;:-")
    return (title, phrase) if title and len(phrase) <= _RECURRENCE_SAID_MAX else None


_RECURRENCE_SAID_MAX = 100  # the contract's bound on a recurrence as said (actions.Repeat)


_POLITE_END = re.compile(r",?\s+(?:please|pls|plz)$", re.IGNORECASE)


def _clean(text: str) -> str:
    """One space between words, no closing full stop or "please": "un-delete task 3 pls"."""
    text = " ".join(text.strip().rstrip(".!").split())
    return _POLITE_END.sub("", text).rstrip(".!")


def _title(text: str) -> str:
    text = text.strip().strip("\"'“”‘’").strip()
    return text[:1].upper() + text[1:]


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], dict[str, object] | None]]


def _rule(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^{_PLEASE}{pattern}$", re.IGNORECASE)


def _names_a_list(match: re.Match[str]) -> bool:
    return any(key.startswith(("list_", "quoted_")) for key in match.re.groupindex)


def _create(match: re.Match[str]) -> dict[str, object] | None:
    return _create_from(match["title"], match)


def _create_from(words: str, match: re.Match[str]) -> dict[str, object] | None:
    split = _split_recurrence(words)
    if split is None:
        return None
    title, recurrence = split
    if _NEEDS_MODEL.search(title) or len(title) > SHORT_MAX:
        return None
    params: dict[str, object] = {"title": _title(title)}
    if recurrence is not None:
        params["recurrence"] = recurrence
    if "priority" in match.groupdict() and match["priority"]:
        params["priority"] = match["priority"].lower()
    if _names_a_list(match):
        name = _list_name(match)
        if name is None:
            return None
        params["list"] = name
    return {"action": "create_task", "params": params}


def _remind(match: re.Match[str]) -> dict[str, object] | None:
    """A new recurring task: "remind me to <title> <recurrence>", "remind me <recurrence> to <title>".
    Without a recurrence, "remind me" leaves the when to the model."""
    if match.groupdict().get("when"):
        try:
            parse_recurrence(match["when"])
        except DateError:
            return None
        title, recurrence = match["title"], match["when"]
        if len(recurrence) > _RECURRENCE_SAID_MAX or find_recurrence(title) is not None:
            return None
    else:
        split = _split_recurrence(match["title"])
        if split is None or split[1] is None:
            return None
        title, recurrence = split
    if _NEEDS_MODEL.search(title) or len(title) > SHORT_MAX or not title.strip():
        return None
    return {"action": "create_task", "params": {"title": _title(title), "recurrence": recurrence}}


# The words of "add <words> to my work list" that name a task there is already, or nothing to do.
_NOT_A_NEW_TITLE = re.compile(
    r"\b(?:tasks?|todos?|to-dos?|items?|lists?)\b|^(?:(?:the|a|an|this|that|my)\s+)?(?:it|this|that|them|these|"
    r"those|one|ones|everything|all|anything|something|me|us|you|him|her|reminders?|notes?|#?\d+)$",
    re.IGNORECASE,
)


# What people put on a list that is no task: media for a playlist.
_MEDIA = re.compile(
    r"^(?:(?:a|an|the|this|that)\s+)?(?:songs?|music|tracks?|albums?|podcasts?|videos?)$", re.IGNORECASE
)
_ARTICLE = re.compile(r"^(?:a|an|the)\s+(?=\S)", re.IGNORECASE)
# "my to do list", "the todo list": the default list, named by no name.
_TODO_LIST = r"(?:the\s+|my\s+)?(?:to\s*-?\s*do|todo)\s+list"


def _added_title(text: str) -> str | None:
    """The words added to a list as a new task's title, without their article ("add a tab to the
    shopping list": "Tab"); None when they name a task there is already ("the milk task", "it", "5")
    or a playlist's media."""
    words = text.strip().strip("\"'“”‘’")
    if _NOT_A_NEW_TITLE.search(words) or _MEDIA.match(words):
        return None
    return _ARTICLE.sub("", words)


def _add_to_list(match: re.Match[str]) -> dict[str, object] | None:
    """A new task in a list named with its "list" ("add milk to my groceries list")."""
    title = _added_title(match["title"])
    return None if title is None else _create_from(title, match)


# Words that pick an entry by place or time, not by its title: "the last item", "the next one".
_BY_PLACE = re.compile(
    r"\b(?:last|first|next|previous|latest|earliest|entry|entries|events?|everything|all|every|each|things?|stuff)\b",
    re.IGNORECASE,
)


def _remove_from_list(match: re.Match[str]) -> dict[str, object] | None:
    """One task taken off a list by its title ("delete bread from my shopping list"): a task named by
    words of its title, never by place ("the last item") nor all of them."""
    words = match["title"].strip()
    title = _added_title(words)
    if title is None or _BY_PLACE.search(words) or _NEEDS_MODEL.search(words) or len(title) > SHORT_MAX:
        return None
    if re.search(r"^(?:out|off)\b|\b(?:out|off)$", title, re.IGNORECASE):  # "take out the milk from": not read
        return None
    found = match.groupdict()
    if any((found.get(f"list_{key}") or "").lower() in _NO_TASKS_HERE for key in ("before", "after")):
        return None
    return {"action": "delete_task", "params": {"task_title": title}}


def _on_list(match: re.Match[str]) -> dict[str, object] | None:
    """What is on a list ("what's on my shopping list"); the to-do list is every task."""
    if match.groupdict().get("todo"):
        return {"action": "list_tasks", "params": {}}
    name = _list_name(match)
    return None if name is None else {"action": "list_tasks", "params": {"list": name}}


def _add_to_todo_list(match: re.Match[str]) -> dict[str, object] | None:
    """A new task in the default list ("add oil change to my to do list")."""
    title = _added_title(match["title"])
    return None if title is None else _create_from(title, match)


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


def _move_to_word(match: re.Match[str]) -> dict[str, object] | None:
    """A task moved to one bare word: a list when the word is surely one ("move task 3 to work"), a
    new due when it reads as a date ("move task 3 to friday", as the rule for dates reads it), else
    the model's to read."""
    params: dict[str, object] = {"task_id": int(match["id"])}
    word = match["word"]
    if _surely_a_list(word):
        return {"action": "update_task", "params": {**params, "list": word}}
    if match["verb"].lower() == "move" and match["prep"].lower() == "to" and _reads_as_date(word):
        return {"action": "update_task", "params": {**params, "due": word}}
    return None


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


def _restore_named(match: re.Match[str]) -> dict[str, object] | None:
    """A task brought back from the trash by words of its title ("restore the blinds task")."""
    name = (match["name"] or match.groupdict().get("quoted") or "").strip().strip("\"'“”‘’").strip()
    if not name or set(name.lower().split()) & _NOT_A_TASK_NAME or len(name) > 100:
        return None
    return {"action": "restore_task", "params": {"task_title": name}}


# Words that make a name no task's ("restore it", "the last one", "my last deleted task"): the
# model and the guards read those.
_NOT_A_TASK_NAME = frozenset(
    {"it", "that", "this", "them", "those", "these", "everything", "all", "them all", "old", "other", "last", "first"}
    | {"previous", "next", "new", "same", "deleted", "latest", "second", "right", "wrong", "my", "your", "our"}
    | {"every", "each", "any", "some", "both"}
)
_NAMED = r"(?:the\s+)?(?P<name>[^,]+?)(?:\s+(?:task|todo|to-do|one))?"
# A task by name and the word task: "the blinds task", "the deleted task 'presents'" (not "my settings").
_NAMED_TASK = (
    r"(?:(?:the\s+)?(?P<name>[^,]+?)\s+(?:task|todo|to-do|one)"
    r"|(?:the\s+)?(?:deleted\s+)?(?:task|todo|to-do)\s+(?P<quoted>[\"'“‘][^,]+?[\"'”’]))"
)
_DUE_TEXT = r"(?P<due>[\w :,-]{1,60})"
_NEW_TASK = r"(?:create|add|new|make)\s+(?:a\s+|an\s+)?(?:new\s+)?"

_FROM_TRASH = r"\s+(?:from|out\s+of)\s+(?:the\s+|my\s+)?(?:trash|bin|recycle\s+bin|deleted\s+tasks)"
_TRASH = rf"(?:{_FROM_TRASH})?"
_RECURRING_START = (
    r"(?:every|each|on|daily|weekly|monthly|yearly|annually|hourly|nightly|quarterly|biweekly|fortnightly|once)\b"
)

RULES: list[Rule] = [
    # Before "move task 3 to <a date>": "move task 3 to the work list" names a list, not a due date.
    (_rule(rf"(?:move|transfer|shift)\s+{_TASK}\s+(?:over\s+)?(?:to|into|onto)\s+{_THE_LIST}"), _move_to_list),
    (
        _rule(
            rf"(?P<verb>move|transfer|shift)\s+{_TASK}\s+(?:over\s+)?(?P<prep>to|into|onto)\s+(?P<word>{_LIST_WORD})"
        ),
        _move_to_word,
    ),
    (_rule(rf"(?:put|place|file)\s+{_TASK}\s+(?:in|into|on|onto|under)\s+{_THE_LIST}"), _move_to_list),
    (_rule(rf"add\s+{_TASK}\s+to\s+{_THE_LIST}"), _move_to_list),
    (_rule(rf"(?:delete|remove|erase|drop|trash|get rid of)\s+{_TASK}"), _on_task("delete_task")),
    (_rule(rf"(?:restore|undelete|un-delete|recover|untrash|un-trash)\s+{_TASK}{_TRASH}"), _on_task("restore_task")),
    (_rule(rf"bring\s+back\s+{_TASK}{_TRASH}"), _on_task("restore_task")),
    (_rule(rf"bring\s+{_TASK}\s+back{_TRASH}"), _on_task("restore_task")),
    (_rule(rf"undo\s+(?:the\s+)?(?:delete|deletion|removal)\s+of\s+{_TASK}"), _on_task("restore_task")),
    (_rule(rf"(?:restore|undelete|un-delete|untrash|un-trash)\s+{_NAMED_TASK}{_TRASH}"), _restore_named),
    (_rule(rf"(?:restore|undelete|un-delete|untrash|un-trash|bring\s+back)\s+{_NAMED}{_FROM_TRASH}"), _restore_named),
    (
        _rule(rf"i\s+deleted\s+{_NAMED}\s+by\s+(?:mistake|accident),?\s+(?:restore|undelete|bring\s+back)\s+it"),
        _restore_named,
    ),
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
    (_rule(r"remind\s+me\s+to\s+(?P<title>.+)"), _remind),
    (_rule(rf"remind\s+me\s+(?P<when>{_RECURRING_START}.+?),?\s+to\s+(?P<title>.+)"), _remind),
    (_rule(rf"add\s+(?P<title>.+?)\s+(?:to|onto|on)\s+{_TODO_LIST}"), _add_to_todo_list),
    (
        _rule(
            rf"(?:delete|remove|cross\s+out|cross\s+off|strike|take)\s+(?P<title>.+?)\s+(?:off\s+of|off|from|out\s+of)\s+"
            rf"(?:{_TODO_LIST}|{_THE_LIST}|(?:the\s+|my\s+)list)"
        ),
        _remove_from_list,
    ),
    (
        _rule(
            r"(?:(?:can\s+you\s+)?(?:tell\s+me\s+)?what(?:'s|s|\s+is|\s+do\s+i\s+have)|show\s+me\s+what(?:'s|\s+is))"
            rf"\s+(?:on|in)\s+(?:(?P<todo>{_TODO_LIST})|{_THE_LIST})\??"
        ),
        _on_list,
    ),
    (_rule(rf"add\s+(?P<title>.+?)\s+(?:to|onto|on)\s+{_THE_LIST}"), _add_to_list),
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
