"""`gaterm compare` on a tiny real comparison: identical generation 0, paired control, report contents. The
comparison runs with no --strategies, so its one merge arm is the default strategy's (`select`)."""

from __future__ import annotations

import json

import pytest
from procs import csv_rows as rows

from gaterm.cli import main

TINY = """
[ga]
population = 4
survivors = 2
generations = 3
[training]
max_epochs = 6
patience = 2
[genes]
neurons = [8, 16]
layers = [1, 2]
batch_size = [128]
"""



@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cmp")
    cfg = tmp / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp / "out"
    rc = main(["compare", "--config", str(cfg), "--datasets", "digits", "--seeds", "0,1", "--out", str(out),
               "--quiet"])
    assert rc == 0
    return out


def test_every_arm_has_a_run_directory(comparison):
    for seed in (0, 1):
        for arm in ("basic", "merge-select"):
            d = comparison / "digits" / f"seed-{seed}" / arm
            assert (d / "summary.json").is_file() and (d / "evaluations.csv").is_file()
            assert json.loads((d / "summary.json").read_text())["merge"] == (arm != "basic")


def test_generation_zero_is_identical_in_both_arms(comparison):
    for seed in (0, 1):
        base = comparison / "digits" / f"seed-{seed}"
        b = [r for r in rows(base / "basic" / "evaluations.csv") if r["generation"] == "0"]
        m = [r for r in rows(base / "merge-select" / "evaluations.csv") if r["generation"] == "0"]
        key = ("id", "genes", "seed", "metric", "val_loss", "n_epochs")
        assert [[r[k] for k in key] for r in b] == [[r[k] for k in key] for r in m]
        assert len(b) == 4


def test_paired_control_trains_each_merged_child_from_fresh_init(comparison):
    merge = rows(comparison / "digits" / "seed-0" / "merge-select" / "evaluations.csv")
    children = [r for r in merge if r["generation"] != "0"]
    assert children and all(r["merged"] == "1" and r["control_n_epochs"] != "" for r in children)
    assert all(r["control_metric"] == "" for r in merge if r["generation"] == "0")
    basic = rows(comparison / "digits" / "seed-0" / "basic" / "evaluations.csv")
    assert all(r["control_metric"] == "" for r in basic)
    # the control is the child as the basic arm would train it: where the two arms bred the same child
    # (same id, same genes, hence the same seed), the control's result equals the basic arm's
    by_id = {r["id"]: r for r in basic}
    same = [r for r in children if by_id.get(r["id"], {}).get("genes") == r["genes"]]
    for r in same:
        assert float(r["control_metric"]) == float(by_id[r["id"]]["metric"])
        assert int(r["control_n_epochs"]) == int(by_id[r["id"]]["n_epochs"])


def test_report_holds_the_tables_and_figures(comparison):
    report = (comparison / "report.md").read_text()
    for text in ("## digits", "Table 1, as in the study", "generation 0 is shared by every arm",
                 "average fitness time (s)", "time skewness", "Generations >= 1 (where the arms differ)",
                 "merge/basic mean fitness time [95% CI]", "normalized by each arm's generation-0 mean",
                 "generation-0 time merge/basic per seed", "Mann-Whitney U p", "mean epochs per evaluation",
                 "failed (diverged or error)", "total duration", "target reached at generation",
                 "best by validation: validation accuracy per seed", "its test accuracy per seed",
                 "test result difference merge - basic", "TOST p", "Paired control",
                 "failed (diverged or error): merged / fresh", "epochs ratio merged/fresh", "... per seed",
                 "share of the possible saving captured", "Fitness-time histogram", "Total duration per run"):
        assert text in report, text
    assert "s0 " in report and "s1 " in report  # per-seed figures
    data = json.loads((comparison / "compare.json").read_text())
    c = data["results"]["digits"]["comparisons"]["merge-select"]
    assert c["paired"]["pairs"] == 2 * (2 + 2)  # 2 seeds x 2 generations x 2 children
    assert 0 < c["paired"]["epochs_ratio"] < 3
    a = data["results"]["digits"]["arms"]
    assert a["basic"]["all"]["evaluations"] == a["merge-select"]["all"]["evaluations"] == 2 * (4 + 2 * 2)
    assert a["basic"]["gen1"]["evaluations"] == 2 * 4
    assert set(c["paired"]["epochs_ratio_per_seed"]) == {"0", "1"}
    assert set(c["gen1_normalized"]["time_ratio_per_seed"]) == {"0", "1"}
    assert 0 <= c["paired"]["failure_rate"]["merged"] <= 1 and 0 <= c["paired"]["failure_rate"]["fresh"] <= 1
    assert c["result_diff"]["tost_margin"] == 0.01
    # each run's result is the test metric of its best-by-validation individual
    for seed in (0, 1):
        evals = rows(comparison / "digits" / f"seed-{seed}" / "basic" / "evaluations.csv")
        best = max(evals, key=lambda r: (float(r["val_metric"]), -int(r["id"])))
        assert a["basic"]["best_test_metric_per_seed"][str(seed)] == float(best["test_metric"])


def test_the_report_can_be_recomputed_from_the_run_directories(comparison, capsys):
    before = json.loads((comparison / "compare.json").read_text())
    assert main(["compare", "--report", str(comparison)]) == 0
    after = json.loads((comparison / "compare.json").read_text())
    assert after["results"] == before["results"]
    assert "Table 1, as in the study" in capsys.readouterr().out


def test_compare_bad_input_is_one_line(tmp_path, capsys):
    assert main(["compare", "--datasets", "digits,nope", "--out", str(tmp_path / "x")]) == 2
    assert "unknown data set 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["compare", "--seeds", "two", "--out", str(tmp_path / "y")]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()
    # the clock-driven cut of generation 0 would give the arms different first generations
    assert main(["compare", "--schedule", "async", "--time-budget", "60", "--first-share", "0.5",
                 "--out", str(tmp_path / "z")]) == 2
    err = capsys.readouterr().err
    assert "ga.first_share: gaterm compare needs arms that share generation 0" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "z").exists()
    # a shorter patience for merged children only would be counted as what merging saves
    for control in ([], ["--no-paired-control"]):
        assert main(["compare", "--merged-patience", "3", *control, "--out", str(tmp_path / "w")]) == 2
        err = capsys.readouterr().err
        assert "error: training.merged_patience: gaterm compare measures what merging saves" in err
        assert len(err.splitlines()) == 1 and not (tmp_path / "w").exists()
