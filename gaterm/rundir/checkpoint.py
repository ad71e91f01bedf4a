"""Checkpoints: the engine state at a generation boundary, written atomically and read back without unpickling."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from gaterm.chromosome import Chromosome
from gaterm.errors import GatermError
from gaterm.events import EngineState, EvaluationRecord
from gaterm.rundir.files import RunDirError, write_atomic
from gaterm.states import Status


def _record_to_json(r: EvaluationRecord) -> dict[str, Any]:
    d = {f: getattr(r, f) for f in EvaluationRecord.__dataclass_fields__ if f != "chromosome"}
    d["genes"] = r.genes
    d["status"] = Status(r.status).value
    d["control_status"] = Status(r.control_status).value if r.control_status is not None else None
    return d


def _record_from_json(d: dict[str, Any]) -> EvaluationRecord:
    d = dict(d)
    chrom = Chromosome.parse(d.pop("genes"))
    status, error = Status.parse(d.pop("status"))  # format 1 wrote "error: MESSAGE" with no error key
    d["error"] = d.get("error") or error
    d["control_status"] = Status.parse(d["control_status"])[0] if d.get("control_status") else None
    return EvaluationRecord(**d, status=status, chromosome=chrom)


def _flat(layers: list | None) -> list:
    return [t for pair in (layers or []) for t in pair]


def _pairs(flat: list) -> list:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def config_fingerprint(config: Any) -> str:
    """A hash of what determines the run's results ([tracking] left out: where it is logged changes nothing)."""
    import hashlib

    d = config.to_dict()
    d.pop("tracking", None)
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def _same_config(meta: dict[str, Any], config: Any) -> bool:
    """Whether the checkpoint was written for `config`: by the stored config read with today's defaults, else (a
    checkpoint from before the config was stored) by its fingerprint."""
    saved = meta.get("config_dict")
    if isinstance(saved, dict):
        from gaterm.config import config_from_dict
        from gaterm.errors import ConfigError

        try:
            return config_fingerprint(config_from_dict(saved)) == config_fingerprint(config)
        except ConfigError:
            return False
    return meta.get("config") == config_fingerprint(config)


def save_checkpoint(path: Path, state: Any, config: Any) -> None:
    """Write the engine state atomically (temp file, fsync, rename); tensors and plain data only. A failed write
    (a full disk) leaves the previous checkpoint as it was and raises a RunDirError naming the file."""
    import torch

    meta = {
        "format": 1,
        "config": config_fingerprint(config),
        # the config itself: a later gaterm compares it after reading it with its own defaults, so a key added
        # in between (with its default) does not make an unchanged run look reconfigured
        "config_dict": config.to_dict(),
        "next_generation": state.next_generation,
        "next_id": state.next_id,
        "population": [
            [i, c.encode(), list(p) if p else None, _record_to_json(r) if r else None]
            for i, c, p, r in state.population
        ],
        "rng_state": state.rng_state,
        "curves": [[loss, list(c)] for loss, c in state.curves],
        "pruned_curves": [[loss, list(c)] for loss, c in state.pruned_curves],
        "records": [_record_to_json(r) for r in state.records],
        "best_id": state.best_id,
        "elapsed_s": state.elapsed_s,
        "first_population": state.first_population,
    }
    blob = {
        "meta": json.dumps(meta),
        "weights": {str(i): _flat(w) for i, w in state.weights.items()},
        "best_layers": _flat(state.best_layers),
    }
    buf = io.BytesIO()  # serialized in memory first: a failed write cannot leave a half-written checkpoint
    torch.save(blob, buf)
    write_atomic(path, buf.getvalue())


def load_checkpoint(path: Path, config: Any) -> Any:
    """Read a checkpoint safely (`weights_only=True`: no code is unpickled) and check it belongs to `config`."""
    import torch

    try:
        blob = torch.load(path, weights_only=True)
        meta = json.loads(blob["meta"])
        fmt = meta.get("format")
    except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is the user's file problem
        raise RunDirError(f"{path} is not a readable gaterm checkpoint ({type(exc).__name__})") from None
    if fmt != 1:
        raise RunDirError(f"{path} has checkpoint format {fmt!r}; this gaterm reads format 1")
    if not _same_config(meta, config):
        raise RunDirError(f"{path} belongs to a different configuration than {path.parent}/config.toml")
    try:
        return EngineState(
            next_generation=meta["next_generation"],
            next_id=meta["next_id"],
            population=[
                (i, Chromosome.parse(c), tuple(p) if p else None, _record_from_json(r) if r else None)
                for i, c, p, r in meta["population"]
            ],
            weights={int(k): _pairs(v) for k, v in blob["weights"].items()},
            rng_state=meta["rng_state"],
            # before curves carried their loss they were bare lists of floats: loss "" (the engine decides)
            curves=[(c[0], tuple(c[1])) if c and isinstance(c[0], str) else ("", tuple(c)) for c in meta["curves"]],
            records=[_record_from_json(r) for r in meta["records"]],
            best_id=meta["best_id"],
            best_layers=_pairs(blob["best_layers"]) or None,
            elapsed_s=meta["elapsed_s"],
            first_population=meta.get("first_population"),  # absent before ga.first_share existed
            # absent before successive halving: such a run pruned by the median rule, which does not use them
            pruned_curves=[(str(loss), tuple(c)) for loss, c in meta.get("pruned_curves", [])],
        )
    except (KeyError, TypeError, ValueError, GatermError) as exc:
        raise RunDirError(f"{path} is damaged or from another gaterm version ({type(exc).__name__})") from None
