"""Reading a run directory back (config.toml, evaluations.csv, generations.csv, summary.json) into records.

`RunData` is also what a live consumer (the TUI) accumulates from the event stream, so a run watched live and
the same run opened later from disk are shown and compared the same way.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gaterm.config import RunConfig, load_config
from gaterm.errors import GatermError
from gaterm.events import EvaluationRecord, GenerationSummary
from gaterm.stats import describe_times

RUN_FILES = ("config.toml", "evaluations.csv", "generations.csv", "summary.json")


@dataclass(frozen=True)
class EvaluationRow:
    """One finished fitness evaluation, as a row of `evaluations.csv` holds it (genes as their encoded text).

    Only the columns every run directory has; columns added later are ignored when reading."""

    generation: int
    id: int
    parent_a: int | None
    parent_b: int | None
    merged: bool
    metric: float
    val_loss: float
    n_epochs: int
    best_epoch: int
    training_time: float
    merge_time: float
    status: str
    seed: int
    genes: str

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
    """One generation's summary, as a row of `generations.csv` holds it."""

    generation: int
    evaluations: int
    best_metric: float
    mean_metric: float
    mean_fitness_time: float
    best_so_far_id: int
    best_so_far_metric: float
    survivors: tuple[int, ...]

    @classmethod
    def from_summary(cls, s: GenerationSummary) -> GenerationRow:
        return cls(**{f.name: getattr(s, f.name) for f in fields(cls)})


@dataclass
class RunData:
    """A run's records: loaded from a run directory, or collected live from the engine's events."""

    label: str
    path: Path | None = None
    config: RunConfig | None = None
    evaluations: list[EvaluationRow] = field(default_factory=list)
    generations: list[GenerationRow] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    metric_name: str = "metric"
    higher_is_better: bool = True
    total_duration_s: float | None = None
    stop_reason: str | None = None  # None while running (or when the run never wrote its summary)

    @property
    def merge(self) -> bool | None:
        if self.summary is not None and isinstance(self.summary.get("merge"), bool):
            return self.summary["merge"]
        return self.config.ga.merge if self.config is not None else None

    @property
    def kind(self) -> str:
        """"merge", "basic" or "?" (unknown: neither a summary nor a config says)."""
        return {True: "merge", False: "basic"}.get(self.merge, "?")  # type: ignore[arg-type]

    @property
    def fitness_times(self) -> list[float]:
        return [r.training_time for r in self.evaluations]

    def time_stats(self) -> dict[str, float]:
        """Mean, median and skewness of the fitness times (see `gaterm.stats.describe_times`)."""
        return describe_times(self.fitness_times)

    @property
    def best(self) -> EvaluationRow | None:
        return best_of(self.evaluations, self.higher_is_better)

    @property
    def mean_epochs(self) -> float:
        return sum(r.n_epochs for r in self.evaluations) / len(self.evaluations) if self.evaluations else math.nan


def best_of(rows: Sequence[EvaluationRow], higher_is_better: bool) -> EvaluationRow | None:
    """The row with the best finite metric; on a tie, the earliest (as the engine keeps its first best)."""
    best: EvaluationRow | None = None
    for r in rows:
        if not math.isfinite(r.metric):
            continue
        if best is None or (r.metric > best.metric if higher_is_better else r.metric < best.metric):
            best = r
    return best


# ----- reading a run directory -----
def _opt_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _bool01(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(f"expected 0 or 1, got {text!r}")
    return text == "1"


_EVAL_PARSERS: dict[str, Callable[[str], Any]] = {
    "generation": int, "id": int, "parent_a": _opt_int, "parent_b": _opt_int, "merged": _bool01,
    "metric": float, "val_loss": float, "n_epochs": int, "best_epoch": int, "training_time": float,
    "merge_time": float, "status": str, "seed": int, "genes": str,
}
_GEN_PARSERS: dict[str, Callable[[str], Any]] = {
    "generation": int, "evaluations": int, "best_metric": float, "mean_metric": float,
    "mean_fitness_time": float, "best_so_far_id": int, "best_so_far_metric": float,
    "survivors": lambda s: tuple(int(x) for x in s.split()),
}


def _read_csv(path: Path, parsers: dict[str, Callable[[str], Any]], make: Callable[..., Any]) -> list[Any]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in parsers if c not in (reader.fieldnames or ())]
            if missing:
                raise GatermError(f"{path}: missing column(s) {', '.join(missing)}")
            out = []
            for row in reader:
                try:
                    out.append(make(**{c: parse(row[c] or "") for c, parse in parsers.items()}))
                except (ValueError, TypeError) as exc:
                    raise GatermError(f"{path}, line {reader.line_num}: {exc}") from None
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GatermError(f"cannot read {path}: {exc}") from None


def is_run_dir(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "evaluations.csv").is_file()


def read_run_dir(path: Path, label: str | None = None) -> RunData:
    """Load a run directory as `gaterm --no-ui` (or the TUI) writes it; a run without `summary.json` (still
    running, or killed) loads too, with `stop_reason` None. Every problem is a one-line GatermError."""
    path = Path(path)
    if not path.is_dir():
        raise GatermError(f"{path}: not a directory")
    if not (path / "evaluations.csv").is_file():
        raise GatermError(f"{path}: not a gaterm run directory (no evaluations.csv)")
    run = RunData(label=label or path.name, path=path)
    run.evaluations = _read_csv(path / "evaluations.csv", _EVAL_PARSERS, EvaluationRow)
    if (path / "generations.csv").is_file():
        run.generations = _read_csv(path / "generations.csv", _GEN_PARSERS, GenerationRow)
    if (path / "config.toml").is_file():
        run.config = load_config(path / "config.toml")
    if (path / "summary.json").is_file():
        try:
            summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise GatermError(f"cannot read {path / 'summary.json'}: {exc}") from None
        if not isinstance(summary, dict):
            raise GatermError(f"{path / 'summary.json'}: expected a JSON object")
        run.summary = summary
        run.metric_name = str(summary.get("metric_name") or run.metric_name)
        run.higher_is_better = bool(summary.get("higher_is_better", run.metric_name == "accuracy"))
        run.stop_reason = summary.get("stop_reason")
        duration = summary.get("total_duration_s")
        run.total_duration_s = float(duration) if isinstance(duration, (int, float)) else None
    return run
