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
