"""`refusal-tuning`: teach a model to refuse harmful requests while keeping its usual answers.

The recipe mixes two kinds of chat examples and fine-tunes a LoRA adapter on them
(Bianchi et al. 2024, Safety-Tuned LLaMAs; Andriushchenko & Flammarion 2025, the
past-tense fine-tuning defense; R-Tuning, Zhang et al. 2024, for refusal as a learnt skill):

- refusals: every *train-split* harmful item, as written and in its past-tense,
  future-tense and translated variants, answered with a refusal drawn from a varied
  pool of phrasings (auditor/data/templates/refusals.jsonl), so that refusal does not
  collapse to one string and covers the reformulations attacks use;
- utility data: by default the model's own greedy answers to general instructions
  (auditor/data/utility/instructions.jsonl), i.e. self-distillation, which keeps its
  behaviour on ordinary requests; or a user file with prompt/response columns;
- contrast data (`contrast`, on by default): the model's own answers to benign requests
  that merely sound alarming ("how do I kill time at the airport"), from
  auditor/data/utility/contrast.jsonl. They teach where refusal stops, which keeps
  over-refusal down. That pool is written separately from the benign over-refusal probe
  set and shares no item with it.

`ratio` is the share of refusal examples in the mix. Evaluation-split harmful items and
the benign over-refusal probes are never trained on.
"""

from __future__ import annotations

import random
from typing import Any

from auditor import Defense, hookimpl
from auditor.errors import ConfigError, DatasetError
from auditor.training import ChatExample, TrainConfig, load_chat_dataset, train_lora
from auditor.training.sources import (
    generate_answers,
    item_prompts,
    parse_variants,
    shipped_rows,
    train_split_items,
)

#: a 135M model trained for minutes on a CPU needs a larger refusal share and learning rate
#: than the 7B+ models of the papers (docs/refusal-tuning-and-harmful-lora.md)
TRAINING = TrainConfig(rank=16, alpha=32, learning_rate=6e-4, epochs=2, batch_size=8, max_length=256)


class RefusalTuning(Defense):
    """LoRA fine-tuning on refusals of train-split harmful items (and their variants) mixed with utility data."""

    version = "1"
    defaults: dict[str, Any] = {
        "ratio": 0.4,
        "variants": "all",
        "probes": "harmful",
        "utility_data": None,
        "utility_limit": 32,
        "utility_max_new_tokens": 48,
        "refusals": None,
        "contrast": True,
        "contrast_limit": None,
        "seed": 0,
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        training, own = TrainConfig.split_options(options)
        unknown = sorted(set(own) - set(self.defaults))
        if unknown:
            raise ConfigError(
                f"refusal-tuning: unknown option(s) {', '.join(unknown)}; options: "
                f"{', '.join(sorted(self.defaults))} and the fine-tuning options in docs/fine-tuning.md"
            )
        self.settings = {**self.defaults, **own}
        self.training = TRAINING.with_options(training)
        ratio = float(self.settings["ratio"])
        if not 0 < ratio < 1:
            raise ConfigError(f"refusal-tuning: ratio must be between 0 and 1 (exclusive), not {ratio}")
        self.ratio = ratio
        self.variants = parse_variants(self.settings["variants"])

    def apply(self, target, ctx):
        utility = self.utility_examples(target, ctx)
        contrast = self.contrast_examples(target, ctx) if truthy(self.settings["contrast"]) else []
        refusals = self.refusal_examples(ctx, self.refusal_count(len(utility) + len(contrast)))
        rng = random.Random(int(self.settings["seed"]))
        mix = utility + contrast + refusals
        rng.shuffle(mix)
        ctx.log(f"[refusal-tuning] {len(refusals)} refusals + {len(utility)} utility + {len(contrast)} contrast "
                f"examples (refusal share {len(refusals) / len(mix):.0%})")
        return train_lora(target, mix, self.training, method=self.id or "refusal-tuning", ctx=ctx)

    def refusal_count(self, n_utility: int) -> int:
        return max(1, round(self.ratio * n_utility / (1 - self.ratio)))

    def refusal_pool(self, ctx) -> list[tuple[str, str, str]]:
        """(item id, prompt, variant name) for every train-split harmful item and each of its variants."""
        pool = []
        for item in train_split_items(ctx, str(self.settings["probes"])):
            pool += [(item.id, text, name) for name, text, _lang in item_prompts(item, self.variants)]
        if not pool:
            raise DatasetError(f"refusal-tuning: no harmful prompts for variants {', '.join(self.variants)}")
        return pool

    def refusal_examples(self, ctx, count: int) -> list[ChatExample]:
        """`count` (prompt, refusal) pairs: every request as written first, then its variants
        in random order; the pool is cycled when `count` exceeds it."""
        pool = self.refusal_pool(ctx)
        phrasings = refusal_phrasings(self.settings["refusals"])
        rng = random.Random(int(self.settings["seed"]) + 1)
        originals = [p for p in pool if p[2] == "original"]
        variants = [p for p in pool if p[2] != "original"]
        rng.shuffle(originals)
        rng.shuffle(variants)
        order = originals + variants
        out = []
        for i in range(count):
            item_id, prompt, _variant = order[i % len(order)]
            out.append(ChatExample.from_pair(prompt, rng.choice(phrasings), kind="refusal", item=item_id))
        return out

    def utility_examples(self, target, ctx) -> list[ChatExample]:
        limit = self.settings["utility_limit"]
        if self.settings["utility_data"]:
            examples = load_chat_dataset(self.settings["utility_data"])
            examples = examples[: int(limit)] if limit else examples
            return [ChatExample(e.messages, {"kind": "utility"}) for e in examples]
        prompts = [r["text"] for r in shipped_rows("utility", "instructions.jsonl")]
        examples = self.own_answers(target, ctx, prompts[: int(limit)] if limit else prompts, "utility")
        if not examples:
            raise DatasetError("refusal-tuning: the model gave no usable answers to the utility prompts")
        return examples

    def contrast_examples(self, target, ctx) -> list[ChatExample]:
        limit = self.settings["contrast_limit"]
        prompts = [r["text"] for r in shipped_rows("utility", "contrast.jsonl")]
        return self.own_answers(target, ctx, prompts[: int(limit)] if limit else prompts, "contrast")

    def own_answers(self, target, ctx, prompts: list[str], kind: str) -> list[ChatExample]:
        """The model's own answers (self-distillation); empty answers and refusals are left out."""
        answers = generate_answers(ctx, target, prompts, int(self.settings["utility_max_new_tokens"]),
                                   desc=f"refusal-tuning: {kind} answers")
        return [ChatExample.from_pair(p, a, kind=kind) for p, a in zip(prompts, answers, strict=True)
                if is_answer(a)]


def is_answer(text: str) -> bool:
    """Non-empty and not a refusal: training on the model's own refusals would teach over-refusal."""
    from auditor.judges.keyword import KeywordJudge

    return bool(text.strip()) and not KeywordJudge().judge_one(text).refused


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def refusal_phrasings(path: str | None) -> list[str]:
    """The refusal texts: a user jsonl/csv with a `text` column, or the shipped pool."""
    if path:
        from pathlib import Path

        from auditor.probes import read_table

        rows = read_table(Path(path).expanduser())
    else:
        rows = shipped_rows("templates", "refusals.jsonl")
    texts = [str(r.get("text", "")).strip() for r in rows if str(r.get("text", "")).strip()]
    if not texts:
        raise DatasetError(f"refusal-tuning: no refusal texts (a 'text' column) in {path or 'the shipped pool'}")
    return texts


@hookimpl
def register_defenses(register):
    register(RefusalTuning, name="refusal-tuning")
