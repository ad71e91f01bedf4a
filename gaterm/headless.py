"""The headless runner: a rich console consumer of the engine's event stream."""

from __future__ import annotations

from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from gaterm.charts import histogram
from gaterm.errors import GatermError
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
from gaterm.formatting import fmt_metric
from gaterm.stats import fitness_time_stats, fitness_times

SELECT_ON_TEST_WARNING = ("warning: selecting on the test split (--select-on test, the study's protocol): the "
                          "reported test result is optimistically biased")


def make_console(quiet: bool = False, file=None) -> Console:
    """The console headless output goes to. Written to a file or a pipe (not a terminal), lines are never
    wrapped (`soft_wrap`): a generation line stays one line however long, for `grep` and logs."""
    console = Console(quiet=quiet, file=file)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def _added(task: TaskID | None) -> TaskID:
    """A progress task HeadlessView added at RunStarted; None: an event came before the run's first one."""
    if task is None:
        raise GatermError("headless view: a run's event arrived before its RunStarted")
    return task


class HeadlessView:
    """Shows progress bars (generations, evaluations with ETA, the current evaluation's epochs), a table per
    generation and a final summary. Use as a context manager around the engine's run."""

    def __init__(self, console: Console | None = None, run_dir: str | None = None) -> None:
        self.console = console or Console()
        self.run_dir = run_dir
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._metric = "metric"
        self._selection = "validation"
        self._gen_rows: list = []
        # the progress bars' tasks, added at RunStarted (the engine's first event)
        self._gens_task: TaskID | None = None
        self._evals_task: TaskID | None = None
        self._epoch_task: TaskID | None = None

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        p = self.progress
        if isinstance(event, RunStarted):
            cfg = event.config
            self._metric = event.metric_name
            self._selection = cfg.ga.selection
            merge = f"merge on ({cfg.ga.merge_strategy})" if cfg.ga.merge else "merge off"
            sizes = ", ".join(f"{k} {v}" for k, v in event.split_sizes.items())
            self.console.print(
                f"[bold]gaterm[/] {cfg.dataset} ({event.task}; {sizes}) | population {cfg.ga.population}, "
                f"survivors {cfg.ga.survivors}, generations {cfg.ga.generations}, {merge}, seed {cfg.seed}"
            )
            if self.run_dir:
                self.console.print(f"run directory: {self.run_dir}")
            if event.duplicate_rows:
                self.console.print(f"data: {event.duplicate_rows} exact duplicate rows, each group kept within one "
                                   "split", highlight=False)
            if cfg.ga.selection == "test":
                self.console.print(SELECT_ON_TEST_WARNING, style="yellow", highlight=False)
            self._gens_task = p.add_task("generations", total=cfg.ga.generations)
            self._evals_task = p.add_task("evaluations", total=event.planned_evaluations)
            self._epoch_task = p.add_task("epochs", total=cfg.training.max_epochs)
        elif isinstance(event, GenerationStarted):
            p.update(_added(self._gens_task), description=f"generation {event.generation}")
        elif isinstance(event, EvaluationStarted):
            p.reset(_added(self._epoch_task), description=f"individual {event.id}")
        elif isinstance(event, EpochFinished):
            p.update(_added(self._epoch_task), completed=event.epoch)
        elif isinstance(event, EvaluationFinished):
            p.advance(_added(self._evals_task))
        elif isinstance(event, GenerationFinished):
            p.advance(_added(self._gens_task))
            self._print_generation(event)
        elif isinstance(event, RunFinished):
            p.stop()
            self._print_summary(event)

    def _print_generation(self, ev: GenerationFinished) -> None:
        s = ev.summary
        m = self._metric
        self.console.print(
            f"generation {s.generation}: {s.evaluations} evaluated | best {m} {fmt_metric(s.best_metric, m)}"
            f" | mean {m} {fmt_metric(s.mean_metric, m)} | mean fitness time {s.mean_fitness_time:.2f}s"
            f" | best so far #{s.best_so_far_id} {fmt_metric(s.best_so_far_metric, m)}"
        )

    def _print_summary(self, ev: RunFinished) -> None:
        m = self._metric
        recs = ev.records
        d = fitness_time_stats(recs)
        table = Table(title=f"run finished ({ev.stop_text})", show_header=False)
        table.add_row("evaluations", str(len(recs)))
        table.add_row("total duration", f"{ev.total_duration_s:.1f}s")
        table.add_row("fitness time mean / median", f"{d['mean']:.3f}s / {d['median']:.3f}s")
        table.add_row("fitness time skewness", f"{d['skewness']:.2f}")
        if recs:
            table.add_row("mean epochs", f"{sum(r.n_epochs for r in recs) / len(recs):.1f}")
        if ev.best is not None:
            b = ev.best
            table.add_row(f"best by {self._selection}", f"#{b.id}, generation {b.generation}")
            table.add_row(f"its {m}: validation / test",
                          f"{fmt_metric(b.val_metric, m)} / {fmt_metric(b.test_metric, m)}")
            table.add_row("best genes", ev.best.genes)
        if self.run_dir:
            table.add_row("run directory", self.run_dir)
        self.console.print(table)
        if recs:
            self.console.print("fitness time histogram:")
            for line in histogram(fitness_times(recs), bins=8, width=30):
                self.console.print("  " + line, highlight=False)
