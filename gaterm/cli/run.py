"""`gaterm` (the Textual UI) and `gaterm --no-ui` (a headless run): argv in, objects to the API."""

from __future__ import annotations

import argparse
from pathlib import Path

from gaterm.cli.options import (
    EXIT_INTERRUPTED,
    Parser,
    add_ga_options,
    for_flag,
    graceful_sigint,
    overrides_from,
)
from gaterm.config import RunConfig, config_from
from gaterm.errors import GatermError
from gaterm.events import EngineState

# flags a resumed run cannot take: it continues with its own config.toml
_RESUME_CONFLICTS = ("config", "dataset", "out", "population", "survivors", "generations", "mutation_prob", "target",
                     "time_budget", "merge", "merge_strategy", "seed", "paired_control", "max_epochs", "patience",
                     "min_delta", "device", "threads", "prune", "prune_warmup", "prune_startup", "prune_lag",
                     "select_on", "init")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gaterm",
        description="Genetic-algorithm hyper-parameter search for PyTorch networks, with parent weight merging. "
        "`gaterm plugins` lists data sets and merge strategies; `gaterm compare --help` the merge experiment.",
    )
    p.add_argument("--no-ui", action="store_true", help="run headless in this terminal (no Textual UI)")
    p.add_argument("--config", type=Path, metavar="FILE.toml", help="configuration file; flags override it")
    p.add_argument("--dataset", metavar="NAME", help="data set name (default: digits)")
    p.add_argument("--data-dir", metavar="DIR", help="directory with one sub-directory per data set "
                   "(default: $GATERM_DATA_DIR, else a download cache)")
    p.add_argument("--out", type=Path, metavar="DIR", help="run directory to create (default: runs/DATASET-TIME)")
    p.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue an interrupted run from its last generation checkpoint")
    add_ga_options(p)
    return p


def resolve(args: argparse.Namespace) -> tuple[RunConfig, Path | None, EngineState | None]:
    """(config, run directory, resume state) from the command line. A new run's directory is checked (None:
    the default, chosen when it starts); a resumed run's is prepared (rows truncated to its checkpoint)."""
    from gaterm.rundir.files import check_run_dir

    if args.resume is not None:
        for name in _RESUME_CONFLICTS:
            if getattr(args, name, None) is not None:
                flag = "--" + name.replace("_", "-")
                raise GatermError(f"--resume continues a run with its own config.toml; it cannot be combined with {flag}")
        from gaterm.rundir.resume import prepare_resume

        with for_flag("--resume"):
            cfg, state = prepare_resume(args.resume)
        return cfg, Path(args.resume), state
    cfg = config_from(args.config, overrides_from(args))
    if args.out is not None:
        with for_flag("--out"):
            check_run_dir(args.out)
    return cfg, args.out, None


def run_ui(args: argparse.Namespace) -> int:
    """Open the Textual UI with the command line's configuration; bad input fails before it opens."""
    from gaterm.datasets import data_dir_from

    cfg, out, state = resolve(args)
    from gaterm.tui import run_tui

    return run_tui(cfg, data_dir=data_dir_from(args.data_dir), out=out, workers=args.workers,
                   scheduler=args.scheduler, resume_state=state, resume=args.resume is not None)


def run_headless(args: argparse.Namespace) -> int:
    from rich.console import Console

    from gaterm.datasets import data_dir_from
    from gaterm.rundir.files import default_run_dir
    from gaterm.session import make_engine, open_dataset, open_plugins

    cfg, out, state = resolve(args)
    if out is None:
        out = default_run_dir(cfg.dataset)
    err = Console(stderr=True)
    if args.quiet and cfg.ga.selection == "test":
        from gaterm.headless import SELECT_ON_TEST_WARNING

        err.print(SELECT_ON_TEST_WARNING, style="yellow", highlight=False)
    ps = open_plugins(err)
    spec = ps.dataset(cfg.dataset)
    strategy = ps.merge_strategy(cfg.ga.merge_strategy) if cfg.ga.merge else None
    data_dir = data_dir_from(args.data_dir)
    dataset = open_dataset(ps, spec, cfg, data_dir)

    with graceful_sigint(lambda: err.print(
        "[yellow]stopping after this epoch (Ctrl-C again to abort at once)...[/]"
    )) as stop:
        from gaterm.headless import HeadlessView
        from gaterm.rundir.writer import RunWriter
        from gaterm.states import StopReason

        console = Console(quiet=args.quiet)
        view = HeadlessView(console, run_dir=str(out))
        writer = RunWriter(out, extra={"data_dir": str(data_dir) if data_dir else None},
                           resume=args.resume is not None)
        engine = make_engine(cfg, dataset, strategy, [writer, view], should_stop=stop.is_set,
                             workers=args.workers, scheduler=args.scheduler, data_dir=data_dir, resume=state)
        with view:
            result = engine.run()
    if args.quiet and result.best is not None:
        b = result.best
        print(f"best by {cfg.ga.selection}: {dataset.metric_name} validation {b.val_metric:.4f}, test "
              f"{b.test_metric:.4f} ({b.genes}); run directory {out}")
    return EXIT_INTERRUPTED if result.stop_reason is StopReason.CANCELLED else 0
