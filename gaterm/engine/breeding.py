"""Breeding: how a child is made and how any individual becomes a task. Parent choice, uniform crossover,
mutation (with `ga.dedupe`, again until the child is new), the merge of the parents' trained weights, and the
one task builder both schedules use (model-guided breeding plugs in here)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gaterm.chromosome import Chromosome
from gaterm.engine.backends import EvalTask
from gaterm.engine.fitness import DeviceData, evaluation_seed, get_layers, init_model, make_probe
from gaterm.engine.operators import crossover, mutate, novel
from gaterm.engine.pruners import PruneState
from gaterm.errors import GatermError
from gaterm.events import EvaluationRecord
from gaterm.merge import LayerWeights, Parent, plain_notes, run_merge, uses_data

if TYPE_CHECKING:
    from gaterm.engine.engine import Engine


@dataclass
class Individual:
    id: int
    chromosome: Chromosome
    parents: tuple[int, int] | None = None
    record: EvaluationRecord | None = None


def parents_of(r: EvaluationRecord) -> tuple[int, int] | None:
    return (r.parent_a, r.parent_b) if r.parent_a is not None and r.parent_b is not None else None


@dataclass(frozen=True)
class Planned:
    """A task ready to run, with what the engine records about how it was made."""

    task: EvalTask
    ind: Individual
    merged: bool  # its initial weights are a merge of its parents'
    merge_time: float  # wall seconds the merge took (0 without one)
    notes: dict[str, Any] | None  # the merge strategy's notes (None unless a merge was made or declined)


class Breeder:
    """Makes children and tasks for `engine` (its config, gene store, merge strategy and held weights)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def child(self, rng: np.random.Generator, child_id: int, candidates: Sequence[Individual],
              seen: set[str]) -> Individual:
        """A child numbered `child_id` of two distinct individuals drawn from `candidates` (at least two); its
        genes are added to `seen` (the encodings `ga.dedupe` keeps children away from)."""
        ia, ib = rng.choice(len(candidates), size=2, replace=False)
        pa, pb = candidates[int(ia)], candidates[int(ib)]
        chromosome = self.breed(rng, pa.chromosome, pb.chromosome, seen)
        seen.add(chromosome.encode())
        return Individual(child_id, chromosome, (pa.id, pb.id))

    def breed(self, rng: np.random.Generator, a: Chromosome, b: Chromosome, seen: set[str]) -> Chromosome:
        """A child of `a` and `b`: uniform crossover, then mutation; with `ga.dedupe`, mutated again until its
        genes differ from every encoding in `seen` (individuals already started or bred)."""
        ga, store = self.engine.config.ga, self.engine.store
        child = mutate(rng, crossover(rng, a, b, ga.crossover_depth), store, ga.mutation_prob)
        return novel(rng, child, store, ga.mutation_prob, seen) if ga.dedupe else child

    def plan(self, ind: Individual, generation: int, data: DeviceData, population: Sequence[Individual],
             pruning: PruneState | None = None, after: int = 0) -> Planned:
        """`ind` as a task: its seed, its initial weights (a warm-start seed's own, or a child's merge of its
        parents' when merging is on; `population` holds the parents), its patience and pruning state."""
        e = self.engine
        seed = evaluation_seed(e.config.seed, ind.id)
        init_layers = e.warm_layers.get(ind.id) if ind.parents is None else None  # warm-start seeds only
        notes, merge_time = None, 0.0
        if e.merge_strategy is not None and ind.parents is not None:
            t = time.perf_counter()
            init_layers, notes = self.merge(ind, data, seed, population)
            merge_time = time.perf_counter() - t
        merged = init_layers is not None and ind.parents is not None
        task = EvalTask(ind.id, generation, ind.chromosome, seed, init_layers,
                        control=merged and e.config.ga.paired_control, pruning=pruning,
                        keep_initial=init_layers is not None and ind.parents is None,
                        patience=self.patience(merged), after=after,
                        relative_patience=merged and e.config.training.relative_patience)
        return Planned(task, ind, merged, merge_time, notes)

    def patience(self, merged: bool) -> int | None:
        """Early stopping's patience for an evaluation: `training.merged_patience` for a merged child if set, else
        None (the run's `training.patience`)."""
        return (self.engine.config.training.merged_patience or None) if merged else None

    def merge(
        self, ind: Individual, data: DeviceData, seed: int, population: Sequence[Individual]
    ) -> tuple[list[LayerWeights] | None, dict[str, Any] | None]:
        """The child's initial weights from its parents (None when a parent has no usable weights or the strategy
        declined: the child starts fresh, not merged), and the notes to record about the merge: the strategy's
        name and whatever it left in its probe's `notes`."""
        e = self.engine
        if e.merge_strategy is None:
            raise GatermError("internal error: a merge was asked for with merging off")
        by_id = {p.id: p for p in population}
        parents = []
        for pid in ind.parents or ():
            p, layers = by_id.get(pid), e.weights.get(pid)
            if p is None or p.record is None or layers is None or not p.record.status.trained:
                return None, None  # e.g. a diverged parent: its weights are not finite, the child starts fresh
            parents.append(Parent(p.chromosome, layers, p.record.metric, e.direction.higher_is_better))
        child_init = get_layers(init_model(ind.chromosome, data, seed))
        probe = make_probe(ind.chromosome, data) if uses_data(e.merge_strategy) else None
        layers = run_merge(e.merge_strategy, ind.chromosome, child_init, parents[0], parents[1], probe)
        notes = plain_notes(probe.notes) if probe is not None else {}
        return layers, {"strategy": e.merge_strategy.name, **notes}
