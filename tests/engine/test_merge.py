"""The study's `mean` merge: exact child shapes for every depth/width combination, and true averages."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.engine.fitness import build_model, get_layers
from gaterm.merge import Parent, check_merged, resize
from gaterm_builtin.merges import MeanMerge

N_IN, N_OUT = 7, 3


def chromo(widths: list[int]) -> Chromosome:
    return Chromosome("adam", "mse", 0.001, 32, tuple(LayerGene(w, "relu") for w in widths))


def layers_for(widths: list[int], seed: int) -> list:
    torch.manual_seed(seed)
    return get_layers(build_model(chromo(widths), N_IN, N_OUT))


def parent(widths: list[int], seed: int) -> Parent:
    return Parent(chromo(widths), layers_for(widths, seed), 0.5, True)


widths_st = st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(a=widths_st, b=widths_st, c=widths_st)
def test_merged_tensors_have_exactly_the_childs_shapes(a, b, c):
    child_init = layers_for(c, 3)
    merged = MeanMerge().merge(chromo(c), child_init, parent(a, 1), parent(b, 2))
    checked = check_merged("mean", child_init, merged)  # raises on any shape mismatch
    assert [tuple(w.shape) for w, _ in checked] == [tuple(w.shape) for w, _ in child_init]
    assert [tuple(x.shape) for _, x in checked] == [tuple(x.shape) for _, x in child_init]
    # the merged tensors load into the child's network
    model = build_model(chromo(c), N_IN, N_OUT)
    from gaterm.engine.fitness import set_layers

    set_layers(model, checked)


def test_overlap_is_the_average_and_padding_counts_as_zero():
    pa, pb = parent([4, 6], 1), parent([5], 2)
    child = [6, 3, 2]
    child_init = layers_for(child, 3)
    merged = MeanMerge().merge(chromo(child), child_init, pa, pb)
    (wa0, ba0), (wa1, ba1), (wa_out, ba_out) = pa.layers
    (wb0, bb0), (wb_out, bb_out) = pb.layers
    w0, b0 = merged[0]  # child 6x7 from a 4x7 and b 5x7
    assert torch.allclose(w0[:4], (wa0 + wb0[:4]) / 2)
    assert torch.allclose(w0[4], wb0[4] / 2)  # only b covers row 4: averaged with a's zero padding
    assert torch.all(w0[5] == 0)  # neither parent covers row 5
    assert torch.allclose(b0[:4], (ba0 + bb0[:4]) / 2)  # biases are merged too (the study forgot them)
    assert torch.allclose(b0[4], bb0[4] / 2)
    w1, b1 = merged[1]  # child layer 1 (3x6): only parent a has a hidden layer 1 (6x4): copied, resized
    assert torch.allclose(w1, resize(wa1, (3, 6)))
    assert torch.allclose(b1, ba1[:3])
    w2, b2 = merged[2]  # child layer 2: no parent has it: fresh init kept
    assert torch.equal(w2, child_init[2][0]) and torch.equal(b2, child_init[2][1])
    w_out, b_out = merged[3]  # output layers are merged with each other
    assert torch.allclose(w_out, (resize(wa_out, (3, 2)) + resize(wb_out, (3, 2))) / 2)
    assert torch.allclose(b_out, (ba_out + bb_out) / 2)


def test_merge_does_not_modify_the_parents():
    pa, pb = parent([4], 1), parent([5], 2)
    before = [w.clone() for w, _ in pa.layers]
    MeanMerge().merge(chromo([4]), layers_for([4], 3), pa, pb)
    assert all(torch.equal(x, y) for x, (y, _) in zip(before, pa.layers, strict=False))


def test_resize_pads_and_truncates():
    t = torch.arange(6.0).reshape(2, 3)
    assert torch.equal(resize(t, (3, 2)), torch.tensor([[0.0, 1.0], [3.0, 4.0], [0.0, 0.0]]))


def test_check_merged_names_the_strategy_on_a_wrong_shape():
    import pytest

    from gaterm.errors import MergeError

    child_init = layers_for([4], 0)
    bad = [(torch.zeros(5, 7), torch.zeros(5)), child_init[1]]
    with pytest.raises(MergeError, match="'broken'.*layer 0"):
        check_merged("broken", child_init, bad)
    with pytest.raises(MergeError, match="returned 1 layers"):
        check_merged("broken", child_init, bad[:1])
    nan = [(torch.full((4, 7), float("nan")), torch.zeros(4)), child_init[1]]
    with pytest.raises(MergeError, match="NaN"):
        check_merged("broken", child_init, nan)
