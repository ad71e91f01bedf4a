"""Data sets as the engine sees them: what plugins register, how files are found or fetched, and the splits."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaterm.config import DataConfig
from gaterm.errors import DataError, GatermError, PluginError
from gaterm.tables import TableLayout

if TYPE_CHECKING:
    from gaterm.config import RunConfig

DATA_DIR_ENV = "GATERM_DATA_DIR"


@dataclass(frozen=True)
class RawData:
    """Arrays a loader returns: features (n, ...) and targets (n,).

    If the data set has an official test split, give it as `x_test`/`y_test`; gaterm then splits only the
    rest into training and validation. Otherwise gaterm splits all rows into train/validation/test by seed.

    Optional, for data sets whose shape depends on the data (the `table` data set): `feature_names` (one per
    column of x), `task` (overrides the spec's), `classes` (the original label of each class index), `notes`
    (one line each, shown to the user and kept in summary.json), `impute` (NaN features are filled with the
    training split's column median) and `table` (the column layout, stored so `gaterm predict` can encode new
    rows the same way).
    """

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = None
    task: str | None = None
    classes: tuple[Any, ...] | None = None
    notes: tuple[str, ...] = ()
    impute: bool = False
    table: TableLayout | None = None


@dataclass(frozen=True)
class DataSource:
    """One remote file a loader can download: its canonical URL and checksum ("sha256:..." or "md5:...")."""

    subdir: str
    filename: str
    url: str
    known_hash: str | None


@dataclass(frozen=True)
class LoadContext:
    """What a loader receives: where local copies live (if the user gave a directory), the run seed, and the
    config's `[data]` section (`table.file`, `table.label`, `table.task`, `table.impute`) for loaders that read
    a file the user names."""

    data_dir: Path | None
    seed: int
    table: DataConfig = field(default_factory=DataConfig)

    def path(self, source: DataSource) -> Path:
        """Local path of `source`: from the data directory if one is set, else downloaded into the cache once."""
        return locate(source, self.data_dir)


@dataclass(frozen=True)
class DatasetSpec:
    """A data set a plugin registers.

    `load` returns RawData; classification targets are integer class labels 0..n_classes-1.
    """

    name: str
    task: str  # "classification", "regression", or "auto" (the loader returns RawData.task)
    description: str
    load: Callable[[LoadContext], RawData]
    n_classes: int | None = None  # classification only; inferred from the labels if None
    target_name: str = "target"
    # How features are scaled: "standardize" (training-split mean and spread; a column with no spread is only
    # centred), or "range": x -> (x - lo) / (hi - lo) with the fixed `value_range` (lo, hi) every row lies in,
    # e.g. (0, 16) for the 4-bit digits pixels, which puts them in [0, 1] whatever the split.
    scaling: str = "standardize"
    value_range: tuple[float, float] | None = None


@dataclass
class Dataset:
    """A loaded data set, split and standardized, ready for training (numpy float32 / int64 arrays)."""

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_features: int
    n_outputs: int
    target_mean: float = 0.0  # regression targets are standardized; metrics are reported in original units
    target_std: float = 1.0
    # the feature scaling applied: x_scaled = (x - x_shift) / x_scale (per column, float64, computed in float64)
    x_shift: np.ndarray | None = None
    x_scale: np.ndarray | None = None
    duplicate_rows: int = 0  # rows whose exact features repeat an earlier row's (kept in one split together)
    feature_names: tuple[str, ...] = ()
    classes: tuple[Any, ...] | None = None  # the original label of each class index (classification)
    notes: tuple[str, ...] = ()
    table: TableLayout | None = None
    impute_values: np.ndarray | None = None  # per feature, what a missing value became (training medians)
    # sha256 of the rows, targets and split settings: two runs with equal fingerprints have the same splits
    fingerprint: str = ""
    # row numbers (into the loader's rows) of each split, when gaterm split all rows itself
    split_rows: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        return self.task == "classification"

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.task == "classification" else "mae"

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}

    def describe(self) -> dict[str, Any]:
        """Everything needed to turn raw rows into this data set's network inputs and outputs back into labels
        or target units, as JSON values (the run directory's preprocessing.json)."""
        n = self.n_features

        def floats(a: np.ndarray | None, default: float) -> list[float]:
            return [float(v) for v in (a if a is not None else np.full(n, default))]

        return {
            "format": 1,
            "dataset": self.name,
            "task": self.task,
            "label": self.table.label if self.table is not None else "target",
            "features": list(self.feature_names) or [f"x{i}" for i in range(n)],
            "n_outputs": self.n_outputs,
            "x_shift": floats(self.x_shift, 0.0),
            "x_scale": floats(self.x_scale, 1.0),
            "impute_values": floats(self.impute_values, 0.0) if self.impute_values is not None else None,
            "classes": list(self.classes) if self.classes is not None else None,
            "target_mean": self.target_mean if self.task == "regression" else None,
            "target_std": self.target_std if self.task == "regression" else None,
            "table": self.table.to_json() if self.table is not None else None,
            "notes": list(self.notes),
            "fingerprint": self.fingerprint,
        }


def data_dir_from(arg: str | Path | None) -> Path | None:
    """The data directory: the `--data-dir` argument, else $GATERM_DATA_DIR, else None (use the cache)."""
    value = arg if arg not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        src = "--data-dir" if arg not in (None, "") else f"${DATA_DIR_ENV}"
        raise DataError(f"{src}: {path} is not a directory")
    return path


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("gaterm")) / "data"


def locate(source: DataSource, data_dir: Path | None) -> Path:
    """Find `source` in `data_dir`, or download it into the user cache (checksum verified) if no dir is set."""
    if data_dir is not None:
        path = data_dir / source.subdir / source.filename
        if not path.is_file():
            raise DataError(
                f"{source.filename} not found in {data_dir / source.subdir}; download it from {source.url} "
                f"and put it there"
            )
        return path
    target_dir = cache_dir() / source.subdir
    import pooch

    try:
        fetched = pooch.retrieve(
            url=source.url,
            known_hash=source.known_hash,
            fname=source.filename,
            path=target_dir,
            progressbar=False,
        )
    except Exception as exc:  # network errors come as many types (requests, OSError, ...)  # noqa: BLE001
        # pooch reports a checksum mismatch as a ValueError "... hash of downloaded file ... does not match ..."
        if isinstance(exc, ValueError) and "does not match the known hash" in str(exc):
            raise DataError(
                f"{source.filename}: downloaded file failed its checksum ({exc})".splitlines()[0]
            ) from None
        raise DataError(
            f"cannot download {source.filename} from {source.url} ({type(exc).__name__}); download it by hand "
            f"and put it in {target_dir}, or in DIR/{source.subdir}/ and pass --data-dir DIR"
        ) from None
    return Path(fetched)


def duplicate_groups(x: np.ndarray) -> tuple[np.ndarray, int]:
    """(group id per row, number of duplicate rows): rows with exactly the same features share a group."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64), 0
    _, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    return inverse.reshape(-1), int(len(x) - len(counts))


def _split_indices(
    groups: np.ndarray, fractions: tuple[float, ...], rng: np.random.Generator
) -> list[np.ndarray]:
    """Split row indices into len(fractions) + 1 parts by whole groups, in a seeded random group order: each
    part takes groups until it holds round(f * n) rows (at least one group); the last part takes the rest. Rows
    of one group (exact duplicates) never straddle two parts."""
    n = len(groups)
    n_groups = int(groups.max()) + 1 if n else 0
    members: list[list[int]] = [[] for _ in range(n_groups)]
    for i, g in enumerate(groups.tolist()):
        members[g].append(i)
    order = rng.permutation(n_groups)
    out: list[np.ndarray] = []
    pos = 0
    for f in fractions:
        want = max(1, round(f * n))
        part: list[int] = []
        while pos < n_groups and (len(part) < want):
            part += members[order[pos]]
            pos += 1
        out.append(np.sort(np.asarray(part, dtype=np.int64)))
    rest = [i for g in order[pos:] for i in members[g]]
    out.append(np.sort(np.asarray(rest, dtype=np.int64)))
    return out


def feature_scaling(spec: DatasetSpec, x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shift, scale) per column for `spec.scaling`, from the training split only."""
    if spec.scaling == "range":
        if spec.value_range is None:
            raise DataError(f"{spec.name}: scaling 'range' needs value_range=(lo, hi)")
        lo, hi = (float(v) for v in spec.value_range)
        if not hi > lo:
            raise DataError(f"{spec.name}: value_range {spec.value_range} must have hi > lo")
        return np.full(x_train.shape[1], lo), np.full(x_train.shape[1], hi - lo)
    if spec.scaling != "standardize":
        raise DataError(f"{spec.name}: unknown scaling {spec.scaling!r}; use 'standardize' or 'range'")
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[~(std > 1e-12)] = 1.0  # no spread (constant in training): centre only, never divide by ~0
    return mean, std


def _targets(spec: DatasetSpec, y: object, name: str) -> np.ndarray:
    """Targets as a 1-D array: a column (n, 1) is flattened; anything else 2-D is an error, not a broadcast."""
    a = np.asarray(y)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise DataError(f"{spec.name}: loader returned {name} of shape {a.shape}; targets must be one value per row")
    return a


def _split(spec: DatasetSpec, raw: RawData, x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
           val_fraction: float, test_fraction: float) -> tuple[tuple[np.ndarray, ...], dict[str, np.ndarray], int]:
    """The six arrays (x, y of train, validation, test), the row numbers of each split gaterm made, and the
    count of duplicate rows; a loader's own test split is kept, the rest is split with duplicates together."""
    if raw.x_test is not None:
        if raw.y_test is None:
            raise DataError(f"{spec.name}: loader returned x_test without y_test")
        x_test = np.asarray(raw.x_test, dtype=np.float64).reshape(len(raw.x_test), -1)
        y_test = _targets(spec, raw.y_test, "y_test")
        if len(x_test) != len(y_test):
            raise DataError(
                f"{spec.name}: loader returned {len(x_test)} test feature rows but {len(y_test)} test targets"
            )
        if x_test.shape[1] != x.shape[1]:
            raise DataError(
                f"{spec.name}: test rows have {x_test.shape[1]} features but training rows have {x.shape[1]}"
            )
        frac_val = val_fraction / (1 - test_fraction)
        groups, dups = duplicate_groups(x)
        val_idx, train_idx = _split_indices(groups, (frac_val,), rng)
        split_rows = {"train": train_idx, "val": val_idx}
    else:
        groups, dups = duplicate_groups(x)
        test_idx, val_idx, train_idx = _split_indices(groups, (test_fraction, val_fraction), rng)
        x_test, y_test = x[test_idx], y[test_idx]
        split_rows = {"train": train_idx, "val": val_idx, "test": test_idx}
    return (x[train_idx], y[train_idx], x[val_idx], y[val_idx], x_test, y_test), split_rows, dups


def _impute(x_train: np.ndarray, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray | None, tuple[np.ndarray, ...]]:
    """Each feature's training-split median (0 for a column missing in every training row), and `arrays` with
    their missing values replaced by it."""
    if not x_train.size:
        return None, arrays
    with np.errstate(all="ignore"):
        fill = np.nanmedian(np.where(np.isfinite(x_train), x_train, np.nan), axis=0)
    fill = np.where(np.isfinite(fill), fill, 0.0)
    return fill, tuple(np.where(np.isnan(a), fill, a) for a in arrays)


def prepare(
    spec: DatasetSpec, raw: RawData, seed: int, val_fraction: float, test_fraction: float
) -> Dataset:
    """Split `raw` deterministically by `seed` (exact duplicate rows kept in one split), scale the features as
    the spec declares (statistics from the training split only), standardize regression targets, cast for torch."""
    task = raw.task or spec.task
    if task not in ("classification", "regression"):
        raise DataError(f"{spec.name}: the loader must say whether the task is classification or regression")
    x = np.asarray(raw.x, dtype=np.float64).reshape(len(raw.x), -1)
    y = _targets(spec, raw.y, "y")
    if len(x) != len(y):
        raise DataError(f"{spec.name}: loader returned {len(x)} feature rows but {len(y)} targets")
    rng = np.random.default_rng([seed, 0xDA7A])
    (x_train, y_train, x_val, y_val, x_test, y_test), split_rows, dups = _split(
        spec, raw, x, y, rng, val_fraction, test_fraction)
    if len(x_train) < 2:
        raise DataError(f"{spec.name}: too few rows ({len(x)}) to split into train, validation and test")
    if len(x_val) < 1 or len(x_test) < 1:
        raise DataError(f"{spec.name}: too few rows ({len(x)}) to split into train, validation and test")
    fill = None
    if raw.impute:  # missing features take the training split's column median: nothing leaks from val/test
        fill, (x_train, x_val, x_test) = _impute(x_train, (x_train, x_val, x_test))
    if not (np.isfinite(x_train).all() and np.isfinite(x_val).all() and np.isfinite(x_test).all()):
        raise DataError(f"{spec.name}: features contain NaN or infinite values")

    shift, scale = feature_scaling(spec, x_train)
    names = tuple(raw.feature_names) if raw.feature_names is not None else tuple(f"x{i}" for i in range(x.shape[1]))
    if len(names) != x.shape[1]:
        raise DataError(f"{spec.name}: loader named {len(names)} features but returned {x.shape[1]}")
    extra: dict[str, Any] = {
        "x_shift": np.asarray(shift, np.float64), "x_scale": np.asarray(scale, np.float64), "duplicate_rows": dups,
        "feature_names": names, "notes": tuple(raw.notes), "table": raw.table, "impute_values": fill,
        "fingerprint": fingerprint(x, y, raw.x_test, raw.y_test, seed, val_fraction, test_fraction),
        "split_rows": split_rows,
    }

    def fx(a: np.ndarray) -> np.ndarray:
        return ((a - shift) / scale).astype(np.float32)

    if task == "classification":
        labels = np.concatenate([y_train, y_val, y_test])
        lab = labels.astype(np.float64)
        if not (np.isfinite(lab).all() and (lab == np.round(lab)).all()):
            raise DataError(f"{spec.name}: class labels must be whole numbers (found NaN, inf or fractions)")
        n_classes = len(raw.classes) if raw.classes is not None else spec.n_classes or int(labels.max()) + 1
        if labels.min() < 0 or labels.max() >= n_classes:
            raise DataError(f"{spec.name}: class labels must lie in 0..{n_classes - 1}")
        extra["classes"] = tuple(raw.classes) if raw.classes is not None else tuple(range(n_classes))
        return Dataset(
            spec.name, task, fx(x_train), y_train.astype(np.int64), fx(x_val), y_val.astype(np.int64),
            fx(x_test), y_test.astype(np.int64), x.shape[1], n_classes, **extra,
        )
    if not np.isfinite(np.concatenate([y_train, y_val, y_test]).astype(np.float64)).all():
        raise DataError(f"{spec.name}: targets contain NaN or infinite values")
    y_train_f = y_train.astype(np.float64)
    t_mean, t_std = float(y_train_f.mean()), float(y_train_f.std()) or 1.0

    def fy(a: np.ndarray) -> np.ndarray:
        return ((a.astype(np.float64) - t_mean) / t_std).astype(np.float32)

    return Dataset(
        spec.name, task, fx(x_train), fy(y_train), fx(x_val), fy(y_val), fx(x_test), fy(y_test),
        x.shape[1], 1, t_mean, t_std, **extra,
    )


def fingerprint(x: np.ndarray, y: np.ndarray, x_test: Any, y_test: Any, seed: int, val_fraction: float,
                test_fraction: float) -> str:
    """sha256 of the data and the split settings: equal fingerprints mean equal splits."""
    h = hashlib.sha256()
    for a in (x, y, x_test, y_test):
        if a is None:
            h.update(b"none")
            continue
        a = np.asarray(a)
        a = a.astype(np.float64, copy=False) if a.dtype.kind in "biuf" else a.astype(str)
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((int(seed), float(val_fraction), float(test_fraction))).encode())
    return h.hexdigest()


def load_dataset(spec: DatasetSpec, cfg: RunConfig, data_dir: Path | None, owner: str = "?") -> Dataset:
    """Run the plugin's loader and split the result; a loader's own bug is reported with its plugin's name."""
    try:
        raw = spec.load(LoadContext(data_dir=data_dir, seed=cfg.seed, table=cfg.data))
    except GatermError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PluginError(
            f"data set {spec.name!r} (plugin {owner!r}) failed to load: {type(exc).__name__}: {exc}"
        ) from None
    try:
        return prepare(spec, raw, cfg.seed, cfg.training.val_fraction, cfg.training.test_fraction)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"data set {spec.name!r}: loader returned unusable arrays ({exc})") from None
