"""Median pruning in the engine: like compared with like (per loss), active from the first completed
evaluations (generation 0 included), and the same decisions whatever the backend or worker count."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import tiny_config
from gaterm.engine import backends
from gaterm.engine.backends import EvalOutcome, EvalTask, ProcessPoolBackend, _in_order
from gaterm.engine.engine import Engine
from gaterm.engine.fitness import FitnessResult
from gaterm.engine.pruners.median import median_curve, medians_for
from gaterm.states import Status


def medians_of(task):
    """The median curve a task was given to be judged against (None: not pruned)."""
    return task.pruning.medians if task.pruning is not None else None


def scripted(curve_of, status_of=lambda task: Status.OK):
    """A stand-in for `run_task` that trains nothing: each task "finishes" with the curve `curve_of(task)` and
    records the task it was given (with the medians the engine filled in)."""
    seen: list[EvalTask] = []

    def run_task(task, data, training, on_epoch=None, should_stop=None):
        seen.append(task)
        curve = tuple(curve_of(task))
        res = FitnessResult(val_metric=0.5, test_metric=0.5, val_loss=min(curve), n_epochs=len(curve),
                            best_epoch=1, fitness_time=0.0, status=status_of(task), layers=[], val_curve=curve)
        return EvalOutcome(task, res, None)

    return run_task, seen


@pytest.fixture(scope="module")
def regression():
    from gaterm.datasets import DatasetSpec, RawData, prepare

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = 10.0 + 5.0 * x[:, 0]
    return prepare(DatasetSpec("lin", "regression", "", lambda ctx: RawData(x, y)), RawData(x, y), 0, 0.2, 0.2)


def test_an_mse_curve_is_only_judged_against_mse_curves(regression, monkeypatch):
    # MSE on standardized targets runs ~10x below MAE here: pooled medians would prune every MAE evaluation
    # (and no MSE one) for its loss, not its quality. Fails on the code before issue 13 (pooled medians).
    level = {"mae": 1.0, "mse": 0.1}
    fake, seen = scripted(lambda t: [level[t.chromosome.loss]] * 6)
    monkeypatch.setattr(backends, "run_task", fake)
    cfg = tiny_config(population=8, survivors=4, generations=3, merge=False)
    cfg.genes.loss = ["mae", "mse"]
    cfg.training.prune, cfg.training.prune_warmup, cfg.training.prune_startup = True, 0, 1
    Engine(cfg, regression, None).run()
    gen0 = {t.chromosome.loss for t in seen if t.generation == 0}
    assert gen0 == {"mae", "mse"}  # both losses completed curves before the later tasks started
    judged = [t for t in seen if medians_of(t) is not None]
    assert {t.chromosome.loss for t in judged} == {"mae", "mse"}
    for t in judged:
        assert medians_of(t) == [level[t.chromosome.loss]] * 6, (t.chromosome.loss, medians_of(t))


def test_a_loss_with_no_completed_curve_yet_is_not_pruned():
    curves = [("mae", (1.0, 0.5)), ("mae", (2.0, 1.0))]
    assert medians_for("mse", curves, startup=1) is None
    assert medians_for("mae", curves, startup=3) is None  # fewer than prune_startup curves of its loss
    assert medians_for("mae", curves, startup=2) == median_curve([(1.0, 0.5), (2.0, 1.0)]) == [1.5, 0.75]


def test_generation_0_is_pruned_against_completed_evaluations_lag_positions_earlier(digits, monkeypatch):
    # evaluation k's curve is flat at k + 1; evaluation 1 is pruned (its curve never counts)
    fake, seen = scripted(lambda t: [float(t.id + 1)] * 4, lambda t: Status.PRUNED if t.id == 1 else Status.OK)
    monkeypatch.setattr(backends, "run_task", fake)
    cfg = tiny_config(population=8, survivors=2, generations=1, merge=False)
    cfg.training.prune, cfg.training.prune_startup, cfg.training.prune_lag = True, 2, 1
    Engine(cfg, digits, None).run()
    got = {t.id: medians_of(t) for t in seen}
    for k in range(8):
        earlier = [[float(j + 1)] * 4 for j in range(k - 1) if j != 1]  # positions < k - lag, completed
        assert got[k] == (median_curve(earlier) if len(earlier) >= 2 else None), k
    assert got[3] is None and got[4] == [2.0] * 4  # the first judged evaluation: curves of ids 0 and 2


def test_in_order_starts_a_task_only_after_the_outcomes_it_depends_on():
    tasks = [EvalTask(i, 0, None, i, None, False, after=max(0, i - 1)) for i in range(8)]  # type: ignore[arg-type]
    taken = [0]
    started: dict[int, int] = {}
    lock = threading.Lock()

    def may_start(task):
        with lock:
            started[task.id] = taken[0]
        return task

    def work(task):
        time.sleep(0.05 if task.id % 3 == 0 else 0.001)  # stragglers, so later tasks finish first
        return EvalOutcome(task, None, None)  # type: ignore[arg-type]

    with ThreadPoolExecutor(3) as pool:
        for out in _in_order(tasks, lambda t: pool.submit(work, t), 3, may_start, lambda: None,
                             lambda fs: None, poll_s=0.005):
            assert out.task.id == taken[0]
            taken[0] += 1
    assert taken[0] == 8
    assert all(started[t.id] >= t.after for t in tasks), started


def _key(result):
    return [(r.id, r.metric, r.val_loss, r.n_epochs, r.genes, r.status) for r in result.records]


def test_pruning_from_generation_0_gives_the_serial_results_with_two_workers(digits):
    def cfg():
        c = tiny_config(population=8, survivors=3, generations=2, merge=False)
        c.training.max_epochs, c.training.patience = 8, 8
        c.training.prune, c.training.prune_warmup, c.training.prune_startup, c.training.prune_lag = True, 1, 2, 1
        return c

    serial = Engine(cfg(), digits, None).run()
    parallel = Engine(cfg(), digits, None, backend=ProcessPoolBackend(2, None)).run()
    assert _key(parallel) == _key(serial)
    assert any(r.status is Status.PRUNED and r.generation == 0 for r in serial.records)
    assert all(math.isfinite(r.metric) for r in serial.records)

