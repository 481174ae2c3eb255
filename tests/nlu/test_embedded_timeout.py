"""The embedded model's time limits, with the real small model in-process: a command that runs past
--model-timeout gets the model's timeout error (a tool error, a 503 over REST), is counted in health,
and its sequence leaves the batch at the next step, freeing its cells, while the commands decoded
with it go on to their answers; the timeout is the one the operator set."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client

from mcp_server.app import App, build_embedded, open_app
from mcp_server.config import Settings
from mcp_server.core.errors import ModelUnavailable
from mcp_server.http.rest import build_rest_app
from mcp_server.nlu.llamacpp import LlamaCppParser
from mcp_server.observability.health import ComponentState
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended, wait_until

pytestmark = pytest.mark.anyio

TOO_SHORT_S = 0.02  # no generation of an action finishes this fast: the command must time out
NOT_BY_RULES = "remind me to water the plants tomorrow"  # the rules leave it to the model


@pytest.fixture(scope="module")
def gguf() -> Path:
    return require_embedded()


async def _wait_ready(app: App) -> LlamaCppParser:
    await load_ended(app.health.model)
    assert app.health.model.state == ComponentState.READY, app.health.model.detail
    assert isinstance(app.parser, LlamaCppParser)
    return app.parser


async def _wait_model_free(parser: LlamaCppParser, within_s: float = 10) -> None:
    """The scheduler drops a timed-out command's sequence at its next step."""
    await wait_until(lambda: not parser.generating, within_s=within_s, what="the scheduler dropping the sequence")


@pytest.fixture
async def timing_out(gguf: Path, db_path: Path) -> AsyncIterator[App]:
    settings = Settings(db=str(db_path), backend="llamacpp", model_timeout_s=TOO_SHORT_S)
    async with open_app(settings) as app:
        await _wait_ready(app)
        yield app


async def test_a_command_past_the_timeout_gets_the_models_timeout_error(timing_out: App) -> None:
    parser = timing_out.parser
    assert isinstance(parser, LlamaCppParser)
    async with Client(timing_out.server) as client:
        result = await client.call_tool("process_command", {"command": NOT_BY_RULES, "dry_run": True})
        assert result.is_error
        assert f"did not answer within {TOO_SHORT_S:g} s" in result.content[0].text
        assert parser.health.counts["timeouts"] == 1
        await _wait_model_free(parser)
        parser.timeout_s = 120  # the operator's next command, with time enough: the model is free for it
        after = await client.call_tool("process_command", {"command": NOT_BY_RULES, "dry_run": True})
        health = json.loads((await client.read_resource("health://status")).contents[0].text)
    assert not after.is_error, after.content[0].text
    assert after.structured_content["parser"] == "llamacpp"
    assert health["components"]["model"]["backends"]["llamacpp"]["timeouts"] == 1


async def test_a_timeout_over_rest_is_a_503_model_unavailable(timing_out: App) -> None:
    rest = build_rest_app(timing_out.service, timing_out.runner)
    transport = httpx.ASGITransport(app=rest, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        plain = await http.post("/v1/task", json={"command": NOT_BY_RULES, "dry_run": True})
        streamed = await http.post("/v1/task", json={"command": NOT_BY_RULES, "dry_run": True, "stream": True})
    assert plain.status_code == 503, plain.text
    error = plain.json()["error"]
    assert error["code"] == "model_unavailable" and "did not answer within" in error["message"]
    assert streamed.status_code == 200 and "event: error" in streamed.text and "model_unavailable" in streamed.text
    assert timing_out.health.model.snapshot()["timeouts"] == 2


async def test_a_timed_out_generation_stops_instead_of_running_on(gguf: Path) -> None:
    """After the timeout, the scheduler ends the generation at its next step: it produced far fewer
    tokens than a whole answer to the same command, and its cells are free."""
    parser = LlamaCppParser(gguf=gguf, timeout_s=TOO_SHORT_S)
    async with parser.running():
        await load_ended(parser.health)
        engine = parser._engine
        assert engine is not None
        before = engine.tokens_generated
        with pytest.raises(ModelUnavailable, match="did not answer within"):
            await parser.parse(NOT_BY_RULES)
        await _wait_model_free(parser)
        stopped = engine.tokens_generated - before
        assert engine.sequences_in_memory() == 0
        parser.timeout_s = 120
        before = engine.tokens_generated
        await parser.parse(NOT_BY_RULES)
        answered = engine.tokens_generated - before
        before = engine.tokens_generated
        with anyio.move_on_after(TOO_SHORT_S):  # the caller gives up: the same as a timeout for the scheduler
            await parser.parse(NOT_BY_RULES)
        await _wait_model_free(parser)
        cancelled = engine.tokens_generated - before
        assert engine.sequences_in_memory() == 0
    # Tokens sampled (what the contract decides is appended without sampling: about 8 are left).
    assert answered >= 4 and stopped * 2 <= answered, (stopped, answered)
    assert cancelled * 2 <= answered, (cancelled, answered)
    assert parser.health.counts["timeouts"] == 1


async def test_one_command_timing_out_or_cancelled_leaves_the_others_generating(gguf: Path) -> None:
    """Commands decoded in the same batch as one that times out, and as one whose caller gives up,
    go on to the answers they get alone."""
    parser = LlamaCppParser(gguf=gguf, timeout_s=120)
    others = ["push the dentist appointment to friday", "the invoice task is finished"]
    async with parser.running():
        await load_ended(parser.health)
        alone = [(await parser.parse(command)).raw_output for command in others]
        answers: dict[int, str] = {}
        generating = [anyio.Event() for _ in others]

        async def parse(i: int) -> None:
            async def on_partial(_: str) -> None:
                generating[i].set()

            answers[i] = (await parser.parse(others[i], on_partial=on_partial)).raw_output

        async with anyio.create_task_group() as group:
            for i in range(len(others)):
                group.start_soon(parse, i)
            for event in generating:
                await event.wait()  # both are in the batch
            parser.timeout_s = TOO_SHORT_S  # read as a command starts: only the next one gets it
            with pytest.raises(ModelUnavailable, match="did not answer within"):
                await parser.parse(NOT_BY_RULES)
            parser.timeout_s = 120
            with anyio.move_on_after(TOO_SHORT_S):
                await parser.parse(NOT_BY_RULES)
        assert [answers[i] for i in range(len(others))] == alone
        await _wait_model_free(parser)
        assert parser._engine is not None and parser._engine.sequences_in_memory() == 0
    assert parser.health.counts["timeouts"] == 1


def test_the_scheduler_writes_a_generation_without_waiting_for_its_caller(gguf: Path) -> None:
    """What the scheduler hands a generation never blocks on, or raises from, a caller that has
    gone; a caller that gives up is answered at once, and the scheduler is told."""
    from mcp_server.nlu.llama_batch import Generation, Sampling

    woken: list[str] = []
    sampling = Sampling(temperature=0.0, top_p=1.0)
    finished = Generation("prompt", 8, sampling, lambda: woken.append("wake"))
    finished._grow('{"action"', 2)  # nobody waits: stored, nothing blocks
    finished._finish('{"action":"list_tasks","params":{}}')
    finished.cancel()  # too late: a no-op
    assert finished.wait_for_more("", timeout=0) == ('{"action":"list_tasks","params":{}}', True)
    assert finished.result().startswith('{"action"') and woken == []
    left = Generation("prompt", 8, sampling, lambda: woken.append("wake"))
    left.cancel()
    assert left.wait_for_more("", timeout=0) == ("", True) and woken == ["wake"]
    with pytest.raises(ModelUnavailable, match="stopped"):
        left.result()


def test_the_embedded_model_gets_the_timeout_the_operator_set(gguf: Path) -> None:
    embedded = build_embedded(Settings(model_timeout_s=5))
    assert embedded is not None and embedded.timeout_s == 5
    loading = build_embedded(Settings(model_timeout_s=5, model_load_timeout_s=42))
    assert loading is not None and loading.load_timeout_s == 42


async def test_a_load_past_its_timeout_is_unavailable_and_the_late_model_is_not_kept(
    gguf: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The load runs on in its thread after the timeout (a C call cannot be interrupted); when it
    ends, the model is closed, not kept as if ready."""
    parser = LlamaCppParser(gguf=gguf, load_timeout_s=TOO_SHORT_S)
    caplog.set_level("INFO", logger="mcp_server.nlu.llamacpp")
    async with parser.running():
        await wait_until(
            lambda: any(r.message == "model_load_discarded" for r in caplog.records),
            within_s=120,
            what="the late load being discarded",
        )
        assert parser.health.state == ComponentState.UNAVAILABLE
        assert "did not load within" in parser.health.detail
        assert parser._engine is None
