"""The setup form's model, free of Textual: field specs, config -> texts, texts -> a validated RunConfig.

Every message comes from `config_from_dict` / `RunConfig.validate` / `GeneStore.resolve_for_task`, so the UI
says exactly what `gaterm --no-ui --config` would say about the same values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from gaterm.config import RunConfig, config_from_dict
from gaterm.errors import ConfigError


@dataclass(frozen=True)
class FieldSpec:
    key: str  # dotted config key, as ConfigError messages name it: "ga.population", "genes.neurons"
    label: str
    kind: str  # "int", "float", "str", "list", "strlist"
    optional: bool = False  # blank means None (or, for genes.loss, "the task's default")
    hint: str = ""


PARAM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("ga.population", "population", "int", hint="individuals per generation"),
    FieldSpec("ga.survivors", "survivors", "int", hint="kept each generation"),
    FieldSpec("ga.generations", "generations", "int", hint="generation 0 is random"),
    FieldSpec("ga.mutation_prob", "mutation prob", "float", hint="per gene, 0..1"),
    FieldSpec("ga.target", "target", "float", optional=True, hint="blank: none"),
    FieldSpec("ga.time_budget_s", "time budget", "float", optional=True, hint="seconds; blank: none"),
    FieldSpec("training.max_epochs", "max epochs", "int"),
    FieldSpec("training.patience", "patience", "int", hint="epochs without improvement"),
    FieldSpec("training.merged_patience", "↳ children", "int", hint="patience of merged children; 0: the same"),
    FieldSpec("seed", "seed", "int"),
    FieldSpec("tracking.mlflow_uri", "MLflow", "str", optional=True, hint="blank: off"),
)

GENE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("genes.optimizer", "optimizer", "strlist"),
    FieldSpec("genes.learning_rate", "learning rate", "list"),
    FieldSpec("genes.batch_size", "batch size", "list"),
    FieldSpec("genes.layers", "layers", "list", hint="hidden-layer counts"),
    FieldSpec("genes.neurons", "neurons", "list"),
    FieldSpec("genes.activation", "activation", "strlist"),
    FieldSpec("genes.loss", "loss", "strlist", optional=True, hint="blank: the task's default"),
)

ALL_FIELDS = PARAM_FIELDS + GENE_FIELDS
_SEPARATORS = re.compile(r"[,\s]+")
_FIELD_IN_MESSAGE = re.compile(r"^\[?([a-z_]+(?:\.[a-z_]+)?)")


def _get(cfg: RunConfig, key: str) -> Any:
    obj: Any = cfg
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def _scalar_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return str(v)


def texts_from_config(cfg: RunConfig) -> dict[str, str]:
    """The text each form input shows for `cfg` (lists as comma-separated values)."""
    out = {}
    for f in ALL_FIELDS:
        v = _get(cfg, f.key)
        out[f.key] = ", ".join(_scalar_text(x) for x in v) if isinstance(v, list) else _scalar_text(v)
    return out


def parse_token(text: str) -> Any:
    """A typed value from one token: an int, else a float, else the text itself (the config's type check then
    says e.g. `ga.population: expected an integer, got 'ten'`)."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def field_of(message: str) -> str | None:
    """The config key a ConfigError message starts with (`genes.neurons[2]: ...` -> `genes.neurons`)."""
    m = _FIELD_IN_MESSAGE.match(message)
    if not m:
        return None
    return m.group(1)


def config_from_texts(
    texts: dict[str, str], base: RunConfig, task: str | None = None, extra: dict[str, Any] | None = None
) -> RunConfig:
    """Overlay the form's texts (and `extra`, typed values by dotted key: "dataset", "ga.merge") on `base`
    and validate.

    Raises ConfigError with a one-line message naming the field. With `task`, the gene store's losses are
    also checked against it, as the engine will do.
    """
    data: dict[str, Any] = {}
    for f in ALL_FIELDS:
        text = texts.get(f.key)
        if text is None:
            continue
        text = text.strip()
        if f.kind in ("list", "strlist"):
            tokens = [t for t in _SEPARATORS.split(text) if t]
            value: Any = tokens if f.kind == "strlist" else [parse_token(t) for t in tokens]
        elif not text:
            if not f.optional:
                raise ConfigError(f"{f.key}: enter a value")
            value = None
        elif f.kind == "str":
            value = text
        else:
            value = parse_token(text)
        if value is None:
            _set_none(data, f.key)
            continue
        _put(data, f.key, value)
    for key, value in (extra or {}).items():  # dotted keys, like the fields': "dataset", "ga.merge"
        _put(data, key, value)
    nones = data.pop("__none__", [])
    cfg = config_from_dict(data, base)
    for key in nones:  # optional numbers left blank: no target (config_from_dict cannot express None)
        section, name = key.split(".")
        setattr(getattr(cfg, section), name, None)
    cfg.validate()
    if task is not None:
        cfg.genes.resolve_for_task(task)
    return cfg


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    if len(parts) == 1:
        data[key] = value
    else:
        data.setdefault(parts[0], {})[parts[1]] = value


def _set_none(data: dict[str, Any], key: str) -> None:
    data.setdefault("__none__", []).append(key)
