"""The plugin manager: entry-point discovery, isolated load errors, component registries.

Built-in components live in modules that the `auditor` distribution itself declares
under the `auditor` entry-point group, exactly as a third-party package would.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from auditor import hookspecs
from auditor.components import KIND_BASES
from auditor.errors import AuditorError, PluginError
from auditor.registry import Registry

GROUP = "auditor"
SELF_DISTRIBUTION = "auditor"

#: hook name -> component kind it registers
HOOK_KINDS = {
    "register_attacks": "attack",
    "register_defenses": "defense",
    "register_judges": "judge",
    "register_backends": "backend",
    "register_probe_sets": "probe",
    "register_report_formats": "report",
}


@dataclass
class LoadError:
    plugin: str
    distribution: str
    error: str


@dataclass
class PluginHost:
    """A plugin manager plus the registries built from it."""

    pm: pluggy.PluginManager
    load_errors: list[LoadError] = field(default_factory=list)
    distributions: dict[str, tuple[str, str]] = field(default_factory=dict)  # plugin -> (dist, version)
    _registries: dict[str, Registry] = field(default_factory=dict)

    def registry(self, kind: str) -> Registry:
        if kind not in self._registries:
            self._registries[kind] = self._build(kind)
        return self._registries[kind]

    def _build(self, kind: str) -> Registry:
        hook_name = next(h for h, k in HOOK_KINDS.items() if k == kind)
        registry = Registry(kind, KIND_BASES[kind])
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            dist, version = self.distributions.get(plugin_name, (plugin_name, ""))

            def register(
                component: Any,
                *,
                name: str | None = None,
                description: str | None = None,
                _plugin: str = plugin_name,
                _version: str = version,
            ) -> None:
                registry.add(
                    component, plugin=_plugin, plugin_version=_version, name=name, description=description
                )

            try:
                impl.function(register=register)
            except PluginError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not fatal
                self.load_errors.append(LoadError(plugin_name, dist, f"{hook_name}: {type(exc).__name__}: {exc}"))
        return registry

    def get(self, kind: str, cid: str) -> type:
        info = self.registry(kind).info(cid)
        return info.load(KIND_BASES[kind])

    def plugin_names(self) -> list[str]:
        return sorted(name for name, _ in self.pm.list_name_plugin())

    def describe(self) -> dict[str, Any]:
        """What `auditor plugins` prints."""
        plugins: dict[str, dict[str, Any]] = {}
        for name in self.plugin_names():
            dist, version = self.distributions.get(name, (name, ""))
            plugins[name] = {"plugin": name, "distribution": dist, "version": version, "components": {}}
        for kind in HOOK_KINDS.values():
            for info in self.registry(kind).infos():
                entry = plugins.setdefault(
                    info.plugin,
                    {"plugin": info.plugin, "distribution": "", "version": info.plugin_version, "components": {}},
                )
                entry["components"].setdefault(kind, []).append(info.id)
        return {
            "plugins": list(plugins.values()),
            "errors": [e.__dict__ for e in self.load_errors],
        }


def _entry_points() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=GROUP))


def _env_list(name: str) -> list[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def make_plugin_host(
    load_entrypoints: bool = True,
    defaults: bool = True,
    strict: bool | None = None,
    extra_plugins: tuple[Any, ...] = (),
) -> PluginHost:
    """Build a fresh host.

    defaults: load the entry points of the `auditor` distribution itself (the built-ins).
    load_entrypoints: also load third-party entry points, filtered by AUDITOR_LOAD_PLUGINS
        (a comma-separated allowlist of distribution names) and AUDITOR_DISABLE_PLUGINS
        (entry-point names).
    strict: re-raise load errors (default from AUDITOR_STRICT_PLUGINS=1).
    """
    if strict is None:
        strict = os.environ.get("AUDITOR_STRICT_PLUGINS") == "1"
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm)
    allow = _env_list("AUDITOR_LOAD_PLUGINS")
    blocked = set(_env_list("AUDITOR_DISABLE_PLUGINS") or [])
    for ep in _entry_points():
        dist_name = ep.dist.name if ep.dist else ""
        dist_version = ep.dist.version if ep.dist else ""
        is_builtin = dist_name == SELF_DISTRIBUTION
        if is_builtin and not defaults:
            continue
        if not is_builtin and (not load_entrypoints or (allow is not None and dist_name not in allow)):
            continue
        if ep.name in blocked or pm.get_plugin(ep.name) is not None:
            continue
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
            host.distributions[ep.name] = (dist_name, dist_version)
        except Exception as exc:  # noqa: BLE001
            if strict:
                raise
            host.load_errors.append(LoadError(ep.name, dist_name, f"{type(exc).__name__}: {exc}"))
            print(f"auditor: plugin '{ep.name}' ({dist_name}) failed to load: {exc}", file=sys.stderr)
    for plugin in extra_plugins:
        module = importlib.import_module(plugin) if isinstance(plugin, str) else plugin
        name = getattr(module, "__name__", None) or repr(module)
        pm.register(module, name=name)
        host.distributions.setdefault(name, (name, getattr(module, "__version__", "")))
    pm.check_pending()
    if os.environ.get("AUDITOR_TRACE_PLUGINS") == "1":
        pm.trace.root.setwriter(lambda msg: print(msg, file=sys.stderr, end=""))
        pm.enable_tracing()
    return host


def require_no_errors_for(host: PluginHost, kind: str, cid: str) -> None:
    """A scan that asks for a component of a plugin that failed to load must not run."""
    if cid in host.registry(kind):
        return
    if host.load_errors:
        failed = "; ".join(f"{e.plugin}: {e.error}" for e in host.load_errors)
        raise PluginError(f"{kind} '{cid}' is unavailable and some plugins failed to load ({failed})")


__all__ = ["AuditorError", "PluginHost", "make_plugin_host", "HOOK_KINDS", "LoadError"]
