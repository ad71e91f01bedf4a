"""The built-in MLflow listener: a gaterm run is an MLflow parent run, each evaluation a nested run under it.

On with `--mlflow URI` or `[tracking] mlflow_uri`. It logs from a background thread, so the engine never waits
for the tracking store; mlflow is imported there, only when tracking is on. Any failure (mlflow missing, an
unreachable server, a store error) is one warning line: the run goes on and its run directory is complete.

A resumed run continues the same parent run (its id is kept in the run directory's `tracking.json`), and the
store is made to match `evaluations.csv` row for row: nested runs of the interrupted generation are deleted
(they are evaluated again) and rows the store lacks are logged from the file.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaterm.plugin import (
    CheckpointReady,
    Chromosome,
    EvaluationFinished,
    EvaluationRecord,
    Event,
    GenerationFinished,
    GenerationSummary,
    RunContext,
    RunFinished,
    RunStarted,
    StopReason,
    hookimpl,
)

TRACKING_FILE = "tracking.json"
SQLITE_FILE = "mlflow.db"  # the store gaterm keeps in a directory given as a plain path
PROBE_TIMEOUT_S = 3.0  # an http(s) server must answer /health within this
FINISH_TIMEOUT_S = 120.0  # at the end of a run, wait this long at most for the backlog to be logged
# what the listener sets for MLflow's HTTP client unless the user set them: fail fast instead of ~2 minutes of
# retries per request when the server goes away mid-run
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
# evaluations.csv columns (and EvaluationRecord attributes) logged as metrics of an evaluation's nested run
EVAL_METRICS = (
    "metric", "val_metric", "test_metric", "val_loss", "n_epochs", "best_epoch", "training_time", "merge_time",
    "control_metric", "control_test_metric", "control_val_loss", "control_n_epochs", "control_time",
)
GEN_METRICS = ("best_metric", "mean_metric", "mean_fitness_time", "best_so_far_metric")
ARTIFACTS = ("summary.json", "best_model.pt", "config.toml")
CHECKPOINT = "checkpoint"  # queued when the engine emits CheckpointReady


@hookimpl
def gaterm_register_listeners(register):
    register.add("mlflow", mlflow_listener,
                 "log each run to MLflow: a parent run, a nested run per evaluation (--mlflow URI)")


def mlflow_listener(context: RunContext) -> MlflowTracker | None:
    """The MLflow listener for this run, or None when tracking is off (no `tracking.mlflow_uri`)."""
    tracking = getattr(context.config, "tracking", None)
    uri = getattr(tracking, "mlflow_uri", None)
    if not uri:
        return None
    if importlib.util.find_spec("mlflow") is None:
        context.warn(f"tracking: mlflow is not installed, so this run is not logged to {uri} "
                     "(pip install 'gaterm[mlflow]')")
        return None
    return MlflowTracker(context, normalize_uri(uri), getattr(tracking, "experiment", "gaterm") or "gaterm")


def normalize_uri(uri: str) -> str:
    """A tracking URI that means the same store from any working directory.

    A plain directory path holds a SQLite store, `DIR/mlflow.db` (MLflow 3 keeps its file store in maintenance
    mode), unless it already is an MLflow file store (`DIR/*/meta.yaml`), which is then used as `file:` URI.
    A relative `sqlite:///FILE` becomes an absolute one."""
    uri = uri.strip()
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", uri)
    if m is None or len(m.group(1)) == 1:  # no scheme, or a Windows drive letter: a directory
        path = Path(uri).expanduser().resolve()
        if path.is_dir() and any(path.glob("*/meta.yaml")):
            return path.as_uri()
        return f"sqlite:///{path / SQLITE_FILE}"
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(uri[len("sqlite:///"):]).expanduser().resolve())
    return uri


@dataclass(frozen=True)
class EvaluationRow:
    """What a nested run holds: from an EvaluationRecord as it finishes, or from evaluations.csv on resume."""

    generation: int
    id: int
    parents: tuple[int, int] | None
    merged: bool
    status: str
    genes: str
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_record(cls, r: EvaluationRecord) -> EvaluationRow:
        metrics = {k: float(v) for k in EVAL_METRICS if (v := getattr(r, k, None)) is not None}
        parents = (r.parent_a, r.parent_b) if r.parent_a is not None and r.parent_b is not None else None
        return cls(r.generation, r.id, parents, bool(r.merged), r.status_text, r.genes, metrics)

    @classmethod
    def from_csv(cls, row: dict[str, str]) -> EvaluationRow:
        metrics = {k: float(row[k]) for k in EVAL_METRICS if row.get(k) not in (None, "")}
        pa, pb = row.get("parent_a") or "", row.get("parent_b") or ""
        parents = (int(pa), int(pb)) if pa and pb else None
        return cls(int(row["generation"]), int(row["id"]), parents, row.get("merged") == "1",
                   row.get("status", ""), row.get("genes", ""), metrics)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _probe(uri: str) -> None:
    """Raise OSError unless a server answers at `uri` within PROBE_TIMEOUT_S (any HTTP status will do: a
    server behind a login may refuse /health to anonymous requests)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=PROBE_TIMEOUT_S) as resp:
            resp.read(64)
    except urllib.error.HTTPError:
        return


def _one_line(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)  # urllib's URLError wraps the socket error
    if isinstance(reason, BaseException):
        exc = reason
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class MlflowTracker:
    """A run listener: events go to a queue, a thread logs them with `MlflowClient` (batched per run)."""

    def __init__(self, context: RunContext, uri: str, experiment: str) -> None:
        self.context, self.uri, self.experiment = context, uri, experiment
        self.run_dir = Path(context.run_dir)
        self.parent_id: str | None = None
        self._queue: queue.Queue[Event | str] = queue.Queue()
        # generation summaries, logged once final (several when an async run ends with unfinished blocks)
        self._pending: list[GenerationSummary] = []
        self._thread: threading.Thread | None = None
        self._failed = False
        self._client: Any = None
        self._experiment_id = ""
        self._logged_steps: set[int] = set()
        self._next_gen = 0

    # ----- the engine's thread -----
    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._thread = threading.Thread(target=self._work, name="gaterm-mlflow", daemon=True)
            self._thread.start()
        if self._thread is None:
            return
        if isinstance(event, CheckpointReady):
            self._queue.put(CHECKPOINT)  # the state itself is not needed here
        elif isinstance(event, RunStarted | EvaluationFinished | GenerationFinished | RunFinished):
            self._queue.put(event)
        if isinstance(event, RunFinished):
            self._thread.join(FINISH_TIMEOUT_S)
            if self._thread.is_alive():
                self.context.warn(f"tracking: MLflow logging to {self.uri} did not finish within "
                                  f"{FINISH_TIMEOUT_S:.0f} s; the rest is not logged (the run directory is complete)")

    # ----- the logging thread -----
    def _work(self) -> None:
        while True:
            event = self._queue.get()
            if not self._failed:
                try:
                    self._handle(event)
                except Exception as exc:  # noqa: BLE001 - tracking never stops the run
                    self._fail(exc)
            if isinstance(event, RunFinished):
                return

    def _fail(self, exc: BaseException) -> None:
        self._failed = True
        if isinstance(exc, OSError) and self.uri.startswith(("http://", "https://")):
            what = f"cannot reach the MLflow server at {self.uri} ({_one_line(exc)})"
        else:
            what = f"MLflow logging to {self.uri} failed ({_one_line(exc)})"
        self.context.warn(f"tracking: {what}; the run goes on without it")

    def _handle(self, event: Event | str) -> None:
        if isinstance(event, RunStarted):
            self._open(event)
        elif isinstance(event, EvaluationFinished):
            if event.record.generation >= self._next_gen:
                self._log_evaluation(EvaluationRow.from_record(event.record))
        elif isinstance(event, GenerationFinished):
            self._pending.append(event.summary)
        elif event == CHECKPOINT:
            self._log_generation()
        elif isinstance(event, RunFinished):
            if event.stop_reason.completed:  # a cancelled run's last generation is partial: resumed, it is redone
                self._log_generation()
            self._close(event)

    def _open(self, ev: RunStarted) -> None:
        if self.uri.startswith(("http://", "https://")):
            for key, value in HTTP_DEFAULTS.items():
                os.environ.setdefault(key, value)
            _probe(self.uri)
        if self.uri.startswith("file:"):  # asked for by name: MLflow 3 only opens a file store when allowed
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        elif self.uri.startswith("sqlite:///"):
            Path(self.uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        import logging

        from mlflow.tracking import MlflowClient

        for name in ("mlflow", "alembic"):  # no INFO lines ("Creating initial MLflow database tables...")
            logging.getLogger(name).setLevel(logging.WARNING)
        self._client = client = MlflowClient(tracking_uri=self.uri)
        self._experiment_id = self._experiment(client)
        if self.context.resumed:
            self._next_gen = ev.resumed_from or 0
        saved = self._saved()
        if self.context.resumed and saved.get("mlflow_uri") == self.uri and saved.get("parent_run_id"):
            self.parent_id = self._reopen(str(saved["parent_run_id"]))
        if self.parent_id is None:
            self.parent_id = self._create_parent(ev)
        self._save()
        if self.context.resumed:
            self._reconcile()

    def _experiment(self, client: Any) -> str:
        exp = client.get_experiment_by_name(self.experiment)
        if exp is not None:
            if exp.lifecycle_stage == "deleted":
                client.restore_experiment(exp.experiment_id)
            return str(exp.experiment_id)
        try:
            return str(client.create_experiment(self.experiment, artifact_location=self._artifact_location()))
        except Exception:
            exp = client.get_experiment_by_name(self.experiment)  # created meanwhile by another run
            if exp is None:
                raise
            return str(exp.experiment_id)

    def _artifact_location(self) -> str | None:
        """For a local SQLite store, artifacts go in `mlartifacts/` beside the database file (MLflow's default
        would be a folder in the current directory); other stores choose for themselves."""
        if self.uri.startswith("sqlite:///"):
            db = Path(self.uri[len("sqlite:///"):])
            if db.is_absolute():
                return (db.parent / "mlartifacts").as_uri()
        return None

    def _saved(self) -> dict[str, Any]:
        try:
            data = json.loads((self.run_dir / TRACKING_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        data = {"mlflow_uri": self.uri, "experiment": self.experiment, "experiment_id": self._experiment_id,
                "parent_run_id": self.parent_id}
        tmp = self.run_dir / (TRACKING_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.run_dir / TRACKING_FILE)

    def _reopen(self, run_id: str) -> str | None:
        """The interrupted run's parent run, running again; None if the store no longer has it."""
        client = self._client
        try:
            run = client.get_run(run_id)
        except Exception:  # noqa: BLE001 - e.g. deleted for good: start a new parent run
            return None
        if run.info.lifecycle_stage == "deleted":
            client.restore_run(run_id)
        client.update_run(run_id, status="RUNNING")
        self._experiment_id = str(run.info.experiment_id)  # nested runs go beside it, whatever the name says now
        return run_id

    def _create_parent(self, ev: RunStarted) -> str:
        from mlflow.entities import Param

        cfg = self.context.config
        tags = {
            "mlflow.source.name": "gaterm",
            "dataset": cfg.dataset,
            "task": ev.task,
            "metric_name": ev.metric_name,
            "merge": "on" if cfg.ga.merge else "off",
            "merge_strategy": cfg.ga.merge_strategy if cfg.ga.merge else "none",
            "run_dir": str(self.run_dir.resolve()),
            "front_end": self.context.front_end,
        }
        if self.context.arm:
            tags["compare_arm"] = self.context.arm
        name = f"{cfg.dataset}-seed-{cfg.seed}-{self.context.arm}" if self.context.arm else self.run_dir.name
        run = self._client.create_run(self._experiment_id, run_name=name, tags=tags)
        params = [Param(k, v) for k, v in _flat_config(cfg.to_dict()).items()]
        for i in range(0, len(params), 100):  # MLflow takes at most 100 params per batch
            self._client.log_batch(run.info.run_id, params=params[i:i + 100])
        return str(run.info.run_id)

    def _children(self) -> list[Any]:
        out, token = [], None
        while True:
            page = self._client.search_runs(
                [self._experiment_id], filter_string=f"tags.mlflow.parentRunId = '{self.parent_id}'",
                max_results=1000, page_token=token,
            )
            out.extend(page)
            token = page.token
            if not token:
                return out

    def _reconcile(self) -> None:
        """Make the store match the run directory up to the checkpoint: delete nested runs of generations that
        are evaluated again (and any duplicate), log rows and generations the store lacks."""
        client = self._client
        rows = [EvaluationRow.from_csv(r) for r in _read_csv(self.run_dir / "evaluations.csv")
                if int(r["generation"]) < self._next_gen]
        wanted = {(r.generation, r.id) for r in rows}
        have: set[tuple[int, int]] = set()
        for run in self._children():
            try:
                key = (int(run.data.tags["generation"]), int(run.data.tags["id"]))
            except (KeyError, ValueError):
                continue  # not one of ours
            if key not in wanted or key in have:
                client.delete_run(run.info.run_id)
            else:
                have.add(key)
        for row in rows:
            if (row.generation, row.id) not in have:
                self._log_evaluation(row)
        self._logged_steps = {m.step for m in client.get_metric_history(self.parent_id, "best_metric")}
        for g in _read_csv(self.run_dir / "generations.csv"):
            gen = int(g["generation"])
            if gen < self._next_gen and gen not in self._logged_steps:
                self._log_gen_metrics(gen, {k: float(g[k]) for k in GEN_METRICS if g.get(k) not in (None, "")})

    def _log_evaluation(self, row: EvaluationRow) -> None:
        from mlflow.entities import Metric, Param

        now = int(time.time() * 1000)
        tags = {
            "mlflow.parentRunId": self.parent_id,
            "generation": str(row.generation),
            "id": str(row.id),
            "status": row.status[:5000],
            "merged": "1" if row.merged else "0",
            "genes": row.genes,
        }
        if row.parents is not None:
            tags["parents"] = f"{row.parents[0]} {row.parents[1]}"
        client = self._client
        run = client.create_run(self._experiment_id, start_time=now, tags=tags,
                                run_name=f"gen {row.generation} id {row.id}")
        metrics = [Metric(k, v, now, 0) for k, v in row.metrics.items()]
        params = [Param(k, v) for k, v in _gene_params(row.genes).items()]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, "FAILED" if row.status.startswith("error") else "FINISHED",
                              end_time=now)

    def _log_generation(self) -> None:
        """Log the pending generation summaries: a generation is final once a checkpoint follows it, or the run
        completes after it."""
        pending, self._pending = self._pending, []
        for s in pending:
            if s.generation not in self._logged_steps:  # logged before an interruption: the same values
                self._log_gen_metrics(s.generation, {k: float(getattr(s, k)) for k in GEN_METRICS})

    def _log_gen_metrics(self, gen: int, values: dict[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._client.log_batch(self.parent_id, metrics=[Metric(k, v, now, gen) for k, v in values.items()])
        self._logged_steps.add(gen)

    def _close(self, ev: RunFinished) -> None:
        from mlflow.entities import Metric, RunTag

        client, now = self._client, int(time.time() * 1000)
        tags = [RunTag("stop_reason", ev.stop_text[:5000])]
        metrics = [Metric("total_duration_s", float(ev.total_duration_s), now, 0),
                   Metric("evaluations", float(len(ev.records)), now, 0)]
        if ev.best is not None:
            tags += [RunTag("best_id", str(ev.best.id)), RunTag("best_genes", ev.best.genes)]
            for key in ("metric", "val_metric", "test_metric"):
                value = getattr(ev.best, key, None)
                if value is not None:
                    metrics.append(Metric(f"run_best_{key}", float(value), now, 0))
        client.log_batch(self.parent_id, metrics=metrics, tags=tags)
        for name in ARTIFACTS:  # the results writer, attached before this listener, has written them
            if (self.run_dir / name).is_file():
                client.log_artifact(self.parent_id, str(self.run_dir / name))
        status = ("FINISHED" if ev.stop_reason.completed
                  else "KILLED" if ev.stop_reason is StopReason.CANCELLED else "FAILED")
        client.set_terminated(self.parent_id, status, end_time=now)


def _flat_config(d: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """The run's configuration as MLflow params: `ga.population`, `genes.neurons` ("10,20,30")...; the
    [tracking] section is where the run is logged, not a parameter of it."""
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if key == "tracking":
            continue
        if isinstance(v, dict):
            out.update(_flat_config(v, key + "."))
        elif isinstance(v, list):
            out[key] = ",".join(str(x) for x in v)
        else:
            out[key] = str(v)
    return out


def _gene_params(genes: str) -> dict[str, str]:
    """An evaluation's genes as MLflow params (the full chromosome text too)."""
    c = Chromosome.parse(genes)
    return {
        "optimizer": c.optimizer,
        "loss": c.loss,
        "learning_rate": repr(c.learning_rate),
        "batch_size": str(c.batch_size),
        "layers": str(len(c.layers)),
        "neurons": ",".join(str(lg.neurons) for lg in c.layers),
        "activations": ",".join(lg.activation for lg in c.layers),
        "genes": genes,
    }
