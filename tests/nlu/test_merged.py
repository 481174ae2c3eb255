"""The task adapter merged into the base GGUF, with the real files: the merged model gives the
next-token logits the base gives with the adapter applied at run time (to within the rounding of
the two paths), the same greedy answers to dev commands as the server prompts them, keeps the
base's metadata and tokenizer, and the merged file is cached by the content of both inputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import gguf
import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.merged_adapter import loaded_model
from mcp_server.nlu.llamacpp import (
    engine_config,
    render_chatml,
    route_llama_logs,
    sha256_of,
    shipped_adapter,
    system_prefix,
)
from mcp_server.nlu.merged import (
    DEFAULT_QUANT,
    LORA_A,
    MERGED_FROM_KEY,
    merge_adapter,
    merged_model,
    open_gguf,
)
from mcp_server.nlu.prompt import OPTIONS, messages_for
from tests.support.embedded import require_embedded

if TYPE_CHECKING:
    from mcp_server.nlu.llama_batch import BatchEngine

ROOT = Path(__file__).parents[2]
# (command, what the answer already says): the first token of an answer, and tokens inside one.
LOGIT_PROMPTS = [
    ("remind me to water the plants tomorrow", ""),
    ("delete task 12", '{"action":"'),
    ("tell me a joke", ""),
    ("what's on my shopping list", '{"action":"list_tasks","params":{'),
]
# The merged weights are the runtime sum rounded to Q8_0 (and llama.cpp rounds activations to
# 8 bits on both paths, differently for Q4_1 and Q8_0 weights), so the logits are close, not
# equal. Measured: their distance to the runtime logits is 1-4% of the adapter's own effect (the
# distance from the base's logits), and at most 1.5 apart on any token, where the adapter moves
# them by 27-34. A merge that loses the delta (Q4_1: about 90-100%) or lays B @ A the wrong way
# on the square projections (5-28%) is far outside 10%.
RELATIVE_TOLERANCE = 0.10
ABSOLUTE_TOLERANCE = 3.0
GREEDY_COMMANDS = 20

Logits = npt.NDArray[np.float32]


@pytest.fixture(scope="module")
def base() -> Path:
    return require_embedded()


@pytest.fixture(scope="module")
def adapter() -> Path:
    path = shipped_adapter()
    if path is None:
        pytest.skip("this copy has no task adapter")
    return path


@pytest.fixture(scope="module")
def merged(base: Path, adapter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return merged_model(base, adapter, tmp_path_factory.mktemp("merged"))


def _logits(model_path: Path, adapter: Path | None) -> Logits:
    """The next-token logits after each of LOGIT_PROMPTS, rendered as the server renders them:
    the system prefix decoded once, each prompt's own tokens after it."""
    import llama_cpp

    route_llama_logs()
    llama_cpp.llama_backend_init()
    # llama.cpp's default attention: the tolerances below were measured with it (with the engine's,
    # flash attention off, one of the four prompts lands at 14% of the adapter's effect)
    with loaded_model(model_path, adapter, 1, flash_attention_off=False) as (_, ctx, vocab):
        memory = llama_cpp.llama_get_memory(ctx)

        def tokens(text: str, *, first: bool) -> list[int]:
            raw = text.encode()
            buffer = (llama_cpp.llama_token * (len(raw) + 8))()
            count = llama_cpp.llama_tokenize(vocab, raw, len(raw), buffer, len(buffer), first, True)
            return list(buffer[:count])

        def decode(ids: list[int], start: int) -> None:
            batch = llama_cpp.llama_batch_init(len(ids), 0, 1)
            try:
                for i, token in enumerate(ids):
                    batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, start + i, 1
                    batch.seq_id[i][0], batch.logits[i] = 0, i == len(ids) - 1
                batch.n_tokens = len(ids)
                assert llama_cpp.llama_decode(ctx, batch) == 0
            finally:
                llama_cpp.llama_batch_free(batch)

        prefix = system_prefix()
        shared = tokens(prefix, first=True)
        decode(shared, 0)
        rows = []
        for command, answer in LOGIT_PROMPTS:
            whole = render_chatml(messages_for(command)) + answer
            assert whole.startswith(prefix)
            llama_cpp.llama_memory_seq_rm(memory, 0, len(shared), -1)
            rest = tokens(whole[len(prefix) :], first=False)
            decode(rest, len(shared))
            n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
            rows.append(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,)).copy())
        return np.array(rows)


def test_the_merged_model_gives_the_runtime_adapters_logits(base: Path, adapter: Path, merged: Path) -> None:
    at_run_time, merged_logits, base_alone = _logits(base, adapter), _logits(merged, None), _logits(base, None)
    effect = np.linalg.norm(base_alone - at_run_time, axis=1)
    distance = np.linalg.norm(merged_logits - at_run_time, axis=1)
    assert (distance < RELATIVE_TOLERANCE * effect).all(), (distance / effect).round(3)
    assert np.abs(merged_logits - at_run_time).max() < ABSOLUTE_TOLERANCE
    # Where the runtime's best token leads clearly, the merged model picks it too (a near tie, as
    # between two keys after '{', may go either way: the greedy answers below are the check there).
    clear = np.sort(at_run_time, axis=1)[:, -1] - np.sort(at_run_time, axis=1)[:, -2] > 2 * ABSOLUTE_TOLERANCE
    assert clear.sum() >= 2
    assert (merged_logits.argmax(axis=1) == at_run_time.argmax(axis=1))[clear].all()
    assert (base_alone.argmax(axis=1) != at_run_time.argmax(axis=1)).any()  # the prompts tell them apart


def _greedy_answers(engine: BatchEngine, commands: list[str]) -> list[str]:
    from mcp_server.nlu.llama_batch import Sampling

    greedy = Sampling(temperature=0.0, top_p=float(OPTIONS["top_p"]))
    limit = int(OPTIONS["num_predict"])
    generations = [engine.submit(render_chatml(messages_for(c)), limit, greedy) for c in commands]
    return [generation.wait(120) for generation in generations]


@pytest.fixture(scope="module")
def dev_commands() -> list[str]:
    """Commands spread over the typed dev set: every action and refusals."""
    rows = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    return [row["command"] for row in rows[:: max(1, len(rows) // GREEDY_COMMANDS)]][:GREEDY_COMMANDS]


@contextmanager
def _engine(gguf_path: Path, adapter: Path | None) -> Iterator[BatchEngine]:
    from mcp_server.nlu.llama_batch import BatchEngine

    engine = BatchEngine(engine_config(gguf=gguf_path, adapter=adapter, threads=1))
    engine.start()
    try:
        yield engine
    finally:
        engine.close()
        engine.join(30)


def test_the_merged_model_answers_dev_commands_as_the_runtime_adapter_does(
    base: Path, adapter: Path, merged: Path, dev_commands: list[str]
) -> None:
    answers = {}
    for name, (model_path, lora) in {"run time": (base, adapter), "merged": (merged, None)}.items():
        with _engine(model_path, lora) as engine:
            answers[name] = _greedy_answers(engine, dev_commands)
    assert len(dev_commands) == GREEDY_COMMANDS
    differ = [(c, a, b) for c, a, b in zip(dev_commands, answers["run time"], answers["merged"], strict=True) if a != b]
    assert not differ


def test_the_merged_file_keeps_the_bases_metadata_tokenizer_and_other_tensors(
    base: Path, adapter: Path, merged: Path
) -> None:
    source, result = open_gguf(base), open_gguf(merged)
    targets = {t.name.removesuffix(LORA_A) for t in open_gguf(adapter).tensors if t.name.endswith(LORA_A)}
    kept = {k: f.contents() for k, f in source.fields.items() if not k.startswith("GGUF.") and k != "general.file_type"}
    written = {k: f.contents() for k, f in result.fields.items() if k in kept}
    assert written == kept  # every key, the tokenizer's vocabulary, merges and chat template among them
    assert result.fields[MERGED_FROM_KEY].contents() == sha256_of(adapter)
    assert [(t.name, list(t.shape)) for t in result.tensors] == [(t.name, list(t.shape)) for t in source.tensors]
    for before, after in zip(source.tensors, result.tensors, strict=True):
        if before.name in targets:
            assert after.tensor_type.name == DEFAULT_QUANT.upper()
        else:
            assert after.tensor_type == before.tensor_type and np.array_equal(after.data, before.data)
    assert len(targets) == 7 * int(source.fields["llama.block_count"].contents())


def _small_adapter(shipped: Path, out: Path, alpha: float) -> Path:
    """A real adapter for the same base with one of the shipped pairs (a quick merge)."""
    reader = open_gguf(shipped)
    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for tensor in reader.tensors:
        if tensor.name.startswith("blk.0.attn_q.weight"):
            writer.add_tensor(tensor.name, np.array(tensor.data))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def test_the_cache_reuses_a_merged_file_and_rebuilds_it_when_an_input_changes(
    base: Path, adapter: Path, tmp_path: Path
) -> None:
    lora = _small_adapter(adapter, tmp_path / "lora.gguf", alpha=16.0)
    cache = tmp_path / "cache"
    first = merged_model(base, lora, cache)
    made = first.stat()
    again = merged_model(base, lora, cache)
    assert again == first and (again.stat().st_ino, again.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)
    known = merged_model(base, lora, cache, base_sha256=sha256_of(base))  # a digest the caller checked
    assert known == first and known.stat().st_ino == made.st_ino

    _small_adapter(adapter, lora, alpha=8.0)  # retrained: same name, other content
    rebuilt = merged_model(base, lora, cache)
    assert rebuilt != first and rebuilt.is_file()
    assert not first.exists()  # the file the older adapter left is gone
    assert sorted(p.name for p in cache.iterdir()) == [rebuilt.name]  # and no temporary file is left
    assert open_gguf(rebuilt).fields[MERGED_FROM_KEY].contents() == sha256_of(lora)


def test_merge_refuses_what_it_cannot_merge(base: Path, tmp_path: Path) -> None:
    not_an_adapter = tmp_path / "model.gguf"
    writer = gguf.GGUFWriter(str(not_an_adapter), "llama")
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((8, 576), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ValueError, match="not a LoRA adapter"):
        merge_adapter(base, not_an_adapter, tmp_path / "out.gguf")
    with pytest.raises(ValueError, match="unknown quant"):
        merge_adapter(base, not_an_adapter, tmp_path / "out.gguf", quant="q3_k")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.gguf"]  # nothing half-written is left
