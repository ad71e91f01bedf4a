"""`gaterm --no-ui` end to end on real data, its run directory, and its one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from procs import csv_rows as rows

from gaterm.cli import main

TINY = """
dataset = "digits"
seed = 3
[ga]
population = 4
survivors = 2
generations = 2
[training]
max_epochs = 3
patience = 2
[genes]
neurons = [8, 16]
layers = [1, 2]
batch_size = [128]
"""


def gaterm(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gaterm", *args], capture_output=True, text=True, timeout=timeout, check=False, **kw
    )



@pytest.fixture
def tiny(tmp_path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    return p


def test_headless_run_writes_a_complete_run_directory(tmp_path, tiny, capsys):
    out = tmp_path / "run"
    assert main(["--no-ui", "--config", str(tiny), "--out", str(out), "--mutation-prob", "0.3"]) == 0
    printed = capsys.readouterr().out
    assert "optimistically biased" not in printed  # selection on validation: no warning
    assert "generation 0:" in printed and "generation 1:" in printed and "run finished" in printed
    evals = rows(out / "evaluations.csv")
    assert len(evals) == 4 + 2
    required = ["generation", "id", "parent_a", "parent_b", "merged", "metric", "val_loss", "n_epochs", "training_time", "genes"]
    assert set(required) <= set(evals[0])
    assert all(r["parent_a"] == "" for r in evals[:4]) and all(r["parent_a"] != "" for r in evals[4:])
    assert all(r["merged"] == "1" for r in evals[4:])
    assert all(float(r["training_time"]) > 0 and 1 <= int(r["n_epochs"]) <= 3 for r in evals)
    summary = json.loads((out / "summary.json").read_text())
    for k in ("dataset", "task", "metric_name", "merge", "merge_strategy", "seed", "generations", "evaluations",
              "total_duration_s", "fitness_time_mean_s", "fitness_time_median_s", "fitness_time_skewness", "best"):
        assert k in summary, k
    assert summary["evaluations"] == 6 and summary["generations"] == 2 and summary["seed"] == 3
    # every row has the metric selected on (validation) and both split metrics; the best is by validation
    assert all(r["metric"] == r["val_metric"] and r["test_metric"] != "" for r in evals)
    ok = [r for r in evals if r["status"] == "ok"]
    best = max(ok, key=lambda r: (float(r["val_metric"]), -int(r["id"])))
    assert summary["best"]["id"] == int(best["id"]) and summary["best"]["genes"] == best["genes"]
    assert summary["best"]["val_metric"] == float(best["val_metric"])
    assert summary["best"]["test_metric"] == float(best["test_metric"])
    assert summary["selection"] == "validation"
    assert len(rows(out / "generations.csv")) == 2
    # the saved best model loads safely into the network its genes describe and scores like the run said
    from gaterm.chromosome import Chromosome
    from gaterm.engine.fitness import build_model

    model = build_model(Chromosome.parse(best["genes"]), 64, 10)
    model.load_state_dict(torch.load(out / "best_model.pt", weights_only=True))
    # flags override the file, and the effective config records them
    cfg_text = (out / "config.toml").read_text()
    assert "mutation_prob = 0.3" in cfg_text and 'loss = [\n    "cross_entropy",\n]' in cfg_text


def test_select_on_test_warns_that_the_result_is_biased(tmp_path, tiny, capfd):
    for extra in ([], ["--quiet"]):
        out = tmp_path / f"t{len(extra)}"
        capfd.readouterr()
        assert main(["--no-ui", "--config", str(tiny), "--select-on", "test", "--out", str(out), *extra]) == 0
        text = "".join(capfd.readouterr())
        assert "selecting on the test split" in text and "optimistically biased" in text
        assert all(r["metric"] == r["test_metric"] for r in rows(out / "evaluations.csv"))
        assert json.loads((out / "summary.json").read_text())["selection"] == "test"


def test_config_toml_of_a_run_repeats_it(tmp_path, tiny):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["--no-ui", "--quiet", "--config", str(tiny), "--out", str(first)]) == 0
    assert main(["--no-ui", "--quiet", "--config", str(first / "config.toml"), "--out", str(second)]) == 0

    def key(r):
        return r["generation"], r["id"], r["parent_a"], r["parent_b"], r["metric"], r["n_epochs"], r["genes"]

    assert [key(r) for r in rows(first / "evaluations.csv")] == [key(r) for r in rows(second / "evaluations.csv")]


def test_merge_off_run(tmp_path, tiny):
    out = tmp_path / "basic"
    assert main(["--no-ui", "--quiet", "--config", str(tiny), "--no-merge", "--out", str(out)]) == 0
    assert all(r["merged"] == "0" for r in rows(out / "evaluations.csv"))
    assert json.loads((out / "summary.json").read_text())["merge"] is False


def test_regression_run_on_real_wine_quality(tmp_path, tiny, shared_data):
    out = tmp_path / "wine"
    assert main(["--no-ui", "--quiet", "--config", str(tiny), "--dataset", "wine-quality",
                 "--data-dir", str(shared_data), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["task"] == "regression" and summary["metric_name"] == "mae"
    assert 0.3 < summary["best"]["metric"] < 1.5  # quality is 3..8; MAE in quality points
    assert all(r["genes"].split("loss=")[1].split()[0] in ("mae", "mse") for r in rows(out / "evaluations.csv"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--population", "ten"], "argument --population: expected an integer, got 'ten'"),
        (["--dataset", "mnist10k"], "unknown data set 'mnist10k' (did you mean 'mnist-10k'?)"),
        (["--merge-strategy", "avg"], "unknown merge strategy 'avg'"),
        (["--survivors", "30"], "ga.survivors: must be smaller than ga.population (20)"),
        (["--config", "/nonexistent/c.toml"], "config file not found: /nonexistent/c.toml"),
        (["--mutation-prob", "2"], "ga.mutation_prob: must be between 0 and 1"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--dataset", "boston", "--data-dir", "/nonexistent"], "--data-dir: /nonexistent is not a directory"),
        (["--out", "/etc/hostname/run"], "--out: cannot create /etc/hostname/run"),
        (["--workers", "x"], "argument --workers: expected an integer"),
        (["--workers", "0"], "argument --workers: must be a positive integer, got 0"),
        (["--workers", "-2"], "argument --workers: must be a positive integer, got -2"),
        (["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
        (["--config", "/etc/hostname"], "/etc/hostname: invalid TOML"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path):
    out = [] if "--out" in args else ["--out", str(tmp_path / "r")]
    argv = args if args == [] else ["--no-ui", *args, *out]
    proc = gaterm(*argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()  # nothing started


def test_a_missing_data_file_names_it_and_where_to_get_it(tmp_path):
    (tmp_path / "boston").mkdir()
    proc = gaterm("--no-ui", "--dataset", "boston", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "housing.data not found in" in proc.stderr and "https://" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_an_existing_run_is_never_overwritten(tmp_path, tiny):
    out = tmp_path / "run"
    out.mkdir()
    (out / "evaluations.csv").write_text("precious\n")
    proc = gaterm("--no-ui", "--config", str(tiny), "--out", str(out))
    assert proc.returncode == 2 and "already holds a run" in proc.stderr
    assert (out / "evaluations.csv").read_text() == "precious\n"


def test_plugins_command_lists_datasets_and_strategies_with_their_plugin():
    proc = gaterm("plugins")
    assert proc.returncode == 0, proc.stderr
    for name in ("digits", "mnist-10k", "wine-quality", "boston", "mean", "gaterm_builtin.datasets"):
        assert name in proc.stdout


def test_the_headless_path_never_imports_textual(tmp_path, tiny):
    code = (
        "import sys; from gaterm.cli import main;"
        f"rc = main(['--no-ui', '--quiet', '--config', {str(tiny)!r}, '--generations', '1', '--out', {str(tmp_path / 'r')!r}]);"
        "assert rc == 0; print('textual' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"


def test_ctrl_c_stops_cleanly_and_keeps_finished_work(tmp_path, tiny):
    out = tmp_path / "run"
    slow = tmp_path / "slow.toml"
    slow.write_text(TINY.replace("max_epochs = 3", "max_epochs = 200").replace("patience = 2", "patience = 200")
                    .replace("generations = 2", "generations = 5"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gaterm", "--no-ui", "--config", str(slow), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "120"},
    )
    evals = out / "evaluations.csv"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (evals.exists() and len(evals.read_text().splitlines()) >= 2):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "cancelled"
    finished = rows(evals)
    assert len(finished) == summary["evaluations"] >= 1
    assert len(finished) < 4 + 4 * 2


def test_headless_output_to_a_file_or_pipe_never_wraps_generation_lines():
    import io

    from gaterm.events import GenerationFinished, GenerationSummary
    from gaterm.headless import HeadlessView, make_console

    buf = io.StringIO()
    console = make_console(file=buf)
    assert not console.is_terminal and console.soft_wrap
    view = HeadlessView(console)
    view._metric = "mae-of-a-data-set-with-a-long-metric-name"
    view._print_generation(GenerationFinished(GenerationSummary(12, 20, 0.123456, 0.234567, 1.5, 123, 0.1, (1, 2))))
    lines = buf.getvalue().splitlines()
    assert len(lines) == 1 and len(lines[0]) > 80
    assert lines[0].startswith("generation 12:") and lines[0].endswith("#123 0.1")
