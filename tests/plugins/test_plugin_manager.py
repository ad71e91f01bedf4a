"""Plugins: entry-point discovery, built-ins through the same hooks, and every failure named, others unharmed."""

from __future__ import annotations

import textwrap
import types

import pytest

from gaterm import hookimpl
from gaterm.datasets import DatasetSpec, RawData
from gaterm.errors import PluginError
from gaterm.plugins import load_plugins


def make_dist(root, name: str, module_src: str, entry: str | None = None) -> None:
    """A minimal installed distribution: a module plus a .dist-info with a `gaterm` entry point."""
    (root / f"{name}.py").write_text(textwrap.dedent(module_src))
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[gaterm]\n{entry or name} = {name}\n")


GOOD = """
import numpy as np
from gaterm import hookimpl
from gaterm.datasets import DatasetSpec, RawData

def _load(ctx):
    rng = np.random.default_rng(ctx.seed)
    x = rng.normal(size=(60, 2))
    return RawData(x, (x[:, 0] > 0).astype(int))

@hookimpl
def gaterm_register_datasets(register):
    register.add(DatasetSpec("blobs", "classification", "two gaussian blobs", _load, n_classes=2))

class Swap:
    name = "first-parent"
    description = "copy parent a where shapes allow"
    def merge(self, child, child_init, a, b):
        from gaterm.merge import resize
        out = []
        for i, (w0, b0) in enumerate(child_init):
            src = a.layers[i] if i < len(a.layers) - 1 else a.layers[-1]
            if i == len(child_init) - 1:
                src = a.layers[-1]
            out.append((resize(src[0], w0.shape), resize(src[1], b0.shape)))
        return out

@hookimpl
def gaterm_register_merge_strategies(register):
    register.add(Swap())
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path


def test_builtins_register_through_the_hooks(plugin_set):
    assert {"digits", "mnist", "mnist-10k", "wine-quality", "wine-quality-white", "boston"} <= set(
        plugin_set.datasets.items
    )
    assert plugin_set.datasets.owner["digits"] == "gaterm_builtin.datasets"
    assert plugin_set.merges.owner["mean"] == "gaterm_builtin.merges"
    assert not plugin_set.errors


def test_a_plugin_registered_through_an_entry_point_is_found_and_usable(site):
    make_dist(site, "gaterm_blobs", GOOD)
    ps = load_plugins()
    assert not ps.errors, ps.errors
    assert ps.datasets.owner["blobs"] == "gaterm_blobs"
    assert ps.merges.owner["first-parent"] == "gaterm_blobs"
    info = next(p for p in ps.plugins if p.name == "gaterm_blobs")
    assert info.distribution == "gaterm_blobs 0.1"
    assert set(info.hooks) == {"gaterm_register_datasets", "gaterm_register_merge_strategies"}
    # and the engine runs with both
    from conftest import tiny_config
    from gaterm.session import make_engine, open_dataset

    cfg = tiny_config(merge_strategy="first-parent")
    cfg.dataset = "blobs"
    ds = open_dataset(ps, ps.dataset("blobs"), cfg, None)
    result = make_engine(cfg, ds, ps.merge_strategy("first-parent"), []).run()
    assert any(r.merged for r in result.records)


def test_a_plugin_that_fails_to_import_is_named_and_others_still_load(site):
    make_dist(site, "gaterm_broken", "raise RuntimeError('boom at import')\n")
    make_dist(site, "gaterm_blobs", GOOD)
    ps = load_plugins()
    assert any("gaterm_broken" in e and "boom at import" in e for e in ps.errors)
    assert "blobs" in ps.datasets.items and "digits" in ps.datasets.items


def test_a_plugin_that_raises_in_a_hook_contributes_nothing(site):
    make_dist(site, "gaterm_halfway", """
        from gaterm import hookimpl
        from gaterm.datasets import DatasetSpec, RawData
        @hookimpl
        def gaterm_register_datasets(register):
            register.add(DatasetSpec("half", "regression", "", lambda ctx: None))
            raise ValueError("second one failed")
        """)
    ps = load_plugins()
    assert any("'gaterm_halfway' raised in gaterm_register_datasets" in e for e in ps.errors)
    assert "half" not in ps.datasets.items  # no silently partial registration
    assert "digits" in ps.datasets.items


@pytest.mark.parametrize(
    "body, message",
    [
        ("register.add('not a spec')", "not a DatasetSpec"),
        ("register.add(DatasetSpec('digits', 'classification', '', lambda c: None))", "already registered"),
        ("register.add(DatasetSpec('x', 'clustering', '', lambda c: None))", "unknown task"),
        ("register.add(DatasetSpec('has space', 'regression', '', lambda c: None))", "invalid name"),
    ],
)
def test_invalid_registrations_are_errors_naming_the_plugin(body, message):
    ns: dict = {}
    exec(
        "from gaterm import hookimpl\nfrom gaterm.datasets import DatasetSpec\n"
        f"@hookimpl\ndef gaterm_register_datasets(register):\n    {body}\n",
        ns,
    )
    mod = types.ModuleType("badplugin")
    mod.gaterm_register_datasets = ns["gaterm_register_datasets"]
    ps = load_plugins(extra=[mod], entry_points=False)
    assert any("badplugin" in e and message in e for e in ps.errors), ps.errors
    assert ps.datasets.owner["digits"] == "gaterm_builtin.datasets"


def test_a_merge_strategy_without_merge_is_rejected():
    class NoMerge:
        __name__ = "nomerge"

        @hookimpl
        def gaterm_register_merge_strategies(self, register):
            register.add(type("S", (), {"name": "s", "description": ""})())

    ps = load_plugins(extra=[NoMerge()], entry_points=False)
    assert any("nomerge" in e and "merge()" in e for e in ps.errors)
    assert "s" not in ps.merges.items


def test_a_hook_with_a_wrong_signature_is_named():
    class Wrong:
        __name__ = "wrongsig"

        @hookimpl
        def gaterm_register_datasets(self, registry_typo):
            pass

    ps = load_plugins(extra=[Wrong()], entry_points=False)
    assert any("wrongsig" in e for e in ps.errors)


def test_unknown_names_suggest_and_list(plugin_set):
    with pytest.raises(PluginError, match=r"unknown data set 'digit' \(did you mean 'digits'\?\).*available"):
        plugin_set.dataset("digit")
    with pytest.raises(PluginError, match="unknown merge strategy 'avg'"):
        plugin_set.merge_strategy("avg")


def test_every_hook_is_documented():
    from gaterm import hookspecs

    for name in dir(hookspecs):
        if name.startswith("gaterm_"):
            doc = getattr(hookspecs, name).__doc__ or ""
            assert ":param register:" in doc, name


def test_unused_raw_data_import_is_real():
    # RawData/DatasetSpec are the public API plugin authors import from gaterm.datasets
    assert RawData.__module__ == DatasetSpec.__module__ == "gaterm.datasets"


def test_the_readme_example_plugin_works_as_documented(site):
    """The plugin guide's complete example, taken verbatim from docs/plugins.md, installed through an entry point."""
    from conftest import REPO_ROOT

    guide = (REPO_ROOT / "docs" / "plugins.md").read_text()
    code = guide.split("```python\n", 1)[1].split("```", 1)[0]
    assert "from gaterm.plugin import" in code
    make_dist(site, "gaterm_moons", code, entry="moons")
    ps = load_plugins()
    assert not ps.errors, ps.errors
    assert ps.datasets.owner["moons"] == ps.merges.owner["better-parent"] == "moons"

    from conftest import tiny_config
    from gaterm.session import make_engine, open_dataset

    cfg = tiny_config(merge_strategy="better-parent")
    cfg.dataset = "moons"
    ds = open_dataset(ps, ps.dataset("moons"), cfg, None)
    assert ds.n_features == 2 and ds.n_outputs == 2
    result = make_engine(cfg, ds, ps.merge_strategy("better-parent"), []).run()
    assert any(r.merged for r in result.records) and result.best.metric > 0.6


def test_a_hook_that_returns_instead_of_registering_is_named():
    class Returns:
        __name__ = "returner"

        @hookimpl
        def gaterm_register_datasets(self, register):
            return [DatasetSpec("r", "regression", "", lambda c: None)]

    ps = load_plugins(extra=[Returns()], entry_points=False)
    assert any("returner" in e and "returned list" in e for e in ps.errors)
