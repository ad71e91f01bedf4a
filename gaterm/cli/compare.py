"""`gaterm compare`: the basic arm and one merge arm per strategy, per data set and seed; then the report."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from gaterm.cli.options import (
    Parser,
    add_ga_options,
    for_flag,
    graceful_stop,
    overrides_from,
)
from gaterm.config import config_from, study_protocol
from gaterm.errors import ConfigError, GatermError


def build_compare_parser() -> argparse.ArgumentParser:
    p = Parser(
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
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="comparison directory to create (default: runs/compare-TIME)")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="run nothing: re-read the comparison directory DIR's run directories and rewrite its "
                   "report.md and compare.json with this version's analysis")
    add_ga_options(p, per_arm=False)
    return p


def parse_seeds(text: str) -> list[int]:
    """`3` means seeds 0, 1, 2; `0,5,7` is a list."""
    try:
        if "," in text:
            seeds = [int(s) for s in text.split(",") if s.strip()]
        else:
            n = int(text)
            if n < 1:
                raise ConfigError("--seeds: a count must be at least 1")
            seeds = list(range(n))
    except ValueError:
        raise ConfigError(f"--seeds: expected a count or a comma-separated list of integers, got {text!r}") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds: seeds must be distinct non-negative integers, got {text!r}")
    return seeds


def split_names(text: str, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"--{what}: expected distinct comma-separated names, got {text!r}")
    return names




def rewrite_report(path: Path) -> int:
    """`gaterm compare --report DIR`: the report of an existing comparison, recomputed from its files."""
    from gaterm.experiment.arms import read_comparison
    from gaterm.experiment.report import key_figures, write_outputs

    with for_flag("--report"):
        comp = read_comparison(path)
    a, report = write_outputs(comp, path)
    print(report)
    for line in key_figures(comp, a):
        print(line)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from rich.console import Console

    from gaterm.datasets import data_dir_from
    from gaterm.experiment.arms import run_comparison
    from gaterm.experiment.report import key_figures, write_outputs
    from gaterm.rundir.files import check_writable
    from gaterm.rundir.lock import claim_run_dir
    from gaterm.session import open_plugins, warn_to

    if args.report is not None:
        given = [f for f in ("config", "out", "strategies") if getattr(args, f) is not None]
        if given:
            raise GatermError(f"--report re-renders an existing comparison; it cannot be combined with --{given[0]}")
        return rewrite_report(args.report)
    datasets = split_names(args.datasets, "datasets")
    seeds = parse_seeds(args.seeds)
    if args.paired_control is None:
        args.paired_control = True
    # validated after compare's own refusal, whose reason (the basic arm) comes before the paired control's
    base = config_from(args.config, overrides_from(args), validate=False, base=study_protocol())
    if base.training.merged_patience not in (0, base.training.patience):
        raise ConfigError("training.merged_patience: gaterm compare measures what merging saves against arms "
                          "whose children train with `patience`; leave it at 0")
    base.validate()
    if base.ga.first_share != 1.0:
        raise ConfigError("ga.first_share: gaterm compare needs arms that share generation 0, and the share cuts "
                          "it by the clock; leave it at 1")
    # no --strategies: the configured merge strategy (gaterm's default unless --config sets one)
    strategies = [base.ga.merge_strategy] if args.strategies is None else split_names(args.strategies, "strategies")
    data_dir = data_dir_from(args.data_dir)
    out = args.out or Path("runs") / f"compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and not out.is_dir():
        raise GatermError(f"--out: {out} exists and is not an empty directory; choose a new one")
    with for_flag("--out"):
        if out.is_dir():
            _empty(out)  # fail early; checked again once the directory is locked
        check_writable(out)
    console = Console(quiet=args.quiet)
    ps = open_plugins(console)
    for name in datasets:
        ps.dataset(name)  # unknown names fail before anything is created
    for name in strategies:
        ps.merge_strategy(name)
    with for_flag("--out"):  # created and locked in one step: another gaterm process cannot share it
        lock = claim_run_dir(out, check=_empty)
    with lock:
        console.print(f"comparison directory: {out}", highlight=False)
        if base.ga.selection == "test":
            from gaterm.headless import SELECT_ON_TEST_WARNING

            console.print(SELECT_ON_TEST_WARNING, style="yellow", highlight=False)
        with graceful_stop(lambda: console.print(
            "stopping: the report will cover the arms finished so far (Ctrl-C or SIGTERM again to abort)"
        )) as stop:
            comp = run_comparison(base, datasets, seeds, strategies, data_dir, out, console, plugins=ps,
                                  workers=args.workers, scheduler=args.scheduler, should_stop=stop.is_set,
                                  warn=warn_to(Console(stderr=True)))
        a, report = write_outputs(comp, out)
        console.print(report, markup=False, highlight=False, soft_wrap=True)
        for line in key_figures(comp, a):
            print(line)
    return stop.exit_code if stop.is_set() else 0


def _empty(out: Path) -> None:
    """A comparison directory must be new or empty (its own lock file aside)."""
    from gaterm.rundir.files import RunDirError
    from gaterm.rundir.lock import LOCK

    if any(p.name != LOCK for p in out.iterdir()):
        raise RunDirError(f"{out} exists and is not an empty directory; choose a new one")
