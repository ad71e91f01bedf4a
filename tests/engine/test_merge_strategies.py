"""The merge strategies of issue 7 (plugins/gaterm_builtin/merges_extra.py), and `mean`, as properties:
exact child shapes for every depth/width/activation combination, finite values, untouched inputs, no global
randomness; then what each strategy promises (aligned undoes a permutation, net2net preserves the function,
inherit copies only exact matches, fitter pads with fresh values, shrink-perturb is lambda * merged + sigma *
fresh).
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import GAConfig
from gaterm.engine.fitness import ACTIVATIONS, build_model, get_layers, set_layers
from gaterm.errors import MergeError
from gaterm.merge import Parent, Probe, check_merged, run_merge
from gaterm.plugins import load_plugins
from gaterm_builtin.merges import MeanMerge
from gaterm_builtin.merges_extra import (
    AlignedMerge,
    FitterMerge,
    InheritMerge,
    Net2NetMerge,
    RepairedAlignedMerge,
    SelectMerge,
    ShrinkPerturb,
    all_strategies,
    preactivation_stats,
)

N_IN, N_OUT = 7, 3
ACTS = sorted(ACTIVATIONS)
NEW = [s.name for s in all_strategies()]


def chromo(layers) -> Chromosome:
    return Chromosome("adam", "mse", 0.001, 32, tuple(LayerGene(w, act) for w, act in layers))


def random_layers(layers, seed: int, n_in: int = N_IN, n_out: int = N_OUT) -> list:
    """Weights drawn from a private generator: normal values, so no entry is exactly zero."""
    g = torch.Generator().manual_seed(seed)
    widths = [n_in] + [w for w, _ in layers] + [n_out]
    return [(torch.randn(o, i, generator=g) * 0.5, torch.randn(o, generator=g) * 0.5)
            for i, o in itertools.pairwise(widths)]


def fresh_layers(layers, seed: int) -> list:
    """A real fresh initialisation (PyTorch's default), without touching the global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(chromo(layers), N_IN, N_OUT)
    return get_layers(model)


def make_probe(c, x: torch.Tensor, seed: int) -> Probe:
    """A probe with inputs `x` and, as validation loss, the MSE of the network's output on `x` against fixed
    random targets (what gaterm builds from a real data set, in miniature)."""
    y = torch.randn(len(x), N_OUT, generator=torch.Generator().manual_seed(seed + 7))

    def val_loss(layers) -> float:
        with torch.random.fork_rng(devices=[]):  # building the network draws an init: not from the global RNG
            return float(torch.nn.functional.mse_loss(outputs(layers, c, x), y))

    return Probe(x, val_loss)


def parent(layers, seed: int, metric: float = 0.5, higher_is_better: bool = True) -> Parent:
    return Parent(chromo(layers), random_layers(layers, seed), metric, higher_is_better)


def clone_all(layers) -> list:
    return [(w.clone(), b.clone()) for w, b in layers]


def same(x, y) -> bool:
    return len(x) == len(y) and all(
        torch.equal(w1, w2) and torch.equal(b1, b2) for (w1, b1), (w2, b2) in zip(x, y, strict=True)
    )


@pytest.fixture(scope="module")
def strategies():
    ps = load_plugins(entry_points=False)
    assert not ps.errors, ps.errors
    return dict(ps.merges.items)


layer_st = st.tuples(st.integers(min_value=1, max_value=12), st.sampled_from(ACTS))
layers_st = st.lists(layer_st, min_size=1, max_size=5)


def test_every_new_strategy_is_registered_and_select_is_the_default(strategies):
    ps = load_plugins(entry_points=False)
    assert set(NEW) == {"aligned", "aligned-repair", "net2net", "fitter", "inherit", "mean+sp", "aligned+sp",
                        "aligned-repair+sp", "net2net+sp", "fitter+sp", "inherit+sp", "select"}
    assert set(NEW) | {"mean"} <= set(strategies)
    assert all(ps.merges.owner[n] == "gaterm_builtin.merges_extra" for n in NEW)
    assert ps.merges.owner["mean"] == "gaterm_builtin.merges"
    assert isinstance(strategies["mean"], MeanMerge) and GAConfig().merge_strategy == "select"


@settings(max_examples=120, deadline=None)
@given(a=layers_st, b=layers_st, c=layers_st, fitter_a=st.booleans(), seed=st.integers(0, 2**16))
def test_every_strategy_exact_shapes_finite_pure_and_deterministic(strategies, a, b, c, fitter_a, seed):
    pa = parent(a, seed + 1, 0.9 if fitter_a else 0.1)
    pb = parent(b, seed + 2, 0.5)
    child_init = random_layers(c, seed + 3)
    before = [clone_all(child_init), clone_all(pa.layers), clone_all(pb.layers)]
    x = torch.randn(40, N_IN, generator=torch.Generator().manual_seed(seed))
    x_before = x.clone()
    probe = make_probe(c, x, seed)
    for name, s in strategies.items():
        rng_state = torch.get_rng_state()
        merged = run_merge(s, chromo(c), child_init, pa, pb, probe)
        assert torch.equal(rng_state, torch.get_rng_state()), f"{name} used the global RNG"
        checked = check_merged(name, child_init, merged)  # exact shapes, finite values
        assert [tuple(w.shape) for w, _ in merged] == [tuple(w.shape) for w, _ in child_init]
        assert [tuple(x.shape) for _, x in merged] == [tuple(x.shape) for _, x in child_init]
        assert same(before[0], child_init) and same(before[1], pa.layers) and same(before[2], pb.layers), name
        assert torch.equal(x, x_before), name
        assert same(merged, run_merge(s, chromo(c), child_init, pa, pb, probe)), f"{name} is not deterministic"
        if name not in ("mean", "select"):  # no zero padding (select may pick mean): no input entry is zero
            assert all(bool((w != 0).all()) and bool((x != 0).all()) for w, x in merged), name
        set_layers(build_model(chromo(c), N_IN, N_OUT), checked)


@settings(max_examples=60, deadline=None)
@given(a=layers_st, b=layers_st, extra=st.lists(layer_st, min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_a_hidden_layer_no_parent_has_keeps_the_fresh_init(strategies, a, b, extra, seed):
    c = (a if len(a) >= len(b) else b) + extra
    c = c[:5]
    deepest = max(len(a), len(b))
    child_init = random_layers(c, seed + 3)
    pa, pb = parent(a, seed + 1), parent(b, seed + 2, 0.2)
    for name in ("aligned", "fitter", "inherit", "net2net"):
        merged = strategies[name].merge(chromo(c), child_init, pa, pb)
        for i in range(deepest, len(c)):
            if name == "net2net" and c[i][1] in ("relu", "elu"):
                continue  # may be a Net2DeeperNet identity layer
            assert torch.equal(merged[i][0], child_init[i][0]) and torch.equal(merged[i][1], child_init[i][1])


# ----- aligned ---------------------------------------------------------------------------------------------
def permuted(p: Parent, seed: int, extra_units: int = 0) -> Parent:
    """The same network with its hidden units permuted (optionally with `extra_units` more units per hidden
    layer whose outgoing weights are zero, so the function is unchanged)."""
    g = torch.Generator().manual_seed(seed)
    layers = clone_all(p.layers)
    prev_perm = None
    out = []
    n_hidden = len(layers) - 1
    for i, (w, b) in enumerate(layers):
        if prev_perm is not None:
            if extra_units:
                w = torch.cat([w, torch.zeros(w.shape[0], extra_units)], 1)
            w = w[:, prev_perm]
        if i < n_hidden:
            if extra_units:
                w = torch.cat([w, torch.randn(extra_units, w.shape[1], generator=g)], 0)
                b = torch.cat([b, torch.randn(extra_units, generator=g)])
            perm = torch.randperm(w.shape[0], generator=g)
            w, b = w[perm], b[perm]
            prev_perm = perm
        out.append((w, b))
    layers_genes = tuple(LayerGene(lg.neurons + extra_units, lg.activation) for lg in p.chromosome.layers)
    return Parent(Chromosome("adam", "mse", 0.001, 32, layers_genes), out, p.metric, p.higher_is_better)


def outputs(layers, c, x):
    model = build_model(chromo(c), x.shape[1], layers[-1][0].shape[0])
    set_layers(model, layers)
    with torch.no_grad():
        return model(x)


@settings(max_examples=60, deadline=None)
@given(a=layers_st, seed=st.integers(0, 2**16))
def test_aligned_recovers_a_permuted_copy(a, seed):
    pa = parent(a, seed)
    pb = permuted(pa, seed + 1)
    x = torch.randn(16, N_IN, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(outputs(pb.layers, a, x), outputs(pa.layers, a, x))  # same function
    child_init = random_layers(a, seed + 2)
    merged = AlignedMerge().merge(chromo(a), child_init, pa, pb)
    for (w, b), (wa, ba) in zip(merged, pa.layers, strict=False):
        torch.testing.assert_close(w, wa, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(b, ba, rtol=1e-5, atol=1e-6)


def test_mean_does_not_recover_a_permuted_copy():
    layers = [(8, "relu"), (6, "tanh")]
    pa = parent(layers, 0)
    pb = permuted(pa, 1)
    child_init = random_layers(layers, 2)
    mean = MeanMerge().merge(chromo(layers), child_init, pa, pb)
    assert not torch.allclose(mean[0][0], pa.layers[0][0], atol=1e-3)
    aligned = AlignedMerge().merge(chromo(layers), child_init, pa, pb)
    assert all(torch.allclose(w, wa, atol=1e-6) for (w, _), (wa, _) in zip(aligned, pa.layers, strict=False))


@settings(max_examples=40, deadline=None)
@given(a=layers_st, extra=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_aligned_with_a_wider_permuted_copy_keeps_the_matched_units(a, extra, seed):
    """B is A permuted plus `extra` units per layer: a child shaped like A gets exactly A (the extra units of
    B are unmatched and dropped), a child shaped like B gets A's units plus B's extra units."""
    pa = parent(a, seed, 0.9)
    pb = permuted(pa, seed + 1, extra_units=extra)
    child_init = random_layers(a, seed + 2)
    merged = AlignedMerge().merge(chromo(a), child_init, pa, pb)
    for (w, b), (wa, ba) in zip(merged, pa.layers, strict=False):
        torch.testing.assert_close(w, wa, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(b, ba, rtol=1e-5, atol=1e-6)
    wide = [(w + extra, act) for w, act in a]
    merged = AlignedMerge().merge(chromo(wide), random_layers(wide, seed + 3), pa, pb)
    x = torch.randn(16, N_IN, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(outputs(merged, wide, x), outputs(pa.layers, a, x), rtol=1e-4, atol=1e-5)


def test_aligned_activation_rule_uses_the_other_parent_or_fresh_init():
    pa = parent([(5, "relu"), (4, "tanh")], 0, 0.9)
    pb = parent([(5, "elu"), (4, "sigmoid")], 1, 0.1)
    c = [(5, "elu"), (4, "softsign")]
    child_init = random_layers(c, 2)
    merged = AlignedMerge().merge(chromo(c), child_init, pa, pb)
    torch.testing.assert_close(merged[0][0], pb.layers[0][0])  # only b has elu at layer 0: copied whole
    assert torch.equal(merged[1][0], child_init[1][0])  # no parent has softsign at layer 1: fresh


# ----- aligned-repair --------------------------------------------------------------------------------------
def child_preactivations(layers, c, x):
    """(mean, std) of each hidden layer's pre-activation of the network `layers` with genes `c`."""
    return preactivation_stats(Parent(chromo(c), layers, 0.0, True), x.to(torch.float64))


@settings(max_examples=50, deadline=None)
@given(a=layers_st, b=layers_st, c=layers_st, seed=st.integers(0, 2**16))
def test_aligned_repair_gives_inherited_units_their_parents_statistics(a, b, c, seed):
    """Every inherited unit's pre-activation, on the probe rows, has the mean and spread of the parent units it
    came from (averaged over the parents that supplied it); fresh units and the output layer are untouched."""
    pa, pb = parent(a, seed + 1, 0.9), parent(b, seed + 2, 0.4)
    child_init = random_layers(c, seed + 3)
    x = torch.randn(64, N_IN, generator=torch.Generator().manual_seed(seed))
    s = RepairedAlignedMerge()
    plain, sources = s.build(chromo(c), child_init, pa, pb)
    repaired = s.merge(chromo(c), child_init, pa, pb, probe=Probe(x, lambda layers: 0.0))
    got = child_preactivations(repaired, c, x)
    parent_stats = {id(pa): preactivation_stats(pa, x.double()), id(pb): preactivation_stats(pb, x.double())}
    for i, layer_sources in enumerate(sources):
        mu_t, sd_t, n = (torch.zeros(len(got[i][0]), dtype=torch.float64) for _ in range(3))
        for p, rows in layer_sources:
            for j, r in enumerate(rows.tolist()):
                if r >= 0:
                    mu_t[j] += parent_stats[id(p)][i][0][r]
                    sd_t[j] += parent_stats[id(p)][i][1][r]
                    n[j] += 1
        for j in range(len(n)):
            if n[j] == 0:  # a unit with fresh incoming weights is left as it is
                assert torch.equal(repaired[i][0][j], plain[i][0][j])
                assert torch.equal(repaired[i][1][j], plain[i][1][j])
                continue
            target_sd = float(sd_t[j] / n[j])
            plain_sd = float(child_preactivations(repaired[:i] + plain[i:], c, x)[i][1][j])
            if target_sd < 1e-6 or plain_sd < 1e-6:
                continue  # a dead unit: left alone by design
            assert abs(float(got[i][0][j]) - float(mu_t[j] / n[j])) <= 1e-4 * (1 + target_sd)
            if not 1 / 20 < target_sd / plain_sd < 20:
                continue  # a clamped scale: the spread moves toward the target but is bounded by design
            assert abs(float(got[i][1][j]) - target_sd) <= 1e-4 * (1 + target_sd)
    assert same(repaired[-1:], plain[-1:])


def test_aligned_repair_of_a_permuted_copy_is_the_copy_and_needs_data():
    layers = [(8, "relu"), (6, "tanh")]
    pa = parent(layers, 0)
    pb = permuted(pa, 1)
    x = torch.randn(64, N_IN, generator=torch.Generator().manual_seed(3))
    merged = run_merge(RepairedAlignedMerge(), chromo(layers), random_layers(layers, 2), pa, pb, make_probe(layers, x, 0))
    for (w, b), (wa, ba) in zip(merged, pa.layers, strict=False):
        torch.testing.assert_close(w, wa, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(b, ba, rtol=1e-4, atol=1e-5)
    with pytest.raises(MergeError, match="'aligned-repair' uses data and no probe was given"):
        run_merge(RepairedAlignedMerge(), chromo(layers), random_layers(layers, 2), pa, pb, None)


def test_aligned_repair_leaves_units_after_a_fresh_layer_alone(strategies):
    """Layer 0 has an activation no parent has (fresh); layer 1 gets only the parents' biases and fresh
    incoming weights, so REPAIR must not rescale it to the parents' statistics. With `+sp` the data reaches the
    base strategy too."""
    pa, pb = parent([(6, "relu"), (5, "tanh")], 0, 0.9), parent([(6, "relu"), (5, "tanh")], 1, 0.2)
    c = [(6, "elu"), (5, "tanh")]
    child_init = fresh_layers(c, 2)
    x = torch.randn(64, N_IN, generator=torch.Generator().manual_seed(5))
    s = RepairedAlignedMerge()
    plain, sources = s.build(chromo(c), child_init, pa, pb)
    assert sources[0] == [] and sources[1] == []
    assert same(s.merge(chromo(c), child_init, pa, pb, probe=make_probe(c, x, 0)), plain)
    pc = parent([(4, "relu"), (5, "tanh")], 3)  # narrower than the child at layer 0: a real merge
    c2 = [(6, "relu"), (5, "tanh")]
    child_init2 = fresh_layers(c2, 4)
    probe = make_probe(c2, x, 0)
    rep = run_merge(strategies["aligned-repair"], chromo(c2), child_init2, pa, pc, probe)
    sp = run_merge(strategies["aligned-repair+sp"], chromo(c2), child_init2, pa, pc, probe)
    plain_sp = run_merge(strategies["aligned+sp"], chromo(c2), child_init2, pa, pc, probe)
    for (w, b), (ws, bs), (w0, b0) in zip(rep, sp, child_init2, strict=False):
        torch.testing.assert_close(ws, 0.5 * w + 0.1 * w0)
        torch.testing.assert_close(bs, 0.5 * b + 0.1 * b0)
    assert not same(sp, plain_sp)
    with pytest.raises(ValueError, match="needs a probe"):
        s.merge(chromo(c2), child_init2, pa, pc)
    with pytest.raises(MergeError, match="'aligned-repair'.*the child reads 7 features"):
        run_merge(s, chromo(c2), child_init2, pa, pc, Probe(torch.randn(10, 12), lambda layers: 0.0))


def test_aligned_repair_restores_the_spread_that_averaging_loses():
    """Two different parents of the same shape: averaging matched units shrinks the spread of the first
    layer's pre-activations; REPAIR brings it back to the parents' level."""
    layers = [(16, "relu"), (16, "relu")]
    pa, pb = parent(layers, 10), parent(layers, 11)
    x = torch.randn(128, N_IN, generator=torch.Generator().manual_seed(4))
    s = RepairedAlignedMerge()
    plain = s.build(chromo(layers), random_layers(layers, 2), pa, pb)[0]
    repaired = s.merge(chromo(layers), random_layers(layers, 2), pa, pb, probe=Probe(x, lambda layers: 0.0))
    want = (preactivation_stats(pa, x.double())[1][1].mean() + preactivation_stats(pb, x.double())[1][1].mean()) / 2
    before = child_preactivations(plain, layers, x)[1][1].mean()
    after = child_preactivations(repaired, layers, x)[1][1].mean()
    assert before < 0.9 * want
    assert abs(float(after - want)) < 0.02 * float(want)


# ----- select ----------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(a=layers_st, b=layers_st, c=layers_st, seed=st.integers(0, 2**16))
def test_select_returns_the_candidate_with_the_lowest_validation_loss(strategies, a, b, c, seed):
    pa, pb = parent(a, seed + 1, 0.9), parent(b, seed + 2, 0.4)
    child_init = random_layers(c, seed + 3)
    x = torch.randn(32, N_IN, generator=torch.Generator().manual_seed(seed))
    probe = make_probe(c, x, seed)
    select = strategies["select"]
    assert [s.name for s in select.candidates] == ["mean", "aligned", "aligned-repair", "net2net", "fitter",
                                                   "inherit"]
    chosen = run_merge(select, chromo(c), child_init, pa, pb, probe)
    losses = {s.name: probe.val_loss(run_merge(s, chromo(c), child_init, pa, pb, probe)) for s in select.candidates}
    choice = probe.notes["choice"]
    assert choice == min(losses, key=losses.get)  # the first of equal losses, as listed
    assert probe.notes["val_losses"] == losses
    assert probe.val_loss(chosen) == min(losses.values())
    assert same(chosen, run_merge(strategies[choice], chromo(c), child_init, pa, pb, probe))


def test_select_skips_non_finite_candidates_and_names_a_failing_one():
    layers = [(4, "relu")]
    pa, pb = parent(layers, 0), parent(layers, 1)
    child_init = random_layers(layers, 2)

    class Const:
        uses_data = False

        def __init__(self, name, value):
            self.name, self.description, self.value = name, name, value

        def merge(self, child, child_init, a, b):
            return [(torch.full_like(w, self.value), torch.full_like(x, self.value)) for w, x in child_init]

    def loss(layers_):  # the constant the candidate filled in, as the "loss"; inf for 3
        v = float(layers_[0][0][0, 0])
        return math.inf if v == 3.0 else v

    s = SelectMerge([Const("three", 3.0), Const("two", 2.0), Const("one-a", 1.0), Const("one-b", 1.0)])
    probe = Probe(torch.zeros(2, N_IN), loss)
    got = s.merge(chromo(layers), child_init, pa, pb, probe=probe)
    assert probe.notes["choice"] == "one-a" and float(got[0][0][0, 0]) == 1.0
    assert not hasattr(s, "last_choice")  # no per-child state on the shared, registered instance
    s = SelectMerge([Const("three", 3.0)])  # no finite candidate: select declines (the child starts fresh)
    probe = Probe(torch.zeros(2, N_IN), loss)
    assert run_merge(s, chromo(layers), child_init, pa, pb, probe) is None
    assert probe.notes == {"choice": None, "val_losses": {"three": math.inf}}

    class Declines(Const):
        def merge(self, child, child_init, a, b):
            return None

    s = SelectMerge([Declines("no", 0), Const("two", 2.0)])  # a declining candidate is skipped, shrink-perturbed too
    probe = Probe(torch.zeros(2, N_IN), loss)
    assert float(run_merge(s, chromo(layers), child_init, pa, pb, probe)[0][0][0, 0]) == 2.0
    assert probe.notes == {"choice": "two", "val_losses": {"no": None, "two": 2.0}}
    assert run_merge(ShrinkPerturb(Declines("no", 0)), chromo(layers), child_init, pa, pb) is None

    class Broken(Const):
        def merge(self, child, child_init, a, b):
            return child_init[:1]

    with pytest.raises(MergeError, match="'select'.*'broken' returned 1 layers"):
        run_merge(SelectMerge([Const("one", 1.0), Broken("broken", 0)]), chromo(layers), child_init, pa, pb,
                  Probe(torch.zeros(2, N_IN), loss))


# ----- net2net ---------------------------------------------------------------------------------------------
@st.composite
def widened(draw):
    """A fitter parent and a child that is at least as wide everywhere, possibly deeper (relu/elu layers after
    a relu/sigmoid last layer, where an identity layer preserves the function)."""
    f = draw(st.lists(layer_st, min_size=1, max_size=4))
    c = [(w + draw(st.integers(0, 6)), act) for w, act in f]
    if f[-1][1] in ("relu", "sigmoid"):
        n_extra = draw(st.integers(0, 5 - len(f)))
        width = c[-1][0]
        for _ in range(n_extra):
            width += draw(st.integers(0, 4))
            c.append((width, draw(st.sampled_from(["relu", "elu"]))))
    return f, c


@settings(max_examples=80, deadline=None)
@given(fc=widened(), other=layers_st, seed=st.integers(0, 2**16))
def test_net2net_child_computes_the_fitter_parents_function(fc, other, seed):
    f, c = fc
    pf = parent(f, seed, metric=0.2, higher_is_better=False)  # lower MAE: the fitter one
    po = parent(other, seed + 1, metric=0.7, higher_is_better=False)
    x = torch.randn(32, N_IN, generator=torch.Generator().manual_seed(seed))
    want = outputs(pf.layers, f, x)
    child_init = random_layers(c, seed + 2)
    exact = Net2NetMerge(noise=0.0).merge(chromo(c), child_init, po, pf)
    torch.testing.assert_close(outputs(exact, c, x), want, rtol=1e-4, atol=1e-4)
    # default noise: replicas differ, but their split factors sum to one, so widening alone stays exact;
    # identity layers carry a little of the (real, PyTorch-default) fresh init as noise
    noisy = Net2NetMerge().merge(chromo(c), fresh_layers(c, seed + 2), po, pf)
    got = outputs(noisy, c, x)
    if len(c) == len(f):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    else:
        # each identity layer adds 0.05 x a fresh init of noise, which the output layer then mixes: a loose
        # bound that grows with the added depth (a broken identity layer deviates by the signal itself)
        extra = len(c) - len(f)
        assert float((got - want).abs().max()) <= extra * (0.1 * float(want.abs().max()) + 0.1)


def test_net2net_same_shape_is_the_fitter_parent_and_replicas_differ():
    f = [(4, "relu"), (3, "tanh")]
    pf, po = parent(f, 0, 0.9), parent([(6, "relu")], 1, 0.3)
    merged = Net2NetMerge().merge(chromo(f), random_layers(f, 2), pf, po)
    assert same(merged, pf.layers)
    wide = [(7, "relu"), (3, "tanh")]
    merged = Net2NetMerge().merge(chromo(wide), random_layers(wide, 2), pf, po)
    w1 = merged[1][0]  # outgoing weights of the replicated units were split with noise: no two columns equal
    assert len({tuple(col.tolist()) for col in w1.T}) == 7


# ----- fitter / inherit ------------------------------------------------------------------------------------
def test_fitter_pads_with_child_init_values_not_zeros():
    pa = parent([(3, "relu")], 0, metric=0.3, higher_is_better=False)  # the fitter (lower is better)
    pb = parent([(5, "relu")], 1, metric=0.8, higher_is_better=False)
    c = [(6, "relu"), (4, "tanh")]
    child_init = random_layers(c, 2)
    merged = FitterMerge().merge(chromo(c), child_init, pa, pb)
    (w0, b0), (wa, ba) = merged[0], pa.layers[0]
    assert torch.equal(w0[:3], wa) and torch.equal(b0[:3], ba)
    assert torch.equal(w0[3:], child_init[0][0][3:]) and torch.equal(b0[3:], child_init[0][1][3:])
    assert torch.equal(merged[1][0], child_init[1][0])  # no parent has layer 1: fresh
    w_out = merged[2][0]  # the output layer reads 4 units but the fitter's reads 3: the 4th column is fresh
    assert torch.equal(w_out[:, :3], pa.layers[-1][0]) and torch.equal(w_out[:, 3], child_init[2][0][:, 3])
    # higher_is_better flips which parent is the fitter
    pa2, pb2 = Parent(pa.chromosome, pa.layers, 0.3, True), Parent(pb.chromosome, pb.layers, 0.8, True)
    merged = FitterMerge().merge(chromo(c), child_init, pa2, pb2)
    assert torch.equal(merged[0][0][:5], pb.layers[0][0])


def test_inherit_copies_a_layer_only_when_shape_and_activation_match():
    pa = parent([(4, "relu"), (3, "tanh")], 0, 0.9)
    pb = parent([(4, "elu"), (5, "tanh")], 1, 0.1)
    c = [(4, "elu"), (3, "sigmoid"), (2, "relu")]
    child_init = random_layers(c, 2)
    merged = InheritMerge().merge(chromo(c), child_init, pa, pb)
    assert torch.equal(merged[0][0], pb.layers[0][0])  # shape and activation match b (a has relu)
    assert torch.equal(merged[1][0], child_init[1][0])  # a's 3-unit layer is tanh, the child's sigmoid
    assert torch.equal(merged[2][0], child_init[2][0])  # nobody has layer 2
    assert torch.equal(merged[3][0], child_init[3][0])  # output layers read 3 and 5 units, the child's 2
    c2 = [(4, "relu"), (3, "tanh")]
    merged = InheritMerge().merge(chromo(c2), random_layers(c2, 3), pa, pb)
    assert same(merged, pa.layers)  # an exact copy of the fitter parent


# ----- shrink-perturb --------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(a=layers_st, b=layers_st, c=layers_st, seed=st.integers(0, 2**16))
def test_shrink_perturb_is_lambda_merged_plus_sigma_fresh(strategies, a, b, c, seed):
    pa, pb = parent(a, seed + 1, 0.8), parent(b, seed + 2, 0.6)
    child_init = random_layers(c, seed + 3)
    for base in ("mean", "aligned", "net2net", "fitter", "inherit"):
        merged = strategies[base].merge(chromo(c), child_init, pa, pb)
        sp = strategies[f"{base}+sp"].merge(chromo(c), child_init, pa, pb)
        for (w, b_), (ws, bs), (w0, b0) in zip(merged, sp, child_init, strict=False):
            torch.testing.assert_close(ws, 0.5 * w + 0.1 * w0)
            torch.testing.assert_close(bs, 0.5 * b_ + 0.1 * b0)
    custom = ShrinkPerturb(AlignedMerge(), lam=0.6, sigma=0.05)
    assert custom.name == "aligned+sp0.6,0.05"
    merged = AlignedMerge().merge(chromo(c), child_init, pa, pb)
    for (w, _), (ws, _), (w0, _) in zip(merged, custom.merge(chromo(c), child_init, pa, pb), child_init, strict=False):
        torch.testing.assert_close(ws, 0.6 * w + 0.05 * w0)
