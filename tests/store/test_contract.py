"""The TaskStore contract, run on SQLite and on PostgreSQL: every operation, filters, search, keyset
pages, idempotency keys, optimistic concurrency, atomic writes, lists and migrations behave the same."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest

from mcp_server.core.domain import DEFAULT_LIST, NewTask, Priority, Status, Task, TaskList, TaskQuery
from mcp_server.core.errors import IdempotencyConflict, StoreUnavailable, TaskNotFound, VersionConflict
from mcp_server.store import TaskStore
from tests.support.store_backends import EXPLODES, Backend

pytestmark = pytest.mark.anyio


async def test_open_brings_the_schema_to_the_latest_version(store: TaskStore, backend: Backend) -> None:
    assert await store.schema_version() == backend.migrations  # type: ignore[attr-defined]


async def test_reopening_does_not_rerun_migrations_or_lose_data(backend: Backend) -> None:
    first = backend.make()
    await first.open()
    task, _ = await first.create(NewTask(title="survives", tags=["kept"]))
    await first.close()
    second = backend.make()
    await second.open()
    try:
        again = await second.get(task.id)
        assert again is not None and again == task
        assert await second.schema_version() == backend.migrations  # type: ignore[attr-defined]
    finally:
        await second.close()


async def test_a_newer_schema_than_known_is_refused(backend: Backend) -> None:
    first = backend.make()
    await first.open()
    await first.close()
    backend.set_schema_version(backend.migrations + 1)
    newer = backend.make()
    try:
        with pytest.raises(StoreUnavailable, match="newer than this server knows"):
            await newer.open()
    finally:
        await newer.close()


async def test_create_get_update_delete_round_trip(store: TaskStore) -> None:
    task, created = await store.create(NewTask(title="a", priority="high", tags=["x"], due="2026-12-01"))
    assert created and task.version == 1 and task.status == Status.OPEN
    assert (task.title, task.priority, task.tags, task.due) == ("a", Priority.HIGH, ["x"], "2026-12-01")
    assert task.created_at == task.updated_at and task.created_at.tzinfo is not None
    assert await store.get(task.id) == task
    updated, changed = await store.update(task.id, {"title": "b", "status": Status.DONE})
    assert changed
    assert (updated.title, updated.status, updated.version) == ("b", Status.DONE, 2)
    assert updated.completed_at is not None
    assert await store.get(task.id) == updated
    reopened, _ = await store.update(task.id, {"status": Status.OPEN})
    assert reopened.completed_at is None
    deleted = await store.delete(task.id)
    assert deleted == reopened
    assert await store.get(task.id) is None
    with pytest.raises(TaskNotFound):
        await store.delete(task.id)
    with pytest.raises(TaskNotFound):
        await store.update(task.id, {"title": "gone"})


async def test_ids_increase_and_are_not_reused(store: TaskStore) -> None:
    first, _ = await store.create(NewTask(title="1"))
    second, _ = await store.create(NewTask(title="2"))
    await store.delete(second.id)
    third, _ = await store.create(NewTask(title="3"))
    assert first.id < second.id < third.id


async def test_update_that_changes_nothing_keeps_the_version(store: TaskStore) -> None:
    task, _ = await store.create(NewTask(title="same"))
    same, changed = await store.update(task.id, {"title": "same"})
    assert same.version == 1 and not changed


async def test_stale_expected_version_is_refused_and_names_the_current(store: TaskStore) -> None:
    task, _ = await store.create(NewTask(title="v"))
    await store.update(task.id, {"title": "v2"})
    with pytest.raises(VersionConflict, match="version 2") as caught:
        await store.update(task.id, {"title": "v3"}, expected_version=1)
    assert caught.value.current == 2
    stored = await store.get(task.id)
    assert stored is not None and stored.title == "v2"


async def test_concurrent_read_modify_writes_lose_nothing(store: TaskStore) -> None:
    """20 writers add one tag each with expected_version, retrying on conflict: every tag lands."""
    task, _ = await store.create(NewTask(title="shared"))

    async def add_tag(n: int) -> None:
        while True:
            current = await store.get(task.id)
            assert current is not None
            try:
                await store.update(task.id, {"tags": [*current.tags, f"t{n}"]}, expected_version=current.version)
                return
            except VersionConflict:
                await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(add_tag, n)
    final = await store.get(task.id)
    assert final is not None
    assert sorted(final.tags) == sorted(f"t{n}" for n in range(20)) and final.version == 21
    tagged, total = await store.list_page(TaskQuery(tag="t7"), after_id=None, limit=5)
    assert total == 1 and tagged[0].id == task.id


async def test_idempotency_key_returns_first_task(store: TaskStore) -> None:
    first, created = await store.create(NewTask(title="once"), idempotency_key="k", fingerprint="f")
    again, created_again = await store.create(NewTask(title="once"), idempotency_key="k", fingerprint="f")
    assert created and not created_again and again == first
    with pytest.raises(IdempotencyConflict, match="different parameters"):
        await store.create(NewTask(title="other"), idempotency_key="k", fingerprint="g")
    await store.delete(first.id)
    with pytest.raises(TaskNotFound, match="has since been deleted"):
        await store.create(NewTask(title="once"), idempotency_key="k", fingerprint="f")
    _, total = await store.list_page(TaskQuery(), after_id=None, limit=10)
    assert total == 0


async def test_concurrent_retries_of_one_idempotency_key_create_one_task(store: TaskStore) -> None:
    results = []

    async def create() -> None:
        results.append(await store.create(NewTask(title="retried"), idempotency_key="same", fingerprint="f"))

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(create)
    assert len({task.id for task, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    _, total = await store.list_page(TaskQuery(), after_id=None, limit=10)
    assert total == 1


async def test_failed_transaction_leaves_nothing_behind(store: TaskStore, backend: Backend) -> None:
    """A write that fails half-way (here: the tag insert) must roll back the task row too."""
    backend.sabotage_tag_inserts()
    with pytest.raises(Exception, match="boom"):
        await store.create(NewTask(title="half", tags=["t"]), idempotency_key="half", fingerprint="f")
    _, total = await store.list_page(TaskQuery(), after_id=None, limit=10)
    assert total == 0
    untagged, _ = await store.create(NewTask(title="fine"))
    assert untagged.tags == []


async def test_filters_combine(store: TaskStore) -> None:
    await store.create(NewTask(title="Write report", priority="high", tags=["work"], due="2026-12-01"))
    await store.create(NewTask(title="Buy milk", description="semi-skimmed", tags=["home"], due="2026-12-05"))
    done, _ = await store.create(NewTask(title="Report expenses", tags=["work"], due="2026-12-10T09:00:00+01:00"))
    await store.update(done.id, {"status": Status.DONE})

    async def titles(**filters: object) -> list[str]:
        tasks, total = await store.list_page(TaskQuery(**filters).normalised(), after_id=None, limit=50)
        assert total == len(tasks)
        return [t.title for t in tasks]

    assert await titles(tag="WORK") == ["Write report", "Report expenses"]
    assert await titles(status="open", tag="work") == ["Write report"]
    assert await titles(status="done") == ["Report expenses"]
    assert await titles(priority=Priority.HIGH) == ["Write report"]
    assert await titles(search="report") == ["Write report", "Report expenses"]
    assert await titles(search="SKIMMED") == ["Buy milk"]
    assert await titles(due_before="2026-12-05") == ["Write report", "Buy milk"]
    assert await titles(due_after="2026-12-05") == ["Buy milk", "Report expenses"]
    assert await titles(due_after="2026-12-10T08:00:00Z") == ["Report expenses"]
    assert await titles(search="100%") == []
    assert await titles(tag="work", search="write", priority="high", due_before="2026-12-02") == ["Write report"]


async def test_search_treats_like_wildcards_literally(store: TaskStore) -> None:
    for title in ("50% done", "500 done", "a_b", "axb", "back\\slash"):
        await store.create(NewTask(title=title))

    async def found(text: str) -> list[str]:
        tasks, _ = await store.list_page(TaskQuery(search=text), after_id=None, limit=10)
        return [t.title for t in tasks]

    assert await found("50%") == ["50% done"]
    assert await found("a_b") == ["a_b"]
    assert await found("k\\s") == ["back\\slash"]


async def test_keyset_pages_are_stable_while_tasks_are_added(store: TaskStore) -> None:
    for n in range(5):
        await store.create(NewTask(title=f"t{n}"))
    first, total = await store.list_page(TaskQuery(), after_id=None, limit=2)
    await store.create(NewTask(title="late"))
    second, _ = await store.list_page(TaskQuery(), after_id=first[-1].id, limit=2)
    assert total == 5
    assert [t.title for t in first + second] == ["t0", "t1", "t2", "t3"]


async def test_pages_walk_every_match_once(store: TaskStore) -> None:
    for n in range(23):
        await store.create(NewTask(title=f"t{n}", tags=["even" if n % 2 == 0 else "odd"]))
    seen: list[int] = []
    after = None
    while True:
        page, total = await store.list_page(TaskQuery(tag="even"), after_id=after, limit=5)
        assert total == 12
        if not page:
            break
        seen.extend(t.id for t in page)
        after = page[-1].id
    assert len(seen) == len(set(seen)) == 12 and seen == sorted(seen)


async def test_the_total_counts_no_further_than_asked(store: TaskStore) -> None:
    for n in range(6):
        await store.create(NewTask(title=f"t{n}", tags=["many"], priority="high" if n % 2 else "low"))
    page, total = await store.list_page(TaskQuery(tag="many"), after_id=None, limit=2, count_limit=4)
    assert total == 4 and len(page) == 2
    _, everything = await store.list_page(TaskQuery(tag="many"), after_id=None, limit=2)
    assert everything == 6
    _, high = await store.list_page(TaskQuery(tag="many", priority="high"), after_id=None, limit=2, count_limit=10)
    assert high == 3


async def test_a_page_past_the_end_is_empty_but_still_counts(store: TaskStore) -> None:
    last = None
    for n in range(3):
        last, _ = await store.create(NewTask(title=f"t{n}", tags=["x"]))
    assert last is not None
    assert await store.list_page(TaskQuery(tag="x"), after_id=last.id, limit=5) == ([], 3)
    assert await store.list_page(TaskQuery(), after_id=last.id, limit=5, count_limit=2) == ([], 2)


async def test_counts_by_status(store: TaskStore) -> None:
    assert await store.count_by_status() == {"open": 0, "done": 0}
    a, _ = await store.create(NewTask(title="a"))
    await store.create(NewTask(title="b"))
    await store.update(a.id, {"status": Status.DONE})
    assert await store.count_by_status() == {"open": 1, "done": 1}


async def test_tag_and_id_suggestions(store: TaskStore) -> None:
    ids = []
    for tags in (["work"], ["work", "home"], ["wood"]):
        ids.append((await store.create(NewTask(title="x", tags=tags)))[0].id)
    assert await store.suggest_tags("wo", 10) == ["work", "wood"]
    assert await store.suggest_tags("w%", 10) == []
    assert await store.suggest_ids("", 2) == [ids[2], ids[1]]
    await store.update(ids[2], {"status": Status.DONE})
    assert await store.suggest_ids("", 5) == [ids[1], ids[0]]


async def test_closed_store_says_so(store: TaskStore) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.get(1)
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.lists()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.rename_list("inbox", "elsewhere")


# -- lists ---------------------------------------------------------------------------------------


async def test_a_task_is_in_the_inbox_unless_given_a_list(store: TaskStore) -> None:
    plain, _ = await store.create(NewTask(title="plain"))
    assert plain.list == DEFAULT_LIST == "inbox"
    filed, _ = await store.create(NewTask(title="filed", list="  Work Stuff "))
    assert filed.list == "work stuff"
    assert await store.get(filed.id) == filed
    moved, changed = await store.update(plain.id, {"list": "home"})
    assert changed and (moved.list, moved.version) == ("home", 2) and moved.updated_at > plain.updated_at
    assert await store.get(plain.id) == moved
    same, changed = await store.update(plain.id, {"list": "home"})
    assert not changed and same.version == 2


async def test_the_list_filter_combines_with_tags_status_and_pages(store: TaskStore) -> None:
    ids: dict[str, list[int]] = {"work": [], "home": []}
    for n in range(14):
        name = "work" if n % 2 == 0 else "home"
        task, _ = await store.create(
            NewTask(
                title=f"task {n}",
                list=name,
                tags=["urgent"] if n % 3 == 0 else [],
                priority=Priority.HIGH if n < 7 else Priority.LOW,
            )
        )
        ids[name].append(task.id)
    done = ids["work"][:3]
    for task_id in done:
        await store.update(task_id, {"status": Status.DONE})

    async def matching(**filters: Any) -> list[int]:
        query = TaskQuery(**filters).normalised()
        found: list[int] = []
        after = None
        while True:  # pages of 2, each with the same total
            page, total = await store.list_page(query, after_id=after, limit=2)
            if not page:
                break
            found.extend(t.id for t in page)
            after = page[-1].id
        assert total == len(found)
        return found

    assert await matching(list="work") == ids["work"]
    assert await matching(list="WORK ") == ids["work"]
    assert await matching(list="home", tag="urgent") == [i for n, i in enumerate(ids["home"]) if (2 * n + 1) % 3 == 0]
    assert await matching(list="work", status="done") == done
    assert await matching(list="work", status="open", tag="urgent") == [
        i for n, i in enumerate(ids["work"]) if (2 * n) % 3 == 0 and i not in done
    ]
    assert await matching(list="work", priority="high") == ids["work"][:4]
    assert await matching(list="work", priority="low", search="task 1") == ids["work"][5:]  # tasks 10 and 12
    assert await matching(list="nowhere") == []
    _, capped = await store.list_page(TaskQuery(list="home"), after_id=None, limit=2, count_limit=3)
    assert capped == 3


async def test_lists_have_open_and_done_counts_and_end_with_their_last_task(store: TaskStore) -> None:
    assert await store.lists() == []
    a, _ = await store.create(NewTask(title="a"))
    b, _ = await store.create(NewTask(title="b", list="work"))
    c, _ = await store.create(NewTask(title="c", list="work"))
    d, _ = await store.create(NewTask(title="d", list="ärger"))  # after z by code point, in both stores
    e, _ = await store.create(NewTask(title="e", list="zed"))
    await store.update(c.id, {"status": Status.DONE})
    assert await store.lists() == [
        TaskList(name="inbox", open=1, done=0),
        TaskList(name="work", open=1, done=1),
        TaskList(name="zed", open=1, done=0),
        TaskList(name="ärger", open=1, done=0),
    ]
    await store.update(e.id, {"list": "work"})  # the last task leaves zed
    await store.delete(d.id)  # the last task of ärger is deleted
    await store.update(a.id, {"status": Status.DONE})
    assert await store.lists() == [TaskList(name="inbox", open=0, done=1), TaskList(name="work", open=2, done=1)]
    assert b.list == "work"


async def test_rename_list_moves_every_task_with_a_new_version(store: TaskStore) -> None:
    first, _ = await store.create(NewTask(title="first", list="work", tags=["t"]))
    await store.create(NewTask(title="elsewhere"))
    second, _ = await store.create(NewTask(title="second", list="work"))
    second, _ = await store.update(second.id, {"status": Status.DONE})
    before = {t.id: t for t in (first, second)}

    moved = await store.rename_list("work", "office")
    assert moved == [first.id, second.id]
    for task_id, old in before.items():
        now = await store.get(task_id)
        assert now is not None
        assert now.list == "office" and now.version == old.version + 1 and now.updated_at > old.updated_at
        assert now.model_dump(exclude={"list", "version", "updated_at"}) == old.model_dump(
            exclude={"list", "version", "updated_at"}
        )
    other = (await store.list_page(TaskQuery(list="inbox"), after_id=None, limit=5))[0]
    assert [(t.title, t.version) for t in other] == [("elsewhere", 1)]
    assert await store.lists() == [TaskList(name="inbox", open=1, done=0), TaskList(name="office", open=1, done=1)]
    assert [t.id for t in (await store.list_page(TaskQuery(list="office", tag="t"), after_id=None, limit=5))[0]] == [
        first.id
    ]
    assert await store.rename_list("work", "office") == []  # nothing is in work now
    assert await store.rename_list("nowhere", "office") == []
    assert await store.rename_list("office", "office") == []  # the same name changes nothing
    again = await store.get(first.id)
    assert again is not None and again.version == before[first.id].version + 1


async def test_rename_list_merges_into_an_existing_list(store: TaskStore) -> None:
    kept, _ = await store.create(NewTask(title="already home", list="home"))
    moved, _ = await store.create(NewTask(title="from work", list="work"))
    assert await store.rename_list("work", "home") == [moved.id]
    assert await store.lists() == [TaskList(name="home", open=2, done=0)]
    assert [t.id for t in (await store.list_page(TaskQuery(list="home"), after_id=None, limit=5))[0]] == [
        kept.id,
        moved.id,
    ]
    untouched = await store.get(kept.id)
    assert untouched == kept


async def test_an_update_with_a_version_read_before_a_rename_conflicts(store: TaskStore) -> None:
    task, _ = await store.create(NewTask(title="read", list="work"))
    assert await store.rename_list("work", "office") == [task.id]
    with pytest.raises(VersionConflict) as caught:
        await store.update(task.id, {"title": "stale"}, expected_version=task.version)
    assert caught.value.current == task.version + 1
    current = await store.get(task.id)
    assert current is not None and (current.title, current.list) == ("read", "office")
    updated, _ = await store.update(task.id, {"title": "fresh"}, expected_version=current.version)
    assert updated.version == task.version + 2


async def test_a_rename_and_concurrent_read_modify_writes_lose_nothing(store: TaskStore) -> None:
    """Writers tag every task of a list with expected_version (retrying on conflict) while the list is
    renamed: every tag lands, every task moves, and each has exactly one version per change."""
    tasks = [(await store.create(NewTask(title=f"t{n}", list="work")))[0] for n in range(8)]
    moved: list[int] = []

    async def tag(task: Task) -> None:
        while True:
            current = await store.get(task.id)
            assert current is not None
            try:
                await store.update(task.id, {"tags": ["tagged"]}, expected_version=current.version)
                return
            except VersionConflict:
                await anyio.lowlevel.checkpoint()

    async def rename() -> None:
        moved.extend(await store.rename_list("work", "office"))

    async with anyio.create_task_group() as group:
        for task in tasks[:4]:
            group.start_soon(tag, task)
        group.start_soon(rename)
        for task in tasks[4:]:
            group.start_soon(tag, task)
    assert moved == [t.id for t in tasks]
    for task in tasks:
        final = await store.get(task.id)
        assert final is not None and (final.list, final.tags, final.version) == ("office", ["tagged"], 3)
    assert await store.lists() == [TaskList(name="office", open=8, done=0)]


async def test_a_rename_that_fails_half_way_moves_nothing(store: TaskStore, backend: Backend) -> None:
    """A rename is one transaction: when one task's update fails, no task of the list has moved."""
    tasks = [(await store.create(NewTask(title=title, list="work")))[0] for title in ("a", EXPLODES, "c")]
    backend.sabotage_task_updates()
    with pytest.raises(StoreUnavailable, match="boom"):
        await store.rename_list("work", "office")
    for task in tasks:
        assert await store.get(task.id) == task
    assert await store.lists() == [TaskList(name="work", open=3, done=0)]
