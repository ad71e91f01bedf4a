"""Snapshot and restore of the engine's state at a generation boundary (both schedules): what a resumed run
needs to continue exactly as an uninterrupted one would have."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gaterm.engine.breeding import Individual, parents_of
from gaterm.events import EngineState

if TYPE_CHECKING:
    from gaterm.engine.engine import Engine
    from gaterm.engine.schedules.steady_state import SteadyStateSchedule


def generational(engine: Engine, next_gen: int, next_id: int, population: list[Individual],
                 rng: np.random.Generator) -> EngineState:
    """Everything needed to continue from the start of generation `next_gen` (its children already bred)."""
    return EngineState(
        next_generation=next_gen,
        next_id=next_id,
        population=[(ind.id, ind.chromosome, ind.parents, ind.record) for ind in population],
        weights=dict(engine.weights),
        rng_state=rng.bit_generator.state,
        curves=list(engine.curves),
        pruned_curves=list(engine.pruned_curves),
        records=list(engine.records),
        best_id=engine.best_record.id if engine.best_record else None,
        best_layers=engine.best_layers,
        elapsed_s=engine.elapsed(),
    )


def steady_state(engine: Engine, schedule: SteadyStateSchedule, gen: int, rng: np.random.Generator) -> EngineState:
    """The state after block `gen`: its survivors, the records and curves of blocks <= `gen`, and the ids from the
    next block on still to be bred (children of later blocks already running or finished are bred again on
    resume; with one worker there are none)."""
    records = [r for r in engine.records if r.generation <= gen]
    pool = schedule.pool(gen)
    best = engine.best_upto(gen)
    if best is not None and engine.best_record is not None and best.id == engine.best_record.id:
        best_layers = engine.best_layers
    else:
        best_layers = engine.weights.get(best.id) if best is not None else None
    return EngineState(
        next_generation=gen + 1,
        next_id=schedule.block_ids(gen + 1)[0],
        population=[(r.id, r.chromosome, parents_of(r), r) for r in pool],
        weights={r.id: engine.weights[r.id] for r in pool if r.id in engine.weights},
        rng_state=rng.bit_generator.state,
        curves=[(loss, c) for g, loss, c in schedule.block_curves if g <= gen],
        records=records,
        best_id=best.id if best is not None else None,
        best_layers=best_layers,
        elapsed_s=engine.elapsed(),
        first_population=engine.first_population,
        pruned_curves=[(loss, c) for g, loss, c in schedule.block_pruned if g <= gen],
    )


def restore(engine: Engine, st: EngineState, rng: np.random.Generator) -> tuple[list[Individual], int, int]:
    """Put `st` back into `engine` and `rng`; returns the population, the next id and the next generation."""
    rng.bit_generator.state = st.rng_state
    population = [Individual(i, c, p, r) for i, c, p, r in st.population]
    engine.weights = dict(st.weights)
    # a checkpoint from before curves carried their loss: usable only when the run has a single loss
    only = engine.store.loss[0] if len(engine.store.loss) == 1 else ""
    engine.curves = [(loss or only, tuple(c)) for loss, c in st.curves if loss or only]
    engine.pruned_curves = [(loss, tuple(c)) for loss, c in st.pruned_curves]
    engine.records = list(st.records)
    by_id = {r.id: r for r in engine.records}
    engine.best_record = by_id.get(st.best_id) if st.best_id is not None else None
    engine.best_layers = st.best_layers
    if st.first_population is not None:
        engine.first_population = st.first_population
    return population, st.next_id, st.next_generation

