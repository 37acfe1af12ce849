"""A typed registry of components for one kind, with lazy "module:Class" targets."""

from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ComponentNotFound, PluginError

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class ComponentInfo:
    kind: str
    id: str
    description: str
    plugin: str
    plugin_version: str
    target: str | type
    _loaded: type | None = field(default=None, repr=False)

    def load(self, bases: tuple[type, ...]) -> type:
        if self._loaded is not None:
            return self._loaded
        target = self.target
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            try:
                target = getattr(importlib.import_module(module_name), attr)
            except Exception as exc:  # noqa: BLE001 - any import failure is a plugin error
                raise PluginError(
                    f"{self.kind} '{self.id}' from plugin '{self.plugin}' failed to load "
                    f"({self.target}): {type(exc).__name__}: {exc}"
                ) from exc
        check_class(self.kind, self.id, self.plugin, target, bases)
        target.id = self.id
        target.plugin = self.plugin
        target.plugin_version = self.plugin_version
        if not getattr(target, "description", ""):
            target.description = self.description
        self._loaded = target
        return target

    def summary(self) -> dict[str, str]:
        return {"id": self.id, "description": self.description, "plugin": self.plugin}


def check_class(kind: str, cid: str, plugin: str, target: Any, bases: tuple[type, ...]) -> None:
    if not (isinstance(target, type) and issubclass(target, bases)):
        names = " or ".join(b.__name__ for b in bases)
        raise PluginError(f"plugin '{plugin}' registered {kind} '{cid}' that is not a subclass of {names}")


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


class Registry:
    """Components of one kind, keyed by id."""

    def __init__(self, kind: str, bases: tuple[type, ...]):
        self.kind = kind
        self.bases = bases
        self._items: dict[str, ComponentInfo] = {}

    def add(
        self,
        component: type | str,
        *,
        plugin: str,
        plugin_version: str,
        name: str | None = None,
        description: str | None = None,
    ) -> ComponentInfo:
        if isinstance(component, str):
            if ":" not in component or not name:
                raise PluginError(
                    f"plugin '{plugin}' registered lazy {self.kind} '{component}': "
                    "a lazy target needs the form 'module:Class' and a name="
                )
            cid = name
            desc = description or ""
        else:
            cid = name or getattr(component, "id", "")
            check_class(self.kind, cid or component.__name__, plugin, component, self.bases)
            desc = description or getattr(component, "description", "") or first_line(component.__doc__)
        if not cid or not ID_PATTERN.match(cid):
            raise PluginError(
                f"plugin '{plugin}' registered {self.kind} id {cid!r}: ids are lowercase kebab-case"
            )
        if cid in self._items:
            other = self._items[cid].plugin
            raise PluginError(
                f"duplicate {self.kind} id '{cid}': registered by plugin '{other}' and by plugin '{plugin}'"
            )
        info = ComponentInfo(self.kind, cid, desc, plugin, plugin_version, component)
        self._items[cid] = info
        return info

    def ids(self) -> list[str]:
        return sorted(self._items)

    def infos(self) -> list[ComponentInfo]:
        return [self._items[k] for k in self.ids()]

    def __contains__(self, cid: str) -> bool:
        return cid in self._items

    def info(self, cid: str) -> ComponentInfo:
        try:
            return self._items[cid]
        except KeyError:
            close = difflib.get_close_matches(cid, self.ids(), n=1)
            hint = f"did you mean '{close[0]}'?" if close else ""
            raise ComponentNotFound(self.kind, cid, self.ids(), hint) from None

    def get(self, cid: str) -> type:
        return self.info(cid).load(self.bases)
