"""LoRA fine-tune of the base GGUF on the generated commands, with the server's own prompt.

The base is loaded from its GGUF by transformers (dequantized to float32), so the adapter is
trained against exactly the weights llama.cpp and Ollama run. Every example is the server's
messages (`messages_for`) rendered with the Modelfile's ChatML template; the loss is on the answer
only. The long system prompt is the same for every example, so each step runs it once, without
gradients, with the current adapter, and the batch's commands and answers attend to its cached
keys and values: the forward pass is exact and a step costs a fraction of running the prompt per
example (the adapter learns through the command and answer tokens).
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mcp_server.nlu.prompt import SYSTEM_PROMPT
from mcp_server.training.data import Example

logger = logging.getLogger(__name__)

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class TrainConfig:
    """Everything that decides the adapter, recorded next to it."""

    seed: int = 20261129
    examples: int = 4000  # composed commands, besides HWU64's train part
    human_refusals: int = 1500  # HWU64 requests that are no task request, drawn evenly across intents
    steps: int = 340
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup_steps: int = 10
    weight_decay: float = 0.0
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(TARGET_MODULES))
    log_every: int = 10

    def record(self) -> dict[str, Any]:
        return asdict(self)


def prefix_text() -> str:
    """The system turn every request starts with (see render_chatml)."""
    return f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n"


def prompt_text(command: str) -> str:
    """The rest of the prompt: the user's turn and the opening of the assistant's."""
    return f"<|im_start|>user\n{command}<|im_end|>\n<|im_start|>assistant\n"


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_base(gguf: Path, device: str) -> tuple[Any, Any]:
    """Tokenizer and float32 model from the GGUF, dequantized by transformers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # Any: transformers' decorated `.to` reads to mypy as unbound (it wants the model as first argument).
    model: Any = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    return tokenizer, model.to(device)


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]  # -100 where the token is prompt, not answer


def encode(tokenizer: Any, example: Example) -> Encoded:
    """Prompt and answer tokenized apart, as at inference: the model reads the prompt's tokens and
    writes the answer's."""
    prompt = tokenizer(prompt_text(example.command), add_special_tokens=False).input_ids
    answer = tokenizer(example.target() + "<|im_end|>", add_special_tokens=False).input_ids
    return Encoded(prompt + answer, [-100] * len(prompt) + answer)


def add_lora(model: Any, config: TrainConfig) -> Any:
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def batch_loss(model: Any, prefix_ids: Any, batch: list[Encoded], pad_id: int) -> Any:
    """Mean answer-token loss of a batch that continues the shared, cached prefix."""
    import torch

    device = prefix_ids.device
    size, length = len(batch), max(len(e.input_ids) for e in batch)
    ids = torch.full((size, length), pad_id, dtype=torch.long, device=device)
    labels = torch.full((size, length), -100, dtype=torch.long, device=device)
    mask = torch.zeros((size, length), dtype=torch.long, device=device)
    for row, encoded in enumerate(batch):
        n = len(encoded.input_ids)
        ids[row, :n] = torch.tensor(encoded.input_ids, device=device)
        labels[row, :n] = torch.tensor(encoded.labels, device=device)
        mask[row, :n] = 1
    prefix_len = prefix_ids.shape[1]
    was_training = model.training
    model.eval()  # the prefix without dropout, as at inference
    with torch.no_grad():
        cache = model(input_ids=prefix_ids, use_cache=True).cache
    model.train(was_training)
    cache.batch_repeat_interleave(size)
    attention = torch.cat([torch.ones((size, prefix_len), dtype=torch.long, device=device), mask], dim=1)
    positions = torch.arange(prefix_len, prefix_len + length, device=device).unsqueeze(0).expand(size, -1)
    # Logits only where an answer token is predicted: the vocabulary projection is a fifth of the
    # model, and most positions are prompt.
    base = model.get_base_model()
    hidden = base.model(
        input_ids=ids, attention_mask=attention, position_ids=positions, cache=cache, use_cache=True
    ).last_hidden_state
    targets = labels[:, 1:]
    predicting = targets != -100
    logits = base.lm_head(hidden[:, :-1][predicting])
    return torch.nn.functional.cross_entropy(logits.float(), targets[predicting])


def learning_rate(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(
    gguf: Path, examples: list[Example], config: TrainConfig, device: str | None = None
) -> tuple[Any, dict[str, Any]]:
    """The LoRA-wrapped model after `config.steps` steps, and a summary of the run."""
    import torch

    device = device or pick_device()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    started = time.perf_counter()
    tokenizer, model = load_base(gguf, device)
    model = add_lora(model, config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info(
        "train_start",
        extra={
            **config.record(),
            "device": device,
            "training_examples": len(examples),
            "trainable_params": trainable,
            "load_s": round(time.perf_counter() - started, 1),
        },
    )
    prefix_ids = tokenizer(prefix_text(), add_special_tokens=False, return_tensors="pt").input_ids.to(device)
    encoded = [encode(tokenizer, e) for e in examples]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=config.learning_rate, weight_decay=config.weight_decay
    )
    order = random.Random(config.seed)
    queue: list[int] = []
    model.train()
    losses: list[float] = []
    step_started = time.perf_counter()
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)
    )
    for step in range(config.steps):
        if len(queue) < config.batch_size:
            fresh = list(range(len(encoded)))
            order.shuffle(fresh)
            queue.extend(fresh)
        batch = [encoded[i] for i in queue[: config.batch_size]]
        del queue[: config.batch_size]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        with autocast:
            loss = batch_loss(model, prefix_ids, batch, pad_id)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if (step + 1) % config.log_every == 0 or step + 1 == config.steps:
            elapsed = time.perf_counter() - step_started
            window = losses[-config.log_every :]
            logger.info(
                "train_progress",
                extra={
                    "step": step + 1,
                    "steps": config.steps,
                    "loss": round(sum(window) / len(window), 4),
                    "lr": round(learning_rate(step, config), 6),
                    "elapsed_s": round(elapsed, 1),
                    "eta_s": round(elapsed / (step + 1) * (config.steps - step - 1), 1),
                },
            )
    summary = {
        "device": device,
        "train_seconds": round(time.perf_counter() - step_started, 1),
        "first_loss": round(sum(losses[: config.log_every]) / len(losses[: config.log_every]), 4),
        "final_loss": round(sum(losses[-config.log_every :]) / len(losses[-config.log_every :]), 4),
        "trainable_params": trainable,
        "prefix_tokens": int(prefix_ids.shape[1]),
    }
    logger.info("train_done", extra=summary)
    return model, summary
