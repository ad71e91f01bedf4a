"""Asynchronous successive halving (ASHA; Li et al. 2020, as Optuna's `SuccessiveHalvingPruner` and Ray Tune's
`ASHAScheduler`): rungs at epochs r, r*eta, r*eta^2, ... (r = prune_warmup + 1); at each rung an evaluation
goes on only if its best validation loss so far is among the best 1/eta of those that reached the rung before
it (itself included), else it is pruned there.

"Before it" is what the schedule hands the pruner when the task starts: every earlier evaluation of the same
loss that reached the rung, completed or pruned (a pruned one reached the rungs up to where it stopped), so the
decision never depends on which worker finished first. A rung judges only once `startup` earlier evaluations
reached it (gaterm's `prune_startup`, Optuna's bootstrap)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gaterm.engine.pruners.base import LossCurve, Pruner, PruneState


@dataclass(frozen=True)
class RungState(PruneState):
    rungs: dict[int, list[float]]  # rung epoch -> the earlier evaluations' best losses up to it, sorted
    eta: int
    startup: int

    def should_prune(self, curve: Sequence[float]) -> bool:
        others = self.rungs.get(len(curve))
        if others is None or len(others) < self.startup:
            return False
        own = min(curve)
        go_on = max(1, (len(others) + 1) // self.eta)  # the top 1/eta of the rung, itself included, goes on
        return bisect.bisect_left(others, own) >= go_on  # strictly better ones ahead of it: ties favour it


@dataclass(frozen=True)
class SuccessiveHalvingPruner(Pruner):
    """`training.pruner = "asha"`."""

    startup: int
    warmup: int
    eta: int
    max_epochs: int
    name: str = "asha"

    def rung_epochs(self) -> Iterator[int]:
        r = self.warmup + 1
        while r <= self.max_epochs:
            yield r
            r *= self.eta

    def state_for(self, loss: str, curves: Sequence[LossCurve],
                  pruned: Sequence[LossCurve] = ()) -> RungState | None:
        own = [c for name, c in [*curves, *pruned] if name == loss]
        if not own:
            return None
        rungs = {}
        for r in self.rung_epochs():
            values = [min(c[:r]) for c in own if len(c) >= r]
            rungs[r] = sorted(v for v in values if math.isfinite(v))
        return RungState(rungs, self.eta, self.startup)
