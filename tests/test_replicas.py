"""Several server replicas on one PostgreSQL database, as the Kubernetes manifests run them: real
server processes, real MCP clients over HTTP, and the database restarted under them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from harness.clients import http_client_with_headers
from harness.postgres_server import PostgresServer
from harness.servers import HttpServer, start_http_server
from mcp_server.core.keys import ApiKeys
from mcp_server.store import PostgresTaskStore
from tests.support.clients import add_tag_until_it_lands, call
from tests.support.waiting import wait_until

pytestmark = pytest.mark.anyio

CLIENTS = 10


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path) -> Iterator[list[HttpServer]]:
    servers = [start_http_server(pg_url, tmp_path / f"replica{n}.log", "--backend", "none") for n in range(2)]
    yield servers
    for server in servers:
        server.stop()


async def test_two_replicas_and_ten_clients_lose_nothing_and_duplicate_nothing(replicas: list[HttpServer]) -> None:
    """Clients spread over both replicas: read-modify-write on shared tasks with expected_version,
    creates retried on the other replica with the same idempotency key, completions, and one key that
    all clients race for. Then pages walked across both replicas."""
    first, second = replicas
    async with httpx.AsyncClient() as http:
        for replica in replicas:
            ready = (await http.get(f"{replica.base_url}/readyz", timeout=5)).json()
            assert ready["components"]["store"]["backend"].startswith("postgresql://postgres@127.0.0.1:")
    async with Client(first.mcp_url) as setup:
        shared = [(await call(setup, "create_task", title=f"shared {n}"))["id"] for n in range(3)]
    conflicts = 0
    raced: list[int] = []

    async def worker(n: int) -> None:
        nonlocal conflicts
        home, other = (first, second) if n % 2 == 0 else (second, first)
        async with Client(home.mcp_url) as client, Client(other.mcp_url) as retry:
            for task_id in shared:
                conflicts += await add_tag_until_it_lands(client, task_id, f"c{n}")
            own: dict[str, Any] = {}
            arguments = {"title": f"own {n}", "idempotency_key": f"own-{n}"}

            async def create_on(target: Client, slot: str) -> None:
                own[slot] = await call(target, "create_task", **arguments)

            async with anyio.create_task_group() as both:  # the first try and its retry, on both replicas at once
                both.start_soon(create_on, client, "first")
                both.start_soon(create_on, retry, "retry")
            assert own["first"]["id"] == own["retry"]["id"]
            await call(client, "complete_task", task_id=own["first"]["id"])
            raced.append((await call(retry, "create_task", title="raced", idempotency_key="race"))["id"])

    with anyio.fail_after(180):
        async with anyio.create_task_group() as group:
            for n in range(CLIENTS):
                group.start_soon(worker, n)

    async with Client(second.mcp_url) as check_b, Client(first.mcp_url) as check_a:
        for task_id in shared:
            task = json.loads((await check_a.read_resource(f"task://{task_id}")).contents[0].text)
            assert sorted(task["tags"]) == sorted(f"c{n}" for n in range(CLIENTS)) and task["version"] == CLIENTS + 1
        assert len(set(raced)) == 1
        seen: list[int] = []
        cursor = None
        for page_number in range(100):
            checker = check_a if page_number % 2 == 0 else check_b
            page = await call(checker, "list_tasks", limit=4, **({"cursor": cursor} if cursor else {}))
            seen.extend(task["id"] for task in page["tasks"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        done = await call(check_b, "list_tasks", status="done", limit=50)
    expected = len(shared) + CLIENTS + 1
    assert len(seen) == len(set(seen)) == expected and seen == sorted(seen)
    assert page["total"] == expected
    assert sorted(t["title"] for t in done["tasks"]) == sorted(f"own {n}" for n in range(CLIENTS))
    print(f"replicas=2 clients={CLIENTS} tasks={expected} version conflicts retried={conflicts}")


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().init().start()
    yield server
    server.destroy()


async def test_a_database_restart_mid_run_fails_calls_clearly_then_recovers(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = own_postgres.create_database()
    server = start_http_server(url, tmp_path / "server.log", "--backend", "none")
    try:
        async with Client(server.mcp_url) as client, httpx.AsyncClient(base_url=server.base_url) as http:
            before = await call(client, "create_task", title="before")
            assert (await http.get("/readyz")).status_code == 200
            own_postgres.stop()
            failed = await client.call_tool("list_tasks", {})
            assert failed.is_error and "task database" in failed.content[0].text, failed.content
            down = await http.get("/readyz", timeout=15)
            assert down.status_code == 503 and "store" in down.json()["reason"]
            rest = await http.get("/v1/tasks", timeout=15)
            assert rest.status_code == 503 and rest.json()["error"]["code"] == "store_unavailable"
            own_postgres.start()

            async def ready() -> bool:
                return (await http.get("/readyz", timeout=15)).status_code == 200

            await wait_until(ready, within_s=20, what="/readyz answering 200 once the database is back")
            page = await call(client, "list_tasks")
            assert [t["id"] for t in page["tasks"]] == [before["id"]]
            await call(client, "create_task", title="after")
        assert "Traceback" not in server.logs()
    finally:
        server.stop()


async def test_recurring_completions_and_batches_on_two_replicas_lose_and_duplicate_nothing(
    replicas: list[HttpServer],
) -> None:
    """Every client completes one occurrence of one shared daily task, and sends an atomic batch of
    creates to both replicas at once (the same idempotency keys: a retry). Each completion moves the
    due exactly one day; each batch creates its tasks once."""
    first, second = replicas
    async with Client(first.mcp_url) as setup:
        daily = await call(setup, "create_task", title="daily", due="2027-01-01", recurrence="FREQ=DAILY")

    async def worker(n: int) -> None:
        home, other = (first, second) if n % 2 == 0 else (second, first)
        operations = [{"op": "create", "title": f"batch {n}.{k}", "idempotency_key": f"b{n}.{k}"} for k in range(5)]
        results: dict[str, Any] = {}
        async with Client(home.mcp_url) as client, Client(other.mcp_url) as retry:
            await call(client, "complete_task", task_id=daily["id"])

            async def batch_on(target: Client, slot: str) -> None:
                results[slot] = await call(target, "batch_tasks", operations=operations, atomic=True)

            async with anyio.create_task_group() as both:
                both.start_soon(batch_on, client, "first")
                both.start_soon(batch_on, retry, "retry")
        ids = {slot: [r["task"]["id"] for r in result["results"]] for slot, result in results.items()}
        assert results["first"]["applied"] and results["retry"]["applied"]
        assert ids["first"] == ids["retry"]

    with anyio.fail_after(180):
        async with anyio.create_task_group() as group:
            for n in range(CLIENTS):
                group.start_soon(worker, n)

    async with Client(second.mcp_url) as check:
        detail = await call(check, "get_task", task_id=daily["id"], include=["history"])
        page = await call(check, "list_tasks", search="batch", limit=100)
    assert (detail["task"]["due"], detail["task"]["status"]) == ("2027-01-11", "open")
    assert detail["task"]["version"] == CLIENTS + 1
    completed = [e for e in detail["history"] if e["kind"] == "occurrence_completed"]
    assert [e["changes"]["due"]["new"] for e in completed] == [f"2027-01-{day:02d}" for day in range(2, 12)]
    titles = sorted(t["title"] for t in page["tasks"])
    assert titles == sorted(f"batch {n}.{k}" for n in range(CLIENTS) for k in range(5))


async def test_two_principals_on_two_replicas_see_only_their_own_and_lose_nothing(pg_url: str, tmp_path: Path) -> None:
    """Ten clients of each of two principals, spread over both replicas, with keys from the shared
    store: read-modify-write on each principal's own shared tasks, creates with the same idempotency
    keys in both principals, and tries at the other principal's ids through MCP and REST. Nothing
    crosses over, and no update is lost."""
    store = PostgresTaskStore(pg_url)
    await store.open()
    try:
        keys = {name: (await ApiKeys(store).create(name))[0] for name in ("alice", "bob")}
    finally:
        await store.close()
    servers = [start_http_server(pg_url, tmp_path / f"replica{n}.log", "--backend", "none") for n in range(2)]
    try:

        def connect(server: HttpServer, who: str) -> Client:
            return http_client_with_headers(server.mcp_url, {"Authorization": f"Bearer {keys[who]}"})

        shared: dict[str, list[int]] = {}
        for who in keys:
            async with connect(servers[0], who) as setup:
                shared[who] = [(await call(setup, "create_task", title=f"{who}'s {n}"))["id"] for n in range(3)]
        crossings: list[str] = []

        async def worker(who: str, n: int) -> None:
            other = "bob" if who == "alice" else "alice"
            home, away = (servers[0], servers[1]) if n % 2 == 0 else (servers[1], servers[0])
            async with connect(home, who) as client, connect(away, who) as retry, httpx.AsyncClient() as http:
                for task_id in shared[who]:
                    await add_tag_until_it_lands(client, task_id, f"c{n}")
                made = await call(client, "create_task", title=f"{who} own {n}", idempotency_key=f"own-{n}")
                again = await call(retry, "create_task", title=f"{who} own {n}", idempotency_key=f"own-{n}")
                assert made["id"] == again["id"]
                for task_id in shared[other]:
                    for tool, arguments in (
                        ("get_task", {"task_id": task_id}),
                        ("update_task", {"task_id": task_id, "tags": [f"stolen-{n}"]}),
                        ("delete_task", {"task_id": task_id}),
                    ):
                        if not (await client.call_tool(tool, arguments)).is_error:
                            crossings.append(f"{who} {tool} {task_id}")
                    response = await http.get(
                        f"{away.base_url}/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {keys[who]}"}
                    )
                    if response.status_code != 404:
                        crossings.append(f"{who} GET {task_id}: {response.status_code}")

        with anyio.fail_after(180):
            async with anyio.create_task_group() as group:
                for who in keys:
                    for n in range(CLIENTS):
                        group.start_soon(worker, who, n)
        assert crossings == []
        for who in keys:
            async with connect(servers[1], who) as check:
                page = await call(check, "list_tasks", limit=50)
                titles = sorted(task["title"] for task in page["tasks"])
                assert titles == sorted([f"{who}'s {n}" for n in range(3)] + [f"{who} own {n}" for n in range(CLIENTS)])
                for task_id in shared[who]:
                    task = json.loads((await check.read_resource(f"task://{task_id}")).contents[0].text)
                    assert sorted(task["tags"]) == sorted(f"c{n}" for n in range(CLIENTS)), task
                    assert task["version"] == CLIENTS + 1
    finally:
        for server in servers:
            server.stop()
