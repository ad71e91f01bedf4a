"""Healing a run directory from its checkpoint, on resume: the CSVs are checked against the checkpoint's records.

The checkpoint holds every evaluation record up to its generation boundary, so `evaluations.csv` is rewritten
from it: rows it lacks (or a missing file) come back, rows of the interrupted generation and a row torn by a kill
are dropped, an agreeing duplicate is dropped. `generations.csv` rows are derived from the same records (the
engine's selection replayed); rows the file has are kept when they agree with the derivation on the generation's
identity (evaluations, survivors, best so far), missing ones are written. A row that contradicts the checkpoint
cannot be reconciled: a one-line `RunDirError`, and nothing is changed.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaterm.config import LOSSES, RunConfig
from gaterm.engine.operators import select
from gaterm.events import EngineState, EvaluationRecord
from gaterm.rundir.files import (
    EVAL_COLUMNS,
    EVALUATIONS,
    GEN_COLUMNS,
    GENERATIONS,
    EvaluationRow,
    GenerationRow,
    RunDirError,
    row_cells,
    truncate_rows,
    write_atomic,
)
from gaterm.states import Direction
from gaterm.stats import fitness_time_stats

# the columns that identify a generation; its other cells are statistics, kept as the file has them
GENERATION_IDENTITY = ("generation", "evaluations", "best_so_far_id", "survivors")


@dataclass
class Healed:
    """What healing changed, per file: rows written back from the checkpoint and rows dropped."""

    restored: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def lines(self, run_dir: Path) -> list[str]:
        out = []
        for name, n in self.restored.items():
            if n:
                out.append(f"{Path(run_dir) / name}: {n} missing row(s) restored from the checkpoint")
        return out


def direction_of(config: RunConfig) -> Direction | None:
    """The metric's direction, from the run's (explicit) losses: classification maximizes accuracy. None when the
    config does not say (no loss listed)."""
    losses = set(config.genes.loss)
    if not losses:
        return None
    return Direction.of(losses <= set(LOSSES["classification"]))


def generation_rows(records: list[EvaluationRecord], generations: int, survivors: int,
                    direction: Direction) -> list[GenerationRow]:
    """The `generations.csv` rows of the first `generations` (complete) generations, replaying the engine:
    the best so far in record order (the first best kept) among the records of generations up to each one,
    survivors selected from the previous survivors and this generation's children, scored in id order."""
    out: list[GenerationRow] = []
    best: EvaluationRecord | None = None
    kept: list[tuple[int, float]] = []
    for gen in range(generations):
        recs = [r for r in records if r.generation == gen]
        best = None  # the first strictly best of generations <= gen in record order (async runs interleave them)
        for r in records:
            if r.generation <= gen and (best is None or direction.better(r.metric, best.metric)):
                best = r
        scored = sorted(kept + [(r.id, r.metric) for r in recs])
        keep = set(select(scored, survivors, direction))
        metrics = [r.metric for r in recs if math.isfinite(r.metric)]
        out.append(GenerationRow(
            generation=gen,
            evaluations=len(recs),
            best_metric=direction.best_value(metrics),
            mean_metric=float(np.mean(metrics)) if metrics else math.nan,
            mean_fitness_time=fitness_time_stats(recs)["mean"],
            best_so_far_id=best.id if best else -1,
            best_so_far_metric=best.metric if best else math.nan,
            survivors=tuple(sorted(keep)),
        ))
        kept = [(i, m) for i, m in scored if i in keep]
    return out


def _text(cells: list) -> list[str]:
    return ["" if c is None else str(c) for c in cells]


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells)]) of a CSV file; a torn last row (no newline: a kill mid-write) is left
    out. A missing, empty or header-only-torn file has no header ([])."""
    if not path.exists():
        return [], []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunDirError(f"cannot read {path}: {exc}") from None
    if "\n" not in text:
        return [], []
    complete = text.endswith("\n")
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise RunDirError(f"{path}: damaged ({exc}); restore the file or start a new run") from None
    header, body = records[0], records[1:]
    if not complete and body:
        body = body[:-1]
    return header, [(i + 2, row) for i, row in enumerate(body)]


def _write(path: Path, header: tuple[str, ...] | list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, buf.getvalue().encode("utf-8"))


def _damaged(path: Path, line: int, why: str) -> RunDirError:
    return RunDirError(f"{path}, line {line}: {why}; restore the file or start a new run")


def _generation(path: Path, header: list[str], line: int, row: list[str]) -> int:
    if len(row) != len(header):
        raise _damaged(path, line, f"{len(row)} fields, expected {len(header)}")
    try:
        return int(row[header.index("generation")])
    except ValueError:
        raise _damaged(path, line, f"generation {row[header.index('generation')]!r} is not a number") from None


def _check_header(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise RunDirError(f"{path}: not a gaterm file (no column {missing[0]!r}); restore it or start a new run")


def heal_evaluations(path: Path, state: EngineState) -> tuple[list[list[str]], int, int]:
    """(rows to write, restored, dropped) for `evaluations.csv`: every row from the checkpoint, after checking
    the file's rows of finished generations agree with it."""
    want = {r.id: _text(row_cells(EvaluationRow.from_record(r))) for r in state.records}
    header, body = _read_rows(path)
    present: set[int] = set()
    dropped = 0
    if header:
        _check_header(path, header, ("generation", "id"))
        shared = [(header.index(c), EVAL_COLUMNS.index(c), c) for c in EVAL_COLUMNS if c in header]
        for line, row in body:
            if _generation(path, header, line, row) >= state.next_generation:
                dropped += 1  # the interrupted generation: evaluated again
                continue
            try:
                rid = int(row[header.index("id")])
            except ValueError:
                raise _damaged(path, line, f"id {row[header.index('id')]!r} is not a number") from None
            expected = want.get(rid)
            if expected is None:
                raise _damaged(path, line, f"evaluation {rid} is not in the checkpoint")
            for i_file, i_want, name in shared:
                if row[i_file] != expected[i_want]:
                    raise _damaged(path, line, f"evaluation {rid} contradicts the checkpoint ({name} is "
                                   f"{row[i_file]!r} in the file, {expected[i_want]!r} in the checkpoint)")
            if rid in present:
                dropped += 1  # a duplicate of an agreeing row
            present.add(rid)
    return list(want.values()), len(want) - len(present), dropped


def heal_generations(path: Path, state: EngineState, config: RunConfig) -> tuple[list[list[str]], int, int] | None:
    """(rows to write, restored, dropped) for `generations.csv`, or None when the direction is unknown (the rows
    of finished generations are then kept as they are)."""
    direction = direction_of(config)
    if direction is None:
        return None
    derived = [_text(row_cells(g)) for g in
               generation_rows(state.records, state.next_generation, config.ga.survivors, direction)]
    header, body = _read_rows(path)
    have: dict[int, list[str]] = {}
    dropped = 0
    if header:
        _check_header(path, header, GENERATION_IDENTITY)
        for line, row in body:
            gen = _generation(path, header, line, row)
            if gen >= state.next_generation or gen in have or gen < 0:
                dropped += 1
                continue
            for name in GENERATION_IDENTITY:
                got, want = row[header.index(name)], derived[gen][GEN_COLUMNS.index(name)]
                if got != want:
                    raise _damaged(path, line, f"generation {gen} contradicts the checkpoint ({name} is {got!r} "
                                   f"in the file, {want!r} from the checkpoint)")
            if list(header) == list(GEN_COLUMNS):
                have[gen] = row  # kept as written
    rows = [have.get(gen, derived[gen]) for gen in range(state.next_generation)]
    return rows, sum(gen not in have for gen in range(state.next_generation)), dropped


def heal_run_dir(run_dir: Path, state: EngineState, config: RunConfig) -> Healed:
    """Check both CSVs of `run_dir` against `state` (its checkpoint) and rewrite them (atomically) so that they
    hold exactly the checkpoint's generations. Everything is checked before anything is written."""
    run_dir = Path(run_dir)
    evals = heal_evaluations(run_dir / EVALUATIONS, state)
    gens = heal_generations(run_dir / GENERATIONS, state, config)
    healed = Healed()
    _write(run_dir / EVALUATIONS, EVAL_COLUMNS, evals[0])
    healed.restored[EVALUATIONS], healed.dropped[EVALUATIONS] = evals[1], evals[2]
    if gens is not None:
        _write(run_dir / GENERATIONS, GEN_COLUMNS, gens[0])
        healed.restored[GENERATIONS], healed.dropped[GENERATIONS] = gens[1], gens[2]
    else:
        truncate_rows(run_dir / GENERATIONS, state.next_generation)
    return healed
