"""The exported GGUF adapter changes llama.cpp's model exactly as the PEFT adapter changes the
torch model: same prompt, same logits (up to the base's quantized arithmetic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcp_server.training.export import BaseShape, export_adapter, permute_rows


def _last_logits(base: Path, tokens: list[int], adapter: Path | None = None) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(base),
        n_ctx=512,
        n_threads=2,
        verbose=False,
        seed=0,
        logits_all=True,
        lora_path=str(adapter) if adapter else None,
    )
    llm.eval(tokens)
    return np.array(llm.scores[llm.n_tokens - 1])


def test_permutation_matches_llama_cpp_row_order() -> None:
    rows = np.arange(12, dtype=np.float32).reshape(12, 1)  # 2 heads of 6 rows: halves interleaved
    assert permute_rows(rows, 2)[:, 0].tolist() == [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]


@pytest.fixture(scope="module")
def random_adapter(base_gguf: Path, tmp_path_factory: pytest.TempPathFactory):
    """A LoRA adapter with large random B (an untrained one is zero): it moves the logits a lot."""
    import torch

    from mcp_server.training.finetune import TrainConfig, add_lora, load_base, prefix_text, prompt_text

    torch.manual_seed(0)
    tokenizer, model = load_base(base_gguf, "cpu")
    text = prefix_text()[:200] + prompt_text("add buy milk tomorrow")
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids
    model = add_lora(model, TrainConfig())
    model.eval()
    with torch.no_grad():
        before = model(ids).logits[0, -1].numpy()
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.3)
        after = model(ids).logits[0, -1].numpy()
    folder = tmp_path_factory.mktemp("adapter")
    model.save_pretrained(str(folder / "peft"))
    return folder, [int(t) for t in ids[0]], before, after


def test_gguf_adapter_reproduces_the_torch_adapter(base_gguf: Path, random_adapter) -> None:
    folder, tokens, torch_base, torch_tuned = random_adapter
    written = export_adapter(folder / "peft", base_gguf, folder / "a.gguf")
    llama_base = _last_logits(base_gguf, tokens)
    llama_tuned = _last_logits(base_gguf, tokens, folder / "a.gguf")
    assert np.corrcoef(torch_base, llama_base)[0, 1] > 0.99  # the same base, dequantized and quantized
    assert np.corrcoef(torch_base, torch_tuned)[0, 1] < 0.8  # the adapter matters...
    assert np.corrcoef(torch_tuned, llama_tuned)[0, 1] > 0.98  # ...and does the same in both
    assert written["tensors"] == 2 * 7 * BaseShape.of(base_gguf).block_count


def test_without_the_rotary_permutation_the_adapter_would_differ(
    base_gguf: Path, random_adapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can tell a wrong layout from a right one."""
    import mcp_server.training.export as export

    folder, tokens, _, torch_tuned = random_adapter
    monkeypatch.setattr(export, "permute_rows", lambda weights, heads: weights)
    export.export_adapter(folder / "peft", base_gguf, folder / "unpermuted.gguf")
    assert np.corrcoef(torch_tuned, _last_logits(base_gguf, tokens, folder / "unpermuted.gguf"))[0, 1] < 0.9


def test_the_file_is_a_small_gguf_lora_adapter(base_gguf: Path, random_adapter) -> None:
    import gguf

    folder, *_ = random_adapter
    export_adapter(folder / "peft", base_gguf, folder / "b.gguf")
    reader = gguf.GGUFReader(folder / "b.gguf")
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 16.0
    names = {t.name for t in reader.tensors}
    assert "blk.0.attn_q.weight.lora_a" in names and "blk.29.ffn_down.weight.lora_b" in names
    assert all(t.tensor_type == gguf.GGMLQuantizationType.F16 for t in reader.tensors)
    assert (folder / "b.gguf").stat().st_size < 8 * 1024 * 1024


def test_an_adapter_for_another_layout_is_refused(base_gguf: Path, random_adapter, tmp_path: Path) -> None:
    import json
    import shutil

    folder, *_ = random_adapter
    shutil.copytree(folder / "peft", tmp_path / "peft")
    config = json.loads((tmp_path / "peft" / "adapter_config.json").read_text())
    (tmp_path / "peft" / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(ValueError, match="plain LoRA"):
        export_adapter(tmp_path / "peft", base_gguf, tmp_path / "x.gguf")
