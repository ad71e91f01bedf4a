"""Selection, crossover of different lengths, mutation drawing only from the store, chromosome encoding."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaterm.chromosome import Chromosome, LayerGene, random_chromosome
from gaterm.config import GeneStore
from gaterm.engine.operators import crossover, mutate, novel, select
from gaterm.states import Direction

STORE = GeneStore(loss=["mae", "mse"])


def test_select_keeps_the_best_by_direction():
    scored = [(0, 0.5), (1, 0.9), (2, 0.7), (3, math.nan), (4, 0.9)]
    assert select(scored, 2, Direction.MAXIMIZE) == [1, 4]  # tie: older id first
    assert select(scored, 3, Direction.MINIMIZE) == [0, 2, 1]
    assert 3 not in select(scored, 4, Direction.MAXIMIZE)  # NaN ranks last
    assert select([(0, math.inf), (1, 2.0)], 1, Direction.MINIMIZE) == [1]


def test_crossover_of_different_lengths_takes_extra_layers_from_the_deeper_parent():
    a = Chromosome("adam", "mae", 0.001, 16, (LayerGene(10, "relu"),))
    b = Chromosome("sgd", "mse", 0.01, 64, (LayerGene(20, "tanh"), LayerGene(30, "elu"), LayerGene(40, "sigmoid")))
    seen_first = set()
    for seed in range(40):
        child = crossover(np.random.default_rng(seed), a, b)
        assert child.depth == 3
        assert child.layers[1:] == b.layers[1:]
        assert child.layers[0].neurons in (10, 20) and child.layers[0].activation in ("relu", "tanh")
        assert child.optimizer in ("adam", "sgd") and child.batch_size in (16, 64)
        seen_first.add((child.layers[0].neurons, child.layers[0].activation, child.optimizer))
    assert len(seen_first) > 3  # genes really are mixed from both parents


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.floats(0, 1))
def test_mutation_draws_only_from_the_store(seed, p):
    rng = np.random.default_rng(seed)
    c = random_chromosome(rng, STORE)
    m = mutate(rng, c, STORE, p)
    assert m.optimizer in STORE.optimizer and m.loss in STORE.loss
    assert m.learning_rate in STORE.rates_for(m.optimizer) and m.batch_size in STORE.batch_size
    assert m.depth in STORE.layers
    assert all(lg.neurons in STORE.neurons and lg.activation in STORE.activation for lg in m.layers)


def test_mutation_probability_zero_and_one():
    rng = np.random.default_rng(1)
    c = random_chromosome(rng, STORE)
    assert mutate(rng, c, STORE, 0.0) == c
    m = mutate(rng, c, STORE, 1.0)
    assert m.optimizer != c.optimizer and m.learning_rate != c.learning_rate and m.depth != c.depth


def test_encode_parse_round_trip():
    rng = np.random.default_rng(5)
    for _ in range(20):
        c = random_chromosome(rng, STORE)
        assert Chromosome.parse(c.encode()) == c


def test_each_optimizer_draws_from_its_own_learning_rates():
    rng = np.random.default_rng(0)
    drawn = [random_chromosome(rng, STORE) for _ in range(300)]
    for c in drawn:
        assert c.learning_rate in STORE.rates_for(c.optimizer)
    assert {c.learning_rate for c in drawn if c.optimizer == "adadelta"} <= {0.1, 0.5, 1.0, 2.0}
    assert STORE.rates_for("adam") == STORE.learning_rate  # no list of its own: the common one


def test_a_childs_rate_is_fitted_to_its_optimizer_on_a_log_scale():
    assert STORE.fit_rate("adadelta", 0.005) == 0.1  # far below the list: its smallest
    assert STORE.fit_rate("adam", 0.5) == 0.01
    assert STORE.fit_rate("sgd", 0.03) == 0.02  # log-nearest of 0.02 and 0.05
    assert STORE.fit_rate("adam", 0.001) == 0.001  # allowed: unchanged
    a = Chromosome("adadelta", "mae", 1.0, 32, (LayerGene(8, "relu"),))
    b = Chromosome("adam", "mae", 0.0005, 32, (LayerGene(8, "relu"),))
    for seed in range(30):  # whichever parent each gene comes from, mutation returns an allowed pair
        child = mutate(np.random.default_rng(seed), crossover(np.random.default_rng(seed), a, b), STORE, 0.0)
        assert child.learning_rate in STORE.rates_for(child.optimizer)


def test_novel_mutates_a_copy_until_it_is_new_and_leaves_a_new_child_alone():
    rng = np.random.default_rng(0)
    c = random_chromosome(rng, STORE)
    state = rng.bit_generator.state
    assert novel(rng, c, STORE, 0.1, {"other"}) is c  # already new: unchanged, no draw
    assert rng.bit_generator.state == state
    seen = {c.encode()}
    for seed in range(30):
        got = novel(np.random.default_rng(seed), c, STORE, 0.1, seen)
        assert got.encode() not in seen
        assert got == mutate_until_new(np.random.default_rng(seed), c, seen)  # p as given, round after round
    # a store with a single value per gene cannot make anything new: `tries` rounds, then the copy itself
    one = GeneStore(optimizer=["adam"], learning_rate=[0.01], batch_size=[32], layers=[1], neurons=[8],
                    activation=["relu"], loss=["mse"])
    d = random_chromosome(np.random.default_rng(1), one)
    assert novel(np.random.default_rng(1), d, one, 0.5, {d.encode()}, tries=5) == d


def mutate_until_new(rng, c, seen):
    while c.encode() in seen:
        c = mutate(rng, c, STORE, 0.1)
    return c


def test_crossover_depth_either_takes_either_parents_depth_and_deeper_the_deeper():
    rng = np.random.default_rng(0)
    a = Chromosome("adam", "cross_entropy", 0.01, 64, (LayerGene(8, "relu"),))
    b = Chromosome("sgd", "cross_entropy", 0.01, 32, tuple(LayerGene(16, "tanh") for _ in range(4)))
    assert {crossover(rng, a, b).depth for _ in range(30)} == {4}
    children = [crossover(rng, a, b, "either") for _ in range(60)]
    assert {c.depth for c in children} == {1, 4}
    for c in children:  # the layers both parents have are mixed; the rest come from the deeper one
        assert c.layers[0] in {LayerGene(8, "relu"), LayerGene(16, "tanh"), LayerGene(8, "tanh"),
                               LayerGene(16, "relu")}
        assert all(layer == LayerGene(16, "tanh") for layer in c.layers[1:])
