"""Genetic operators: selection of survivors, uniform crossover of variable-length chromosomes, mutation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

import numpy as np

from gaterm.chromosome import Chromosome, LayerGene, random_layer
from gaterm.config import GeneStore
from gaterm.states import Direction

T = TypeVar("T")


def select(scored: Sequence[tuple[int, float]], survivors: int, direction: Direction) -> list[int]:
    """Return the ids of the `survivors` best (id, metric) pairs; ties go to the older (smaller) id."""
    ranked = sorted(scored, key=lambda im: (direction.sort_key(im[1]), im[0]))
    return [i for i, _ in ranked[:survivors]]


def _either(rng: np.random.Generator, a: T, b: T) -> T:
    return a if rng.random() < 0.5 else b


def crossover(rng: np.random.Generator, a: Chromosome, b: Chromosome, depth: str = "deeper") -> Chromosome:
    """Uniform crossover, gene by gene, as in the study.

    Scalar genes and, position by position, each layer's neurons and activation come from either parent with
    equal probability. A layer position that only the deeper parent has comes from that parent. With `depth`
    "deeper" (the study's) the child is as deep as its deeper parent, so only mutation of the layer count makes
    networks shallower again; with "either" (`ga.crossover_depth`) its depth is either parent's, with equal
    probability, drawn before the genes.
    """
    n = max(a.depth, b.depth) if depth == "deeper" else _either(rng, a.depth, b.depth)
    layers: list[LayerGene] = []
    for i in range(n):
        if i < a.depth and i < b.depth:
            la, lb = a.layers[i], b.layers[i]
            layers.append(LayerGene(_either(rng, la.neurons, lb.neurons), _either(rng, la.activation, lb.activation)))
        else:
            layers.append(a.layers[i] if i < a.depth else b.layers[i])
    return Chromosome(
        optimizer=_either(rng, a.optimizer, b.optimizer),
        loss=_either(rng, a.loss, b.loss),
        learning_rate=_either(rng, a.learning_rate, b.learning_rate),
        batch_size=_either(rng, a.batch_size, b.batch_size),
        layers=tuple(layers),
    )


def _maybe_change(rng: np.random.Generator, p: float, current: T, values: Sequence[T]) -> T:
    """With probability p, replace `current` by a different value drawn uniformly from `values`."""
    if rng.random() >= p:
        return current
    others = [v for v in values if v != current]
    if not others:
        return current
    return others[int(rng.integers(len(others)))]


def novel(rng: np.random.Generator, c: Chromosome, store: GeneStore, p: float, seen: set[str],
          tries: int = 20) -> Chromosome:
    """`c`, mutated again (with probability `p` per gene, each round) until its genes differ from every
    chromosome in `seen` (encoded), at most `tries` rounds; `c` itself when it is already new."""
    for _ in range(tries):
        if c.encode() not in seen:
            break
        c = mutate(rng, c, store, p)
    return c


def mutate(rng: np.random.Generator, c: Chromosome, store: GeneStore, p: float) -> Chromosome:
    """Each gene changes with probability `p` to another value of the store (the layer count is a gene too).
    The learning rate is first fitted to the (new) optimizer's rates, then may change among them."""
    depth = _maybe_change(rng, p, c.depth, store.layers)
    layers = list(c.layers[:depth])
    while len(layers) < depth:
        layers.append(random_layer(rng, store))
    layers = [
        LayerGene(
            _maybe_change(rng, p, lg.neurons, store.neurons),
            _maybe_change(rng, p, lg.activation, store.activation),
        )
        for lg in layers
    ]
    optimizer = _maybe_change(rng, p, c.optimizer, store.optimizer)
    rates = store.rates_for(optimizer)
    return replace(
        c,
        optimizer=optimizer,
        loss=_maybe_change(rng, p, c.loss, store.loss),
        learning_rate=_maybe_change(rng, p, store.fit_rate(optimizer, c.learning_rate), rates),
        batch_size=_maybe_change(rng, p, c.batch_size, store.batch_size),
        layers=tuple(layers),
    )
