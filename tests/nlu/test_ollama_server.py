"""The Ollama test server answers the official `ollama` client the way Ollama does."""

from collections.abc import Iterator

import httpx
import ollama
import pytest

from harness.ollama_server import BUSY_MESSAGE, VERSION, FakeOllama

pytestmark = pytest.mark.anyio


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    server = FakeOllama().start()
    yield server
    server.stop()


async def test_listing_showing_and_running_models(fake: FakeOllama) -> None:
    async with ollama.AsyncClient(host=fake.host) as client:
        assert [m.model for m in (await client.list()).models] == ["task-api-prod:latest"]
        assert (await client.show("task-api-prod")).details.quantization_level == "Q4_1"
        assert (await client.ps()).models == []
        await client.chat(model="task-api-prod", messages=[])  # loads it
        assert [m.model for m in (await client.ps()).models] == ["task-api-prod:latest"]
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{fake.host}/api/version")).json() == {"version": VERSION}


async def test_chat_streams_ndjson_and_answers_whole(fake: FakeOllama) -> None:
    fake.script.answer("hello", '{"action":"list_tasks"}')
    async with ollama.AsyncClient(host=fake.host) as client:
        messages = [{"role": "user", "content": "hello there"}]
        chunks = [
            c async for c in await client.chat(model="task-api-prod", messages=messages, stream=True, format="json")
        ]
        assert "".join(c.message.content for c in chunks) == '{"action":"list_tasks"}'
        assert chunks[-1].done and chunks[-1].done_reason == "stop" and not chunks[0].done
        whole = await client.chat(model="task-api-prod", messages=messages, format={"type": "object"})
        assert whole.message.content == '{"action":"list_tasks"}' and whole.done
        assert fake.script.requests[-1]["format"] == {"type": "object"}


async def test_errors_have_ollamas_status_and_body(fake: FakeOllama) -> None:
    async with ollama.AsyncClient(host=fake.host) as client:
        with pytest.raises(ollama.ResponseError) as missing:
            await client.chat(model="nope", messages=[{"role": "user", "content": "x"}])
        assert missing.value.status_code == 404 and missing.value.error == "model 'nope' not found"
        with pytest.raises(ollama.ResponseError) as missing_show:
            await client.show("nope")
        assert missing_show.value.status_code == 404
        fake.script.busy = True
        with pytest.raises(ollama.ResponseError) as busy:
            await client.chat(model="task-api-prod", messages=[{"role": "user", "content": "x"}])
        assert busy.value.status_code == 503 and busy.value.error == BUSY_MESSAGE


async def test_stopped_server_refuses_connections(fake: FakeOllama) -> None:
    fake.stop()
    async with ollama.AsyncClient(host=fake.host) as client:
        with pytest.raises(ConnectionError):
            await client.list()
