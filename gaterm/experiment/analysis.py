"""Compare mode, analysis: every figure of the report as pure functions of the arms' records.

The design the statistics respect: each seed's arms share the config, the split and generation 0 (the same
individuals, trained identically), and seeds are the independent units. So
- time statistics for the comparison use generations >= 1 (generation 0 is the same work in every arm; the
  study-style "all evaluations" table says so plainly);
- confidence intervals resample seeds first, then evaluations within each drawn seed (`clustered_bootstrap`);
- a second time ratio divides each arm's generation >= 1 mean by its own generation-0 mean, which cancels load
  drift between arms (the same work timed at different moments);
- results are each run's best-by-validation individual's test metric, compared per seed, with a TOST
  equivalence test against a stated margin;
- the paired control (every merged child also trained from fresh init) gives per-seed epochs and time ratios,
  the failure rates of both sides, and a TOST on the paired test-metric difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gaterm.experiment.arms import BASIC, ArmRun, Comparison, arm_name
from gaterm.states import Status
from gaterm.stats import (
    clustered_bootstrap,
    fitness_time_stats,
    fitness_times,
    mann_whitney_p,
    mean_ci,
    ratio_of_means,
    ratio_of_sums,
    tost_p,
    wilcoxon_p,
)

# Equivalence margins of the TOST lines: results count as "equal" when the mean difference lies within them.
ACCURACY_MARGIN = 0.01  # one percentage point of accuracy
MAE_MARGIN_FRACTION = 0.02  # 2% of the reference arm's mean MAE
FAILED = (Status.DIVERGED, Status.ERROR)


def equivalence_margin(metric_name: str, reference: Sequence[float]) -> float:
    """The TOST margin: 0.01 accuracy, or 2% of the reference side's mean MAE."""
    if metric_name == "accuracy":
        return ACCURACY_MARGIN
    ref = [v for v in reference if math.isfinite(v)]
    return MAE_MARGIN_FRACTION * float(np.mean(ref)) if ref else math.nan


def _subset(runs: Sequence[ArmRun], min_gen: int, max_gen: int | None = None) -> list[Any]:
    """Evaluations of generations in [min_gen, max_gen] whose time counts (`gaterm.stats.fitness_times`' rule)."""
    return [r for run in runs for r in run.records
            if r.generation >= min_gen and (max_gen is None or r.generation <= max_gen) and r.status.timed]


def _times(recs: Sequence[Any]) -> list[float]:
    return fitness_times(recs)


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_nan_to_none(v) for v in x]
    return x


def _by_seed(runs: Sequence[ArmRun]) -> dict[int, ArmRun]:
    return {r.seed: r for r in runs}


def analyse(comp: Comparison) -> dict[str, Any]:
    """Every figure of the report, per data set and merge arm, as plain data (also written as compare.json)."""
    out: dict[str, Any] = {
        "datasets": comp.datasets, "seeds": comp.seeds, "strategies": comp.strategies,
        "patience": comp.base.training.patience, "selection": comp.base.ga.selection,
        "margins": {"accuracy": ACCURACY_MARGIN, "mae_fraction": MAE_MARGIN_FRACTION}, "results": {},
    }
    for name in comp.datasets:
        runs = [r for r in comp.runs if r.dataset == name]
        if not runs:
            continue
        basic = [r for r in runs if r.arm == BASIC]
        ds: dict[str, Any] = {"metric_name": runs[0].metric_name, "higher_is_better": runs[0].higher_is_better,
                              "arms": {}, "comparisons": {}}
        for arm in [BASIC, *(arm_name(s) for s in comp.strategies)]:
            ds["arms"][arm] = _arm_stats([r for r in runs if r.arm == arm])
        for s in comp.strategies:
            merge = [r for r in runs if r.arm == arm_name(s)]
            ds["comparisons"][arm_name(s)] = _compare(basic, merge, comp.base.training.patience)
        out["results"][name] = ds
    return _nan_to_none(out)


def _arm_stats(runs: Sequence[ArmRun]) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for label, lo, hi in (("all", 0, None), ("gen0", 0, 0), ("gen1", 1, None)):
        recs = _subset(runs, lo, hi)
        d = fitness_time_stats(recs)
        res[label] = {
            "evaluations": len(recs),
            "fitness_time_mean_s": d["mean"], "fitness_time_median_s": d["median"],
            "fitness_time_skewness": d["skewness"],
            "mean_epochs": float(np.mean([r.n_epochs for r in recs])) if recs else math.nan,
        }
    later = [r for run in runs for r in run.records if r.generation >= 1]
    res["gen1"]["failure_rate"] = (sum(r.status in FAILED for r in later) / len(later)) if later else math.nan
    res["best_val_metric_per_seed"] = {r.seed: r.best_val_metric for r in runs}
    res["best_test_metric_per_seed"] = {r.seed: r.best_test_metric for r in runs}
    res["best_test_metric_mean"] = float(np.mean([r.best_test_metric for r in runs])) if runs else math.nan
    res["total_duration_s_per_seed"] = {r.seed: r.duration_without_control for r in runs}
    res["total_duration_s_mean"] = float(np.mean([r.duration_without_control for r in runs])) if runs else math.nan
    res["target_generation_per_seed"] = {r.seed: r.target_generation for r in runs}
    res["run_dirs"] = [r.run_dir for r in runs]
    return res


def _compare(basic: Sequence[ArmRun], merge: Sequence[ArmRun], patience: int) -> dict[str, Any]:
    res: dict[str, Any] = {}
    b_by, m_by = _by_seed(basic), _by_seed(merge)
    seeds = [s for s in m_by if s in b_by]
    for label, lo in (("all", 0), ("gen1", 1)):
        groups = {s: (_times(_subset([m_by[s]], lo)), _times(_subset([b_by[s]], lo))) for s in seeds}
        ratio, c_lo, c_hi = clustered_bootstrap(groups, lambda p: ratio_of_means(p[0], p[1]))
        per_seed = {s: ratio_of_means(np.asarray(g[0]), np.asarray(g[1])) for s, g in groups.items()}
        tm = [t for g in groups.values() for t in g[0]]
        tb = [t for g in groups.values() for t in g[1]]
        res[label] = {"time_ratio": ratio, "time_ratio_ci": [c_lo, c_hi], "time_ratio_per_seed": per_seed,
                      "mann_whitney_p": mann_whitney_p(tm, tb)}
    # each arm's generation >= 1 mean over its own generation-0 mean: the same generation-0 work timed in each
    # arm cancels the drift of machine load between arms
    norm_groups = {s: (_times(_subset([m_by[s]], 1)), _times(_subset([m_by[s]], 0, 0)),
                       _times(_subset([b_by[s]], 1)), _times(_subset([b_by[s]], 0, 0))) for s in seeds}

    def normalized(p: list[np.ndarray]) -> float:
        return ratio_of_means(p[0], p[1]) / ratio_of_means(p[2], p[3])

    n_ratio, n_lo, n_hi = clustered_bootstrap(norm_groups, normalized)
    res["gen1_normalized"] = {
        "time_ratio": n_ratio, "time_ratio_ci": [n_lo, n_hi],
        "time_ratio_per_seed": {s: normalized([np.asarray(x) for x in g]) for s, g in norm_groups.items()},
        "gen0_time_ratio_per_seed": {s: ratio_of_means(np.asarray(g[1]), np.asarray(g[3]))
                                     for s, g in norm_groups.items()},
    }
    diffs = {s: m_by[s].best_test_metric - b_by[s].best_test_metric for s in seeds}
    m, diff_lo, diff_hi = mean_ci(list(diffs.values()))
    metric = merge[0].metric_name if merge else "metric"
    margin = equivalence_margin(metric, [b_by[s].best_test_metric for s in seeds])
    res["result_diff"] = {"mean": m, "ci": [diff_lo, diff_hi], "per_seed": diffs, "tost_margin": margin,
                          "tost_p": tost_p(list(diffs.values()), margin)}
    res["paired"] = _paired(merge, patience)
    return res


def _paired(merge: Sequence[ArmRun], patience: int) -> dict[str, Any] | None:
    controlled = [(run.seed, r) for run in merge for r in run.records if r.control_n_epochs is not None]
    if not controlled:
        return None
    # pairs where both trainings completed normally (a diverged, pruned or failed side would bias the ratios);
    # how often each side failed is reported beside them
    pairs = [(s, r) for s, r in controlled if r.status is Status.OK and r.control_status is Status.OK]
    failure = {
        "merged": sum(r.status in FAILED for _, r in controlled) / len(controlled),
        "fresh": sum(r.control_status in FAILED for _, r in controlled) / len(controlled),
        "merged_pruned": sum(r.status is Status.PRUNED for _, r in controlled) / len(controlled),
        "fresh_pruned": sum(r.control_status is Status.PRUNED for _, r in controlled) / len(controlled),
    }
    if not pairs:
        return {"pairs": 0, "pairs_excluded": len(controlled), "failure_rate": failure}
    seeds = sorted({s for s, _ in pairs})

    def columns(attr_m: str, attr_f: str) -> dict[int, tuple[list[float], list[float]]]:
        return {s: ([float(getattr(r, attr_m)) for t, r in pairs if t == s],
                    [float(getattr(r, attr_f)) for t, r in pairs if t == s]) for s in seeds}

    epochs = columns("n_epochs", "control_n_epochs")
    times = columns("training_time", "control_time")
    e_ratio, e_lo, e_hi = clustered_bootstrap(epochs, lambda p: ratio_of_sums(p[0], p[1]))
    t_ratio, t_lo, t_hi = clustered_bootstrap(times, lambda p: ratio_of_sums(p[0], p[1]))
    e_m = [v for g in epochs.values() for v in g[0]]
    e_f = [v for g in epochs.values() for v in g[1]]
    t_m = [v for g in times.values() for v in g[0]]
    t_f = [v for g in times.values() for v in g[1]]
    met_m = [r.test_metric for _, r in pairs]
    met_f = [float(r.control_test_metric) if r.control_test_metric is not None else math.nan for _, r in pairs]
    diff = [a - b for a, b in zip(met_m, met_f, strict=False) if math.isfinite(a) and math.isfinite(b)]
    mean_fresh_epochs = float(np.mean(e_f))
    floor = min(1.0, (patience + 1) / mean_fresh_epochs) if mean_fresh_epochs > 0 else math.nan
    share = (1 - e_ratio) / (1 - floor) if floor < 1 else math.nan
    margin = equivalence_margin(merge[0].metric_name, met_f)
    return {
        "pairs": len(pairs),
        "pairs_excluded": len(controlled) - len(pairs),
        "failure_rate": failure,
        "epochs_ratio": e_ratio, "epochs_ratio_ci": [e_lo, e_hi], "epochs_wilcoxon_p": wilcoxon_p(e_m, e_f),
        "epochs_ratio_per_seed": {s: ratio_of_sums(np.asarray(g[0]), np.asarray(g[1])) for s, g in epochs.items()},
        "time_ratio": t_ratio, "time_ratio_ci": [t_lo, t_hi], "time_wilcoxon_p": wilcoxon_p(t_m, t_f),
        "time_ratio_per_seed": {s: ratio_of_sums(np.asarray(g[0]), np.asarray(g[1])) for s, g in times.items()},
        "mean_epochs_merged": float(np.mean(e_m)), "mean_epochs_fresh": mean_fresh_epochs,
        "result_diff_mean": float(np.mean(diff)) if diff else math.nan,
        "result_diff_wilcoxon_p": wilcoxon_p([a for a in met_m], [b for b in met_f]),
        "result_tost_margin": margin, "result_tost_p": tost_p(diff, margin),
        "floor": floor, "share_of_saving_captured": share,
    }
