"""One composer per kind of command: each draws from the vocabulary and the phrasings and returns
a command with the one action the model must answer it with.

The composers are seeded through the `random.Random` they are given; the order in which they draw
from it is part of the dataset (the same seed must give the same examples), so a change to the
order of the draws is a change to the data.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_server.nlu.actions import ACTION_ADAPTER, parse_action
from mcp_server.training import phrasings as say
from mcp_server.training.refusals import (
    AMBIGUOUS,
    AMBIGUOUS_OBJECTS,
    AMBIGUOUS_TAILS,
    AMBIGUOUS_VERBS,
    ASSISTANT_REQUESTS,
    ASSISTANT_SLOTS,
    BULK,
    BULK_REQUESTS,
    INJECTION,
    INJECTION_FRAMES,
    INJECTION_OPENERS,
    INJECTION_PAYLOADS,
    INJECTIONS,
    NOT_A_TASK,
    OFF_TOPIC,
    OFF_TOPIC_TEMPLATES,
    PLACES,
    WHICH_TASK,
)
from mcp_server.training.vocabulary import (
    DATES,
    EVERY,
    LIST_NAMES,
    LIST_THINGS,
    MONTHS,
    NOTES_ON_CREATE,
    NOTES_ON_UPDATE,
    PEOPLE,
    PRIORITY_WORDS,
    ROUTINES,
    STEPS,
    TAGS,
    TIMES,
    TITLE_PARTS,
    TITLES,
    WEEKDAYS,
)
from mcp_server.training.wording import phrase, typo


@dataclass(frozen=True)
class Example:
    command: str
    action: dict[str, Any]

    def target(self) -> str:
        """The answer the model learns: compact JSON, the form the prompt's examples use, with the
        keys in the contract's order (the order the decoding grammar allows them in)."""
        ordered = ACTION_ADAPTER.dump_python(parse_action(self.action), mode="json", exclude_none=True)
        return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)


Compose = Callable[[random.Random], Example]


# Values for the slots: drawn as people say them, with the value the label holds.


def date_phrase(rng: random.Random) -> str:
    """A date phrase the server resolves, as people type it: weekdays and months capitalized or not,
    with or without 'next'/'this' and a time, relative spans, day-month dates, ISO dates."""
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(DATES)
    if roll < 0.65:
        day = rng.choice(WEEKDAYS)
        day = day.capitalize() if rng.random() < 0.55 else day
        said = rng.choice(("", "", "", "next ", "this ")) + day
        if rng.random() < 0.3:
            said += " " + rng.choice(TIMES)
        return said
    if roll < 0.75:
        unit, most = rng.choice((("days", 30), ("weeks", 8), ("months", 6), ("hours", 12)))
        return f"in {rng.randint(2, most)} {unit}"
    if roll < 0.9:
        month = rng.choice(MONTHS)
        month = month.capitalize() if rng.random() < 0.6 else month
        month = month[:3] if rng.random() < 0.3 else month
        date = rng.randint(1, 28)
        return rng.choice((f"{month} {date}", f"{date} {month}", f"{month} {date}"))
    if roll < 0.95:
        return f"{rng.choice(('2026', '2027'))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return rng.choice(("tomorrow", "today", "Tomorrow")) + " " + rng.choice(TIMES)


def _stored_title(text: str) -> str:
    """The title as the label holds it: first letter capitalized."""
    return text[:1].upper() + text[1:]


def _priority(rng: random.Random, words: list[tuple[str, str]] | None = None) -> tuple[str, str]:
    """A priority as said (now and then mistyped) and the value it means."""
    word, value = rng.choice(words or PRIORITY_WORDS)
    if len(word) >= 4 and rng.random() < 0.08:
        word = typo(word, rng)
    return word, value


def _composed_title(rng: random.Random) -> tuple[str, str]:
    title, short, things = rng.choice(TITLE_PARTS)
    thing = rng.choice(things).replace("{n}", str(rng.randint(2, 999)))
    person = rng.choice(PEOPLE)
    words = {"p": person, "x": thing}
    full = title.format(**words)
    named = short.format(**words)
    if named.startswith(("the ", "my ", "a ", "an ")):  # "the parcel" is named "parcel"
        named = named.split(" ", 1)[1]
    return full, named


def _pick_title(rng: random.Random) -> tuple[str, str]:
    """A task title, and the words a user later names it by."""
    return rng.choice(TITLES) if rng.random() < 0.5 else _composed_title(rng)


def _ref(rng: random.Random) -> tuple[dict[str, Any], str]:
    """A task reference: the params key, and how the command says it (the id form or the title form)."""
    if rng.random() < 0.5:
        task_id = rng.choice((rng.randint(1, 30), rng.randint(1, 30), rng.randint(31, 999)))
        said = rng.choice((f"task {task_id}", f"task #{task_id}", f"#{task_id}", f"number {task_id}"))
        return {"task_id": task_id}, said
    _, short = _pick_title(rng)
    said = rng.choice((f"the {short} task", short, short, f"the {short} one", f"'{short}'", f"the {short} todo"))
    return {"task_title": short}, said


# Creating a task.


def create_plain(rng: random.Random) -> Example:
    title, _ = _pick_title(rng)
    template = rng.choice(say.CREATE_PLAIN)
    return Example(
        phrase(template, rng, {"t": title}), {"action": "create_task", "params": {"title": _stored_title(title)}}
    )


def create_due(rng: random.Random) -> Example:
    title, _ = _pick_title(rng)
    due = date_phrase(rng)
    template = rng.choice(say.CREATE_DUE)
    return Example(
        phrase(template, rng, {"t": title, "d": due}),
        {"action": "create_task", "params": {"title": _stored_title(title), "due": due}},
    )


def create_priority(rng: random.Random) -> Example:
    title, _ = _pick_title(rng)
    word, priority = _priority(rng)
    template = rng.choice(say.CREATE_PRIORITY)
    return Example(
        phrase(template, rng, {"t": title, "p": word}),
        {"action": "create_task", "params": {"title": _stored_title(title), "priority": priority}},
    )


def create_tagged(rng: random.Random) -> Example:
    title, _ = _pick_title(rng)
    tags = rng.sample(TAGS, rng.choice((1, 1, 2)))
    hashes = " ".join(f"#{t}" for t in tags)
    words = " and ".join(tags)
    template = rng.choice(say.CREATE_TAGGED)
    return Example(
        phrase(template, rng, {"t": title, "h": hashes, "w": words}),
        {"action": "create_task", "params": {"title": _stored_title(title), "tags": tags}},
    )


def create_full(rng: random.Random) -> Example:
    title, _ = _pick_title(rng)
    due = date_phrase(rng)
    word, priority = _priority(rng, PRIORITY_WORDS[:4] + PRIORITY_WORDS[5:6])
    tag = rng.choice(TAGS)
    template = rng.choice(say.CREATE_FULL)
    params = {"title": _stored_title(title), "due": due, "priority": priority, "tags": [tag]}
    return Example(
        phrase(template, rng, {"t": title, "d": due, "p": word, "g": tag}), {"action": "create_task", "params": params}
    )


def create_described(rng: random.Random) -> Example:
    title, _ = _pick_title(rng)
    note = rng.choice(NOTES_ON_CREATE)
    template = rng.choice(say.CREATE_DESCRIBED)
    return Example(
        phrase(template, rng, {"t": title, "n": note}),
        {"action": "create_task", "params": {"title": _stored_title(title), "description": note}},
    )


def create_listed(rng: random.Random) -> Example:
    """A thing put on a named list: the thing is the title, the list is its own param."""
    said, title = rng.choice(LIST_THINGS)
    name = rng.choice(LIST_NAMES)
    template = rng.choice(say.CREATE_LISTED)
    return Example(
        phrase(template, rng, {"x": said, "l": name}),
        {"action": "create_task", "params": {"title": title, "list": name}},
    )


def create_repeating(rng: random.Random) -> Example:
    """A task that repeats: the recurrence is copied as said, the server turns it into a rule."""
    routine = rng.choice(ROUTINES)
    every = rng.choice(EVERY)
    template = rng.choice(say.CREATE_REPEATING)
    return Example(
        phrase(template, rng, {"t": routine, "w": every}),
        {"action": "create_task", "params": {"title": _stored_title(routine), "recurrence": f"every {every}"}},
    )


def create_step(rng: random.Random) -> Example:
    """A step of a bigger task, named by words of its title."""
    step, parent = rng.choice(STEPS)
    said = rng.choice((f"the {parent} task", parent, f"the {parent} one", f"'{parent}'"))
    template = rng.choice(say.CREATE_STEP)
    return Example(
        phrase(template, rng, {"t": step, "r": said}),
        {"action": "create_task", "params": {"title": _stored_title(step), "parent_title": parent}},
    )


# Listing tasks.


def list_fixed(rng: random.Random) -> Example:
    texts, params = rng.choice(say.LIST_CASES)
    return Example(phrase(rng.choice(texts), rng, {}, typo_rate=0.3), {"action": "list_tasks", "params": params})


def list_tag(rng: random.Random) -> Example:
    tag = rng.choice(TAGS)
    template, params = rng.choice(say.LIST_TAG)
    return Example(
        phrase(template, rng, {"g": tag}, typo_rate=0.2), {"action": "list_tasks", "params": {**params, "tag": tag}}
    )


def list_due(rng: random.Random) -> Example:
    due = date_phrase(rng)
    while due in ("tonight", "8pm"):
        due = date_phrase(rng)
    template, key = rng.choice(say.LIST_DUE)
    return Example(phrase(template, rng, {"d": due}, typo_rate=0.15), {"action": "list_tasks", "params": {key: due}})


def _filtered_noun(parts: list[str], noun: str) -> str:
    """'high priority tasks', or 'everything high priority'."""
    words = ["everything", *parts] if noun == "everything" else [*parts, noun]
    return " ".join(words)


def list_filtered(rng: random.Random) -> Example:
    """Any mix of status, priority, tag and a due bound, in the words' usual order."""
    params: dict[str, Any] = {}
    slots: dict[str, str] = {}
    if rng.random() < 0.4:
        params["status"] = rng.choice(("open", "done"))
    if rng.random() < 0.45:
        slots["p"], params["priority"] = _priority(rng, PRIORITY_WORDS[:3] + PRIORITY_WORDS[4:6])
    if rng.random() < 0.4:
        slots["g"] = params["tag"] = rng.choice(TAGS)
    if rng.random() < 0.3 or not params:
        key = rng.choice(("due_before", "due_after"))
        slots["d"] = params[key] = date_phrase(rng)
    parts = []
    if "priority" in params:
        parts.append("{p} priority" if rng.random() < 0.6 else "{p}")
    tagged_after = "tag" in params and rng.random() < 0.3  # "... tagged work" rather than "work tasks"
    if "tag" in params and not tagged_after:
        parts.append(rng.choice(("{g}", "#{g}")))
    noun = rng.choice(say.LIST_NOUNS)
    verb = rng.choice(say.LIST_VERBS + (() if noun == "everything" else say.LIST_VERBS_BEFORE_A_NOUN))
    if "status" in params and rng.random() < 0.35:
        still = rng.choice(say.LIST_STATUS_AFTER[params["status"]])
        lead = rng.choice(say.LIST_STATUS_LEADS)
        template = f"{lead}{_filtered_noun(parts, noun)} {still}".strip()
    else:
        if "status" in params:
            parts.insert(0, rng.choice(say.LIST_STATUS_WORDS[params["status"]]))
        template = f"{verb} {_filtered_noun(parts, noun)}"
    if "due_before" in params:
        template += f" due {rng.choice(('before', 'by'))} {{d}}"
    if "due_after" in params:
        template += " due after {d}"
    if tagged_after:
        template += " tagged {g}"
    order = ["status", "priority", "tag", "due_before", "due_after"]
    return Example(
        phrase(template, rng, slots, typo_rate=0.1),
        {"action": "list_tasks", "params": {k: params[k] for k in order if k in params}},
    )


def list_search(rng: random.Random) -> Example:
    _, short = _pick_title(rng)
    term = short.split()[-1] if rng.random() < 0.3 else short
    template = rng.choice(say.LIST_SEARCH)
    return Example(phrase(template, rng, {"s": term}), {"action": "list_tasks", "params": {"search": term}})


def list_in_list(rng: random.Random) -> Example:
    name = rng.choice(LIST_NAMES)
    template = rng.choice(say.LIST_IN_LIST)
    return Example(phrase(template, rng, {"l": name}), {"action": "list_tasks", "params": {"list": name}})


# Acting on one task, named by id or by words of its title.


def complete(rng: random.Random) -> Example:
    ref, said = _ref(rng)
    template = rng.choice(say.COMPLETE)
    return Example(phrase(template, rng, {"r": said}), {"action": "complete_task", "params": ref})


def delete(rng: random.Random) -> Example:
    ref, said = _ref(rng)
    template = rng.choice(say.DELETE)
    return Example(phrase(template, rng, {"r": said}), {"action": "delete_task", "params": ref})


def restore(rng: random.Random) -> Example:
    ref, said = _ref(rng)
    template = rng.choice(say.RESTORE)
    return Example(phrase(template, rng, {"r": said}), {"action": "restore_task", "params": ref})


@dataclass(frozen=True)
class Change:
    """One field an update sets: its share of the updates, how its value is drawn (as said, as the
    label holds it), the slot the said value fills (None: the phrasing says no value, "reopen {r}"),
    and the phrasings. `by_title` phrasings name the task by its bare title ("the {r} deadline");
    they replace the others at `by_title_rate` when the task is named by title."""

    share: int
    draw: Callable[[random.Random], tuple[str, Any]]
    slot: str | None
    phrasings: Sequence[str]
    by_title: Sequence[str] = ()
    by_title_rate: float = 0.0


def _new_due(rng: random.Random) -> tuple[str, str]:
    due = date_phrase(rng)
    return due, due


def _new_title(rng: random.Random) -> tuple[str, str]:
    title, _ = _pick_title(rng)
    return title, _stored_title(title)


def _reopened(rng: random.Random) -> tuple[str, str]:
    return "", "open"


def _one_tag(rng: random.Random) -> tuple[str, list[str]]:
    tag = rng.choice(TAGS)
    return tag, [tag]


def _note(rng: random.Random) -> tuple[str, str]:
    note = rng.choice(NOTES_ON_UPDATE)
    return note, note


# The field an update sets, by params key; dates and priorities are the changes most asked for.
UPDATES: dict[str, Change] = {
    "due": Change(2, _new_due, "d", say.UPDATE_DUE, by_title=say.UPDATE_DEADLINE, by_title_rate=0.35),
    "priority": Change(2, _priority, "p", say.UPDATE_PRIORITY),
    "title": Change(1, _new_title, "n", say.UPDATE_TITLE),
    "status": Change(1, _reopened, None, say.UPDATE_STATUS),
    "tags": Change(1, _one_tag, "g", say.UPDATE_TAGS),
    "description": Change(1, _note, "n", say.UPDATE_DESCRIPTION),
}
# Drawn uniformly, so a field listed `share` times gets that share.
UPDATE_FIELDS = tuple(name for name, change in UPDATES.items() for _ in range(change.share))


def update(rng: random.Random) -> Example:
    ref, said = _ref(rng)
    field = rng.choice(UPDATE_FIELDS)
    change = UPDATES[field]
    value_said, value = change.draw(rng)
    template = rng.choice(change.phrasings)
    if change.by_title and "task_title" in ref and rng.random() < change.by_title_rate:
        said = ref["task_title"]
        template = rng.choice(change.by_title)
    slots = {"r": said, change.slot: value_said} if change.slot else {"r": said}
    return Example(phrase(template, rng, slots), {"action": "update_task", "params": {**ref, field: value}})


# Refusals: what is not a task command, and the message the model answers it with.


def _off_topic(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(OFF_TOPIC)
    template, choices = rng.choice(OFF_TOPIC_TEMPLATES)
    return template.format(place=rng.choice(PLACES), **{k: rng.choice(v) for k, v in choices.items()})


def _ambiguous(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(AMBIGUOUS)
    tail = rng.choice(AMBIGUOUS_TAILS)
    return f"{rng.choice(AMBIGUOUS_VERBS)} {rng.choice(AMBIGUOUS_OBJECTS)}{tail}"


def _assistant_request(rng: random.Random) -> str:
    """Something for the assistant itself to do, not a task to record."""
    template = rng.choice(ASSISTANT_REQUESTS)
    return template.format(**{slot: rng.choice(words) for slot, words in ASSISTANT_SLOTS.items()})


def _injection(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(INJECTIONS)
    if roll < 0.7:
        return f"{rng.choice(INJECTION_OPENERS)} {rng.choice(INJECTION_PAYLOADS)}"
    payload = rng.choice(  # both ids are drawn whichever payload is chosen
        [
            f'{{"action":"delete_task","params":{{"task_id":{rng.randint(1, 99)}}}}}',
            f'{{"action":"complete_task","params":{{"task_id":{rng.randint(1, 99)}}}}}',
            '{"action":"list_tasks","params":{}}',
        ]
    )
    return rng.choice(INJECTION_FRAMES).format(j=payload)


def refusal(rng: random.Random) -> Example:
    kind = rng.random()
    if kind < 0.25:
        text, message = _off_topic(rng), NOT_A_TASK
    elif kind < 0.4:
        text, message = _assistant_request(rng), NOT_A_TASK
    elif kind < 0.7:
        text, message = _ambiguous(rng), WHICH_TASK
    elif kind < 0.8:
        text, message = rng.choice(BULK_REQUESTS), BULK
    else:
        text, message = _injection(rng), INJECTION
    if rng.random() < 0.1:
        text = typo(text, rng)
    return Example(text, {"action": "error", "message": message})
