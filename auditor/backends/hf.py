"""The transformers backend: chat templates, batched left-padded generation, OOM backoff."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch

from auditor.components import Backend
from auditor.errors import ModelLoadError
from auditor.target import Target
from auditor.types import Generation, GenerationRequest, stable_hash

log = logging.getLogger(__name__)


def pick_device(device: str | None) -> str:
    if device and device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model_and_tokenizer(target: Target, device: str = "auto", dtype: str | None = None) -> tuple[Any, Any]:
    """Load the base weights, then apply every step of the target's chain (LoRA steps merged)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    device = pick_device(device)
    torch_dtype = resolve_dtype(dtype, device)
    base = target.base_path
    full_steps = [s for s in target.steps if s.kind == "full"]
    if full_steps:
        base = full_steps[-1].path
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=target.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            base, dtype=torch_dtype, trust_remote_code=target.trust_remote_code, use_safetensors=None
        )
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"could not load model from {base}: {type(exc).__name__}: {exc}") from exc
    lora_steps = target.steps[target.steps.index(full_steps[-1]) + 1 :] if full_steps else target.steps
    if lora_steps:
        from peft import PeftModel

        for step in lora_steps:
            try:
                model = PeftModel.from_pretrained(model, step.path).merge_and_unload()
            except Exception as exc:  # noqa: BLE001
                raise ModelLoadError(
                    f"adapter {step.path} ({step.transform}) does not fit this model: {type(exc).__name__}: {exc}"
                ) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    model.to(device)
    model.eval()
    return model, tokenizer


def resolve_dtype(dtype: str | None, device: str) -> torch.dtype:
    if dtype in (None, "auto"):
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    except KeyError:
        raise ModelLoadError(f"unknown dtype '{dtype}'; use float32, bfloat16 or float16") from None


def render_prompt(tokenizer: Any, request: GenerationRequest) -> str:
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(request.as_messages(), add_generation_prompt=True, tokenize=False)
    # Base models without a chat template: plain "role: content" lines.
    lines = [f"{role}: {content}" for role, content in request.messages]
    return "\n".join(lines) + "\nassistant:"


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


class HFBackend(Backend):
    """transformers generate: batched, length-sorted, left-padded, stops at EOS."""

    def __init__(self, target: Target, batch_size: int = 16, device: str = "auto", dtype: str | None = None, **options: Any):
        super().__init__(target, **options)
        self.batch_size = max(1, int(batch_size))
        self.device = pick_device(device)
        self.model, self.tokenizer = load_model_and_tokenizer(target, self.device, dtype)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        prompts = [render_prompt(self.tokenizer, r) for r in requests]
        lengths = [len(self.tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        # Longest first: an out-of-memory error shows up on the first batch, not the last.
        order = sorted(range(len(requests)), key=lambda i: (param_key(requests[i]), -lengths[i]))
        results: list[Generation | None] = [None] * len(requests)
        start = 0
        while start < len(order):
            # Only requests with equal decoding settings share a batch.
            first = requests[order[start]]
            batch_idx = [order[start]]
            j = start + 1
            while j < len(order) and len(batch_idx) < self.batch_size and same_params(requests[order[j]], first):
                batch_idx.append(order[j])
                j += 1
            try:
                outs = self._generate_batch([prompts[i] for i in batch_idx], [requests[i] for i in batch_idx])
            except Exception as exc:  # noqa: BLE001
                if is_oom(exc) and self.batch_size > 1:
                    self.batch_size = max(1, self.batch_size // 2)
                    log.warning("out of memory; retrying with batch size %d", self.batch_size)
                    if torch.cuda.is_available():
                        torch.cuda.empty_cache()
                    continue
                raise
            for i, out in zip(batch_idx, outs, strict=True):
                results[i] = out
            start = j
        return [r for r in results if r is not None]

    @torch.inference_mode()
    def _generate_batch(self, prompts: list[str], requests: list[GenerationRequest]) -> list[Generation]:
        params = requests[0]
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
        }
        if params.temperature > 0:
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=0)
            seed_material = [(r.seed, r.sample_index, r.messages) for r in requests]
            torch.manual_seed(int(stable_hash(seed_material, 12), 16))
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        want_logprobs = max(r.top_logprobs for r in requests)
        if want_logprobs:
            kwargs.update(output_scores=True, return_dict_in_generate=True)
        out = self.model.generate(**enc, **kwargs)
        sequences = out.sequences if want_logprobs else out
        new_tokens = sequences[:, enc["input_ids"].shape[1] :]
        generations = []
        eos = self.tokenizer.eos_token_id
        for row, tokens in enumerate(new_tokens):
            ids = tokens.tolist()
            finish = "length"
            if eos in ids:
                ids = ids[: ids.index(eos)]
                finish = "stop"
            ids = [t for t in ids if t != self.tokenizer.pad_token_id]
            top = None
            if want_logprobs:
                logprobs = torch.log_softmax(out.scores[0][row].float(), dim=-1)
                values, indices = logprobs.topk(want_logprobs)
                top = {}
                for v, i in zip(values.tolist(), indices.tolist(), strict=True):
                    text = self.tokenizer.decode([i])
                    top[text] = max(top.get(text, -1e9), v)
            generations.append(
                Generation(
                    text=self.tokenizer.decode(ids, skip_special_tokens=True).strip(),
                    finish_reason=finish,
                    num_tokens=len(ids),
                    top_logprobs=top,
                )
            )
        return generations

    def close(self) -> None:
        del self.model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def param_key(r: GenerationRequest) -> tuple[int, float, float, int]:
    return (r.max_new_tokens, r.temperature, r.top_p, r.top_logprobs)


def same_params(a: GenerationRequest, b: GenerationRequest) -> bool:
    return param_key(a) == param_key(b)
