"""Generation 0 designs: a spread population covers every gene's values evenly."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gaterm.chromosome import spread_population
from gaterm.config import GeneStore


def balanced(values, allowed) -> bool:
    counts = Counter(values)
    per_value = [counts.get(v, 0) for v in allowed]
    return set(counts) <= set(allowed) and max(per_value) - min(per_value) <= 1


@given(n=st.integers(0, 60), seed=st.integers(0, 2**32 - 1))
def test_a_spread_population_covers_every_gene_evenly(n, seed):
    store = GeneStore().resolve_for_task("regression")
    pop = spread_population(np.random.default_rng(seed), store, n)
    assert len(pop) == n
    assert balanced([c.optimizer for c in pop], store.optimizer)
    assert balanced([c.loss for c in pop], store.loss)
    assert balanced([c.batch_size for c in pop], store.batch_size)
    assert balanced([c.depth for c in pop], store.layers)
    for opt in store.optimizer:  # each optimizer's own rates, spread among its individuals
        assert balanced([c.learning_rate for c in pop if c.optimizer == opt], store.rates_for(opt))
    for pos in range(max(store.layers)):
        deep = [c.layers[pos] for c in pop if c.depth > pos]
        assert balanced([lg.neurons for lg in deep], store.neurons)
        assert balanced([lg.activation for lg in deep], store.activation)


def test_a_spread_population_is_deterministic_in_the_seed_and_not_a_grid():
    store = GeneStore().resolve_for_task("classification")
    a = spread_population(np.random.default_rng(1), store, 20)
    assert a == spread_population(np.random.default_rng(1), store, 20)
    assert a != spread_population(np.random.default_rng(2), store, 20)
    assert len(set(a)) == 20
