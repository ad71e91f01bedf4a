"""The study's `mean` merge: zero-pad or truncate each parent's layer to the child's shape, then average."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from gaterm.plugin import Chromosome, LayerWeights, MergeError, Parent, hookimpl, resize


class MeanMerge:
    """For each hidden-layer index, average the parents' weights and biases resized to the child's shape.

    A hidden layer only one parent has is copied (resized) from it; one neither has keeps the child's fresh
    initialisation. The output layers are merged the same way (output with output).
    """

    name = "mean"
    description = "study's merge: zero-pad/truncate each parent's weights and biases to the child's shape, average"

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> list[LayerWeights]:
        hidden_a, hidden_b = list(a.layers[:-1]), list(b.layers[:-1])
        out: list[LayerWeights] = []
        n_hidden = len(child_init) - 1
        for i, (w0, b0) in enumerate(child_init):
            if i == n_hidden:
                sources = [a.layers[-1], b.layers[-1]]
            else:
                sources = [h[i] for h in (hidden_a, hidden_b) if i < len(h)]
            if not sources:
                out.append((w0.clone(), b0.clone()))
                continue
            ws = [resize(w, w0.shape) for w, _ in sources]
            bs = [resize(bb, b0.shape) for _, bb in sources]
            out.append((_mean(ws), _mean(bs)))
        return out


def _mean(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The element-wise mean of one or more tensors, summed in order from 0."""
    total = sum(tensors)
    if not isinstance(total, torch.Tensor):
        raise MergeError("mean merge: nothing to average")
    return total / len(tensors)


@hookimpl
def gaterm_register_merge_strategies(register) -> None:
    register.add(MeanMerge())
