"""Pruners: a small base class (`Pruner`, `PruneState`) and the rules gaterm ships."""

from __future__ import annotations

from gaterm.config import TrainingConfig
from gaterm.engine.pruners.asha import RungState, SuccessiveHalvingPruner
from gaterm.engine.pruners.base import LossCurve, Pruner, PruneState
from gaterm.engine.pruners.median import MedianPruner, MedianState

__all__ = ["LossCurve", "MedianPruner", "MedianState", "PruneState", "Pruner", "RungState",
           "SuccessiveHalvingPruner", "make_pruner"]


def make_pruner(training: TrainingConfig) -> Pruner | None:
    """The run's pruner (`training.prune`, `training.pruner`), or None: no evaluation is pruned."""
    if not training.prune:
        return None
    if training.pruner == "asha":
        return SuccessiveHalvingPruner(training.prune_startup, training.prune_warmup, training.prune_eta,
                                       training.max_epochs)
    return MedianPruner(training.prune_startup, training.prune_warmup)
