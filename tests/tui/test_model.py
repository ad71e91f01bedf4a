"""The live-run model without a terminal: fed a real engine's event stream, it holds what the run directory
holds, and its progress, status and convergence series follow the events."""

from __future__ import annotations

import math

import pytest

from conftest import tiny_config
from gaterm.engine.engine import Engine
from gaterm.events import EpochFinished, EvaluationStarted, GenerationStarted, RunFinished, RunStarted
from gaterm.rundir.reader import RunData, read_run_dir
from gaterm.rundir.writer import RunWriter
from gaterm.tui.model import FITNESS_CLOCK, WALL_CLOCK, RunModel, best_so_far, convergence
from tui.helpers import DATA


@pytest.fixture(scope="module", params=["generational", "async"])
def engine_run(plugin_set, digits, tmp_path_factory, request):
    """A tiny merge run on digits, in either schedule: every event the engine emitted, and the run directory it
    wrote."""
    cfg = tiny_config(schedule=request.param)
    out = tmp_path_factory.mktemp("model") / "run"
    events = []
    writer = RunWriter(out)
    Engine(cfg, digits, plugin_set.merge_strategy(cfg.ga.merge_strategy), [writer, events.append]).run()
    return cfg, events, out


def test_the_model_built_from_events_holds_what_the_run_directory_holds(engine_run):
    cfg, events, out = engine_run
    model = RunModel.starting(RunData(label="run", path=out, config=cfg))
    assert model.running and model.phase == "starting" and model.planned == cfg.ga.planned_evaluations
    for ev in events:
        model.apply(ev)
    model.worker_ended()
    on_disk = read_run_dir(out)
    assert model.run.evaluations == on_disk.evaluations
    assert model.run.generations == on_disk.generations
    assert model.run.stop_reason == on_disk.stop_reason == "generations"
    assert model.run.metric_name == "accuracy" and model.run.higher_is_better
    assert not model.running and model.phase == ""
    bars = model.bars()
    n = len(on_disk.evaluations)
    assert bars["eval"].label == f"evaluations {n}/{cfg.ga.planned_evaluations}"
    assert bars["gen"].done == bars["gen"].total == cfg.ga.generations
    status = model.status_markup()
    assert "finished all generations" in status and f"(#{on_disk.best.id})" in status
    assert model.state_word == "done"


def test_progress_follows_the_event_stream(engine_run):
    cfg, events, out = engine_run
    model = RunModel.starting(RunData(label="run", path=out, config=cfg))
    model.set_phase("loading data set digits…")
    assert "loading data set digits" in model.status_markup()
    versions = [model.version]
    for ev in events:
        model.apply(ev, now=1.0 + len(model.run.evaluations))
        versions.append(model.version)
        if isinstance(ev, RunStarted):
            assert model.phase == "" and model.max_epochs == cfg.training.max_epochs
        elif isinstance(ev, GenerationStarted):
            assert model.generation == ev.generation
            assert model.bars()["gen"].label == f"generation {ev.generation + 1}/{cfg.ga.generations}"
        elif isinstance(ev, EvaluationStarted):
            assert model.bars()["epoch"].label == f"#{ev.id} epoch 0/{cfg.training.max_epochs}"
        elif isinstance(ev, EpochFinished):
            assert model.bars()["epoch"].done == ev.epoch
        elif isinstance(ev, RunFinished):
            assert model.run.total_duration_s == ev.total_duration_s
    assert versions == sorted(versions) and versions[-1] > versions[0]
    # a live run's elapsed time is the wall clock at each EvaluationFinished (here: the fake clock)
    conv = model.convergence()
    assert conv.x_label == WALL_CLOCK
    assert list(conv.seconds) == [float(i) for i in range(len(model.run.evaluations))]


def test_stopping_and_failing_show_in_the_status():
    model = RunModel.starting(RunData(label="run", config=tiny_config()))
    model.stopping()
    assert "stopping" in model.status_markup()
    model.worker_ended("scheduler unreachable")
    assert not model.running and model.run.stop_reason == "error"
    assert "✗ error: scheduler unreachable" in model.status_markup()


def test_an_opened_run_is_finished_and_its_bars_say_so():
    run = read_run_dir(DATA / "merge-run")
    model = RunModel.opened(run)
    assert not model.running and model.planned == run.summary["planned_evaluations"]
    assert model.bars()["eval"].done == len(run.evaluations)
    assert model.bars()["epoch"].label.startswith(f"#{run.evaluations[-1].id} epochs")


def test_convergence_of_an_opened_run_is_its_best_so_far_against_cumulative_fitness_time():
    run = read_run_dir(DATA / "merge-run")
    conv = convergence(run)
    assert conv.x_label == FITNESS_CLOCK
    rows = sorted(run.evaluations, key=lambda r: r.id)
    assert math.isclose(conv.seconds[-1], sum(r.training_time for r in rows))
    assert conv.counts == tuple(range(1, len(rows) + 1))
    # the best so far at each generation's end is generations.csv's best_so_far_metric
    for g in run.generations:
        last = max(i for i, r in enumerate(rows) if r.generation == g.generation)
        assert conv.best[last] == g.best_so_far_metric
    for spread in conv.spreads:
        metrics = [r.metric for r in rows if r.generation == spread.generation]
        assert (spread.low, spread.high) == (min(metrics), max(metrics))


def test_best_so_far_skips_non_finite_metrics_and_follows_the_direction():
    from dataclasses import replace

    row = read_run_dir(DATA / "basic-run").evaluations[0]
    rows = [replace(row, metric=m) for m in (math.nan, 0.5, 0.4, 0.7, math.inf)]
    got = best_so_far(rows, higher_is_better=True)
    assert math.isnan(got[0]) and got[1:] == [0.5, 0.5, 0.7, 0.7]
    assert best_so_far(rows, higher_is_better=False)[1:] == [0.5, 0.4, 0.4, 0.4]


def test_the_model_imports_no_textual():
    import subprocess
    import sys

    code = "import sys, gaterm.tui.model; print('textual' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip() == "False", proc.stderr
