"""The TUI's state without Textual: a run as the UI shows it (records, phase, progress, best so far), updated
from the engine's events, and the series the charts draw (best so far against time, each generation's spread).

`RunModel.apply(event)` is the only place that turns the event stream into state; the app holds one model per
run and redraws its widgets from the models whenever their `version` changes. Nothing here imports Textual.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.markup import escape

from gaterm.events import (
    EpochFinished,
    EvaluationFinished,
    EvaluationStarted,
    Event,
    GenerationFinished,
    GenerationStarted,
    RunFinished,
    RunStarted,
)
from gaterm.formatting import fmt_metric, fmt_seconds
from gaterm.rundir.files import EvaluationRow, GenerationRow
from gaterm.rundir.reader import RunData

STATE_WORDS = {"generations": "done", "target": "target met", "time_budget": "out of time", "cancelled": "stopped"}
STOP_PHRASES = {
    "generations": "finished all generations",
    "target": "finished: target reached",
    "time_budget": "finished: time budget used",
    "cancelled": "stopped (cancelled)",
}
WALL_CLOCK = "wall clock"  # seconds since the run started, as each evaluation finished (a run watched live)
FITNESS_CLOCK = "summed fitness time"  # the cumulative sum of fitness times in id order (an opened run)


@dataclass(frozen=True)
class Bar:
    """One progress bar: its label and how far it is."""

    label: str
    done: float
    total: float


@dataclass
class RunModel:
    """One run as the UI shows it: its records (`run`, the same `RunData` an opened run directory gives) and,
    while the engine runs it, what the engine is doing. `version` grows with every change a view could show."""

    run: RunData
    live: bool = False  # fed by an engine of this session (else opened from disk)
    running: bool = False
    phase: str = ""  # what the worker is doing ("loading data set …", "stopping", "error: …"), "" when nothing
    planned: int = 0  # planned evaluations
    generation: int | None = None  # the generation in progress
    evaluation: int | None = None  # the id being trained
    epoch: int = 0
    max_epochs: int = 1
    elapsed: dict[int, float] = field(default_factory=dict)  # live: id -> wall seconds since RunStarted
    version: int = 0
    _t0: float | None = None

    # ----- construction -----
    @classmethod
    def opened(cls, run: RunData) -> RunModel:
        """A run read from its directory: nothing runs; what is planned comes from its summary."""
        planned = int((run.summary or {}).get("planned_evaluations") or len(run.evaluations))
        return cls(run=run, planned=planned)

    @classmethod
    def starting(cls, run: RunData) -> RunModel:
        """A run this session is about to start (its config is the one it starts with)."""
        cfg = run.config
        return cls(run=run, live=True, running=True, phase="starting",
                   planned=cfg.ga.planned_evaluations if cfg else 0,
                   max_epochs=cfg.training.max_epochs if cfg else 1)

    # ----- changes -----
    def _changed(self) -> None:
        self.version += 1

    def set_phase(self, text: str) -> None:
        """What the worker says it is doing (before the engine's first event)."""
        if self.running and self.phase != "stopping":
            self.phase = text
            self._changed()

    def stopping(self) -> None:
        if self.running:
            self.phase = "stopping"
            self._changed()

    def worker_ended(self, error: str | None = None) -> None:
        """The engine's worker ended: normally, or with `error` (its message)."""
        self.running = False
        self.evaluation = None
        if error is not None:
            if self.run.stop_reason is None:
                self.run.stop_reason = "error"
            self.phase = f"error: {error}"
        else:
            self.phase = ""
        self._changed()

    def apply(self, ev: Event, now: float | None = None) -> None:
        """Update the state from one engine event (`now`: a `time.perf_counter()` reading, for tests)."""
        now = time.perf_counter() if now is None else now
        run = self.run
        if isinstance(ev, RunStarted):
            run.config = ev.config
            run.metric_name, run.higher_is_better = ev.metric_name, ev.higher_is_better
            self.planned = ev.planned_evaluations
            self.max_epochs = ev.config.training.max_epochs
            self.phase = "" if self.phase != "stopping" else self.phase
            self._t0 = now
        elif isinstance(ev, GenerationStarted):
            self.generation = ev.generation
        elif isinstance(ev, EvaluationStarted):
            self.evaluation, self.epoch = ev.id, 0
        elif isinstance(ev, EpochFinished):
            self.evaluation, self.epoch, self.max_epochs = ev.id, ev.epoch, ev.max_epochs
        elif isinstance(ev, EvaluationFinished):
            run.evaluations.append(EvaluationRow.from_record(ev.record))
            if self._t0 is not None:
                self.elapsed[ev.record.id] = now - self._t0
        elif isinstance(ev, GenerationFinished):
            run.generations.append(GenerationRow.from_summary(ev.summary))
        elif isinstance(ev, RunFinished):
            run.stop_reason = ev.stop_text
            run.total_duration_s = ev.total_duration_s
            self.phase = ""
            self.generation = self.evaluation = None
        else:
            return  # e.g. CheckpointReady: nothing shown
        self._changed()

    # ----- what the views show -----
    @property
    def generations_planned(self) -> int:
        cfg = self.run.config
        return cfg.ga.generations if cfg is not None else max(len(self.run.generations), 1)

    @property
    def state_word(self) -> str:
        """A short state for the runs table: running, done, stopped, error, unfinished …"""
        if self.running:
            return "running"
        reason = self.run.stop_reason
        return STATE_WORDS.get(reason or "", reason or "unfinished")

    def bars(self) -> dict[str, Bar]:
        """The generation, evaluations and epochs bars."""
        run = self.run
        gens = self.generations_planned
        done_gens = len(run.generations)
        current = min(done_gens + (1 if self.running else 0), gens)
        n = len(run.evaluations)
        planned = self.planned or n or 1
        out = {
            "gen": Bar(f"generation {max(current, done_gens)}/{gens}", done_gens, gens),
            "eval": Bar(f"evaluations {n}/{planned}", n, planned),
        }
        if self.running and self.evaluation is not None:
            out["epoch"] = Bar(f"#{self.evaluation} epoch {self.epoch}/{self.max_epochs}", self.epoch,
                               self.max_epochs)
        elif self.running:
            out["epoch"] = Bar("epochs -", 0, 1)
        else:
            last = run.evaluations[-1] if run.evaluations else None
            epochs = last.n_epochs if last else 0
            out["epoch"] = Bar(f"{f'#{last.id} ' if last else ''}epochs {epochs}", epochs, max(epochs, 1))
        return out

    def status_markup(self) -> str:
        """The Run tab's status line (Rich markup)."""
        run = self.run
        cfg = run.config
        what = []
        if cfg is not None:
            what.append(cfg.dataset)
            what.append(f"merge on ({cfg.ga.merge_strategy})" if cfg.ga.merge else "merge off")
            what.append(f"seed {cfg.seed}")
        where = escape(str(run.path)) if run.path else escape(run.label)
        best = run.best
        best_text = (f" · best {run.metric_name} [b]{fmt_metric(best.metric, run.metric_name)}[/] (#{best.id})"
                     if best else "")
        if self.running:
            head = ("[b]■ stopping[/] after the current epoch…" if self.phase == "stopping"
                    else f"[b]● running[/] {escape(self.phase)}".rstrip())
        elif self.phase.startswith("error"):
            head = f"[b]✗ {escape(self.phase)}[/]"
        elif run.stop_reason is None:
            head = "[b]? unfinished[/] (no summary.json)"
        else:
            dur = f" in {fmt_seconds(run.total_duration_s)}" if run.total_duration_s is not None else ""
            mark = "■" if run.stop_reason == "cancelled" else "✗" if run.stop_reason.startswith("error") else "✓"
            head = f"[b]{mark} {escape(STOP_PHRASES.get(run.stop_reason, run.stop_reason))}[/]{dur}"
        return f"{head} · {' · '.join(what) + ' · ' if what else ''}{where}{best_text}"

    def convergence(self) -> Convergence:
        return convergence(self.run, self.elapsed)


NO_RUN_STATUS = "No run yet: set it up in the Setup tab (F2), then press ctrl+r. ctrl+o opens a past run."


# ----- convergence ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spread:
    """One generation's metrics: their range, placed where the generation's last evaluation finished."""

    generation: int
    count: int  # evaluations finished by then
    seconds: float
    low: float
    high: float


@dataclass(frozen=True)
class Convergence:
    """The best-so-far (selection) metric after each evaluation, in id order, against the evaluation count and
    against time (`x_label` says which clock), and every generation's spread."""

    label: str
    metric_name: str
    higher_is_better: bool
    x_label: str
    counts: tuple[int, ...] = ()
    seconds: tuple[float, ...] = ()
    best: tuple[float, ...] = ()
    spreads: tuple[Spread, ...] = ()


def best_so_far(rows: Sequence[EvaluationRow], higher_is_better: bool) -> list[float]:
    """The best finite `metric` (the one the GA selects on) after each row, NaN until the first finite one."""
    from gaterm.states import Direction

    direction = Direction.of(higher_is_better)
    out, best = [], math.nan
    for r in rows:
        if math.isfinite(r.metric) and direction.better(r.metric, best):
            best = r.metric
        out.append(best)
    return out


def convergence(run: RunData, elapsed: dict[int, float] | None = None) -> Convergence:
    """`run`'s convergence series. Time is the wall clock since the run started when `elapsed` knows every
    evaluation (a run watched live), else the cumulative fitness time in id order (an opened run: the run
    directory keeps no timestamps)."""
    rows = sorted(run.evaluations, key=lambda r: r.id)
    elapsed = elapsed or {}
    wall = bool(rows) and all(r.id in elapsed for r in rows)
    if wall:
        seconds = [elapsed[r.id] for r in rows]
    else:
        seconds, total = [], 0.0
        for r in rows:
            total += r.training_time if math.isfinite(r.training_time) else 0.0
            seconds.append(total)
    best = best_so_far(rows, run.higher_is_better)
    spreads = []
    last_of: dict[int, int] = {}
    for i, r in enumerate(rows):
        last_of[r.generation] = i
    for gen in sorted(last_of):
        metrics = [r.metric for r in rows if r.generation == gen and math.isfinite(r.metric)]
        if metrics:
            i = last_of[gen]
            spreads.append(Spread(gen, i + 1, seconds[i], min(metrics), max(metrics)))
    return Convergence(
        label=f"{run.kind}: {run.label}", metric_name=run.metric_name, higher_is_better=run.higher_is_better,
        x_label=WALL_CLOCK if wall else FITNESS_CLOCK, counts=tuple(range(1, len(rows) + 1)),
        seconds=tuple(seconds), best=tuple(best), spreads=tuple(spreads),
    )
