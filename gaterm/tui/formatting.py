"""Short text forms of genes, metrics and times for the TUI's tables (pure functions, no Textual)."""

from __future__ import annotations

import math

from gaterm.engine.chromosome import Chromosome
from gaterm.errors import ConfigError

_LOSS = {"cross_entropy": "ce", "mae": "mae", "mse": "mse", "huber": "hub"}
_ACT = {"tanh": "tanh", "sigmoid": "sigm", "relu": "relu", "softsign": "ssgn", "elu": "elu"}


def compact_genes(genes: str) -> str:
    """`adam lr=0.005 bs=128 loss=mse | 16 tanh, 8 relu` -> `adam .005 b128 mse | 16tanh 8relu` (the loss is
    left out when it is cross_entropy)."""
    try:
        c = Chromosome.parse(genes)
    except ConfigError:
        return genes
    lr = f"{c.learning_rate:g}"
    lr = lr[1:] if lr.startswith("0.") else lr
    layers = " ".join(f"{lg.neurons}{_ACT.get(lg.activation, lg.activation)}" for lg in c.layers)
    loss = "" if c.loss == "cross_entropy" else f" {_LOSS.get(c.loss, c.loss)}"  # the only classification loss
    return f"{c.optimizer} {lr} b{c.batch_size}{loss} | {layers}"


def fmt_metric(v: float, name: str) -> str:
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


def fmt_parents(a: int | None, b: int | None, merged: bool) -> str:
    if a is None or b is None:
        return "-"
    return f"{a}{'×' if merged else '+'}{b}"
