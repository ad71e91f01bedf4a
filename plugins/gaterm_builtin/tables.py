"""The built-in `table` data set: your own CSV or Parquet file, with the label column named in the config's
`[data]` section (`gaterm --no-ui --data FILE --label COLUMN`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gaterm.plugin import (
    CATEGORY,
    NUMBER,
    DataError,
    DatasetSpec,
    LoadContext,
    RawData,
    TableColumn,
    TableLayout,
    as_text,
    column_named,
    encode_table,
    hookimpl,
    is_numeric,
    missing_error,
    read_table,
)

MAX_INFERRED_CLASSES = 20  # a numeric label with at most this many distinct integers is classification


def infer_task(label: Any) -> tuple[str, str]:
    """(task, why) for a label column: non-numeric, or a few distinct integers, is classification."""
    if not is_numeric(label) or label.dtype == bool:
        return "classification", "its values are not numbers"
    values = label.to_numpy(np.float64)
    distinct = np.unique(values)
    if np.all(values == np.round(values)) and len(distinct) <= MAX_INFERRED_CLASSES:
        return "classification", f"{len(distinct)} distinct integers"
    return "regression", "numbers"


def label_classes(label: Any) -> tuple[tuple[Any, ...], np.ndarray]:
    """(classes in output order, class index per row): numbers sorted numerically (kept as numbers), anything
    else as text, sorted."""
    if is_numeric(label) and label.dtype != bool:
        values = label.to_numpy(np.float64)
        whole = np.all(values == np.round(values))
        distinct = np.unique(values)
        classes = tuple(int(v) if whole else float(v) for v in distinct)
        return classes, np.searchsorted(distinct, values).astype(np.int64)
    text = as_text(label)
    names = sorted(set(text.tolist()))
    index = {c: i for i, c in enumerate(names)}
    return tuple(names), np.asarray([index[v] for v in text.tolist()], dtype=np.int64)


def infer_layout(
    frame: Any, label: str, impute: bool, classes: tuple[Any, ...] | None
) -> tuple[TableLayout, list[str]]:
    """The input columns (numbers, categories one-hot), the dropped ones (id-like, constant), and one note per
    decision the user should hear about."""
    columns: list[TableColumn] = []
    dropped: list[tuple[str, str]] = []
    notes: list[str] = []
    n = len(frame)
    for name in frame.columns:
        if name == label:
            continue
        s = frame[name]
        numeric = is_numeric(s)
        if s.nunique(dropna=False) <= 1:
            dropped.append((name, "constant: the same value in every row"))
        elif n > 2 and s.notna().all() and s.nunique() == n and not (numeric and s.dtype.kind == "f"):
            dropped.append((name, "id-like: a different value in every row"))
        elif numeric:
            columns.append(TableColumn(name, NUMBER))
        else:
            text = as_text(s)
            cats = tuple(sorted(set(text.dropna().tolist())))
            fill = str(text.mode(dropna=True).iloc[0]) if impute else None  # also for new rows in predict
            columns.append(TableColumn(name, CATEGORY, cats, fill))
            notes.append(f"column {name!r}: one-hot encoded, {len(cats)} categories (learned from the whole file: "
                         f"feature values only, never the label)")
    for name, why in dropped:
        notes.append(f"column {name!r} dropped: {why}")
    return TableLayout(label, tuple(columns), tuple(dropped), impute, classes), notes


def load_table(ctx: LoadContext) -> RawData:
    t = ctx.table
    if not t.file or not t.label:
        raise DataError("data set 'table' reads your file: give --data FILE --label COLUMN (or [data] file and "
                        "label in the config)")
    frame = read_table(t.file)
    where = t.file
    label = column_named(frame, t.label, where, "label column")
    if label.isna().any():
        raise DataError(f"{where}: the label column {t.label!r} has {int(label.isna().sum())} missing value(s); "
                        f"every row needs a label")
    notes: list[str] = []
    if t.task == "auto":
        task, why = infer_task(label)
        notes.append(f"task: {task} on {t.label!r} ({why}; force it with --task)")
    else:
        task = t.task
    classes: tuple[Any, ...] | None = None
    if task == "classification":
        classes, y = label_classes(label)
        if len(classes) < 2:
            raise DataError(f"{where}: the label column {t.label!r} holds one class only ({classes[0]!r}); "
                            f"classification needs at least two")
    else:
        if not is_numeric(label) or label.dtype == bool:
            bad = next(v for v in label.tolist() if not isinstance(v, (int, float)))
            raise DataError(f"{where}: regression needs a numeric label, but {t.label!r} holds {bad!r}; use "
                            f"--task classification")
        y = label.to_numpy(np.float64)
        if len(np.unique(y)) < 2:
            raise DataError(f"{where}: the label column {t.label!r} holds one value only; nothing to learn")
    impute = t.impute == "median"
    layout, layout_notes = infer_layout(frame, t.label, impute, classes)
    notes += layout_notes
    if not layout.columns:
        raise DataError(f"{where}: no usable feature columns (every column but {t.label!r} was dropped)")
    if not impute:
        err = missing_error(frame, [c.name for c in layout.columns], where)
        if err is not None:
            raise err
    elif frame[[c.name for c in layout.columns]].isna().any().any():
        notes.append("missing values imputed: numbers with the training split's median, categories with the "
                     "most frequent value")
    x, _ = encode_table(frame, layout, where)
    return RawData(x, y, feature_names=tuple(layout.feature_names), task=task, classes=classes, notes=tuple(notes),
                   impute=impute, table=layout)


@hookimpl
def gaterm_register_datasets(register):
    register.add(DatasetSpec("table", "auto", "your CSV or Parquet file: --data FILE --label COLUMN", load_table,
                             target_name="label"))
