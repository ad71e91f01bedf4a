"""ASCII histogram and fitness-time statistics."""

from __future__ import annotations

import math

import pytest
from scipy.stats import skew

from gaterm.charts import histogram
from gaterm.stats import describe_times


def test_histogram_counts_every_value_once():
    values = [0.1, 0.2, 0.2, 0.9, 1.0, 5.0]
    lines = histogram(values, bins=5, width=10)
    assert len(lines) == 5
    counts = [int(line.split()[1]) for line in lines]
    assert sum(counts) == len(values)
    assert counts[0] == 5 and counts[-1] == 1
    assert lines[0].endswith("#" * 10)  # the fullest bin spans the width


def test_histogram_of_nothing_and_of_one_value():
    assert histogram([]) == ["(no data)"]
    assert sum(int(x.split()[1]) for x in histogram([2.0, 2.0], bins=3)) == 2


def test_describe_times():
    d = describe_times([1.0, 2.0, 3.0, 10.0])
    assert d["mean"] == 4.0 and d["median"] == 2.5
    assert math.isclose(d["skewness"], skew([1.0, 2.0, 3.0, 10.0], bias=False))
    assert math.isnan(describe_times([1.0, 1.0, 1.0])["skewness"])
    assert math.isnan(describe_times([])["mean"])


@pytest.mark.parametrize("times", [[1.0, 2.0, 3.0], [0.5, 0.7, 3.1, 2.2, 9.0], [1.0, 1.0, 1.0, 2.0], [2.0, 0.1, 0.1]])
def test_skewness_is_scipys_bias_corrected_skewness(times):
    assert describe_times(times)["skewness"] == pytest.approx(float(skew(times, bias=False)), rel=1e-12, abs=1e-12)
