"""Compare mode: the study's basic-vs-merge experiment, repeated over data sets and seeds, with statistics."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from gaterm.charts import bars, histogram_columns
from gaterm.config import RunConfig
from gaterm.errors import ConfigError, GatermError
from gaterm.events import EvaluationRecord, RunFinished
from gaterm.stats import (
    describe_times,
    mann_whitney_p,
    mean_ci,
    paired_ratio_ci,
    ratio_of_means_ci,
    wilcoxon_p,
)

BASIC = "basic"


def arm_name(strategy: str | None) -> str:
    return BASIC if strategy is None else f"merge-{strategy}"


@dataclass
class ArmRun:
    """One finished run of one arm, for one data set and seed."""

    dataset: str
    seed: int
    arm: str
    strategy: str | None
    metric_name: str
    higher_is_better: bool
    records: list[EvaluationRecord]
    stop_reason: str
    total_duration_s: float
    control_time_s: float
    best_metric: float
    run_dir: str
    workers: int = 1

    @property
    def duration_without_control(self) -> float:
        """The run's wall time less the paired-control trainings, which the arm itself would not do (with N
        workers the controls ran N at a time, so their summed time is divided by N: an estimate)."""
        return self.total_duration_s - self.control_time_s / max(1, self.workers)

    @property
    def target_generation(self) -> int | None:
        return self.records[-1].generation if self.stop_reason == "target" and self.records else None


@dataclass
class Comparison:
    base: RunConfig
    datasets: list[str]
    seeds: list[int]
    strategies: list[str]
    runs: list[ArmRun] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------------
# running
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


def run_comparison(
    base: RunConfig,
    datasets: Sequence[str],
    seeds: Sequence[int],
    strategies: Sequence[str],
    data_dir: Path | None,
    out: Path,
    console: Any | None = None,
    plugins: Any | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    should_stop: Any | None = None,
) -> Comparison:
    """Run every (data set, seed, arm) in turn, basic first then each strategy, writing run directories."""
    from gaterm.results import RunWriter
    from gaterm.runner import load_dataset, make_engine, open_plugins

    ps = plugins if plugins is not None else open_plugins(console)
    specs = {name: ps.dataset(name) for name in datasets}  # unknown names fail before any work starts
    merges = {name: ps.merge_strategy(name) for name in strategies}
    first = {name: load_dataset(ps, specs[name], dataclasses.replace(base, dataset=name, seed=seeds[0]), data_dir)
             for name in datasets}  # missing or corrupt files fail before any work starts
    comp = Comparison(base, list(datasets), list(seeds), list(strategies))
    n_arms = len(datasets) * len(seeds) * (1 + len(strategies))
    done = 0
    stop = should_stop or (lambda: False)
    for name in datasets:
        for seed in seeds:
            if stop():
                break
            cfg_seed = dataclasses.replace(base, dataset=name, seed=seed)
            dataset = first[name] if seed == seeds[0] else load_dataset(ps, specs[name], cfg_seed, data_dir)
            for strategy in [None, *strategies]:
                cfg = _arm_config(cfg_seed, strategy)
                run_dir = out / name / f"seed-{seed}" / arm_name(strategy)
                writer = RunWriter(run_dir, extra={"data_dir": str(data_dir) if data_dir else None,
                                                   "compare_arm": arm_name(strategy)})
                if stop():
                    break
                result: RunFinished = make_engine(
                    cfg, dataset, merges.get(strategy or ""), [writer], workers=workers, scheduler=scheduler,
                    data_dir=data_dir, should_stop=stop,
                ).run()
                if result.stop_reason == "cancelled":
                    if console is not None:
                        console.print(f"{name} seed {seed} {arm_name(strategy)}: cancelled; left out of the report")
                    break
                done += 1
                run = _arm_run(name, seed, strategy, dataset, result, run_dir)
                run.workers = 1 if scheduler is not None else workers
                comp.runs.append(run)
                if console is not None:
                    d = describe_times([r.training_time for r in run.records])
                    console.print(
                        f"[{done}/{n_arms}] {name} seed {seed} {run.arm}: {len(run.records)} evaluations, "
                        f"mean fitness time {d['mean']:.3f}s, best {run.metric_name} {run.best_metric:.4f}, "
                        f"{run.duration_without_control:.1f}s", highlight=False,
                    )
    return comp


def _arm_config(cfg: RunConfig, strategy: str | None) -> RunConfig:
    ga = dataclasses.replace(cfg.ga, merge=strategy is not None, merge_strategy=strategy or cfg.ga.merge_strategy)
    if strategy is None:
        ga.paired_control = False
    return dataclasses.replace(cfg, ga=ga, training=dataclasses.replace(cfg.training),
                               genes=dataclasses.replace(cfg.genes))


def _arm_run(
    name: str, seed: int, strategy: str | None, dataset: Any, result: RunFinished, run_dir: Path
) -> ArmRun:
    recs = list(result.records)
    return ArmRun(
        dataset=name, seed=seed, arm=arm_name(strategy), strategy=strategy, metric_name=dataset.metric_name,
        higher_is_better=dataset.higher_is_better, records=recs, stop_reason=result.stop_reason,
        total_duration_s=result.total_duration_s,
        control_time_s=float(sum(r.control_time or 0.0 for r in recs)),
        best_metric=result.best.metric if result.best else math.nan, run_dir=str(run_dir),
    )


# ----------------------------------------------------------------------------------------------------------
# analysis
def _subset(runs: Sequence[ArmRun], min_gen: int) -> list[EvaluationRecord]:
    """Evaluations of generations >= min_gen; failed ones (status "error: ...", no training) are left out."""
    return [r for run in runs for r in run.records if r.generation >= min_gen and not r.status.startswith("error")]


def _times(recs: Sequence[EvaluationRecord]) -> list[float]:
    return [r.training_time for r in recs]


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_nan_to_none(v) for v in x]
    return x


def analyse(comp: Comparison) -> dict[str, Any]:
    """Every figure of the report, per data set and merge arm, as plain data (also written as compare.json)."""
    out: dict[str, Any] = {
        "datasets": comp.datasets, "seeds": comp.seeds, "strategies": comp.strategies,
        "patience": comp.base.training.patience, "results": {},
    }
    for name in comp.datasets:
        runs = [r for r in comp.runs if r.dataset == name]
        if not runs:
            continue
        basic = [r for r in runs if r.arm == BASIC]
        ds: dict[str, Any] = {"metric_name": runs[0].metric_name, "higher_is_better": runs[0].higher_is_better,
                              "arms": {}, "comparisons": {}}
        for arm in [BASIC, *(arm_name(s) for s in comp.strategies)]:
            arm_runs = [r for r in runs if r.arm == arm]
            ds["arms"][arm] = _arm_stats(arm_runs)
        for s in comp.strategies:
            merge = [r for r in runs if r.arm == arm_name(s)]
            ds["comparisons"][arm_name(s)] = _compare(basic, merge, comp.base.training.patience)
        out["results"][name] = ds
    return _nan_to_none(out)


def _arm_stats(runs: Sequence[ArmRun]) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for label, min_gen in (("all", 0), ("gen1", 1)):
        recs = _subset(runs, min_gen)
        d = describe_times(_times(recs))
        res[label] = {
            "evaluations": len(recs),
            "fitness_time_mean_s": d["mean"], "fitness_time_median_s": d["median"],
            "fitness_time_skewness": d["skewness"],
            "mean_epochs": float(np.mean([r.n_epochs for r in recs])) if recs else math.nan,
        }
    res["best_metric_per_seed"] = {r.seed: r.best_metric for r in runs}
    res["best_metric_mean"] = float(np.mean([r.best_metric for r in runs])) if runs else math.nan
    res["total_duration_s_per_seed"] = {r.seed: r.duration_without_control for r in runs}
    res["total_duration_s_mean"] = float(np.mean([r.duration_without_control for r in runs])) if runs else math.nan
    res["target_generation_per_seed"] = {r.seed: r.target_generation for r in runs}
    res["run_dirs"] = [r.run_dir for r in runs]
    return res


def _compare(basic: Sequence[ArmRun], merge: Sequence[ArmRun], patience: int) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for label, min_gen in (("all", 0), ("gen1", 1)):
        tb, tm = _times(_subset(basic, min_gen)), _times(_subset(merge, min_gen))
        ratio, lo, hi = ratio_of_means_ci(tm, tb)
        res[label] = {"time_ratio": ratio, "time_ratio_ci": [lo, hi], "mann_whitney_p": mann_whitney_p(tm, tb)}
    by_seed_b = {r.seed: r.best_metric for r in basic}
    diffs = [r.best_metric - by_seed_b[r.seed] for r in merge if r.seed in by_seed_b]
    m, lo, hi = mean_ci(diffs)
    res["result_diff"] = {"mean": m, "ci": [lo, hi], "per_seed": diffs}
    res["paired"] = _paired(merge, patience)
    return res


def _paired(merge: Sequence[ArmRun], patience: int) -> dict[str, Any] | None:
    # pairs where both trainings completed normally (a diverged, pruned or failed side would bias the ratios)
    pairs = [r for run in merge for r in run.records
             if r.control_n_epochs is not None and r.status == "ok" and r.control_status == "ok"]
    if not pairs:
        return None
    e_m = [float(r.n_epochs) for r in pairs]
    e_f = [float(r.control_n_epochs) for r in pairs]  # type: ignore[arg-type]
    t_m = [r.training_time for r in pairs]
    t_f = [float(r.control_time) for r in pairs]  # type: ignore[arg-type]
    met_m = [r.metric for r in pairs]
    met_f = [float(r.control_metric) for r in pairs]  # type: ignore[arg-type]
    e_ratio, e_lo, e_hi = paired_ratio_ci(e_m, e_f)
    t_ratio, t_lo, t_hi = paired_ratio_ci(t_m, t_f)
    mean_fresh_epochs = float(np.mean(e_f))
    floor = min(1.0, (patience + 1) / mean_fresh_epochs) if mean_fresh_epochs > 0 else math.nan
    share = (1 - e_ratio) / (1 - floor) if floor < 1 else math.nan
    diff = [a - b for a, b in zip(met_m, met_f)]
    excluded = sum(1 for run in merge for r in run.records if r.control_n_epochs is not None) - len(pairs)
    return {
        "pairs": len(pairs),
        "pairs_excluded": excluded,
        "epochs_ratio": e_ratio, "epochs_ratio_ci": [e_lo, e_hi], "epochs_wilcoxon_p": wilcoxon_p(e_m, e_f),
        "time_ratio": t_ratio, "time_ratio_ci": [t_lo, t_hi], "time_wilcoxon_p": wilcoxon_p(t_m, t_f),
        "mean_epochs_merged": float(np.mean(e_m)), "mean_epochs_fresh": mean_fresh_epochs,
        "result_diff_mean": float(np.mean(diff)) if diff else math.nan,
        "result_diff_wilcoxon_p": wilcoxon_p(met_m, met_f),
        "floor": floor, "share_of_saving_captured": share,
    }


# ----------------------------------------------------------------------------------------------------------
# report
def _f(x: Any, spec: str = ".3f") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return format(x, spec)


def _ci(v: Any, ci: Sequence[Any], spec: str = ".3f") -> str:
    lo, hi = ci
    if lo is None or hi is None:
        return _f(v, spec)
    return f"{_f(v, spec)} [{_f(lo, spec)}, {_f(hi, spec)}]"


def _p(x: Any) -> str:
    if x is None:
        return "n/a"
    return f"{x:.2g}" if x >= 1e-4 else f"{x:.1e}"


def render_report(comp: Comparison, a: dict[str, Any]) -> str:
    base = comp.base
    lines = [
        f"# gaterm compare: {', '.join(comp.datasets)}",
        "",
        (f"Seeds {', '.join(map(str, comp.seeds))}; arms: basic (merge off) and "
        f"{', '.join('merge with `' + s + '`' for s in comp.strategies)}. Each seed's arms share the config, the "
        f"data split and generation 0 (same genes, same initial weights). Population {base.ga.population}, "
        f"survivors {base.ga.survivors}, generations {base.ga.generations}, mutation {base.ga.mutation_prob}, "
        f"early stopping: patience {base.training.patience}, min_delta {base.training.min_delta}, "
        f"max {base.training.max_epochs} epochs. Paired control: "
        f"{'on' if base.ga.paired_control else 'off'}. Generated {datetime.now().isoformat(timespec='seconds')}."),
        "",
        ("Fitness time = wall seconds of training + test of one evaluation. Ratios are merge / basic (below 1: "
        "merge is faster). CIs are 95% percentile bootstraps over evaluations (pooled over seeds); p-values are "
        "two-sided. Results are each run's best test metric; their difference is merge - basic per seed, with a "
        "t interval across seeds."),
    ]
    for name in comp.datasets:
        ds = a["results"].get(name)
        if ds is None:
            continue
        arms = [BASIC, *(arm_name(s) for s in comp.strategies)]
        metric = ds["metric_name"]
        lines += ["", f"## {name}", "", "### Table 1, as in the study (all evaluations)", ""]
        lines += ["| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
        lines.append("| average fitness time (s) | " + " | ".join(
            _f(ds["arms"][x]["all"]["fitness_time_mean_s"]) for x in arms) + " |")
        lines.append("| time skewness | " + " | ".join(
            _f(ds["arms"][x]["all"]["fitness_time_skewness"], ".2f") for x in arms) + " |")
        lines.append(f"| result ({metric}, mean of best per seed) | " + " | ".join(
            _f(ds["arms"][x]["best_metric_mean"], ".4f") for x in arms) + " |")

        lines += ["", "### Beyond the study", ""]
        for label, title in (("all", "all evaluations"), ("gen1", "generations >= 1 only")):
            lines += [f"**{title}**", "", "| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
            for key, lab, spec in (
                ("evaluations", "evaluations", "d"),
                ("fitness_time_mean_s", "mean fitness time (s)", ".3f"),
                ("fitness_time_median_s", "median fitness time (s)", ".3f"),
                ("fitness_time_skewness", "time skewness", ".2f"),
                ("mean_epochs", "mean epochs per evaluation", ".1f"),
            ):
                lines.append(f"| {lab} | " + " | ".join(_f(ds["arms"][x][label][key], spec) for x in arms) + " |")
            lines.append("| merge/basic ratio of mean fitness time [95% CI] | - | " + " | ".join(
                _ci(ds["comparisons"][x][label]["time_ratio"], ds["comparisons"][x][label]["time_ratio_ci"])
                for x in arms[1:]) + " |")
            lines.append("| Mann-Whitney U p (fitness times) | - | " + " | ".join(
                _p(ds["comparisons"][x][label]["mann_whitney_p"]) for x in arms[1:]) + " |")
            lines.append("")
        lines += ["**per run**", "", "| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
        lines.append("| total duration (s, mean per run, control excluded) | " + " | ".join(
            _f(ds["arms"][x]["total_duration_s_mean"], ".1f") for x in arms) + " |")
        lines.append("| target reached at generation (per seed) | " + " | ".join(
            ", ".join("-" if g is None else str(g) for g in ds["arms"][x]["target_generation_per_seed"].values())
            for x in arms) + " |")
        lines.append(f"| best {metric} per seed | " + " | ".join(
            ", ".join(_f(v, ".4f") for v in ds["arms"][x]["best_metric_per_seed"].values()) for x in arms) + " |")
        lines.append("| result difference merge - basic [95% CI across seeds] | - | " + " | ".join(
            _ci(ds["comparisons"][x]["result_diff"]["mean"], ds["comparisons"][x]["result_diff"]["ci"], ".4f")
            for x in arms[1:]) + " |")

        paired = {x: ds["comparisons"][x]["paired"] for x in arms[1:] if ds["comparisons"][x]["paired"]}
        if paired:
            lines += ["", ("### Paired control: each merged child also trained from fresh init (same seed and data "
                      "order)"), "", "| | " + " | ".join(paired) + " |", "|---" * (len(paired) + 1) + "|"]
            rows = (
                ("pairs (both ok; excluded: diverged, pruned or failed)",
                 lambda p: f"{p['pairs']} (excluded {p['pairs_excluded']})"),
                ("epochs ratio merged/fresh [95% CI]", lambda p: _ci(p["epochs_ratio"], p["epochs_ratio_ci"])),
                ("Wilcoxon p (epochs)", lambda p: _p(p["epochs_wilcoxon_p"])),
                ("time ratio merged/fresh [95% CI]", lambda p: _ci(p["time_ratio"], p["time_ratio_ci"])),
                ("Wilcoxon p (time)", lambda p: _p(p["time_wilcoxon_p"])),
                ("mean epochs merged / fresh", lambda p: f"{_f(p['mean_epochs_merged'], '.1f')} / "
                                                         f"{_f(p['mean_epochs_fresh'], '.1f')}"),
                (f"{metric} difference merged - fresh (mean)", lambda p: _f(p["result_diff_mean"], ".4f")),
                ("Wilcoxon p (result)", lambda p: _p(p["result_diff_wilcoxon_p"])),
                ("floor: (patience + 1) / mean fresh epochs", lambda p: _f(p["floor"])),
                ("share of the possible saving captured", lambda p: _f(p["share_of_saving_captured"], ".2f")),
            )
            for lab, fn in rows:
                lines.append(f"| {lab} | " + " | ".join(fn(p) for p in paired.values()) + " |")

        runs = [r for r in comp.runs if r.dataset == name]
        lines += ["", "### Figures", ""]
        arms = [BASIC, *(arm_name(s) for s in comp.strategies)]
        series = [(arm, _times(_subset([r for r in runs if r.arm == arm], 0))) for arm in arms]
        lines += [
            "Fitness-time histogram, every evaluation of every seed, shared bins (`<` marks the bin holding the mean):",
            "", "```", *histogram_columns(series, bins=12, width=24 if len(series) <= 2 else 14), "```", "",
        ]
        lines += ["Total duration per run (s, paired-control trainings excluded):", "", "```"]
        lines += bars([(f"{r.arm} seed {r.seed}", r.duration_without_control) for r in runs])
        lines += ["```"]
    return "\n".join(lines) + "\n"


def key_figures(comp: Comparison, a: dict[str, Any]) -> list[str]:
    """One line per data set and strategy with the headline numbers (printed last by the CLI)."""
    out = []
    for name in comp.datasets:
        ds = a["results"].get(name)
        if ds is None:
            continue
        for s in comp.strategies:
            c = ds["comparisons"][arm_name(s)]
            g1 = c["gen1"]
            line = (
                f"{name} {s}: merge/basic mean fitness time (gen>=1) "
                f"{_ci(g1['time_ratio'], g1['time_ratio_ci'])} p={_p(g1['mann_whitney_p'])}; "
                f"result diff {_ci(c['result_diff']['mean'], c['result_diff']['ci'], '.4f')}"
            )
            p = c["paired"]
            if p:
                line += (
                    f"; paired merged/fresh epochs {_ci(p['epochs_ratio'], p['epochs_ratio_ci'])} "
                    f"p={_p(p['epochs_wilcoxon_p'])}, time {_ci(p['time_ratio'], p['time_ratio_ci'])} "
                    f"p={_p(p['time_wilcoxon_p'])}, result diff {_f(p['result_diff_mean'], '.4f')} "
                    f"p={_p(p['result_diff_wilcoxon_p'])}, floor {_f(p['floor'], '.2f')}, "
                    f"share captured {_f(p['share_of_saving_captured'], '.2f')}"
                )
            out.append(line)
    return out


def write_outputs(comp: Comparison, out: Path) -> tuple[dict[str, Any], str]:
    a = analyse(comp)
    report = render_report(comp, a)
    (out / "report.md").write_text(report, encoding="utf-8")
    comp.base.save(out / "compare.toml")
    tmp = out / "compare.json.tmp"
    tmp.write_text(json.dumps({**a, "argv": sys.argv}, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "compare.json")
    return a, report


# ----------------------------------------------------------------------------------------------------------
def run_compare_cli(args: argparse.Namespace) -> int:
    from rich.console import Console

    from gaterm.cli import config_from_args, graceful_sigint
    from gaterm.datasets import data_dir_from
    from gaterm.results import check_writable
    from gaterm.runner import open_plugins

    datasets = split_names(args.datasets, "datasets")
    seeds = parse_seeds(args.seeds)
    if args.paired_control is None:
        args.paired_control = True
    base = config_from_args(args)
    # no --strategies: the configured merge strategy (gaterm's default unless --config sets one)
    strategies = [base.ga.merge_strategy] if args.strategies is None else split_names(args.strategies, "strategies")
    data_dir = data_dir_from(args.data_dir)
    out = args.out or Path("runs") / f"compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GatermError(f"--out: {out} exists and is not an empty directory; choose a new one")
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
                              workers=args.workers, scheduler=args.scheduler, should_stop=stop.is_set)
    a, report = write_outputs(comp, out)
    console.print(report, markup=False, highlight=False, soft_wrap=True)
    for line in key_figures(comp, a):
        print(line)
    if stop.is_set():
        return 130
    return 0
