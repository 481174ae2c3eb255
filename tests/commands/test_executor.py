"""Running parsed actions: tasks named by title, dates, confirmation of deletes."""

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mcp_server.commands.executor import CommandExecutor
from mcp_server.core.domain import NewTask, TaskPatch
from mcp_server.core.errors import (
    AmbiguousTask,
    CommandRefused,
    ConfirmationRequired,
    InvalidInput,
    InvalidModelOutput,
    StateConflict,
    TaskNotFound,
)
from mcp_server.core.service import TaskService
from mcp_server.nlu.actions import TaskRef, parse_action
from mcp_server.store.sqlite import SQLiteTaskStore

pytestmark = pytest.mark.anyio
NOW = dt.datetime(2026, 11, 28, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
async def executor(db_path: Path):
    store = SQLiteTaskStore(db_path)
    await store.open()
    yield CommandExecutor(TaskService(store))
    await store.close()


async def add(executor: CommandExecutor, *titles: str) -> list[int]:
    return [(await executor.service.create_task(NewTask(title=t))).id for t in titles]


async def test_title_words_in_any_order_and_case(executor: CommandExecutor) -> None:
    await add(executor, "Call the landlord about the boiler", "Buy milk")
    task = await executor.resolve_task(TaskRef(task_title="LANDLORD boiler"))
    assert task.title.startswith("Call the landlord")


async def test_open_tasks_and_exact_titles_are_preferred(executor: CommandExecutor) -> None:
    done, _ = await add(executor, "Report", "Report")
    await executor.service.complete_task(done)
    assert (await executor.resolve_task(TaskRef(task_title="report"))).id == 2
    await add(executor, "Report expenses")
    assert (await executor.resolve_task(TaskRef(task_title="Report"))).id == 2


async def test_many_candidates_are_listed_and_counted(executor: CommandExecutor) -> None:
    await add(executor, *[f"Email client {n}" for n in range(7)])
    with pytest.raises(AmbiguousTask, match=r"matches several tasks: #1 .*#5 'Email client 4' and 2 more"):
        await executor.resolve_task(TaskRef(task_title="email client"))


async def test_no_match_and_missing_id(executor: CommandExecutor) -> None:
    with pytest.raises(TaskNotFound, match="no task has 'dentist' in its title"):
        await executor.resolve_task(TaskRef(task_title="dentist"))
    with pytest.raises(TaskNotFound, match="task 9 does not exist"):
        await executor.resolve_task(TaskRef(task_id=9))


async def test_prepare_resolves_dates_and_references(executor: CommandExecutor) -> None:
    await add(executor, "Quarterly report")
    action = parse_action({"action": "update_task", "params": {"task_title": "report", "due": "end of month"}})
    prepared = await executor.prepare(action, timezone="Europe/Paris", now=NOW)
    assert prepared.params.task_id == 1 and prepared.params.task_title is None
    assert prepared.params.due == "2026-11-30"
    listing = parse_action({"action": "list_tasks", "params": {"due_before": "Friday"}})
    assert (await executor.prepare(listing, timezone="UTC", now=NOW)).params.due_before == "2026-12-04"


async def test_refusal_and_bad_date(executor: CommandExecutor) -> None:
    with pytest.raises(CommandRefused, match="not a task"):
        await executor.prepare(parse_action({"action": "error", "message": "not a task"}), timezone="UTC")
    bad = parse_action({"action": "create_task", "params": {"title": "x", "due": "when pigs fly"}})
    with pytest.raises(InvalidInput, match="cannot understand"):
        await executor.prepare(bad, timezone="UTC")


async def test_delete_runs_only_when_confirmed(executor: CommandExecutor) -> None:
    (task_id,) = await add(executor, "Old thing")
    action = await executor.prepare(
        parse_action({"action": "delete_task", "params": {"task_id": task_id}}), timezone="UTC"
    )
    with pytest.raises(ConfirmationRequired, match="deleting task #1 'Old thing' needs confirmation: it moves to"):
        await executor.run(action)
    assert (await executor.service.get_task(task_id)).title == "Old thing"
    assert (await executor.run(action, confirmed=True)).deleted is True


async def test_update_with_nothing_to_change_is_refused(executor: CommandExecutor) -> None:
    await add(executor, "Thing")
    action = await executor.prepare(parse_action({"action": "update_task", "params": {"task_id": 1}}), timezone="UTC")
    with pytest.raises(InvalidInput, match="at least one field"):
        await executor.run(action)


async def test_an_id_the_command_never_mentions_is_refused(executor: CommandExecutor) -> None:
    await add(executor, "Thing")
    invented = parse_action({"action": "complete_task", "params": {"task_id": 1}})
    with pytest.raises(InvalidModelOutput, match="mentions no task 1"):
        await executor.prepare(invented, timezone="UTC", command="I finished the thing")
    said = await executor.prepare(invented, timezone="UTC", command="task 1 is done")
    assert said.params.task_id == 1
    by_title = parse_action({"action": "complete_task", "params": {"task_title": "thing"}})
    assert (await executor.prepare(by_title, timezone="UTC", command="finished 'thing'")).params.task_id == 1
    with pytest.raises(CommandRefused, match="'thing' names no task"):  # unquoted, a pointer, not a name
        await executor.prepare(by_title, timezone="UTC", command="finished the thing")


async def test_due_dates_far_off_are_refused(executor: CommandExecutor) -> None:
    old = parse_action({"action": "create_task", "params": {"title": "x", "due": "2019-03-01"}})
    with pytest.raises(InvalidInput, match="more than a year in the past"):
        await executor.prepare(old, timezone="UTC", now=NOW, command="x")
    far = parse_action({"action": "create_task", "params": {"title": "x", "due": "2099-03-01"}})
    with pytest.raises(InvalidInput, match="more than 50 years ahead"):
        await executor.prepare(far, timezone="UTC", now=NOW, command="x")
    overdue = parse_action({"action": "list_tasks", "params": {"due_before": "2019-03-01"}})
    assert (await executor.prepare(overdue, timezone="UTC", now=NOW)).params.due_before == "2019-03-01"


async def run_said(executor: CommandExecutor, action: dict[str, Any], **kwargs: Any) -> Any:
    """A command as process_command runs it: prepared against the store, then run, in Paris."""
    prepared = await executor.prepare(parse_action(action), timezone="Europe/Paris", now=NOW)
    return await executor.run(prepared, timezone="Europe/Paris", **kwargs)


async def test_a_delete_in_words_says_the_task_goes_to_the_trash(executor: CommandExecutor) -> None:
    parent, child = await add(executor, "Garden", "Mow")
    await executor.service.update_task(child, TaskPatch(parent_id=parent))
    action = await executor.prepare(parse_action({"action": "delete_task", "params": {"task_id": 1}}), timezone="UTC")
    with pytest.raises(
        ConfirmationRequired,
        match=r"deleting task #1 'Garden' and its 1 subtask needs confirmation: it moves to the trash, where "
        r"restore_task can bring it back for 30 days; send the command again with confirm=true",
    ):
        await executor.run(action)
    deleted = await executor.run(action, confirmed=True)
    assert deleted.permanent is False and deleted.subtask_ids == [child]


async def test_restore_by_id_and_by_title_looks_in_the_trash(executor: CommandExecutor) -> None:
    old, _ = await add(executor, "Renew passport", "Renew passport photos")
    await executor.service.delete_task(old)
    by_title = await executor.prepare(
        parse_action({"action": "restore_task", "params": {"task_title": "renew passport"}}), timezone="UTC"
    )
    assert by_title.params.task_id == old  # the trashed one, not the live task with the same words
    restored = await executor.run(by_title)
    assert restored.id == old and restored.deleted_at is None
    await executor.service.delete_task(old)
    assert (await run_said(executor, {"action": "restore_task", "params": {"task_id": old}})).deleted_at is None


@pytest.mark.parametrize(
    ("params", "error", "problem"),
    [
        ({"task_id": 2}, StateConflict, "task 2 is not in the trash; there is nothing to restore"),
        (
            {"task_title": "photos"},
            TaskNotFound,
            "no task in the trash has 'photos' in its title; call list_tasks status",
        ),
    ],
)
async def test_a_restore_of_what_is_not_in_the_trash_is_refused_before_it_runs(
    executor: CommandExecutor, params: dict[str, Any], error: type[Exception], problem: str
) -> None:
    await add(executor, "Renew passport", "Renew passport photos")
    with pytest.raises(error, match=problem):
        await executor.prepare(parse_action({"action": "restore_task", "params": params}), timezone="UTC")


async def test_a_restore_by_id_of_a_task_that_never_was_is_the_service_s_to_refuse(executor: CommandExecutor) -> None:
    prepared = await executor.prepare(
        parse_action({"action": "restore_task", "params": {"task_id": 9}}), timezone="UTC"
    )
    with pytest.raises(TaskNotFound, match="task 9 does not exist"):
        await executor.run(prepared)


async def test_a_parent_by_title_or_id_and_the_subtask_joins_its_list(executor: CommandExecutor) -> None:
    shed = await executor.service.create_task(NewTask(title="Build the shed", list="home"))
    nails = await run_said(
        executor, {"action": "create_task", "params": {"title": "Buy nails", "parent_title": "shed"}}
    )
    assert (nails.parent_id, nails.list) == (shed.id, "home")
    roof = await run_said(executor, {"action": "create_task", "params": {"title": "Roof", "parent_id": shed.id}})
    assert roof.parent_id == shed.id
    (loose,) = await add(executor, "Paint the door")  # in the inbox
    moved = await run_said(executor, {"action": "update_task", "params": {"task_id": loose, "parent_title": "shed"}})
    assert (moved.parent_id, moved.list) == (shed.id, "home")  # a subtask is in its parent's list


@pytest.mark.parametrize(
    ("params", "error", "problem"),
    [
        ({"parent_id": 9}, TaskNotFound, "parent: task 9 does not exist"),
        ({"parent_title": "dentist"}, TaskNotFound, "parent: no task has 'dentist' in its title"),
        ({"parent_title": "report"}, AmbiguousTask, "parent: 'report' matches several tasks"),
    ],
)
async def test_a_parent_that_names_no_one_task_is_refused(
    executor: CommandExecutor, params: dict[str, Any], error: type[Exception], problem: str
) -> None:
    await add(executor, "Report A", "Report B")
    with pytest.raises(error, match=problem):
        await executor.prepare(
            parse_action({"action": "create_task", "params": {"title": "x", **params}}), timezone="UTC"
        )


async def test_a_recurring_task_in_words_keeps_its_rule_and_the_command_s_zone(executor: CommandExecutor) -> None:
    plants = await run_said(
        executor, {"action": "create_task", "params": {"title": "Water the plants", "recurrence": "every monday at 9"}}
    )
    assert (plants.recurrence, plants.due, plants.timezone) == (
        "FREQ=WEEKLY;BYDAY=MO",
        "2026-11-30T09:00:00+01:00",
        "Europe/Paris",
    )
    again = await executor.service.complete_task(plants.id)
    assert again.status == "open" and again.due == "2026-12-07T09:00:00+01:00"


@pytest.mark.parametrize(
    ("due", "said", "starts"),
    [
        (None, "every weekday at 9", "2026-11-30T09:00:00+01:00"),  # no due: the first occurrence
        ("2026-12-02", "every wednesday at 8:30", "2026-12-02T08:30:00+01:00"),  # its date, at the rule's time
        ("2026-12-02T18:00:00+01:00", "every wednesday at 6pm", "2026-12-02T18:00:00+01:00"),  # already so
        ("2026-12-02T18:00:00+01:00", "every wednesday at 9", "2026-12-02T09:00:00+01:00"),  # the time said wins
        ("2026-12-02", "every wednesday", "2026-12-02"),  # kept
    ],
)
async def test_a_recurrence_set_on_a_task_starts_from_its_due(
    executor: CommandExecutor, due: str | None, said: str, starts: str
) -> None:
    task = await executor.service.create_task(NewTask(title="Standup", due=due))
    updated = await run_said(executor, {"action": "update_task", "params": {"task_id": task.id, "recurrence": said}})
    assert updated.due == starts and updated.recurrence is not None and updated.timezone == "Europe/Paris"


async def test_a_recurrence_it_cannot_read_changes_nothing(executor: CommandExecutor) -> None:
    (task_id,) = await add(executor, "Standup")
    action = parse_action({"action": "update_task", "params": {"task_id": task_id, "recurrence": "every few days"}})
    with pytest.raises(InvalidInput, match="cannot use the recurrence 'every few days'"):
        await executor.prepare(action, timezone="UTC")
    assert (await executor.service.get_task(task_id)).recurrence is None


async def test_a_recurrence_miscopied_onto_a_task_is_read_from_the_command(executor: CommandExecutor) -> None:
    await add(executor, "Check the post")
    miscopied = parse_action(
        {"action": "update_task", "params": {"task_title": "the post", "recurrence": "every friday of every month"}}
    )
    command = "the post task repeats the last friday of every month"
    prepared = await executor.prepare(miscopied, timezone="Europe/Paris", now=NOW, command=command)
    assert prepared.params.recurrence == "FREQ=MONTHLY;BYDAY=-1FR"
    assert prepared.params.due == "2026-12-25"  # the task had no due: the series' first occurrence
    with pytest.raises(InvalidInput, match="every friday of every month"):
        await executor.prepare(miscopied, timezone="Europe/Paris", now=NOW, command="check the post, not monthly")
