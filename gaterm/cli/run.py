"""`gaterm` (the Textual UI) and `gaterm --no-ui` (a headless run): argv in, objects to the API."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from gaterm.cli.options import (
    FLAG_TO_KEY,
    Parser,
    add_data_options,
    add_ga_options,
    for_flag,
    graceful_stop,
    overrides_from,
)
from gaterm.config import RunConfig, config_from, config_from_dict
from gaterm.errors import GatermError
from gaterm.events import EngineState

if TYPE_CHECKING:
    from gaterm.rundir.lock import RunLock

# flags a resumed run cannot take: it continues with its own config.toml. Every flag that sets the config does,
# except where the run is also logged (tracking), which a resume may change.
_RESUME_CONFLICTS = ("config", "out", *(flag for flag, key in FLAG_TO_KEY.items() if key[0] != "tracking"))


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gaterm",
        description="Genetic-algorithm hyper-parameter search for PyTorch networks, with parent weight merging. "
        "`gaterm plugins` lists data sets and merge strategies; `gaterm compare --help` the merge experiment; "
        "`gaterm predict --help` and `gaterm export --help` use a finished run's best model.",
    )
    p.add_argument("--no-ui", action="store_true", help="run headless in this terminal (no Textual UI)")
    p.add_argument("--config", type=Path, metavar="FILE.toml", help="configuration file; flags override it")
    p.add_argument("--dataset", metavar="NAME", help="data set name (default: digits)")
    p.add_argument("--data-dir", metavar="DIR", help="directory with one sub-directory per data set "
                   "(default: $GATERM_DATA_DIR, else a download cache)")
    p.add_argument("--out", type=Path, metavar="DIR", help="run directory to create (default: runs/DATASET-TIME)")
    p.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue an interrupted run from its last generation checkpoint")
    p.add_argument("--keys", type=Path, metavar="FILE.toml",
                   help="the UI's key remapping ([keys] table: binding id = keys; default: keys.toml in the user "
                   "config directory, if any)")
    p.add_argument("--init-from", metavar="RUN_DIR",
                   help="warm start: generation 0 starts from this run's best individuals (same data set and task)")
    add_data_options(p)
    add_ga_options(p)
    return p


def resolve(
    args: argparse.Namespace, claim: bool = True
) -> tuple[RunConfig, Path | None, EngineState | None, RunLock | None]:
    """(config, run directory, resume state, lock) from the command line.

    A resumed run's directory is claimed (locked for this process: see `gaterm.rundir.lock`) and prepared
    (rows healed from its checkpoint); with `claim`, so is a new run's `--out` (created and locked at once).
    Without `claim` (the UI claims when a run starts), `--out` is only checked. The caller releases the lock."""
    from gaterm.rundir.files import check_run_dir
    from gaterm.rundir.lock import claim_existing_run_dir, claim_new_run_dir

    lock: RunLock | None  # the claimed run directory's, if any
    if args.resume is not None:
        for name in _RESUME_CONFLICTS:
            if getattr(args, name, None) is not None:
                flag = "--" + name.replace("_", "-")
                raise GatermError(
                    f"--resume continues a run with its own config.toml; it cannot be combined with {flag}")
        from gaterm.rundir.resume import prepare_resume

        with for_flag("--resume"):
            lock = claim_existing_run_dir(args.resume)
            try:
                cfg, state = prepare_resume(args.resume, report=_note)
            except BaseException:
                lock.release()
                raise
        # where the run is logged is not part of its results: --mlflow may add or move tracking on resume
        tracking = {k: v for k, v in overrides_from(args).items() if k == "tracking"}
        if tracking:
            cfg = config_from_dict(tracking, cfg).validate()
        return cfg, Path(args.resume), state, lock
    cfg = config_from(args.config, overrides_from(args))
    lock = None
    if args.out is not None:
        with for_flag("--out"):
            if claim:
                lock = claim_new_run_dir(args.out)
            else:
                check_run_dir(args.out)
    return cfg, args.out, None, lock


def _note(line: str) -> None:
    import sys

    print(f"gaterm: {line}", file=sys.stderr)


def run_ui(args: argparse.Namespace) -> int:
    """Open the Textual UI with the command line's configuration; bad input fails before it opens."""
    from gaterm.datasets import data_dir_from

    cfg, out, state, lock = resolve(args, claim=False)
    try:
        from gaterm.tui import run_tui

        return run_tui(cfg, keys_file=args.keys, data_dir=data_dir_from(args.data_dir), out=out,
                       workers=args.workers, scheduler=args.scheduler, resume_state=state,
                       resume=args.resume is not None, out_lock=lock)
    finally:
        if lock is not None:
            lock.release()


def run_headless(args: argparse.Namespace) -> int:
    from gaterm.rundir.lock import claim_default_run_dir

    cfg, _, state, lock = resolve(args)
    if lock is None:
        lock = claim_default_run_dir(cfg.dataset)
    with lock:
        return _run_headless(args, cfg, lock.path, state)


def _run_headless(args: argparse.Namespace, cfg: RunConfig, out: Path, state: EngineState | None) -> int:
    """The headless run in claimed directory `out`."""
    from rich.console import Console

    from gaterm.datasets import data_dir_from
    from gaterm.session import make_engine, open_dataset, open_plugins, warm_start, warn_to

    err = Console(stderr=True)
    if args.quiet and cfg.ga.selection == "test":
        from gaterm.headless import SELECT_ON_TEST_WARNING

        err.print(SELECT_ON_TEST_WARNING, style="yellow", highlight=False)
    ps = open_plugins(err)
    spec = ps.dataset(cfg.dataset)
    strategy = ps.merge_strategy(cfg.ga.merge_strategy) if cfg.ga.merge else None
    data_dir = data_dir_from(args.data_dir)
    dataset = open_dataset(ps, spec, cfg, data_dir)
    notes = list(dataset.notes)
    seeds = None
    if cfg.ga.init_from and state is None:
        warm = warm_start(cfg, dataset)
        seeds = warm.seeds
        notes.append(warm.note)
    if not args.quiet:
        for note in notes:
            err.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)

    with graceful_stop(lambda: err.print(
        "[yellow]stopping after this epoch (Ctrl-C or SIGTERM again to abort at once)...[/]"
    )) as stop:
        from gaterm.headless import HeadlessView, make_console
        from gaterm.listeners import RunContext, open_listeners
        from gaterm.rundir.writer import RunWriter
        from gaterm.states import StopReason

        view = HeadlessView(make_console(quiet=args.quiet), run_dir=str(out))
        writer = RunWriter(out, extra={"data_dir": str(data_dir) if data_dir else None},
                           resume=args.resume is not None)
        context = RunContext(out, cfg, resumed=args.resume is not None, front_end="headless", data_dir=data_dir,
                             workers=args.workers, scheduler=args.scheduler, warn=warn_to(err))
        plugged = open_listeners(ps, context)  # after the writer: they see its files
        engine = make_engine(cfg, dataset, strategy, [writer, *plugged, view], should_stop=stop.is_set,
                             workers=args.workers, scheduler=args.scheduler, data_dir=data_dir, resume=state,
                             seed_population=seeds)
        with view:
            result = engine.run()
    if args.quiet and result.best is not None:
        b = result.best
        print(f"best by {cfg.ga.selection}: {dataset.metric_name} validation {b.val_metric:.4f}, test "
              f"{b.test_metric:.4f} ({b.genes}); run directory {out}")
    return stop.exit_code if result.stop_reason is StopReason.CANCELLED else 0
