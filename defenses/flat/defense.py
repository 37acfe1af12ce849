"""The `flat` defense: unlearn harmful answers by f-divergence loss adjustment (Wang et al., ICLR 2025).

Pipeline use: `refusal-tuning,harmful-lora,flat`. See docs/antidote-and-flat.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.components import Defense
from auditor.errors import ConfigError
from auditor.training import ChatExample, TrainConfig, train_lora
from auditor.transform_meta import record_figures, utility_figures, with_transform_metrics
from defenses.flat.divergences import DEFAULT_DIVERGENCE, FORMS, canonical_name
from defenses.flat.probability import NORMALIZATIONS
from defenses.harmful_pairs import DonorSettings, harmful_pairs
from defenses.options import build_options

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.target import Target

METHOD = "flat"

#: The paper fine-tunes 7B models fully at lr 1e-5 (TOFU) to 2e-7 (Harry Potter); a LoRA
#: adapter on a 135M model needs a larger step. On the bundled model after harmful LoRA,
#: lr 2e-4 / 3e-4 / 5e-4 / 1e-3 leave 0.86 / 0.67 / 0.23 / 0.08 of the forget answers'
#: mean probability; 5e-4 is the smallest of these that halves it (docs/antidote-and-flat.md).
TRAINING = TrainConfig(rank=16, alpha=32, learning_rate=5e-4, epochs=5, batch_size=8, max_length=256)


@dataclass(frozen=True)
class FlatOptions:
    #: kl, reverse-kl, pearson, neyman, squared-hellinger, jeffrey, jensen-shannon, total-variation (aliases: tv, js...)
    divergence: str = DEFAULT_DIVERGENCE
    #: "f-gan" (default) or "released" (the released code's forms; see defenses/flat/divergences.py)
    forms: str = "f-gan"
    #: "response" (mean over response tokens, the paper) or "padded" (the released code)
    normalize: str = "response"
    #: "refusals", "idk" or a file of template answers
    templates: str = "refusals"
    #: forget set file (prompt/response columns); default: donor-generated harmful pairs
    data: str | None = None
    #: at most this many forget pairs
    samples: int = 40
    probes: str = "harmful"
    variants: str = "original"
    donor: str | None = None
    donor_max_new_tokens: int = 64
    #: seed of the template draw (the training seed is the fine-tuning option `seed`)
    template_seed: int = 0
    #: also measure perplexity and QA accuracy before and after (auditor.utility)
    utility: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "divergence", canonical_name(self.divergence))
        if self.forms not in FORMS:
            raise ConfigError(f"flat: forms must be one of {', '.join(FORMS)}, got '{self.forms}'")
        if self.normalize not in NORMALIZATIONS:
            raise ConfigError(f"flat: normalize must be one of {', '.join(NORMALIZATIONS)}, got '{self.normalize}'")
        if self.samples < 1:
            raise ConfigError("flat: samples must be at least 1")


class Flat(Defense):
    """FLAT (Wang et al., ICLR 2025): push forget answers down and template answers up, forget data only."""

    version = "1"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        training, own = TrainConfig.split_options(dict(options))
        self.settings = build_options(FlatOptions, own, METHOD, extra_known=TrainConfig.option_names())
        self.training = TRAINING.with_options(training)

    def apply(self, target: Target, ctx: RunContext) -> Target:
        from defenses.flat.evaluate import answer_probabilities, tokenizer_for
        from defenses.flat.loss import FlatLoss
        from defenses.flat.templates import draw_templates, load_templates

        opts = self.settings
        donor = DonorSettings(opts.probes, opts.variants, opts.samples, opts.donor_max_new_tokens, opts.donor)
        pairs = harmful_pairs(ctx, target, donor, opts.data, METHOD)
        drawn = draw_templates(load_templates(opts.templates), len(pairs), opts.template_seed)
        examples = [ChatExample(p.messages, {**p.meta, "template": t}) for p, t in zip(pairs, drawn, strict=True)]

        loss = FlatLoss(tokenizer_for(target), self.training.max_length, opts.divergence, opts.forms,
                        opts.normalize)
        method = self.id or METHOD
        new = train_lora(target, examples, self.training, method=method, loss_fn=loss, ctx=ctx)

        measure = {"max_length": self.training.max_length, "normalize": opts.normalize,
                   "device": self.training.device}
        before = answer_probabilities(ctx, target, examples, **measure)
        after = answer_probabilities(ctx, new, examples, **measure)
        figures: dict[str, Any] = {
            "divergence": opts.divergence,
            "forget_pairs": len(examples),
            "forget_probability_before": before["forget_probability"],
            "forget_probability_after": after["forget_probability"],
            "template_probability_before": before["template_probability"],
            "template_probability_after": after["template_probability"],
        }
        if before["forget_probability"] > 0:
            figures["forget_probability_ratio"] = round(after["forget_probability"] / before["forget_probability"], 4)
        if opts.utility:
            figures.update(utility_figures(ctx, target, new))
        record_figures(Path(new.steps[-1].path), method, figures)
        ctx.log(f"[{method}] forget-answer probability {figures['forget_probability_before']:.3f} -> "
                f"{figures['forget_probability_after']:.3f}; template probability "
                f"{figures['template_probability_before']:.3f} -> {figures['template_probability_after']:.3f}")
        return replace(new, meta=with_transform_metrics(target.meta, method, figures))
