"""Frozen dataclasses the engine emits; the headless runner, the results writer and the TUI consume them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gaterm.states import Status, StopReason

if TYPE_CHECKING:
    from gaterm.chromosome import Chromosome
    from gaterm.config import RunConfig


@dataclass(frozen=True)
class EvaluationRecord:
    """One finished fitness evaluation: a row of `evaluations.csv`."""

    generation: int
    id: int
    parent_a: int | None
    parent_b: int | None
    merged: bool
    metric: float  # the metric the GA selected on: val_metric (default) or test_metric (ga.selection = "test")
    val_loss: float
    n_epochs: int
    best_epoch: int
    training_time: float  # the fitness time, wall seconds: the merge + training + scoring
    merge_time: float  # the merge's share of training_time
    status: Status
    seed: int
    chromosome: Chromosome
    # The paired control (only for merged children when `ga.paired_control` is on): the same child trained
    # from a fresh initialisation with the same seed and data order. Never used for selection.
    control_metric: float | None = None
    control_val_loss: float | None = None
    control_n_epochs: int | None = None
    control_time: float | None = None
    control_status: Status | None = None
    error: str | None = None  # the message of an ERROR status
    val_metric: float = math.nan  # accuracy or MAE on the validation split (best epoch restored)
    test_metric: float = math.nan  # the same on the test split, which decides nothing (by default)
    control_test_metric: float | None = None  # the paired control's test metric
    # How a merged child's initial weights were made: {"strategy": NAME, ...} plus what the strategy left in
    # `Probe.notes` (`select`: "choice", the candidate it kept or None, and "val_losses", every candidate's
    # epoch-0 validation loss). None when the child was not merged.
    merge_notes: dict[str, Any] | None = field(default=None, hash=False)

    @property
    def status_text(self) -> str:
        """The status as `evaluations.csv` writes it (`error: MESSAGE` for errors)."""
        return self.status.text(self.error)

    @property
    def genes(self) -> str:
        return self.chromosome.encode()


@dataclass(frozen=True)
class GenerationSummary:
    generation: int
    evaluations: int
    best_metric: float
    mean_metric: float
    mean_fitness_time: float
    best_so_far_id: int
    best_so_far_metric: float
    survivors: tuple[int, ...]


@dataclass(frozen=True)
class RunStarted:
    config: RunConfig
    task: str
    metric_name: str
    higher_is_better: bool
    split_sizes: dict[str, int]
    planned_evaluations: int
    resumed_from: int | None = None  # the generation a resumed run continues from
    duplicate_rows: int = 0  # exact duplicate feature rows in the data (each kept within one split)
    preprocessing: dict[str, Any] | None = None  # Dataset.describe(): what turns raw rows into inputs


@dataclass(frozen=True)
class GenerationStarted:
    generation: int
    to_evaluate: tuple[int, ...]


@dataclass(frozen=True)
class EvaluationStarted:
    generation: int
    id: int
    chromosome: Chromosome
    parents: tuple[int, int] | None


@dataclass(frozen=True)
class EpochFinished:
    generation: int
    id: int
    epoch: int
    max_epochs: int
    val_loss: float


@dataclass(frozen=True)
class EvaluationFinished:
    record: EvaluationRecord


@dataclass(frozen=True)
class GenerationFinished:
    summary: GenerationSummary


@dataclass(frozen=True)
class RunFinished:
    stop_reason: StopReason
    total_duration_s: float
    records: tuple[EvaluationRecord, ...] = field(repr=False)
    best: EvaluationRecord | None
    best_layers: list | None = field(default=None, repr=False)
    error: str | None = None  # the message, when stop_reason is ERROR
    # the trained layers of the final population's best `ga.survivors` individuals, by id (for warm starts)
    survivor_layers: dict[int, list] | None = field(default=None, repr=False)

    @property
    def stop_text(self) -> str:
        """The stop reason as `summary.json` writes it (`error: MESSAGE` for errors)."""
        return self.stop_reason.text(self.error)


@dataclass(frozen=True)
class EngineState:
    """The run's state at the start of generation `next_generation`: enough to resume it exactly.

    `population` holds (id, chromosome, parents, record-or-None) for survivors and the bred children; `weights`
    the survivors' trained layers (needed to merge); `rng_state` the GA's numpy bit-generator state.
    """

    next_generation: int
    next_id: int
    population: list[tuple[int, Chromosome, tuple[int, int] | None, EvaluationRecord | None]]
    weights: dict[int, list]
    rng_state: Mapping[str, Any]  # as numpy's BitGenerator.state gives it (a dict) and takes it back
    curves: list[tuple[str, tuple[float, ...]]]  # (loss, validation curve) of completed evaluations (pruning)
    records: list[EvaluationRecord]
    best_id: int | None
    best_layers: list | None
    elapsed_s: float
    # async schedule: the size generation 0 ended with (smaller than ga.population when ga.first_share cut it)
    first_population: int | None = None
    # (loss, validation curve up to where it stopped) of pruned evaluations (successive halving's rungs)
    pruned_curves: list[tuple[str, tuple[float, ...]]] = field(default_factory=list)


@dataclass(frozen=True)
class CheckpointReady:
    """Emitted at every generation boundary (after breeding); the results writer saves it atomically."""

    state: EngineState


Event = (
    RunStarted | GenerationStarted | EvaluationStarted | EpochFinished | EvaluationFinished | GenerationFinished
    | CheckpointReady | RunFinished
)
