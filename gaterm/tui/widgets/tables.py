"""The TUI's tables: evaluations (best highlighted), generations, and the session's runs; rows are keyed."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from gaterm.rundir.files import EvaluationRow, GenerationRow
from gaterm.rundir.reader import RunData
from gaterm.states import Direction, Status
from gaterm.tui.formatting import compact_genes, fmt_metric, fmt_parents, fmt_seconds

BEST_STYLE = "bold green"


class EvaluationTable(DataTable):
    """A row per finished evaluation, keyed by the individual's id; the best so far is marked and bold."""

    DEFAULT_CSS = "EvaluationTable { height: 1fr; }"

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.metric_name = "metric"
        self.higher_is_better = True
        self.best_id: int | None = None
        self.run: RunData | None = None
        self._rows: dict[int, EvaluationRow] = {}

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        self.add_column("gen", key="generation")
        self.add_column("id", key="id")
        self.add_column("parents", key="parents")
        self.add_column(self.metric_name, key="metric")
        self.add_column("ep", key="epochs")
        self.add_column("fit time", key="time")
        self.add_column("genes", key="genes")

    def show_run(self, run: RunData | None) -> None:
        """Replace the rows with `run`'s evaluations (columns follow its metric's name)."""
        self.clear(columns=True)
        self.run = run
        self._rows.clear()
        self.best_id = None
        self.metric_name = run.metric_name if run else "metric"
        self.higher_is_better = run.higher_is_better if run else True
        self._add_columns()
        if run is not None:
            for row in run.evaluations:
                self.add_evaluation(row, follow=False)

    def sync(self, run: RunData | None) -> None:
        """Show `run`: rebuilt when it is another run (or its metric got its name), else only its new
        evaluations are added."""
        if run is not self.run or (run is not None and run.metric_name != self.metric_name):
            self.show_run(run)
        elif run is not None:
            for row in run.evaluations[len(self._rows):]:
                self.add_evaluation(row)

    def _cells(self, row: EvaluationRow, best: bool) -> list[Text]:
        style = BEST_STYLE if best else ""
        values = [
            str(row.generation),
            f"★{row.id}" if best else str(row.id),
            fmt_parents(row.parent_a, row.parent_b, row.merged),
            fmt_metric(row.metric, self.metric_name)
            + ("" if row.status is Status.OK else f" {row.status.text(row.error)}"),
            str(row.n_epochs),
            fmt_seconds(row.training_time),
            compact_genes(row.genes),
        ]
        right = {0, 1, 3, 4, 5}
        return [Text(v, style=style, justify="right" if i in right else "left") for i, v in enumerate(values)]

    def add_evaluation(self, row: EvaluationRow, follow: bool = True) -> None:
        """Add `row`; if it is the new best, move the highlight to it (cells updated by key)."""
        self._rows[row.id] = row
        becomes_best = math.isfinite(row.metric) and (
            self.best_id is None
            or Direction.of(self.higher_is_better).better(row.metric, self._rows[self.best_id].metric)
        )
        self.add_row(*self._cells(row, becomes_best), key=str(row.id))
        if becomes_best:
            previous, self.best_id = self.best_id, row.id
            if previous is not None:
                self._restyle(previous, best=False)
        if follow and not self.has_focus:
            self.scroll_end(animate=False)

    def _restyle(self, row_id: int, best: bool) -> None:
        for column, cell in zip(self.columns, self._cells(self._rows[row_id], best), strict=False):
            self.update_cell(str(row_id), column, cell)


class GenerationTable(DataTable):
    """A row per finished generation (keyed by its number): evaluations (n), best and mean metric, mean
    fitness time, and the best so far (#id metric)."""

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", **kw)
        self.metric_name = "metric"
        self.run: RunData | None = None

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for label, key in (("gen", "generation"), ("n", "evaluations"), ("best", "best"), ("mean", "mean"),
                           ("time", "time"), ("so far", "so_far")):
            self.add_column(label, key=key)

    def show_run(self, run: RunData | None) -> None:
        self.clear(columns=True)
        self.run = run
        self.metric_name = run.metric_name if run else "metric"
        self._add_columns()
        for g in run.generations if run else ():
            self.add_generation(g)

    def sync(self, run: RunData | None) -> None:
        """Show `run`: rebuilt when it is another run (or its metric got its name), else only its new
        generations are added."""
        if run is not self.run or (run is not None and run.metric_name != self.metric_name):
            self.show_run(run)
        elif run is not None:
            for g in run.generations[self.row_count:]:
                self.add_generation(g)

    def add_generation(self, g: GenerationRow) -> None:
        m = self.metric_name
        cells = [
            str(g.generation), str(g.evaluations), fmt_metric(g.best_metric, m), fmt_metric(g.mean_metric, m),
            fmt_seconds(g.mean_fitness_time), f"#{g.best_so_far_id} {fmt_metric(g.best_so_far_metric, m)}",
        ]
        self.add_row(*(Text(c, justify="right") for c in cells), key=str(g.generation))


RUN_COLUMNS = (
    (" ", "mark"), ("kind", "kind"), ("run", "run"), ("evals", "evals"), ("state", "state"),
    ("duration", "duration"), ("mean fit", "mean"), ("skew", "skew"), ("best", "best"),
)


class RunsTable(DataTable):
    """Every run of the session, live or opened from disk; a row per run, keyed by the app's run key.

    Enter picks a run for the comparison (● marks the compared ones); `v` shows it in the Run tab.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "view", "View in Run tab", id="runs.view"),
    ]

    class ViewRequested(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", **kw)

    def on_mount(self) -> None:
        for label, key in RUN_COLUMNS:
            self.add_column(label, key=key)

    def upsert(self, key: str, run: RunData, compared: bool, state: str) -> None:
        """Add the run's row, or update its cells in place (by key) when it is already there."""
        d = run.time_stats()
        best = run.best
        state = state if len(state) <= 16 else state[:15] + "…"
        duration = run.total_duration_s if run.total_duration_s is not None else sum(run.fitness_times)
        skew = f"{d['skewness']:.2f}" if d["skewness"] == d["skewness"] else "-"
        cells = {
            "mark": "●" if compared else "",
            "kind": run.kind,
            "run": run.label,
            "evals": str(len(run.evaluations)),
            "state": state,
            "duration": fmt_seconds(duration) if run.evaluations or run.total_duration_s else "-",
            "mean": fmt_seconds(d["mean"]),
            "skew": skew,
            "best": f"{fmt_metric(best.metric, run.metric_name)} #{best.id}" if best else "-",
        }
        if key in self.rows:
            for column, value in cells.items():
                self.update_cell(key, column, value, update_width=True)
        else:
            self.add_row(*cells.values(), key=key)

    def action_view(self) -> None:
        if self.row_count:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
            if key is not None:
                self.post_message(self.ViewRequested(key))
