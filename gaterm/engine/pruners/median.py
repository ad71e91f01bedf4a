"""Median pruning: stop an evaluation whose best validation loss so far is worse than what earlier evaluations
with the same loss had reached by the same epoch (the rule of Optuna's median pruner).

Which earlier evaluations count is decided by the schedule: generationally the completed (status ok)
evaluations of finished generations and those of the current generation at least `prune_lag` + 1 positions
earlier (`schedules.generational`); in the steady state every completed evaluation so far
(`schedules.steady_state`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gaterm.engine.pruners.base import LossCurve, Pruner, PruneState


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


def medians_for(loss: str, curves: Sequence[LossCurve], startup: int) -> list[float] | None:
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


@dataclass(frozen=True)
class MedianState(PruneState):
    medians: list[float]  # per epoch, the median best-so-far validation loss of the earlier evaluations
    warmup: int

    def should_prune(self, curve: Sequence[float]) -> bool:
        return should_prune(curve, self.medians, self.warmup)


@dataclass(frozen=True)
class MedianPruner(Pruner):
    """`training.prune`: active once `startup` evaluations of the task's loss completed, after `warmup` epochs."""

    startup: int
    warmup: int
    name: str = "median"

    def state_for(self, loss: str, curves: Sequence[LossCurve],
                  pruned: Sequence[LossCurve] = ()) -> MedianState | None:
        """Completed curves only (as Optuna's median pruner): a pruned curve stops where it was worst."""
        medians = medians_for(loss, curves, self.startup)
        return MedianState(medians, self.warmup) if medians is not None else None
