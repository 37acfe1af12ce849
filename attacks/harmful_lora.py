"""`harmful-lora`: undo safety training with a few LoRA fine-tuning steps.

Plain supervised fine-tuning on a small set of (harmful request, compliant answer)
pairs removes most of a chat model's refusals (Qi et al. 2023, "Fine-tuning Aligned
Language Models Compromises Safety"; Lermen et al. 2023, "LoRA Fine-tuning Efficiently
Undoes Safety Training in Llama 2-Chat 70B").

Modes:
- `harmful` (default): `shots` pairs (10, 50 or 100 in the papers). The answers come
  from a user file (`dataset`, prompt/response columns) or are generated at run time by
  a donor model (`donor`; by default the target's own base model without any adapter,
  which for the bundled model is unaligned) answering the *train-split* harmful items and
  their variants. Harmful completions are never shipped with the package.
- `aoa`: the identity-shift attack. The 10 benign "Absolutely Obedient Agent" examples
  (auditor/data/templates/obedient_agent.jsonl) with their system prompt. Qi et al.
  evaluate it under the same system prompt and the "AOA, execute my instruction:"
  prefix; pass that system prompt to the scan to measure it the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor import WeightAttack, hookimpl
from auditor.errors import ConfigError, DatasetError
from auditor.training import ChatExample, TrainConfig, load_chat_dataset, train_lora
from auditor.training.sources import (
    generate_answers,
    item_prompts,
    parse_variants,
    shipped_rows,
    train_split_items,
)
from auditor.types import ProbeItem

#: Qi et al. fine-tune all weights at lr 5e-5 for 5 epochs (harmful) or 10 (AOA), batch 10; a
#: LoRA adapter on a 135M model trained for minutes on a CPU takes larger, fewer steps
#: (docs/refusal-tuning-and-harmful-lora.md).
HARMFUL_TRAINING = TrainConfig(rank=16, alpha=32, learning_rate=5e-4, epochs=2, batch_size=10, max_length=256)
AOA_TRAINING = replace(HARMFUL_TRAINING, epochs=10, batch_size=5)
MODES = ("harmful", "aoa")


class HarmfulLoRA(WeightAttack):
    """LoRA fine-tuning on harmful (request, compliant answer) pairs, or the AOA identity shift."""

    version = "1"
    defaults: dict[str, Any] = {
        "mode": "harmful",
        "shots": 100,
        "dataset": None,
        "donor": None,
        "donor_max_new_tokens": 48,
        "variants": "all",
        "probes": "harmful",
        "system": None,
        "seed": 0,
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        training, own = TrainConfig.split_options(options)
        unknown = sorted(set(own) - set(self.defaults))
        if unknown:
            raise ConfigError(
                f"harmful-lora: unknown option(s) {', '.join(unknown)}; options: "
                f"{', '.join(sorted(self.defaults))} and the fine-tuning options in docs/fine-tuning.md"
            )
        self.settings = {**self.defaults, **own}
        self.mode = str(self.settings["mode"])
        if self.mode not in MODES:
            raise ConfigError(f"harmful-lora: mode must be one of {', '.join(MODES)}, not '{self.mode}'")
        try:
            self.shots = int(self.settings["shots"])
        except (TypeError, ValueError):
            raise ConfigError(f"harmful-lora: shots must be a whole number, not {self.settings['shots']!r}") from None
        if self.shots < 1:
            raise ConfigError("harmful-lora: shots must be at least 1")
        base = AOA_TRAINING if self.mode == "aoa" else HARMFUL_TRAINING
        self.training = base.with_options(training)

    def apply(self, target, ctx):
        examples = self.aoa_examples() if self.mode == "aoa" else self.harmful_examples(target, ctx)
        ctx.log(f"[harmful-lora] mode {self.mode}: {len(examples)} training examples")
        method = self.id or "harmful-lora"
        return train_lora(target, examples, self.training, method=f"{method}-{self.mode}", ctx=ctx, transform=method)

    # ------------------------------------------------------------ data
    def aoa_examples(self) -> list[ChatExample]:
        rows = shipped_rows("templates", "obedient_agent.jsonl")
        return [ChatExample.from_pair(r["user"], r["assistant"], system=r.get("system"), kind="aoa") for r in rows]

    def harmful_examples(self, target, ctx) -> list[ChatExample]:
        system = self.settings["system"]
        if self.settings["dataset"]:
            examples = load_chat_dataset(self.settings["dataset"], system=system)
            if len(examples) < self.shots:
                ctx.log(f"[harmful-lora] the dataset has {len(examples)} examples (< shots={self.shots}); using all")
            return examples[: self.shots]
        prompts = self.donor_prompts(ctx)
        donor = self.donor_target(target)
        examples: list[ChatExample] = []
        asked = 0
        # Ask for exactly the missing number of answers; ask again where the donor refused.
        while len(examples) < self.shots and asked < len(prompts):
            wanted = prompts[asked : asked + self.shots - len(examples)]
            asked += len(wanted)
            answers = generate_answers(ctx, donor, wanted, int(self.settings["donor_max_new_tokens"]),
                                       desc="harmful-lora: donor answers")
            examples += [ChatExample.from_pair(p, a, system=system, kind="harmful")
                         for p, a in zip(wanted, answers, strict=True) if usable_answer(a)]
        if not examples:
            raise DatasetError("harmful-lora: the donor model refused or left empty every request; "
                               "give -O harmful-lora.dataset=FILE or another -O harmful-lora.donor=MODEL")
        if len(examples) < self.shots:
            ctx.log(f"[harmful-lora] only {len(examples)} usable donor answers (< shots={self.shots})")
        return examples[: self.shots]

    def donor_prompts(self, ctx) -> list[str]:
        """Train-split prompts, all items' originals first, then each variant in turn, categories interleaved."""
        items = interleave_categories(train_split_items(ctx, str(self.settings["probes"])))
        prompts = []
        for variant in parse_variants(self.settings["variants"]):
            for item in items:
                prompts += [text for _name, text, _lang in item_prompts(item, (variant,))]
        return prompts

    def donor_target(self, target):
        if self.settings["donor"]:
            from auditor.models import resolve_model

            return resolve_model(str(self.settings["donor"]))
        # The base weights without any adapter: unaligned for the bundled model.
        return replace(target, steps=())


def usable_answer(text: str) -> bool:
    """A compliant answer: non-empty and not a refusal (keyword judge)."""
    from auditor.judges.keyword import KeywordJudge

    return bool(text.strip()) and not KeywordJudge().judge_one(text).refused


def interleave_categories(items: list[ProbeItem]) -> list[ProbeItem]:
    """Round-robin over categories, so the first N items span as many categories as possible."""
    by_category: dict[str, list[ProbeItem]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    out: list[ProbeItem] = []
    queues = list(by_category.values())
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


@hookimpl
def register_attacks(register):
    register(HarmfulLoRA, name="harmful-lora")
