"""Typed states shared by the engine, the run directory and every front end: evaluation status, stop reason,
and the direction that says which metric value is better."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


class Status(enum.StrEnum):
    """How one evaluation ended. `ERROR` rows also carry the error's message (`EvaluationRecord.error`)."""

    OK = "ok"
    DIVERGED = "diverged"  # the loss became NaN/inf: the worst metric, no usable weights
    PRUNED = "pruned"  # stopped early by the pruner: its best weights so far are scored as usual
    ERROR = "error"  # an exception inside the evaluation: nothing was trained

    @property
    def trained(self) -> bool:
        """Whether the evaluation produced usable trained weights (a parent can pass them on)."""
        return self in (Status.OK, Status.PRUNED)

    @property
    def timed(self) -> bool:
        """Whether its fitness time enters time statistics. Errors trained nothing and are left out; diverged and
        pruned evaluations cost their time and count (leaving them out would make failures look fast)."""
        return self is not Status.ERROR

    def text(self, error: str | None = None) -> str:
        """The status as `evaluations.csv` writes it: `ok`, `diverged`, `pruned` or `error: MESSAGE`."""
        return _with_error(self, Status.ERROR, error)

    @staticmethod
    def parse(text: str) -> tuple[Status, str | None]:
        """The inverse of `text`: (status, error message or None). Raises ValueError on anything else."""
        return _parse_with_error(Status, Status.ERROR, text)


class StopReason(enum.StrEnum):
    """Why a run ended. A `cancelled` or `error` run can be resumed; the others completed as configured."""

    GENERATIONS = "generations"
    TARGET = "target"
    TIME_BUDGET = "time_budget"
    CANCELLED = "cancelled"
    ERROR = "error"

    @property
    def completed(self) -> bool:
        return self in (StopReason.GENERATIONS, StopReason.TARGET, StopReason.TIME_BUDGET)

    def text(self, error: str | None = None) -> str:
        """As `summary.json` writes it: the value, or `error: MESSAGE`."""
        return _with_error(self, StopReason.ERROR, error)

    @staticmethod
    def parse(text: str) -> tuple[StopReason, str | None]:
        return _parse_with_error(StopReason, StopReason.ERROR, text)


E = TypeVar("E", bound=enum.StrEnum)


def _with_error(value: enum.StrEnum, error_value: enum.StrEnum, error: str | None) -> str:
    """`value` as text; the error value carries its message: `error: MESSAGE`."""
    return f"{error_value.value}: {error or ''}".rstrip() if value is error_value else value.value


def _parse_with_error(kind: type[E], error_value: E, text: str) -> tuple[E, str | None]:
    """The inverse of `_with_error`: (value, message or None); ValueError for a text that is no value."""
    if text == error_value.value or text.startswith(error_value.value + ":"):
        return error_value, text.partition(":")[2].strip() or None
    return kind(text), None


class Direction(enum.Enum):
    """Which value of a metric is better. The one place that knows; NaN is never better than anything."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"

    @staticmethod
    def of(higher_is_better: bool) -> Direction:
        return Direction.MAXIMIZE if higher_is_better else Direction.MINIMIZE

    @property
    def higher_is_better(self) -> bool:
        return self is Direction.MAXIMIZE

    def better(self, a: float, b: float) -> bool:
        """Whether `a` is strictly better than `b` (a NaN `a` never is; anything finite beats a NaN `b`)."""
        if math.isnan(a):
            return False
        if math.isnan(b):
            return True
        return a > b if self is Direction.MAXIMIZE else a < b

    def sort_key(self, value: float) -> float:
        """Ascending sort key: the best value first, NaN last."""
        if math.isnan(value):
            return math.inf
        return -value if self is Direction.MAXIMIZE else value

    def reached(self, value: float, target: float | None) -> bool:
        """Whether `value` meets `target` (>= when maximizing, <= when minimizing); never for NaN or no target."""
        if target is None or math.isnan(value):
            return False
        return value >= target if self is Direction.MAXIMIZE else value <= target

    def best(self, items: Iterable[T], key: Callable[[T], float]) -> T | None:
        """The item with the best finite key; on a tie the earliest. None when no key is finite."""
        out: T | None = None
        for item in items:
            v = key(item)
            if not math.isfinite(v):
                continue
            if out is None or self.better(v, key(out)):
                out = item
        return out

    def best_value(self, values: Iterable[float]) -> float:
        """The best finite value (`best` with the values as their own keys); NaN when none is finite."""
        out = self.best(values, float)
        return math.nan if out is None else out

    @property
    def worst(self) -> float:
        """The metric a failed evaluation gets: 0 when maximizing (accuracy), +inf when minimizing (an error)."""
        return 0.0 if self is Direction.MAXIMIZE else math.inf
