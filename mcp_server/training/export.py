"""A trained PEFT LoRA adapter written as a GGUF LoRA adapter, the form llama.cpp (and so the
embedded backend) and Ollama's `ADAPTER` line load.

Tensor names come from gguf's own map of Hugging Face names to GGUF names. llama.cpp stores the
query and key projections of llama models with their rows permuted for its rotary embedding
(transformers undoes this when it loads the GGUF); the adapter's B matrices for those projections
get the same permutation, so that B @ A lands on the weights as llama.cpp holds them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

_PEFT_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")


@dataclass(frozen=True)
class BaseShape:
    """What the export needs to know about the base model, read from its GGUF."""

    architecture: str
    block_count: int
    head_count: int
    head_count_kv: int

    @classmethod
    def of(cls, base_gguf: Path) -> BaseShape:
        fields = gguf.GGUFReader(base_gguf).fields
        arch = fields["general.architecture"].contents()
        return cls(
            architecture=arch,
            block_count=int(fields[f"{arch}.block_count"].contents()),
            head_count=int(fields[f"{arch}.attention.head_count"].contents()),
            head_count_kv=int(fields[f"{arch}.attention.head_count_kv"].contents()),
        )


def permute_rows(weights: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's row order for a rotary projection (convert_hf_to_gguf's LlamaModel.permute)."""
    rows = weights.shape[0]
    return weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def export_adapter(peft_dir: Path, base_gguf: Path, out: Path) -> dict[str, object]:
    """Write `out` from the adapter saved in `peft_dir` (PEFT's save_pretrained); returns what it wrote."""
    config = json.loads((peft_dir / "adapter_config.json").read_text())
    if config.get("use_rslora") or config.get("use_dora"):
        raise ValueError("only plain LoRA adapters convert to GGUF (no rsLoRA, no DoRA)")
    shape = BaseShape.of(base_gguf)
    if shape.architecture != "llama":
        raise ValueError(f"the export knows llama's tensor layout, not {shape.architecture!r}")
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, shape.block_count)
    tensors = load_file(str(peft_dir / "adapter_model.safetensors"))
    writer = gguf.GGUFWriter(str(out), shape.architecture)
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    written = 0
    for key in sorted(tensors):
        match = _PEFT_KEY.match(key)
        if match is None:
            raise ValueError(f"unexpected tensor in the adapter: {key}")
        module, part = match["module"], match["part"]
        name = names.get_name(module)
        if name is None:
            raise ValueError(f"no GGUF name for {module}")
        data = tensors[key].astype(np.float32)
        if part == "B" and module.endswith("self_attn.q_proj"):
            data = permute_rows(data, shape.head_count)
        elif part == "B" and module.endswith("self_attn.k_proj"):
            data = permute_rows(data, shape.head_count_kv)
        writer.add_tensor(f"{name}.weight.lora_{part.lower()}", data.astype(np.float16))
        written += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"tensors": written, "rank": config["r"], "alpha": config["lora_alpha"], "bytes": out.stat().st_size}
