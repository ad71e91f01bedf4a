"""Comparison statistics against scipy and hand computations on known inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from gaterm.stats import mann_whitney_p, mean_ci, paired_ratio_ci, ratio_of_means_ci, wilcoxon_p

A = [1.2, 0.8, 1.5, 2.0, 0.9, 1.1, 1.7, 1.3]
B = [2.1, 1.9, 2.5, 1.6, 2.8, 2.2, 1.8, 2.4]


def test_ratio_of_means_and_its_bootstrap_interval():
    r, lo, hi = ratio_of_means_ci(A, B)
    assert r == pytest.approx(np.mean(A) / np.mean(B))
    assert lo < r < hi < 1.0  # A is clearly faster: the whole interval is below 1
    ref = sps.bootstrap((np.array(A), np.array(B)), lambda x, y, axis: x.mean(axis) / y.mean(axis),
                        paired=False, vectorized=True, n_resamples=4000, method="percentile",
                        rng=np.random.default_rng(0))
    assert (lo, hi) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))
    r1, lo1, hi1 = ratio_of_means_ci(B, B)
    assert r1 == 1.0 and lo1 < 1.0 < hi1


def test_paired_ratio_is_a_ratio_of_sums():
    r, lo, hi = paired_ratio_ci([5, 10, 15], [10, 10, 30])
    assert r == pytest.approx(30 / 50)
    assert lo <= r <= hi
    assert math.isnan(paired_ratio_ci([1.0], [2.0])[1])


def test_mann_whitney_and_wilcoxon_match_scipy():
    assert mann_whitney_p(A, B) == pytest.approx(sps.mannwhitneyu(A, B, alternative="two-sided").pvalue)
    d = np.array(A) - np.array(B)
    assert wilcoxon_p(A, B) == pytest.approx(sps.wilcoxon(d).pvalue)
    assert wilcoxon_p([1, 2, 3], [1, 2, 3]) == 1.0
    assert math.isnan(mann_whitney_p([], B))


def test_mean_ci_is_a_t_interval():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0])
    half = sps.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert (m, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    assert math.isnan(mean_ci([1.0])[1])


def test_clustered_bootstrap_resamples_seeds_first():
    from gaterm.stats import clustered_bootstrap, ratio_of_means

    # three seeds that disagree: one seed's drift must widen the interval, not vanish among pooled rows
    groups = {0: ([1.0] * 50, [2.0] * 50), 1: ([2.0] * 50, [2.0] * 50), 2: ([1.5] * 50, [2.0] * 50)}
    r, lo, hi = clustered_bootstrap(groups, lambda p: ratio_of_means(p[0], p[1]))
    assert r == pytest.approx(0.75)
    assert lo <= 0.55 and hi >= 0.95  # pooled rows alone would give a near-zero-width interval
    r1, lo1, hi1 = clustered_bootstrap({0: ([1.0, 2.0], [2.0, 4.0])}, lambda p: ratio_of_means(p[0], p[1]))
    assert r1 == 0.5 and math.isnan(lo1) and math.isnan(hi1)  # one seed: no interval


def test_tost_says_equivalent_only_within_the_margin():
    from gaterm.stats import tost_p

    tight = [0.001, -0.002, 0.0015, 0.0, -0.001, 0.002]
    assert tost_p(tight, 0.01) < 0.01
    assert tost_p([0.05, 0.06, 0.04, 0.055], 0.01) > 0.5  # clearly different
    assert tost_p([0.2, -0.2, 0.25, -0.15], 0.01) > 0.3  # too noisy to claim equivalence
    assert math.isnan(tost_p([0.0], 0.01))
