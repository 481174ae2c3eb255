"""Batched decoding in the embedded backend, with the real small model: commands decoded together
get the answers they get one at a time (and that the serial llama-cpp-python path gives), each
with its own grammar; a sequence that ends frees its cells; a prompt waits for room in the cache
rather than failing; and the queue in front still refuses at once when full."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from mcp_server.core.errors import ModelUnavailable
from mcp_server.nlu.actions import action_json_schema, parse_action
from mcp_server.nlu.llamacpp import LlamaCppParser, engine_config, render_chatml, shipped_adapter
from mcp_server.nlu.prompt import OPTIONS, STOP_TOKENS, messages_for
from mcp_server.nlu.refusals import NOT_A_TASK, refusal_answer
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended, wait_until, wait_until_sync

if TYPE_CHECKING:  # the engine needs llama-cpp-python: imported once require_embedded has checked
    from mcp_server.nlu.llama_batch import BatchEngine, Generation, Sampling

COMMANDS = [
    "remind me to water the plants tomorrow",
    "push the dentist appointment to friday",
    "what do I still have to do this week?",
    "the invoice task is finished",
    "cancel business meeting on wednesday",
    "tell me a joke",
]
ANSWER = int(OPTIONS["num_predict"])
SAMPLINGS = ["greedy", "as-served"]


@pytest.fixture(scope="module")
def gguf() -> Path:
    return require_embedded()


@pytest.fixture(scope="module")
def engine(gguf: Path) -> Iterator[BatchEngine]:
    """One engine for the module: the model with the shipped adapter, one thread, as served."""
    from mcp_server.nlu.llama_batch import BatchEngine

    loaded = BatchEngine(engine_config(gguf=gguf, adapter=shipped_adapter(), threads=1))
    loaded.start()
    yield loaded
    loaded.close()


def _sampling(name: str) -> Sampling | None:
    """Greedy, or None: the engine's own (the served temperature)."""
    from mcp_server.nlu.llama_batch import Sampling

    return Sampling(temperature=0.0, top_p=float(OPTIONS["top_p"])) if name == "greedy" else None


def _submit(
    engine: BatchEngine, command: str, sampling: Sampling | None = None, max_tokens: int = ANSWER
) -> Generation:
    return engine.submit(render_chatml(messages_for(command)), max_tokens, sampling)


def _one_at_a_time(engine: BatchEngine, sampling: Sampling | None = None) -> list[str]:
    return [_submit(engine, command, sampling).wait(120) for command in COMMANDS]


def _together(engine: BatchEngine, sampling: Sampling | None = None, max_tokens: int = ANSWER) -> list[str]:
    generations = [_submit(engine, command, sampling, max_tokens) for command in COMMANDS]
    return [generation.wait(120) for generation in generations]


@pytest.mark.parametrize("name", SAMPLINGS)
def test_commands_decoded_together_get_the_answers_they_get_one_at_a_time(engine: BatchEngine, name: str) -> None:
    """Each sequence has its own grammar and sampler, seeded alike: the batch changes no answer,
    greedy or at the served temperature."""
    sampling = _sampling(name)
    alone = _one_at_a_time(engine, sampling)
    engine.peak_sequences = 0
    assert _together(engine, sampling) == alone
    assert engine.peak_sequences == len(COMMANDS)  # they were decoded in the same steps
    for answer in alone:
        parse_action(answer)  # each grammar held: every answer is one valid action
    assert engine.sequences_in_memory() == 0  # every sequence that ended freed its cells


@pytest.fixture(scope="module")
def sampling_everything(gguf: Path) -> Iterator[BatchEngine]:
    """The engine without the contract's continuation: every token sampled."""
    from mcp_server.nlu.llama_batch import BatchEngine

    loaded = BatchEngine(replace(engine_config(gguf=gguf, adapter=shipped_adapter(), threads=1), forced=None))
    loaded.start()
    yield loaded
    loaded.close()


def test_greedy_answers_are_the_serial_llama_cpp_paths(sampling_everything: BatchEngine, gguf: Path) -> None:
    """The answers of the batch are those of llama-cpp-python's own completion (what this backend
    ran before, one command at a time), for greedy decoding of the same prompts."""
    from llama_cpp import Llama
    from llama_cpp.llama_grammar import LlamaGrammar

    engine = sampling_everything

    adapter = shipped_adapter()
    serial = Llama(
        model_path=str(gguf),
        n_ctx=int(OPTIONS["num_ctx"]),
        n_threads=1,
        n_threads_batch=1,
        lora_path=str(adapter) if adapter else None,
        verbose=False,
    )
    grammar = LlamaGrammar.from_json_schema(json.dumps(action_json_schema()), verbose=False)
    commands = COMMANDS[:3]
    expected = []
    for command in commands:
        completion = serial.create_completion(
            render_chatml(messages_for(command)),
            max_tokens=ANSWER,
            temperature=0.0,
            stop=list(STOP_TOKENS),
            grammar=grammar,
        )
        assert isinstance(completion, dict)  # not streamed
        expected.append(completion["choices"][0]["text"])
    serial.close()
    generations = [_submit(engine, command, _sampling("greedy")) for command in commands]
    assert [generation.wait(120) for generation in generations] == expected


@pytest.mark.parametrize("name", SAMPLINGS)
def test_what_the_contract_decides_is_appended_not_sampled(
    engine: BatchEngine, sampling_everything: BatchEngine, name: str
) -> None:
    """The same answers as sampling every token, in well under half the sampled tokens (the
    opening, the action's name and what follows it, the keys once begun)."""
    sampling = _sampling(name)
    before = sampling_everything.tokens_generated
    everything = _together(sampling_everything, sampling)
    sampled_everything = sampling_everything.tokens_generated - before
    before, forced_before = engine.tokens_generated, engine.tokens_forced
    assert _together(engine, sampling) == everything
    sampled, forced = engine.tokens_generated - before, engine.tokens_forced - forced_before
    assert sampled + forced >= sampled_everything - len(COMMANDS)  # the end token is never needed
    assert sampled * 2 < sampled_everything, (sampled, sampled_everything)


@pytest.mark.parametrize("name", SAMPLINGS)
def test_the_sampling_shortcut_picks_the_tokens_the_whole_grammar_pass_picks(engine: BatchEngine, name: str) -> None:
    sampling = _sampling(name)
    engine.shortcut = False
    try:
        before = engine.sampling_passes
        everything = _together(engine, sampling)
        assert engine.sampling_passes[0] == before[0]  # none taken: the grammar read the whole vocabulary
    finally:
        engine.shortcut = True
    before = engine.sampling_passes
    assert _together(engine, sampling) == everything
    shortcuts, full_passes = (now - then for now, then in zip(engine.sampling_passes, before, strict=True))
    assert shortcuts > 4 * full_passes  # nearly every token came from the candidates alone


def test_a_prompt_waits_for_room_in_the_cache_instead_of_failing(engine: BatchEngine) -> None:
    """Each sequence reserves its prompt and its whole token limit before it joins: with limits as
    large as the context allows, only a few fit in the cache, so the others wait for a sequence to
    leave, and all get their answers."""
    alone = _one_at_a_time(engine)
    prefix = len(engine.tokenize(engine.config.prefix))
    largest = engine.config.context_per_sequence
    fit = (engine.config.n_ctx - prefix) // (largest - prefix)  # each reserves all the context left
    assert 1 <= fit < len(COMMANDS)
    engine.peak_sequences = 0
    assert _together(engine, max_tokens=largest) == alone
    assert engine.peak_sequences == fit


def test_a_cancelled_generation_leaves_the_batch_and_the_others_go_on(engine: BatchEngine) -> None:
    alone = _one_at_a_time(engine)
    generations = [_submit(engine, command) for command in COMMANDS]
    leaving = generations[1]
    text, over = leaving.wait_for_more("", timeout=60)  # it is in the batch: its first token is there
    assert text and not over
    leaving.cancel()
    assert leaving.wait_for_more(text, timeout=0)[1]  # whoever waits on it returns at once
    with pytest.raises(ModelUnavailable, match="stopped"):
        leaving.result()
    answers = [generation.wait(120) for i, generation in enumerate(generations) if i != 1]
    assert answers == [answer for i, answer in enumerate(alone) if i != 1]
    # The scheduler dropped it at its next step: nothing is in flight, and its cells are free.
    wait_until_sync(lambda: not engine.busy, within_s=30, what="the scheduler dropping the cancelled sequence")
    assert engine.sequences_in_memory() == 0


def test_a_prompt_too_long_for_the_context_is_refused_not_decoded(engine: BatchEngine) -> None:
    generation = _submit(engine, "buy milk " * 1200)
    with pytest.raises(ModelUnavailable, match="too long"):
        generation.wait(60)
    assert _submit(engine, COMMANDS[0]).wait(120)  # the engine goes on


def test_a_closed_engine_ends_what_it_still_had_and_refuses_more(gguf: Path) -> None:
    from mcp_server.nlu.llama_batch import BatchEngine

    closing = BatchEngine(engine_config(gguf=gguf, adapter=None, threads=1))
    closing.start()
    generation = _submit(closing, COMMANDS[0])
    closing.close()
    with pytest.raises(ModelUnavailable):
        generation.wait(60)  # answered or stopped, it ends: the caller is never left waiting
    with pytest.raises(ModelUnavailable, match="stopping"):
        _submit(closing, COMMANDS[0])


@pytest.mark.anyio
async def test_the_parser_decodes_concurrent_commands_together_and_its_queue_still_refuses_when_full(
    gguf: Path,
) -> None:
    parser = LlamaCppParser(
        gguf=gguf, adapter=shipped_adapter(), threads=1, max_sequences=2, max_queued=1, timeout_s=120
    )
    async with parser.running():
        await load_ended(parser.health)
        alone = [(await parser.parse(command)).raw_output for command in COMMANDS[:2]]
        together: dict[int, str] = {}
        generating = anyio.Event()

        async def parse(i: int) -> None:
            async def on_partial(_: str) -> None:
                if i == 1:
                    generating.set()

            together[i] = (await parser.parse(COMMANDS[i], on_partial=on_partial)).raw_output

        async with anyio.create_task_group() as group:
            group.start_soon(parse, 0)
            group.start_soon(parse, 1)
            await generating.wait()  # both hold a generation slot (there are two)
            waiting = anyio.Event()

            async def queued() -> None:
                waiting.set()
                await parser.parse(COMMANDS[2])

            group.start_soon(queued)
            await waiting.wait()
            await wait_until(lambda: parser.health.queued == 1, within_s=30, what="the third command queueing")
            with pytest.raises(ModelUnavailable, match="busy"):
                await parser.parse(COMMANDS[3])  # the queue is full: refused at once
        assert [together[0], together[1]] == alone
        assert parser._engine is not None and parser._engine.peak_sequences == 2
    assert parser.health.counts["busy_refusals"] == 1


@pytest.mark.anyio
async def test_a_scheduler_that_fails_ends_its_commands_and_health_says_why(
    gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llama_cpp

    from mcp_server.observability.health import ComponentState

    parser = LlamaCppParser(gguf=gguf, threads=1, timeout_s=120)
    async with parser.running():
        await load_ended(parser.health)

        def broken(*_: object) -> int:
            raise RuntimeError("decode broke")

        monkeypatch.setattr(llama_cpp, "llama_decode", broken)
        with pytest.raises(ModelUnavailable, match="failed: RuntimeError: decode broke"):
            await parser.parse(COMMANDS[0])
        assert parser.health.state == ComponentState.UNAVAILABLE
        assert "decode broke" in parser.health.detail
        with pytest.raises(ModelUnavailable):
            await parser.parse(COMMANDS[0])  # refused at once: the model is unavailable


def test_a_refusal_ends_once_its_first_words_decide_it(engine: BatchEngine, gguf: Path) -> None:
    """The same refusal as decoding it to the end, in a third fewer tokens at least."""
    from mcp_server.nlu.llama_batch import BatchEngine

    whole = BatchEngine(replace(engine_config(gguf=gguf, adapter=shipped_adapter(), threads=1), finish_early=None))
    whole.start()
    try:
        answered = _submit(whole, "tell me a joke").wait(120)
        decoded_whole = whole.tokens_generated
    finally:
        whole.close()
    before = engine.tokens_generated
    early = _submit(engine, "tell me a joke").wait(120)
    decoded_early = engine.tokens_generated - before
    assert early == answered == refusal_answer(NOT_A_TASK)
    assert decoded_early * 3 < decoded_whole * 2, (decoded_early, decoded_whole)
