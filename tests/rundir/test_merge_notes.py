"""How each merged child was made is recorded: the engine puts the strategy's notes in the record, the run
directory keeps them (a JSON column at the end of evaluations.csv), checkpoints round-trip them, and older run
directories without the column still read."""

from __future__ import annotations

import csv
import math
import shutil

import pytest

from conftest import tiny_config
from gaterm.engine.engine import Engine
from gaterm.rundir.checkpoint import load_checkpoint, save_checkpoint
from gaterm.rundir.files import EVAL_COLUMNS, EvaluationRow, row_cells
from gaterm.rundir.reader import read_run_dir
from gaterm.rundir.writer import RunWriter


@pytest.fixture(scope="module")
def select_run(plugin_set, digits, tmp_path_factory):
    cfg = tiny_config(paired_control=True)
    assert cfg.ga.merge and cfg.ga.merge_strategy == "select"
    out = tmp_path_factory.mktemp("notes") / "run"
    states = []

    def keep_checkpoints(event):
        if type(event).__name__ == "CheckpointReady":
            states.append(event.state)

    result = Engine(cfg, digits, plugin_set.merge_strategy("select"), [RunWriter(out), keep_checkpoints]).run()
    return cfg, result, out, states


def test_a_merged_childs_record_names_the_strategy_its_choice_and_every_candidates_loss(select_run):
    _, result, _, _ = select_run
    merged = [r for r in result.records if r.merged]
    assert merged, "the tiny run breeds merged children"
    for r in merged:
        notes = r.merge_notes
        assert notes["strategy"] == "select"
        losses = notes["val_losses"]
        assert set(losses) == {"mean", "aligned", "aligned-repair", "net2net", "fitter", "inherit"}
        finite = {k: v for k, v in losses.items() if math.isfinite(v)}
        assert notes["choice"] == min(finite, key=finite.get)
    assert all(r.merge_notes is None for r in result.records if not r.merged)


def test_the_run_directory_keeps_the_notes_as_its_last_column(select_run):
    _, result, out, _ = select_run
    assert EVAL_COLUMNS[-1] == "merge_notes"
    with open(out / "evaluations.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all((row["merge_notes"] == "") == (row["merged"] == "0") for row in rows)
    back = read_run_dir(out)
    assert [r.merge_notes for r in back.evaluations] == [r.merge_notes for r in result.records]
    assert back.evaluations == [EvaluationRow.from_record(r) for r in result.records]


def test_an_older_run_directory_without_the_column_reads_as_none(select_run, tmp_path):
    _, _, out, _ = select_run
    old = tmp_path / "old"
    shutil.copytree(out, old)
    with open(out / "evaluations.csv", newline="") as f:
        rows = list(csv.reader(f))
    with open(old / "evaluations.csv", "w", newline="") as f:
        csv.writer(f).writerows(row[:-1] for row in rows)
    back = read_run_dir(old)
    assert len(back.evaluations) == len(rows) - 1 and all(r.merge_notes is None for r in back.evaluations)


def test_a_resumed_older_run_directory_keeps_its_own_columns(select_run, tmp_path):
    from gaterm.events import EvaluationFinished, RunStarted

    cfg, result, _, _ = select_run
    old = tmp_path / "old"
    old.mkdir()
    header = list(EVAL_COLUMNS[:-1])
    with open(old / "evaluations.csv", "w", newline="") as f:
        csv.writer(f).writerow(header)
    writer = RunWriter(old, resume=True)
    writer(RunStarted(cfg, "classification", "accuracy", True, {}, 1))
    merged = next(r for r in result.records if r.merged)
    writer(EvaluationFinished(merged))
    with open(old / "evaluations.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == header and len(rows[1]) == len(header)
    assert rows[1] == [str(c) for c in row_cells(EvaluationRow.from_record(merged))[:-1]]


def test_checkpoints_round_trip_the_notes(select_run, tmp_path):
    cfg, _, _, states = select_run
    state = states[-1]
    assert any(r.merge_notes for r in state.records)
    save_checkpoint(tmp_path / "ck.pt", state, cfg)
    back = load_checkpoint(tmp_path / "ck.pt", cfg)
    assert back.records == state.records


def test_notes_become_plain_json_values():
    import numpy as np
    import torch

    from gaterm.merge import plain_notes

    notes = {"choice": "mean", "loss": torch.tensor(0.5), "weights": np.array([1.0, 2.0]), "n": np.int64(3),
             "other": object, "nested": {"x": torch.tensor([1, 2])}}
    plain = plain_notes(notes)
    assert plain["choice"] == "mean" and plain["loss"] == 0.5 and plain["weights"] == [1.0, 2.0]
    assert plain["n"] == 3 and plain["other"] == str(object) and plain["nested"] == {"x": [1, 2]}
