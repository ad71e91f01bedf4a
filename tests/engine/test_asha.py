"""Successive halving (`training.pruner = "asha"`) and merged children's relative patience: the rules on
scripted curves, and real digits runs that stay deterministic across worker counts and resume exactly."""

from __future__ import annotations

import pytest

from conftest import tiny_config
from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig, config_from_dict
from gaterm.engine.backends import ProcessPoolBackend
from gaterm.engine.engine import Engine
from gaterm.engine.fitness import DeviceData, evaluate, get_layers, init_model
from gaterm.engine.pruners import RungState, SuccessiveHalvingPruner, make_pruner
from gaterm.errors import ConfigError
from gaterm.events import CheckpointReady
from gaterm.rundir.checkpoint import load_checkpoint, save_checkpoint
from gaterm.states import Status
from gaterm_builtin.merges import MeanMerge


def test_rungs_grow_by_eta_from_the_first_epoch_after_the_warm_up():
    assert list(SuccessiveHalvingPruner(1, 5, 3, 100).rung_epochs()) == [6, 18, 54]
    assert list(SuccessiveHalvingPruner(1, 0, 2, 10).rung_epochs()) == [1, 2, 4, 8]


def test_only_the_best_third_of_a_rung_goes_on():
    state = RungState({2: [1.0, 2.0, 3.0, 4.0, 5.0]}, eta=3, startup=2)
    # with itself, 6 reached the rung: the best 2 go on (ties favour the newcomer)
    assert not state.should_prune([9.0, 0.5])
    assert not state.should_prune([9.0, 2.0])
    assert state.should_prune([9.0, 2.5])
    assert not state.should_prune([9.0])  # epoch 1 is no rung
    assert not state.should_prune([9.0, 9.0, 9.0])  # nor is epoch 3
    assert not RungState({2: [1.0]}, eta=3, startup=2).should_prune([9.0, 9.0])  # too few reached it yet


def test_the_rung_values_are_best_so_far_of_completed_and_pruned_curves_of_the_same_loss():
    pruner = SuccessiveHalvingPruner(startup=1, warmup=0, eta=2, max_epochs=4)
    completed = [("mae", (3.0, 1.0, 2.0, 0.5)), ("mse", (0.1, 0.1))]
    pruned = [("mae", (4.0, 5.0))]  # stopped at rung 2: it competes at rungs 1 and 2 only
    state = pruner.state_for("mae", completed, pruned)
    assert state.rungs == {1: [3.0, 4.0], 2: [1.0, 4.0], 4: [0.5]}
    assert pruner.state_for("huber", completed, pruned) is None


def _asha(cfg: RunConfig) -> RunConfig:
    cfg.training.max_epochs, cfg.training.patience = 9, 9
    cfg.training.prune, cfg.training.pruner, cfg.training.prune_eta = True, "asha", 2
    cfg.training.prune_warmup, cfg.training.prune_startup, cfg.training.prune_lag = 0, 2, 1
    return cfg


def _key(records):
    return [(r.id, r.parent_a, r.parent_b, r.metric, r.val_loss, r.n_epochs, r.genes, r.status) for r in records]


def test_asha_prunes_at_rungs_and_gives_the_serial_results_with_two_workers(digits):
    def cfg():
        return _asha(tiny_config(population=8, survivors=3, generations=2, merge=False))

    serial = Engine(cfg(), digits, None).run()
    parallel = Engine(cfg(), digits, None, backend=ProcessPoolBackend(2, None)).run()
    assert _key(parallel.records) == _key(serial.records)
    pruned = [r for r in serial.records if r.status is Status.PRUNED]
    assert pruned and {r.n_epochs for r in pruned} <= {1, 2, 4, 8}


def test_an_async_asha_run_resumes_from_any_saved_checkpoint_exactly(digits, tmp_path):
    def cfg():
        return _asha(tiny_config(population=5, survivors=3, generations=5, schedule="async"))

    events = []
    reference = Engine(cfg(), digits, MeanMerge(), [events.append]).run()
    assert any(r.status is Status.PRUNED for r in reference.records)
    states = [e.state for e in events if isinstance(e, CheckpointReady)]
    assert any(s.pruned_curves for s in states)
    for state in states:
        save_checkpoint(tmp_path / "ck.pt", state, cfg())  # through the file: pruned curves are kept
        back = load_checkpoint(tmp_path / "ck.pt", cfg())
        assert back.pruned_curves == state.pruned_curves
        resumed = Engine(cfg(), digits, MeanMerge(), resume=back).run()
        assert _key(resumed.records) == _key(reference.records)


def test_relative_patience_stops_after_as_many_epochs_as_the_best_took(digits):
    cfg = RunConfig().training
    cfg.max_epochs, cfg.patience, cfg.min_delta = 60, 30, 0.0
    c = Chromosome("adam", "cross_entropy", 0.01, 64, (LayerGene(32, "relu"),))
    data = DeviceData(digits, "cpu")
    start = get_layers(init_model(c, data, 3))
    fixed = evaluate(c, data, cfg, 7, init_layers=start)
    relative = evaluate(c, data, cfg, 7, init_layers=start, relative_patience=True)
    assert relative.best_epoch <= fixed.best_epoch  # the same training until it stops
    assert relative.val_curve == fixed.val_curve[: relative.n_epochs]
    wait = relative.n_epochs - relative.best_epoch
    assert relative.n_epochs == cfg.max_epochs or wait == min(cfg.patience, max(2, relative.best_epoch))
    assert relative.n_epochs < fixed.n_epochs


def test_relative_patience_applies_to_merged_children_only(digits, monkeypatch):
    from gaterm.engine import backends

    seen = []
    real = backends.run_task

    def spy(task, *a, **kw):
        seen.append(task)
        return real(task, *a, **kw)

    monkeypatch.setattr(backends, "run_task", spy)
    cfg = tiny_config(population=4, survivors=2, generations=2)
    cfg.training.relative_patience = True
    Engine(cfg, digits, MeanMerge()).run()
    assert seen and all(t.relative_patience == (t.init_layers is not None and t.generation > 0) for t in seen)
    assert any(t.relative_patience for t in seen)


@pytest.mark.parametrize(("training", "message"), [
    ({"pruner": "hyperband"}, "training.pruner: must be one of median, asha, got 'hyperband'"),
    ({"prune_eta": 1}, "training.prune_eta: must be at least 2"),
])
def test_a_bad_pruner_setting_is_named(training, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"training": training}).validate()


def test_relative_patience_with_the_paired_control_is_refused():
    cfg = config_from_dict({"ga": {"paired_control": True}, "training": {"relative_patience": True}})
    with pytest.raises(ConfigError, match="training.relative_patience: the paired control"):
        cfg.validate()


def test_the_run_builds_the_pruner_it_is_configured_with():
    tr = RunConfig().training
    assert make_pruner(tr).name == "median"  # gaterm's default search prunes by the median rule
    tr.prune = False
    assert make_pruner(tr) is None
    tr.prune, tr.pruner = True, "asha"
    assert make_pruner(tr).name == "asha"
