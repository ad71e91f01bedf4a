"""Merge strategies beyond the study's `mean` (issue 7): aligned units (optionally REPAIRed on a batch of
training inputs), Net2Net resizing, the fitter parent, whole-layer inheritance, shrink-perturb as a modifier
of any of them, and `select`, which keeps per child the candidate with the lowest validation loss at epoch 0.

Rules shared by every strategy here:
- the result has exactly `child_init`'s shapes; an entry no parent covers keeps the child's fresh-init value
  (never a zero pad, which would shrink the weights);
- a parent's hidden layer is only inherited when its activation equals the child's at that index (the output
  layer has no activation and its units have a fixed meaning, so it is always eligible);
- the inputs are never modified, and any randomness (Net2Net's replica choice and noise) comes from a
  generator seeded by a hash of the child's fresh weights, never from torch's global RNG, so a merge is a pure
  function of its inputs.

"The fitter parent" is the one with the better metric (`a` on a tie or when both metrics are non-finite).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
import torch

from gaterm.plugin import (
    ACTIVATIONS,
    PROBE_ROWS,
    Chromosome,
    LayerWeights,
    MergeStrategy,
    Parent,
    Probe,
    hookimpl,
    run_merge,
    uses_data,
)
from gaterm_builtin.merges import MeanMerge

# Activations whose output is never negative, and those that are the identity on non-negative inputs (so an
# identity layer with that activation, inserted after a non-negative layer, preserves the function).
NONNEGATIVE = frozenset({"relu", "sigmoid"})
IDENTITY_ON_NONNEGATIVE = frozenset({"relu", "elu"})

SP_LAMBDA, SP_SIGMA = 0.5, 0.1


# ----------------------------------------------------------------------------------------------------------
# helpers
def fitter_first(a: Parent, b: Parent) -> tuple[Parent, Parent]:
    """(fitter parent, other parent); `a` first on a tie, a non-finite metric always loses."""
    if not math.isfinite(b.metric) or (math.isfinite(a.metric) and not a.direction.better(b.metric, a.metric)):
        return a, b
    return b, a


def depth(p: Parent) -> int:
    """Number of hidden layers of a parent (its dense layers minus the output layer)."""
    return len(p.layers) - 1


def activation(p: Parent, i: int) -> str | None:
    layers = p.chromosome.layers
    return layers[i].activation if 0 <= i < len(layers) and i < depth(p) else None


def child_activations(child: Chromosome, n_hidden: int) -> list[str | None]:
    acts: list[str | None] = [lg.activation for lg in child.layers[:n_hidden]]
    return acts + [None] * (n_hidden - len(acts))


def generator_for(child_init: Sequence[LayerWeights]) -> torch.Generator:
    """A torch generator seeded from the bytes of the child's first fresh weight matrix (deterministic)."""
    w = child_init[0][0].detach().cpu().contiguous()
    digest = hashlib.sha256(w.numpy().tobytes()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


def _idx(values: Sequence[int] | torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.long).reshape(-1)


def _take(w: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """w[rows][:, cols] where an index of -1 (or out of range) means "not covered"; returns (values, mask)."""
    rmask = (rows >= 0) & (rows < w.shape[0])
    cmask = (cols >= 0) & (cols < w.shape[1])
    if w.shape[0] == 0 or w.shape[1] == 0:
        shape = (len(rows), len(cols))
        return torch.zeros(shape, dtype=w.dtype), torch.zeros(shape, dtype=torch.bool)
    vals = w.detach()[rows.clamp(0, w.shape[0] - 1)][:, cols.clamp(0, w.shape[1] - 1)]
    return vals, rmask[:, None] & cmask[None, :]


def _take1(b: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mask = (rows >= 0) & (rows < b.shape[0])
    if b.shape[0] == 0:
        return torch.zeros(len(rows), dtype=b.dtype), mask
    return b.detach()[rows.clamp(0, b.shape[0] - 1)], mask


# A contribution of one parent layer to one child layer: (weight, bias, rows, cols, col_scale). Child entry
# [j, k] takes weight[rows[j], cols[k]] * col_scale[k] (scale None: 1), child bias [j] takes bias[rows[j]];
# -1 in rows or cols means "not covered".
Contribution = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]


def combine(w0: torch.Tensor, b0: torch.Tensor, contributions: Sequence[Contribution]) -> LayerWeights:
    """Per entry, the mean of the contributions that cover it; the fresh-init value where none does."""
    sw = torch.zeros(w0.shape, dtype=torch.float64)
    nw = torch.zeros(w0.shape, dtype=torch.float64)
    sb = torch.zeros(b0.shape, dtype=torch.float64)
    nb = torch.zeros(b0.shape, dtype=torch.float64)
    for w, b, rows, cols, scale in contributions:
        vals, mask = _take(w, rows, cols)
        vals = vals.to(torch.float64)
        if scale is not None:
            vals = vals * scale.to(torch.float64)[None, :]
        sw += torch.where(mask, vals, 0.0)
        nw += mask
        bv, bm = _take1(b, rows)
        sb += torch.where(bm, bv.to(torch.float64), 0.0)
        nb += bm
    w = torch.where(nw > 0, sw / nw.clamp(min=1), w0.to(torch.float64)).to(w0.dtype)
    b = torch.where(nb > 0, sb / nb.clamp(min=1), b0.to(torch.float64)).to(b0.dtype)
    return w, b


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float64).numpy()


def match_units(r: Parent, o: Parent) -> list[list[tuple[int, int, float]]]:
    """For each hidden layer both parents have, the assignment of `o`'s units to `r`'s units.

    Layer by layer from the input: `o`'s incoming weights are re-indexed by the previous layer's matching,
    each (r unit, o unit) pair is scored by the cosine similarity of its incoming weights and bias, and
    `linear_sum_assignment` (rectangular when the widths differ) picks the matching of maximal total
    similarity. Returns the matched pairs (r unit, o unit, similarity), best match first.
    """
    from scipy.optimize import linear_sum_assignment

    out: list[list[tuple[int, int, float]]] = []
    n_in = min(r.layers[0][0].shape[1], o.layers[0][0].shape[1]) if len(r.layers) and len(o.layers) else 0
    cols_r = cols_o = np.arange(n_in)
    for i in range(min(depth(r), depth(o))):
        (wr, br), (wo, bo) = r.layers[i], o.layers[i]
        fr = np.concatenate([_np(wr)[:, cols_r], _np(br)[:, None]], 1)
        fo = np.concatenate([_np(wo)[:, cols_o], _np(bo)[:, None]], 1)
        fr = fr / np.maximum(np.linalg.norm(fr, axis=1, keepdims=True), 1e-12)
        fo = fo / np.maximum(np.linalg.norm(fo, axis=1, keepdims=True), 1e-12)
        sim = fr @ fo.T
        ri, ci = linear_sum_assignment(sim, maximize=True)
        order = np.argsort(-sim[ri, ci], kind="stable")
        out.append([(int(ri[k]), int(ci[k]), float(sim[ri[k], ci[k]])) for k in order])
        cols_r, cols_o = ri, ci  # the next layer's columns: r's unit ri[k] goes with o's unit ci[k]
    return out


# ----------------------------------------------------------------------------------------------------------
# strategies
class AlignedMerge:
    """Match the other parent's hidden units to the fitter parent's before averaging (weight matching)."""

    name = "aligned"
    description = ("match units across parents (cosine of incoming weights, Hungarian assignment) layer by "
                   "layer, average matched pairs, copy the wider parent's rest, fresh-init the remainder")

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> list[LayerWeights]:
        return self.build(child, child_init, a, b)[0]

    def build(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> tuple[list[LayerWeights], list[list[tuple[Parent, torch.Tensor]]]]:
        """The merged layers, and per hidden layer the (parent, rows) that supplied its units' incoming weights:
        child unit j averages unit rows[j] of each listed parent that has one (rows[j] >= 0); a unit no parent
        lists has fresh incoming weights."""
        ref, oth = fitter_first(a, b)
        matches = match_units(ref, oth)
        sources: list[list[tuple[Parent, torch.Tensor]]] = []
        n_hidden = len(child_init) - 1
        acts = child_activations(child, n_hidden)
        n_in = child_init[0][0].shape[1]
        src_r, src_o = _idx(range(n_in)), _idx(range(n_in))  # child input k <- parent unit src[k] (-1: none)
        out: list[LayerWeights] = []
        for i in range(n_hidden):
            w0, b0 = child_init[i]
            n_c = w0.shape[0]
            has_r, has_o = i < depth(ref), i < depth(oth)
            el_r = has_r and activation(ref, i) == acts[i]
            el_o = has_o and activation(oth, i) == acts[i]
            if has_r and has_o:
                pairs = [(p, q) for p, q, _ in matches[i]]
                seen_r, seen_o = {p for p, _ in pairs}, {q for _, q in pairs}
                cands = (pairs + [(p, -1) for p in range(ref.layers[i][0].shape[0]) if p not in seen_r]
                         + [(-1, q) for q in range(oth.layers[i][0].shape[0]) if q not in seen_o])
            elif has_r:
                cands = [(p, -1) for p in range(ref.layers[i][0].shape[0])]
            elif has_o:
                cands = [(-1, q) for q in range(oth.layers[i][0].shape[0])]
            else:
                cands = []
            # keep only units an eligible parent supplies; best matches first, so a narrower child keeps them
            cands = [(p, q) for p, q in cands if (el_r and p >= 0) or (el_o and q >= 0)][:n_c]
            # lay the kept units out in the fitter parent's order (then the other's), fresh units last
            cands.sort(key=lambda pq: (0, pq[0]) if el_r and pq[0] >= 0 else (1, pq[1]))
            cands += [(-1, -1)] * (n_c - len(cands))
            rows_r, rows_o = _idx([p for p, _ in cands]), _idx([q for _, q in cands])
            contribs: list[Contribution] = []
            if el_r:
                contribs.append((*ref.layers[i], rows_r, src_r, None))
            if el_o:
                contribs.append((*oth.layers[i], rows_o, src_o, None))
            out.append(combine(w0, b0, contribs))
            # a parent is a unit's source only if it supplied some of its incoming weights (not just the bias,
            # as happens after a layer no parent could supply)
            sources.append([
                (p, rows) for p, rows, src, ok in ((ref, rows_r, src_r, el_r), (oth, rows_o, src_o, el_o))
                if ok and bool(((src >= 0) & (src < p.layers[i][0].shape[1])).any())
            ])
            src_r, src_o = rows_r, rows_o
        # output layer: its units have a fixed meaning (bias from both parents); its weight columns follow the
        # last hidden layer's matching, from the parents whose output layer reads that same layer index
        w0, b0 = child_init[-1]
        rows = _idx(range(w0.shape[0]))
        none = _idx([-1] * w0.shape[1])
        contribs = [
            (*p.layers[-1], rows, src if depth(p) == n_hidden else none, None)
            for p, src in ((ref, src_r), (oth, src_o))
        ]
        out.append(combine(w0, b0, contribs))
        return out, sources


def preactivation_stats(p: Parent, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(mean, std) over the rows of `x` of every hidden unit's pre-activation in parent `p` (float64)."""
    stats, h = [], x
    for i in range(depth(p)):
        w, b = (t.detach().to("cpu", torch.float64) for t in p.layers[i])
        z = h[:, : w.shape[1]] @ w.T + b
        stats.append((z.mean(0), z.std(0, correction=0)))
        h = ACTIVATIONS[p.chromosome.layers[i].activation]()(z)
    return stats


class RepairedAlignedMerge(AlignedMerge):
    """`aligned`, then REPAIR (Jordan et al. 2023): rescale each inherited unit so that, on a batch of training
    inputs, its pre-activation has the mean and spread of the parent units it came from.

    Averaging two matched units shrinks the spread of their pre-activation (the two are never perfectly
    correlated), and the shrinkage compounds layer after layer; a unit copied from one parent also sees merged
    inputs. Going from the input layer up, each child unit's weights and bias are set so that its
    pre-activation's mean and standard deviation equal the average of its source units' (measured in the
    parents' own networks on the same rows). Fresh units and the output layer are left as they are; so is a unit
    whose spread is ~0 on the batch, and the scale factor is kept within [1/20, 20] (the mean is still matched).
    A unit whose incoming weights are all fresh (after a layer no parent could supply) is not rescaled.
    """

    name = "aligned-repair"
    description = (f"aligned, then REPAIR: each inherited unit rescaled to its parent units' pre-activation "
                   f"mean and spread on up to {PROBE_ROWS} training rows")
    uses_data = True
    MAX_SCALE = 20.0

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent,
        probe: Probe | None = None,
    ) -> list[LayerWeights]:
        if probe is None:
            raise ValueError(f"{self.name} needs a probe (training inputs)")
        inputs = probe.inputs
        n_in = child_init[0][0].shape[1]
        if inputs.ndim != 2 or inputs.shape[1] != n_in:
            raise ValueError(f"inputs have shape {tuple(inputs.shape)}; the child reads {n_in} features")
        out, sources = self.build(child, child_init, a, b)
        if len(inputs) < 2:  # no spread to measure
            return out
        x = inputs.detach().to("cpu", torch.float64)
        stats = {id(p): preactivation_stats(p, x) for p in (a, b)}
        n_hidden = len(child_init) - 1
        acts = child_activations(child, n_hidden)
        h = x
        for i in range(n_hidden):
            w, bias = (t.to(torch.float64) for t in out[i])
            z = h[:, : w.shape[1]] @ w.T + bias
            mu_c, sd_c = z.mean(0), z.std(0, correction=0)
            mu_t, sd_t = torch.zeros_like(mu_c), torch.zeros_like(sd_c)
            n = torch.zeros_like(mu_c)
            for p, rows in sources[i]:
                mu_p, sd_p = stats[id(p)][i]
                ok = (rows >= 0) & (rows < len(mu_p))
                r = rows.clamp(0, max(len(mu_p) - 1, 0))
                mu_t += torch.where(ok, mu_p[r], 0.0)
                sd_t += torch.where(ok, sd_p[r], 0.0)
                n += ok
            fix = (n > 0) & (sd_c > 1e-6) & (sd_t > 1e-6)
            scale = torch.where(fix, sd_t / n.clamp(min=1) / sd_c.clamp(min=1e-6), 1.0)
            scale = scale.clamp(1 / self.MAX_SCALE, self.MAX_SCALE)
            shift = torch.where(fix, mu_t / n.clamp(min=1) - mu_c * scale, 0.0)
            w, bias = w * scale[:, None], bias * scale + shift
            out[i] = (w.to(out[i][0].dtype), bias.to(out[i][1].dtype))
            act = acts[i]
            h = ACTIVATIONS[act]()(z * scale + shift) if act else z * scale + shift
        return out


class Net2NetMerge:
    """Resize the fitter parent to the child's shape with Net2Net's function-preserving transforms."""

    name = "net2net"
    description = ("fitter parent resized function-preservingly: Net2WiderNet replicas with outgoing weights "
                   "split (small noise), identity layers for extra relu/elu layers, fresh init elsewhere")

    def __init__(self, noise: float = 0.05) -> None:
        self.noise = float(noise)

    def _split(self, g: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Outgoing-weight factor of each unit in `g` (units replicating the same source unit share 1 between
        them: 1/count each, with zero-sum multiplicative noise so the replicas differ but the sum is kept)."""
        if len(g) == 0:
            return torch.ones(0, dtype=torch.float64)
        counts = torch.bincount(g, minlength=int(g.max()) + 1).to(torch.float64)
        base = 1.0 / counts[g]
        if self.noise <= 0 or not bool((counts > 1).any()):
            return base
        z = torch.randn(len(g), generator=gen, dtype=torch.float64)
        group_mean = torch.zeros(len(counts), dtype=torch.float64).index_add_(0, g, z) / counts.clamp(min=1)
        return base * (1.0 + self.noise * (z - group_mean[g]))

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> list[LayerWeights]:
        f, _ = fitter_first(a, b)
        gen = generator_for(child_init)
        n_hidden, d = len(child_init) - 1, depth(f)
        acts = child_activations(child, n_hidden)
        n_in = child_init[0][0].shape[1]
        # what the child's current layer's units are in the parent: its unit src[k] of layer `ref`, whose
        # outgoing weights are multiplied by scale[k]; ref -1 is the input, None a broken chain (fresh layer)
        ref: int | None
        src, scale, ref, nonneg = _idx(range(n_in)), torch.ones(n_in, dtype=torch.float64), -1, False
        out: list[LayerWeights] = []
        for i in range(n_hidden):
            w0, b0 = child_init[i]
            n_c = w0.shape[0]
            if i < d and ref == i - 1 and activation(f, i) == acts[i]:
                w, bias = f.layers[i]
                m = w.shape[0]
                if n_c >= m:  # Net2WiderNet: new units replicate random existing ones
                    g = torch.cat([torch.arange(m), torch.randint(0, m, (n_c - m,), generator=gen)])
                else:  # narrower: keep the units with the largest outgoing weights (not function-preserving)
                    importance = f.layers[i + 1][0].detach().to(torch.float64).norm(dim=0)
                    g = torch.sort(torch.argsort(-importance, stable=True)[:n_c]).values
                out.append(combine(w0, b0, [(w, bias, g, src, scale)]))
                src, scale, ref, nonneg = g, self._split(g, gen), i, acts[i] in NONNEGATIVE
            elif i >= d and ref == d - 1 and nonneg and acts[i] in IDENTITY_ON_NONNEGATIVE:
                # Net2DeeperNet: an identity layer (plus noise from the fresh init) after a non-negative layer
                n_prev = w0.shape[1]
                if n_c >= n_prev:
                    extra = torch.randint(0, n_prev, (n_c - n_prev,), generator=gen)
                    g = torch.cat([torch.arange(n_prev), extra])
                else:
                    g = torch.arange(n_c)
                w = (self.noise * w0.detach().to(torch.float64)).clone()
                w[torch.arange(n_c), g] += 1.0
                out.append((w.to(w0.dtype), (self.noise * b0.detach()).to(b0.dtype)))
                src, scale = src[g], scale[g] * self._split(g, gen)
            else:
                out.append((w0.clone(), b0.clone()))
                src, scale, ref, nonneg = _idx([-1] * n_c), torch.ones(n_c, dtype=torch.float64), None, False
        w0, b0 = child_init[-1]
        w, bias = f.layers[-1]
        cols = src if ref == d - 1 else _idx([-1] * w0.shape[1])  # the output layer must read the same layer
        out.append(combine(w0, b0, [(w, bias, _idx(range(w0.shape[0])), cols, scale)]))
        return out


class FitterMerge:
    """Copy the fitter parent's layers, truncated or padded with the child's fresh values; no averaging."""

    name = "fitter"
    description = ("copy the fitter parent's layers (the other parent's where only it has the layer with the "
                   "child's activation), truncated or padded with fresh-init values, no averaging")

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> list[LayerWeights]:
        f, o = fitter_first(a, b)
        n_hidden = len(child_init) - 1
        acts = child_activations(child, n_hidden)
        out: list[LayerWeights] = []
        last = f  # the parent that supplied the child's last hidden layer gives the output layer
        for i in range(n_hidden):
            w0, b0 = child_init[i]
            src = next((p for p in (f, o) if i < depth(p) and activation(p, i) == acts[i]), None)
            if src is None:
                out.append((w0.clone(), b0.clone()))
                last = f
                continue
            rows, cols = _idx(range(w0.shape[0])), _idx(range(w0.shape[1]))
            out.append(combine(w0, b0, [(*src.layers[i], rows, cols, None)]))
            last = src
        w0, b0 = child_init[-1]
        rows, cols = _idx(range(w0.shape[0])), _idx(range(w0.shape[1]))
        out.append(combine(w0, b0, [(*last.layers[-1], rows, cols, None)]))
        return out


class InheritMerge:
    """Real et al. 2017: copy a parent's layer when its shape and activation equal the child's."""

    name = "inherit"
    description = ("weight inheritance (Real et al. 2017): copy a parent's layer (fitter first) where shape "
                   "and activation equal the child's, fresh init otherwise")

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent
    ) -> list[LayerWeights]:
        f, o = fitter_first(a, b)
        n_hidden = len(child_init) - 1
        acts = child_activations(child, n_hidden)
        out: list[LayerWeights] = []
        for i, (w0, b0) in enumerate(child_init):
            for p in (f, o):
                layer: LayerWeights | None
                if i == n_hidden:
                    layer = p.layers[-1]
                else:
                    ok = i < depth(p) and activation(p, i) == acts[i]
                    layer = p.layers[i] if ok else None
                if layer is not None and layer[0].shape == w0.shape and layer[1].shape == b0.shape:
                    w, bias = layer
                    out.append((w.detach().clone().to(w0.dtype), bias.detach().clone().to(b0.dtype)))
                    break
            else:
                out.append((w0.clone(), b0.clone()))
        return out


class ShrinkPerturb:
    """Ash & Adams 2020 shrink-perturb on top of any strategy: lambda * merged + sigma * fresh init."""

    def __init__(self, base: MergeStrategy, lam: float = SP_LAMBDA, sigma: float = SP_SIGMA) -> None:
        self.base, self.lam, self.sigma = base, float(lam), float(sigma)
        default = (self.lam, self.sigma) == (SP_LAMBDA, SP_SIGMA)
        self.name = f"{base.name}+sp" if default else f"{base.name}+sp{self.lam:g},{self.sigma:g}"
        self.description = (f"shrink-perturb of {base.name!r}: {self.lam:g} * merged + "
                            f"{self.sigma:g} * fresh init")
        self.uses_data = uses_data(base)

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent,
        probe: Probe | None = None,
    ) -> list[LayerWeights] | None:
        merged = run_merge(self.base, child, child_init, a, b, probe)
        if merged is None:  # the base strategy declined: so does its shrink-perturb
            return None
        return [
            (self.lam * w + self.sigma * w0, self.lam * bb + self.sigma * b0)
            for (w, bb), (w0, b0) in zip(merged, child_init, strict=False)
        ]


class SelectMerge:
    """Per child, try several strategies and keep the initialisation with the lowest validation loss at epoch 0.

    Which merge suits a child varies (same shape, wider, an activation only one parent has, ...), and the
    validation loss of the merged network before any training is a cheap, direct guess of how far early
    stopping still has to go. A candidate whose loss is not finite, or that declines (returns None), is skipped;
    when none is left `select` declines too (None: the child starts fresh and counts as not merged). A candidate
    that fails fails the merge, by name. Ties go to the earlier candidate. The pick and every candidate's loss
    are left in `probe.notes` (`choice`: a name or None, `val_losses`: a loss, or None for a candidate that
    declined).
    """

    uses_data = True

    def __init__(self, candidates: Sequence[MergeStrategy], name: str = "select") -> None:
        if not candidates:
            raise ValueError("select needs at least one candidate strategy")
        self.candidates = list(candidates)
        self.name = name
        self.description = ("per child, the candidate merge with the lowest validation loss at epoch 0, of: "
                            + ", ".join(c.name for c in self.candidates))

    def merge(
        self, child: Chromosome, child_init: Sequence[LayerWeights], a: Parent, b: Parent,
        probe: Probe | None = None,
    ) -> list[LayerWeights] | None:
        if probe is None:
            raise ValueError(f"{self.name} needs a probe (validation loss)")
        best: tuple[float, str, list[LayerWeights]] | None = None
        losses: dict[str, float | None] = {}
        for cand in self.candidates:
            layers = run_merge(cand, child, child_init, a, b, probe)
            if layers is None:
                losses[cand.name] = None
                continue
            loss = losses[cand.name] = probe.val_loss(layers)
            if math.isfinite(loss) and (best is None or loss < best[0]):
                best = (loss, cand.name, layers)
        probe.notes["val_losses"] = losses
        probe.notes["choice"] = best[1] if best is not None else None
        return best[2] if best is not None else None


BASES: tuple[type, ...] = (AlignedMerge, RepairedAlignedMerge, Net2NetMerge, FitterMerge, InheritMerge)


def all_strategies() -> list[MergeStrategy]:
    """Every strategy this plugin registers: the five bases, then `+sp` of each base and of `mean`, then
    `select` over `mean` and the five bases."""
    bases = [cls() for cls in BASES]
    return bases + [ShrinkPerturb(s) for s in [MeanMerge(), *bases]] + [SelectMerge([MeanMerge(), *bases])]


@hookimpl
def gaterm_register_merge_strategies(register) -> None:
    for s in all_strategies():
        register.add(s)
