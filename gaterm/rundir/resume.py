"""Resuming a run: check the directory, read its checkpoint, heal its rows from it (see `gaterm.rundir.heal`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gaterm.config import RunConfig, load_config
from gaterm.events import EngineState
from gaterm.rundir.checkpoint import load_checkpoint
from gaterm.rundir.files import (
    CHECKPOINT,
    CONFIG,
    EVALUATIONS,
    GENERATIONS,
    SUMMARY,
    RunDirError,
    truncate_rows,
)
from gaterm.rundir.reader import read_summary
from gaterm.states import StopReason


def prepare_resume(
    run_dir: Path, report: Callable[[str], None] | None = None
) -> tuple[RunConfig, EngineState | None]:
    """Check that `run_dir` is an unfinished run, bring its rows to the last checkpoint, and return its config and
    engine state (None: no generation finished, the run starts again from generation 0).

    With a checkpoint, the CSVs are healed from it: rows it holds but a file lacks are rewritten, rows of the
    interrupted generation dropped, and a row that contradicts it refused (RunDirError, nothing changed).
    `report` receives a line for each file that had rows restored. The caller holds the directory's lock."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).is_file():
        raise RunDirError(f"{run_dir} is not a gaterm run directory (no {CONFIG})")
    if (run_dir / SUMMARY).is_file():
        try:
            summary = read_summary(run_dir)
            reason = str(summary.get("stop_reason", "")) if isinstance(summary, dict) else ""
        except Exception:  # noqa: BLE001 - an unreadable summary is rewritten when the resumed run ends
            reason = ""
        try:
            completed = StopReason.parse(reason)[0].completed
        except ValueError:
            completed = False
        if completed:
            raise RunDirError(f"{run_dir} already finished (stop reason: {reason})")
    cfg = load_config(run_dir / CONFIG).validate()
    state = load_checkpoint(run_dir / CHECKPOINT, cfg) if (run_dir / CHECKPOINT).is_file() else None
    if state is None:  # no finished generation: every row is evaluated again
        for name in (EVALUATIONS, GENERATIONS):
            truncate_rows(run_dir / name, 0)
        return cfg, None
    from gaterm.rundir.heal import heal_run_dir

    healed = heal_run_dir(run_dir, state, cfg)
    for line in healed.lines(run_dir):
        if report is not None:
            report(line)
    return cfg, state
