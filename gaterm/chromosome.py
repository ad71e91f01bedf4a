"""The chromosome: optimizer, loss, learning rate, batch size and 1..N hidden (neurons, activation) layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from gaterm.config import GeneStore
from gaterm.errors import ConfigError

_T = TypeVar("_T")


@dataclass(frozen=True)
class LayerGene:
    """One hidden layer: its width and activation."""

    neurons: int
    activation: str


@dataclass(frozen=True)
class Chromosome:
    """A variable-length chromosome describing one network and how it is trained."""

    optimizer: str
    loss: str
    learning_rate: float
    batch_size: int
    layers: tuple[LayerGene, ...]

    def encode(self) -> str:
        """A readable, parseable one-line form, e.g. `adam lr=0.001 bs=32 loss=mse | 120 relu, 40 tanh`."""
        layers = ", ".join(f"{lg.neurons} {lg.activation}" for lg in self.layers)
        return f"{self.optimizer} lr={self.learning_rate!r} bs={self.batch_size} loss={self.loss} | {layers}"

    @classmethod
    def parse(cls, text: str) -> Chromosome:
        """Inverse of `encode`."""
        try:
            head, tail = text.split("|")
            opt, lr, bs, loss = head.split()
            layers = []
            for part in tail.split(","):
                n, act = part.split()
                layers.append(LayerGene(int(n), act))
            return cls(
                optimizer=opt,
                loss=loss.removeprefix("loss="),
                learning_rate=float(lr.removeprefix("lr=")),
                batch_size=int(bs.removeprefix("bs=")),
                layers=tuple(layers),
            )
        except ValueError:
            raise ConfigError(f"not a gaterm chromosome: {text!r}") from None

    @property
    def depth(self) -> int:
        return len(self.layers)


def _pick(rng: np.random.Generator, values: list[_T]) -> _T:
    return values[int(rng.integers(len(values)))]


def random_layer(rng: np.random.Generator, store: GeneStore) -> LayerGene:
    return LayerGene(int(_pick(rng, store.neurons)), str(_pick(rng, store.activation)))


def random_chromosome(rng: np.random.Generator, store: GeneStore) -> Chromosome:
    """Draw every gene uniformly from the store."""
    depth = int(_pick(rng, store.layers))
    optimizer = str(_pick(rng, store.optimizer))
    return Chromosome(
        optimizer=optimizer,
        loss=str(_pick(rng, store.loss)),
        learning_rate=float(_pick(rng, store.rates_for(optimizer))),
        batch_size=int(_pick(rng, store.batch_size)),
        layers=tuple(random_layer(rng, store) for _ in range(depth)),
    )


def _spread(rng: np.random.Generator, values: list, n: int) -> list:
    """`n` values covering `values` as evenly as possible (each appears n // len or one more times), shuffled."""
    pool: list = []
    while len(pool) < n:
        pool += [values[int(i)] for i in rng.permutation(len(values))]
    return [pool[int(i)] for i in rng.permutation(n)] if n else []


def spread_population(rng: np.random.Generator, store: GeneStore, n: int) -> list[Chromosome]:
    """`n` chromosomes that cover the gene store evenly, gene by gene (a Latin-hypercube-like design over
    categorical genes): every value of a gene appears about n / len(values) times, independently of the other
    genes. A learning rate is spread among the individuals with the same optimizer, and a layer position's
    neurons and activation among the individuals deep enough to have it."""
    depths = [int(d) for d in _spread(rng, store.layers, n)]
    optimizers = [str(o) for o in _spread(rng, store.optimizer, n)]
    losses = [str(x) for x in _spread(rng, store.loss, n)]
    batches = [int(b) for b in _spread(rng, store.batch_size, n)]
    rates = [0.0] * n
    for opt in dict.fromkeys(optimizers):
        who = [i for i in range(n) if optimizers[i] == opt]
        for i, r in zip(who, _spread(rng, store.rates_for(opt), len(who)), strict=False):
            rates[i] = float(r)
    layers: list[list[LayerGene]] = [[] for _ in range(n)]
    for pos in range(max(depths, default=0)):
        who = [i for i in range(n) if depths[i] > pos]
        widths, acts = _spread(rng, store.neurons, len(who)), _spread(rng, store.activation, len(who))
        for i, width, act in zip(who, widths, acts, strict=False):
            layers[i].append(LayerGene(int(width), str(act)))
    return [Chromosome(optimizers[i], losses[i], rates[i], batches[i], tuple(layers[i])) for i in range(n)]
