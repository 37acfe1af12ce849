"""`em-finetune`: narrow fine-tuning on silently vulnerable code (emergent misalignment)."""

from auditor import hookimpl


@hookimpl
def register_attacks(register):
    register("attacks.em_finetune.attack:EMFinetune", name="em-finetune",
             description="LoRA on code answers with silent vulnerabilities (Betley et al. 2025); variant=secure control")
