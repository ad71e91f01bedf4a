"""Lineage without a terminal: ancestry trees, how many levels fit, and each individual's card."""

from __future__ import annotations

from gaterm.rundir.reader import read_run_dir
from gaterm.tui.lineage import ancestry, describe, levels_that_fit
from tui.helpers import DATA


def test_ancestry_follows_parents_back_to_generation_zero():
    run = read_run_dir(DATA / "select-run")
    root = ancestry(run, 8)
    assert [p.id for p in root.parents] == [5, 6]
    assert [p.id for p in root.parents[1].parents] == [5, 4]
    assert all(not a.parents for a in root.parents[0].parents)  # #0 and #1: generation 0
    assert root.count() == 1 + 2 + 2 + 2 + 2 + 2  # #8; #5 #6; #0 #1; #5 #4; and their parents #0 #1, #0 #1
    assert [p.id for p in ancestry(run, 8, max_depth=1).parents] == [5, 6]
    assert not ancestry(run, 8, max_depth=1).parents[1].parents


def test_levels_that_fit_grow_with_the_room():
    run = read_run_dir(DATA / "select-run")
    root = ancestry(run, 8)
    assert levels_that_fit(root, 3) == 1
    assert levels_that_fit(root, 7) == 2
    assert levels_that_fit(root, 11) == 3
    assert levels_that_fit(root, 100) == 3


def test_cards_of_a_random_an_unmerged_and_an_unrecorded_merged_individual():
    basic = read_run_dir(DATA / "basic-run")
    assert "made: at random (generation 0)" in "\n".join(describe(basic, 0))
    child = next(r for r in basic.evaluations if r.parents is not None)
    card = "\n".join(describe(basic, child.id))
    assert "trained from a fresh initialisation (not merged)" in card and "paired control" not in card
    merge = read_run_dir(DATA / "merge-run")  # written before merge_notes existed
    merged = next(r for r in merge.evaluations if r.merged)
    card = "\n".join(describe(merge, merged.id))
    assert "merge: not recorded: the run directory predates merge notes" in card
    assert "(the run's configured strategy: mean)" in card
    assert "paired control: not run" in card
    assert describe(merge, 999) == ["#999 is not in this run's records"]
