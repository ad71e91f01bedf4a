"""A run's preprocessing.json read back: what turns raw table rows into the network's inputs, and its outputs
into labels or target units (written by the run writer from `Dataset.describe()`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gaterm.rundir.files import PREPROCESSING, RunDirError
from gaterm.tables import NUMBER, TableColumn, TableLayout


@dataclass(frozen=True)
class Preprocessing:
    """A run's preprocessing.json: from raw rows to network inputs, and from outputs to labels or target units."""

    dataset: str
    task: str
    features: list[str]
    x_shift: np.ndarray  # float64
    x_scale: np.ndarray
    impute_values: np.ndarray | None
    classes: list[Any] | None
    target_mean: float
    target_std: float
    layout: TableLayout  # for a data set that is not a table: one number column per feature, label "target"
    fingerprint: str
    raw: dict[str, Any]

    @classmethod
    def read(cls, run_dir: Path) -> Preprocessing:
        path = Path(run_dir) / PREPROCESSING
        if not path.is_file():
            raise RunDirError(f"{run_dir} has no {PREPROCESSING} (not a gaterm run directory, or one written by "
                              f"an older gaterm)")
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            layout = (TableLayout.from_json(d["table"], d["classes"]) if d.get("table") else
                      TableLayout("target", tuple(TableColumn(f, NUMBER) for f in d["features"]), (),
                                  d.get("impute_values") is not None,
                                  tuple(d["classes"]) if d.get("classes") is not None else None))
            return cls(
                d["dataset"], d["task"], list(d["features"]), np.asarray(d["x_shift"], np.float64),
                np.asarray(d["x_scale"], np.float64),
                np.asarray(d["impute_values"], np.float64) if d.get("impute_values") is not None else None,
                d.get("classes"), float(d.get("target_mean") or 0.0), float(d.get("target_std") or 1.0), layout,
                str(d.get("fingerprint", "")), d,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RunDirError(f"{path}: unreadable preprocessing ({type(exc).__name__}: {exc})") from None
