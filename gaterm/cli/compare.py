"""`gaterm compare`: the basic arm and one merge arm per strategy, per data set and seed; then the report."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from gaterm.cli.options import (
    EXIT_INTERRUPTED,
    Parser,
    add_ga_options,
    for_flag,
    graceful_sigint,
    overrides_from,
)
from gaterm.config import config_from
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
    p.add_argument("--out", type=Path, metavar="DIR", help="comparison directory to create (default: runs/compare-TIME)")
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




def run_compare(args: argparse.Namespace) -> int:
    from rich.console import Console

    from gaterm.datasets import data_dir_from
    from gaterm.experiment.arms import run_comparison
    from gaterm.experiment.report import key_figures, write_outputs
    from gaterm.rundir.files import check_writable
    from gaterm.session import open_plugins, warn_to

    datasets = split_names(args.datasets, "datasets")
    seeds = parse_seeds(args.seeds)
    if args.paired_control is None:
        args.paired_control = True
    base = config_from(args.config, overrides_from(args))
    # no --strategies: the configured merge strategy (gaterm's default unless --config sets one)
    strategies = [base.ga.merge_strategy] if args.strategies is None else split_names(args.strategies, "strategies")
    data_dir = data_dir_from(args.data_dir)
    out = args.out or Path("runs") / f"compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GatermError(f"--out: {out} exists and is not an empty directory; choose a new one")
    with for_flag("--out"):
        check_writable(out)
    console = Console(quiet=args.quiet)
    ps = open_plugins(console)
    for name in datasets:
        ps.dataset(name)  # unknown names fail before anything is created
    for name in strategies:
        ps.merge_strategy(name)
    console.print(f"comparison directory: {out}", highlight=False)
    out.mkdir(parents=True, exist_ok=True)
    with graceful_sigint(lambda: console.print(
        "stopping: the report will cover the arms finished so far (Ctrl-C again to abort)"
    )) as stop:
        comp = run_comparison(base, datasets, seeds, strategies, data_dir, out, console, plugins=ps,
                              workers=args.workers, scheduler=args.scheduler, should_stop=stop.is_set,
                              warn=warn_to(Console(stderr=True)))
    a, report = write_outputs(comp, out)
    console.print(report, markup=False, highlight=False, soft_wrap=True)
    for line in key_figures(comp, a):
        print(line)
    return EXIT_INTERRUPTED if stop.is_set() else 0
