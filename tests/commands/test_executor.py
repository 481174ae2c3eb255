"""Running parsed actions: tasks named by title, dates, confirmation of deletes."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mcp_server.commands.executor import CommandExecutor
from mcp_server.core.domain import NewTask
from mcp_server.core.errors import (
    AmbiguousTask,
    CommandRefused,
    ConfirmationRequired,
    InvalidInput,
    InvalidModelOutput,
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
    with pytest.raises(ConfirmationRequired, match="deleting task #1 'Old thing' needs confirmation"):
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
    assert (await executor.prepare(by_title, timezone="UTC", command="finished the thing")).params.task_id == 1


async def test_due_dates_far_off_are_refused(executor: CommandExecutor) -> None:
    old = parse_action({"action": "create_task", "params": {"title": "x", "due": "2019-03-01"}})
    with pytest.raises(InvalidInput, match="more than a year in the past"):
        await executor.prepare(old, timezone="UTC", now=NOW, command="x")
    far = parse_action({"action": "create_task", "params": {"title": "x", "due": "2099-03-01"}})
    with pytest.raises(InvalidInput, match="more than 50 years ahead"):
        await executor.prepare(far, timezone="UTC", now=NOW, command="x")
    overdue = parse_action({"action": "list_tasks", "params": {"due_before": "2019-03-01"}})
    assert (await executor.prepare(overdue, timezone="UTC", now=NOW)).params.due_before == "2019-03-01"
