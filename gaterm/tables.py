"""Tables from files: reading a CSV or Parquet file, and the column layout that turns a table's rows into
feature rows. The `table` data set learns a layout from the training file; `gaterm predict` applies the stored
layout to new rows, with the same code."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaterm.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

NUMBER, CATEGORY = "number", "category"
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class TableColumn:
    """One input column of a table: a number (one feature) or a category (one-hot: one feature per category)."""

    name: str
    kind: str  # NUMBER or CATEGORY
    categories: tuple[str, ...] = ()  # CATEGORY only, in feature order (values compared as strings)
    fill: str | None = None  # CATEGORY only: the value missing cells take when imputing (the most frequent)

    @property
    def features(self) -> list[str]:
        return [self.name] if self.kind == NUMBER else [f"{self.name}={c}" for c in self.categories]


@dataclass(frozen=True)
class TableLayout:
    """How a table becomes features: the label column, the input columns in feature order, what was dropped."""

    label: str
    columns: tuple[TableColumn, ...]
    dropped: tuple[tuple[str, str], ...] = ()  # (column, why)
    impute: bool = False  # missing numbers are filled (training-split median), missing categories take `fill`
    classes: tuple[Any, ...] | None = field(default=None)  # classification: the label values, output order

    @property
    def feature_names(self) -> list[str]:
        return [f for c in self.columns for f in c.features]

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "columns": [{"name": c.name, "kind": c.kind, **({"categories": list(c.categories), "fill": c.fill}
                                                            if c.kind == CATEGORY else {})} for c in self.columns],
            "dropped": {name: why for name, why in self.dropped},
            "impute": self.impute,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], classes: list[Any] | None) -> TableLayout:
        cols = tuple(TableColumn(c["name"], c["kind"], tuple(c.get("categories", ())), c.get("fill"))
                     for c in d["columns"])
        return cls(d["label"], cols, tuple(d.get("dropped", {}).items()), bool(d.get("impute")),
                   tuple(classes) if classes is not None else None)


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (any common separator, detected) or Parquet file (by its suffix) as a DataFrame; every problem is
    a one-line DataError naming the file."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise DataError(f"{path}: reading Parquet needs pyarrow: pip install 'gaterm[parquet]'") from None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
            raise DataError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
    else:
        try:
            frame = pd.read_csv(path, sep=_separator(path), skipinitialspace=True)
        except UnicodeDecodeError:
            raise DataError(f"{path}: not a text table (CSV) file: it is not UTF-8 text") from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: the file is empty") from None
        except (pd.errors.ParserError, ValueError, OSError, TypeError) as exc:
            raise DataError(f"{path}: not a readable CSV table ({_first_line(exc)})") from None
    if frame.shape[1] < 2:
        raise DataError(f"{path}: not a table: found {frame.shape[1]} column(s), need a label and at least one "
                        f"feature (is the separator a comma, semicolon or tab?)")
    if len(frame) == 0:
        raise DataError(f"{path}: the table has a header but no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


SEPARATORS = (",", ";", "\t", "|")


def _separator(path: Path) -> str:
    """The separator of a CSV file: whichever of , ; tab | its header line holds most (a comma if none)."""
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline()
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


def table_columns(path: str | Path) -> list[str]:
    """The column names of a CSV or Parquet file, reading only its header (for the setup form's label list)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            return [str(c).strip() for c in pq.read_schema(path).names]
        return [str(c).strip() for c in pd.read_csv(path, sep=_separator(path), nrows=0).columns]
    except ImportError:
        raise DataError(f"{path}: reading Parquet needs pyarrow: pip install 'gaterm[parquet]'") from None
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise DataError(f"{path}: not a readable table ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def column_named(frame: pd.DataFrame, name: str, where: str, what: str = "column") -> pd.Series:
    """`frame[name]`, or a DataError that lists the columns (and suggests the closest)."""
    if name not in frame.columns:
        close = difflib.get_close_matches(name, list(frame.columns), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        shown = ", ".join(list(frame.columns)[:12]) + (", ..." if frame.shape[1] > 12 else "")
        raise DataError(f"{where}: no {what} {name!r}{hint}; the columns are: {shown}")
    return frame[name]


def is_numeric(series: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def as_text(series: pd.Series) -> pd.Series:
    """Category values as strings (missing cells stay missing), so 1 and "1" are the same category."""
    return series.map(lambda v: v if _missing(v) else str(v).strip())


def _missing(v: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))  # None, NaN, NaT and pd.NA
    except (TypeError, ValueError):  # not a scalar
        return False


def missing_error(frame: pd.DataFrame, columns: list[str], where: str,
                  hint: str = "drop or fill them, or pass --impute median") -> DataError | None:
    """A one-line error naming the columns with missing cells and how many rows have one; None if none."""
    sub = frame[columns].isna()
    bad = [c for c in columns if sub[c].any()]
    if not bad:
        return None
    rows = int(sub.any(axis=1).sum())
    named = ", ".join(f"{c!r} ({int(sub[c].sum())})" for c in bad[:8]) + (", ..." if len(bad) > 8 else "")
    return DataError(f"{where}: {rows} row(s) have missing values, in columns {named}; {hint}")


def encode(frame: pd.DataFrame, layout: TableLayout, where: str) -> tuple[np.ndarray, list[str]]:
    """(feature rows (n, f) float64, notes) for `frame` under `layout`: numbers as they are (missing ones NaN,
    filled later when the layout imputes), categories one-hot in the layout's order. A category value the layout
    does not know becomes an all-zero one-hot, with a note. A number column holding text is an error."""
    import pandas as pd

    notes: list[str] = []
    parts: list[np.ndarray] = []
    for col in layout.columns:
        s = column_named(frame, col.name, where)
        if col.kind == NUMBER:
            if pd.api.types.is_bool_dtype(s):
                s = s.astype(np.float64)
            values = pd.to_numeric(s, errors="coerce")
            bad = values.isna() & s.notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"{where}: column {col.name!r} must hold numbers, but row {row + 1} holds "
                                f"{s.iloc[row]!r}")
            parts.append(values.to_numpy(np.float64)[:, None])
            continue
        text = as_text(s)
        if layout.impute and col.fill is not None:
            text = text.where(text.notna(), col.fill)
        index = {c: i for i, c in enumerate(col.categories)}
        onehot = np.zeros((len(frame), len(col.categories)))
        unseen: dict[str, int] = {}
        for r, v in enumerate(text.tolist()):
            if _missing(v):
                onehot[r, :] = np.nan
            elif v in index:
                onehot[r, index[v]] = 1.0
            else:
                unseen[v] = unseen.get(v, 0) + 1
        if unseen:
            shown = ", ".join(repr(v) for v in list(unseen)[:5])
            notes.append(f"column {col.name!r}: {sum(unseen.values())} row(s) hold categories not seen in "
                         f"training ({shown}); encoded as all zeros")
        parts.append(onehot)
    x = np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0))
    return x, notes
