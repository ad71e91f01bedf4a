"""The chromosome: optimizer, loss, learning rate, batch size and 1..N hidden (neurons, activation) layers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaterm.config import GeneStore
from gaterm.errors import ConfigError


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


def _pick(rng: np.random.Generator, values: list) -> object:
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
