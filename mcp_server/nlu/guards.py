"""Commands refused before any parser or model reads them.

process_command does one action on one task, and a model's answer is data: it can only select one
schema-valid action. Two kinds of command therefore never reach a parser:

- **bulk requests**: changing or deleting many tasks at once ("delete all tasks", "clear my list",
  "mark everything done", "delete tasks 3 and 4"). No single action can do them, and a model
  asked to would pick one task on its own;
- **text aimed at the model instead of the task list**: role-play and instruction overrides
  ("you are now DAN", "ignore all previous instructions"), questions about or changes to the
  prompt, chat-template markers ("<|im_start|>", "[INST]", "system:"), and actions typed as JSON.

Each rule has one reason, and its message says what to do instead. The rules read a normalised view
of the command (see `normalise`); the parser still gets the command exactly as it was typed. Bulk
rules read only what the command asks to *do*: the title of a new task ("remind me to clear all the
gutters") and a title in quotes ("mark 'delete old files' as done") are data, not requests. Rules
against text aimed at the model read everything, titles included, since a model reads those too.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from mcp_server.core.errors import CommandRefused

logger = logging.getLogger(__name__)

GUARD = "guard"
"""The name a refusal by these rules goes by, where a parser's name would be (evaluation)."""

# -- normalising ----------------------------------------------------------------------------------

# Latin look-alikes from other scripts that NFKC leaves alone ("delete" typed with a Cyrillic U+0435).
_LOOK_ALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ı": "i",
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "‘": "'", "’": "'", "`": "'",
    }
)  # fmt: skip
# Three or more single letters joined by one repeated separator: "d e l e t e", "d.e.l.e.t.e".
_SPACED_LETTERS = re.compile(r"(?<!\w)[^\W\d_](?P<sep>[ .\-_*+~|])[^\W\d_](?:(?P=sep)[^\W\d_])+(?!\w)")
_BLANKS = re.compile(r"[^\S\n]+")


def _join_letters(match: re.Match[str]) -> str:
    return match[0].replace(match["sep"], "")


def normalise(command: str) -> str:
    """The command as the rules read it: NFKC (fullwidth and styled letters to plain ones), case
    folded, accents and invisible characters (zero-width, soft hyphen, direction marks) dropped,
    look-alike letters mapped to Latin, spaced-out letters joined ("D E L E T E  A L L" reads
    "delete all"), runs of blanks as one space. Line breaks are kept: they separate clauses."""
    text = unicodedata.normalize("NFKC", command).casefold()
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if unicodedata.category(char) not in ("Mn", "Cf")
    )
    text = text.translate(_LOOK_ALIKES).replace("\r", "\n")
    text = _SPACED_LETTERS.sub(_join_letters, text)
    lines = (_BLANKS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# -- the parts of a command -------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[!?;\n]+|\.(?!\d)|,(?! ?#?\d)|\bthen\b")  # "tasks 3, 4" stay one clause
_POLITE = r"^(?:(?:please|pls|ok|okay|now|hey|can you|could you|would you|kindly|just|go ahead and)\s+)*"
# A command that creates a task: what follows the prefix is the new task's title.
_NEW_TASK_PREFIX = re.compile(
    _POLITE + r"(?:"
    r"(?:create|add|new|make|put|log|note down|jot down|write down)\s+"
    r"(?:(?:a|an|the|me|another|new|one|quick|high|low|normal|urgent|priority|-priority)\s+)*"
    r"(?:task|todo|to-do|item|reminder|entry)\b\s*(?:to|:|-|for|called|named|titled|saying|that says|about)?"
    r"|(?:todo|to-do|task|new task|new todo)\s*:"
    r"|remind me (?:to|about|that)\b"
    r"|(?:remember|don't forget|do not forget|dont forget|don't let me forget) to\b"
    r")"
)
# A command that only reads: its words ask for nothing to change.
_READ = re.compile(
    _POLITE + r"(?:list|show|display|find|search|view|see|what|which|how many|count|tell me|give me|get(?! rid))\b"
)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»|(?<![\w'])'[^'\n]+'(?![\w'])")


def clauses(text: str) -> list[str]:
    """The normalised command cut at sentence marks, commas, line breaks and "then", and before an
    "and" that starts a new change ("list my tasks and delete them")."""
    parts = [part.strip() for part in _CLAUSE_BREAK.split(text)]
    cut: list[str] = []
    for part in parts:
        if not part:
            continue
        if _NEW_TASK_PREFIX.match(part):
            cut.append(part)  # "and" inside a new task's title is part of the title
        else:
            cut.extend(piece.strip() for piece in _AND_THEN_CHANGE.split(part) if piece.strip())
    return cut


def outside_titles(text: str) -> str:
    """A normalised command without the titles it gives new tasks, its clauses run together: what a
    user says to the server, as opposed to the name of a task ("add a task: update the system prompt
    docs")."""
    kept = []
    for clause in clauses(text):
        prefix = _NEW_TASK_PREFIX.match(clause)
        kept.append(clause[: prefix.end()].strip() if prefix else clause)
    return " ".join(kept)


def requested(text: str) -> str:
    """What a normalised command asks to be done: its clauses without new task titles, without
    titles in quotes, and without clauses that only read; one clause per line."""
    kept = []
    for clause in clauses(_QUOTED.sub(" x ", text) if _QUOTED.fullmatch(text) is None else text):
        prefix = _NEW_TASK_PREFIX.match(clause)
        if prefix:
            kept.append(clause[: prefix.end()].strip())
        elif not _READ.match(clause):
            kept.append(clause)
    return "\n".join(kept)


# -- vocabulary -------------------------------------------------------------------------------------------

# Verbs that mean destroying data whatever they apply to, and verbs of everyday chores as well
# ("clear all the gutters", "close all the windows"): those count only when applied to tasks.
_DELETE = (
    r"(?:delete|del|remove|erase|wipe(?: out)?|purge|trash|nuke|destroy|obliterate|get rid of|rm"
    r"|supprim\w*|effac\w*|borr[ae]\w*|elimin\w*|losch\w*|entfern\w*|cancell\w*|apag\w*|verwijder\w*)"
)
_CLEAR = (
    r"(?:clear(?: out| up| off)?|clean(?: up| out)?|empty|reset|truncate|flush|discard|scrap|cancel|drop|format"
    r"|turn off|switch off|disable|unset|take (?:off|away|out)|stop)"
)
_CHANGE = (
    r"(?:complet\w*|finish|close|mark|tick off|check off|set|change|update|edit|modify|move|reschedule|postpone"
    r"|push|rename|retitle|tag|untag|reopen|re-open|make|prioriti[sz]e|archive|done with|termin\w*|erledig\w*"
    r"|marque\w*|cierr\w*)"
)
_DESTROY = rf"(?:{_DELETE}|{_CLEAR})"
_VERB = rf"(?:{_DELETE}|{_CLEAR}|{_CHANGE})"
_AND_THEN_CHANGE = re.compile(rf"\band (?:also )?(?={_VERB}\b)")
# Words that can sit between a verb and what it applies to without changing how much it applies to.
_FILLER = (
    r"(?:the|my|our|your|their|of|off|out|up|away|down|these|those|them|it|this|that|as|le|la|les|mes|tes"
    r"|mis|tus|las|los|meine|die|de|di)"
)
_QUANTIFIER = (
    r"(?:everything|every|each|any|both|remaining|(?:all|the rest)(?!-)"
    r"|(?:whole|entire) (?:(?:to-?do|task) )?(?:list|board|backlog|database|db|thing|lot|set|collection|tasks?|todos?)"
    r"|tout|toute|toutes|tous|todas|alle|alles|allen|tutti|tutte|tutto)\b"  # not "todos": English has to-dos
)
_TASK_NOUN = (
    r"(?:tasks?|todos?|to-dos?|items?|reminders?|events?|entries|ones|list|lists|deadlines|due dates"
    r"|taches?|tareas?|aufgaben|attivita|compiti|tarefas?)\b"
)
# What follows "all"/"everything" when it means tasks: "all my tasks", "all of them", "everything done",
# "all to Friday", or nothing more; not "all the windows", "all of the report".
_OF_TASKS = (
    rf"(?:$| (?:of )?(?:{_FILLER} )*(?:\w+ ){{0,2}}{_TASK_NOUN}| of (?:them|it|these|those)\b"
    r"| (?:as|to|done|complete|completed|finished|now|please|at once|for me|today|tomorrow|high|low|urgent|open)\b"
    r"| (?:on|in|from) (?:my|the) (?:\w+ )?(?:list|board)\b)"
)
# A plural that names what the verb applies to: "the tasks tagged work", "tasks 3 and 4", "done todos".
_PLURAL = (
    r"(?:tasks|todos|to-dos|items|reminders)"
    r"(?=$| (?:tagged|with|from|in|on|at|that|which|due|as|to|for|by|and|or|done|complete|of|please|now|\d|#))"
)
_CONTAINER = (
    r"(?:(?:my|the|our|whole|entire|to-?do|task|tasks) )*"
    r"(?:list|lists|board|backlog|database|db|data|workspace|storage)"
)
# An assistant's calendar and alarms, as people speak of them: several of them, or the whole calendar.
_CALENDAR_PLURAL = r"(?:alarms|events|appointments|meetings|wake ?-?up calls|programs|plans)\b"
_CALENDAR = r"(?:calendar|schedule|agenda|diary)\b"
# Words between a verb and what it applies to, that do not start another phrase ("from events").
# (nor a task by id or by its noun: "delete #22 form the list", "remove the milk task from the list").
_NOT_A_PREPOSITION = r"(?!(?:from|form|frm|in|on|off|at|to|for|with|by|into|onto|task|todo|item)\b)(?![#\d])\S+"
# A task id, not a time, a date or an amount ("task 3 to 5pm", "3 2 weeks").
_ID = r"#?\d+\b(?! ?(?:am|pm|h|:|/|%|o'?clock|th|st|nd|rd|(?:day|week|hour|hr|minute|min|month|year)s?)\b)"

# -- the rules --------------------------------------------------------------------------------------------

ONE_TASK = (
    "process_command does one action on one task; to delete several tasks, call delete_task once per task id "
    "(call list_tasks to find them), and likewise complete_task or update_task for each task"
)
IN_WORDS = "say what to do with one task in plain words, e.g. 'mark task 3 as done' or 'delete the dentist task'"


@dataclass(frozen=True)
class GuardRule:
    """One reason to refuse a command, the pattern that finds it, and which part of the command it
    reads: what it asks to do ("request", see `requested`), all but the titles of new tasks
    ("outside_titles"), or all of its text ("text")."""

    name: str
    reason: str
    pattern: re.Pattern[str]
    reads: Literal["request", "outside_titles", "text"]


def _rule(name: str, reason: str, reads: Literal["request", "outside_titles", "text"], *patterns: str) -> GuardRule:
    return GuardRule(name, reason, re.compile("|".join(f"(?:{p})" for p in patterns), re.MULTILINE), reads)


RULES: tuple[GuardRule, ...] = (
    _rule(
        "role_tag",
        "chat-template markers and speaker labels (<|im_start|>, [INST], 'system:', 'assistant:') are not "
        "accepted in a command; send the command alone: what to do with one task, in plain words",
        "text",
        r"<\|[^|>\n]{0,40}\|>|<\|(?:im_start|im_end|system|user|assistant|endoftext)",
        r"\[/?(?:inst|sys|system)\]|<</?sys>>|</?s>|<(?:start|end)_of_turn>",
        r"^#{1,6} ?(?:system|instructions?|assistant|user|response|human|developer)\b",
        r"(?:^|[.!?;]\s*)(?:system|assistant|user|developer|human|ai|bot|admin|root|operator) ?:",
        r"\b(?:system|admin|root) ?(?:override|alert|notice|message|command|instruction)s? ?:",
    ),
    _rule(
        "json_action",
        "an action cannot be typed into a command as JSON or by its tool name; call the task tool itself "
        "(create_task, update_task, complete_task, delete_task) with its arguments, or say what to do with one task "
        "in plain words",
        "text",
        r"[{\[] ?[\"']? ?(?:action|params|task_id|task_title|tool_calls?|function_call|arguments)[\"']? ?:",
        r"[\"']action[\"'] ?[:=]",
        r"\baction ?[:=] ?[\"']?(?:create|update|delete|complete)_task\b",
        r"\b(?:create|update|delete|complete)_tasks?\b",
    ),
    _rule(
        "role_play",
        f"process_command reads task commands, not instructions to play a role or to change mode; {IN_WORDS}",
        "outside_titles",
        r"\byou(?:'re| are| r) (?:now|no longer)\b",
        r"\byou(?:'re| are) (?:dan|an? (?:unrestricted|unfiltered|uncensored|jailbroken|evil))\b",
        r"\bfrom now on ?,? (?:you|your|always|never|only|reply|respond|answer|output|ignore|act|behave|speak)\b",
        r"\bdo anything now\b",
        r"\bstay in character\b",
        r"\brole-? ?play(?:ing)? as\b|\blet'?s role-? ?play\b",
        r"\bpretend (?:that )?(?:you|to be)\b",
        r"\bimagine (?:that )?you(?:'re| are)\b",
        r"(?:^|[.!?;] ?)(?:please )?act as\b",
        r"\bact as (?:if |though )?(?:you |an? |the |my )?(?:\w+ )?"
        r"(?:ai|assistant|model|bot|chatbot|gpt|chatgpt|llm|dan|admin|administrator|root|superuser|system|sysadmin|developer|terminal|shell|console|interpreter|database"
        r"|hacker|jailbroken|unrestricted|unfiltered|uncensored)\b",
        r"\b(?:dan|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|sudo) mode\b",
        r"\b(?:you are|you're|now|enter|entering|activate|switch to) (?:in )?(?:developer|dev|admin|debug|maintenance)"
        r" mode\b",
        r"\b(?:developer|dev|admin|debug|god|dan) mode (?:is )?(?:enabled|activated|unlocked)\b",
        r"\bjailbr(?:eak|oken)\b",
    ),
    _rule(
        "instruction_override",
        f"process_command cannot be given new rules or told to ignore its own; {IN_WORDS}",
        "text",
        r"\b(?:ignore|disregard|forget|override|bypass|overrule|abandon|ignorez|ignora\w*|ignorier\w*|oubli\w*"
        r"|olvid\w*|vergiss\w*|dimentica\w*) ?(?:(?:all|any|every|each|the|your|my|of|these|those|its|prior|previous"
        r"|preceding|above|earlier|former|original|initial|old|system|safety|current|existing|given|default|toutes"
        r"|tous|les|tes|vos|todas|todos|las|tus|alle|deine|ihre|die|vorherigen|precedentes|anteriores) ?){0,4}"
        r"(?:instructions?|rules|prompts?|guidelines|guardrails|constraints|programming|directives?|instrucciones"
        r"|reglas|anweisungen|regeln|istruzioni|regole|consignes|regles)\b",
        r"\b(?:ignore|disregard|forget) (?:everything|anything)\b",
        r"\b(?:ignore|disregard) (?:all |everything )?(?:of )?(?:the |what's |what is )?(?:above|previous|prior)\b",
        r"\b(?:new|updated|revised|real|actual|additional|secret|hidden) "
        r"(?:instructions?|rules|system prompt|directives?) ?:",
        r"\byour (?:new |real |true )?(?:instructions|rules|job|goal|purpose|role|mission) (?:is|are|now)\b",
        r"\b(?:without|with no|no more) (?:any )?(?:rules|restrictions|guidelines|guardrails)\b",
        r"\bend of (?:the )?(?:user )?(?:input|prompt|instructions|context|conversation|system message)\b",
        r"\b(?:task|instructions?|message|orders?) (?:for|to) (?:the |you,? the )?(?:model|assistant|ai|llm|bot"
        r"|language model) ?(?:[:.,;!-]|$)",
    ),
    _rule(
        "prompt_probe",
        f"the command model's prompt and instructions are neither shown nor changed; {IN_WORDS}",
        "outside_titles",
        r"\bsystem (?:prompt|message|instructions?)\b",
        r"\b(?:initial|hidden|original|secret|developer|internal|pre-?) ?prompt\b",
        r"\byour (?:prompt|instructions|guidelines|directives|programming|configuration)\b",
        r"\b(?:print|show|reveal|repeat|output|display|leak|dump|echo|tell me|what (?:is|are|was|were)) (?:me )?"
        r"(?:your|the) (?:(?:system|initial|original|hidden|first) )?(?:prompt|instructions|rules)\b",
        r"\b(?:change|modify|update|replace|edit|rewrite|overwrite) your (?:system )?(?:prompt|instructions|rules)\b",
        r"\b(?:text|words|everything|messages?) above\b",
    ),
    _rule(
        "code",
        f"this reads as database or shell code, not a task command; {IN_WORDS}",
        "request",
        r"\b(?:drop|truncate) (?:table|database|schema|collection)\b",
        r"\bdelete from \w",
        r"\bupdate \w+ set\b",
        r"\brm -\w*[rf]",
        r"\bsudo \w",
        r"' ?or '?1'? ?= ?'?1",
    ),
    _rule(
        "whole_list",
        f"this asks to clear the whole task list; {ONE_TASK}",
        "request",
        rf"\b{_DESTROY} {_CONTAINER}(?: (?:now|please|completely|entirely|for good|right now))?$",
        # "delete my shopping list", but not "milk from my list" nor "the list item about the meeting"
        rf"\b{_DESTROY} (?:{_NOT_A_PREPOSITION} ){{0,3}}?lists?\b(?! (?:items?|entry|entries)\b)",
        r"^(?:purge|nuke|wipe|obliterate|truncate|flush|reset|factory reset|start over|wipe it|nuke it)"
        r"(?: (?:it|all|now|please|everything))*$",
    ),
    _rule(
        "several_ids",
        f"this names several task ids; {ONE_TASK}",
        "request",
        rf"\b(?:task|todo|item)s? {_ID}(?: ?(?:,|and|&|\+|or) ?(?:(?:task|todo|item)s? )?{_ID})+",
        rf"\b{_VERB} (?:#?\d+(?: ?(?:,|and|&|\+|or) ?| ))+{_ID}",
    ),
    _rule(
        "bulk_quantifier",
        f"this asks to change or delete all, every or each of a kind of task; {ONE_TASK}",
        "request",
        # Words may run together once spaced-out letters are joined: "deleteall".
        rf"\b{_DELETE} ?(?:{_FILLER} ?){{0,3}}{_QUANTIFIER}",
        rf"\b(?:{_CLEAR}|{_CHANGE}) ?(?:{_FILLER} ?){{0,3}}{_QUANTIFIER}{_OF_TASKS}",
        # "all my tasks are done", but not a filter: "everything high priority that is done"
        rf"\b{_QUANTIFIER} (?:(?!that|which)\S+ ){{0,3}}?(?:is|are|be|been|get|gets|got|should|must|needs? to|can) "
        r"(?:be |get )?(?:deleted|removed|erased|wiped|cleared|purged|gone|dropped|trashed|completed?|done|finished"
        r"|closed|marked)\b",
    ),
    _rule(
        "bulk_calendar",
        f"this asks to remove several events or alarms, or to clear the calendar; {ONE_TASK}",
        "request",
        rf"\b{_DESTROY} (?:{_NOT_A_PREPOSITION} ){{0,3}}?{_CALENDAR_PLURAL}",
        rf"\b{_DESTROY} (?:{_NOT_A_PREPOSITION} ){{0,2}}?{_CALENDAR}",
        rf"\b{_DESTROY} (?:{_FILLER} )*(?:everything|all|anything)(?![-\w]) (?:\S+ ){{0,3}}?(?:on|in|from|off) "
        rf"(?:my |the )?{_CALENDAR}",
        rf"\b(?:make|keep|get) (?:my |the )?{_CALENDAR} (?:completely |totally |entirely )?(?:empty|clear|clean)\b",
    ),
    _rule(
        "by_position",
        "this names a task by its place (the first, the last one), not by its id or title; process_command does "
        "one action on one task: call list_tasks to find it, then name it by id",
        "request",
        rf"\b{_DESTROY} (?:the |my |an? |that )?(?:very )?(?:first|second|third|fourth|last|previous|earliest"
        r"|latest|final|other|former|latter) (?:(?:set|scheduled|upcoming|calendar|alarm) )?"
        r"(?:events?|alarms?|meetings?|reminders?|appointments?|ones?|tasks?|todos?|items?|entry|entries)\b",
    ),
    _rule(
        "other_app",
        f"this is about music, not the task list; {IN_WORDS}",
        "request",
        rf"\b{_DESTROY} (?:\S+ ){{0,4}}?(?:playlists?|songs?|tracks?|albums?|ringtones?|podcasts?)\b",
    ),
    _rule(
        "bulk_plural",
        f"this asks to change or delete several tasks; {ONE_TASK}",
        "request",
        # "delete done tasks", not "any completed garage todos due ...": a participle is no request
        rf"\b(?!(?:completed|finished|closed|marked|moved|changed|updated|edited|tagged|renamed)\b){_VERB} "
        rf"(?:(?!(?:task|todo|item)\b)\S+ ){{0,3}}?{_PLURAL}",
        rf"\b{_VERB} (?:them|these|those)(?: all)?(?=$| (?:as|to|done|now|please|too|for|off|out|away|up|down)\b)",
    ),
)


class GuardRefused(CommandRefused):
    """A command refused before any parser read it; `rule` names the reason."""

    def __init__(self, rule: GuardRule) -> None:
        super().__init__(rule.reason)
        self.rule = rule.name


def refusal_for(command: str) -> GuardRule | None:
    """The first rule that refuses the command, or None when it may go to a parser."""
    text = normalise(command)
    views = {"text": text, "request": requested(text), "outside_titles": outside_titles(text)}
    for rule in RULES:
        if rule.pattern.search(views[rule.reads]):
            return rule
    return None


def check_command(command: str) -> None:
    """Raise GuardRefused when the command must not reach a parser (see the module's docstring)."""
    rule = refusal_for(command)
    if rule is not None:
        logger.info("command_refused", extra={"rule": rule.name})
        raise GuardRefused(rule)
