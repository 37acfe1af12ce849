"""Plan a scan: targets x prompt attacks x probe sets, expanded into attempts."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.components import ModelTransform, PromptAttack
from auditor.context import RunContext
from auditor.errors import ComponentNotFound, ConfigError
from auditor.probes import load_probe_reference
from auditor.target import Target
from auditor.types import GenerationRequest, ProbeItem, PromptVariant


@dataclass
class Attempt:
    """One prompt sent to one target: the unit of results.jsonl."""

    target: Target
    attack: PromptAttack
    probe_set: str
    item: ProbeItem
    variant: PromptVariant
    sample_index: int
    request: GenerationRequest


def load_probe_sets(ctx: RunContext) -> dict[str, list[ProbeItem]]:
    cfg = ctx.config
    registry = ctx.host.registry("probe")
    sets: dict[str, list[ProbeItem]] = {}
    for reference in cfg.probes:
        name, items = load_probe_reference(reference, registry, cfg.probe_columns or None)
        if cfg.split != "all":
            # Benign and open items are never trained on: all of them are evaluation items.
            items = [i for i in items if i.split == cfg.split or (cfg.split == "eval" and i.kind != "harmful")]
        if cfg.limit:
            items = items[: cfg.limit]
        if not items:
            raise ConfigError(f"probe set '{name}' has no items in split '{cfg.split}'")
        sets[name] = items
    return sets


def resolve_transform(ctx: RunContext, cid: str) -> type[ModelTransform]:
    """A pipeline step: a defense, or a weight-level attack."""
    defenses = ctx.host.registry("defense")
    attacks = ctx.host.registry("attack")
    if cid in defenses:
        return ctx.host.get("defense", cid)
    if cid in attacks:
        cls = ctx.host.get("attack", cid)
        if not issubclass(cls, ModelTransform):
            raise ConfigError(f"'{cid}' is a prompt attack; use it with --attack, not in a --pipeline")
        return cls
    transforms = [i.id for i in defenses.infos()] + [
        i.id for i in attacks.infos() if not isinstance(i.target, type) or issubclass(i.target, ModelTransform)
    ]
    raise ComponentNotFound("pipeline step", cid, transforms)


def parse_pipeline(spec: str) -> list[str]:
    steps = [s.strip() for s in spec.replace("->", ",").split(",") if s.strip()]
    if not steps:
        raise ConfigError(f"empty pipeline '{spec}'")
    return steps


def check_pipelines(ctx: RunContext) -> None:
    """Fail before any model work on an unknown step, a prompt attack in a pipeline or bad options."""
    for spec in ctx.config.pipelines:
        for cid in parse_pipeline(spec):
            resolve_transform(ctx, cid)(**ctx.options_for(cid))


def materialize(ctx: RunContext, base: Target, spec: str) -> Target:
    target = base
    for cid in parse_pipeline(spec):
        transform = resolve_transform(ctx, cid)(**ctx.options_for(cid))
        ctx.log(f"[pipeline] applying {cid} to {target.pipeline}")
        target = transform.apply(target, ctx)
    return target


def build_attacks(ctx: RunContext) -> list[PromptAttack]:
    attacks = []
    for cid in ctx.config.attacks:
        cls = ctx.host.get("attack", cid)
        if not issubclass(cls, PromptAttack):
            raise ConfigError(f"'{cid}' is a weight-level attack; use it in --pipeline, not --attack")
        attacks.append(cls(**ctx.options_for(cid)))
    return attacks


def expand(
    ctx: RunContext,
    targets: list[Target],
    attacks: list[PromptAttack],
    probe_sets: dict[str, list[ProbeItem]],
) -> list[Attempt]:
    cfg = ctx.config
    # Variants depend only on the item, not on the target: make them once.
    variants: dict[tuple[str, str, str], list[PromptVariant]] = {}
    for attack in attacks:
        for set_name, items in probe_sets.items():
            applicable = [i for i in items if attack.id == "direct" or i.kind in attack.applies_to]
            if not applicable:
                continue
            attack.prepare(applicable, cfg.k, ctx)
            for item in applicable:
                variants[(attack.id, set_name, item.id)] = attack.variants(item, cfg.k, ctx)
    attempts = []
    for target in targets:
        for attack in attacks:
            for set_name, items in probe_sets.items():
                for item in items:
                    for variant in variants.get((attack.id, set_name, item.id), []):
                        for sample in range(cfg.samples):
                            request = GenerationRequest.chat(
                                variant.text,
                                system=variant.system or item.system or cfg.system_prompt,
                                max_new_tokens=cfg.max_new_tokens,
                                temperature=cfg.temperature,
                                top_p=cfg.top_p,
                                seed=cfg.seed,
                                sample_index=sample,
                            )
                            attempts.append(Attempt(target, attack, set_name, item, variant, sample, request))
    return attempts
