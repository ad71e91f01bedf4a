"""Command line: `gaterm --no-ui` (headless run), `gaterm plugins`; user errors are one line and exit code 2."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from gaterm.config import RunConfig, config_from_dict, load_config
from gaterm.errors import GatermError
from gaterm.events import COMPLETED

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        raise GatermError(message)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    return v


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_ga_options(p: argparse.ArgumentParser, per_arm: bool = True) -> None:
    """The GA and training flags shared by `--no-ui` runs and `compare` (which sets merge per arm itself)."""
    g = p.add_argument_group("genetic algorithm")
    g.add_argument("--population", type=_positive_int, metavar="N")
    g.add_argument("--survivors", type=_positive_int, metavar="N")
    g.add_argument("--generations", type=_positive_int, metavar="N")
    g.add_argument("--mutation-prob", type=_number, metavar="P")
    g.add_argument("--target", type=_number, metavar="X", help="stop when best accuracy >= X (or MAE <= X)")
    g.add_argument("--time-budget", type=_number, metavar="SECONDS", help="start no evaluation after this")
    if per_arm:
        g.add_argument("--merge", action=argparse.BooleanOptionalAction, default=None,
                       help="children start from merged parent weights (default: on)")
        g.add_argument("--merge-strategy", metavar="NAME", help="merge strategy (default: select)")
        g.add_argument("--seed", type=_positive_int, metavar="N")
    g.add_argument("--paired-control", action=argparse.BooleanOptionalAction, default=None,
                   help="also train each merged child from fresh init, for comparison only "
                   f"(default: {'off' if per_arm else 'on'})")
    t = p.add_argument_group("training")
    t.add_argument("--max-epochs", type=_positive_int, metavar="N")
    t.add_argument("--patience", type=_positive_int, metavar="N")
    t.add_argument("--min-delta", type=_number, metavar="D")
    t.add_argument("--device", metavar="DEV", help="cpu (default) or cuda")
    t.add_argument("--threads", type=_positive_int, metavar="N",
                   help="torch threads per evaluation (default: 1; --workers scales better)")
    t.add_argument("--prune", action=argparse.BooleanOptionalAction, default=None,
                   help="median pruning: stop an evaluation whose validation loss at epoch k is worse than the "
                   "median of earlier generations' at epoch k (default: off)")
    t.add_argument("--prune-warmup", type=_positive_int, metavar="K", help="epochs before pruning may start (5)")
    e = p.add_argument_group("execution (results do not depend on these)")
    e.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="evaluate N individuals at once in worker processes (default: 1)")
    e.add_argument("--scheduler", metavar="ADDRESS",
                   help="send evaluations to a Dask distributed scheduler, e.g. tcp://host:8786")
    p.add_argument("--quiet", action="store_true", help="no progress display, only the final summary")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
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


def build_compare_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gaterm compare",
        description="Run the basic arm (merge off) and one merge arm per strategy on identical footing (same "
        "config, seed and generation 0) for each data set and seed; write run directories, compare.json and "
        "report.md.",
    )
    p.add_argument("--datasets", default="digits", metavar="A,B", help="comma-separated data sets (default: digits)")
    p.add_argument("--seeds", default="3", metavar="N|A,B",
                   help="a count (seeds 0..N-1) or a comma-separated list (default: 3)")
    p.add_argument("--strategies", default=None, metavar="A,B",
                   help="merge strategies, one arm each (default: the config's merge_strategy, select unless "
                   "--config sets another)")
    p.add_argument("--config", type=Path, metavar="FILE.toml", help="configuration for every arm; flags override it")
    p.add_argument("--data-dir", metavar="DIR", help="directory with one sub-directory per data set")
    p.add_argument("--out", type=Path, metavar="DIR", help="comparison directory to create (default: runs/compare-TIME)")
    add_ga_options(p, per_arm=False)
    return p


_FLAG_TO_KEY = {
    "dataset": ("dataset",), "seed": ("seed",),
    "population": ("ga", "population"), "survivors": ("ga", "survivors"), "generations": ("ga", "generations"),
    "mutation_prob": ("ga", "mutation_prob"), "target": ("ga", "target"), "time_budget": ("ga", "time_budget_s"),
    "merge": ("ga", "merge"), "merge_strategy": ("ga", "merge_strategy"),
    "paired_control": ("ga", "paired_control"),
    "max_epochs": ("training", "max_epochs"), "patience": ("training", "patience"),
    "min_delta": ("training", "min_delta"), "device": ("training", "device"), "threads": ("training", "threads"),
    "prune": ("training", "prune"), "prune_warmup": ("training", "prune_warmup"),
}


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Defaults, overlaid by the config file, overlaid by flags; then validated."""
    cfg = load_config(args.config) if args.config is not None else RunConfig()
    overrides: dict[str, Any] = {}
    for flag, key in _FLAG_TO_KEY.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        if len(key) == 1:
            overrides[key[0]] = value
        else:
            overrides.setdefault(key[0], {})[key[1]] = value
    return config_from_dict(overrides, cfg).validate()


_RESUME_CONFLICTS = ("config", "dataset", "out", *_FLAG_TO_KEY)


@contextlib.contextmanager
def graceful_sigint(announce: Callable[[], None]) -> Iterator[threading.Event]:
    """A first Ctrl-C sets the yielded event (the engine stops cleanly, keeping its work) and calls
    `announce`; a second one aborts at once. The previous handler is restored on exit."""
    stop = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        announce()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def prepare_resume(args: argparse.Namespace) -> tuple[RunConfig, Path, Any]:
    """Check a `--resume RUN_DIR`, truncate its rows to the last checkpoint, and return (config, dir, state)."""
    from gaterm.results import CHECKPOINT, load_checkpoint, truncate_rows

    for name in _RESUME_CONFLICTS:
        if getattr(args, name, None) is not None:
            flag = "--" + name.replace("_", "-")
            raise GatermError(f"--resume continues a run with its own config.toml; it cannot be combined with {flag}")
    run_dir = Path(args.resume)
    if not (run_dir / "config.toml").is_file():
        raise GatermError(f"--resume: {run_dir} is not a gaterm run directory (no config.toml)")
    summary = run_dir / "summary.json"
    if summary.is_file():
        import json

        try:
            reason = json.loads(summary.read_text()).get("stop_reason", "")
        except ValueError:
            reason = ""
        if reason in COMPLETED:
            raise GatermError(f"--resume: {run_dir} already finished (stop reason: {reason})")
    cfg = load_config(run_dir / "config.toml").validate()
    state = load_checkpoint(run_dir / CHECKPOINT, cfg) if (run_dir / CHECKPOINT).is_file() else None
    next_gen = state.next_generation if state is not None else 0
    for name in ("evaluations.csv", "generations.csv"):
        truncate_rows(run_dir / name, next_gen)
    return cfg, run_dir, state


def run_headless(args: argparse.Namespace) -> int:
    from rich.console import Console

    from gaterm.datasets import data_dir_from
    from gaterm.results import check_run_dir, default_run_dir
    from gaterm.runner import load_dataset, make_engine, open_plugins

    state = None
    if args.resume is not None:
        cfg, out, state = prepare_resume(args)
    else:
        cfg = config_from_args(args)
        out = args.out if args.out is not None else default_run_dir(cfg.dataset)
        check_run_dir(out)
    err = Console(stderr=True)
    ps = open_plugins(err)
    spec = ps.dataset(cfg.dataset)
    strategy = ps.merge_strategy(cfg.ga.merge_strategy) if cfg.ga.merge else None
    data_dir = data_dir_from(args.data_dir)
    dataset = load_dataset(ps, spec, cfg, data_dir)

    with graceful_sigint(lambda: err.print(
        "[yellow]stopping after this epoch (Ctrl-C again to abort at once)...[/]"
    )) as stop:
        from gaterm.engine.evolve import Engine
        from gaterm.headless import HeadlessView
        from gaterm.results import RunWriter

        console = Console(quiet=args.quiet)
        view = HeadlessView(console, run_dir=str(out))
        writer = RunWriter(out, extra={"data_dir": str(data_dir) if data_dir else None},
                           resume=args.resume is not None)
        engine: Engine = make_engine(cfg, dataset, strategy, [writer, view], should_stop=stop.is_set,
                                     workers=args.workers, scheduler=args.scheduler, data_dir=data_dir,
                                     resume=state)
        with view:
            result = engine.run()
    if args.quiet and result.best is not None:
        print(f"best {dataset.metric_name} {result.best.metric:.4f} ({result.best.genes}); run directory {out}")
    return EXIT_INTERRUPTED if result.stop_reason == "cancelled" else 0


def list_plugins() -> int:
    from rich.console import Console
    from rich.table import Table

    from gaterm.plugins import load_plugins

    ps = load_plugins()
    console = Console()
    t = Table(title="plugins")
    for col in ("plugin", "distribution", "hooks"):
        t.add_column(col)
    for info in ps.plugins:
        t.add_row(info.name, info.distribution, ", ".join(info.hooks))
    console.print(t)
    d = Table(title="data sets")
    for col in ("name", "task", "plugin", "description"):
        d.add_column(col)
    for name, spec in sorted(ps.datasets.items.items()):
        d.add_row(name, spec.task, ps.datasets.owner[name], spec.description)
    console.print(d)
    m = Table(title="merge strategies")
    for col in ("name", "plugin", "description"):
        m.add_column(col)
    for name, s in sorted(ps.merges.items.items()):
        m.add_row(name, ps.merges.owner[name], s.description)
    console.print(m)
    for e in ps.errors:
        console.print(f"[red]error:[/] {e}", highlight=False)
    return 1 if ps.errors else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["compare"]:
            from gaterm.compare import run_compare_cli

            return run_compare_cli(build_compare_parser().parse_args(argv[1:]))
        if argv[:1] == ["plugins"]:
            if len(argv) > 1:
                raise GatermError(f"plugins: unexpected argument {argv[1]!r}")
            return list_plugins()
        args = build_parser().parse_args(argv)
        if not args.no_ui:
            from gaterm.tui import run_tui

            return run_tui(args)
        return run_headless(args)
    except GatermError as exc:
        print(f"gaterm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gaterm: aborted", file=sys.stderr)
        return EXIT_INTERRUPTED
