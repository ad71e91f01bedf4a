"""Short text forms of genes, metrics and times for the TUI's tables (pure functions, no Textual)."""

from __future__ import annotations

from gaterm.chromosome import Chromosome
from gaterm.errors import ConfigError
from gaterm.formatting import fmt_metric, fmt_seconds

__all__ = ["compact_genes", "fmt_metric", "fmt_parents", "fmt_seconds"]

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


def fmt_parents(a: int | None, b: int | None, merged: bool) -> str:
    if a is None or b is None:
        return "-"
    return f"{a}{'×' if merged else '+'}{b}"
