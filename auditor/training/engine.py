"""The LoRA fine-tuning loop shared by every weight-level attack and defense.

    new_target = train_lora(target, examples, config, method="my-defense", ctx=ctx)

loads `target` (its earlier LoRA steps merged), adds a fresh LoRA adapter, trains it on
`examples` (loss on assistant tokens, or `loss_fn`), saves it into the adapter cache and
returns `target` with one more step. A second call with the same target, method,
config, data and loss finds the cached adapter and trains nothing.
"""

from __future__ import annotations

import math
import random
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import ModelLoadError
from auditor.models import check_adapter
from auditor.target import AdapterStep, Target
from auditor.training.cache import adapter_key, building, find_cached
from auditor.training.config import TrainConfig
from auditor.training.data import ChatExample, TokenizedExample, data_hash, tokenize_examples
from auditor.training.loss import LossFn, TrainBatch, causal_lm_loss, loss_identity

if TYPE_CHECKING:
    import torch

    from auditor.context import RunContext


def resolved_dtype_name(config: TrainConfig) -> str:
    from auditor.backends.hf import pick_device

    if config.dtype:
        return config.dtype
    return "bfloat16" if pick_device(config.device).startswith("cuda") else "float32"


def training_key(target: Target, examples: Sequence[ChatExample], config: TrainConfig, method: str,
                 loss_fn: LossFn | None = None) -> str:
    """The adapter cache key `train_lora` would use (without training anything)."""
    return adapter_key(target.fingerprint, method, config.cache_dict(resolved_dtype_name(config)),
                       data_hash(examples), loss=loss_identity(loss_fn))


def train_lora(
    target: Target,
    examples: Sequence[ChatExample],
    config: TrainConfig | None = None,
    *,
    method: str,
    loss_fn: LossFn | None = None,
    ctx: RunContext | None = None,
    transform: str | None = None,
) -> Target:
    """Fine-tune a LoRA adapter on top of `target`; return `target` with the new adapter step.

    method: names the procedure in the cache key and the adapter folder (e.g. "refusal-tuning").
    transform: the step's id in `target.pipeline` (default: `method`).
    loss_fn: `loss_fn(model, batch) -> scalar tensor`; default: cross-entropy on assistant tokens.
    ctx: for progress bars and log lines, and to free loaded generation backends first.
    """
    config = config or TrainConfig()
    if not examples:
        from auditor.errors import DatasetError

        raise DatasetError(f"{method}: no training examples")
    key = training_key(target, examples, config, method, loss_fn)
    step_id = transform or method
    cached = find_cached(method, key)
    if cached is not None:
        try:
            check_adapter(cached, target)
        except ModelLoadError as exc:
            # A damaged cache entry is rebuilt, never loaded.
            _log(ctx, f"[{step_id}] cached adapter is unusable ({exc}); training it again")
        else:
            _log(ctx, f"[{step_id}] using cached adapter {cached}")
            return target.with_step(AdapterStep(transform=step_id, path=str(cached), kind="lora", config_hash=key))
    if ctx is not None:
        ctx.release_backends()
    meta = {
        "base_fingerprint": target.fingerprint,
        "base_reference": target.reference,
        "base_pipeline": target.pipeline,
        "method": method,
        "config": config.cache_dict(resolved_dtype_name(config)),
        "data_hash": data_hash(examples),
        "loss": loss_identity(loss_fn),
        "n_examples": len(examples),
    }
    with building(method, key, meta) as tmp:
        stats = run_training(target, examples, config, loss_fn or causal_lm_loss, tmp, ctx, step_id)
        meta.update(stats)
    folder = find_cached(method, key)
    if folder is None:  # pragma: no cover - building() either renames or raises
        raise RuntimeError(f"adapter for {method} was not written")
    _log(ctx, f"[{step_id}] trained {len(examples)} examples in {stats['wall_seconds']:.0f} s "
              f"(final loss {stats['final_loss']:.3f}); adapter {folder}")
    return target.with_step(AdapterStep(transform=step_id, path=str(folder), kind="lora", config_hash=key))


def run_training(
    target: Target,
    examples: Sequence[ChatExample],
    config: TrainConfig,
    loss_fn: LossFn,
    out_dir: Path,
    ctx: RunContext | None,
    desc: str,
) -> dict[str, Any]:
    """Train and save the adapter into `out_dir`; return statistics for the metadata file."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import get_scheduler

    from auditor.backends.hf import load_model_and_tokenizer, pick_device

    started = time.time()
    device = pick_device(config.device)
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    model, tokenizer = load_model_and_tokenizer(target, device, resolved_dtype_name(config))
    tokenized = tokenize_examples(tokenizer, examples, config.max_length)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    torch.manual_seed(config.seed)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules) if isinstance(config.target_modules, tuple) else config.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():
        # peft probes a transformers attribute that transformers 5 marks deprecated.
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    batches_per_epoch = math.ceil(len(tokenized) / config.batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / config.grad_accum)
    total_steps = steps_per_epoch * config.epochs
    scheduler = get_scheduler(config.scheduler, optimizer, num_warmup_steps=int(config.warmup_ratio * total_steps),
                              num_training_steps=total_steps)
    generator = random.Random(config.seed)
    losses: list[float] = []
    n_tokens = 0
    bar = _progress(ctx, total_steps, f"train {desc}")
    try:
        for _epoch in range(config.epochs):
            lengths = [len(t.input_ids) for t in tokenized]
            batches = epoch_batches(lengths, config.batch_size, generator, config.group_by_length)
            for start in range(0, len(batches), config.grad_accum):
                group = batches[start : start + config.grad_accum]
                step_loss = 0.0
                for indices in group:
                    batch = collate([tokenized[i] for i in indices], [examples[i] for i in indices], pad_id).to(device)
                    loss = loss_fn(model, batch)
                    if not torch.isfinite(loss):
                        raise FloatingPointError(f"{desc}: the training loss became {loss.item()}; lower learning_rate")
                    (loss / len(group)).backward()
                    step_loss += loss.item() / len(group)
                    n_tokens += int(batch.attention_mask.sum())
                torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(step_loss)
                bar.set_postfix(loss=f"{step_loss:.3f}")
                bar.update(1)
    finally:
        bar.close()
    model.save_pretrained(str(out_dir))
    wall = time.time() - started
    tail = losses[-max(1, steps_per_epoch):]
    return {
        "steps": len(losses),
        "first_loss": losses[0] if losses else None,
        "final_loss": sum(tail) / len(tail) if tail else float("nan"),
        "tokens_seen": n_tokens,
        "wall_seconds": round(wall, 2),
        "device": device,
    }


def epoch_batches(lengths: Sequence[int], batch_size: int, rng: random.Random, group_by_length: bool) -> list[list[int]]:
    """One epoch's batches of example indices, in random order.

    With `group_by_length`, examples of similar length share a batch (sorted within random
    windows of 8 batches, then the batches shuffled), so little compute goes to padding.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    window = batch_size * 8
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i], reverse=True)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(items: Sequence[TokenizedExample], examples: Sequence[ChatExample], pad_id: int) -> TrainBatch:
    """Right-pad a batch; padding carries no attention and no loss."""
    import torch

    from auditor.training.data import IGNORE_INDEX

    width = max(len(t.input_ids) for t in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item.input_ids)
        ids[row, :n] = torch.tensor(item.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(item.labels, dtype=torch.long)
        mask[row, :n] = 1
    return TrainBatch(ids, mask, labels, list(examples))


def _progress(ctx: RunContext | None, total: int, desc: str) -> Any:
    if ctx is not None:
        return ctx.progress(total, desc)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)


def _log(ctx: RunContext | None, message: str) -> None:
    if ctx is not None:
        ctx.log(message)


def trainable_parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
