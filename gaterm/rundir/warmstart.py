"""Warm starts (`--init-from RUN_DIR`): a previous run's best individuals as the seed of generation 0, with their
trained weights when the two runs have the very same splits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaterm.chromosome import Chromosome
from gaterm.errors import GatermError
from gaterm.rundir.files import SURVIVORS, RunDirError
from gaterm.rundir.preprocessing import Preprocessing
from gaterm.rundir.reader import read_run_dir

if TYPE_CHECKING:
    from gaterm.datasets import Dataset
    from gaterm.merge import LayerWeights


@dataclass(frozen=True)
class WarmStart:
    seeds: list[tuple[Chromosome, list[LayerWeights] | None]]
    note: str  # one line for the user: how many individuals, and whether their weights came along


def warm_start(run_dir: str | Path, population: int, dataset: Dataset) -> WarmStart:
    """The best individuals of the run in `run_dir` (by its selection metric, distinct genes, at most
    `population`), each with its trained layers when `dataset` has the same fingerprint (same data, seed and
    fractions: the same splits) and the previous run kept them (survivors.pt). Refused, with one line, when
    the data set's features, task or classes differ."""
    run_dir = Path(run_dir)
    prev = Preprocessing.read(run_dir)
    now = dataset.describe()
    for key, what in (("task", "task"), ("features", "features"), ("classes", "classes")):
        if prev.raw.get(key) != now[key]:
            raise RunDirError(f"{run_dir} was trained on different {what} ({_short(prev.raw.get(key))} there, "
                              f"{_short(now[key])} here); a warm start needs the same data set and task")
    try:
        run = read_run_dir(run_dir)
    except GatermError as exc:
        raise RunDirError(str(exc)) from None
    rows = [r for r in run.evaluations if r.status.trained and math.isfinite(r.metric)]
    rows.sort(key=lambda r: (run.direction.sort_key(r.metric), r.id))
    picked, seen = [], set()
    for r in rows:
        if r.genes not in seen:
            seen.add(r.genes)
            picked.append(r)
        if len(picked) == population:
            break
    if not picked:
        raise RunDirError(f"{run_dir} has no trained individual to start from")
    same_splits = bool(prev.fingerprint) and prev.fingerprint == now["fingerprint"]
    layers = _survivor_layers(run_dir) if same_splits else {}
    seeds = [(Chromosome.parse(r.genes), layers.get(r.id)) for r in picked]
    with_weights = sum(w is not None for _, w in seeds)
    if same_splits:
        how = f"{with_weights} with their trained weights (same splits)"
    else:
        how = "genes only: the data or split settings differ, so their weights would have seen this run's " \
              "validation or test rows"
    return WarmStart(seeds, f"warm start from {run_dir}: {len(seeds)} individual(s), {how}")


def _survivor_layers(run_dir: Path) -> dict[int, list[LayerWeights]]:
    path = run_dir / SURVIVORS
    if not path.is_file():
        return {}
    import torch

    try:
        state = torch.load(path, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a corrupt file
        raise RunDirError(f"{path}: cannot load ({type(exc).__name__})") from None
    by_id: dict[int, dict[int, list[Any]]] = {}  # id -> layer -> [weight, bias], as the file holds them
    for key, tensor in state.items():
        ind, _, name = key.partition("/")
        index, _, kind = name.partition(".")
        by_id.setdefault(int(ind), {}).setdefault(int(index) // 2, [None, None])[kind == "bias"] = tensor
    return {i: [tuple(layer[k]) for k in sorted(layer)] for i, layer in by_id.items()}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
