"""Statistics of a run's evaluations, shared by the headless summary, the run directory, compare mode and the TUI."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

import numpy as np

from gaterm.states import Status

_K = TypeVar("_K")  # a clustered bootstrap's group key (a seed)


class _Timed(Protocol):
    """A row with a fitness time (read-only: records and rows are frozen dataclasses)."""

    @property
    def training_time(self) -> float: ...

    @property
    def status(self) -> Status: ...


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
    n = a.size
    if n >= 3 and float(a.std()) > 0:
        # the adjusted Fisher-Pearson coefficient (scipy.stats.skew with bias=False), without importing scipy
        # (over a second of a run's start-up, paid by the process that feeds the workers)
        d = a - a.mean()
        g1 = float(np.mean(d**3) / np.mean(d**2) ** 1.5)
        skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
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


# ----- statistics that respect the design: seeds are the independent units ---------------------------------
def clustered_bootstrap(
    groups: Mapping[_K, tuple[Sequence[float], ...]],
    statistic: Callable[[list[np.ndarray]], float],
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """A two-stage (seed-clustered) percentile bootstrap.

    `groups` maps each seed to a tuple of samples (e.g. (merge times, basic times), or the paired columns of one
    seed's pairs, which must then have equal lengths and are resampled together). Each replicate draws seeds with
    replacement, then, within each drawn seed, rows with replacement; `statistic` receives the pooled samples (one
    array per tuple position) and returns one number. Seeds are the independent units of a comparison (runs drift
    apart); rows of one seed are not, so resampling rows alone would make intervals too narrow.
    Returns (statistic on the data, low, high); the interval is NaN with fewer than 2 seeds.
    """
    keys = [k for k, samples in groups.items() if all(len(s) for s in samples)]
    if not keys:
        return math.nan, math.nan, math.nan
    data = {k: [np.asarray(s, dtype=float) for s in groups[k]] for k in keys}
    width = len(data[keys[0]])

    def pooled(choice: Sequence[_K], rng: np.random.Generator | None) -> list[np.ndarray]:
        parts: list[list[np.ndarray]] = [[] for _ in range(width)]
        for k in choice:
            samples = data[k]
            paired = len({len(s) for s in samples}) == 1
            idx = rng.integers(len(samples[0]), size=len(samples[0])) if (rng is not None and paired) else None
            for i, s in enumerate(samples):
                if rng is None:
                    parts[i].append(s)
                elif paired:
                    parts[i].append(s[idx])
                else:
                    parts[i].append(s[rng.integers(len(s), size=len(s))])
        return [np.concatenate(p) for p in parts]

    estimate = float(statistic(pooled(keys, None)))
    if len(keys) < 2:
        return estimate, math.nan, math.nan
    rng = np.random.default_rng(seed)
    reps = []
    for _ in range(n_resamples):
        choice = [keys[i] for i in rng.integers(len(keys), size=len(keys))]
        v = float(statistic(pooled(choice, rng)))
        if math.isfinite(v):
            reps.append(v)
    if len(reps) < n_resamples // 2:
        return estimate, math.nan, math.nan
    alpha = (1 - confidence) / 2
    return estimate, float(np.quantile(reps, alpha)), float(np.quantile(reps, 1 - alpha))


def ratio_of_means(x: np.ndarray, y: np.ndarray) -> float:
    return float(x.mean() / y.mean()) if len(x) and len(y) and y.mean() != 0 else math.nan


def ratio_of_sums(x: np.ndarray, y: np.ndarray) -> float:
    return float(x.sum() / y.sum()) if len(x) and y.sum() != 0 else math.nan


def tost_p(diffs: Sequence[float], margin: float) -> float:
    """Two one-sided t tests (TOST) that the mean of `diffs` lies within (-margin, +margin): the larger of the two
    one-sided p-values. Small (< 0.05) means "equivalent within the margin"; NaN with fewer than 2 values."""
    d = np.asarray([v for v in diffs if math.isfinite(v)], dtype=float)
    if d.size < 2 or not margin > 0:
        return math.nan
    from scipy.stats import t

    se = d.std(ddof=1) / math.sqrt(d.size)
    m = d.mean()
    if se == 0:
        return 0.0 if abs(m) < margin else 1.0
    p_low = 1 - t.cdf((m + margin) / se, d.size - 1)  # H0: mean <= -margin
    p_high = t.cdf((m - margin) / se, d.size - 1)  # H0: mean >= +margin
    return float(max(p_low, p_high))
