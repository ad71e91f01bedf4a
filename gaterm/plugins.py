"""The plugin manager: built-ins by module name, then entry points one at a time, each failure named."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from gaterm import hookspecs
from gaterm.datasets import DatasetSpec
from gaterm.errors import PluginError
from gaterm.merge import MergeStrategy

if TYPE_CHECKING:
    from gaterm.listeners import ListenerFactory

ENTRY_POINT_GROUP = "gaterm"
BUILTIN_MODULES = (
    "gaterm_builtin.datasets", "gaterm_builtin.tables", "gaterm_builtin.merges", "gaterm_builtin.merges_extra",
    "gaterm_builtin.tracking",
)
TASKS = ("classification", "regression", "auto")  # auto: the loader decides from the data (RawData.task)


@dataclass(frozen=True)
class PluginInfo:
    name: str  # entry-point name, or module name for built-ins
    module: str
    distribution: str  # "gaterm (built-in)" or "pkg 1.2"
    hooks: tuple[str, ...]


class _Registry:
    kind = "item"

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}
        self.owner: dict[str, str] = {}
        self._current: str = "?"

    def _add(self, name: Any, item: Any) -> None:
        if not isinstance(name, str) or not name or name.strip() != name or " " in name:
            raise PluginError(f"plugin {self._current!r} registered a {self.kind} with invalid name {name!r}")
        if name in self.items:
            raise PluginError(
                f"plugin {self._current!r} registered {self.kind} {name!r}, "
                f"already registered by plugin {self.owner[name]!r}"
            )
        self.items[name] = item
        self.owner[name] = self._current


class DatasetRegistry(_Registry):
    """Passed to `gaterm_register_datasets`; plugins call `add`."""

    kind = "data set"

    def add(self, spec: DatasetSpec) -> None:
        if not isinstance(spec, DatasetSpec):
            raise PluginError(f"plugin {self._current!r} registered {spec!r}, which is not a DatasetSpec")
        if spec.task not in TASKS:
            raise PluginError(f"plugin {self._current!r}: data set {spec.name!r} has unknown task {spec.task!r}")
        if not callable(spec.load):
            raise PluginError(f"plugin {self._current!r}: data set {spec.name!r} has no callable load")
        self._add(spec.name, spec)


class MergeRegistry(_Registry):
    """Passed to `gaterm_register_merge_strategies`; plugins call `add`."""

    kind = "merge strategy"

    def add(self, strategy: MergeStrategy) -> None:
        if not isinstance(strategy, MergeStrategy) or not callable(getattr(strategy, "merge", None)):
            raise PluginError(
                f"plugin {self._current!r} registered {strategy!r}, which lacks name, description and merge()"
            )
        self._add(strategy.name, strategy)


@dataclass(frozen=True)
class ListenerSpec:
    """A registered run listener: `factory(context)` makes the listener for one run (or None: not this run)."""

    name: str
    factory: ListenerFactory
    description: str = ""


class ListenerRegistry(_Registry):
    """Passed to `gaterm_register_listeners`; plugins call `add`."""

    kind = "listener"

    def add(self, name: str, factory: ListenerFactory, description: str = "") -> None:
        if not callable(factory):
            raise PluginError(f"plugin {self._current!r}: listener {name!r} has no callable factory")
        if not isinstance(description, str):
            raise PluginError(f"plugin {self._current!r}: listener {name!r} has a description that is not text")
        self._add(name, ListenerSpec(name, factory, description))


@dataclass
class PluginSet:
    """What the installed plugins provide, and which of them failed (by name, with the reason)."""

    plugins: list[PluginInfo] = field(default_factory=list)
    datasets: DatasetRegistry = field(default_factory=DatasetRegistry)
    merges: MergeRegistry = field(default_factory=MergeRegistry)
    listeners: ListenerRegistry = field(default_factory=ListenerRegistry)
    errors: list[str] = field(default_factory=list)

    def dataset(self, name: str) -> DatasetSpec:
        return self._get(self.datasets, name)

    def merge_strategy(self, name: str) -> MergeStrategy:
        return self._get(self.merges, name)

    def _get(self, reg: _Registry, name: str) -> Any:
        if name in reg.items:
            return reg.items[name]
        import difflib

        close = difflib.get_close_matches(name, list(reg.items), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        broken = f"; note: {len(self.errors)} plugin(s) failed to load, see `gaterm plugins`" if self.errors else ""
        raise PluginError(
            f"unknown {reg.kind} {name!r}{hint}; available: {', '.join(sorted(reg.items)) or 'none'}{broken}"
        )


def _make_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _register(pm: pluggy.PluginManager, ps: PluginSet, name: str, load: Callable[[], Any], dist: str) -> None:
    try:
        obj = load()
    except Exception as exc:  # a third party's import error must not take down the others  # noqa: BLE001
        ps.errors.append(f"plugin {name!r} failed to import: {type(exc).__name__}: {exc}")
        return
    try:
        pm.register(obj, name=name)
    except Exception as exc:  # pluggy validates hook signatures here  # noqa: BLE001
        ps.errors.append(f"plugin {name!r} is invalid: {exc}")
        return
    hooks = tuple(
        sorted(h.name for h in (pm.get_hookcallers(obj) or []) if h.name.startswith("gaterm_"))
    )
    module = getattr(obj, "__name__", type(obj).__name__)
    ps.plugins.append(PluginInfo(name, module, dist, hooks))


def _call_hook(pm: pluggy.PluginManager, hook_name: str, registry: _Registry, ps: PluginSet) -> None:
    """Call each plugin's implementation separately so an error is attributed to that plugin alone."""
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        registry._current = impl.plugin_name
        before = dict(registry.items)
        try:
            returned = impl.function(registry)
            if returned is not None:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} returned {type(returned).__name__}; "
                    f"hooks register with register.add(...) and return nothing"
                )
        except PluginError as exc:
            ps.errors.append(str(exc))
            _rollback(registry, before)
        except Exception as exc:  # noqa: BLE001
            ps.errors.append(f"plugin {impl.plugin_name!r} raised in {hook_name}: {type(exc).__name__}: {exc}")
            _rollback(registry, before)


def _rollback(registry: _Registry, before: dict[str, Any]) -> None:
    """A plugin that fails half-way contributes nothing, rather than a silently partial set."""
    for key in list(registry.items):
        if key not in before:
            del registry.items[key]
            del registry.owner[key]


def _given(obj: Any) -> Any:
    """What loading a plugin passed in as an object gives: the object itself."""
    return obj


def load_plugins(extra: list[Any] | None = None, entry_points: bool = True) -> PluginSet:
    """Load built-ins, then each `gaterm` entry point, then `extra` objects (used by tests)."""
    pm = _make_manager()
    ps = PluginSet()
    for modname in BUILTIN_MODULES:
        _register(pm, ps, modname, functools.partial(importlib.import_module, modname), "gaterm (built-in)")
    if entry_points:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.value in BUILTIN_MODULES:
                continue  # the built-ins' own entry points: already registered by module name
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "?"
            _register(pm, ps, ep.name, ep.load, dist)
    for i, obj in enumerate(extra or []):
        _register(pm, ps, getattr(obj, "__name__", f"extra{i}"), functools.partial(_given, obj), "(passed in)")
    _call_hook(pm, "gaterm_register_datasets", ps.datasets, ps)
    _call_hook(pm, "gaterm_register_merge_strategies", ps.merges, ps)
    _call_hook(pm, "gaterm_register_listeners", ps.listeners, ps)
    return ps
