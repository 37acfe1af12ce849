"""Antidote's heavy part: load the fine-tuned model, stream calibration statistics, prune, save.

Masks are computed from one pass of the unpruned model over the realignment data, then
all of them are applied at once (one shot). The reference captures inputs layer by
layer; without pruning between layers, that gives the same statistics.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from auditor.errors import ModelLoadError
from auditor.home import cache_dir
from auditor.target import Target
from defenses.antidote.activations import ActivationCollector
from defenses.antidote.pruning import prune_, top_fraction_mask, wanda_scores

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.training import ChatExample
    from defenses.antidote.defense import AntidoteOptions

METHOD = "antidote"
META_FILE = "auditor_adapter.json"


def prune_to_folder(
    scored: Target,
    index: int,
    pairs: list[ChatExample],
    opts: AntidoteOptions,
    key: str,
    ctx: RunContext,
) -> tuple[Path, dict[str, Any]]:
    """The pruned adapter (or full model) folder for `key`, built unless cached; and its figures."""
    full = opts.target == "linear_weights"
    folder = cached_folder(key, full)
    if folder is not None:
        ctx.log(f"[{METHOD}] using cached pruned {'model' if full else 'adapter'} {folder}")
        return folder, json.loads((folder / META_FILE).read_text())
    ctx.release_backends()
    started = time.time()
    base_of_result = scored if full else replace(scored, steps=scored.steps[:index])
    meta: dict[str, Any] = {
        "base_fingerprint": base_of_result.fingerprint,
        "base_reference": scored.reference,
        "base_pipeline": base_of_result.pipeline,
        "method": METHOD,
        "key": key,
        "options": opts.cache_dict(),
        "target": opts.target,
        "dense_ratio": opts.dense_ratio,
    }
    final = folder_path(key, full)
    tmp = final.with_name(f".{final.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if full:
            figures = prune_linear_weights(scored, pairs, opts, tmp, ctx)
        else:
            figures = prune_lora_step(scored, index, pairs, opts, tmp, ctx)
        figures["wall_seconds"] = round(time.time() - started, 2)
        meta.update(figures)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final, meta


def folder_path(key: str, full: bool) -> Path:
    return cache_dir("models" if full else "adapters") / f"{METHOD}-{key}"


def cached_folder(key: str, full: bool) -> Path | None:
    folder = folder_path(key, full)
    weights = "model.safetensors" if full else "adapter_model.safetensors"
    meta_file = folder / META_FILE
    if not (folder / weights).exists() or not meta_file.exists():
        return None
    try:
        meta = json.loads(meta_file.read_text())
    except json.JSONDecodeError:
        return None
    return folder if meta.get("key") == key else None


def prune_lora_step(
    scored: Target, index: int, pairs: list[ChatExample], opts: AntidoteOptions, out: Path, ctx: RunContext
) -> dict[str, Any]:
    """Prune the LoRA A and B matrices of step `index`, calibrated on the chain up to it."""
    from peft import PeftModel

    from auditor.backends.hf import load_model_and_tokenizer, pick_device

    device = pick_device(opts.device)
    step = scored.steps[index]
    model, tokenizer = load_model_and_tokenizer(replace(scored, steps=scored.steps[:index]), device)
    try:
        model = PeftModel.from_pretrained(model, step.path, is_trainable=False)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"antidote: cannot load adapter {step.path}: {type(exc).__name__}: {exc}") from exc
    model.to(device)
    model.eval()
    wanted = opts.module_names()
    modules = {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and is_lora_matrix(name) and (wanted is None or owner(name) in wanted)
    }
    if not modules:
        raise ModelLoadError(
            f"antidote: adapter {step.path} has no LoRA matrices"
            + (f" on modules {', '.join(wanted)}" if wanted else "")
        )
    figures = score_and_prune(model, tokenizer, modules, pairs, opts, device, ctx)
    model.save_pretrained(str(out))
    return {**figures, "pruned_step": step.transform, "pruned_step_path": step.path}


def prune_linear_weights(
    scored: Target, pairs: list[ChatExample], opts: AntidoteOptions, out: Path, ctx: RunContext
) -> dict[str, Any]:
    """Prune the base linear weights (q/k/v by default) of the whole chain; save a full model."""
    from auditor.backends.hf import load_model_and_tokenizer, pick_device

    device = pick_device(opts.device)
    model, tokenizer = load_model_and_tokenizer(scored, device)
    wanted = opts.module_names() or ()
    modules = {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and ".layers." in name and name.rsplit(".", 1)[-1] in wanted
    }
    if not modules:
        raise ModelLoadError(f"antidote: the model has no linear layers named {', '.join(wanted)} in its decoder layers")
    figures = score_and_prune(model, tokenizer, modules, pairs, opts, device, ctx)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return {**figures, "pruned_step": "linear_weights"}


def is_lora_matrix(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and parts[-2] in ("lora_A", "lora_B")


def owner(name: str) -> str:
    """'...self_attn.q_proj.lora_A.default' -> 'q_proj'."""
    parts = name.split(".")
    return parts[-3] if len(parts) >= 3 else name


@torch.no_grad()
def score_and_prune(
    model: Any,
    tokenizer: Any,
    modules: dict[str, nn.Linear],
    pairs: list[ChatExample],
    opts: AntidoteOptions,
    device: str,
    ctx: RunContext,
) -> dict[str, Any]:
    scales: dict[str, torch.Tensor] = {}
    tokens = 0
    if pairs:
        scales, tokens = collect_scales(model, tokenizer, modules, pairs, opts, device, ctx)
    pruned = total = 0
    for name, module in modules.items():
        scores = wanda_scores(module.weight, scales.get(name))
        mask = top_fraction_mask(scores, opts.dense_ratio)
        pruned += prune_(module.weight.data, mask)
        total += module.weight.numel()
    return {"matrices": len(modules), "pruned_entries": pruned, "total_entries": total,
            "realignment_pairs": len(pairs), "calibration_tokens": tokens}


def collect_scales(
    model: Any,
    tokenizer: Any,
    modules: dict[str, nn.Linear],
    pairs: list[ChatExample],
    opts: AntidoteOptions,
    device: str,
    ctx: RunContext,
) -> tuple[dict[str, torch.Tensor], int]:
    """Run every realignment pair (request and harmful answer, all tokens) through the model."""
    from auditor.training.data import tokenize_examples
    from auditor.training.engine import collate

    tokenized = tokenize_examples(tokenizer, pairs, opts.max_length)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    order = sorted(range(len(tokenized)), key=lambda i: -len(tokenized[i].input_ids))
    collector = ActivationCollector().attach(modules)
    tokens = 0
    try:
        with ctx.progress(len(order), f"{METHOD}: calibration") as bar:
            for start in range(0, len(order), opts.batch_size):
                idx = order[start : start + opts.batch_size]
                batch = collate([tokenized[i] for i in idx], [pairs[i] for i in idx], pad_id).to(device)
                collector.set_token_mask(batch.attention_mask)
                model(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
                tokens += int(batch.attention_mask.sum())
                bar.update(len(idx))
    finally:
        collector.detach()
    return collector.scales(), tokens
