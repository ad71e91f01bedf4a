"""Statistics of a run's evaluations, shared by the headless summary, the results writer and (later) the TUI."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


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
