"""The run directory writer: an event consumer that writes config.toml, evaluations.csv, generations.csv,
checkpoint.pt, summary.json and best_model.pt as the run goes.

A failed write (a full disk, a vanished mount) raises a one-line RunDirError naming the file, which stops the run;
no file is left half-written (rows are rolled back, the other files replaced atomically), and the checkpoint of
the last good generation stays, so the run can be resumed once there is room again."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gaterm import __version__
from gaterm.errors import GatermError
from gaterm.events import (
    CheckpointReady,
    EvaluationFinished,
    EvaluationRecord,
    Event,
    GenerationFinished,
    RunFinished,
    RunStarted,
)
from gaterm.rundir.checkpoint import save_checkpoint
from gaterm.rundir.files import (
    BEST_MODEL,
    CHECKPOINT,
    CONFIG,
    EVAL_COLUMNS,
    EVALUATIONS,
    GEN_COLUMNS,
    GENERATIONS,
    PREPROCESSING,
    SUMMARY,
    SURVIVORS,
    EvaluationRow,
    GenerationRow,
    RowAppender,
    RunDirError,
    row_cells,
    write_atomic,
)
from gaterm.states import Status
from gaterm.stats import fitness_time_stats, fitness_times


def _json_num(v: float) -> float | None:
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


class RunWriter:
    """An event consumer that writes the run directory as the run goes (each row flushed and synced)."""

    def __init__(self, path: Path, extra: dict[str, Any] | None = None, resume: bool = False) -> None:
        self.path = Path(path)
        self.resume = resume
        self.extra = dict(extra or {})
        self._evals: RowAppender | None = None
        self._gens: RowAppender | None = None
        self._headers: dict[str, tuple[str, ...]] = {}  # file -> its header (a resumed older file keeps its own)
        self._started: RunStarted | None = None
        self._start_time = datetime.now(UTC)
        self.failed: RunDirError | None = None  # the first failed write: the run stops, resumable

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self._on_finish(event)
            return
        try:
            if isinstance(event, RunStarted):
                self._on_start(event)
            elif isinstance(event, EvaluationFinished):
                self._row(self._evals, self._fit(EVALUATIONS, EVAL_COLUMNS,
                                                 row_cells(EvaluationRow.from_record(event.record))))
            elif isinstance(event, GenerationFinished):
                self._row(self._gens, self._fit(GENERATIONS, GEN_COLUMNS,
                                                row_cells(GenerationRow.from_summary(event.summary))))
            elif isinstance(event, CheckpointReady):
                if self._started is None:
                    raise GatermError("internal error: a checkpoint came before the run started")
                save_checkpoint(self.path / CHECKPOINT, event.state, self._started.config)
        except RunDirError as exc:
            self.failed = self.failed or exc
            raise

    def _on_start(self, ev: RunStarted) -> None:
        self._started = ev
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"cannot create {self.path}: {exc.strerror or exc}") from None
        if not self.resume:
            write_atomic(self.path / CONFIG, ev.config.to_toml().encode("utf-8"))
        if ev.preprocessing is not None:
            write_atomic(self.path / PREPROCESSING, (json.dumps(ev.preprocessing, indent=1) + "\n").encode("utf-8"))
        self._evals = self._open(EVALUATIONS, EVAL_COLUMNS)
        self._gens = self._open(GENERATIONS, GEN_COLUMNS)

    def _open(self, name: str, header: tuple[str, ...]) -> RowAppender:
        path = self.path / name
        self._headers[name] = header
        if self.resume and path.exists():
            with open(path, newline="", encoding="utf-8") as f:
                existing = next(csv.reader(f), None)
            if existing:  # a run directory from an older gaterm: rows keep its columns
                self._headers[name] = tuple(existing)
            return RowAppender(path, None)
        return RowAppender(path, header)

    def _fit(self, name: str, columns: tuple[str, ...], cells: list[Any]) -> list[Any]:
        """`cells` (in `columns` order) rearranged to the file's header: columns it lacks are left out."""
        header = self._headers.get(name, columns)
        if header == columns:
            return cells
        by_name = dict(zip(columns, cells, strict=False))
        return [by_name.get(c, "") for c in header]

    @staticmethod
    def _row(f: RowAppender | None, row: list[Any]) -> None:
        if f is not None:
            f.append(row)

    def _on_finish(self, ev: RunFinished) -> None:
        for f in (self._evals, self._gens):
            if f is not None:
                f.close()
        st = self._started
        if st is None:  # the run never started (nothing was written)
            return
        times = fitness_times(ev.records)
        d = fitness_time_stats(ev.records)
        summary: dict[str, Any] = {
            "dataset": st.config.dataset,
            "task": st.task,
            "metric_name": st.metric_name,
            "higher_is_better": st.higher_is_better,
            "merge": st.config.ga.merge,
            "merge_strategy": st.config.ga.merge_strategy if st.config.ga.merge else None,
            "seed": st.config.seed,
            "selection": st.config.ga.selection,
            "generations": (max(r.generation for r in ev.records) + 1) if ev.records else 0,
            "evaluations": len(ev.records),
            "planned_evaluations": st.planned_evaluations,
            "stop_reason": ev.stop_text,
            "total_duration_s": ev.total_duration_s,
            "fitness_time_total_s": float(sum(times)),
            "fitness_time_mean_s": _json_num(d["mean"]),
            "fitness_time_median_s": _json_num(d["median"]),
            "fitness_time_skewness": _json_num(d["skewness"]),
            "mean_epochs": (sum(r.n_epochs for r in ev.records) / len(ev.records)) if ev.records else None,
            "diverged": sum(r.status is Status.DIVERGED for r in ev.records),
            "pruned": sum(r.status is Status.PRUNED for r in ev.records),
            "errors": sum(r.status is Status.ERROR for r in ev.records),
            "merged_children": sum(r.merged for r in ev.records),
            "paired_control": st.config.ga.paired_control,
            "control_time_total_s": float(sum(r.control_time or 0.0 for r in ev.records)),
            "split_sizes": st.split_sizes,
            "duplicate_rows": st.duplicate_rows,
            "data_notes": list((st.preprocessing or {}).get("notes", [])),
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
        if self.failed is not None:  # stopped by a failed write: whatever can still be written, best effort
            for write in (lambda: self._write_best_model(ev), lambda: self._write_summary(summary)):
                with contextlib.suppress(RunDirError):
                    write()
            return
        # best model, then summary: a failure in either leaves no summary claiming completion, and the checkpoint
        self._write_best_model(ev)
        self._write_survivors(ev)
        self._write_summary(summary)
        if ev.stop_reason.completed:  # a completed run cannot be resumed: its checkpoint is dead weight
            (self.path / CHECKPOINT).unlink(missing_ok=True)

    def _write_summary(self, summary: dict[str, Any]) -> None:
        write_atomic(self.path / SUMMARY, (json.dumps(summary, indent=2) + "\n").encode("utf-8"))

    def _write_best_model(self, ev: RunFinished) -> None:
        if ev.best_layers is None:
            return
        import io

        import torch

        state = {}
        for i, (w, b) in enumerate(ev.best_layers):
            state[f"{2 * i}.weight"], state[f"{2 * i}.bias"] = w, b
        buf = io.BytesIO()
        torch.save(state, buf)
        write_atomic(self.path / BEST_MODEL, buf.getvalue())

    def _write_survivors(self, ev: RunFinished) -> None:
        if not ev.survivor_layers:
            return
        import io

        import torch

        buf = io.BytesIO()
        torch.save(layers_state(ev.survivor_layers), buf)
        write_atomic(self.path / SURVIVORS, buf.getvalue())


def layers_state(by_id: dict[int, list]) -> dict[str, Any]:
    """Several networks' layers as one flat state dict of tensors (`"ID/0.weight"`, `"ID/0.bias"`, `"ID/2.weight"`,
    ...: each network's keys are `build_model`'s), loadable with `torch.load(weights_only=True)`."""
    import torch

    out: dict[str, Any] = {}
    for ind_id, layers in by_id.items():
        for i, (w, b) in enumerate(layers):
            out[f"{ind_id}/{2 * i}.weight"] = torch.as_tensor(w)
            out[f"{ind_id}/{2 * i}.bias"] = torch.as_tensor(b)
    return out


def _best_json(rec: EvaluationRecord | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {
        "id": rec.id,
        "generation": rec.generation,
        "metric": _json_num(rec.metric),
        "val_metric": _json_num(rec.val_metric),
        "test_metric": _json_num(rec.test_metric),
        "genes": rec.genes,
        "n_epochs": rec.n_epochs,
        "training_time": rec.training_time,
    }


def _torch_version() -> str:
    import torch

    return str(torch.__version__)
