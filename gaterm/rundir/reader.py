"""Reading a run directory back (config.toml, evaluations.csv, generations.csv, summary.json) into records.

`RunData` is also what a live consumer (the TUI) accumulates from the event stream, so a run watched live and
the same run opened later from disk are shown and compared the same way.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaterm.config import RunConfig, load_config
from gaterm.errors import GatermError
from gaterm.rundir.files import (
    CONFIG,
    EVALUATIONS,
    GENERATIONS,
    SUMMARY,
    EvaluationRow,
    GenerationRow,
    parse_row,
    required_columns,
)
from gaterm.states import Direction
from gaterm.stats import fitness_time_stats, fitness_times


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
    def direction(self) -> Direction:
        return Direction.of(self.higher_is_better)

    @property
    def fitness_times(self) -> list[float]:
        """The fitness times statistics use (`gaterm.stats.fitness_times`: errored rows left out)."""
        return fitness_times(self.evaluations)

    def time_stats(self) -> dict[str, float]:
        """Mean, median and skewness of the fitness times (see `gaterm.stats.fitness_time_stats`)."""
        return fitness_time_stats(self.evaluations)

    @property
    def best(self) -> EvaluationRow | None:
        """The row with the best finite metric; on a tie, the earliest (as the engine keeps its first best)."""
        return self.direction.best(self.evaluations, lambda r: r.metric)

    @property
    def mean_epochs(self) -> float:
        return sum(r.n_epochs for r in self.evaluations) / len(self.evaluations) if self.evaluations else math.nan


# ----- reading a run directory -----
def _read_csv(path: Path, row_type: type) -> list[Any]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required_columns(row_type) if c not in (reader.fieldnames or ())]
            if missing:
                raise GatermError(f"{path}: missing column(s) {', '.join(missing)}")
            out = []
            for row in reader:
                try:
                    out.append(parse_row(row_type, row))
                except (ValueError, TypeError) as exc:
                    raise GatermError(f"{path}, line {reader.line_num}: {exc}") from None
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GatermError(f"cannot read {path}: {exc}") from None


def is_run_dir(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / EVALUATIONS).is_file()


def read_run_dir(path: Path, label: str | None = None) -> RunData:
    """Load a run directory as `gaterm --no-ui` (or the TUI) writes it; a run without `summary.json` (still
    running, or killed) loads too, with `stop_reason` None. Every problem is a one-line GatermError."""
    path = Path(path)
    if not path.is_dir():
        raise GatermError(f"{path}: not a directory")
    if not (path / EVALUATIONS).is_file():
        raise GatermError(f"{path}: not a gaterm run directory (no {EVALUATIONS})")
    run = RunData(label=label or path.name, path=path)
    run.evaluations = _read_csv(path / EVALUATIONS, EvaluationRow)
    if (path / GENERATIONS).is_file():
        run.generations = _read_csv(path / GENERATIONS, GenerationRow)
    if (path / CONFIG).is_file():
        run.config = load_config(path / CONFIG)
    if (path / SUMMARY).is_file():
        summary = read_summary(path)
        if not isinstance(summary, dict):
            raise GatermError(f"{path / SUMMARY}: expected a JSON object")
        run.summary = summary
        run.metric_name = str(summary.get("metric_name") or run.metric_name)
        run.higher_is_better = bool(summary.get("higher_is_better", run.metric_name == "accuracy"))
        run.stop_reason = summary.get("stop_reason")
        duration = summary.get("total_duration_s")
        run.total_duration_s = float(duration) if isinstance(duration, (int, float)) else None
    return run


def read_summary(path: Path) -> Any:
    """The parsed `summary.json` of run directory `path`; a one-line GatermError when it cannot be read."""
    try:
        return json.loads((Path(path) / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GatermError(f"cannot read {Path(path) / SUMMARY}: {exc}") from None
