"""FLAT: unlearning by f-divergence loss adjustment (Wang et al., ICLR 2025)."""

from auditor import hookimpl


@hookimpl
def register_defenses(register):
    register("defenses.flat.defense:Flat", name="flat",
             description="FLAT: unlearn harmful answers with an f-divergence loss towards refusal templates")
