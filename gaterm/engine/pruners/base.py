"""The pruner interface (as Optuna's `BasePruner`): a pruner turns the curves of earlier evaluations into one
picklable `PruneState` per task; the fitness function asks that state after every epoch whether to stop.

A state is decided when the task starts (or, generationally, once the outcomes it may depend on are in), so what
a task is compared with never depends on which worker finished first; it travels with the task to worker
processes and Dask workers, so it holds plain data only."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

Curve = tuple[float, ...]
LossCurve = tuple[str, Curve]  # (the evaluation's loss, its validation loss after each epoch)


class PruneState(ABC):
    """What one task is judged against; `should_prune(curve)` after each epoch (`curve`: its validation losses so
    far, epoch 1 first)."""

    @abstractmethod
    def should_prune(self, curve: Sequence[float]) -> bool: ...


class Pruner(ABC):
    """Builds each task's `PruneState` from earlier evaluations' curves (only curves of the task's own loss are
    comparable: an MSE curve is not on an MAE curve's scale)."""

    name: str

    @abstractmethod
    def state_for(self, loss: str, curves: Sequence[LossCurve],
                  pruned: Sequence[LossCurve] = ()) -> PruneState | None:
        """The state of a task whose loss is `loss`, given the (loss, curve) pairs of the evaluations it may be
        compared with: `curves` of those that completed, `pruned` of those that were pruned (where they
        stopped); None: this task is not pruned."""
