"""How task commands are said: the phrasing templates of each kind of command, with slots for
what the label copies ({t} title, {d} date, {p} priority, {g} tag, {n} note or new title, {r} the
task named, {s} search words, {h} hashtags, {w} tags in words). Plain data."""

from __future__ import annotations

from typing import Any

CREATE_PLAIN: list[str] = [
    "create a task: {t}",
    "add a task to {t}",
    "new task: {t}",
    "add {t} to my to-do list",
    "remind me to {t}",
    "I need to {t}",
    "todo {t}",
    "add: {t}",
    "note to self: {t}",
    "put {t} on the list",
    "can you add {t}",
    "don't let me forget to {t}",
    "I should {t}",
    "task: {t}",
    "add a todo for me to {t}",
    "make a task to {t}",
    "please remember that I have to {t}",
    "put '{t}' on my list",
    "new to-do: {t}",
    "jot down: {t}",
    "could you add {t}",
    "add a reminder to {t}",
    "I gotta {t}",
    "pls add {t}",
    "add {t}",
    "create {t}",
    "new item: {t}",
    "remember to {t}",
    "I want to {t}, add it",
    "make a note to {t}",
]


CREATE_DUE: list[str] = [
    "add {t} by {d}",
    "remind me to {t} {d}",
    "{t} due {d}",
    "create a task: {t}, due {d}",
    "I have to {t} by {d}",
    "new task {t} for {d}",
    "{t} {d}",
    "I must {t} before {d}",
    "add a task to {t}, deadline {d}",
    "schedule {t} for {d}",
    "remind me {d} to {t}",
    "{d}: {t}",
    "task: {t} (due {d})",
    "I've got to {t} by {d}",
    "please add {t} for {d}",
    "can you remind me to {t} {d}",
    "add '{t}' due {d}",
    "by {d} I need to {t}",
    "deadline {d}: {t}",
    "add {t} with a deadline of {d}",
    "new task: {t} by {d}",
    "pls add {t} {d}",
]


CREATE_PRIORITY: list[str] = [
    "new {p} priority task: {t}",
    "new {p} task: {t}",
    "{p}: {t}",
    "add {t}, priority {p}",
    "{p} prio: {t}",
    "add {t} - it's {p}",
    "create a {p} task to {t}",
    "please add a {p} one: {t}",
    "add a {p} priority task: {t}",
    "{t}, {p} priority",
    "new {p} task: {t}",  # listed twice: the priority-first form is the one most often missed
    "create task {t} with {p} priority",
    "{p} priority: {t}",
    "add {t} as {p} priority",
    "{t} - priority {p}",
    "I need to {t}, it's {p}",
]


CREATE_TAGGED: list[str] = [
    "add {t} {h}",
    "{t} {h}",
    "new task {t} tagged {w}",
    "create a task: {t}, tags {w}",
    "add {t} under {w}",
    "remind me to {t} {h}",
    "add {t} with the tag {w}",
    "new task: {t} {h}",
    "{t}, tag it {w}",
]


CREATE_FULL: list[str] = [
    "add {t} #{g} by {d}, {p} priority",
    "{t} for {d} tagged {g}, it's {p}",
    "create a {p} task: {t} due {d} tag {g}",
    "new {p} priority task {t}, due {d}, #{g}",
    "{t} {d} #{g} {p} priority",
    "{t} by {d} tagged {g}, it's {p}",
    "new task: {t}, {p}, due {d}, tag {g}",
]


CREATE_DESCRIBED: list[str] = ["add {t}, note: {n}", "create a task to {t} with the description '{n}'", "{t} ({n})"]


# Fixed list commands and the filters they mean.
LIST_CASES: list[tuple[list[str], dict[str, Any]]] = [
    (
        [
            "list my tasks",
            "show all my tasks",
            "what's on my to-do list?",
            "show me my list",
            "list everything",
            "what tasks do I have?",
            "give me my todo list",
            "all tasks please",
            "show my todos",
            "my tasks",
            "list all tasks",
            "show me everything on my list",
            "what's on my list?",
            "what do I have?",
            "display my tasks",
        ],
        {},
    ),
    (
        [
            "what's still open?",
            "show unfinished tasks",
            "what's left to do?",
            "which tasks are not done yet?",
            "open tasks",
            "what do I still have to do?",
            "what's pending?",
            "anything left on my plate?",
            "what's on my plate?",
            "what do I need to do?",
            "what is left?",
            "show open tasks",
            "what haven't I done yet?",
            "list the open ones",
            "what is still pending?",
            "list open tasks",
            "show my open tasks",
            "which are still open?",
            "what is open?",
            "open items",
        ],
        {"status": "open"},
    ),
    (
        [
            "what have I done?",
            "show completed tasks",
            "list finished tasks",
            "what did I already finish?",
            "done tasks",
            "which tasks are closed?",
            "what is finished?",
            "show what I've completed",
            "list what's done",
        ],
        {"status": "done"},
    ),
    (
        ["show me what's overdue", "anything overdue?", "which open tasks are late?"],
        {"status": "open", "due_before": "today"},
    ),
    (["what's due today?", "tasks due today"], {"due_before": "today", "due_after": "today"}),
    (["what do I have due tomorrow?", "anything due tomorrow?"], {"due_before": "tomorrow", "due_after": "tomorrow"}),
    (
        ["what's due this week?", "list tasks due this week", "anything due this week?", "show this week's tasks"],
        {"due_before": "end of the week"},
    ),
]


# Listing by tag, and the filters besides the tag.
LIST_TAG: list[tuple[str, dict[str, Any]]] = [
    ("{g} tasks please", {}),
    ("list my {g} tasks", {}),
    ("show tasks tagged {g}", {}),
    ("{g} stuff", {}),
    ("what's tagged {g}?", {}),
    ("show my #{g} tasks", {}),
    ("what's open for {g}?", {"status": "open"}),
    ("open {g} tasks", {"status": "open"}),
    ("which {g} tasks are done?", {"status": "done"}),
]


# Listing by date, and which bound the date is.
LIST_DUE: list[tuple[str, str]] = [
    ("tasks due by {d}", "due_before"),
    ("what's due before {d}?", "due_before"),
    ("show what's due by {d}", "due_before"),
    ("anything due before {d}?", "due_before"),
    ("tasks due after {d}", "due_after"),
    ("what's due after {d}?", "due_after"),
    ("anything due after {d}?", "due_after"),
]


# Filtered lists are composed from these words (see composers.list_filtered).
LIST_NOUNS = ("tasks", "todos", "items", "stuff", "tasks", "everything")
LIST_VERBS = ("show", "list", "show me", "find", "get")
LIST_VERBS_BEFORE_A_NOUN = ("what are my", "any")  # not before "everything"
LIST_STATUS_WORDS = {"open": ("open", "unfinished", "pending"), "done": ("done", "completed", "finished")}
LIST_STATUS_AFTER = {
    "open": ("still open", "that are open", "that is still open", "not done yet"),
    "done": ("already done", "that are done", "that is done", "I finished"),
}
LIST_STATUS_LEADS = ("", "show ", "list ", "show me ")


LIST_SEARCH: list[str] = [
    "find tasks about {s}",
    "search for {s}",
    "anything mentioning {s}?",
    "look up {s}",
    "which tasks mention {s}?",
    "search my tasks for {s}",
    "do I have a task about {s}?",
    "find {s}",
    "find tasks about the {s}",
    "list the tasks mentioning the {s}",
    "which tasks are about the {s}?",
    "anything about the {s}?",
]


COMPLETE: list[str] = [
    "mark {r} as done",
    "{r} is done",
    "complete {r}",
    "finished {r}",
    "done with {r}",
    "tick off {r}",
    "check off {r}",
    "I finished {r}",
    "close {r}",
    "I've done {r}",
    "{r}: done",
    "mark {r} complete",
    "set {r} to done",
    "I completed {r}",
    "{r} finished",
    "crossed off {r}",
    "got {r} done",
    "{r} complete",
    "just finished {r}",
    "I'm done with {r}",
    "mark {r} finished",
    "{r} is finished",
    "completed {r}",
    "finally did {r}",
]


DELETE: list[str] = [
    "delete {r}",
    "remove {r}",
    "please delete {r}",
    "get rid of {r}",
    "drop {r}",
    "erase {r}",
    "trash {r}",
    "remove {r} from my list",
    "I don't need {r} anymore, delete it",
    "cancel {r}",
    "scrap {r}",
    "forget about {r}",
    "take {r} off my list",
    "delete the task {r}",
    "can you delete {r}",
    "{r} isn't needed anymore, remove it",
    "remove {r} please",
    "never mind {r}, delete it",
    "delete {r} from the list",
]


UPDATE_DUE: list[str] = [
    "move {r} to {d}",
    "push {r} to {d}",
    "change the due date of {r} to {d}",
    "{r} is now due {d}",
    "postpone {r} until {d}",
    "reschedule {r} for {d}",
    "set {r} due {d}",
    "make {r} due {d}",
    "set the deadline for {r} to {d}",
    "{r} should be due {d}",
    "{r} needs to be done by {d} now",
    "delay {r} until {d}",
    "bring {r} forward to {d}",
    "push back {r} to {d}",
    "change {r} to be due {d}",
    "update {r}: due {d}",
    "put off {r} until {d}",
]


# A new date for a task named by its bare title.
UPDATE_DEADLINE: list[str] = [
    "push the {r} deadline to {d}",
    "move the {r} deadline to {d}",
    "the {r} deadline is now {d}",
    "extend the {r} deadline to {d}",
]


UPDATE_PRIORITY: list[str] = [
    "set {r} priority to {p}",
    "make {r} {p} priority",
    "make {r} {p}",
    "{r} should be {p} priority",
    "change {r} to {p} priority",
    "can you make {r} {p}?",
    "update {r}: priority {p}",
    "raise {r} to {p}",
    "lower {r} to {p}",
    "give {r} {p} priority",
    "{p} priority for {r}",
    "change the priority of {r} to {p}",
    "{r} is {p} priority now",
    "bump {r} to {p}",
    "mark {r} as {p} priority",
]


UPDATE_TITLE: list[str] = [
    "rename {r} to {n}",
    "change the title of {r} to {n}",
    "call {r} '{n}' instead",
    "change the name of {r} to {n}",
    "retitle {r} as {n}",
    "{r} should be called '{n}'",
]


UPDATE_STATUS: list[str] = [
    "reopen {r}",
    "mark {r} as not done",
    "{r} isn't finished after all, reopen it",
    "set {r} back to open",
    "unmark {r}",
    "{r} is not done yet, reopen it",
    "undo completing {r}",
]


UPDATE_TAGS: list[str] = [
    "tag {r} as {g}",
    "add the tag {g} to {r}",
    "label {r} {g}",
    "put {r} under #{g}",
    "tag {r} with {g}",
]


UPDATE_DESCRIPTION: list[str] = [
    "add a note to {r}: {n}",
    "set the description of {r} to '{n}'",
    "note on {r}: {n}",
    "describe {r} as '{n}'",
]


# Something put on a named list ({x} the thing, {l} the list's name).
CREATE_LISTED: list[str] = [
    "put {x} on my {l} list",
    "{x} goes on the {l} list",
    "my {l} list needs {x}",
    "new item for the {l} list: {x}",
    "write {x} down on the {l} list",
    "include {x} in my {l} list",
    "we're out of {x}, put it on the {l} list",
    "{l} list, add {x}",
]

# A task that repeats ({t} what is done, {w} what follows "every").
CREATE_REPEATING: list[str] = [
    "every {w} i have to {t}",
    "make a task to {t} that repeats every {w}",
    "repeat every {w}: {t}",
    "remind me every {w} to {t}",
    "i want a repeating reminder to {t} every {w}",
    "{t} needs doing every {w}",
]

# A step of a bigger task ({t} the step, {r} the bigger task).
CREATE_STEP: list[str] = [
    "{r} needs a subtask: {t}",
    "as part of {r}, {t}",
    "add the step '{t}' to {r}",
    "child task of {r}: {t}",
    "break {r} down, first step: {t}",
    "one more step for {r}: {t}",
]

# Bringing a deleted task back from the trash ({r} the task).
RESTORE: list[str] = [
    "take {r} out of the trash",
    "i need {r} again, it was deleted",
    "retrieve {r} from the deleted tasks",
    "undo the delete of {r}",
    "pull {r} back out of the trash",
    "un-trash {r}",
    "recover {r}",
    "{r} should not have been deleted, bring it back",
]

# What is on a named list ({l} the list's name).
LIST_IN_LIST: list[str] = [
    "what is on the {l} list",
    "open my {l} list",
    "items on my {l} list",
    "{l} list contents",
    "what do i have on the {l} list",
    "everything on the {l} list please",
]
