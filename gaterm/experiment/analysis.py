"""Compare mode, analysis: every figure of the report as pure functions of the arms' records."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gaterm.events import EvaluationRecord
from gaterm.experiment.arms import BASIC, ArmRun, Comparison, arm_name
from gaterm.states import Status
from gaterm.stats import (
    fitness_time_stats,
    fitness_times,
    mann_whitney_p,
    mean_ci,
    paired_ratio_ci,
    ratio_of_means_ci,
    wilcoxon_p,
)


def _subset(runs: Sequence[ArmRun], min_gen: int) -> list[EvaluationRecord]:
    """Evaluations of generations >= min_gen whose time counts (`gaterm.stats.fitness_times`' rule)."""
    return [r for run in runs for r in run.records if r.generation >= min_gen and r.status.timed]


def _times(recs: Sequence[EvaluationRecord]) -> list[float]:
    return fitness_times(recs)


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
        d = fitness_time_stats(recs)
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
             if r.control_n_epochs is not None and r.status is Status.OK and r.control_status is Status.OK]
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


