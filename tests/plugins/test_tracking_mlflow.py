"""The built-in MLflow listener against a real tracking store (a SQLite file in tmp_path): one parent run per
gaterm run, one nested run per row of evaluations.csv with the same metrics, resumed runs continuing the same
parent run without duplicates, and an unreachable server costing one warning, never the run."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gaterm.cli import main

mlflow = pytest.importorskip("mlflow")

CONFIG = """
dataset = "digits"
seed = 5
[ga]
population = 6
survivors = 3
generations = 4
mutation_prob = 0.3
[training]
max_epochs = 4
patience = 2
[genes]
neurons = [8, 16, 32]
layers = [1, 2]
batch_size = [64, 128]
"""
ROW_METRICS = ("metric", "val_loss", "n_epochs", "best_epoch", "training_time", "merge_time")


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    return path


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> Path:
    """An empty MLflow SQLite store, made once (creating one runs MLflow's schema migrations, 1-2 s)."""
    db = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    client_for(f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture
def store(tmp_path, empty_db) -> str:
    """A new, empty store in tmp_path: a copy of `empty_db`, which is what creating it would give."""
    db = tmp_path / "store" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(empty_db, db)
    return f"sqlite:///{db}"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def client_for(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def parents_and_children(uri: str, experiment: str = "gaterm"):
    client = client_for(uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], max_results=5000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return client, parents, children


def assert_store_matches_run_dir(uri: str, run_dir: Path) -> None:
    """One parent run; its nested runs equal evaluations.csv row for row; its step metrics generations.csv."""
    client, parents, children = parents_and_children(uri)
    assert len(parents) == 1
    parent = parents[0]
    assert json.loads((run_dir / "tracking.json").read_text())["parent_run_id"] == parent.info.run_id
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    rows = read_csv(run_dir / "evaluations.csv")
    by_key = {(int(c.data.tags["generation"]), int(c.data.tags["id"])): c for c in children}
    assert len(by_key) == len(children) == len(rows)  # no duplicated evaluation
    for row in rows:
        child = by_key[(int(row["generation"]), int(row["id"]))]
        for k in ROW_METRICS:
            assert child.data.metrics[k] == pytest.approx(float(row[k]), rel=1e-12), k
        for k in ("val_metric", "test_metric"):  # logged when the records carry them
            if row.get(k):
                assert child.data.metrics[k] == pytest.approx(float(row[k]), rel=1e-12), k
        assert child.data.tags["status"] == row["status"]
        assert child.data.tags["genes"] == row["genes"] == child.data.params["genes"]
        parents_tag = f"{row['parent_a']} {row['parent_b']}" if row["parent_a"] else None
        assert child.data.tags.get("parents") == parents_tag
        assert child.data.params["optimizer"] == row["genes"].split()[0]
        assert child.info.status == "FINISHED"
    gens = read_csv(run_dir / "generations.csv")
    history = client.get_metric_history(parent.info.run_id, "best_metric")
    assert sorted(m.step for m in history) == [int(g["generation"]) for g in gens]
    for m in history:
        assert m.value == pytest.approx(float(gens[m.step]["best_metric"]), rel=1e-12)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["stop_reason"] == summary["stop_reason"]
    assert parent.data.tags["run_dir"] == str(run_dir.resolve())
    assert parent.data.tags["dataset"] == "digits" and parent.data.tags["merge"] == "on"
    assert parent.data.tags["merge_strategy"] == "select"
    assert parent.data.params["ga.population"] == "6" and parent.data.params["genes.neurons"] == "8,16,32"
    assert "tracking.mlflow_uri" not in parent.data.params
    assert parent.data.metrics["run_best_metric"] == pytest.approx(summary["best"]["metric"], rel=1e-12)
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"summary.json", "best_model.pt", "config.toml"} <= artifacts


def test_a_headless_run_is_one_parent_run_with_a_nested_run_per_evaluation(config, store, tmp_path, capfd):
    out = tmp_path / "run"
    assert main(["--no-ui", "--quiet", "--config", str(config), "--out", str(out), "--mlflow", store]) == 0
    err = capfd.readouterr().err
    assert "warning" not in err and "INFO" not in err, err
    assert_store_matches_run_dir(store, out)
    # the config file's [tracking] does the same, in another experiment
    cfg2 = tmp_path / "c2.toml"
    cfg2.write_text(CONFIG + f'[tracking]\nmlflow_uri = "{store}"\nexperiment = "other"\n')
    assert main(["--no-ui", "--quiet", "--config", str(cfg2), "--out", str(tmp_path / "run2"),
                 "--generations", "1"]) == 0
    _, parents, children = parents_and_children(store, "other")
    assert len(parents) == 1 and len(children) == 6


def test_a_cancelled_then_resumed_run_continues_the_same_parent_run_without_duplicates(config, store, tmp_path):
    """Cancelled mid-generation 1 (one of its evaluations already logged), then resumed: the interrupted
    generation's nested run is deleted, evaluated again, logged once."""
    from gaterm.config import config_from
    from gaterm.events import EvaluationFinished
    from gaterm.listeners import RunContext, open_listeners
    from gaterm.rundir.writer import RunWriter
    from gaterm.session import make_engine, open_dataset, open_plugins
    from gaterm.states import StopReason

    out = tmp_path / "run"
    ps = open_plugins()
    cfg = config_from(config, {"tracking": {"mlflow_uri": store}})
    dataset = open_dataset(ps, ps.dataset("digits"), cfg, None)
    finished = []

    def count(event) -> None:
        if isinstance(event, EvaluationFinished):
            finished.append(event.record)

    warnings: list[str] = []
    listeners = open_listeners(ps, RunContext(out, cfg, warn=warnings.append))
    engine = make_engine(cfg, dataset, ps.merge_strategy("select"), [RunWriter(out), *listeners, count],
                         should_stop=lambda: len(finished) >= 7)  # generation 0 has 6
    assert engine.run().stop_reason is StopReason.CANCELLED and not warnings
    _, parents, children = parents_and_children(store)
    assert len(parents) == 1 and parents[0].info.status == "KILLED"
    assert sorted(int(c.data.tags["generation"]) for c in children) == [0] * 6 + [1]
    parent_id = parents[0].info.run_id

    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    assert_store_matches_run_dir(store, out)
    client, parents, _ = parents_and_children(store)
    assert parents[0].info.run_id == parent_id
    from mlflow.entities import ViewType

    exp = client.get_experiment_by_name("gaterm")
    deleted = client.search_runs([exp.experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [int(r.data.tags["generation"]) for r in deleted] == [1]


def n_rows(path: Path) -> int:
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


def test_a_killed_then_resumed_run_has_one_parent_run_and_no_duplicated_evaluation(config, store, tmp_path):
    """SIGKILL mid-generation 1 (rows may be logged or still queued), then resume."""
    client_for(store).search_experiments()  # the store's tables exist before the run starts
    out = tmp_path / "run"
    env = {**os.environ, "GATERM_FAULT_CHECKPOINT_DELAY_S": "1"}  # a slower run: time to kill it mid-way
    proc = subprocess.Popen([sys.executable, "-m", "gaterm", "--no-ui", "--quiet", "--config", str(config),
                             "--out", str(out), "--mlflow", store],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    evals, deadline = out / "evaluations.csv", time.monotonic() + 120
    while proc.poll() is None and n_rows(evals) < 8 and time.monotonic() < deadline:  # generation 0 has 6
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.fail(f"the run ended before it could be killed: {proc.stderr.read()}")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = json.loads((out / "tracking.json").read_text()) if (out / "tracking.json").exists() else None
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    assert_store_matches_run_dir(store, out)
    if before is not None:  # the parent run existed when it was killed: the resumed run continued it
        assert json.loads((out / "tracking.json").read_text())["parent_run_id"] == before["parent_run_id"]


def test_an_unreachable_server_is_one_warning_and_the_run_completes(config, tmp_path, dead_url, capfd):
    out = tmp_path / "run"
    t0 = time.monotonic()
    assert main(["--no-ui", "--quiet", "--config", str(config), "--out", str(out), "--generations", "2",
                 "--mlflow", dead_url]) == 0
    elapsed = time.monotonic() - t0
    err = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("warning: tracking: cannot reach the MLflow server at "), err
    assert "the run goes on without it" in err[0]
    assert json.loads((out / "summary.json").read_text())["stop_reason"] == "generations"
    assert (out / "best_model.pt").is_file() and n_rows(out / "evaluations.csv") == 9
    assert not (out / "tracking.json").exists()
    assert elapsed < 60  # no retries against a closed port


def test_a_plain_directory_gets_a_sqlite_store_in_it(config, tmp_path):
    out, where = tmp_path / "run", tmp_path / "tracking"
    assert main(["--no-ui", "--quiet", "--config", str(config), "--out", str(out), "--generations", "1",
                 "--mlflow", str(where)]) == 0
    uri = f"sqlite:///{where / 'mlflow.db'}"
    assert json.loads((out / "tracking.json").read_text())["mlflow_uri"] == uri
    _, parents, children = parents_and_children(uri)
    assert len(parents) == 1 and len(children) == 6
    assert (where / "mlartifacts").is_dir()


def test_tracking_is_off_without_a_uri_and_mlflow_is_not_imported(config, tmp_path):
    out = tmp_path / "run"
    code = ("import sys; from gaterm.cli import main; "
            f"rc = main(['--no-ui', '--quiet', '--config', {str(config)!r}, '--out', {str(out)!r}, "
            "'--generations', '1']); assert rc == 0, rc; assert 'mlflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    assert not (out / "tracking.json").exists()


def test_mlflow_given_on_resume_logs_the_whole_run_to_a_new_parent_run(config, store, tmp_path):
    """A run without tracking, cancelled mid-generation 1, resumed with --mlflow: every row is in the store."""
    from gaterm.config import config_from
    from gaterm.events import EvaluationFinished
    from gaterm.rundir.writer import RunWriter
    from gaterm.session import make_engine, open_dataset, open_plugins

    out = tmp_path / "run"
    ps = open_plugins()
    cfg = config_from(config)
    n = []
    engine = make_engine(cfg, open_dataset(ps, ps.dataset("digits"), cfg, None), ps.merge_strategy("select"),
                         [RunWriter(out), lambda e: n.append(1) if isinstance(e, EvaluationFinished) else None],
                         should_stop=lambda: len(n) >= 7)
    engine.run()
    assert not (out / "tracking.json").exists()
    assert main(["--no-ui", "--quiet", "--resume", str(out), "--mlflow", store]) == 0
    assert_store_matches_run_dir(store, out)


def test_every_compare_arm_is_a_parent_run(config, store, tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "--quiet", "--config", str(config), "--seeds", "1", "--generations", "1",
                 "--no-paired-control", "--out", str(out), "--mlflow", store]) == 0
    _, parents, children = parents_and_children(store)
    arms = {p.data.tags["compare_arm"]: p for p in parents}
    assert set(arms) == {"basic", "merge-select"} and len(children) == 12
    assert arms["basic"].data.tags["merge"] == "off" and arms["basic"].info.run_name == "digits-seed-0-basic"
    for arm, parent in arms.items():
        assert parent.data.tags["run_dir"] == str((out / "digits" / "seed-0" / arm).resolve())
