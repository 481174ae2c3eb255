"""A model's destructive answer must be grounded in what the command says.

A small model confuses near meanings: "task 3 can be marked off now" read as a delete, "finish the
thing from earlier" read as completing a task titled "thing". The grammar keeps its answer
schema-valid, not right; these checks turn such misreadings into a clear refusal, which is always
safe, or into the lesser action the command plainly asks for, before anything runs:

- a delete needs words that ask for one ("delete", "remove", "bin it", "get rid of", "don't need
  ... anymore", "cancel"...); moving or renaming never reads as deleting. A delete where the
  command is one plain statement that the task is done ("task 3 can be marked off now", "knocked
  out the flu jab task"; see `says_it_is_done`) is that task's complete: the command's own
  meaning, and one a reopen undoes;
- an update that changes nothing is no update ("did #21 already");
- a complete is no answer to "un-complete the boiler task" or "reopen task 3", nor to "bin task 88"
  (a delete asked for, with no word of the task being done);
- a task acted on by name needs a name: words like "thing", "it" or "the one from earlier" name
  no task (unless quoted, "mark 'thing' done"), and the command is refused with a question instead
  of acting on whatever title matches.

Both read the command as typed, for every parser alike (rules, the embedded model, Ollama).
"""

from __future__ import annotations

import re

from mcp_server.core.errors import CommandRefused, InvalidModelOutput
from mcp_server.nlu.actions import Action, CompleteTask, DeleteTask, TaskAction, UpdateTask

# Words that ask for a task to go. A word of four letters or more also counts one slip of the
# keyboard away ("deleete", "cancle"), as the training data and people type them.
_DELETION_WORDS = frozenset(
    {"delete", "deleted", "deleting", "del", "remove", "removed", "removing", "rm", "erase", "erased", "wipe"}
    | {"purge", "trash", "trashed", "bin", "binned", "nuke", "destroy", "rid", "drop", "dropped", "scrap"}
    | {"scrapped", "cancel", "cancelled", "canceled", "ditch", "ditched", "kill", "toss", "tossed", "axe"}
    | {"junk", "chuck", "dump", "forget", "scratch", "strike", "lose", "clear", "undo", "unschedule", "anymore"}
    | {"disable", "stop"}
)
_DELETION_STEMS = ("supprim", "effac", "borra", "borre", "elimin", "losch", "lösch", "entfern", "apag", "verwijder")
_DELETION_PHRASES = re.compile(
    r"\b(?:never ?mind|no longer|not needed|no need|any more|call(?:ed)? off|not happening|not doing"
    r"|off (?:of )?(?:my|the) (?:[\w'-]+ ){0,2}?(?:list|lists|todos?|to-?do|schedule|calendar|agenda|board)\b"
    r"|turn(?:ed)? off|switch(?:ed)? off|take (?:\w+ )*?(?:away|out)\b|cross(?:ed)? out"
    r"|\bout (?:of|from)\b|(?:don'?t|do not) want|any longer)",
    re.IGNORECASE,
)


def _one_slip(word: str, other: str) -> bool:
    """The two differ by at most one dropped, added, changed or swapped letter."""
    if word == other:
        return True
    if abs(len(word) - len(other)) > 1:
        return False
    if len(word) == len(other):
        diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == other[diff[1]]
            and word[diff[1]] == other[diff[0]]
        )
    short, long = sorted((word, other), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def asks_for_deletion(command: str) -> bool:
    """Whether the command has words that ask for a delete (see `_DELETION_WORDS`)."""
    if _DELETION_PHRASES.search(command):
        return True
    for word in re.findall(r"[^\W\d_]+", command.lower()):
        if word in _DELETION_WORDS or word.startswith(_DELETION_STEMS):
            return True
        if len(word) >= 4 and any(len(cue) >= 4 and _one_slip(word, cue) for cue in _DELETION_WORDS):
            return True
    return False


# Words that name no task on their own: a title made only of these is a pointer, not a name.
_NO_NAME = frozenset(
    {"thing", "things", "stuff", "something", "anything", "whatever", "it", "that", "this", "one", "ones"}
    | {"task", "tasks", "todo", "todos", "to-do", "item", "items", "earlier", "before", "the", "a", "an"}
    | {"my", "from", "other", "last", "previous", "same", "there", "here", "them", "those", "these"}
    | {"all", "every", "everything", "each"}
)


# A statement that a task is done: "can be marked off", "knocked out", "is finished", "I've
# sorted", "mark ... as done". Narrower than `says_done`: "has to be done by friday" is a due,
# "set my alarm to go off" no completion.
_DONE_STATEMENT = re.compile(
    r"\b(?:(?:marked|ticked|checked|crossed|knocked|struck)\s+(?:it\s+|that\s+)?off|knock(?:ed)?\s+out"
    r"|(?:tick|check)(?:ed)?\s+(?:it\s+)?off"
    r"|(?:is|was|are|were|'s|been|now|all|got|get)\s+(?:all\s+|now\s+|finally\s+|totally\s+|fully\s+)?"
    r"(?:done|finished|completed?|sorted|handled|taken\s+care\s+of|dealt\s+with|over\s+with)"
    r"(?!\s+(?:by|in|before|until|till|on|at|for|tomorrow|today|tonight|next|this)\b)"
    r"|(?:i|i've|we|we've|just|finally)\s+(?:have\s+)?(?:finished|completed|sorted|handled|wrapped\s+up|nailed"
    r"|knocked\s+out|ticked\s+off)"
    r"|mark(?:ed)?\s+(?:\S+\s+){0,6}?(?:as\s+)?(?:done|finished|completed?)\b)",
    re.IGNORECASE,
)
# What makes it no plain statement about one task: a question anywhere, a listing or a question
# word first (after "please", "hey"...), a negation, doubt, a condition, a need or a plan ("don't
# mark task 3 as done", "not sure task 3 is done", "if task 3 is finished", "task 3 must get done"),
# or a second clause or number ("task 3 is finished, and task 7 can wait").
_NOT_A_STATEMENT = re.compile(
    r"\?|？"
    r"|^\W*(?:(?:please|pls|hey|hi|ok|okay|so|and|well|oh|um|uh|now)\b\W*)*"
    r"(?:is|are|was|were|did|does|do|has|have|had|what|which|when|how|why|can|could|would|will|should"
    r"|show|list|get|find|display|give|tell|see|everything|all|every|none|no)\b"
    r"|\b(?:not|never|no|none|nothing|\w+n't|doubt\w*|unsure|sure|if|whether|unless|once|when|need\w*|must"
    r"|should|has to|have to|had to|got to|gotta|want\w*|will|going to|gonna|may|might|maybe|probably"
    r"|hope\w*|and|but|or|then|also|plus|while|after|before)\b"
    r"|[,;:]|\d+\D+\d",
    re.IGNORECASE,
)


def says_it_is_done(command: str) -> bool:
    """Whether the command is one plain statement that a task is done (see `_DONE_STATEMENT` and
    `_NOT_A_STATEMENT`): what lets a delete nobody asked for be read as that task's complete."""
    return (
        _DONE_STATEMENT.search(command) is not None
        and not _NOT_DONE.search(command)
        and not _NOT_A_STATEMENT.search(command)
    )


def deletion_as_asked(action: TaskAction, command: str) -> TaskAction:
    """A delete_task whose command has no word asking for a delete is a misreading: the complete
    of the same task when the command says it is done (and asks no question), else refused."""
    if not isinstance(action, DeleteTask) or asks_for_deletion(command):
        return action
    if says_it_is_done(command):
        return CompleteTask(action="complete_task", params=action.params)
    raise InvalidModelOutput(
        "the command was read as a delete, but it asks for no delete; say 'delete task 3' (or the task's "
        "title) to delete it, or 'mark task 3 as done' to complete it"
    )


def _quoted(title: str, command: str) -> bool:
    """The title in quotes in the command: "mark 'thing' as done" names a task called Thing."""
    said = re.escape(title.strip(" '\""))
    return re.search(rf"(?:'{said}'|\"{said}\"|“{said}”)", command, re.IGNORECASE) is not None


# Words that say a task is done, and words that say it is not.
_COMPLETION = re.compile(
    r"\b(?:done|did|finish\w*|complet\w*|tick\w*|check\w*|mark\w*|cross\w* off|sorted|handled|dealt|closed?"
    r"|wrapp\w*|knock\w*|got|nailed|over with|taken care|accomplish\w*|ready|erledig\w*|termin\w*|fait|hecho"
    r"|[^\W\d_]+ off)\b",
    re.IGNORECASE,
)
_NOT_DONE = re.compile(
    r"\b(?:un-?(?:complet\w*|done|tick\w*|check\w*|mark\w*|finish\w*)|re-?open\w*|undo\w*"
    r"|(?:not|isn'?t|aren'?t|wasn'?t|never) (?:yet |really |actually )?(?:done|finished|complete[d]?))\b",
    re.IGNORECASE,
)


_COMPLETION_WORDS = frozenset({"done", "finished", "finish", "complete", "completed", "sorted", "handled", "closed"})


def says_done(command: str) -> bool:
    """Whether the command says a task is done (a word of `_COMPLETION`, or one slip away from one)."""
    if _COMPLETION.search(command):
        return True
    words = re.findall(r"[^\W\d_]+", command.lower())
    return any(len(word) >= 4 and any(_one_slip(word, cue) for cue in _COMPLETION_WORDS) for word in words)


def check_completion_was_asked(action: Action, command: str) -> None:
    """A complete_task whose command asks for the opposite ("un-complete", "reopen", "not done"),
    or for a delete and says nothing of it being done ("bin task 88"), is a misreading."""
    if action.action != "complete_task":
        return
    if _NOT_DONE.search(command):
        raise InvalidModelOutput(
            "the command was read as completing a task, but it says the task is not done; say 'reopen task 3' "
            "to open it again"
        )
    if asks_for_deletion(command) and not says_done(command):
        raise InvalidModelOutput(
            "the command was read as completing a task, but it asks for a delete; say 'delete task 3' to delete "
            "it, or 'mark task 3 as done' to complete it"
        )


def check_task_is_named(action: Action, command: str) -> None:
    """A task acted on by title must be named by words that can be a title, not by 'the thing'
    (unless those words are quoted: a task may be called "Thing")."""
    title = getattr(getattr(action, "params", None), "task_title", None)
    if title is None or action.action == "create_task":
        return
    words = re.findall(r"[\w'-]+", title.lower())
    if words and all(word in _NO_NAME for word in words) and not _quoted(title, command):
        raise CommandRefused(f"'{title}' names no task; which task do you mean? Name it by id or by words of its title")


_TASK_REF = frozenset({"task_id", "task_title"})  # what names the task, not what changes it


def check_update_changes_something(action: Action) -> None:
    """An update_task that names a task and nothing to change ("did #21 already" read as an update)
    is a misreading: the task service refuses it too, so it is refused here, before it is counted or
    confirmed as an update."""
    if isinstance(action, UpdateTask) and not action.params.model_dump(exclude_none=True).keys() - _TASK_REF:
        raise InvalidModelOutput(
            "the command was read as an update that changes nothing; say what to change, e.g. 'move task 3 to "
            "friday', or 'mark task 3 as done' to complete it"
        )


def grounded(action: TaskAction, command: str) -> TaskAction:
    """The action the command grounds (see the module's docstring), or InvalidModelOutput or
    CommandRefused saying why there is none."""
    check_update_changes_something(action)
    action = deletion_as_asked(action, command)
    check_completion_was_asked(action, command)
    check_task_is_named(action, command)
    return action
