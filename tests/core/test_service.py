"""TaskService rules: cursors, idempotency fingerprints, partial updates, change notifications."""

import base64
import hashlib
import json
from pathlib import Path

import pytest

from mcp_server.core.domain import TASK_ID_MAX, NewTask, Status, TaskPatch, TaskQuery
from mcp_server.core.errors import IdempotencyConflict, InvalidInput
from mcp_server.core.service import TaskService, decode_cursor, encode_cursor
from mcp_server.store.sqlite import SQLiteTaskStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def service(db_path: Path):
    store = SQLiteTaskStore(db_path)
    await store.open()
    yield TaskService(store)
    await store.close()


def test_cursor_round_trips_for_the_same_query() -> None:
    query = TaskQuery(tag="work")
    assert decode_cursor(encode_cursor(42, query), query) == 42


@pytest.mark.parametrize("forged", ["zzz", "e30", "eyJ2IjoxLCJhZnRlciI6LTF9", "!!!!", "eyJ2IjoyfQ"])
def test_forged_cursors_are_refused(forged: str) -> None:
    with pytest.raises(InvalidInput, match="cursor is not one this server issued"):
        decode_cursor(forged, TaskQuery())


def test_cursor_from_other_filters_is_refused() -> None:
    cursor = encode_cursor(3, TaskQuery(tag="a"))
    with pytest.raises(InvalidInput, match="different filters"):
        decode_cursor(cursor, TaskQuery(tag="b"))


async def test_pages_walk_every_task_once(service: TaskService) -> None:
    for n in range(7):
        await service.create_task(NewTask(title=f"t{n}"))
    seen, cursor = [], None
    while True:
        page = await service.list_tasks(limit=3, cursor=cursor)
        assert page.total == 7
        seen += [t.title for t in page.tasks]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"t{n}" for n in range(7)]


async def test_totals_past_the_counting_limit_say_so(service: TaskService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mcp_server.core.service.TOTAL_COUNT_LIMIT", 3)
    for n in range(3):
        await service.create_task(NewTask(title=f"t{n}"))
    exact = await service.list_tasks(TaskQuery(), limit=1)
    assert (exact.total, exact.total_exact) == (3, True)
    await service.create_task(NewTask(title="one too many"))
    floor = await service.list_tasks(TaskQuery(), limit=1)
    assert (floor.total, floor.total_exact) == (3, False)
    assert floor.next_cursor is not None


async def test_exactly_full_last_page_has_no_cursor(service: TaskService) -> None:
    for n in range(4):
        await service.create_task(NewTask(title=f"t{n}"))
    page = await service.list_tasks(limit=4)
    assert len(page.tasks) == 4 and page.next_cursor is None


@pytest.mark.parametrize("limit", [0, 101, 10**9])
async def test_limit_out_of_range_is_refused(service: TaskService, limit: int) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 100"):
        await service.list_tasks(limit=limit)


async def test_same_key_different_request_conflicts(service: TaskService) -> None:
    await service.create_task(NewTask(title="a"), idempotency_key="k1")
    assert (await service.create_task(NewTask(title="a"), idempotency_key="k1")).id == 1
    with pytest.raises(IdempotencyConflict):
        await service.create_task(NewTask(title="a", priority="high"), idempotency_key="k1")


async def test_empty_update_is_refused(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="a"))
    with pytest.raises(InvalidInput, match="at least one field"):
        await service.update_task(task.id, TaskPatch())


async def test_listeners_hear_every_change(service: TaskService) -> None:
    heard: list[int] = []

    async def listener(task_id: int) -> None:
        heard.append(task_id)

    async def broken(task_id: int) -> None:
        raise RuntimeError("listener bug")

    service.on_change(broken)
    service.on_change(listener)
    task = await service.create_task(NewTask(title="a"))
    await service.update_task(task.id, TaskPatch(title="b"))
    await service.complete_task(task.id)
    await service.complete_task(task.id)  # already done: nothing changed, nothing to hear
    await service.delete_task(task.id)
    assert heard == [task.id] * 4


@pytest.mark.parametrize("after", [2**63, 2**100, True, False, 1.0, "1"])
def test_cursors_continue_only_after_an_id_a_store_can_compare(after: object) -> None:
    """A forged cursor past 2**63 - 1 once reached the store and failed there."""
    with pytest.raises(InvalidInput, match="cursor is not one this server issued"):
        decode_cursor(encode_cursor(after, TaskQuery()), TaskQuery())  # type: ignore[arg-type]
    assert decode_cursor(encode_cursor(TASK_ID_MAX, TaskQuery()), TaskQuery()) == TASK_ID_MAX


@pytest.mark.parametrize("stray", ["\x00", " ", "=", "é", "+"])
def test_cursors_with_stray_characters_are_refused(stray: str) -> None:
    """Base64 decoding skips characters outside its alphabet; a cursor is only ever that alphabet."""
    cursor = encode_cursor(3, TaskQuery())
    with pytest.raises(InvalidInput, match="cursor is not one this server issued"):
        decode_cursor(cursor[:4] + stray + cursor[4:], TaskQuery())


async def test_text_outside_the_models_is_held_to_the_nul_rule(service: TaskService) -> None:
    with pytest.raises(InvalidInput, match=r"idempotency_key: must not contain NUL \(\\x00\) characters"):
        await service.create_task(NewTask(title="a"), idempotency_key="key\x00")
    assert await service.suggest_tags("wo\x00") == []
    assert (await service.list_tasks()).total == 0


async def test_lists_listeners_hear_once_per_write_that_can_move_the_counts(service: TaskService) -> None:
    heard: list[str] = []

    async def lists_changed() -> None:
        heard.append("lists")

    service.on_lists_change(lists_changed)
    first = await service.create_task(NewTask(title="a", list="home"))
    second = await service.create_task(NewTask(title="b", list="home"))
    assert heard == ["lists", "lists"]
    await service.update_task(first.id, TaskPatch(title="renamed", tags=["x"]))  # no count moves
    assert heard == ["lists", "lists"]
    await service.update_task(first.id, TaskPatch(list="work"))
    await service.update_task(second.id, TaskPatch(status=Status.DONE))
    await service.rename_list("work", "office")
    await service.rename_list("home", "office")
    assert len(heard) == 6  # one per rename, however many tasks it moves
    await service.complete_task(first.id)
    await service.delete_task(first.id)
    assert len(heard) == 8


def test_a_cursor_issued_before_lists_still_continues() -> None:
    """The previous release bound cursors to the digest of these filters, without a list."""
    before_lists = '{"status":"open","priority":null,"tag":"home","due_before":null,"due_after":null,"search":null}'
    payload = {"v": 1, "after": 7, "q": hashlib.sha256(before_lists.encode()).hexdigest()[:16]}
    cursor = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    assert decode_cursor(cursor, TaskQuery(status=Status.OPEN, tag="home")) == 7
