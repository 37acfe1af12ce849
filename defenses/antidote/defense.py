"""The `antidote` defense: prune the harmful coordinates of a fine-tuned model in one shot.

Pipeline use: `refusal-tuning,harmful-lora,antidote`. See docs/antidote-and-flat.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from auditor.components import Defense
from auditor.errors import ConfigError
from auditor.target import AdapterStep, Target
from auditor.transform_meta import record_figures, utility_figures, with_transform_metrics
from auditor.types import stable_hash
from defenses.antidote.pruning import check_dense_ratio
from defenses.harmful_pairs import DonorSettings, harmful_pairs
from defenses.options import build_options

if TYPE_CHECKING:
    from auditor.context import RunContext

METHOD = "antidote"
VERSION = "1"
TARGETS = ("lora_adapters", "linear_weights")
LINEAR_DEFAULT_MODULES = ("q_proj", "k_proj", "v_proj")


@dataclass(frozen=True)
class AntidoteOptions:
    #: fraction of each output row pruned (the highest Wanda scores); the paper's alpha
    dense_ratio: float = 0.1
    #: "lora_adapters" (the paper: LoRA A and B of the fine-tune adapter) or "linear_weights"
    target: str = "lora_adapters"
    #: transform id of the adapter step to prune; default: the last LoRA step
    step: str | None = None
    #: comma-separated module names to prune (default: every module of the adapter; q/k/v for linear_weights)
    modules: str | None = None
    #: realignment pairs file (prompt/response columns); default: donor-generated
    data: str | None = None
    #: at most this many realignment pairs; 0 scores by weight magnitude alone (the paper's ablation)
    samples: int = 40
    max_length: int = 384
    batch_size: int = 4
    probes: str = "harmful"
    #: which variants of the train-split items the donor answers ("all", or e.g. "original,past-tense")
    variants: str = "original"
    donor: str | None = None
    donor_max_new_tokens: int = 64
    device: str = "auto"
    #: also measure perplexity and QA accuracy before and after (auditor.utility)
    utility: bool = True

    def __post_init__(self) -> None:
        check_dense_ratio(self.dense_ratio)
        object.__setattr__(self, "target", self.target.replace("-", "_"))
        if self.target not in TARGETS:
            raise ConfigError(f"antidote: target must be one of {', '.join(TARGETS)}, got '{self.target}'")
        if self.samples < 0 or self.batch_size < 1 or self.max_length < 8:
            raise ConfigError("antidote: samples must be >= 0, batch_size >= 1 and max_length >= 8")

    def module_names(self) -> tuple[str, ...] | None:
        if self.modules:
            return tuple(m.strip() for m in self.modules.split(",") if m.strip())
        return LINEAR_DEFAULT_MODULES if self.target == "linear_weights" else None

    def cache_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("device", "donor", "donor_max_new_tokens", "probes", "variants", "data", "utility"):
            data.pop(key)  # they act through the realignment data, which is hashed itself
        data["modules"] = list(self.module_names() or ())
        return data


class Antidote(Defense):
    """Antidote (Huang et al. 2024): one-shot Wanda pruning of a harmful fine-tune's weights."""

    version = VERSION

    def apply(self, target: Target, ctx: RunContext) -> Target:
        opts = build_options(AntidoteOptions, dict(self.options), self.id or METHOD)
        if opts.target == "linear_weights":
            index = len(target.steps)
            scored = target
        else:
            index = pruned_step_index(target, opts.step)
            scored = replace(target, steps=target.steps[: index + 1])
        pairs = []
        if opts.samples > 0:
            settings = DonorSettings(opts.probes, opts.variants, opts.samples, opts.donor_max_new_tokens, opts.donor)
            pairs = harmful_pairs(ctx, target, settings, opts.data, METHOD)[: opts.samples]

        from auditor.training import data_hash

        key = stable_hash({"method": f"{METHOD}/v{VERSION}", "scored": scored.fingerprint,
                           "options": opts.cache_dict(), "data": data_hash(pairs)}, length=24)
        from defenses.antidote.run import prune_to_folder

        folder, figures = prune_to_folder(scored, index, pairs, opts, key, ctx)
        metrics = {k: figures[k] for k in REPORTED if k in figures}
        if opts.target == "linear_weights":
            new = target.with_step(AdapterStep(METHOD, str(folder), kind="full", config_hash=key))
        else:
            pruned = target.steps[index]
            step = AdapterStep(METHOD, str(folder), kind="lora", config_hash=key,
                               replaces=(*pruned.replaces, pruned.transform))
            new = replace(target, steps=(*target.steps[:index], step, *target.steps[index + 1 :]))
        if opts.utility:
            metrics.update(utility_figures(ctx, target, new))
        record_figures(folder, METHOD, metrics)
        ctx.log(f"[{METHOD}] pruned {metrics.get('pruned_entries')} of {metrics.get('total_entries')} weights "
                f"in {metrics.get('matrices')} matrices (dense_ratio {opts.dense_ratio})")
        return replace(new, meta=with_transform_metrics(target.meta, METHOD, metrics))


REPORTED = ("target", "dense_ratio", "pruned_step", "matrices", "pruned_entries", "total_entries",
            "realignment_pairs", "calibration_tokens", "wall_seconds")


def pruned_step_index(target: Target, step: str | None) -> int:
    """Index of the LoRA step to prune: the named one (last of that id), else the last LoRA step."""
    candidates = [i for i, s in enumerate(target.steps) if s.kind == "lora" and (step is None or s.transform == step)]
    if not candidates:
        if step is not None:
            raise ConfigError(
                f"antidote: the target '{target.pipeline}' has no LoRA step '{step}' to prune "
                f"(its steps: {', '.join(s.transform for s in target.steps) or 'none'})"
            )
        raise ConfigError(
            f"antidote: the target '{target.pipeline}' has no fine-tuned LoRA adapter to prune; put antidote "
            "after a fine-tuning step (e.g. harmful-lora), or use -O antidote.target=linear_weights"
        )
    return candidates[-1]
