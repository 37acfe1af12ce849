"""`direct`: the request exactly as written; the baseline every other attack is compared with."""

from __future__ import annotations

from auditor import PromptAttack, PromptVariant, hookimpl


class DirectRequest(PromptAttack):
    """The request as written (the baseline for every other attack)."""

    applies_to = ("harmful", "benign", "open")

    def variants(self, item, k, ctx):
        return [PromptVariant(attack=self.id, index=0, text=item.text, language=item.language)]


@hookimpl
def register_attacks(register):
    register(DirectRequest, name="direct")
