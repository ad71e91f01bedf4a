"""The run directory: config.toml, evaluations.csv, generations.csv, summary.json, best_model.pt."""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from gaterm import __version__
from gaterm.errors import GatermError
from gaterm.events import (
    EvaluationFinished,
    EvaluationRecord,
    Event,
    GenerationFinished,
    RunFinished,
    RunStarted,
)
from gaterm.stats import describe_times

EVAL_COLUMNS = (
    "generation", "id", "parent_a", "parent_b", "merged", "metric", "val_loss", "n_epochs", "best_epoch",
    "training_time", "merge_time", "status", "seed", "genes",
    "control_metric", "control_val_loss", "control_n_epochs", "control_time",
)
GEN_COLUMNS = (
    "generation", "evaluations", "best_metric", "mean_metric", "mean_fitness_time", "best_so_far_id",
    "best_so_far_metric", "survivors",
)


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
        raise GatermError(f"--out: {path} exists and is not a directory")
    if path.is_dir() and any((path / f).exists() for f in ("evaluations.csv", "summary.json", "config.toml")):
        raise GatermError(f"--out: {path} already holds a run; choose a new directory")


def _fmt(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return v


def _json_num(v: float) -> float | None:
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


class RunWriter:
    """An event consumer that writes the run directory as the run goes (each row flushed and synced)."""

    def __init__(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.extra = dict(extra or {})
        self._evals: IO[str] | None = None
        self._gens: IO[str] | None = None
        self._started: RunStarted | None = None
        self._start_time = datetime.now(UTC)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._on_start(event)
        elif isinstance(event, EvaluationFinished):
            self._row(self._evals, [_fmt(getattr(event.record, c)) for c in EVAL_COLUMNS])
        elif isinstance(event, GenerationFinished):
            s = event.summary
            row = [_fmt(getattr(s, c)) for c in GEN_COLUMNS[:-1]] + [" ".join(map(str, s.survivors))]
            self._row(self._gens, row)
        elif isinstance(event, RunFinished):
            self._on_finish(event)

    def _on_start(self, ev: RunStarted) -> None:
        self._started = ev
        self.path.mkdir(parents=True, exist_ok=True)
        ev.config.save(self.path / "config.toml")
        self._evals = self._open("evaluations.csv", EVAL_COLUMNS)
        self._gens = self._open("generations.csv", GEN_COLUMNS)

    def _open(self, name: str, header: tuple[str, ...]) -> IO[str]:
        f = open(self.path / name, "w", newline="", encoding="utf-8")  # noqa: SIM115 (kept open for the whole run)
        self._row(f, list(header))
        return f

    @staticmethod
    def _row(f: IO[str] | None, row: list[Any]) -> None:
        if f is None:
            return
        csv.writer(f).writerow(row)
        f.flush()
        os.fsync(f.fileno())

    def _on_finish(self, ev: RunFinished) -> None:
        for f in (self._evals, self._gens):
            if f is not None:
                f.close()
        st = self._started
        assert st is not None
        times = [r.training_time for r in ev.records]
        d = describe_times(times)
        summary: dict[str, Any] = {
            "dataset": st.config.dataset,
            "task": st.task,
            "metric_name": st.metric_name,
            "higher_is_better": st.higher_is_better,
            "merge": st.config.ga.merge,
            "merge_strategy": st.config.ga.merge_strategy if st.config.ga.merge else None,
            "seed": st.config.seed,
            "generations": (max(r.generation for r in ev.records) + 1) if ev.records else 0,
            "evaluations": len(ev.records),
            "planned_evaluations": st.planned_evaluations,
            "stop_reason": ev.stop_reason,
            "total_duration_s": ev.total_duration_s,
            "fitness_time_total_s": float(sum(times)),
            "fitness_time_mean_s": _json_num(d["mean"]),
            "fitness_time_median_s": _json_num(d["median"]),
            "fitness_time_skewness": _json_num(d["skewness"]),
            "mean_epochs": (sum(r.n_epochs for r in ev.records) / len(ev.records)) if ev.records else None,
            "diverged": sum(r.status != "ok" for r in ev.records),
            "merged_children": sum(r.merged for r in ev.records),
            "paired_control": st.config.ga.paired_control,
            "control_time_total_s": float(sum(r.control_time or 0.0 for r in ev.records)),
            "split_sizes": st.split_sizes,
            "best": _best_json(ev.best),
            "started_at": self._start_time.isoformat(timespec="seconds"),
            "environment": {
                "gaterm": __version__,
                "python": platform.python_version(),
                "torch": _torch_version(),
                "platform": platform.platform(),
                "argv": sys.argv,
            },
            **self.extra,
        }
        tmp = self.path / "summary.json.tmp"
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path / "summary.json")
        if ev.best_layers is not None:
            import torch

            state = {}
            for i, (w, b) in enumerate(ev.best_layers):
                state[f"{2 * i}.weight"], state[f"{2 * i}.bias"] = w, b
            torch.save(state, self.path / "best_model.pt")


def _best_json(rec: EvaluationRecord | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {
        "id": rec.id,
        "generation": rec.generation,
        "metric": _json_num(rec.metric),
        "genes": rec.genes,
        "n_epochs": rec.n_epochs,
        "training_time": rec.training_time,
    }


def _torch_version() -> str:
    import torch

    return str(torch.__version__)
