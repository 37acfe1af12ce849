"""Antidote: one-shot pruning of harmful fine-tuning (Huang et al. 2024)."""

from auditor import hookimpl


@hookimpl
def register_defenses(register):
    register("defenses.antidote.defense:Antidote", name="antidote",
             description="Antidote: one-shot Wanda pruning of a harmful fine-tune's LoRA (or q/k/v) weights")
