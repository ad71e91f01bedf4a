"""The Engine: runs one GA search synchronously and reports everything through events. It holds the run's
records, the weights parents and checkpoints need, and the best so far; the schedules (`schedules/`) decide
what runs when, `breeding` makes children and tasks, `checkpoint` snapshots and restores."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gaterm.chromosome import Chromosome, random_chromosome, spread_population
from gaterm.config import RunConfig
from gaterm.datasets import Dataset
from gaterm.engine import checkpoint
from gaterm.engine.backends import EvalOutcome, EvalTask, EvaluationBackend, SerialBackend, effective_threads
from gaterm.engine.breeding import Breeder, Individual
from gaterm.engine.fitness import DeviceData, FitnessResult, warm_up
from gaterm.engine.operators import select
from gaterm.engine.pruners import LossCurve, make_pruner
from gaterm.engine.schedules.generational import GenerationalSchedule
from gaterm.engine.schedules.steady_state import SteadyStateSchedule
from gaterm.errors import GatermError
from gaterm.events import (
    EngineState,
    EpochFinished,
    EvaluationFinished,
    EvaluationRecord,
    Event,
    GenerationSummary,
    RunFinished,
    RunStarted,
)
from gaterm.merge import LayerWeights, MergeStrategy
from gaterm.states import Direction, StopReason
from gaterm.stats import fitness_time_stats

Listener = Callable[[Event], None]


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
        self.backend: EvaluationBackend = backend or SerialBackend()
        self.breeder = Breeder(self)
        self.pruner = make_pruner(self.config.training)
        self.weights: dict[int, list[LayerWeights]] = {}  # trained layers of the individuals still needed
        self.records: list[EvaluationRecord] = []
        self.best_record: EvaluationRecord | None = None
        self.best_layers: list[LayerWeights] | None = None
        # (loss, validation curve) of the completed evaluations of finished generations (pruning compares like
        # with like: a task only sees the curves of its own loss)
        self.curves: list[LossCurve] = []
        self.pruned_curves: list[LossCurve] = []  # the same of pruned evaluations (successive halving uses them)
        self.curve_of: dict[int, tuple[float, ...]] = {}
        self.warm_layers: dict[int, list[LayerWeights]] = {}  # generation-0 ids that start from trained weights
        self.first_population = config.ga.population  # async: the size of generation 0 (first_share may cut it)
        self._seeds = list(seed_population)[: config.ga.population]
        self._resume = resume
        self._run_started = False
        self._elapsed_before = resume.elapsed_s if resume is not None else 0.0
        self._t0 = time.perf_counter()

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def emit_epoch(self, task: EvalTask, epoch: int, val_loss: float) -> None:
        self.emit(EpochFinished(task.generation, task.id, epoch, self.config.training.max_epochs, val_loss))

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
            total_duration_s=self.elapsed(),
            records=tuple(self.records),
            best=self.best_record,
            best_layers=self.best_layers,
            survivor_layers=self._top_layers(),
        )

    def _top_layers(self) -> dict[int, list[LayerWeights]]:
        """The trained layers of the best `ga.survivors` individuals whose weights the engine still holds (the
        final population's), by the selection metric."""
        by_id = {r.id: r for r in self.records}
        held = [by_id[i] for i in self.weights if i in by_id and by_id[i].status.trained]
        held.sort(key=lambda r: r.id)
        keep = select([(r.id, r.metric) for r in held], self.config.ga.survivors, self.direction) if held else []
        return {i: self.weights[i] for i in sorted(keep)}

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
            population, next_id, start_gen = checkpoint.restore(self, self._resume, rng)
        else:
            population, next_id, start_gen = self._first_population(rng), ga.population, 0
        schedule = SteadyStateSchedule if ga.schedule == "async" else GenerationalSchedule
        return schedule(self, data, rng).run(population, next_id, start_gen)

    def _first_population(self, rng: np.random.Generator) -> list[Individual]:
        """Generation 0: the warm-start seeds first, then random (or spread) chromosomes."""
        population: list[Individual] = []
        for chromosome, layers in self._seeds:
            if layers is not None:
                self.warm_layers[len(population)] = layers
            population.append(Individual(len(population), chromosome))
        fill = self.config.ga.population - len(self._seeds)
        if self.config.ga.init == "spread":
            first = spread_population(rng, self.store, fill) if fill > 0 else []
        else:
            first = [random_chromosome(rng, self.store) for _ in range(fill)]
        population += [Individual(len(self._seeds) + k, c) for k, c in enumerate(first)]
        return population

    def elapsed(self) -> float:
        """Seconds this run has taken, resumed runs' earlier time included."""
        return self._elapsed_before + time.perf_counter() - self._t0

    def why_not_start(self) -> StopReason | None:
        """Why no further evaluation may start (a stop was asked for, the time budget is spent), or None."""
        if self.should_stop():
            return StopReason.CANCELLED
        if self.config.ga.time_budget_s is not None and self.elapsed() >= self.config.ga.time_budget_s:
            return StopReason.TIME_BUDGET
        return None

    # ----- records and the best so far --------------------------------------------------------------------
    def record(self, gen: int, ind: Individual, out: EvalOutcome, merged: bool, merge_time: float,
               merge_notes: dict | None = None) -> None:
        res, control = out.result, out.control
        rec = EvaluationRecord(
            generation=gen,
            id=ind.id,
            parent_a=ind.parents[0] if ind.parents else None,
            parent_b=ind.parents[1] if ind.parents else None,
            merged=merged,
            metric=self.selected(res),
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
            control_metric=self.selected(control) if control else None,
            control_test_metric=control.test_metric if control else None,
            control_val_loss=control.val_loss if control else None,
            control_n_epochs=control.n_epochs if control else None,
            control_time=control.fitness_time if control else None,
            control_status=control.status if control else None,
            error=res.error,
            merge_notes=merge_notes,  # None unless a merge was made or declined (see Breeder.merge)
        )
        ind.record = rec
        if res.status.trained:
            self.weights[ind.id] = res.layers
        self.curve_of[ind.id] = res.val_curve
        self.records.append(rec)
        if self.best_record is None or self.direction.better(rec.metric, self.best_record.metric):
            self.best_record, self.best_layers = rec, res.layers
        self.emit(EvaluationFinished(rec))

    def selected(self, res: FitnessResult) -> float:
        """The metric every decision uses: validation (default) or test (`ga.selection = "test"`)."""
        return res.test_metric if self.config.ga.selection == "test" else res.val_metric

    def best_upto(self, gen: int) -> EvaluationRecord | None:
        """The best so far after generation (block) `gen`: the first strictly best record of generations <= `gen`,
        in record order (what `gaterm.rundir.heal.generation_rows` derives)."""
        best: EvaluationRecord | None = None
        for r in self.records:
            if r.generation <= gen and (best is None or self.direction.better(r.metric, best.metric)):
                best = r
        return best

    def summarize(self, gen: int, keep: set[int], upto: int | None = None) -> GenerationSummary:
        """Generation `gen`'s summary; `upto`: the best so far among the records of generations <= `upto` only
        (async mode, where later children may already be recorded)."""
        recs = [r for r in self.records if r.generation == gen]
        metrics = [r.metric for r in recs if math.isfinite(r.metric)]
        best = self.best_record if upto is None else self.best_upto(upto)
        return GenerationSummary(
            generation=gen,
            evaluations=len(recs),
            best_metric=self.direction.best_value(metrics),
            mean_metric=float(np.mean(metrics)) if metrics else math.nan,
            mean_fitness_time=fitness_time_stats(recs)["mean"],
            best_so_far_id=best.id if best else -1,
            best_so_far_metric=best.metric if best else math.nan,
            survivors=tuple(sorted(keep)),
        )
