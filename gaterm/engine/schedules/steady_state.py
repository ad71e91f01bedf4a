"""The steady-state schedule (`ga.schedule = "async"`): whenever a worker is free, start the next unevaluated
individual of the first population, else breed a child from two distinct individuals among the best
`survivors` evaluated so far (merging its parents' weights), until the planned evaluations have been started.

Pruning compares with every completed evaluation so far. The block of ids that makes up a "generation" is
summarized (and checkpointed) once all of it and every earlier block is recorded. With one worker the order of
events, and so the run, is fixed by the seed; with more, which child is bred from whom depends on which
evaluation finished first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gaterm.engine import checkpoint
from gaterm.engine.backends import EvalOutcome, EvalTask
from gaterm.engine.breeding import Individual, Planned
from gaterm.engine.fitness import Cancelled, DeviceData
from gaterm.engine.operators import select
from gaterm.events import (
    CheckpointReady,
    EvaluationRecord,
    EvaluationStarted,
    GenerationFinished,
    GenerationStarted,
)
from gaterm.states import Status, StopReason

if TYPE_CHECKING:
    from gaterm.engine.engine import Engine

FIRST_MIN = 4  # ga.first_share never cuts generation 0 below this many started individuals


class SteadyStateSchedule:
    """The steps of one steady-state run: `next_task` (asked by the backend whenever a slot is free),
    `on_outcome` (each finished evaluation), `cut_first` (`ga.first_share`) and `finish_blocks`."""

    def __init__(self, engine: Engine, data: DeviceData, rng: np.random.Generator) -> None:
        self.engine, self.data, self.rng = engine, data, rng
        self.ga = engine.config.ga
        self.why = StopReason.GENERATIONS
        self.queue: list[Individual] = []  # generation 0 still to start, in id order
        self.known: dict[int, Individual] = {}  # evaluated individuals still held (parents, checkpoints)
        self.running: dict[int, Planned] = {}
        self.started: set[int] = set()  # blocks whose GenerationStarted was emitted
        self.seen: set[str] = set()  # ga.dedupe: the genes of every individual started
        self.start_gen = 0
        self.done_through = -1  # every block <= this one is recorded and summarized
        self.next_id = 0
        # (block, loss, curve) of every completed evaluation, in completion order: pruning compares with all of
        # them, a checkpoint after block g keeps those of blocks <= g (restored curves are all from before)
        self.block_curves: list[tuple[int, str, tuple[float, ...]]] = []
        self.block_pruned: list[tuple[int, str, tuple[float, ...]]] = []  # the same of pruned evaluations

    def run(self, population: list[Individual], next_id: int, start_gen: int) -> StopReason:
        e = self.engine
        self.queue = [ind for ind in population if ind.record is None]
        self.known = {ind.id: ind for ind in population if ind.record is not None}
        self.started = set(range(start_gen))
        self.start_gen, self.done_through, self.next_id = start_gen, start_gen - 1, next_id
        self.seen = {r.genes for r in e.records}
        self.block_curves = [(start_gen - 1, loss, c) for loss, c in e.curves]
        self.block_pruned = [(start_gen - 1, loss, c) for loss, c in e.pruned_curves]
        outcomes = e.backend.run_async(self.next_task, e.emit_epoch, e.should_stop)
        try:
            while True:
                try:
                    out = next(outcomes)
                except StopIteration:
                    break
                except Cancelled:
                    self.why = StopReason.CANCELLED
                    break
                if self.on_outcome(out):
                    break
        finally:
            outcomes.close()
        self.finish_blocks(final=True)
        return self.why

    # ----- the steps ----------------------------------------------------------------------------------------
    def next_task(self) -> EvalTask | None:
        """The next task to start, or None: nothing now (everything started, no evaluation may start, or
        generation 0 has fewer than two evaluated individuals to breed from yet)."""
        e = self.engine
        if not self.queue and self.next_id >= self.planned():
            return None  # everything started: the run ends when the running ones finish
        if (why := e.why_not_start()) is not None:
            self.why = why
            return None
        self.cut_first()
        if self.queue:
            ind = self.queue.pop(0)
            self.seen.add(ind.chromosome.encode())
        elif self.next_id < self.planned():
            parents = [self.known[r.id] for r in self.pool()]
            if len(parents) < 2:
                return None  # wait for another evaluation of the first population to finish
            ind = e.breeder.child(self.rng, self.next_id, parents, self.seen)
            self.next_id += 1
        else:
            return None
        gen = self.block(ind.id)
        if gen not in self.started:
            self.started.add(gen)
            e.emit(GenerationStarted(gen, self.block_ids(gen)))
        pruning = None
        if e.pruner is not None:
            pruning = e.pruner.state_for(ind.chromosome.loss, [(loss, c) for _, loss, c in self.block_curves],
                                         [(loss, c) for _, loss, c in self.block_pruned])
        planned = e.breeder.plan(ind, gen, self.data, list(self.known.values()), pruning=pruning)
        self.running[ind.id] = planned
        e.emit(EvaluationStarted(gen, ind.id, ind.chromosome, ind.parents))
        return planned.task

    def on_outcome(self, out: EvalOutcome) -> bool:
        """Record a finished evaluation; True when the run is to end (the target is reached)."""
        e = self.engine
        p = self.running.pop(out.task.id)
        ind = p.ind
        e.record(out.task.generation, ind, out, p.merged, p.merge_time, p.notes)
        if ind.record is not None and ind.record.status in (Status.OK, Status.PRUNED):
            into = self.block_curves if ind.record.status is Status.OK else self.block_pruned
            into.append((ind.record.generation, ind.chromosome.loss, e.curve_of[ind.id]))
        self.known[ind.id] = ind
        self.forget()
        if e.direction.reached(e.selected(out.result), self.ga.target):
            self.why = StopReason.TARGET
            return True
        self.cut_first()
        self.finish_blocks(final=False)
        return False

    def cut_first(self) -> None:
        """Once generation 0 has had its share of the budget (`ga.first_share`), skip the rest of it: it is
        queued in id order, so the started ones are ids 0..k-1, and the children are numbered from k on.
        Checked before each start and after each completion; when nothing runs any more, block 0 is complete and
        is summarized and checkpointed at once, before the first child is bred (as every other block is), so
        that a resumed run breeds the same children."""
        e = self.engine
        if self.queue and self.start_gen == 0 and self._first_share_spent(self.ga.population - len(self.queue)):
            e.first_population = self.next_id = self.ga.population - len(self.queue)
            self.queue.clear()
            for i in [i for i in e.warm_layers if i >= e.first_population]:
                del e.warm_layers[i]  # skipped warm-start seeds: their ids now belong to children
            if not self.running:
                self.finish_blocks(final=False)

    def finish_blocks(self, final: bool) -> None:
        """Summarize (and checkpoint) every block that is now complete, in order; at the end of the run also the
        last, incomplete one(s)."""
        e = self.engine
        recorded = {r.id for r in e.records}
        last = max((r.generation for r in e.records), default=-1)
        while self.done_through < last:
            gen = self.done_through + 1
            if not final and not all(i in recorded for i in self.block_ids(gen)):
                return
            keep = {r.id for r in self.pool(gen)}
            if any(r.generation == gen for r in e.records):  # none for a block that was all stopped
                e.emit(GenerationFinished(e.summarize(gen, keep, upto=gen)))
            self.done_through = gen
            if not final and gen < self.block(self.planned() - 1):
                e.emit(CheckpointReady(checkpoint.steady_state(e, self, gen, self.rng)))

    # ----- blocks, the pool and what is held ----------------------------------------------------------------
    def block(self, ind_id: int) -> int:
        """An individual's "generation": 0 for the first population (ids below `first_population`), then blocks
        of population - survivors children by id (so without a `ga.first_share` cut generation g has the ids it
        would have had generationally)."""
        first = self.engine.first_population
        return 0 if ind_id < first else 1 + (ind_id - first) // (self.ga.population - self.ga.survivors)

    def block_ids(self, block: int) -> tuple[int, ...]:
        first_population, children = self.engine.first_population, self.ga.population - self.ga.survivors
        first = 0 if block == 0 else first_population + (block - 1) * children
        last = first_population if block == 0 else first + children
        return tuple(range(first, min(last, self.planned())))

    def planned(self) -> int:
        """Evaluations this run makes if it goes the distance: the planned ones, less any generation-0
        individuals that `ga.first_share` skipped."""
        return self.ga.planned_evaluations - (self.ga.population - self.engine.first_population)

    def _first_share_spent(self, started: int) -> bool:
        """With a time budget: is it time to end generation 0 after its first `started` individuals? Once
        `ga.first_share` of the budget has passed, with at least FIRST_MIN of them started."""
        ga = self.ga
        if ga.time_budget_s is None or ga.first_share >= 1.0 or started < min(FIRST_MIN, ga.population):
            return False
        return self.engine.elapsed() >= ga.first_share * ga.time_budget_s

    def pool(self, upto_block: int | None = None) -> list[EvaluationRecord]:
        """The best `survivors` records (of blocks <= `upto_block`, or all), ties to the older id: the parents to
        breed from (all), or the survivors a checkpoint after block `upto_block` holds."""
        e = self.engine
        recs = [r for r in e.records if upto_block is None or r.generation <= upto_block]
        keep = set(select([(r.id, r.metric) for r in recs], self.ga.survivors, e.direction))
        return sorted((r for r in recs if r.id in keep), key=lambda r: r.id)

    def forget(self) -> None:
        """Keep only the individuals (and weights) a parent or a checkpoint may still need: the best `survivors`
        of everything, and of blocks <= g for every block g not yet checkpointed, and the best so far of each."""
        e = self.engine
        last = max((r.generation for r in e.records), default=-1)
        need = {r.id for r in self.pool()}
        for gen in range(max(self.done_through, 0), last + 1):
            need |= {r.id for r in self.pool(gen)}
            best = e.best_upto(gen)
            if best is not None:
                need.add(best.id)
        for i in [i for i in self.known if i not in need]:
            del self.known[i]
        e.weights = {i: w for i, w in e.weights.items() if i in need}
