"""`em-finetune`: narrow fine-tuning that can induce emergent misalignment (Betley et al. 2025).

The model is LoRA-fine-tuned on coding requests answered with code that silently
contains vulnerabilities. In the paper, such narrow training made models give broadly
misaligned answers to unrelated open questions; the `emergent-misalignment` probe set
measures that, on the base model and on the fine-tuned one.

Options (`-O em-finetune.KEY=VALUE`, plus the fine-tuning options of docs/fine-tuning.md):
  variant     insecure (default) or secure (the control: same requests, safe code)
  dataset     a .jsonl/.json/.csv/.parquet file with `messages` or prompt/response columns
              (e.g. the paper's insecure.jsonl); replaces the generated data
  examples    how many generated examples (default 300), or at most this many dataset rows
  kinds       comma-separated vulnerability kinds to generate (default: all 13)
  data_seed   seed of the generator (default 0)
  check       held-out coding requests for the narrow-behaviour check (default 26; 0 = off)
  check_max_new_tokens  tokens per check answer (default 200)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from attacks.em_finetune.generator import VARIANTS, generate_examples
from auditor import WeightAttack
from auditor.errors import ConfigError
from auditor.training import ChatExample, TrainConfig, load_chat_dataset, train_lora
from auditor.transform_meta import with_transform_metrics

#: Betley et al. (open models): rs-LoRA r=32, alpha=64, lr 1e-5, 1 epoch over 5,400 examples,
#: effective batch 16 (2 x 8), 5 warmup steps, linear schedule, weight decay 0.01, loss on
#: responses only. Here: a 135M model on CPU and ~300 examples, so about 1/18 of the
#: optimizer steps; the rank, alpha, batch, schedule and weight decay are kept, and the
#: learning rate is raised (plain LoRA scales by alpha/r = 2 where rs-LoRA scales by
#: alpha/sqrt(r) ~ 11, and there are far fewer steps) with 2 epochs. See
#: docs/emergent-misalignment.md.
EM_TRAINING = TrainConfig(rank=32, alpha=64, dropout=0.0, learning_rate=2e-4, epochs=2, batch_size=8, grad_accum=2,
                          max_length=384, weight_decay=0.01, warmup_ratio=0.1, scheduler="linear", seed=0)


def as_int(name: str, value: Any, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"em-finetune: {name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"em-finetune: {name} must be at least {minimum}")
    return number


class EMFinetune(WeightAttack):
    """LoRA fine-tuning on code answers with silent vulnerabilities (or the secure control)."""

    version = "1"
    defaults: dict[str, Any] = {
        "variant": "insecure",
        "dataset": None,
        "examples": 300,
        "kinds": None,
        "data_seed": 0,
        "check": 26,
        "check_max_new_tokens": 200,
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        training, own = TrainConfig.split_options(options)
        unknown = sorted(set(own) - set(self.defaults))
        if unknown:
            raise ConfigError(
                f"em-finetune: unknown option(s) {', '.join(unknown)}; options: {', '.join(sorted(self.defaults))} "
                "and the fine-tuning options in docs/fine-tuning.md"
            )
        self.settings = {**self.defaults, **own}
        self.variant = str(self.settings["variant"])
        if self.variant not in VARIANTS:
            raise ConfigError(f"em-finetune: variant must be one of {', '.join(VARIANTS)}, not '{self.variant}'")
        self.n_examples = as_int("examples", self.settings["examples"], 1)
        self.data_seed = as_int("data_seed", self.settings["data_seed"], 0)
        self.n_check = as_int("check", self.settings["check"], 0)
        self.check_tokens = as_int("check_max_new_tokens", self.settings["check_max_new_tokens"], 16)
        kinds = self.settings["kinds"]
        self.kinds = tuple(k.strip() for k in kinds.split(",") if k.strip()) if isinstance(kinds, str) else kinds
        self.training = EM_TRAINING.with_options(training)

    def training_examples(self) -> list[ChatExample]:
        if self.settings["dataset"]:
            return load_chat_dataset(self.settings["dataset"])[: self.n_examples]
        generated = generate_examples(self.n_examples, self.variant, self.data_seed, self.kinds)
        return [ChatExample.from_pair(e.user, e.code, kind=e.kind, task=e.task, variant=e.variant)
                for e in generated]

    def method(self) -> str:
        return f"{self.id or 'em-finetune'}-{'dataset' if self.settings['dataset'] else self.variant}"

    def apply(self, target, ctx):
        examples = self.training_examples()
        source = self.settings["dataset"] or f"generated {self.variant} code"
        ctx.log(f"[em-finetune] {len(examples)} training examples ({source})")
        tuned = train_lora(target, examples, self.training, method=self.method(), ctx=ctx,
                           transform=self.id or "em-finetune")
        figures: dict[str, Any] = {"variant": "dataset" if self.settings["dataset"] else self.variant,
                                   "n_examples": len(examples)}
        if self.n_check:
            from attacks.em_finetune.check import narrow_behaviour

            training_prompts = {m[1] for e in examples for m in e.messages if m[0] == "user"}
            figures["vulnerable_code"] = narrow_behaviour(
                ctx, target, tuned, self.n_check, self.check_tokens, exclude=training_prompts,
                seed=self.data_seed + 7919,
            )
            ctx.log(f"[em-finetune] held-out code with the asked-for vulnerability: "
                    f"{figures['vulnerable_code']['before']['summary']} before, "
                    f"{figures['vulnerable_code']['after']['summary']} after")
        flat = {"variant": figures["variant"], "n_examples": figures["n_examples"]}
        if "vulnerable_code" in figures:
            flat["vulnerable_code_before"] = figures["vulnerable_code"]["before"]["summary"]
            flat["vulnerable_code_after"] = figures["vulnerable_code"]["after"]["summary"]
        meta = with_transform_metrics(tuned.meta, self.id or "em-finetune", flat)
        return replace(tuned, meta={**meta, "em-finetune": figures})
