"""The plugin host: discovery, provenance, isolation of broken plugins, duplicate ids."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
import tomllib
from click.testing import CliRunner

import auditor
from auditor import hookspecs, plugins
from auditor.cli import cli
from auditor.errors import ComponentNotFound, PluginError
from auditor.plugins import HOOK_KINDS, make_plugin_host

ROOT = Path(__file__).resolve().parents[1]


class Shout(auditor.PromptAttack):
    """Upper-cases the request."""

    def variants(self, item, k, ctx):
        return [auditor.PromptVariant(self.id, 0, item.text.upper())]


def plugin_registering(hook: str, component, name: str):
    ns = SimpleNamespace(__name__=f"test-plugin-{name}")

    def impl(register):
        register(component, name=name)

    impl.__name__ = hook
    setattr(ns, hook, auditor.hookimpl(impl))
    return ns


def test_builtins_are_registered(host):
    assert "direct" in host.registry("attack")
    assert "keyword" in host.registry("judge")
    assert "hf" in host.registry("backend")
    assert {"harmful", "benign"} <= set(host.registry("probe").ids())
    assert {"json", "markdown"} <= set(host.registry("report").ids())
    # Built-ins come from the auditor distribution's own entry points.
    assert host.distributions["direct"][0] == "auditor"


def test_every_builtin_module_is_an_entry_point():
    """A module in attacks/ or defenses/ that is not declared would silently never load."""
    eps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["auditor"]
    declared = set(eps.values())
    for folder in ("attacks", "defenses"):
        for path in (ROOT / folder).iterdir():
            if path.name.startswith("_") or path.name.startswith("."):
                continue
            if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
                module = f"{folder}.{path.stem}"
                if "hookimpl" in (path if path.suffix == ".py" else path / "__init__.py").read_text():
                    assert module in declared, f"{module} registers hooks but is not an entry point"


def test_duplicate_id_names_both_plugins():
    first = plugin_registering("register_attacks", Shout, "shout")
    second = plugin_registering("register_attacks", Shout, "shout")
    second.__name__ = "test-plugin-other"
    host = make_plugin_host(load_entrypoints=False, defaults=False, extra_plugins=(first, second))
    with pytest.raises(PluginError) as err:
        host.registry("attack")
    assert "test-plugin-shout" in str(err.value) and "test-plugin-other" in str(err.value)


def test_component_must_subclass_the_kind_base():
    bad = plugin_registering("register_judges", Shout, "not-a-judge")
    host = make_plugin_host(load_entrypoints=False, defaults=False, extra_plugins=(bad,))
    with pytest.raises(PluginError, match="not a subclass of Judge"):
        host.registry("judge")


def test_ids_must_be_kebab_case():
    bad = plugin_registering("register_attacks", Shout, "Shout_Attack")
    host = make_plugin_host(load_entrypoints=False, defaults=False, extra_plugins=(bad,))
    with pytest.raises(PluginError, match="kebab-case"):
        host.registry("attack")


def test_lazy_targets_import_only_when_used():
    lazy = plugin_registering("register_attacks", "no_such_module_xyz:Thing", "lazy-one")
    host = make_plugin_host(load_entrypoints=False, defaults=False, extra_plugins=(lazy,))
    assert host.registry("attack").ids() == ["lazy-one"]  # listing does not import
    with pytest.raises(PluginError, match="lazy-one.*failed to load"):
        host.get("attack", "lazy-one")


def test_unknown_id_lists_available_and_suggests(host):
    with pytest.raises(ComponentNotFound) as err:
        host.get("attack", "directt")
    assert "direct" in str(err.value) and "did you mean 'direct'" in str(err.value)


def fake_entry_point(name, loader, dist="broken-dist"):
    return SimpleNamespace(name=name, load=loader, dist=SimpleNamespace(name=dist, version="9.9"))


def test_broken_plugin_is_recorded_not_fatal(monkeypatch, host):
    real = plugins._entry_points()

    def boom():
        raise ImportError("missing dependency frobnicate")

    monkeypatch.setattr(plugins, "_entry_points", lambda: [*real, fake_entry_point("broken", boom)])
    broken_host = make_plugin_host(strict=False)
    assert [e.plugin for e in broken_host.load_errors] == ["broken"]
    assert "frobnicate" in broken_host.load_errors[0].error
    assert "direct" in broken_host.registry("attack")  # everything else still works
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0
    data = json.loads(result.stdout[result.stdout.index("{"):])
    assert data["errors"][0]["plugin"] == "broken"


def test_strict_mode_reraises(monkeypatch):
    def boom():
        raise ImportError("nope")

    monkeypatch.setattr(plugins, "_entry_points", lambda: [fake_entry_point("broken", boom)])
    with pytest.raises(ImportError):
        make_plugin_host(strict=True)


def test_example_plugin_is_found_through_its_entry_point():
    host = make_plugin_host()
    info = host.registry("attack").info("example-roleplay")
    assert info.plugin == "example-roleplay"
    assert host.distributions["example-roleplay"][0] == "auditor-example-plugin"
    cls = host.get("attack", "example-roleplay")
    item = auditor.ProbeItem(id="x", text="Do a bad thing.")
    [variant] = cls().variants(item, 1, None)
    assert "Do a bad thing." in variant.text and variant.text != item.text


def test_disable_and_allowlist(monkeypatch):
    monkeypatch.setenv("AUDITOR_DISABLE_PLUGINS", "example-roleplay")
    assert "example-roleplay" not in make_plugin_host().registry("attack")
    monkeypatch.delenv("AUDITOR_DISABLE_PLUGINS")
    monkeypatch.setenv("AUDITOR_LOAD_PLUGINS", "")
    host = make_plugin_host()
    assert "example-roleplay" not in host.registry("attack")
    assert "direct" in host.registry("attack")  # the allowlist never drops built-ins


@pytest.mark.parametrize("hook", sorted(HOOK_KINDS))
def test_hook_registers_components(hook):
    """Every registration hook works for a third-party plugin."""
    kind = HOOK_KINDS[hook]
    base = {"attack": auditor.PromptAttack, "defense": auditor.Defense, "judge": auditor.Judge,
            "backend": auditor.Backend, "probe": auditor.ProbeSource, "report": auditor.ReportFormat}[kind]
    component = type(f"Test{kind.title()}", (base,), {"__doc__": f"a test {kind}", "__abstractmethods__": frozenset()})
    plugin = plugin_registering(hook, component, f"test-{kind}")
    host = make_plugin_host(load_entrypoints=False, defaults=False, extra_plugins=(plugin,))
    info = host.registry(kind).info(f"test-{kind}")
    assert info.description == f"a test {kind}"
    assert host.get(kind, f"test-{kind}").plugin == "test-plugin-test-" + kind


def test_hook_register_commands(monkeypatch):
    @click.command(name="hello-test")
    def hello():
        click.echo("hello from a plugin")

    ns = SimpleNamespace(__name__="cmd-plugin")
    ns.register_commands = auditor.hookimpl(lambda cli: cli.add_command(hello))
    ns.register_commands.__name__ = "register_commands"
    real = plugins.make_plugin_host
    monkeypatch.setattr(plugins, "make_plugin_host", lambda **kw: real(extra_plugins=(ns,)))
    group = type(cli)(name="auditor", commands={})
    result = CliRunner().invoke(group, ["hello-test"])
    assert result.exit_code == 0, result.output
    assert "hello from a plugin" in result.output


def test_every_hook_is_documented_and_tested():
    hooks = [n for n in dir(hookspecs) if n.startswith("register_")]
    docs = (ROOT / "docs" / "plugins.md").read_text()
    tests = Path(__file__).read_text()
    for name in hooks:
        assert f"`{name}" in docs, f"{name} missing from docs/plugins.md"
        assert name in HOOK_KINDS or f"test_hook_{name}" in tests


def test_cli_list_and_plugins():
    runner = CliRunner()
    result = runner.invoke(cli, ["list", "attacks"])
    assert result.exit_code == 0 and "direct" in result.output
    result = runner.invoke(cli, ["plugins"])
    data = json.loads(result.output)
    names = {p["plugin"] for p in data["plugins"]}
    assert {"direct", "keyword-judge", "hf-backend", "builtin-probes", "example-roleplay"} <= names
