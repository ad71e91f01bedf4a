"""Glue shared by every front end (headless now, compare and the TUI later): plugins, data set, engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gaterm.config import RunConfig
from gaterm.datasets import Dataset, DatasetSpec, LoadContext, prepare
from gaterm.engine.evolve import Engine, Listener
from gaterm.errors import DataError, GatermError, PluginError
from gaterm.merge import MergeStrategy
from gaterm.plugins import PluginSet, load_plugins


def open_plugins(console: Any | None = None) -> PluginSet:
    """Load all plugins; each broken one is reported by name (to `console`), the others still work."""
    ps = load_plugins()
    if console is not None:
        for e in ps.errors:
            console.print(f"[yellow]warning:[/] {e}", highlight=False)
    return ps


def load_dataset(ps: PluginSet, spec: DatasetSpec, cfg: RunConfig, data_dir: Path | None) -> Dataset:
    """Run the plugin's loader and split the result; a loader's own bug is reported with the plugin's name."""
    try:
        raw = spec.load(LoadContext(data_dir=data_dir, seed=cfg.seed))
    except GatermError:
        raise
    except Exception as exc:  # noqa: BLE001
        owner = ps.datasets.owner.get(spec.name, "?")
        raise PluginError(
            f"data set {spec.name!r} (plugin {owner!r}) failed to load: {type(exc).__name__}: {exc}"
        ) from None
    try:
        return prepare(spec, raw, cfg.seed, cfg.training.val_fraction, cfg.training.test_fraction)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"data set {spec.name!r}: loader returned unusable arrays ({exc})") from None


def make_engine(
    cfg: RunConfig,
    dataset: Dataset,
    strategy: MergeStrategy | None,
    listeners: Sequence[Listener],
    should_stop: Callable[[], bool] | None = None,
    workers: int = 1,
    scheduler: Any | None = None,
    data_dir: Path | None = None,
    resume: Any | None = None,
) -> Engine:
    """An engine with the evaluation backend for `workers` processes or a Dask `scheduler` (serial by default).

    Worker processes and Dask workers load the data set themselves by plugin name, from `data_dir`."""
    from gaterm.engine.backends import make_backend

    backend = make_backend(workers, scheduler, data_dir)
    return Engine(cfg, dataset, strategy, listeners, should_stop=should_stop, backend=backend, resume=resume)
