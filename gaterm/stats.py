"""Statistics of a run's evaluations, shared by the headless summary, the run directory, compare mode and the TUI."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from gaterm.states import Status


class _Timed(Protocol):
    training_time: float
    status: Status


def fitness_times(rows: Iterable[_Timed]) -> list[float]:
    """The fitness times every statistic uses: one rule for every consumer. Rows that errored trained nothing and
    are left out; diverged and pruned rows cost their time and are counted (dropping them would make failures
    look fast)."""
    return [r.training_time for r in rows if r.status.timed]


def fitness_time_stats(rows: Iterable[_Timed]) -> dict[str, float]:
    """Mean, median and skewness of `fitness_times(rows)` (see `describe_times`)."""
    return describe_times(fitness_times(rows))


def describe_times(times: Sequence[float]) -> dict[str, float]:
    """Mean, median and (bias-corrected sample) skewness of fitness times; NaN where undefined."""
    a = np.asarray(times, dtype=float)
    if a.size == 0:
        return {"mean": math.nan, "median": math.nan, "skewness": math.nan}
    skew = math.nan
    if a.size >= 3 and float(a.std()) > 0:
        from scipy.stats import skew as _skew

        skew = float(_skew(a, bias=False))
    return {"mean": float(a.mean()), "median": float(np.median(a)), "skewness": skew}


# ----- comparisons (compare mode) -----
def ratio_of_means_ci(
    num: Sequence[float], den: Sequence[float], confidence: float = 0.95, n_resamples: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    """mean(num) / mean(den) for two independent samples, with a percentile bootstrap CI (each resampled alone).

    Returns (ratio, low, high); the CI is NaN when a sample has fewer than 2 values.
    """
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if a.size == 0 or b.size == 0 or b.mean() == 0:
        return math.nan, math.nan, math.nan
    ratio = float(a.mean() / b.mean())
    if a.size < 2 or b.size < 2:
        return ratio, math.nan, math.nan
    from scipy.stats import bootstrap

    res = bootstrap(
        (a, b), lambda x, y, axis: x.mean(axis=axis) / y.mean(axis=axis), paired=False, vectorized=True,
        confidence_level=confidence, n_resamples=n_resamples, method="percentile", rng=np.random.default_rng(seed),
    )
    return ratio, float(res.confidence_interval.low), float(res.confidence_interval.high)


def paired_ratio_ci(
    num: Sequence[float], den: Sequence[float], confidence: float = 0.95, n_resamples: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    """sum(num) / sum(den) over pairs, with a percentile bootstrap CI resampling the pairs together."""
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if a.size == 0 or b.sum() == 0:
        return math.nan, math.nan, math.nan
    ratio = float(a.sum() / b.sum())
    if a.size < 2:
        return ratio, math.nan, math.nan
    from scipy.stats import bootstrap

    res = bootstrap(
        (a, b), lambda x, y, axis: x.sum(axis=axis) / y.sum(axis=axis), paired=True, vectorized=True,
        confidence_level=confidence, n_resamples=n_resamples, method="percentile", rng=np.random.default_rng(seed),
    )
    return ratio, float(res.confidence_interval.low), float(res.confidence_interval.high)


def mann_whitney_p(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value; NaN if either sample is empty."""
    if len(x) == 0 or len(y) == 0:
        return math.nan
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(x, y, alternative="two-sided").pvalue)


def wilcoxon_p(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired x - y; NaN with fewer than 2 pairs, 1.0 if all equal."""
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return math.nan
    if np.all(d == 0):
        return 1.0
    from scipy.stats import wilcoxon

    return float(wilcoxon(d, alternative="two-sided").pvalue)


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean with a Student-t confidence interval (NaN interval with fewer than 2 values)."""
    a = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    m = float(a.mean())
    if a.size < 2:
        return m, math.nan, math.nan
    from scipy.stats import t

    half = float(t.ppf(0.5 + confidence / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return m, m - half, m + half
