"""The evolve loop: a synchronous engine that runs the GA and reports everything through events."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gaterm.chromosome import Chromosome, random_chromosome, spread_population
from gaterm.config import RunConfig
from gaterm.datasets import Dataset
from gaterm.engine.backends import (
    EvalOutcome,
    EvalTask,
    EvaluationBackend,
    SerialBackend,
    effective_threads,
)
from gaterm.engine.fitness import (
    Cancelled,
    DeviceData,
    FitnessResult,
    evaluation_seed,
    get_layers,
    init_model,
    make_probe,
    warm_up,
)
from gaterm.engine.operators import crossover, mutate, select
from gaterm.engine.pruning import medians_for
from gaterm.errors import GatermError
from gaterm.events import (
    CheckpointReady,
    EngineState,
    EpochFinished,
    EvaluationFinished,
    EvaluationRecord,
    EvaluationStarted,
    Event,
    GenerationFinished,
    GenerationStarted,
    GenerationSummary,
    RunFinished,
    RunStarted,
)
from gaterm.merge import LayerWeights, MergeStrategy, Parent, plain_notes, run_merge, uses_data
from gaterm.states import Direction, Status, StopReason
from gaterm.stats import fitness_time_stats

FIRST_MIN = 4  # ga.first_share never cuts generation 0 below this many started individuals

Listener = Callable[[Event], None]


def _parents(r: EvaluationRecord) -> tuple[int, int] | None:
    return (r.parent_a, r.parent_b) if r.parent_a is not None and r.parent_b is not None else None


@dataclass
class Individual:
    id: int
    chromosome: Chromosome
    parents: tuple[int, int] | None = None
    record: EvaluationRecord | None = None


class Engine:
    """Runs one GA search. It never prints and never touches a UI: every step is an event to `listeners`.

    `should_stop` is polled between evaluations and between epochs; when it returns True the evaluation in
    progress is discarded and the run finishes with stop reason CANCELLED.

    `seed_population` (a warm start) fills generation 0 first: (chromosome, trained layers or None) pairs; an
    individual with layers trains on from them (they count as its epoch 0), the rest of the population is random.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset,
        merge_strategy: MergeStrategy | None,
        listeners: Sequence[Listener] = (),
        should_stop: Callable[[], bool] | None = None,
        backend: EvaluationBackend | None = None,
        resume: EngineState | None = None,
        seed_population: Sequence[tuple[Chromosome, list[LayerWeights] | None]] = (),
    ) -> None:
        self.dataset = dataset
        self.store = config.genes.resolve_for_task(dataset.task)
        # the effective config lists the losses actually used (a copy: the caller's config is not changed)
        self.config = dataclasses.replace(config, genes=self.store)
        self.merge_strategy = merge_strategy if config.ga.merge else None
        if config.ga.merge and merge_strategy is None:
            raise ValueError("merge is on but no merge strategy was given")
        self.listeners = list(listeners)
        self.should_stop = should_stop or (lambda: False)
        self.direction = Direction.of(dataset.higher_is_better)
        self._weights: dict[int, list[LayerWeights]] = {}
        self._records: list[EvaluationRecord] = []
        self._best_record: EvaluationRecord | None = None
        self._best_layers: list[LayerWeights] | None = None
        self._t0 = time.perf_counter()
        self.backend: EvaluationBackend = backend or SerialBackend()
        self._resume = resume
        self._run_started = False
        self._elapsed_before = resume.elapsed_s if resume is not None else 0.0
        # (loss, validation curve) of the completed evaluations of finished generations (pruning compares like
        # with like: a task only sees the curves of its own loss)
        self._curves: list[tuple[str, tuple[float, ...]]] = []
        self._curve_of: dict[int, tuple[float, ...]] = {}
        self._block_curves: list[tuple[int, str, tuple[float, ...]]] = []  # async: (block, loss, curve)
        self._seeds = list(seed_population)[: config.ga.population]
        self._warm_layers: dict[int, list[LayerWeights]] = {}  # generation-0 ids that start from trained weights
        self._first = config.ga.population  # async: the size of generation 0 (ga.first_share may cut it)

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    # ------------------------------------------------------------------
    def run(self) -> RunFinished:
        """Run the search to its end; a user-facing error mid-run still finishes the run (reason ERROR)."""
        self._t0 = time.perf_counter()
        try:
            stop_reason = self._loop()
        except GatermError as exc:
            if self._run_started:  # consumers only ever see RunFinished after RunStarted
                self.emit(self._finished(StopReason.ERROR, str(exc)))
            raise
        except BaseException as exc:  # a bug or an interrupt: still leave a complete summary, then re-raise
            if self._run_started:
                self.emit(self._finished(StopReason.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            self.backend.close()
        finished = self._finished(stop_reason)
        self.emit(finished)
        return finished

    def _finished(self, stop_reason: StopReason, error: str | None = None) -> RunFinished:
        return RunFinished(
            stop_reason=stop_reason,
            error=error,
            total_duration_s=self._elapsed_before + time.perf_counter() - self._t0,
            records=tuple(self._records),
            best=self._best_record,
            best_layers=self._best_layers,
            survivor_layers=self._top_layers(),
        )

    def _top_layers(self) -> dict[int, list[LayerWeights]]:
        """The trained layers of the best `ga.survivors` individuals whose weights the engine still holds (the
        final population's), by the selection metric."""
        by_id = {r.id: r for r in self._records}
        held = [by_id[i] for i in self._weights if i in by_id and by_id[i].status.trained]
        held.sort(key=lambda r: r.id)
        keep = select([(r.id, r.metric) for r in held], self.config.ga.survivors, self.direction) if held else []
        return {i: self._weights[i] for i in sorted(keep)}

    def _loop(self) -> StopReason:
        cfg, ga = self.config, self.config.ga
        torch.set_num_threads(effective_threads(cfg.training.threads))
        data = DeviceData(self.dataset, cfg.training.device)
        warm_up(data, self.store.optimizer, self.store.loss)  # before the backend forks its workers, if it does
        self.backend.start(cfg, data)
        rng = np.random.default_rng(cfg.seed)
        self._run_started = True
        self.emit(RunStarted(
            cfg, self.dataset.task, self.dataset.metric_name, self.direction.higher_is_better,
            self.dataset.sizes(), ga.planned_evaluations,
            resumed_from=self._resume.next_generation if self._resume else None,
            duplicate_rows=self.dataset.duplicate_rows, preprocessing=self.dataset.describe(),
        ))
        if self._resume is not None:
            population, next_id, start_gen = self._restore(self._resume, rng)
        else:
            start_gen, next_id, population = 0, 0, []
            for chromosome, layers in self._seeds:
                population.append(Individual(next_id, chromosome))
                if layers is not None:
                    self._warm_layers[next_id] = layers
                next_id += 1
            fill = ga.population - len(self._seeds)
            if ga.init == "spread":
                first = spread_population(rng, self.store, fill) if fill > 0 else []
            else:
                first = [random_chromosome(rng, self.store) for _ in range(fill)]
            for chromosome in first:
                population.append(Individual(next_id, chromosome))
                next_id += 1

        if ga.schedule == "async":
            return self._loop_async(population, next_id, start_gen, data, rng)
        stop_reason = StopReason.GENERATIONS
        for gen in range(start_gen, ga.generations):
            pending = [ind for ind in population if ind.record is None]
            self.emit(GenerationStarted(gen, tuple(ind.id for ind in pending)))
            stop_reason = self._run_generation(gen, pending, population, data)
            scored = [(ind.id, ind.record.metric) for ind in population if ind.record is not None]
            keep = set(select(scored, ga.survivors, self.direction))
            if scored:
                self.emit(GenerationFinished(self._summarize(gen, keep)))
            if stop_reason is not StopReason.GENERATIONS or gen == ga.generations - 1:
                break
            self._curves += self._completed_curves(pending)
            population = [ind for ind in population if ind.id in keep]
            population.sort(key=lambda ind: ind.id)
            self._weights = {i: w for i, w in self._weights.items() if i in keep}
            survivors = list(population)
            for _ in range(ga.population - ga.survivors):  # survivors >= 2 (validated): two distinct parents
                ia, ib = rng.choice(len(survivors), size=2, replace=False)
                pa, pb = survivors[int(ia)], survivors[int(ib)]
                child = mutate(rng, crossover(rng, pa.chromosome, pb.chromosome), self.store, ga.mutation_prob)
                population.append(Individual(next_id, child, (pa.id, pb.id)))
                next_id += 1
            self.emit(CheckpointReady(self._snapshot(gen + 1, next_id, population, rng)))

        return stop_reason

    def _why_not_start(self) -> StopReason | None:
        """Why no further evaluation may start (a stop was asked for, the time budget is spent), or None."""
        if self.should_stop():
            return StopReason.CANCELLED
        elapsed = self._elapsed_before + time.perf_counter() - self._t0
        if self.config.ga.time_budget_s is not None and elapsed >= self.config.ga.time_budget_s:
            return StopReason.TIME_BUDGET
        return None

    # ----- the steady-state schedule ---------------------------------------------------------------------
    def _block(self, ind_id: int) -> int:
        """An individual's "generation" in async mode: 0 for the first population (ids below `_first`), then
        blocks of population - survivors children by id (so without a `ga.first_share` cut generation g has the
        ids it would have had generationally)."""
        ga = self.config.ga
        return 0 if ind_id < self._first else 1 + (ind_id - self._first) // (ga.population - ga.survivors)

    def _block_ids(self, block: int) -> tuple[int, ...]:
        ga = self.config.ga
        first = 0 if block == 0 else self._first + (block - 1) * (ga.population - ga.survivors)
        last = self._first if block == 0 else first + ga.population - ga.survivors
        return tuple(range(first, min(last, self._planned())))

    def _planned(self) -> int:
        """Evaluations this run makes if it goes the distance: the planned ones, less any generation-0
        individuals that `ga.first_share` skipped (async)."""
        return self.config.ga.planned_evaluations - (self.config.ga.population - self._first)

    def _cut_first(self, started: int) -> bool:
        """Async with a time budget: is it time to end generation 0 after its first `started` individuals?
        Once `ga.first_share` of the budget has passed, with at least FIRST_MIN of them started."""
        ga = self.config.ga
        if ga.time_budget_s is None or ga.first_share >= 1.0 or started < min(FIRST_MIN, ga.population):
            return False
        return self._elapsed_before + time.perf_counter() - self._t0 >= ga.first_share * ga.time_budget_s

    def _pool(self, upto_block: int | None = None) -> list[EvaluationRecord]:
        """The best `survivors` records (of blocks <= `upto_block`, or all), ties to the older id: the parents to
        breed from (all), or the survivors a checkpoint after block `upto_block` holds."""
        recs = [r for r in self._records if upto_block is None or r.generation <= upto_block]
        keep = set(select([(r.id, r.metric) for r in recs], self.config.ga.survivors, self.direction))
        return sorted((r for r in recs if r.id in keep), key=lambda r: r.id)

    def _loop_async(
        self, population: list[Individual], next_id: int, start_gen: int, data: DeviceData, rng
    ) -> StopReason:
        """Steady state: whenever a worker is free, start the next unevaluated individual of the first
        population, else breed a child from two distinct individuals among the best `survivors` evaluated so far
        (merging its parents' weights), until `_planned()` have been started. Pruning compares with every
        completed evaluation so far. The block of ids that makes up a generation is summarized (and checkpointed)
        once all of it and every earlier block is recorded. With one worker the order of events, and so the run,
        is fixed by the seed; with more, which child is bred from whom depends on which evaluation finished
        first."""
        cfg, ga = self.config, self.config.ga
        queue = [ind for ind in population if ind.record is None]
        known = {ind.id: ind for ind in population if ind.record is not None}  # evaluated individuals still held
        running: dict[int, tuple[Individual, bool, float, dict[str, Any] | None]] = {}  # + merged, merge time, notes
        started: set[int] = set(range(start_gen))
        done_through = start_gen - 1  # every block <= this one is recorded and summarized
        reason = {"why": StopReason.GENERATIONS}
        # (block, loss, curve) of every completed evaluation, in completion order: pruning compares with all of
        # them, a checkpoint after block g keeps those of blocks <= g (restored curves are all from before)
        self._block_curves = [(start_gen - 1, loss, c) for loss, c in self._curves]

        def cut_first() -> None:
            """Once generation 0 has had its share of the budget (`ga.first_share`), skip the rest of it: it is
            queued in id order, so the started ones are ids 0..k-1, and the children are numbered from k on.
            Checked before each start and after each completion; when nothing runs any more, block 0 is
            complete and is summarized and checkpointed at once, before the first child is bred (as every other
            block is), so that a resumed run breeds the same children."""
            nonlocal next_id
            if queue and start_gen == 0 and self._cut_first(ga.population - len(queue)):
                self._first = next_id = ga.population - len(queue)
                queue.clear()
                for i in [i for i in self._warm_layers if i >= self._first]:
                    del self._warm_layers[i]  # skipped warm-start seeds: their ids now belong to children
                if not running:
                    finish_blocks(final=False)

        def next_task() -> EvalTask | None:
            nonlocal next_id
            if not queue and next_id >= self._planned():
                return None  # everything started: the run ends when the running ones finish
            if (why := self._why_not_start()) is not None:
                reason["why"] = why
                return None
            cut_first()
            if queue:
                ind = queue.pop(0)
            elif next_id < self._planned():
                parents = [known[r.id] for r in self._pool()]
                if len(parents) < 2:
                    return None  # wait for another evaluation of the first population to finish
                ia, ib = rng.choice(len(parents), size=2, replace=False)
                pa, pb = parents[int(ia)], parents[int(ib)]
                child = mutate(rng, crossover(rng, pa.chromosome, pb.chromosome), self.store, ga.mutation_prob)
                ind = Individual(next_id, child, (pa.id, pb.id))
                next_id += 1
            else:
                return None
            gen = self._block(ind.id)
            if gen not in started:
                started.add(gen)
                self.emit(GenerationStarted(gen, self._block_ids(gen)))
            seed = evaluation_seed(cfg.seed, ind.id)
            init_layers = self._warm_layers.get(ind.id) if ind.parents is None else None  # warm-start seeds only
            notes, merge_time = None, 0.0
            if self.merge_strategy is not None and ind.parents is not None:
                t = time.perf_counter()
                init_layers, notes = self._merge(ind, data, seed, list(known.values()))
                merge_time = time.perf_counter() - t
            merged = init_layers is not None and ind.parents is not None
            medians = (medians_for(ind.chromosome.loss, [(loss, c) for _, loss, c in self._block_curves],
                                   cfg.training.prune_startup) if cfg.training.prune else None)
            running[ind.id] = (ind, merged, merge_time, notes)
            self.emit(EvaluationStarted(gen, ind.id, ind.chromosome, ind.parents))
            return EvalTask(ind.id, gen, ind.chromosome, seed, init_layers,
                            control=merged and ga.paired_control, prune_medians=medians,
                            prune_warmup=cfg.training.prune_warmup,
                            keep_initial=init_layers is not None and ind.parents is None,
                            patience=self._patience(merged))

        def on_epoch(task: EvalTask, epoch: int, val_loss: float) -> None:
            self.emit(EpochFinished(task.generation, task.id, epoch, cfg.training.max_epochs, val_loss))

        def finish_blocks(final: bool) -> None:
            """Summarize (and checkpoint) every block that is now complete, in order; at the end of the run also
            the last, incomplete one(s)."""
            nonlocal done_through
            recorded = {r.id for r in self._records}
            last = max((r.generation for r in self._records), default=-1)
            while done_through < last:
                gen = done_through + 1
                if not final and not all(i in recorded for i in self._block_ids(gen)):
                    return
                keep = {r.id for r in self._pool(gen)}
                if any(r.generation == gen for r in self._records):  # none for a block that was all stopped
                    self.emit(GenerationFinished(self._summarize(gen, keep, upto=gen)))
                done_through = gen
                if not final and gen < self._block(self._planned() - 1):
                    self.emit(CheckpointReady(self._async_snapshot(gen, rng)))

        outcomes = self.backend.run_async(next_task, on_epoch, self.should_stop)
        try:
            while True:
                try:
                    out = next(outcomes)
                except StopIteration:
                    break
                except Cancelled:
                    reason["why"] = StopReason.CANCELLED
                    break
                ind, merged, merge_time, notes = running.pop(out.task.id)
                self._record(out.task.generation, ind, out, merged, merge_time, notes)
                if ind.record is not None and ind.record.status is Status.OK:
                    self._block_curves.append((ind.record.generation, ind.chromosome.loss, self._curve_of[ind.id]))
                known[ind.id] = ind
                self._forget_async(known, done_through)
                if self.direction.reached(self._selected(out.result), ga.target):
                    reason["why"] = StopReason.TARGET
                    break
                cut_first()
                finish_blocks(final=False)
        finally:
            outcomes.close()
        finish_blocks(final=True)
        return reason["why"]

    def _best_upto(self, gen: int) -> EvaluationRecord | None:
        """The best so far after block `gen`: the first strictly best record of blocks <= `gen`, in record order
        (what `gaterm.rundir.heal.generation_rows` derives; the engine's own best when nothing later is in)."""
        best: EvaluationRecord | None = None
        for r in self._records:
            if r.generation <= gen and (best is None or self.direction.better(r.metric, best.metric)):
                best = r
        return best

    def _forget_async(self, known: dict[int, Individual], done_through: int) -> None:
        """Keep only the individuals (and weights) a parent or a checkpoint may still need: the best `survivors`
        of everything, and of blocks <= g for every block g not yet checkpointed, and the best so far of each."""
        last = max((r.generation for r in self._records), default=-1)
        need = {r.id for r in self._pool()}
        for gen in range(max(done_through, 0), last + 1):
            need |= {r.id for r in self._pool(gen)}
            best = self._best_upto(gen)
            if best is not None:
                need.add(best.id)
        for i in [i for i in known if i not in need]:
            del known[i]
        self._weights = {i: w for i, w in self._weights.items() if i in need}

    def _async_snapshot(self, gen: int, rng) -> EngineState:
        """The state after block `gen`: its survivors, the records and curves of blocks <= `gen`, and the ids
        from the next block on still to be bred (children of later blocks already running or finished are bred
        again on resume; with one worker there are none)."""
        records = [r for r in self._records if r.generation <= gen]
        pool = self._pool(gen)
        best = self._best_upto(gen)
        if best is not None and self._best_record is not None and best.id == self._best_record.id:
            best_layers = self._best_layers
        else:
            best_layers = self._weights.get(best.id) if best is not None else None
        return EngineState(
            next_generation=gen + 1,
            next_id=self._block_ids(gen + 1)[0],
            population=[(r.id, r.chromosome, _parents(r), r) for r in pool],
            weights={r.id: self._weights[r.id] for r in pool if r.id in self._weights},
            rng_state=rng.bit_generator.state,
            curves=[(loss, c) for g, loss, c in self._block_curves if g <= gen],
            records=records,
            best_id=best.id if best is not None else None,
            best_layers=best_layers,
            elapsed_s=self._elapsed_before + time.perf_counter() - self._t0,
            first_population=self._first,
        )

    # ------------------------------------------------------------------
    def _snapshot(self, next_gen: int, next_id: int, population: list[Individual], rng) -> EngineState:
        """Everything needed to continue from the start of generation `next_gen`."""
        return EngineState(
            next_generation=next_gen,
            next_id=next_id,
            population=[(ind.id, ind.chromosome, ind.parents, ind.record) for ind in population],
            weights=dict(self._weights),
            rng_state=rng.bit_generator.state,
            curves=list(self._curves),
            records=list(self._records),
            best_id=self._best_record.id if self._best_record else None,
            best_layers=self._best_layers,
            elapsed_s=self._elapsed_before + time.perf_counter() - self._t0,
        )

    def _restore(self, st: EngineState, rng) -> tuple[list[Individual], int, int]:
        rng.bit_generator.state = st.rng_state
        population = [Individual(i, c, p, r) for i, c, p, r in st.population]
        self._weights = dict(st.weights)
        # a checkpoint from before curves carried their loss: usable only when the run has a single loss
        only = self.store.loss[0] if len(self.store.loss) == 1 else None
        self._curves = [(loss or only, tuple(c)) for loss, c in st.curves if loss or only]
        self._records = list(st.records)
        by_id = {r.id: r for r in self._records}
        self._best_record = by_id.get(st.best_id) if st.best_id is not None else None
        self._best_layers = st.best_layers
        if st.first_population is not None:
            self._first = st.first_population
        return population, st.next_id, st.next_generation

    def _run_generation(
        self, gen: int, pending: list[Individual], population: list[Individual], data: DeviceData
    ) -> StopReason:
        """Merge each child's initial weights here, evaluate through the backend, record in id order."""
        cfg, ga = self.config, self.config.ga
        prune = cfg.training.prune
        lag = cfg.training.prune_lag
        tasks, merge_times, merge_notes = [], {}, {}
        for position, ind in enumerate(pending):
            seed = evaluation_seed(cfg.seed, ind.id)
            init_layers = self._warm_layers.get(ind.id) if gen == 0 else None
            if self.merge_strategy is not None and ind.parents is not None:
                t = time.perf_counter()
                init_layers, merge_notes[ind.id] = self._merge(ind, data, seed, population)
                merge_times[ind.id] = time.perf_counter() - t
            merged = init_layers is not None and ind.parents is not None
            tasks.append(EvalTask(ind.id, gen, ind.chromosome, seed, init_layers,
                                  control=merged and ga.paired_control,
                                  prune_warmup=cfg.training.prune_warmup,
                                  keep_initial=init_layers is not None and ind.parents is None,
                                  patience=self._patience(merged),
                                  after=max(0, position - lag) if prune else 0))
        by_id = {ind.id: ind for ind in pending}
        reason = {"why": StopReason.GENERATIONS}

        def may_start(task: EvalTask) -> EvalTask | None:
            if (why := self._why_not_start()) is not None:
                reason["why"] = why
                return None
            ind = by_id[task.id]
            self.emit(EvaluationStarted(gen, ind.id, ind.chromosome, ind.parents))
            if prune:  # the outcomes of the first `task.after` tasks are recorded by now (the backend waits)
                assert all(p.record is not None for p in pending[: task.after]), "backend ignored task.after"
                earlier = self._curves + self._completed_curves(pending[: task.after])
                task = dataclasses.replace(task, prune_medians=medians_for(
                    ind.chromosome.loss, earlier, cfg.training.prune_startup))
            return task

        def on_epoch(task: EvalTask, epoch: int, val_loss: float) -> None:
            self.emit(EpochFinished(gen, task.id, epoch, cfg.training.max_epochs, val_loss))

        outcomes = self.backend.run(tasks, may_start, on_epoch, self.should_stop)
        try:
            for task in tasks:
                ind = by_id[task.id]
                try:
                    out = next(outcomes)
                except StopIteration:
                    return reason["why"]
                except Cancelled:
                    return StopReason.CANCELLED
                self._record(gen, ind, out, task.init_layers is not None and ind.parents is not None,
                             merge_times.get(ind.id, 0.0),
                             merge_notes.get(ind.id))
                if self.direction.reached(self._selected(out.result), ga.target):
                    return StopReason.TARGET
        finally:
            outcomes.close()
        return StopReason.GENERATIONS

    def _patience(self, merged: bool) -> int | None:
        """Early stopping's patience for an evaluation: `training.merged_patience` for a merged child if set, else
        None (the run's `training.patience`)."""
        return (self.config.training.merged_patience or None) if merged else None

    def _completed_curves(self, individuals: Sequence[Individual]) -> list[tuple[str, tuple[float, ...]]]:
        """(loss, validation curve) of those of `individuals` whose evaluation completed (status ok), in order."""
        return [(ind.chromosome.loss, self._curve_of[ind.id]) for ind in individuals
                if ind.id in self._curve_of and ind.record is not None and ind.record.status is Status.OK]

    def _record(
        self, gen: int, ind: Individual, out: EvalOutcome, merged: bool, merge_time: float,
        merge_notes: dict[str, Any] | None = None,
    ) -> None:
        res, control = out.result, out.control
        rec = EvaluationRecord(
            generation=gen,
            id=ind.id,
            parent_a=ind.parents[0] if ind.parents else None,
            parent_b=ind.parents[1] if ind.parents else None,
            merged=merged,
            metric=self._selected(res),
            val_metric=res.val_metric,
            test_metric=res.test_metric,
            val_loss=res.val_loss,
            n_epochs=res.n_epochs,
            best_epoch=res.best_epoch,
            training_time=res.fitness_time + merge_time,  # what the child cost, its merge included
            merge_time=merge_time,
            status=res.status,
            seed=out.task.seed,
            chromosome=ind.chromosome,
            control_metric=self._selected(control) if control else None,
            control_test_metric=control.test_metric if control else None,
            control_val_loss=control.val_loss if control else None,
            control_n_epochs=control.n_epochs if control else None,
            control_time=control.fitness_time if control else None,
            control_status=control.status if control else None,
            error=res.error,
            merge_notes=merge_notes if merged else None,
        )
        ind.record = rec
        if res.status.trained:
            self._weights[ind.id] = res.layers
        self._curve_of[ind.id] = res.val_curve
        self._records.append(rec)
        self._update_best(rec, res.layers)
        self.emit(EvaluationFinished(rec))

    def _selected(self, res: FitnessResult) -> float:
        """The metric every decision uses: validation (default) or test (`ga.selection = "test"`)."""
        return res.test_metric if self.config.ga.selection == "test" else res.val_metric

    def _merge(
        self, ind: Individual, data: DeviceData, seed: int, population: list[Individual]
    ) -> tuple[list[LayerWeights] | None, dict[str, Any] | None]:
        """The child's initial weights from its parents (None when a parent has no usable weights), and the
        notes to record about the merge: the strategy's name and whatever it left in its probe's `notes`."""
        by_id = {p.id: p for p in population}
        parents = []
        for pid in ind.parents or ():
            p, layers = by_id.get(pid), self._weights.get(pid)
            if p is None or p.record is None or layers is None or not p.record.status.trained:
                return None, None  # e.g. a diverged parent: its weights are not finite, the child starts fresh
            parents.append(Parent(p.chromosome, layers, p.record.metric, self.direction.higher_is_better))
        child_init = get_layers(init_model(ind.chromosome, data, seed))
        assert self.merge_strategy is not None
        probe = make_probe(ind.chromosome, data) if uses_data(self.merge_strategy) else None
        layers = run_merge(self.merge_strategy, ind.chromosome, child_init, parents[0], parents[1], probe)
        notes = plain_notes(probe.notes) if probe is not None else {}
        return layers, {"strategy": self.merge_strategy.name, **notes}

    def _update_best(self, rec: EvaluationRecord, layers: list[LayerWeights]) -> None:
        best = self._best_record
        if best is None or self.direction.better(rec.metric, best.metric):
            self._best_record, self._best_layers = rec, layers

    def _summarize(self, gen: int, keep: set[int], upto: int | None = None) -> GenerationSummary:
        """Generation `gen`'s summary; `upto`: the best so far among the records of generations <= `upto` only
        (async mode, where later children may already be recorded)."""
        recs = [r for r in self._records if r.generation == gen]
        metrics = [r.metric for r in recs if math.isfinite(r.metric)]
        best = self._best_record
        if upto is not None:
            best = self._best_upto(upto)
        return GenerationSummary(
            generation=gen,
            evaluations=len(recs),
            best_metric=self.direction.best(metrics, float) if metrics else math.nan,
            mean_metric=float(np.mean(metrics)) if metrics else math.nan,
            mean_fitness_time=fitness_time_stats(recs)["mean"],
            best_so_far_id=best.id if best else -1,
            best_so_far_metric=best.metric if best else math.nan,
            survivors=tuple(sorted(keep)),
        )
