"""The conjugate-prompting attack: requests translated into other languages (Kotha et al. 2023)."""

from auditor import hookimpl


@hookimpl
def register_attacks(register):
    register("attacks.conjugate.attack:ConjugatePrompting", name="conjugate",
             description="The request translated into fr, de, ja, hu, sw (or given languages); answers judged in English")
