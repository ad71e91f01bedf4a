"""Reading run directories back into records (`gaterm.rundir`), as the TUI and compare views use them."""

from __future__ import annotations

import json
import shutil

import pytest
from tui.helpers import DATA

from gaterm.errors import GatermError
from gaterm.rundir.reader import is_run_dir, read_run_dir
from gaterm.states import Direction


def test_reads_a_finished_run_directory():
    run = read_run_dir(DATA / "merge-run")
    summary = json.loads((DATA / "merge-run" / "summary.json").read_text())
    assert run.label == "merge-run" and run.kind == "merge" and run.merge is True
    assert len(run.evaluations) == summary["evaluations"] == 6
    assert len(run.generations) == 2
    assert run.metric_name == "accuracy" and run.higher_is_better
    assert run.stop_reason == "generations" and run.total_duration_s == summary["total_duration_s"]
    assert run.best is not None and run.best.id == summary["best"]["id"]
    assert run.time_stats()["mean"] == pytest.approx(summary["fitness_time_mean_s"])
    assert run.time_stats()["skewness"] == pytest.approx(summary["fitness_time_skewness"])
    first, child = run.evaluations[0], run.evaluations[-1]
    assert first.parents is None and child.parents is not None and child.merged
    assert run.config is not None and run.config.ga.population == 4
    assert read_run_dir(DATA / "basic-run").kind == "basic"


def test_a_run_without_summary_loads_as_unfinished(tmp_path):
    shutil.copytree(DATA / "merge-run", tmp_path / "r")
    (tmp_path / "r" / "summary.json").unlink()
    run = read_run_dir(tmp_path / "r")
    assert run.stop_reason is None and run.total_duration_s is None
    assert len(run.evaluations) == 6 and run.kind == "merge"  # from config.toml


def test_extra_columns_are_ignored(tmp_path):
    shutil.copytree(DATA / "basic-run", tmp_path / "r")
    path = tmp_path / "r" / "evaluations.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",later_column"] + [line + ",1" for line in lines[1:]]) + "\n")
    assert len(read_run_dir(tmp_path / "r").evaluations) == 6


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "evaluations.csv").unlink(), "not a gaterm run directory (no evaluations.csv)"),
        (lambda d: (d / "evaluations.csv").write_text("generation,id\n0,0\n"), "missing column(s) parent_a"),
        (lambda d: (d / "summary.json").write_text("{"), "cannot read"),
        (lambda d: (d / "config.toml").write_text("[ga]\npopulaton = 3\n"), "did you mean 'population'"),
    ],
)
def test_a_broken_run_directory_is_one_line_error(tmp_path, damage, message):
    shutil.copytree(DATA / "merge-run", tmp_path / "r")
    damage(tmp_path / "r")
    with pytest.raises(GatermError) as info:
        read_run_dir(tmp_path / "r")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_bad_row_names_its_line(tmp_path):
    shutil.copytree(DATA / "merge-run", tmp_path / "r")
    path = tmp_path / "r" / "evaluations.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "three", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(GatermError, match=r"evaluations.csv, line 4: invalid literal"):
        read_run_dir(tmp_path / "r")


def test_is_run_dir_and_not_a_directory(tmp_path):
    assert is_run_dir(DATA / "merge-run") and not is_run_dir(tmp_path)
    with pytest.raises(GatermError, match="not a directory"):
        read_run_dir(tmp_path / "nothing")


def test_best_skips_nan_and_respects_direction():
    rows = read_run_dir(DATA / "merge-run").evaluations
    nan_row = rows[0].__class__(**{**rows[0].__dict__, "id": 99, "metric": float("nan")})
    def best_of(rows, hib):
        return Direction.of(hib).best(rows, lambda r: r.metric)
    assert best_of([nan_row], True) is None
    assert best_of([*rows, nan_row], True).metric == max(r.metric for r in rows)
    assert best_of(rows, False).metric == min(r.metric for r in rows)
