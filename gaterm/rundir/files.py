"""The run directory's files, each defined once: names, CSV columns (from the row types), and path checks.

`EvaluationRow` and `GenerationRow` are the rows of `evaluations.csv` and `generations.csv`: the writer writes
their fields in order and the reader parses them back, so the two can never disagree.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from gaterm.errors import GatermError
from gaterm.events import EvaluationRecord, GenerationSummary
from gaterm.states import Status

CONFIG = "config.toml"
EVALUATIONS = "evaluations.csv"
GENERATIONS = "generations.csv"
SUMMARY = "summary.json"
BEST_MODEL = "best_model.pt"
CHECKPOINT = "checkpoint.pt"
PREPROCESSING = "preprocessing.json"  # Dataset.describe(): from raw rows to network inputs, outputs to labels
SURVIVORS = "survivors.pt"  # the final survivors' trained weights: {"ID/0.weight": tensor, ...}
RUN_FILES = (CONFIG, EVALUATIONS, GENERATIONS, SUMMARY)


class RunDirError(GatermError):
    """A run directory cannot be used (it holds a run, is not writable, is not a run, ...). The message names
    the path; a front end adds the flag or field the path came from."""


def _opt_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _bool01(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(f"expected 0 or 1, got {text!r}")
    return text == "1"


def _status(text: str) -> Status:
    return Status.parse(text)[0]


def _opt_status(text: str) -> Status | None:
    return Status.parse(text)[0] if text.strip() else None


def _opt_json(text: str) -> Any:
    return json.loads(text) if text.strip() else None


def _json_text(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def _col(parse: Callable[[str], Any], format: Callable[[Any], Any] | None = None, **kw: Any) -> Any:
    """A CSV column of a row type, with the function that parses its text (and, when `_cell`'s default does
    not fit, the one that writes it)."""
    return field(metadata={"parse": parse, "format": format}, **kw)


@dataclass(frozen=True, kw_only=True)
class EvaluationRow:
    """One finished fitness evaluation as a row of `evaluations.csv` (genes as their encoded text).

    `metric` is the metric the GA selected on (`val_metric` unless the run selected on test). Every field but
    `error` is a column, in this order; `error` travels inside the status column (`error: MESSAGE`). The control
    columns are empty unless the paired control ran; `merge_notes` (JSON) is empty unless the child was merged, or
    its merge strategy declined (`select` with no usable candidate: `choice` null; the child is not merged)
    (run directories older than it lack the column and read as None)."""

    generation: int = _col(int)
    id: int = _col(int)
    parent_a: int | None = _col(_opt_int)
    parent_b: int | None = _col(_opt_int)
    merged: bool = _col(_bool01)
    metric: float = _col(float)
    val_metric: float = _col(float, default=math.nan)  # absent in runs of gaterm < 0.2
    test_metric: float = _col(float, default=math.nan)
    val_loss: float = _col(float)
    n_epochs: int = _col(int)
    best_epoch: int = _col(int)
    training_time: float = _col(float)
    merge_time: float = _col(float)
    status: Status = _col(_status)
    seed: int = _col(int)
    genes: str = _col(str)
    control_metric: float | None = _col(_opt_float, default=None)
    control_test_metric: float | None = _col(_opt_float, default=None)
    control_val_loss: float | None = _col(_opt_float, default=None)
    control_n_epochs: int | None = _col(_opt_int, default=None)
    control_time: float | None = _col(_opt_float, default=None)
    control_status: Status | None = _col(_opt_status, default=None)
    error: str | None = field(default=None, metadata={"column": False})
    merge_notes: dict[str, Any] | None = _col(_opt_json, format=_json_text, default=None, hash=False)

    @classmethod
    def from_record(cls, rec: EvaluationRecord) -> EvaluationRow:
        return cls(**{f.name: getattr(rec, f.name) for f in fields(cls)})

    @property
    def parents(self) -> tuple[int, int] | None:
        if self.parent_a is None or self.parent_b is None:
            return None
        return self.parent_a, self.parent_b


@dataclass(frozen=True)
class GenerationRow:
    """One generation's summary, as a row of `generations.csv` holds it (survivors space-separated)."""

    generation: int = _col(int)
    evaluations: int = _col(int)
    best_metric: float = _col(float)
    mean_metric: float = _col(float)
    mean_fitness_time: float = _col(float)
    best_so_far_id: int = _col(int)
    best_so_far_metric: float = _col(float)
    survivors: tuple[int, ...] = _col(lambda s: tuple(int(x) for x in s.split()))

    @classmethod
    def from_summary(cls, s: GenerationSummary) -> GenerationRow:
        return cls(**{f.name: getattr(s, f.name) for f in fields(cls)})


def columns(row_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(row_type) if f.metadata.get("column", True))


EVAL_COLUMNS = columns(EvaluationRow)
GEN_COLUMNS = columns(GenerationRow)


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    if isinstance(v, tuple):
        return " ".join(map(str, v))
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True, allow_nan=True)
    return v


def row_cells(row: EvaluationRow | GenerationRow) -> list[Any]:
    """The CSV cells of a row, in column order (a status cell carries its error message)."""
    cells = []
    for f in fields(row):
        if not f.metadata.get("column", True):
            continue
        v = getattr(row, f.name)
        if f.name == "status":
            v = v.text(row.error)  # type: ignore[union-attr]
        fmt = f.metadata.get("format")
        cells.append(fmt(v) if fmt is not None and v is not None else _cell(v))
    return cells


def parse_row(row_type: type, cells: dict[str, str]) -> Any:
    """Build a row from a CSV DictReader row; columns the file lacks (older runs) take their defaults."""
    kw: dict[str, Any] = {}
    for f in fields(row_type):
        if not f.metadata.get("column", True) or f.name not in cells:
            continue
        text = cells[f.name] or ""
        kw[f.name] = f.metadata["parse"](text)
        if f.name == "status":
            kw["error"] = Status.parse(text)[1]
    return row_type(**kw)


def required_columns(row_type: type) -> tuple[str, ...]:
    from dataclasses import MISSING

    return tuple(f.name for f in fields(row_type)
                 if f.metadata.get("column", True) and f.default is MISSING and f.default_factory is MISSING)


# ----- paths -------------------------------------------------------------------------------------------------
def default_run_dir(dataset: str, root: Path = Path("runs")) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{dataset}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = root / f"{dataset}-{stamp}-{n}"
    return path


def check_run_dir(path: Path) -> None:
    """Refuse to write into a directory that already holds a run or is not a directory: nothing is lost."""
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path} exists and is not a directory")
    if path.is_dir() and any((path / f).exists() for f in (EVALUATIONS, SUMMARY, CONFIG)):
        raise RunDirError(f"{path} already holds a run; choose a new directory (or --resume it)")
    check_writable(path)


def check_writable(path: Path) -> None:
    """Fail before any work if `path` could not be created (its nearest existing ancestor must be a writable
    directory)."""
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise RunDirError(f"cannot create {path}: {parent} is not writable")


# ----- writing ------------------------------------------------------------------------------------------------
def write_error(path: Path, exc: OSError) -> RunDirError:
    """The one line a failed write gives (`cannot write RUN/evaluations.csv: No space left on device`)."""
    return RunDirError(f"cannot write {path}: {exc.strerror or exc}")


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to file descriptor `fd` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` by `data` atomically: a temp file beside it, written, synced, then renamed over it. On any
    failure (a full disk, ...) the temp file is removed and the previous `path` is left as it was; the error is
    a RunDirError naming `path`."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        delay = os.environ.get("GATERM_FAULT_CHECKPOINT_DELAY_S") if path.name == CHECKPOINT else None
        if delay:  # fault-injection tests kill the run here
            import time

            time.sleep(float(delay))
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise write_error(path, exc) from None


class RowAppender:
    """Appends CSV rows to a file, each written whole, then synced; a failed write is rolled back (the file is
    cut back to its last complete row), so no row is ever left half-written. Errors are RunDirErrors naming the
    file."""

    def __init__(self, path: Path, header: tuple[str, ...] | None) -> None:
        """Open `path` for appending; with `header`, the file is created afresh with that header row."""
        self.path = path
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | (os.O_TRUNC if header else 0)
            self._fd: int | None = os.open(path, flags, 0o644)
            self._size = os.fstat(self._fd).st_size
        except OSError as exc:
            raise write_error(path, exc) from None
        if header:
            self.append(list(header))

    def append(self, cells: list[Any]) -> None:
        if self._fd is None:
            raise RunDirError(f"{self.path} is closed")
        buf = io.StringIO()
        csv.writer(buf).writerow(cells)
        data = buf.getvalue().encode("utf-8")
        try:
            write_all(self._fd, data)
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise write_error(self.path, exc) from None
        self._size += len(data)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)


def truncate_rows(path: Path, keep_before_generation: int) -> None:
    """Keep the header and the complete rows of generations before `keep_before_generation` (atomically).

    Rows of the interrupted generation, and a row torn by a kill mid-write (only ever the last one), are
    dropped: they are re-evaluated.
    """
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if not text:
        return
    records = list(csv.reader(io.StringIO(text)))
    header, body = records[0], records[1:]
    complete = text.endswith("\n")
    kept = []
    for i, row in enumerate(body):
        if i == len(body) - 1 and not complete:
            break  # torn by a kill mid-write
        if len(row) != len(header):
            break
        try:
            gen = int(row[0])
        except ValueError:
            break
        if gen < keep_before_generation:
            kept.append(row)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(kept)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
