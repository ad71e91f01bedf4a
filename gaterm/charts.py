"""ASCII charts (histograms, bars) for terminals and text reports."""

from __future__ import annotations

from collections.abc import Sequence

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
    for c, e0, e1 in zip(counts, edges[:-1], edges[1:]):
        bar = "#" * round(width * c / peak)
        lines.append(f"{e0:>{label_w}.2f}-{e1:<{label_w}.2f}{unit} {int(c):>4} {bar}")
    return lines
