"""Short text forms of metrics and times, shared by the headless view, compare reports and the TUI."""

from __future__ import annotations

import math


def fmt_metric(v: float, name: str) -> str:
    """Accuracy with 4 decimals, other metrics (MAE) with 4 significant digits; non-finite values as text."""
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4f}" if name == "accuracy" else f"{v:.4g}"


def fmt_seconds(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    if v < 10:
        return f"{v:.2f}s"
    if v < 600:
        return f"{v:.1f}s"
    return f"{int(v // 60)}m{int(v % 60):02d}s"
