"""The run directory: config.toml, evaluations.csv, generations.csv, summary.json, best_model.pt."""

from __future__ import annotations

import csv
import io
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
    COMPLETED,
    CheckpointReady,
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
    "control_metric", "control_val_loss", "control_n_epochs", "control_time", "control_status",
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
        raise GatermError(f"--out: {path} already holds a run; choose a new directory (or --resume it)")
    check_writable(path)


def check_writable(path: Path, flag: str = "--out") -> None:
    """Fail before any work if `path` could not be created (its nearest existing ancestor must be a writable
    directory)."""
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise GatermError(f"{flag}: cannot create {path}: {parent} is not writable")


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

    def __init__(self, path: Path, extra: dict[str, Any] | None = None, resume: bool = False) -> None:
        self.path = Path(path)
        self.resume = resume
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
        elif isinstance(event, CheckpointReady):
            assert self._started is not None
            save_checkpoint(self.path / CHECKPOINT, event.state, self._started.config)
        elif isinstance(event, RunFinished):
            self._on_finish(event)

    def _on_start(self, ev: RunStarted) -> None:
        self._started = ev
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.resume:
            tmp = self.path / "config.toml.tmp"
            ev.config.save(tmp)
            os.replace(tmp, self.path / "config.toml")
        self._evals = self._open("evaluations.csv", EVAL_COLUMNS)
        self._gens = self._open("generations.csv", GEN_COLUMNS)

    def _open(self, name: str, header: tuple[str, ...]) -> IO[str]:
        path = self.path / name
        if self.resume and path.exists():
            return open(path, "a", newline="", encoding="utf-8")
        f = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 (kept open for the whole run)
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
        times = [r.training_time for r in ev.records if not r.status.startswith("error")]
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
            "diverged": sum(r.status == "diverged" for r in ev.records),
            "pruned": sum(r.status == "pruned" for r in ev.records),
            "errors": sum(r.status.startswith("error") for r in ev.records),
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
        if ev.stop_reason in COMPLETED:  # a completed run cannot be resumed: its checkpoint is dead weight
            (self.path / CHECKPOINT).unlink(missing_ok=True)


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


# ----- checkpoints and resume -------------------------------------------------------------------------------
CHECKPOINT = "checkpoint.pt"


def _record_to_json(r: EvaluationRecord) -> dict[str, Any]:
    d = {f: getattr(r, f) for f in EvaluationRecord.__dataclass_fields__ if f != "chromosome"}
    d["genes"] = r.genes
    return d


def _record_from_json(d: dict[str, Any]) -> EvaluationRecord:
    from gaterm.engine.chromosome import Chromosome

    d = dict(d)
    chrom = Chromosome.parse(d.pop("genes"))
    return EvaluationRecord(**d, chromosome=chrom)


def _flat(layers: list | None) -> list:
    return [t for pair in (layers or []) for t in pair]


def _pairs(flat: list) -> list:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def config_fingerprint(config: Any) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def save_checkpoint(path: Path, state: Any, config: Any) -> None:
    """Write the engine state atomically (temp file, fsync, rename); tensors and plain data only."""
    import torch

    meta = {
        "format": 1,
        "config": config_fingerprint(config),
        "next_generation": state.next_generation,
        "next_id": state.next_id,
        "population": [
            [i, c.encode(), list(p) if p else None, _record_to_json(r) if r else None]
            for i, c, p, r in state.population
        ],
        "rng_state": state.rng_state,
        "curves": [list(c) for c in state.curves],
        "records": [_record_to_json(r) for r in state.records],
        "best_id": state.best_id,
        "elapsed_s": state.elapsed_s,
    }
    blob = {
        "meta": json.dumps(meta),
        "weights": {str(i): _flat(w) for i, w in state.weights.items()},
        "best_layers": _flat(state.best_layers),
    }
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(blob, f)
        f.flush()
        os.fsync(f.fileno())
    delay = os.environ.get("GATERM_FAULT_CHECKPOINT_DELAY_S")  # fault-injection tests kill the run here
    if delay:
        import time

        time.sleep(float(delay))
    os.replace(tmp, path)


def load_checkpoint(path: Path, config: Any) -> Any:
    """Read a checkpoint safely (`weights_only=True`: no code is unpickled) and check it belongs to `config`."""
    import torch

    from gaterm.engine.chromosome import Chromosome
    from gaterm.events import EngineState

    try:
        blob = torch.load(path, weights_only=True)
        meta = json.loads(blob["meta"])
        fmt = meta.get("format")
    except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is the user's file problem
        raise GatermError(f"--resume: {path} is not a readable gaterm checkpoint ({type(exc).__name__})") from None
    if fmt != 1:
        raise GatermError(f"--resume: {path} has checkpoint format {fmt!r}; this gaterm reads format 1")
    if meta.get("config") != config_fingerprint(config):
        raise GatermError(f"--resume: {path} belongs to a different configuration than {path.parent}/config.toml")
    try:
        return EngineState(
            next_generation=meta["next_generation"],
            next_id=meta["next_id"],
            population=[
                (i, Chromosome.parse(c), tuple(p) if p else None, _record_from_json(r) if r else None)
                for i, c, p, r in meta["population"]
            ],
            weights={int(k): _pairs(v) for k, v in blob["weights"].items()},
            rng_state=meta["rng_state"],
            curves=[tuple(c) for c in meta["curves"]],
            records=[_record_from_json(r) for r in meta["records"]],
            best_id=meta["best_id"],
            best_layers=_pairs(blob["best_layers"]) or None,
            elapsed_s=meta["elapsed_s"],
        )
    except (KeyError, TypeError, ValueError, GatermError) as exc:
        raise GatermError(f"--resume: {path} is damaged or from another gaterm version ({type(exc).__name__})") from None


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
