"""ASCII charts (histograms, bars) for terminals and text reports."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np


def histogram(values: Sequence[float], bins: int = 10, width: int = 40, unit: str = "s") -> list[str]:
    """A horizontal ASCII histogram: one line per bin, `[lo, hi) count ####`."""
    a = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if a.size == 0:
        return ["(no data)"]
    lo, hi = float(a.min()), float(a.max())
    if hi == lo:
        hi = lo + 1e-9
    counts, edges = np.histogram(a, bins=bins, range=(lo, hi))
    peak = max(int(counts.max()), 1)
    label_w = max(len(f"{e:.2f}") for e in edges)
    lines = []
    for c, e0, e1 in zip(counts, edges[:-1], edges[1:], strict=False):
        bar = "#" * round(width * c / peak)
        lines.append(f"{e0:>{label_w}.2f}-{e1:<{label_w}.2f}{unit} {int(c):>4} {bar}")
    return lines


def bars(items: Sequence[tuple[str, float]], width: int = 40, unit: str = "s") -> list[str]:
    """A horizontal bar chart: `label  value ####`, bars scaled to the largest value."""
    if not items:
        return ["(no data)"]
    peak = max((v for _, v in items if np.isfinite(v)), default=0.0) or 1.0
    lw = max(len(lbl) for lbl, _ in items)
    return [
        f"{lbl:<{lw}} {v:>9.1f}{unit} {'#' * round(width * v / peak) if np.isfinite(v) else ''}" for lbl, v in items
    ]


def histogram_columns(
    series: Sequence[tuple[str, Sequence[float]]],
    bins: int = 10,
    width: int = 20,
    unit: str = "s",
    marks: str = "#=*+",
    total_width: int | None = None,
) -> list[str]:
    """Several histograms side by side over the same bins, so their shapes compare directly.

    `series` is `(label, values)` pairs. The first line names each column with its label, the next two give
    its count, mean and skewness; then one line per bin: `lo-hi` then, for each series, `count bar`. A `<` after
    a bar marks the bin that holds that series' mean. Bars of all series share one scale. With `total_width`,
    `width` is ignored and bars are as long as lines of at most `total_width` characters allow.
    """
    from gaterm.stats import describe_times

    clean = [(label, np.asarray([v for v in vals if np.isfinite(v)], dtype=float)) for label, vals in series]
    everything = np.concatenate([a for _, a in clean]) if clean else np.asarray([])
    if everything.size == 0:
        return ["(no data)"]
    lo, hi = float(everything.min()), float(everything.max())
    if hi == lo:
        hi = lo + 1e-9
    edges = np.histogram_bin_edges(everything, bins=bins, range=(lo, hi))
    counts = [np.histogram(a, bins=edges)[0] for _, a in clean]
    peak = max(max(int(c.max()) for c in counts), 1)
    step = (hi - lo) / bins
    dec = 2 if step >= 0.01 else min(4, -int(np.floor(np.log10(step))))  # bins stay distinguishable
    label_w = max(len(f"{e:.{dec}f}") for e in edges)
    axis_w = 2 * label_w + 1 + len(unit)
    if total_width is not None:
        width = max(4, (total_width - axis_w) // len(clean) - 9)
    col_w = 4 + 1 + width + 1  # count, space, bar, mean mark
    stats = [describe_times(a.tolist()) for _, a in clean]
    head = " " * axis_w + "".join(f" | {label[:col_w]:<{col_w}}" for label, _ in clean)
    lines = [head.rstrip()]
    for notes in (
        [f"n={a.size}  mean {_num(d['mean'], dec)}{unit}" for (_, a), d in zip(clean, stats, strict=False)],
        [f"skewness {_num(d['skewness'])}" for d in stats],
    ):
        lines.append((" " * axis_w + "".join(f" | {note[:col_w]:<{col_w}}" for note in notes)).rstrip())
    for i, (e0, e1) in enumerate(pairwise(edges)):
        row = f"{e0:>{label_w}.{dec}f}-{e1:<{label_w}.{dec}f}{unit}"
        last = i == len(edges) - 2
        for k, ((_, _a), c, d) in enumerate(zip(clean, counts, stats, strict=False)):
            mark_char = marks[k % len(marks)]
            bar = mark_char * round(width * int(c[i]) / peak)
            m = d["mean"]
            holds_mean = np.isfinite(m) and (e0 <= m < e1 or (last and m == e1))
            row += f" | {int(c[i]):>4} {bar:<{width}}{'<' if holds_mean else ' '}"
        lines.append(row.rstrip())
    return lines


def _num(v: float, dec: int = 2) -> str:
    return f"{v:.{dec}f}" if np.isfinite(v) else "-"


# ----- line charts in braille dots -----------------------------------------------------------------------------
_BRAILLE_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))  # [column][row] of a cell's 2x4 dots
LINE, RANGE = "line", "range"


def braille_plot(
    width: int,
    height: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    steps: Sequence[Sequence[tuple[float, float]]] = (),
    ranges: Sequence[Sequence[tuple[float, float, float]]] = (),
) -> list[list[tuple[str, tuple[str, int] | None]]]:
    """A `width` x `height` grid of braille cells (2x4 dots each) holding step lines and vertical ranges.

    `steps[k]` is series k's points (x, y), drawn as a step function (the value holds until the next point);
    `ranges[k]` its vertical ranges (x, low, high). Each cell is (character, owner): owner is (LINE, k) or
    (RANGE, k) for the series whose dots it shows (a line wins over a range, a later series over an earlier
    one), None for an empty cell. Points outside the ranges are clipped.
    """
    w, h = max(1, width) * 2, max(1, height) * 4
    (x0, x1), (y0, y1) = x_range, y_range
    sx = (w - 1) / (x1 - x0) if x1 > x0 else 0.0
    sy = (h - 1) / (y1 - y0) if y1 > y0 else 0.0
    bits = [[0] * width for _ in range(height)]
    owner: list[list[tuple[str, int] | None]] = [[None] * width for _ in range(height)]

    def px(x: float) -> int:
        return min(w - 1, max(0, round((x - x0) * sx)))

    def py(y: float) -> int:  # dot rows count from the top
        return min(h - 1, max(0, h - 1 - round((y - y0) * sy)))

    def dot(cx: int, cy: int, who: tuple[str, int]) -> None:
        col, row = cx // 2, cy // 4
        bits[row][col] |= _BRAILLE_BITS[cx % 2][cy % 4]
        if who[0] == LINE or owner[row][col] is None or owner[row][col][0] == RANGE:  # type: ignore[index]
            owner[row][col] = who

    for k, rs in enumerate(ranges):
        for x, lo, hi in rs:
            if not (np.isfinite(lo) and np.isfinite(hi)):
                continue
            cx, a, b = px(x), py(hi), py(lo)
            for cy in range(a, b + 1):
                dot(cx, cy, (RANGE, k))
    for k, pts in enumerate(steps):
        finite = [(x, y) for x, y in pts if np.isfinite(x) and np.isfinite(y)]
        for i, (x, y) in enumerate(finite):
            cx, cy = px(x), py(y)
            dot(cx, cy, (LINE, k))
            if i + 1 < len(finite):
                nx, ny = px(finite[i + 1][0]), py(finite[i + 1][1])
                for c in range(cx, nx + 1):  # hold the value until the next point, then step
                    dot(c, cy, (LINE, k))
                for r in range(min(cy, ny), max(cy, ny) + 1):
                    dot(nx, r, (LINE, k))
    return [[(chr(0x2800 + bits[r][c]) if bits[r][c] else " ", owner[r][c]) for c in range(width)]
            for r in range(height)]
