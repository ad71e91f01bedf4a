"""ASCII charts as widgets: a run's fitness-time histogram, and merge-vs-basic comparisons with durations."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gaterm.charts import bars, histogram_columns
from gaterm.rundir.reader import RunData

MEAN_NOTE = "(< : bin of the mean)"


class FitnessHistogram(Static):
    """The fitness-time histogram of one run, with its mean and skewness; redrawn to fit its width when the
    data or its size change."""

    DEFAULT_CSS = "FitnessHistogram { height: auto; width: 1fr; }"

    def __init__(self, bins: int = 8, **kw) -> None:
        super().__init__("", **kw)
        self.bins = bins
        self.run: RunData | None = None

    def set_run(self, run: RunData | None) -> None:
        self.run = run
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        width = (self.content_size.width or 40) - 1
        run = self.run
        if run is None or not run.evaluations:
            lines = ["fitness-time histogram: no evaluations yet"]
        else:
            lines = [f"fitness times {MEAN_NOTE}"[:width]]
            lines += histogram_columns([(f"{run.kind}: {run.label}", run.fitness_times)], bins=self.bins,
                                       total_width=width)
        self.update(Text("\n".join(lines), no_wrap=True, overflow="crop"))


class CompareChart(Static):
    """Side-by-side fitness-time histograms of the compared runs (same bins, means marked, skewness) and a
    bar chart of every run's total duration."""

    DEFAULT_CSS = "CompareChart { height: auto; width: 1fr; }"

    def __init__(self, bins: int = 10, **kw) -> None:
        super().__init__("", **kw)
        self.bins = bins
        self.compared: list[RunData] = []
        self.runs: list[RunData] = []

    def set_runs(self, compared: list[RunData], runs: list[RunData]) -> None:
        self.compared, self.runs = compared, runs
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        width = (self.content_size.width or 80) - 1
        out: list[str] = []
        with_data = [r for r in self.compared if r.evaluations]
        if not with_data:
            out.append("No evaluations yet: start a run (ctrl+r) or open a run directory (ctrl+o).")
        else:
            kinds = {r.kind for r in with_data}
            both = {"merge", "basic"} <= kinds
            out.append(f"fitness times{', merge vs basic' if both else ''} {MEAN_NOTE}")
            series = [(f"{r.kind}: {r.label}", r.fitness_times) for r in with_data]
            out += histogram_columns(series, bins=self.bins, total_width=width)
            if not both:
                other = "basic (merge off)" if "merge" in kinds else "merge"
                out.append(f"Run or open a {other} run to compare the two distributions.")
        shown = [r for r in self.runs if r.evaluations or r.total_duration_s]
        if shown:
            running = any(r.stop_reason is None for r in shown)
            out += ["", "total duration per run" + ("   (* unfinished: sum of its fitness times)" if running else "")]
            items = [(f"{r.kind} {r.label}{'*' if r.stop_reason is None else ''}", _duration(r)) for r in shown]
            lw = max(len(label) for label, _ in items)
            out += bars(items, width=max(4, width - lw - 12))
        self.update(Text("\n".join(out), no_wrap=True, overflow="crop"))


def _duration(run: RunData) -> float:
    """The run's total duration; while it runs (or if it never finished), the sum of its fitness times."""
    if run.total_duration_s is not None:
        return run.total_duration_s
    return float(sum(run.fitness_times))
