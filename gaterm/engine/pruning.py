"""Median pruning: stop an evaluation whose best validation loss so far is worse than what earlier evaluations
with the same loss had reached by the same epoch (the rule of Optuna's median pruner).

Which earlier evaluations count is decided by the engine (`Engine._prune_medians`): the completed (status ok)
evaluations of finished generations, and those of the current generation at least `prune_lag` + 1 positions
earlier, so the rule does not depend on which worker finished first. Curves are only compared with curves of
the same loss (an MSE curve is not on an MAE curve's scale)."""

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


def medians_for(
    loss: str, curves: Sequence[tuple[str, Sequence[float]]], startup: int
) -> list[float] | None:
    """The median curve of the `curves` (pairs of loss, curve) that have `loss`, or None (no pruning) while fewer
    than `startup` of them exist (and always when none does): Optuna's `n_startup_trials`, per loss."""
    own = [c for name, c in curves if name == loss]
    if not own or len(own) < startup:
        return None
    return median_curve(own)


def should_prune(curve: Sequence[float], medians: Sequence[float] | None, warmup: int) -> bool:
    """After epoch k = len(curve): prune when k > `warmup`, the medians reach epoch k, and this evaluation's best
    validation loss so far is worse than the median at epoch k."""
    k = len(curve)
    return medians is not None and warmup < k <= len(medians) and min(curve) > medians[k - 1]
