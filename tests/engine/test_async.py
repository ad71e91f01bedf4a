"""The steady-state schedule (`ga.schedule = "async"`) on real digits data: children bred from the best so far the
moment a worker is free, deterministic with one worker, resumable from its checkpoints, no barrier with more."""

from __future__ import annotations

import pytest

from conftest import tiny_config
from gaterm.engine.backends import ProcessPoolBackend
from gaterm.engine.engine import Engine
from gaterm.engine.operators import select
from gaterm.errors import ConfigError
from gaterm.events import (
    CheckpointReady,
    EvaluationFinished,
    EvaluationStarted,
    GenerationFinished,
    GenerationStarted,
    RunFinished,
)
from gaterm.states import Direction, Status, StopReason
from gaterm_builtin.merges import MeanMerge


def async_config(**ga):
    cfg = tiny_config(**{"population": 5, "survivors": 3, "generations": 4, "schedule": "async", **ga})
    cfg.training.max_epochs = 4
    return cfg


def run(cfg, dataset, **kw):
    events = []
    result = Engine(cfg, dataset, MeanMerge() if cfg.ga.merge else None, [events.append], **kw).run()
    return result, events


def key(records):
    return [(r.generation, r.id, r.parent_a, r.parent_b, r.merged, r.metric, r.val_loss, r.n_epochs, r.genes,
             r.status) for r in records]


def test_children_are_bred_from_the_best_evaluated_so_far(digits):
    cfg = async_config()
    result, events = run(cfg, digits)
    recs = list(result.records)
    assert len(recs) == cfg.ga.planned_evaluations == 5 + 3 * 2
    assert [r.id for r in recs] == list(range(11))  # one worker: evaluated in id order
    assert [r.generation for r in recs] == [0] * 5 + [1, 1, 2, 2, 3, 3]  # blocks of population - survivors
    direction = Direction.of(True)
    for i, r in enumerate(recs[5:], start=5):
        # one worker: every earlier evaluation is recorded when the child is bred; its parents are among the
        # best `survivors` of them (not of the previous generation only: child 6 may descend from child 5)
        best = select([(e.id, e.metric) for e in recs[:i]], cfg.ga.survivors, direction)
        assert r.parent_a != r.parent_b and {r.parent_a, r.parent_b} <= set(best)
        assert r.merged
    assert any(6 in (r.parent_a, r.parent_b) for r in recs[7:]) or any(
        r.parent_a >= 5 or r.parent_b >= 5 for r in recs[7:])  # children breed as soon as they are evaluated
    starts = [e for e in events if isinstance(e, GenerationStarted)]
    assert [(e.generation, e.to_evaluate) for e in starts] == [
        (0, (0, 1, 2, 3, 4)), (1, (5, 6)), (2, (7, 8)), (3, (9, 10))]
    summaries = [e.summary for e in events if isinstance(e, GenerationFinished)]
    assert [s.generation for s in summaries] == [0, 1, 2, 3]
    for s in summaries:  # a block's survivors are the best of everything up to it
        upto = [(r.id, r.metric) for r in recs if r.generation <= s.generation]
        assert s.survivors == tuple(sorted(select(upto, cfg.ga.survivors, direction)))
    assert result.stop_reason is StopReason.GENERATIONS
    assert isinstance(events[-1], RunFinished)


def test_one_worker_is_deterministic(digits):
    a, _ = run(async_config(), digits)
    b, _ = run(async_config(), digits)
    assert key(a.records) == key(b.records)
    c = async_config()
    c.seed = 3
    assert key(run(c, digits)[0].records) != key(a.records)


def test_resuming_from_any_checkpoint_equals_the_uninterrupted_run(digits):
    cfg = async_config(generations=5)
    reference, events = run(cfg, digits)
    states = [e.state for e in events if isinstance(e, CheckpointReady)]
    assert [s.next_generation for s in states] == [1, 2, 3, 4]  # after every block but the last
    for state in states[::2]:
        assert [r.id for r in state.records] == list(range(state.next_id))
        assert len(state.population) == cfg.ga.survivors and set(state.weights) <= {p[0] for p in state.population}
        resumed, _ = run(async_config(generations=5), digits, resume=state)
        assert key(resumed.records) == key(reference.records)
        assert resumed.best.id == reference.best.id


def test_a_cancelled_async_run_resumes_to_the_same_result(digits):
    cfg = async_config(generations=5)
    reference, _ = run(cfg, digits)
    seen, states = [], []

    def listen(event):
        if isinstance(event, EvaluationFinished):
            seen.append(event.record.id)
        elif isinstance(event, CheckpointReady):
            states.append(event.state)

    stopped = Engine(async_config(generations=5), digits, MeanMerge(), [listen],
                     should_stop=lambda: len(seen) >= 8).run()
    assert stopped.stop_reason is StopReason.CANCELLED and len(stopped.records) == 8
    resumed, _ = run(async_config(generations=5), digits, resume=states[-1])
    assert key(resumed.records) == key(reference.records)


def test_target_and_time_budget_stop_an_async_run(digits):
    result, events = run(async_config(target=0.2), digits)
    assert result.stop_reason is StopReason.TARGET and len(result.records) == 1
    assert isinstance(events[-1], RunFinished)
    result, _ = run(async_config(time_budget_s=0.0), digits)
    assert result.stop_reason is StopReason.TIME_BUDGET and not result.records


def test_async_pruning_compares_with_every_completed_evaluation(digits):
    cfg = async_config(population=6, generations=4)
    cfg.training.max_epochs = 12
    cfg.training.patience = 12
    cfg.training.prune = True
    cfg.training.prune_warmup = 1
    cfg.training.prune_startup = 2
    result, _ = run(cfg, digits)
    recs = list(result.records)
    assert len(recs) == cfg.ga.planned_evaluations
    pruned = [r for r in recs if r.status is Status.PRUNED]
    assert pruned and all(r.id >= 2 for r in pruned)  # never before prune_startup evaluations completed
    assert all(r.n_epochs < cfg.training.max_epochs for r in pruned)


def test_worker_processes_keep_every_worker_busy_without_a_barrier(digits):
    cfg = async_config(population=4, survivors=2, generations=6)  # 2 children per block, 2 workers
    cfg.training.max_epochs = 6
    order: list[tuple[str, int]] = []

    def listen(event):
        if isinstance(event, EvaluationStarted):
            order.append(("start", event.id))
        elif isinstance(event, EvaluationFinished):
            order.append(("end", event.record.id))

    result = Engine(cfg, digits, MeanMerge(), [listen], backend=ProcessPoolBackend(2, None)).run()
    ids = sorted(r.id for r in result.records)
    assert ids == list(range(cfg.ga.planned_evaluations))
    recorded: set[int] = set()
    for what, i in order:  # a child's parents were evaluated before it started
        if what == "end":
            recorded.add(i)
        elif i >= cfg.ga.population:
            rec = next(r for r in result.records if r.id == i)
            assert {rec.parent_a, rec.parent_b} <= recorded
    # no barrier: a child of a later block starts while one of an earlier block still runs (which the
    # generational schedule never does: its next generation waits for the slowest of the current one)
    gen_of = {r.id: r.generation for r in result.records}
    running: set[int] = set()
    overtakes = 0
    for what, i in order:
        if what == "start":
            overtakes += any(gen_of[j] < gen_of[i] for j in running)
            running.add(i)
        else:
            running.discard(i)
    assert overtakes >= 1


@pytest.mark.parametrize("bad", ["steady", ""])
def test_an_unknown_schedule_is_named(bad):
    cfg = async_config()
    cfg.ga.schedule = bad
    with pytest.raises(ConfigError, match="ga.schedule: must be one of generational, async"):
        cfg.validate()


def test_block_summaries_agree_with_what_resume_derives_when_a_later_child_ties_first(digits):
    """With several workers a child of block 1 can finish before the last of block 0; on a tie the engine's best so
    far after block 1 is the one recorded first, and `generation_rows` (what resume checks against) agrees."""
    import dataclasses

    from gaterm.rundir.heal import generation_rows

    cfg = async_config(population=4, survivors=2, generations=2)
    result, _ = run(cfg, digits)
    base = result.records[0]
    order = [(0, 0, 0.5), (1, 0, 0.6), (2, 0, 0.7), (4, 1, 0.9), (3, 0, 0.9), (5, 1, 0.1)]  # (id, block, metric)
    records = [dataclasses.replace(base, id=i, generation=g, metric=m) for i, g, m in order]
    engine = Engine(cfg, digits, MeanMerge())
    engine.records = records
    summaries = [engine.summarize(g, set(), upto=g) for g in (0, 1)]
    derived = generation_rows(records, 2, cfg.ga.survivors, Direction.of(True))
    assert [s.best_so_far_id for s in summaries] == [d.best_so_far_id for d in derived] == [3, 4]


def test_a_run_resumed_twice_with_pruning_checkpoints_every_curve(digits):
    cfg = async_config(population=5, generations=6)
    cfg.training.prune, cfg.training.prune_warmup, cfg.training.prune_startup = True, 1, 2
    _, events = run(cfg, digits)
    reference = {e.state.next_generation: e.state for e in events if isinstance(e, CheckpointReady)}
    _, resumed = run(cfg, digits, resume=reference[1])
    later = [e.state for e in resumed if isinstance(e, CheckpointReady)]
    assert [s.next_generation for s in later] == [2, 3, 4, 5]
    for state in later:  # what a second resume would start from: the uninterrupted run's curves and records
        assert state.curves == reference[state.next_generation].curves
        assert key(state.records) == key(reference[state.next_generation].records)


def test_first_share_ends_generation_0_and_breeds_from_it(digits, tmp_path):
    """With a time budget, `ga.first_share` ends generation 0 once its share of the budget has passed (here at
    once: the share is tiny), after at least FIRST_MIN started individuals; the run makes as many fewer evaluations,
    its blocks, checkpoints and resume follow the smaller generation 0."""
    from gaterm.engine.schedules.steady_state import FIRST_MIN
    from gaterm.rundir.checkpoint import load_checkpoint, save_checkpoint

    def cfg(**ga):
        return async_config(population=8, survivors=3, generations=3, time_budget_s=1000.0, **ga)

    full, _ = run(cfg(), digits)  # first_share 1.0 (the default): the whole population, as without a budget
    assert key(full.records) == key(run(async_config(population=8, survivors=3, generations=3), digits)[0].records)
    assert len(full.records) == cfg().ga.planned_evaluations == 8 + 2 * 5

    result, events = run(cfg(first_share=1e-9), digits)
    recs = list(result.records)
    assert result.stop_reason is StopReason.GENERATIONS
    assert [r.id for r in recs] == list(range(FIRST_MIN + 2 * 5))  # ids 4..7 of generation 0 were skipped
    assert [r.generation for r in recs] == [0] * FIRST_MIN + [1] * 5 + [2] * 5
    assert key(recs[:FIRST_MIN]) == key(full.records[:FIRST_MIN])  # the same first individuals
    for r in recs[FIRST_MIN:]:
        assert r.merged and max(r.parent_a, r.parent_b) < r.id
    assert [e.summary.generation for e in events if isinstance(e, GenerationFinished)] == [0, 1, 2]
    states = [e.state for e in events if isinstance(e, CheckpointReady)]
    assert [(s.next_generation, s.next_id, s.first_population) for s in states] == [(1, 4, 4), (2, 9, 4)]
    save_checkpoint(tmp_path / "ck.pt", states[0], cfg(first_share=1e-9))
    back = load_checkpoint(tmp_path / "ck.pt", cfg(first_share=1e-9))
    assert back.first_population == FIRST_MIN
    for state in (back, states[1]):
        resumed, _ = run(cfg(first_share=1e-9), digits, resume=state)
        assert key(resumed.records) == key(recs)


@pytest.mark.parametrize("bad, message", [
    ({"first_share": 0.0}, "must be above 0 and at most 1"),
    ({"first_share": 1.5}, "must be above 0 and at most 1"),
    ({"first_share": 0.5}, "applies to the async schedule with a time budget only"),  # no budget
    ({"first_share": 0.5, "time_budget_s": 60.0, "schedule": "generational"}, "applies to the async schedule"),
])
def test_a_first_share_that_cannot_apply_is_named(bad, message):
    with pytest.raises(ConfigError, match=f"ga.first_share: {message}"):
        async_config(**bad).validate()


@pytest.mark.parametrize("schedule", ["generational", "async"])
def test_dedupe_breeds_no_copy_of_an_earlier_individual_and_resumes_exactly(digits, schedule):
    """`ga.dedupe`: every child's genes differ from those of every individual with a smaller id (evaluated,
    started or bred before it), where the same run without it breeds copies; resuming from any checkpoint
    gives the uninterrupted run."""

    def cfg(dedupe):
        c = async_config(population=4, survivors=2, generations=8, schedule=schedule, dedupe=dedupe)
        c.training.max_epochs = 2
        return c

    def copies(records):
        return [r.id for r in records if r.parent_a is not None
                and r.genes in {e.genes for e in records if e.id < r.id}]

    plain, _ = run(cfg(False), digits)
    assert copies(plain.records)  # the tiny gene store makes copies likely
    result, events = run(cfg(True), digits)
    assert len(result.records) == cfg(True).ga.planned_evaluations and copies(result.records) == []
    assert key(result.records[:4]) == key(plain.records[:4])  # generation 0 is the same
    states = [e.state for e in events if isinstance(e, CheckpointReady)]
    for state in states[::3]:
        resumed, _ = run(cfg(True), digits, resume=state)
        assert key(resumed.records) == key(result.records)
