"""Median pruning: stop an evaluation whose best validation loss so far is worse than what earlier evaluations
had reached by the same epoch (the rule of Optuna's median pruner)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def median_curve(curves: Sequence[Sequence[float]]) -> list[float]:
    """Per epoch k, the median over earlier completed evaluations of their best validation loss up to epoch k
    (Optuna's median pruner compares a trial's best value so far with this)."""
    if not curves:
        return []
    best = [np.minimum.accumulate(np.asarray(c, dtype=float)) for c in curves if len(c)]
    longest = max((len(c) for c in best), default=0)
    out = []
    for k in range(longest):
        vals = [float(c[k]) for c in best if len(c) > k and math.isfinite(c[k])]
        out.append(float(np.median(vals)) if vals else math.inf)
    return out


def should_prune(curve: Sequence[float], medians: Sequence[float] | None, warmup: int) -> bool:
    """After epoch k = len(curve): prune when k > `warmup`, the medians reach epoch k, and this evaluation's best
    validation loss so far is worse than the median at epoch k."""
    k = len(curve)
    return medians is not None and warmup < k <= len(medians) and min(curve) > medians[k - 1]
