"""The merge-strategy interface: how a child's initial weights are made from its two trained parents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch

from gaterm.chromosome import Chromosome
from gaterm.errors import MergeError
from gaterm.states import Direction

# A dense layer's parameters: (weight of shape [out, in], bias of shape [out]).
LayerWeights = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class Parent:
    """A trained parent as a merge strategy sees it.

    `layers` lists every dense layer in order, the output layer last (so `layers[:-1]` are the hidden layers).
    `metric` is the parent's selection metric (validation, unless the run selects on test); `higher_is_better`
    says which direction is good.
    """

    chromosome: Chromosome
    layers: Sequence[LayerWeights]
    metric: float
    higher_is_better: bool

    @property
    def direction(self) -> Direction:
        return Direction.of(self.higher_is_better)


@runtime_checkable
class MergeStrategy(Protocol):
    """What a plugin registers to merge parent weights.

    `merge` receives the child's freshly initialised layers (which fix the shapes to return, and may be used
    for layers neither parent can supply) and the two parents; it returns one (weight, bias) pair per child layer,
    each with exactly the shape of the corresponding `child_init` pair. It must not modify its inputs. It may
    return None instead: no merge for this child, which then starts from its fresh init and counts as not merged
    (no paired control, the patience of a fresh network); `select` does so when no candidate is finite.

    A strategy that needs data (to measure activations, or to compare candidate initialisations) sets the
    optional attribute `uses_data = True`; gaterm then also passes a `Probe` as the keyword argument `probe=`.
    """

    name: str
    description: str

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> list[LayerWeights] | None: ...


PROBE_ROWS = 256  # training rows a Probe carries
VAL_PROBE_ROWS = 8192  # validation rows Probe.val_loss uses at most


@dataclass(frozen=True)
class Probe:
    """Data for a merge strategy with `uses_data = True`, built per child.

    `inputs`: the first `PROBE_ROWS` rows of the run's standardised training inputs, a CPU float32 copy (the same
    rows for every child of a run). `val_loss(layers)`: the child's loss (its own loss gene) on the run's
    validation split (its first `VAL_PROBE_ROWS` rows) of the child's network with these layers, before any
    training: the validation loss at epoch 0 that early stopping starts from. `notes`: what the strategy wants
    recorded about this child's merge (e.g. `select`'s choice and its candidates' losses); a fresh dict per child,
    so a strategy instance keeps no per-child state.
    """

    inputs: torch.Tensor
    val_loss: Callable[[Sequence[LayerWeights]], float]
    notes: dict[str, Any] = field(default_factory=dict)


def plain_notes(notes: dict[str, Any]) -> dict[str, Any]:
    """A strategy's notes as plain JSON values (what a run directory and a checkpoint can hold): tensors and
    numpy values become numbers or lists, anything else its text."""
    import json

    def plain(v: Any) -> Any:
        if hasattr(v, "tolist"):
            return v.tolist()
        return str(v)

    return json.loads(json.dumps(notes, default=plain))


def uses_data(strategy: object) -> bool:
    return bool(getattr(strategy, "uses_data", False))


def run_merge(
    strategy: MergeStrategy,
    child: Chromosome,
    child_init: Sequence[LayerWeights],
    a: Parent,
    b: Parent,
    probe: Probe | None = None,
) -> list[LayerWeights] | None:
    """Call `strategy` as gaterm does (with `probe=` only for a strategy that uses data) and check its result
    (None: the strategy declined to merge this child); any exception from the strategy becomes a MergeError
    naming it."""
    kwargs = {}
    if uses_data(strategy):
        if probe is None:
            raise MergeError(f"merge strategy {strategy.name!r} uses data and no probe was given")
        kwargs["probe"] = probe
    try:
        merged = strategy.merge(child, child_init, a, b, **kwargs)
    except MergeError as exc:  # e.g. from a strategy that combines others: say which one was called
        raise MergeError(f"merge strategy {strategy.name!r}: {exc}") from exc
    except Exception as exc:  # a plugin's bug: name it, do not crash with its traceback
        raise MergeError(f"merge strategy {strategy.name!r} raised {type(exc).__name__}: {exc}") from exc
    return check_merged(strategy.name, child_init, merged)


def resize(t: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """Zero-pad or truncate `t` to `shape`, keeping the overlapping top-left block."""
    out = torch.zeros(tuple(shape), dtype=t.dtype, device=t.device)
    region = tuple(slice(0, min(a, b)) for a, b in zip(t.shape, shape, strict=False))
    out[region] = t[region]
    return out


def check_merged(
    strategy_name: str, child_init: Sequence[LayerWeights], merged: object
) -> list[LayerWeights] | None:
    """Validate a strategy's result against the child's shapes (None passes: no merge); a wrong result is a
    MergeError naming it."""
    if merged is None:
        return None
    where = f"merge strategy {strategy_name!r}"
    if not isinstance(merged, (list, tuple)) or len(merged) != len(child_init):
        got = len(merged) if isinstance(merged, (list, tuple)) else type(merged).__name__
        raise MergeError(f"{where} returned {got} layers; the child has {len(child_init)}")
    out: list[LayerWeights] = []
    for i, (pair, (w0, b0)) in enumerate(zip(merged, child_init, strict=False)):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(t, torch.Tensor) for t in pair)):
            raise MergeError(f"{where}: layer {i} is not a (weight, bias) pair of tensors")
        w, b = pair
        if tuple(w.shape) != tuple(w0.shape) or tuple(b.shape) != tuple(b0.shape):
            raise MergeError(
                f"{where}: layer {i} has shapes {tuple(w.shape)}/{tuple(b.shape)}, "
                f"the child needs {tuple(w0.shape)}/{tuple(b0.shape)}"
            )
        if not (torch.isfinite(w).all() and torch.isfinite(b).all()):
            raise MergeError(f"{where}: layer {i} contains NaN or infinite values")
        out.append((w.detach().to(w0.dtype), b.detach().to(b0.dtype)))
    return out
