"""Charts as widgets: a run's fitness-time histogram, merge-vs-basic comparisons with durations, and the
convergence of the best-so-far metric (one run with its generation spreads, or several overlaid)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from gaterm.charts import LINE, bars, braille_plot, histogram_columns
from gaterm.formatting import fmt_metric, fmt_seconds
from gaterm.rundir.reader import RunData
from gaterm.tui.model import Convergence

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


SERIES_STYLES = ("bold cyan", "bold magenta", "bold yellow", "bold green", "bold blue", "bold red")
AXES = {"time": "time", "count": "evaluations"}


class ConvergenceChart(Static):
    """The best-so-far (selection) metric of one or more runs against time or the evaluation count, drawn in
    braille dots on shared axes; a run's generation spreads (min to max metric) are dim vertical bars."""

    DEFAULT_CSS = "ConvergenceChart { height: auto; width: 1fr; text-wrap: nowrap; text-overflow: clip; }"

    def __init__(self, rows: int = 8, spreads: bool = True, **kw) -> None:
        super().__init__("", **kw)
        self.rows = rows
        self.show_spreads = spreads
        self.series: list[Convergence] = []
        self.axis = "time"  # or "count"

    def set_series(self, series: list[Convergence], axis: str | None = None) -> None:
        self.series = series
        if axis is not None:
            self.axis = axis
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def xs(self, c: Convergence) -> tuple[float, ...]:
        return c.seconds if self.axis == "time" else tuple(float(n) for n in c.counts)

    def points(self, c: Convergence) -> list[tuple[float, float]]:
        """The points drawn for series `c`: (x, best so far) after each evaluation with a finite best."""
        return [(x, y) for x, y in zip(self.xs(c), c.best, strict=False) if math.isfinite(y)]

    def redraw(self) -> None:
        width = max(20, (self.content_size.width or 60) - 1)
        fill = self.has_class("-fill") and self.content_size.height > 0  # sized by its container
        height = max(3, self.content_size.height - 4) if fill else self.rows
        self.update(render_convergence(self.series, self.axis, width, height, self.show_spreads,
                                       self.points))


def render_convergence(series, axis, width, height, show_spreads, points) -> Text:
    """The chart as Rich text: title, legend, the plot with its y labels, the x axis and its labels."""
    with_data = [c for c in series if points(c)]
    out = Text(no_wrap=True, overflow="crop")
    if not with_data:
        out.append("convergence: no evaluations yet")
        return out
    first = with_data[0]
    clocks = {c.x_label for c in with_data}
    x_text = "evaluations" if axis == "count" else (first.x_label if len(clocks) == 1 else "mixed clocks") + " (s)"
    ys = [y for c in with_data for _, y in points(c)]
    spreads = [[(s.seconds if axis == "time" else float(s.count), s.low, s.high) for s in c.spreads]
               if show_spreads else [] for c in with_data]
    ys += [v for rs in spreads for _, lo, hi in rs for v in (lo, hi)]
    y0, y1 = min(ys), max(ys)
    if y1 == y0:
        y0, y1 = y0 - 0.5 * abs(y0 or 1) * 0.01, y1 + 0.5 * abs(y1 or 1) * 0.01
    xs = [x for c in with_data for x, _ in points(c)]
    x0, x1 = (0.0, max(xs) or 1.0)
    m = first.metric_name
    y_labels = [fmt_metric(y1, m), fmt_metric(y0, m)]
    lw = max(len(s) for s in y_labels)
    plot_w = max(8, width - lw - 2)
    grid = braille_plot(plot_w, height, (x0, x1), (y0, y1), [points(c) for c in with_data], spreads)
    out.append(f"best {m} so far ({'higher' if first.higher_is_better else 'lower'} is better)\n")
    for k, c in enumerate(with_data):
        out.append("━━ ", SERIES_STYLES[k % len(SERIES_STYLES)])
        out.append(f"{c.label}  ")
    if show_spreads and any(spreads):
        out.append("┃ ", "dim")
        out.append("generation min-max")
    out.append("\n")
    for r, row in enumerate(grid):
        label = y_labels[0] if r == 0 else y_labels[1] if r == height - 1 else ""
        out.append(f"{label:>{lw}} ┤" if label else f"{'':>{lw}} │", "dim")
        for ch, who in row:
            if who is None:
                out.append(ch)
            else:
                kind, k = who
                style = SERIES_STYLES[k % len(SERIES_STYLES)]
                out.append(ch, style if kind == LINE else f"dim {style.split()[-1]}")
        out.append("\n")
    out.append(f"{'':>{lw}} └" + "─" * plot_w + "\n", "dim")
    left = "0"
    right = fmt_seconds(x1) if axis == "time" else str(int(x1))
    middle = x_text[: max(0, plot_w - len(left) - len(right) - 2)]
    gap = max(2, plot_w - len(left) - len(right) - len(middle))
    out.append(f"{'':>{lw}}  {left}{' ' * (gap // 2)}{middle}{' ' * (gap - gap // 2)}{right}", "dim")
    return out
