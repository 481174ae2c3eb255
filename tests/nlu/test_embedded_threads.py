"""How many CPU threads the embedded model takes: for one command, by default one core fewer than
the process may use (so that a second busy process or the event loop does not stall every token),
or what --model-threads / TASK_API_MODEL_THREADS say; a step that decodes several commands
together takes as many, or what --model-shared-threads / TASK_API_MODEL_SHARED_THREADS say."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mcp_server.app import build_embedded
from mcp_server.cli import build_parser
from mcp_server.config import ConfigError, Settings, settings_from_args
from mcp_server.nlu.llamacpp import LlamaCppParser, render_chatml
from mcp_server.nlu.prompt import messages_for
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended


def _usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


Decode = tuple[str, frozenset[int], int, int]  # (thread, sequences in the batch, threads, batch threads)


def _recording(decodes: list[Decode]) -> Any:
    """llama_decode, noting what llama.cpp holds at each call and on which thread."""
    import threading

    import llama_cpp

    decode = llama_cpp.llama_decode

    def recording(ctx: Any, batch: Any) -> int:
        sequences = frozenset(batch.seq_id[row][0] for row in range(batch.n_tokens))
        threads = (llama_cpp.llama_n_threads(ctx), llama_cpp.llama_n_threads_batch(ctx))
        decodes.append((threading.current_thread().name, sequences, *threads))
        return int(decode(ctx, batch))

    return recording


def _counts(decodes: list[Decode]) -> list[tuple[int, int, int]]:
    """(sequences in the batch, threads, batch threads) of each decode."""
    return [(len(sequences), threads, batch) for _, sequences, threads, batch in decodes]


@pytest.fixture(scope="module")
def gguf() -> Path:
    return require_embedded()


def test_the_default_leaves_a_core_free_for_one_command_and_for_several(gguf: Path) -> None:
    embedded = build_embedded(Settings())
    assert embedded is not None
    assert embedded.threads == max(1, min(_usable_cpus() - 1, 8))
    assert embedded.shared_threads == embedded.threads


def test_shared_steps_take_the_threads_set_for_them_never_fewer_than_one_commands(gguf: Path) -> None:
    assert build_embedded(Settings(model_threads=1)).shared_threads == 1  # type: ignore[union-attr]
    both = build_embedded(Settings(model_threads=1, model_shared_threads=3))
    assert (both.threads, both.shared_threads) == (1, 3)  # type: ignore[union-attr]
    assert build_embedded(Settings(model_threads=2, model_shared_threads=1)).shared_threads == 2  # type: ignore[union-attr]


def test_model_threads_from_the_flag_and_the_environment(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flagged = settings_from_args(build_parser().parse_args(["serve", "--model-threads", "1"]))
    assert flagged.model_threads == 1 and build_embedded(flagged).threads == 1  # type: ignore[union-attr]
    monkeypatch.setenv("TASK_API_MODEL_THREADS", "3")
    monkeypatch.setenv("TASK_API_MODEL_LOAD_TIMEOUT", "45")
    from_env = settings_from_args(build_parser().parse_args(["serve"]))
    assert from_env.model_threads == 3 and from_env.model_load_timeout_s == 45
    with pytest.raises(ConfigError, match="model threads"):
        Settings(model_threads=0).validate()
    monkeypatch.setenv("TASK_API_MODEL_SHARED_THREADS", "2")
    assert settings_from_args(build_parser().parse_args(["serve"])).model_shared_threads == 2
    flagged = settings_from_args(build_parser().parse_args(["serve", "--model-shared-threads", "4"]))
    assert flagged.model_shared_threads == 4
    with pytest.raises(ConfigError, match="model shared threads must be >= 1, got 0"):
        Settings(model_shared_threads=0).validate()
    monkeypatch.setenv("TASK_API_MODEL_SHARED_THREADS", "")  # empty: unset
    assert settings_from_args(build_parser().parse_args(["serve"])).model_shared_threads is None
    monkeypatch.setenv("TASK_API_MODEL_SHARED_THREADS", "-1")
    with pytest.raises(ConfigError, match="model shared threads must be >= 1, got -1"):
        settings_from_args(build_parser().parse_args(["serve"])).validate()
    with pytest.raises(ConfigError, match="load timeout"):
        Settings(model_load_timeout_s=0).validate()


@pytest.mark.anyio
async def test_generation_and_the_prompt_use_the_chosen_threads(gguf: Path) -> None:
    """The batch's context decodes one token and a batch (prompts, several sequences) with the
    chosen number, as llama.cpp reports it."""
    parser = LlamaCppParser(gguf=gguf, threads=1)
    async with parser.running():
        await load_ended(parser.health)
        assert parser._engine is not None
        threads = parser._engine.threads
    assert threads == (1, 1)


@pytest.mark.anyio
async def test_a_step_of_several_commands_takes_the_shared_threads_and_one_alone_does_not(
    gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What llama.cpp holds at each decode: one command alone (its prompt included) decodes with
    `threads`; steps that decode two commands with `shared_threads`, and the next step of one
    command alone with `threads` again; the answers are those the commands get alone."""
    import llama_cpp

    from mcp_server.nlu.llama_batch import Sampling

    decode = llama_cpp.llama_decode
    seen: list[Decode] = []
    recording = _recording(seen)

    parser = LlamaCppParser(gguf=gguf, threads=1, shared_threads=2)
    greedy = Sampling(temperature=0.0, top_p=1.0)
    commands = [
        render_chatml(messages_for(text))
        for text in ("remind me to water the plants", "push the dentist appointment to friday")
    ]
    async with parser.running():
        await load_ended(parser.health)
        engine = parser._engine
        assert engine is not None
        monkeypatch.setattr(llama_cpp, "llama_decode", recording)
        alone = [engine.submit(prompt, 48, greedy).wait(120) for prompt in commands]
        alone_decodes, seen[:] = _counts(seen), []
        generations = [engine.submit(prompt, 48, greedy) for prompt in commands]
        together = [generation.wait(120) for generation in generations]
        together_decodes, seen[:] = _counts(seen), []
        again = engine.submit(commands[0], 48, greedy).wait(120)
        monkeypatch.setattr(llama_cpp, "llama_decode", decode)
    decodes = _counts(seen)
    assert together == alone and again == alone[0]
    assert alone_decodes and set(alone_decodes) == {(1, 1, 1)}
    assert {(2, 2, 2)} <= set(together_decodes) <= {(1, 1, 1), (2, 2, 2)}
    assert engine.shared_steps == sum(1 for step in together_decodes if step[0] > 1)
    assert decodes and set(decodes) == {(1, 1, 1)}  # back to one thread once a command is alone


@pytest.mark.anyio
async def test_the_system_prompt_decodes_on_one_thread_and_commands_on_the_chosen_ones(
    gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load decodes the shared system prompt with one thread, on the loading thread; every
    decode of several threads runs on the scheduler's own thread (a decode of several threads on
    the loading thread made the scheduler's twice as slow: see BatchEngine._load)."""
    import llama_cpp

    decodes: list[Decode] = []
    monkeypatch.setattr(llama_cpp, "llama_decode", _recording(decodes))
    parser = LlamaCppParser(gguf=gguf, threads=2)
    async with parser.running():
        await load_ended(parser.health)
        assert parser._engine is not None
        parser._engine.submit(render_chatml(messages_for("remind me to water the plants")), 32).wait(120)
    prefix, *steps = decodes
    assert prefix[0] != "llama-batch" and prefix[1:] == (frozenset({0}), 1, 1)
    assert steps and {step[0] for step in steps} == {"llama-batch"}
    assert {step[2:] for step in steps} == {(2, 2)}
