"""Evaluation backends: worker processes and a Dask cluster give the serial run's results; pruning; failures."""

from __future__ import annotations

import os
import signal

import pytest

from conftest import tiny_config
from gaterm.engine.backends import ProcessPoolBackend
from gaterm.engine.engine import Engine
from gaterm.engine.pruners.median import MedianState, median_curve
from gaterm.events import EvaluationFinished
from gaterm.states import Status
from gaterm_builtin.merges import MeanMerge


def key(records):
    return [(r.generation, r.id, r.parent_a, r.parent_b, r.merged, r.metric, r.val_loss, r.n_epochs, r.genes,
             r.status) for r in records]


def small():
    cfg = tiny_config(population=6, survivors=3, generations=2, paired_control=True)
    cfg.training.max_epochs = 4
    return cfg


def test_worker_processes_give_exactly_the_serial_results(digits):
    serial = Engine(small(), digits, MeanMerge()).run()
    parallel = Engine(small(), digits, MeanMerge(), backend=ProcessPoolBackend(2, None)).run()
    assert key(parallel.records) == key(serial.records)
    assert [r.control_metric for r in parallel.records] == [r.control_metric for r in serial.records]
    assert all(r.training_time > 0 for r in parallel.records)  # measured inside the worker
    assert any(r.merged for r in parallel.records)


def test_target_with_workers_stops_where_serial_stops(digits):
    def cfg():
        c = small()
        c.ga.target = 0.5
        return c

    serial = Engine(cfg(), digits, MeanMerge()).run()
    parallel = Engine(cfg(), digits, MeanMerge(), backend=ProcessPoolBackend(2, None)).run()
    assert serial.stop_reason == parallel.stop_reason == "target"
    assert key(parallel.records) == key(serial.records)


def test_pruning_stops_an_evaluation_worse_than_the_median_and_keeps_its_partial_metric(digits):
    from gaterm.chromosome import Chromosome, LayerGene
    from gaterm.engine.fitness import DeviceData, evaluate

    cfg = tiny_config().training
    cfg.max_epochs, cfg.patience = 20, 20
    c = Chromosome("sgd", "cross_entropy", 0.0005, 128, (LayerGene(16, "tanh"),))
    data = DeviceData(digits, "cpu")
    free = evaluate(c, data, cfg, 1)
    assert free.status == "ok" and free.n_epochs == 20
    medians = [v * 0.5 for v in free.val_curve]  # earlier evaluations were twice as good at every epoch
    pruned = evaluate(c, data, cfg, 1, pruning=MedianState(medians, 3))
    assert pruned.status == "pruned" and pruned.n_epochs == 4  # the first epoch after the warm-up
    assert pruned.val_curve == free.val_curve[:4]  # same seed, same training until the cut
    assert 0 < pruned.val_metric <= 1 and 0 < pruned.test_metric <= 1
    better = evaluate(c, data, cfg, 1, pruning=MedianState([v * 2 for v in free.val_curve], 3))
    assert better.status == "ok" and better.n_epochs == 20


def test_median_curve():
    assert median_curve([[3.0, 2.0, 1.0], [5.0, 4.0], [1.0]]) == [3.0, 3.0, 1.0]
    assert median_curve([]) == []


@pytest.fixture
def flaky_evaluations(monkeypatch):
    """Every evaluation whose seed is a multiple of 3 raises inside the fitness function."""
    from gaterm.engine import backends

    real = backends.evaluate

    def flaky(chromosome, data, training, seed, *args, **kw):
        if seed % 3 == 0:
            raise RuntimeError("injected failure")
        return real(chromosome, data, training, seed, *args, **kw)

    monkeypatch.setattr(backends, "evaluate", flaky)


def test_an_exception_inside_one_evaluation_is_recorded_and_the_run_goes_on(digits, flaky_evaluations):
    cfg = small()
    cfg.ga.paired_control = False
    result = Engine(cfg, digits, MeanMerge()).run()
    failed = [r for r in result.records if r.status is Status.ERROR]
    assert len(result.records) == cfg.ga.planned_evaluations
    assert failed and all("injected failure" in r.error and r.metric == 0.0 for r in failed)
    assert all(r.status_text.startswith("error: RuntimeError: injected failure") for r in failed)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_cluster_gives_the_serial_results(digits, dask_client):
    from gaterm.engine.backends import DaskBackend

    serial = Engine(small(), digits, MeanMerge()).run()
    remote = Engine(small(), digits, MeanMerge(), backend=DaskBackend(dask_client, None)).run()
    assert key(remote.records) == key(serial.records)


def test_a_dask_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(digits, dask_client):
    from gaterm.engine.backends import DaskBackend

    cfg = small()
    cfg.training.max_epochs = 8
    pids = list(dask_client.run(os.getpid).values())
    killed = []

    def kill_one(event):
        if isinstance(event, EvaluationFinished) and not killed:
            os.kill(pids[0], signal.SIGKILL)  # the nanny starts a fresh worker; its task is rescheduled
            killed.append(pids[0])

    remote = Engine(cfg, digits, MeanMerge(), [kill_one], backend=DaskBackend(dask_client, None)).run()
    assert killed
    ids = [r.id for r in remote.records]
    assert len(ids) == len(set(ids)) == cfg.ga.planned_evaluations
    serial = Engine(cfg, digits, MeanMerge()).run()
    assert key(remote.records) == key(serial.records)


def test_async_keeps_more_dask_workers_busy_than_a_generation_has_children(digits, dask_client):
    """4 workers, population 6 and 3 survivors: a generation has 3 children, so the generational schedule can
    use at most 3 workers after generation 0; the steady-state one keeps all 4 computing children at once."""
    from distributed import get_task_stream

    from gaterm.engine.backends import DaskBackend

    cfg = tiny_config(population=6, survivors=3, generations=6, schedule="async")
    cfg.training.max_epochs = 8
    cfg.training.patience = 8
    dask_client.wait_for_workers(4, timeout=60)  # a worker killed by an earlier test is replaced by its nanny
    with get_task_stream(dask_client) as stream:
        result = Engine(cfg, digits, MeanMerge(), backend=DaskBackend(dask_client, None)).run()
    assert sorted(r.id for r in result.records) == list(range(cfg.ga.planned_evaluations))
    spans = []  # (start, stop, worker) of each child's computation on the cluster
    for task in stream.data:
        key = task["key"] if isinstance(task["key"], str) else str(task["key"])
        if not key.startswith("gaterm-eval-") or int(key.split("-")[2]) < cfg.ga.population:
            continue
        spans += [(s["start"], s["stop"], task["worker"]) for s in task["startstops"] if s["action"] == "compute"]
    busy = max(len({w for start, stop, w in spans if start <= t < stop}) for t, _, _ in spans)
    assert busy == 4, (busy, sorted({w for *_, w in spans}), len(spans), dask_client.nthreads())


def test_min_delta_is_in_the_targets_units():
    from gaterm.datasets import Dataset
    from gaterm.engine.fitness import loss_delta

    reg = Dataset("r", "regression", *([None] * 6), n_features=1, n_outputs=1, target_std=9.2)
    assert loss_delta(0.01, "mae", reg) == pytest.approx(0.01 / 9.2)  # an MAE of 0.01 $1000s on Boston
    assert loss_delta(0.01, "huber", reg) == pytest.approx(0.01 / 9.2)
    assert loss_delta(0.01, "mse", reg) == pytest.approx(0.01 / 9.2**2)
    cls = Dataset("c", "classification", *([None] * 6), n_features=1, n_outputs=3)
    assert loss_delta(0.01, "cross_entropy", cls) == 0.01


def test_every_consumer_uses_one_rule_for_fitness_time_statistics(digits, flaky_evaluations, tmp_path):
    """Errored rows (nothing trained) are left out of every time statistic, diverged and pruned rows count: the
    generation summary, summary.json, the run read back (the UI) and compare's analysis agree."""
    import json

    from gaterm.experiment.analysis import _subset, _times
    from gaterm.experiment.arms import ArmRun
    from gaterm.rundir.reader import read_run_dir
    from gaterm.rundir.writer import RunWriter
    from gaterm.stats import fitness_time_stats

    cfg = small()
    cfg.ga.paired_control = False
    events = []
    result = Engine(cfg, digits, MeanMerge(), [RunWriter(tmp_path / "run"), events.append]).run()
    errored = [r for r in result.records if r.status is Status.ERROR]
    assert errored and all(r.training_time == 0.0 for r in errored)
    timed = [r.training_time for r in result.records if r.status is not Status.ERROR]
    expected = sum(timed) / len(timed)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["fitness_time_mean_s"] == pytest.approx(expected)
    assert read_run_dir(tmp_path / "run").time_stats()["mean"] == pytest.approx(expected)
    assert fitness_time_stats(result.records)["mean"] == pytest.approx(expected)
    for ev in events:
        if type(ev).__name__ == "GenerationFinished":
            gen = [r for r in result.records if r.generation == ev.summary.generation and r.status is not Status.ERROR]
            assert ev.summary.mean_fitness_time == pytest.approx(sum(r.training_time for r in gen) / len(gen))
    arm = ArmRun("digits", 0, "merge-mean", "mean", "accuracy", True, list(result.records), result.stop_reason,
                 result.total_duration_s, 0.0, 0.0, 0.0, "")
    assert sum(_times(_subset([arm], 0))) / len(_subset([arm], 0)) == pytest.approx(expected)
