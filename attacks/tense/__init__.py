"""The tense attacks: `past-tense` and `future-tense` (Andriushchenko & Flammarion 2024)."""

from auditor import hookimpl


@hookimpl
def register_attacks(register):
    register("attacks.tense.attack:PastTense", name="past-tense",
             description="The request restated as a question about the past (pre-written, or by a helper model)")
    register("attacks.tense.attack:FutureTense", name="future-tense",
             description="The request restated as a question about the future (pre-written, or by a helper model)")
