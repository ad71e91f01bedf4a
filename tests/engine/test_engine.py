"""The evolve loop on real digits data: events, merging, stop conditions, determinism, divergence."""

from __future__ import annotations

import math

import pytest
import torch

from conftest import tiny_config
from gaterm.engine.engine import Engine
from gaterm.errors import ConfigError
from gaterm.events import EvaluationFinished, GenerationFinished, RunFinished, RunStarted
from gaterm.merge import Parent
from gaterm_builtin.merges import MeanMerge


def run(cfg, dataset, strategy=None, **kw):
    events = []
    eng = Engine(cfg, dataset, strategy or (MeanMerge() if cfg.ga.merge else None), [events.append], **kw)
    return eng.run(), events


def key(records):
    return [(r.generation, r.id, r.parent_a, r.parent_b, r.merged, r.metric, r.n_epochs, r.genes) for r in records]


def test_the_engine_leaves_the_callers_config_alone(digits):
    cfg = tiny_config(generations=1)
    assert cfg.genes.loss == []  # "the task's default losses", resolved by the engine
    _, events = run(cfg, digits)
    assert cfg.genes.loss == []
    assert events[0].config.genes.loss == ["cross_entropy"]  # the effective config lists them


def test_a_run_emits_the_planned_evaluations_and_merges_children(digits):
    cfg = tiny_config()
    result, events = run(cfg, digits)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    recs = [e.record for e in events if isinstance(e, EvaluationFinished)]
    assert len(recs) == cfg.ga.planned_evaluations == 4 + 2 * 2
    assert [r.generation for r in recs] == [0, 0, 0, 0, 1, 1, 2, 2]
    assert all(r.parent_a is None and not r.merged for r in recs[:4])
    assert all(r.merged and r.parent_a is not None for r in recs[4:])
    # parents of generation g+1 are the survivors of generation g
    gens = [e.summary for e in events if isinstance(e, GenerationFinished)]
    assert len(gens) == 3
    for r in recs:
        if r.generation > 0:
            assert {r.parent_a, r.parent_b} <= set(gens[r.generation - 1].survivors)
    assert result.best.metric == max(r.metric for r in recs)
    assert 0.1 < result.best.metric <= 1.0
    assert result.stop_reason == "generations"


def test_same_seed_same_genes_parents_and_metrics(digits):
    a, _ = run(tiny_config(), digits)
    b, _ = run(tiny_config(), digits)
    assert key(a.records) == key(b.records)
    c = tiny_config()
    c.seed = 1
    other, _ = run(c, digits)
    assert key(other.records) != key(a.records)


def test_evaluation_results_do_not_depend_on_call_order(digits):
    """Each evaluation is seeded by (run seed, id): consuming global RNG state in between changes nothing."""
    a, _ = run(tiny_config(), digits)
    torch.manual_seed(12345)
    torch.rand(1000)
    b, _ = run(tiny_config(), digits)
    assert key(a.records) == key(b.records)


def test_merge_off_children_start_fresh(digits):
    result, _ = run(tiny_config(merge=False), digits)
    assert not any(r.merged for r in result.records)
    assert any(r.parent_a is not None for r in result.records)


def test_target_stops_the_run_at_once(digits):
    result, _ = run(tiny_config(target=0.05), digits)  # any trained model beats 5% accuracy
    assert result.stop_reason == "target"
    assert len(result.records) == 1


def test_time_budget_stops_before_starting_more_work(digits):
    result, _ = run(tiny_config(time_budget_s=1e-9), digits)
    assert result.stop_reason == "time_budget"
    assert len(result.records) == 0


def test_should_stop_cancels_and_keeps_finished_work(digits):
    seen = []

    def stop():
        return len(seen) >= 3

    cfg = tiny_config()
    events = []

    def listener(e):
        events.append(e)
        if isinstance(e, EvaluationFinished):
            seen.append(e)

    result = Engine(cfg, digits, MeanMerge(), [listener], should_stop=stop).run()
    assert result.stop_reason == "cancelled"
    assert len(result.records) == 3
    assert isinstance(events[-1], RunFinished)


def test_diverging_model_gets_the_worst_metric_and_the_run_goes_on(digits):
    cfg = tiny_config()
    cfg.genes.optimizer = ["sgd"]
    cfg.genes.learning_rates = {"sgd": [1e20]}  # explodes at once
    cfg.genes.activation = ["relu"]
    result, _ = run(cfg, digits)
    assert len(result.records) == cfg.ga.planned_evaluations
    assert all(r.status == "diverged" and r.metric == 0.0 for r in result.records)
    assert not any(r.merged for r in result.records)  # diverged parents' weights are never merged


def test_regression_metric_is_mae_in_target_units(plugin_set):
    import numpy as np

    from gaterm.datasets import DatasetSpec, RawData, prepare

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = 1000.0 + 50.0 * x[:, 0]  # large units: MAE must come back in them
    spec = DatasetSpec("lin", "regression", "", lambda ctx: RawData(x, y))
    ds = prepare(spec, RawData(x, y), 0, 0.2, 0.2)
    cfg = tiny_config(generations=1)
    cfg.training.max_epochs = 30
    cfg.genes.optimizer, cfg.genes.learning_rate = ["adam"], [0.01]
    result, _ = run(cfg, ds)
    assert all(math.isfinite(r.metric) for r in result.records)
    best = result.best.metric
    assert 0 < best < 50.0  # better than predicting the mean (MAE ~40), in original units
    assert result.best.metric == min(r.metric for r in result.records)


def test_a_strategy_returning_wrong_shapes_is_named(digits):
    from gaterm.errors import MergeError

    class Broken:
        name, description = "broken", "returns the first parent's layers unchanged"

        def merge(self, child, child_init, a: Parent, b: Parent):
            return [(w + 0, bb + 0) for w, bb in a.layers]

    cfg = tiny_config()
    cfg.genes.neurons = [8, 16, 24, 32]
    with pytest.raises(MergeError, match="'broken'"):
        run(cfg, digits, strategy=Broken())


def test_a_strategy_that_uses_data_gets_a_probe_of_the_run(digits):
    """`uses_data = True`: every merge call gets a Probe: the same first 256 standardised training rows (a copy:
    writing into it changes nothing) and the child's validation loss at epoch 0; the strategy's result is what
    the child starts from (here the fresh init, so each merged child trains exactly like its fresh control)."""
    import numpy as np

    seen, losses = [], []

    class Probing:
        name, description, uses_data = "probing", "records its probe, returns the fresh init", True

        def merge(self, child, child_init, a: Parent, b: Parent, probe=None):
            seen.append(probe.inputs.clone())
            probe.inputs.mul_(0)
            losses.append(probe.val_loss(child_init))
            return [(w.clone(), bb.clone()) for w, bb in child_init]

    cfg = tiny_config()
    cfg.ga.paired_control = True
    cfg.training.min_delta = 1e9  # no epoch improves: each child stops after patience + 1 epochs, its
    result, _ = run(cfg, digits, strategy=Probing())  # best val loss is the one at epoch 1
    merged = [r for r in result.records if r.merged]
    assert merged and len(seen) == len(merged)
    assert all(tuple(x.shape) == (256, digits.n_features) and x.dtype == torch.float32 for x in seen)
    assert all(torch.equal(x, seen[0]) for x in seen)
    assert np.allclose(seen[0].numpy(), np.asarray(digits.x_train[:256], dtype=np.float32))
    assert all((r.metric, r.n_epochs, r.val_loss) == (r.control_metric, r.control_n_epochs, r.control_val_loss)
               for r in merged)
    assert all(math.isfinite(v) and v > 0 for v in losses)


def test_a_strategy_that_declines_leaves_the_child_fresh_and_not_merged(digits):
    """A merge strategy may return None: the child then trains from its fresh init as an unmerged child (the
    fresh networks' patience, no paired control), and its merge notes still say which strategy declined."""

    class Declines:
        name, description, uses_data = "declines", "never merges", True

        def merge(self, child, child_init, a: Parent, b: Parent, probe=None):
            probe.notes["why"] = "no"  # and returns None: declines

    cfg = tiny_config()
    cfg.ga.paired_control = True
    result, _ = run(cfg, digits, strategy=Declines())
    children = [r for r in result.records if r.parent_a is not None]
    assert children and not any(r.merged for r in children)
    assert all(r.control_n_epochs is None for r in children)  # a paired control is for merged children only
    assert all(r.merge_notes == {"strategy": "declines", "why": "no"} for r in children)
    assert all(r.merge_notes is None for r in result.records if r.parent_a is None)
    cfg = tiny_config()
    cfg.training.max_epochs, cfg.training.patience, cfg.training.merged_patience = 8, 3, 1
    cfg.training.min_delta = 1e9  # no epoch improves: a child stops after patience + 1 epochs
    result, _ = run(cfg, digits, strategy=Declines())
    assert all(r.n_epochs == 4 for r in result.records)  # the fresh networks' patience 3, not merged_patience 1


def test_every_decision_uses_the_validation_metric(digits):
    cfg = tiny_config()
    result, events = run(cfg, digits)
    recs = result.records
    assert all(r.metric == r.val_metric for r in recs)
    assert any(r.val_metric != r.test_metric for r in recs)  # two splits, two numbers
    best = max(recs, key=lambda r: (r.val_metric, -r.id))
    assert result.best.id == best.id
    gens = [e.summary for e in events if isinstance(e, GenerationFinished)]
    for g in gens:
        these = [r for r in recs if r.generation == g.generation]
        kept = sorted(these + [r for r in recs if r.id in g.survivors and r.generation < g.generation],
                      key=lambda r: (-r.val_metric, r.id))
        assert set(g.survivors) == {r.id for r in kept[: cfg.ga.survivors]}


def test_selection_on_test_is_the_studys_protocol(digits):
    cfg = tiny_config(selection="test")
    result, _ = run(cfg, digits)
    assert all(r.metric == r.test_metric for r in result.records)
    assert result.best.id == max(result.records, key=lambda r: (r.test_metric, -r.id)).id


def test_fitness_time_includes_the_merge(digits):
    result, _ = run(tiny_config(), digits)
    merged = [r for r in result.records if r.merged]
    assert merged and all(r.merge_time > 0 for r in merged)
    assert all(r.merge_time == 0 for r in result.records if not r.merged)
    # the control trained the same child without a merge; its time has no merge share
    assert all(r.training_time > r.merge_time for r in merged)


def test_a_merged_child_records_what_its_merge_chose(digits):
    from gaterm_builtin.merges_extra import SelectMerge, all_strategies

    select = next(s for s in all_strategies() if isinstance(s, SelectMerge))
    result, _ = run(tiny_config(), digits, select)
    merged = [r for r in result.records if r.merged]
    assert merged
    for r in merged:
        notes = r.merge_notes
        assert notes["strategy"] == "select" and notes["choice"] in notes["val_losses"]
        assert notes["val_losses"][notes["choice"]] == min(notes["val_losses"].values())
    assert all(r.merge_notes is None for r in result.records if not r.merged)


def test_generation_0_can_be_a_spread_population(digits):
    import numpy as np

    from gaterm.chromosome import spread_population
    from gaterm.config import config_from_dict

    cfg = tiny_config(population=6, generations=1, merge=False, init="spread")
    cfg.training.max_epochs = 1
    result = run(cfg, digits)[0]
    store = cfg.genes.resolve_for_task("classification")
    assert [r.chromosome for r in result.records] == spread_population(np.random.default_rng(0), store, 6)
    with pytest.raises(ConfigError, match="ga.init"):
        config_from_dict({"ga": {"init": "grid"}}).validate()


def test_merged_children_stop_after_their_own_patience(digits):
    """`training.merged_patience` shortens early stopping for merged children only. Training is deterministic,
    so a child with the shorter patience is the full-patience child cut short: its best epoch is the same one
    (with the same weights and metric) unless its curve had a longer wait before that epoch."""
    def config(merged_patience):
        cfg = tiny_config(population=6, survivors=3, generations=2)
        cfg.training.max_epochs, cfg.training.patience = 40, 8
        cfg.training.merged_patience = merged_patience
        return cfg

    full, _ = run(config(0), digits)
    short, _ = run(config(2), digits)
    assert key(full.records[:6]) == key(short.records[:6])  # generation 0 starts fresh: untouched
    assert max(r.n_epochs - r.best_epoch for r in short.records[:6]) > 2
    children = list(zip(full.records[6:], short.records[6:], strict=False))
    assert len(children) == 3 and all(s.merged and (s.genes, s.seed) == (f.genes, f.seed) for f, s in children)
    for f, s in children:
        assert s.n_epochs - s.best_epoch <= 2 and s.n_epochs <= f.n_epochs and s.best_epoch <= f.best_epoch
        if s.best_epoch == f.best_epoch:
            assert (s.val_metric, s.test_metric, s.val_loss) == (f.val_metric, f.test_metric, f.val_loss)
            assert s.n_epochs == min(f.n_epochs, f.best_epoch + 2)
    assert sum(s.n_epochs for _, s in children) < sum(f.n_epochs for f, _ in children)


def test_merged_patience_cannot_hide_in_the_paired_control():
    cfg = tiny_config(paired_control=True)
    cfg.training.merged_patience = 3
    with pytest.raises(ConfigError, match="training.merged_patience: the paired control"):
        cfg.validate()
    cfg.training.merged_patience = -1
    cfg.ga.paired_control = False
    with pytest.raises(ConfigError, match="training.merged_patience: must be >= 0"):
        cfg.validate()
