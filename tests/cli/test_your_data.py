"""Your data in, a usable model out: `--data FILE --label COLUMN` runs, `gaterm predict` reproduces the run's own
evaluation, `gaterm export` gives the same numbers without gaterm, `--init-from` warm starts, and bad input
is one line with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from procs import csv_rows as rows

from gaterm.cli import main
from gaterm.config import load_config
from gaterm.model import TrainedModel
from gaterm.plugins import load_plugins
from gaterm.session import open_dataset

GENES = """
seed = 1
[ga]
population = 4
survivors = 2
generations = 2
schedule = "generational"
[training]
max_epochs = 3
patience = 2
prune = false
[genes]
neurons = [8, 16]
layers = [1]
batch_size = [32]
optimizer = ["adam"]
"""


def animals(n: int = 150, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.normal(0, 1, n)
    color = rng.choice(["red", "green", "blue"], n)
    label = np.where(size > 0.4, "dog", np.where(size < -0.4, "cat", "bird"))
    return pd.DataFrame({"animal_id": [f"A{i}" for i in range(n)], "size": size,
                         "weight": 2 * size + rng.normal(0, 0.3, n), "color": color, "kind": label})


def houses(n: int = 160, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 200, n)
    town = rng.choice(["Lund", "Malmo"], n)
    price = 3000 * area + np.where(town == "Lund", 50_000, 0) + rng.normal(0, 20_000, n)
    return pd.DataFrame({"house": np.arange(n) + 1000, "area": area, "town": town, "price": price})



@pytest.fixture
def genes(tmp_path) -> Path:
    p = tmp_path / "genes.toml"
    p.write_text(GENES)
    return p


def run(tmp_path: Path, genes: Path, frame: pd.DataFrame, label: str, name: str, *extra: str) -> Path:
    data = tmp_path / f"{name}.csv"
    if not data.exists():
        frame.to_csv(data, index=False)
    out = tmp_path / name
    assert main(["--no-ui", "--quiet", "--config", str(genes), "--data", str(data), "--label", label,
                 "--out", str(out), *extra]) == 0
    return out


def split_frame(run_dir: Path, frame: pd.DataFrame, split: str) -> pd.DataFrame:
    """The rows of `frame` the run put in `split`, rebuilt from its config (the same loader and seed)."""
    cfg = load_config(run_dir / "config.toml")
    ps = load_plugins()
    ds = open_dataset(ps, ps.dataset(cfg.dataset), cfg, None)
    return frame.iloc[ds.split_rows[split]]


def test_classification_csv_runs_and_predict_reproduces_the_test_metric(tmp_path, genes, capsys):
    frame = animals()
    out = run(tmp_path, genes, frame, "kind", "animals")
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    prep = json.loads((out / "preprocessing.json").read_text())
    assert prep["classes"] == ["bird", "cat", "dog"] and prep["task"] == "classification"
    assert prep["table"]["dropped"] == {"animal_id": "id-like: a different value in every row"}
    assert prep["table"]["columns"][2] == {"name": "color", "kind": "category",
                                           "categories": ["blue", "green", "red"], "fill": None}
    assert any("'animal_id' dropped" in n for n in summary["data_notes"])
    assert (out / "survivors.pt").is_file()

    test_rows = tmp_path / "test_rows.csv"
    split_frame(out, frame, "test").to_csv(test_rows, index=False)
    pred_csv = tmp_path / "pred.csv"
    assert main(["predict", str(out), str(test_rows), "--out", str(pred_csv)]) == 0
    err = capsys.readouterr().err
    accuracy = float(err.split("accuracy ")[1].split()[0])
    assert accuracy == pytest.approx(summary["best"]["test_metric"], abs=1e-6)
    preds = rows(pred_csv)
    assert len(preds) == summary["split_sizes"]["test"]
    assert set(preds[0]) == {"animal_id", "prediction", "p_bird", "p_cat", "p_dog"}
    assert {p["prediction"] for p in preds} <= {"bird", "cat", "dog"}
    assert sum(float(preds[0][f"p_{c}"]) for c in ("bird", "cat", "dog")) == pytest.approx(1, abs=1e-5)

    # the whole file, label column present: one prediction per row, in the file's order
    assert main(["predict", str(out), str(tmp_path / "animals.csv"), "--out", str(pred_csv)]) == 0
    assert [p["animal_id"] for p in rows(pred_csv)] == list(frame["animal_id"])


def test_regression_csv_predicts_in_target_units(tmp_path, genes, capsys):
    frame = houses()
    out = run(tmp_path, genes, frame, "price", "houses")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["task"] == "regression"
    capsys.readouterr()
    test_rows = tmp_path / "test_rows.csv"
    split_frame(out, frame, "test").drop(columns=["house"]).to_csv(test_rows, index=False)
    pred_csv = tmp_path / "pred.csv"
    assert main(["predict", str(out), str(test_rows), "--out", str(pred_csv)]) == 0
    mae = float(capsys.readouterr().err.split("mae ")[1].split()[0])
    assert mae == pytest.approx(summary["best"]["test_metric"], rel=1e-4)
    preds = [float(r["prediction"]) for r in rows(pred_csv)]
    assert 100_000 < np.mean(preds) < 800_000  # in the target's units, not standardized


def test_exported_model_gives_predicts_outputs_without_gaterm(tmp_path, genes, capsys):
    frame = animals()
    out = run(tmp_path, genes, frame, "kind", "animals")
    assert main(["export", str(out), "--out", str(tmp_path / "model.pt")]) == 0
    layout = json.loads((tmp_path / "model.pt.json").read_text())
    assert layout["features"] == ["size", "weight", "color=blue", "color=green", "color=red"]
    model = TrainedModel.load(out)
    x, _ = model.encode(frame, "animals.csv")
    np.save(tmp_path / "x.npy", x)
    site = str(Path(torch.__file__).resolve().parents[1])  # torch and numpy, without gaterm's editable finder
    script = (
        "import sys, importlib.util\n"
        f"sys.path.append({site!r})\n"
        "import numpy as np, torch\n"
        "assert importlib.util.find_spec('gaterm') is None, 'gaterm is importable'\n"
        f"m = torch.jit.load({str(tmp_path / 'model.pt')!r})\n"
        f"y = m(torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))).numpy()\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, y)\n"
        "assert not any(k.startswith('gaterm') for k in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    exported = np.load(tmp_path / "y.npy")
    np.testing.assert_array_equal(exported, model.outputs(x))
    assert np.allclose(exported.sum(axis=1), 1, atol=1e-5)


def test_onnx_without_the_package_is_one_line(tmp_path, genes, capsys, monkeypatch):
    out = run(tmp_path, genes, animals(), "kind", "animals")
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    assert main(["export", str(out), "--format", "onnx"]) == 2
    assert "--format onnx needs the onnx package" in capsys.readouterr().err


def test_onnx_export_gives_predicts_outputs(tmp_path, genes, capsys):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    frame = houses()
    out = run(tmp_path, genes, frame, "price", "houses")
    assert main(["export", str(out), "--format", "onnx", "--out", str(tmp_path / "m.onnx")]) == 0
    model = TrainedModel.load(out)
    x, _ = model.encode(frame, "houses.csv")
    y = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x})[0]
    np.testing.assert_allclose(y[:, 0], model.outputs(x), rtol=1e-6)  # float rounding only


def test_warm_start_continues_a_run(tmp_path, genes, capsys):
    frame = animals()
    first = run(tmp_path, genes, frame, "kind", "animals")
    capsys.readouterr()
    second = tmp_path / "second"
    assert main(["--no-ui", "--config", str(genes), "--data", str(tmp_path / "animals.csv"), "--label", "kind",
                 "--out", str(second), "--init-from", str(first), "--generations", "1"]) == 0
    assert "2 with their trained weights (same splits)" in capsys.readouterr().err
    before = rows(first / "evaluations.csv")
    best_first = sorted(before, key=lambda r: (-float(r["metric"]), int(r["id"])))
    distinct = list(dict.fromkeys(r["genes"] for r in best_first))[:4]
    gen0 = [r for r in rows(second / "evaluations.csv") if r["generation"] == "0"]
    assert [r["genes"] for r in gen0][: len(distinct)] == distinct
    assert max(float(r["val_metric"]) for r in gen0) >= float(best_first[0]["val_metric"])

    # other split settings: genes only, said in one line
    third = tmp_path / "third"
    assert main(["--no-ui", "--config", str(genes), "--data", str(tmp_path / "animals.csv"), "--label", "kind",
                 "--out", str(third), "--init-from", str(first), "--generations", "1", "--seed", "9"]) == 0
    assert "genes only: the data or split settings differ" in capsys.readouterr().err


def test_warm_start_keeps_trained_weights_exactly_when_training_cannot_improve(tmp_path, genes, capsys):
    """With the same splits and a min_delta no epoch can beat, a seeded individual keeps its weights: its
    validation metric is exactly the previous run's."""
    first = run(tmp_path, genes, animals(), "kind", "animals")
    best = json.loads((first / "summary.json").read_text())["best"]
    second = tmp_path / "second"
    assert main(["--no-ui", "--quiet", "--config", str(genes), "--data", str(tmp_path / "animals.csv"),
                 "--label", "kind", "--out", str(second), "--init-from", str(first), "--generations", "1",
                 "--min-delta", "100"]) == 0
    seeded = next(r for r in rows(second / "evaluations.csv") if r["genes"] == best["genes"])
    assert float(seeded["val_metric"]) == pytest.approx(best["val_metric"])
    assert seeded["best_epoch"] == "0"


def test_table_runs_with_worker_processes(tmp_path, genes):
    frame = houses()
    serial = run(tmp_path, genes, frame, "price", "houses")
    parallel = run(tmp_path, genes, frame, "price", "houses2", "--workers", "2")
    a = [(r["genes"], r["val_metric"]) for r in rows(serial / "evaluations.csv")]
    b = [(r["genes"], r["val_metric"]) for r in rows(parallel / "evaluations.csv")]
    assert a == b


def test_data_in_a_config_file_is_relative_to_it(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    animals().to_csv(tmp_path / "d" / "a.csv", index=False)
    cfg = tmp_path / "d" / "run.toml"
    cfg.write_text(GENES + '[data]\nfile = "a.csv"\nlabel = "kind"\n')
    assert main(["--no-ui", "--quiet", "--config", str(cfg), "--out", str(tmp_path / "r")]) == 0
    saved = load_config(tmp_path / "r" / "config.toml")
    assert saved.dataset == "table" and saved.data.file == str(tmp_path / "d" / "a.csv")


@pytest.mark.parametrize(("make", "args", "message"), [
    (lambda p: animals().to_csv(p, index=False), ["--label", "knd"], "no label column 'knd' (did you mean 'kind'?)"),
    (lambda p: p.write_text("x\n1\n"), ["--label", "x"], "not a table: found 1 column"),
    (lambda p: p.write_text("size,kind\n1.5,a\n2.5,b\n3.5,a\n"), ["--label", "kind"], "too few rows (3)"),
    (lambda p: animals().assign(kind="dog").to_csv(p, index=False), ["--label", "kind"], "one class only"),
    (lambda p: animals().assign(size=[None] + [1.0] * 149).to_csv(p, index=False), ["--label", "kind"],
     "1 row(s) have missing values, in columns 'size' (1)"),
    (lambda p: animals().to_csv(p, index=False), ["--label", "kind", "--dataset", "digits"],
     "data.file: only the 'table' data set reads a file"),
    (lambda p: animals().to_csv(p, index=False), ["--label", "kind", "--task", "clasification"],
     "argument --task: invalid choice"),
    (lambda p: None, ["--label", "kind"], "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, make, args, message):
    path = tmp_path / "in.csv"
    make(path)
    assert main(["--no-ui", "--data", str(path), "--population", "4", "--survivors", "2", "--generations", "1",
                 "--out", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaterm: error: ") and message in err and err.count("\n") == 1


def test_predict_bad_input_is_one_line_and_exit_2(tmp_path, genes, capsys):
    frame = animals()
    out = run(tmp_path, genes, frame, "kind", "animals")
    cases = [
        (frame.drop(columns=["weight"]), "missing 1 column(s) the model was trained on: 'weight'"),
        (frame.assign(size=["big", *list(frame["size"][1:])]), "column 'size' must hold numbers, but row 1 holds 'big'"),
        (frame.assign(weight=[None, *list(frame["weight"][1:])]), "have missing values, in columns 'weight' (1); drop or fill them (the run did not impute)"),
    ]
    for bad, message in cases:
        capsys.readouterr()
        bad.to_csv(tmp_path / "bad.csv", index=False)
        assert main(["predict", str(out), str(tmp_path / "bad.csv")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    capsys.readouterr()
    assert main(["predict", str(tmp_path), str(tmp_path / "animals.csv")]) == 2
    assert "has no preprocessing.json" in capsys.readouterr().err
    (out / "summary.json").unlink()  # as for a run still going, or killed
    assert main(["export", str(out)]) == 2
    assert "has no summary.json: the run has not finished" in capsys.readouterr().err


def test_predict_notes_extra_columns_and_unseen_categories(tmp_path, genes, capsys):
    frame = animals()
    out = run(tmp_path, genes, frame, "kind", "animals")
    capsys.readouterr()
    frame.assign(color=["purple", *list(frame["color"][1:])], owner="me").drop(columns=["kind"]).to_csv(
        tmp_path / "new.csv", index=False)
    assert main(["predict", str(out), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err
    assert "note: ignored 1 column(s) the model does not use: 'owner'" in err
    assert "note: column 'color': 1 row(s) hold categories not seen in training ('purple'); encoded as all zeros" in err
    assert "accuracy" not in err  # no label column: no metric
    assert len(rows(tmp_path / "p.csv")) == len(frame)


def test_warm_start_refuses_another_data_set(tmp_path, genes, capsys):
    first = run(tmp_path, genes, animals(), "kind", "animals")
    houses().to_csv(tmp_path / "houses.csv", index=False)
    capsys.readouterr()
    assert main(["--no-ui", "--config", str(genes), "--data", str(tmp_path / "houses.csv"), "--label", "price",
                 "--out", str(tmp_path / "x"), "--init-from", str(first)]) == 2
    err = capsys.readouterr().err
    assert "--init-from:" in err and "was trained on different task" in err and err.count("\n") == 1


def test_builtin_data_sets_store_their_preprocessing_too(tmp_path, capsys):
    cfg = tmp_path / "d.toml"
    cfg.write_text(GENES.replace("seed = 1", 'dataset = "digits"\nseed = 1'))
    assert main(["--no-ui", "--quiet", "--config", str(cfg), "--out", str(tmp_path / "r")]) == 0
    prep = json.loads((tmp_path / "r" / "preprocessing.json").read_text())
    assert prep["features"][:2] == ["x0", "x1"] and len(prep["features"]) == 64
    assert prep["classes"] == list(range(10)) and prep["table"] is None
    assert prep["x_shift"] == [0.0] * 64 and prep["x_scale"] == [16.0] * 64  # digits: pixels / 16


def test_the_ui_gets_the_table_from_the_command_line(tmp_path, monkeypatch):
    import gaterm.tui
    from gaterm.tui.app import GatermApp

    built = []

    def fake_run_tui(config, keys_file=None, **options):
        built.append(GatermApp(config, **options))
        return 0

    monkeypatch.setattr(gaterm.tui, "run_tui", fake_run_tui)
    animals().to_csv(tmp_path / "a.csv", index=False)
    assert main(["--data", str(tmp_path / "a.csv"), "--label", "kind", "--impute", "median"]) == 0
    cfg = built[0].initial_config
    assert cfg.dataset == "table" and cfg.data.file == str(tmp_path / "a.csv") and cfg.data.impute == "median"


def test_imputing_runs_fill_new_gaps_the_same_way(tmp_path, genes, capsys):
    frame = animals()
    frame.loc[::9, "size"] = np.nan
    frame.loc[::13, "color"] = np.nan
    out = run(tmp_path, genes, frame, "kind", "gappy", "--impute", "median")
    prep = json.loads((out / "preprocessing.json").read_text())
    train = split_frame(out, frame, "train")
    assert prep["impute_values"][0] == pytest.approx(train["size"].median())  # the training rows' median
    assert prep["table"]["columns"][2]["fill"] == frame["color"].mode()[0]
    capsys.readouterr()
    assert main(["predict", str(out), str(tmp_path / "gappy.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    assert "accuracy" in capsys.readouterr().err
    assert len(rows(tmp_path / "p.csv")) == len(frame)


def test_warm_start_with_worker_processes_gives_the_serial_result(tmp_path, genes, capsys):
    first = run(tmp_path, genes, animals(), "kind", "animals")
    results = []
    for name, extra in (("serial", []), ("parallel", ["--workers", "2"])):
        assert main(["--no-ui", "--quiet", "--config", str(genes), "--data", str(tmp_path / "animals.csv"),
                     "--label", "kind", "--out", str(tmp_path / name), "--init-from", str(first), *extra]) == 0
        results.append([(r["genes"], r["val_metric"], r["best_epoch"]) for r in rows(tmp_path / name / "evaluations.csv")])
    assert results[0] == results[1]


def test_a_dask_cluster_loads_the_table_itself(tmp_path, genes):
    distributed = pytest.importorskip("distributed")
    from gaterm.engine.backends import DaskBackend
    from gaterm.engine.engine import Engine
    from gaterm.session import make_engine

    houses().to_csv(tmp_path / "h.csv", index=False)
    cfg = load_config(genes)
    cfg.dataset, cfg.data.file, cfg.data.label = "table", str(tmp_path / "h.csv"), "price"
    cfg.ga.merge = False
    ps = load_plugins()
    ds = open_dataset(ps, ps.dataset("table"), cfg, None)
    serial = make_engine(cfg, ds, None, []).run()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster, distributed.Client(cluster) as client:
        remote = Engine(cfg, ds, None, backend=DaskBackend(client, None)).run()
    assert [(r.genes, r.val_metric) for r in remote.records] == [(r.genes, r.val_metric) for r in serial.records]


def test_a_killed_table_run_resumes_to_the_uninterrupted_result(tmp_path, genes):
    import os
    import signal
    import time

    frame = animals()
    reference = run(tmp_path, genes, frame, "kind", "animals", "--generations", "4")
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "gaterm", "--no-ui", "--quiet", "--config", str(genes), "--data",
                             str(tmp_path / "animals.csv"), "--label", "kind", "--generations", "4", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if not (out / "checkpoint.pt").exists():
        pytest.skip("the run finished before it could be killed")
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    key = ("generation", "id", "genes", "val_metric", "test_metric")
    assert [tuple(r[k] for k in key) for r in rows(out / "evaluations.csv")] == \
        [tuple(r[k] for k in key) for r in rows(reference / "evaluations.csv")]
    assert (out / "preprocessing.json").read_text() == (reference / "preprocessing.json").read_text()
