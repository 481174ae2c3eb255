"""The task adapter merged into the base GGUF once, so that llama.cpp decodes one set of weights
instead of the base plus a LoRA product at every layer.

Applied at run time, a rank-8 adapter on the seven projections of every layer adds two small
matrix products per projection to each token. Merged, W' = W + scale * B @ A is computed once
here. Measured on this project's 2-core machine, one model thread (`python -m
benchmarks.merged_adapter`): Q8_0 merged takes 0.63-0.72x the ms a token of the runtime adapter,
0.69-0.79x its P50 one command at a time, 0.59-0.72x its P99 with ten at once, and loads in half
the time; the file is 145 MB instead of 98 + 5.

- The base's Q4_1 weights are dequantized (as the fine-tune saw them: it trains on the base
  dequantized to float32), the delta added, and the sum quantized again. The delta is small
  against Q4_1's step (a median 1-8% of it, by tensor), so a Q4_1 result rounds most of it back
  to the base's weight (it keeps 6-50% of the delta, and the logits stay near the base's); Q8_0
  keeps it whole, with rounding noise around it (see `benchmarks/merged_adapter.py` for what each
  choice costs and keeps).
- The scale is llama.cpp's: alpha (the adapter's `adapter.lora.alpha`) over the rank, or 1 when
  the adapter gives no alpha.
- In the adapter GGUF, `<tensor>.lora_a` is (rank x in) and `<tensor>.lora_b` is (out x rank) in
  numpy's order, the base weight (out x in); B is already in llama.cpp's row order for the rotary
  projections (training/export.py), so B @ A lands on the weight as stored.
- Every other tensor, all metadata and the tokenizer are copied as they are.
- `merged_model` keeps merged files in a cache keyed by the sha256 of both inputs (and how they
  were merged), built into a temporary file and renamed into place, so a half-written file is never
  loaded and concurrent builders do not clash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import numpy.typing as npt
from platformdirs import user_cache_dir

from mcp_server.nlu.llamacpp import sha256_of

# What the merged projections are stored as, by name.
QUANTS: dict[str, gguf.GGMLQuantizationType] = {
    "q8_0": gguf.GGMLQuantizationType.Q8_0,
    "q5_1": gguf.GGMLQuantizationType.Q5_1,
    "q4_1": gguf.GGMLQuantizationType.Q4_1,
    "f16": gguf.GGMLQuantizationType.F16,
}
# The file type a model whose projections are all of that type reports (general.file_type).
_FILE_TYPES: dict[str, gguf.LlamaFileType] = {
    "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    "q5_1": gguf.LlamaFileType.MOSTLY_Q5_1,
    "q4_1": gguf.LlamaFileType.MOSTLY_Q4_1,
    "f16": gguf.LlamaFileType.MOSTLY_F16,
}
DEFAULT_QUANT = "q8_0"
# Part of the cache key: a change to how files are merged must not reuse files merged before it.
MERGE_VERSION = 1
STALE_PART_S = 3600.0  # a temporary file this old is a build that died, not one in progress
LORA_A, LORA_B = ".lora_a", ".lora_b"
# Where the merged file records what it was made from (llama.cpp ignores keys it does not know).
MERGED_FROM_KEY = "task_api.merged.adapter_sha256"
MERGED_SCALE_KEY = "task_api.merged.scale"

Matrix = npt.NDArray[np.float32]


def default_cache_dir() -> Path:
    """The user's cache folder for this project (`~/.cache/task-api-mcp/merged` on Linux, or under
    $XDG_CACHE_HOME): where a merged file is kept unless the caller names a folder."""
    return Path(user_cache_dir("task-api-mcp", appauthor=False)) / "merged"


class _Reader(gguf.GGUFReader):
    """gguf's reader over a plain array view of its memory map: slicing an np.memmap makes a new
    memmap each time, which made reading the base's 49k-token vocabulary take 4x as long."""

    # Typed as a memmap there; the reader only slices and views it, as a plain array does.
    @property  # type: ignore[override]
    def data(self) -> npt.NDArray[Any]:
        return self._plain

    @data.setter
    def data(self, value: npt.NDArray[Any]) -> None:
        self._plain = value.view(np.ndarray)


def open_gguf(path: Path) -> gguf.GGUFReader:
    """A reader of the GGUF at `path` (its metadata parsed, its tensors mapped, not read)."""
    return _Reader(path)


def _field(reader: gguf.GGUFReader, key: str) -> Any:
    field = reader.get_field(key)
    return field.contents() if field is not None else None


def lora_pairs(adapter: gguf.GGUFReader) -> dict[str, tuple[Matrix, Matrix]]:
    """The adapter's (A, B) for each base tensor it changes, as float32 (rank x in, out x rank)."""
    parts = {tensor.name: tensor for tensor in adapter.tensors}
    pairs: dict[str, tuple[Matrix, Matrix]] = {}
    for name, tensor in parts.items():
        if name.endswith(LORA_B):
            continue
        if not name.endswith(LORA_A):
            raise ValueError(f"the adapter has a tensor that is not a LoRA half: {name}")
        target = name[: -len(LORA_A)]
        other = parts.get(target + LORA_B)
        if other is None:
            raise ValueError(f"the adapter has {name} without {target + LORA_B}")
        a = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        b = gguf.quants.dequantize(other.data, other.tensor_type).astype(np.float32)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise ValueError(f"{target}: lora_a {a.shape} and lora_b {b.shape} do not make a product")
        pairs[target] = (a, b)
    if len(pairs) * 2 != len(parts):
        raise ValueError("the adapter has a lora_b without its lora_a")
    return pairs


def adapter_scale(adapter: gguf.GGUFReader, rank: int) -> float:
    """What llama.cpp multiplies B @ A by: alpha / rank, or 1 when the adapter sets no alpha."""
    alpha = _field(adapter, gguf.Keys.Adapter.LORA_ALPHA)
    return float(alpha) / rank if alpha else 1.0


def merge_adapter(base: Path, adapter: Path, out: Path, *, quant: str = DEFAULT_QUANT) -> Path:
    """Write `out`: the base GGUF with the LoRA adapter added into the weights it targets, those
    stored as `quant` (one of QUANTS); every other tensor and all metadata as in the base."""
    if quant not in QUANTS:
        raise ValueError(f"unknown quant {quant!r}: one of {', '.join(QUANTS)}")
    qtype = QUANTS[quant]
    lora = open_gguf(adapter)
    if _field(lora, gguf.Keys.Adapter.TYPE) != "lora":
        raise ValueError(f"{adapter} is not a LoRA adapter GGUF")
    model = open_gguf(base)
    arch = _field(model, gguf.Keys.General.ARCHITECTURE)
    if _field(lora, gguf.Keys.General.ARCHITECTURE) != arch:
        raise ValueError(f"the adapter is for {_field(lora, gguf.Keys.General.ARCHITECTURE)!r}, the base is {arch!r}")
    pairs = lora_pairs(lora)
    names = {tensor.name for tensor in model.tensors}
    if missing := sorted(set(pairs) - names):
        raise ValueError(f"the adapter changes tensors the base does not have: {', '.join(missing[:3])}")

    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(handle)
    try:
        writer = gguf.GGUFWriter(temporary, arch, endianess=model.endianess)
        if (alignment := _field(model, gguf.Keys.General.ALIGNMENT)) is not None:
            writer.data_alignment = int(alignment)
        _copy_metadata(model, writer, quant, sha256_of(adapter))
        scales: set[float] = set()
        for tensor in model.tensors:
            if tensor.name in pairs:
                a, b = pairs[tensor.name]
                scale = adapter_scale(lora, a.shape[0])
                scales.add(scale)
                merged = _merged_weight(tensor, a, b, scale)
                data = gguf.quants.quantize(merged, qtype)
                writer.add_tensor(tensor.name, data, raw_dtype=qtype)
            else:
                writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
        if len(scales) == 1:
            writer.add_float32(MERGED_SCALE_KEY, scales.pop())
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with open(temporary, "rb") as written:  # on disk before its name is: a crash leaves no torn file
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would keep the cache from others who share it
        os.replace(temporary, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return out


def _merged_weight(tensor: gguf.ReaderTensor, a: Matrix, b: Matrix, scale: float) -> Matrix:
    """The base weight as float32 (out x in, numpy's order) plus scale * B @ A."""
    weight = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
    delta = (b @ a) * np.float32(scale)
    if delta.shape != weight.shape:
        raise ValueError(f"{tensor.name}: the adapter's B @ A is {delta.shape}, the weight {weight.shape}")
    return weight + delta


def _copy_metadata(model: gguf.GGUFReader, writer: gguf.GGUFWriter, quant: str, adapter_sha256: str) -> None:
    """Every key of the base (the writer adds the architecture and the GGUF header itself), the
    file type of the new weights, and what the file was merged from. None of the adapter's keys:
    they describe an adapter, not a model."""
    for field in model.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name in (gguf.Keys.General.FILE_TYPE, MERGED_FROM_KEY, MERGED_SCALE_KEY):
            continue
        kind = field.types[0]
        sub_type = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub_type)
    writer.add_uint32(gguf.Keys.General.FILE_TYPE, int(_FILE_TYPES[quant]))
    writer.add_string(MERGED_FROM_KEY, adapter_sha256)


def merged_model(
    base: Path,
    adapter: Path,
    cache_dir: Path | None = None,
    *,
    quant: str = DEFAULT_QUANT,
    base_sha256: str | None = None,
) -> Path:
    """The merged GGUF for this base and adapter, built on first use and then reused: its name
    carries the sha256 of both files, so a retrained adapter (or another base) gets a new file, and
    the files an older version of the same adapter file left are removed. `base_sha256`: the base's
    digest when the caller has just checked it (the base is not read a second time)."""
    if quant not in QUANTS:
        raise ValueError(f"unknown quant {quant!r}: one of {', '.join(QUANTS)}")
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    key = hashlib.sha256(
        f"{base_sha256 or sha256_of(base)} {sha256_of(adapter)} {quant} {MERGE_VERSION}".encode()
    ).hexdigest()[:16]
    # Files merged from this adapter file, by where it is: another adapter of the same name keeps its own.
    where = hashlib.sha256(str(adapter.resolve()).encode()).hexdigest()[:8]
    stem = f"{base.stem}+{adapter.stem}-{where}.{quant}."
    path = folder / f"{stem}{key}.gguf"
    if path.is_file():
        return path
    merge_adapter(base, adapter, path, quant=quant)
    stale = time.time() - STALE_PART_S
    for older in folder.glob(f"{glob_escape(stem)}*.gguf"):
        if older != path:  # a process still reading one keeps it open until it is done
            with contextlib.suppress(FileNotFoundError):
                older.unlink()
    for part in folder.glob(f".{glob_escape(stem)}*.part"):  # left by a build that was killed
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_mtime < stale:
                part.unlink()
    return path


def glob_escape(text: str) -> str:
    """`text` with glob's special characters taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
