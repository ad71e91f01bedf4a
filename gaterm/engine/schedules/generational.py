"""The generational schedule (the study's): each generation is bred at once, evaluated through the backend, and
waits for its slowest evaluation; the best `survivors` go on and breed the next one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from gaterm.engine import checkpoint
from gaterm.engine.backends import EvalTask
from gaterm.engine.breeding import Individual, Planned
from gaterm.engine.fitness import Cancelled, DeviceData
from gaterm.engine.operators import select
from gaterm.engine.pruners import LossCurve
from gaterm.errors import GatermError
from gaterm.events import CheckpointReady, EvaluationStarted, GenerationFinished, GenerationStarted
from gaterm.states import Status, StopReason

if TYPE_CHECKING:
    from gaterm.engine.engine import Engine


class GenerationalSchedule:
    """Runs generations `start_gen`.. of `engine` until `ga.generations`, a stop, the target or the budget."""

    def __init__(self, engine: Engine, data: DeviceData, rng: np.random.Generator) -> None:
        self.engine, self.data, self.rng = engine, data, rng
        self.why = StopReason.GENERATIONS
        self._pending: list[Individual] = []
        self._batch: dict[int, Planned] = {}

    def run(self, population: list[Individual], next_id: int, start_gen: int) -> StopReason:
        e, ga = self.engine, self.engine.config.ga
        stop_reason = StopReason.GENERATIONS
        for gen in range(start_gen, ga.generations):
            pending = [ind for ind in population if ind.record is None]
            e.emit(GenerationStarted(gen, tuple(ind.id for ind in pending)))
            stop_reason = self.evaluate(gen, pending, population)
            scored = [(ind.id, ind.record.metric) for ind in population if ind.record is not None]
            keep = set(select(scored, ga.survivors, e.direction))
            if scored:
                e.emit(GenerationFinished(e.summarize(gen, keep)))
            if stop_reason is not StopReason.GENERATIONS or gen == ga.generations - 1:
                break
            e.curves += self.completed_curves(pending)
            e.pruned_curves += self.completed_curves(pending, Status.PRUNED)
            survivors = sorted((ind for ind in population if ind.id in keep), key=lambda ind: ind.id)
            e.weights = {i: w for i, w in e.weights.items() if i in keep}
            population, next_id = self.breed(survivors, next_id)
            e.emit(CheckpointReady(checkpoint.generational(e, gen + 1, next_id, population, self.rng)))
        return stop_reason

    def breed(self, survivors: list[Individual], next_id: int) -> tuple[list[Individual], int]:
        """The next population: `survivors` and population - survivors children of two distinct survivors each
        (survivors >= 2 is validated)."""
        e = self.engine
        seen = {r.genes for r in e.records}  # ga.dedupe: every individual evaluated, then every child bred
        population = list(survivors)
        for _ in range(e.config.ga.population - e.config.ga.survivors):
            population.append(e.breeder.child(self.rng, next_id, survivors, seen))
            next_id += 1
        return population, next_id

    def evaluate(self, gen: int, pending: list[Individual], population: list[Individual]) -> StopReason:
        """Merge each child's initial weights here, evaluate through the backend, record in id order."""
        e = self.engine
        lag = e.config.training.prune_lag
        planned = [e.breeder.plan(ind, gen, self.data, population,
                                  after=max(0, position - lag) if e.pruner is not None else 0)
                   for position, ind in enumerate(pending)]
        self.why, self._pending, self._batch = StopReason.GENERATIONS, pending, {p.task.id: p for p in planned}
        outcomes = e.backend.run([p.task for p in planned], self.may_start, e.emit_epoch, e.should_stop)
        try:
            for p in planned:
                try:
                    out = next(outcomes)
                except StopIteration:
                    return self.why
                except Cancelled:
                    return StopReason.CANCELLED
                e.record(gen, p.ind, out, p.merged, p.merge_time, p.notes)
                if e.direction.reached(e.selected(out.result), e.config.ga.target):
                    return StopReason.TARGET
        finally:
            outcomes.close()
        return StopReason.GENERATIONS

    def may_start(self, task: EvalTask) -> EvalTask | None:
        """Asked by the backend before each task starts: None once no evaluation may start (`self.why` says
        why), else the task with its pruning state, from every completed evaluation of finished generations and
        of this one's first `task.after` (already recorded: the backend waits for them)."""
        e = self.engine
        if (why := e.why_not_start()) is not None:
            self.why = why
            return None
        ind = self._batch[task.id].ind
        e.emit(EvaluationStarted(task.generation, ind.id, ind.chromosome, ind.parents))
        if e.pruner is not None:
            before = self._pending[: task.after]
            if any(p.record is None for p in before):
                raise GatermError("internal error: the evaluation backend started a task before the outcomes "
                                  "it depends on (task.after)")
            earlier = e.curves + self.completed_curves(before)
            pruned = e.pruned_curves + self.completed_curves(before, Status.PRUNED)
            task = dataclasses.replace(task, pruning=e.pruner.state_for(ind.chromosome.loss, earlier, pruned))
        return task

    def completed_curves(self, individuals: Sequence[Individual], status: Status = Status.OK) -> list[LossCurve]:
        """(loss, validation curve) of those of `individuals` whose evaluation ended with `status` (completed:
        ok; or pruned), in order."""
        curve_of = self.engine.curve_of
        return [(ind.chromosome.loss, curve_of[ind.id]) for ind in individuals
                if ind.id in curve_of and ind.record is not None and ind.record.status is status]
