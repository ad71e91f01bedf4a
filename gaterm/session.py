"""Glue every front end (headless, compare, the TUI) uses: plugins, the data set, an engine with its backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaterm.config import RunConfig
from gaterm.datasets import Dataset, DatasetSpec, load_dataset
from gaterm.engine.engine import Engine, Listener
from gaterm.errors import GatermError
from gaterm.events import EngineState
from gaterm.merge import MergeStrategy
from gaterm.plugins import PluginSet, load_plugins

if TYPE_CHECKING:
    from gaterm.rundir.warmstart import WarmStart


def warn_to(console: Any) -> Callable[[str], None]:
    """A function that prints one `warning: MESSAGE` line on a rich `console`."""

    from rich.markup import escape

    def warn(message: str) -> None:
        console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)

    return warn


def open_plugins(console: Any | None = None) -> PluginSet:
    """Load all plugins; each broken one is reported by name (to `console`), the others still work."""
    ps = load_plugins()
    if console is not None:
        warn = warn_to(console)
        for e in ps.errors:
            warn(e)
    return ps


def open_dataset(ps: PluginSet, spec: DatasetSpec, cfg: RunConfig, data_dir: Path | None) -> Dataset:
    """Data set `spec`, loaded by its plugin (named in any error) and split for `cfg`'s seed and fractions."""
    return load_dataset(spec, cfg, data_dir, ps.datasets.owner.get(spec.name, "?"))


def make_engine(
    cfg: RunConfig,
    dataset: Dataset,
    strategy: MergeStrategy | None,
    listeners: Sequence[Listener],
    should_stop: Callable[[], bool] | None = None,
    workers: int = 1,
    scheduler: Any | None = None,
    data_dir: Path | None = None,
    resume: EngineState | None = None,
    seed_population: Sequence[tuple[Any, Any]] | None = None,
) -> Engine:
    """An engine with the evaluation backend for `workers` processes or a Dask `scheduler` (serial by default).

    Worker processes and Dask workers load the data set themselves by plugin name, from `data_dir`. A config
    with `ga.init_from` seeds generation 0 from that run (see `warm_start`), unless `seed_population` is given
    or the run resumes from a checkpoint."""
    from gaterm.engine.backends import make_backend

    if seed_population is None and cfg.ga.init_from and resume is None:
        seed_population = warm_start(cfg, dataset).seeds
    backend = make_backend(workers, scheduler, data_dir)
    return Engine(cfg, dataset, strategy, listeners, should_stop=should_stop, backend=backend, resume=resume,
                  seed_population=seed_population or ())


def warm_start(cfg: RunConfig, dataset: Dataset) -> WarmStart:
    """The seed of generation 0 from `cfg.ga.init_from`; its problems are reported against `--init-from`."""
    from gaterm.rundir.warmstart import warm_start as from_run

    if cfg.ga.init_from is None:
        raise GatermError("internal error: a warm start needs ga.init_from")
    try:
        return from_run(cfg.ga.init_from, cfg.ga.population, dataset)
    except GatermError as exc:
        raise type(exc)(f"--init-from: {exc}") from None
