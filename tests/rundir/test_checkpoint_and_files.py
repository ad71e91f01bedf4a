"""The run directory's durability helpers: row truncation on resume, checkpoint round trip."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import torch

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.errors import GatermError
from gaterm.events import EngineState, EvaluationRecord
from gaterm.rundir.checkpoint import load_checkpoint, save_checkpoint
from gaterm.rundir.files import truncate_rows


def test_truncate_keeps_complete_rows_of_finished_generations_even_with_multiline_cells(tmp_path):
    path = tmp_path / "evaluations.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["generation", "id", "status"])
        w.writerow([0, 0, "ok"])
        w.writerow([0, 1, "error: ValueError: two\nlines"])
        w.writerow([0, 2, "ok"])
        w.writerow([1, 3, "ok"])
    with open(path, "a") as f:
        f.write("1,4,o")  # torn by a kill mid-write
    truncate_rows(path, 1)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["generation", "id", "status"], ["0", "0", "ok"], ["0", "1", "error: ValueError: two\nlines"],
                    ["0", "2", "ok"]]
    with open(path, "a", newline="") as f:  # rows appended after resume stay well-formed
        csv.writer(f).writerow([1, 3, "ok"])
    with open(path, newline="") as f:
        assert list(csv.reader(f))[-1] == ["1", "3", "ok"]


def test_checkpoint_round_trip_keeps_everything_exactly(tmp_path):
    c = Chromosome("adam", "mse", 0.0012345678901, 32, (LayerGene(8, "relu"),))
    rec = EvaluationRecord(0, 0, None, None, False, 0.5, 0.25, 3, 2, 0.1, 0.0, "ok", 7, c, val_metric=0.5,
                           test_metric=0.375)
    w = [(torch.randn(8, 3), torch.randn(8)), (torch.randn(1, 8), torch.randn(1))]
    rng = np.random.default_rng(3)
    rng.random(5)
    state = EngineState(1, 5, [(0, c, None, rec), (4, c, (0, 0), None)], {0: w}, rng.bit_generator.state,
                        [("mse", (1.0, 0.5))], [rec], 0, w, 12.5)
    cfg = RunConfig()
    save_checkpoint(tmp_path / "ck.pt", state, cfg)
    back = load_checkpoint(tmp_path / "ck.pt", cfg)
    assert back.population[0][1].learning_rate == 0.0012345678901  # no precision lost in the encoding
    assert back.records == [rec] and back.population[1][2] == (0, 0) and back.population[1][3] is None
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(back.weights[0], w, strict=False))
    r2 = np.random.default_rng(0)
    r2.bit_generator.state = back.rng_state
    assert r2.random() == rng.random()
    assert back.elapsed_s == 12.5 and back.curves == [("mse", (1.0, 0.5))]  # each curve keeps its loss


def test_an_evaluation_row_round_trips_through_its_csv_cells():
    from gaterm.rundir.files import EVAL_COLUMNS, EvaluationRow, parse_row, row_cells
    from gaterm.states import Status

    row = EvaluationRow(generation=1, id=7, parent_a=2, parent_b=3, merged=True, metric=0.91, val_metric=0.91,
                        test_metric=0.875, val_loss=0.3, n_epochs=12, best_epoch=2, training_time=1.5,
                        merge_time=0.04, status=Status.ERROR, seed=9, genes="adam lr=0.001 bs=32 | 8 relu",
                        control_metric=0.9, control_test_metric=0.86, control_val_loss=0.31, control_n_epochs=20,
                        control_time=2.0, control_status=Status.OK, error="ValueError: boom",
                        merge_notes={"strategy": "select", "choice": "mean", "val_losses": {"mean": 0.5}})
    cells = dict(zip(EVAL_COLUMNS, [str(c) for c in row_cells(row)], strict=True))
    assert cells["status"] == "error: ValueError: boom"
    assert parse_row(EvaluationRow, cells) == row
    old = {k: v for k, v in cells.items() if k not in ("val_metric", "test_metric", "merge_notes")}
    back = parse_row(EvaluationRow, old)  # a run directory written before these columns existed
    assert back.merge_notes is None and math.isnan(back.val_metric)


def test_a_checkpoint_still_matches_its_config_after_gaterm_gains_a_config_key(tmp_path):
    """A run checkpointed before a new config key existed resumes: the stored config, read with today's
    defaults, equals the run directory's config.toml read the same way."""
    import json

    from gaterm.config import RunConfig
    from gaterm.rundir.checkpoint import config_fingerprint

    c = Chromosome("adam", "mse", 0.001, 32, (LayerGene(8, "relu"),))
    rec = EvaluationRecord(0, 0, None, None, False, 0.5, 0.25, 3, 2, 0.1, 0.0, "ok", 7, c, val_metric=0.5,
                           test_metric=0.4)
    w = [(torch.randn(8, 3), torch.randn(8)), (torch.randn(1, 8), torch.randn(1))]
    state = EngineState(1, 5, [(0, c, None, rec)], {0: w}, np.random.default_rng(3).bit_generator.state,
                        [], [rec], 0, w, 1.0)
    cfg = RunConfig()
    save_checkpoint(tmp_path / "ck.pt", state, cfg)
    # simulate the older gaterm: its stored config lacked a key today's has (training.prune_lag), so its
    # fingerprint differs from today's reading of the same run
    blob = torch.load(tmp_path / "ck.pt", weights_only=True)
    meta = json.loads(blob["meta"])
    del meta["config_dict"]["training"]["prune_lag"]
    meta["config"] = "0" * 16
    blob["meta"] = json.dumps(meta)
    torch.save(blob, tmp_path / "ck.pt")
    assert config_fingerprint(cfg) != meta["config"]
    assert load_checkpoint(tmp_path / "ck.pt", cfg).next_generation == 1
    other = RunConfig(seed=5)
    with pytest.raises(GatermError, match="different configuration"):
        load_checkpoint(tmp_path / "ck.pt", other)
