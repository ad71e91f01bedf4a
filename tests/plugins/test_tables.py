"""The built-in `table` data set: task inference, one-hot categories, dropped columns, imputation without
leaks, and a one-line error for every bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaterm.config import DataConfig, RunConfig
from gaterm.datasets import LoadContext, load_dataset
from gaterm.errors import DataError
from gaterm_builtin.tables import load_table


def animals(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """String class labels, a categorical feature, an id column and a constant column."""
    rng = np.random.default_rng(seed)
    size = rng.normal(0, 1, n)
    color = rng.choice(["red", "green", "blue"], n)
    label = np.where(size > 0.4, "dog", np.where(size < -0.4, "cat", "bird"))
    return pd.DataFrame({"animal_id": [f"A{i}" for i in range(n)], "size": size, "weight": 2 * size +
                         rng.normal(0, 0.1, n), "color": color, "farm": "Lund", "kind": label})


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "t.csv") -> Path:
    p = tmp_path / name
    frame.to_parquet(p) if name.endswith(".parquet") else frame.to_csv(p, index=False)
    return p


def load(path: Path, label: str = "kind", **kw):
    return load_table(LoadContext(None, 0, DataConfig(file=str(path), label=label, **kw)))


def test_string_labels_categories_ids_and_constants(tmp_path):
    raw = load(write(tmp_path, animals()))
    assert raw.task == "classification"
    assert raw.classes == ("bird", "cat", "dog")  # sorted; output index i is classes[i]
    assert raw.feature_names == ("size", "weight", "color=blue", "color=green", "color=red")
    assert dict(raw.table.dropped) == {"animal_id": "id-like: a different value in every row",
                                       "farm": "constant: the same value in every row"}
    assert any("'animal_id' dropped" in n for n in raw.notes) and any("'farm' dropped" in n for n in raw.notes)
    onehot = raw.x[:, 2:]
    assert set(onehot.sum(axis=1)) == {1.0}


def test_task_is_inferred_and_can_be_forced(tmp_path):
    f = animals()
    f["kind"] = np.round(f["size"] * 3).astype(int)  # a few distinct integers: classification
    assert load(write(tmp_path, f)).task == "classification"
    f["kind"] = f["size"] * 10.5  # floats: regression
    raw = load(write(tmp_path, f))
    assert raw.task == "regression" and raw.classes is None
    f["kind"] = np.arange(len(f)) % 3  # integers forced to regression
    assert load(write(tmp_path, f), task="regression").task == "regression"


def test_integer_class_labels_stay_numbers(tmp_path):
    f = animals()
    f["kind"] = np.where(f["size"] > 0, 7, 3)
    assert load(write(tmp_path, f)).classes == (3, 7)


def test_parquet_reads_like_csv(tmp_path):
    pytest.importorskip("pyarrow")
    a = load(write(tmp_path, animals(), "t.parquet"))
    b = load(write(tmp_path, animals(), "t.csv"))
    assert a.feature_names == b.feature_names and np.allclose(a.x, b.x) and (a.y == b.y).all()


def test_imputation_uses_training_rows_only(tmp_path):
    f = animals(200)
    f.loc[::7, "size"] = np.nan
    f.loc[::11, "color"] = np.nan
    path = write(tmp_path, f)
    with pytest.raises(DataError, match=r"row\(s\) have missing values, in columns 'size' \(29\), 'color' \(19\)"):
        load(path)
    cfg = RunConfig(dataset="table", data=DataConfig(file=str(path), label="kind", impute="median"))
    from gaterm.plugins import load_plugins

    ds = load_dataset(load_plugins().dataset("table"), cfg, None)
    raw = load(path, impute="median")
    train = raw.x[ds.split_rows["train"]]
    assert ds.impute_values[0] == pytest.approx(np.nanmedian(train[:, 0]))  # the training split's median
    assert ds.impute_values[0] != pytest.approx(np.nanmedian(raw.x[:, 0]))  # not the whole file's
    assert raw.table.columns[2].fill == f["color"].mode()[0]  # categories: the most frequent value
    assert np.isfinite(ds.x_train).all() and np.isfinite(ds.x_test).all()


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p.write_bytes(b"\x00\x01\xff\xfe" * 100), "not a text table"),
    (lambda p: p.write_text("just_one_column\n1\n2\n"), "not a table: found 1 column"),
    (lambda p: p.write_text(""), "the file is empty"),
    (lambda p: p.write_text("a,kind\n"), "header but no rows"),
    (lambda p: p.unlink(), "no such file"),
])
def test_bad_files_give_one_line(tmp_path, change, message):
    path = write(tmp_path, animals())
    change(path)
    with pytest.raises(DataError, match=message) as exc:
        load(path)
    assert "\n" not in str(exc.value)


def test_bad_tables_give_one_line(tmp_path):
    f = animals()
    with pytest.raises(DataError, match=r"no label column 'knd' \(did you mean 'kind'\?\); the columns are"):
        load(write(tmp_path, f), label="knd")
    g = f.copy()
    g.loc[3, "kind"] = None
    with pytest.raises(DataError, match="the label column 'kind' has 1 missing value"):
        load(write(tmp_path, g))
    g = f.copy()
    g["kind"] = "dog"
    with pytest.raises(DataError, match="holds one class only \\('dog'\\)"):
        load(write(tmp_path, g))
    with pytest.raises(DataError, match="regression needs a numeric label, but 'kind' holds 'bird'"):
        load(write(tmp_path, f), task="regression")
    with pytest.raises(DataError, match="no usable feature columns"):
        load(write(tmp_path, f[["animal_id", "farm", "kind"]]))


def test_unreadable_parquet_and_missing_pyarrow_are_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "t.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load(bad)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)  # as if it were not installed
    with pytest.raises(DataError, match=r"reading Parquet needs pyarrow: pip install 'gaterm\[parquet\]'"):
        load(bad)


def test_a_constant_regression_label_is_an_error(tmp_path):
    f = animals()
    f["kind"] = 2.5
    with pytest.raises(DataError, match="holds one value only; nothing to learn"):
        load(write(tmp_path, f), task="regression")
