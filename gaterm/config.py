"""One typed configuration for a run (GA parameters, training, gene store): TOML in, TOML out, validated."""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaterm.errors import ConfigError

OPTIMIZERS = ("sgd", "adam", "rmsprop", "adadelta", "adagrad", "adamax", "nadam")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "softsign", "elu")
LOSSES = {"classification": ("cross_entropy",), "regression": ("mae", "mse", "huber")}
MAX_THREADS = 1024  # torch refuses absurd thread counts mid-run; refuse them up front
DEFAULT_LOSSES = {"classification": ["cross_entropy"], "regression": ["mae", "mse"]}
SELECTIONS = ("validation", "test")
TABLE_TASKS = ("auto", "classification", "regression")
IMPUTE_RULES = ("none", "median")
TABLE_DATASET = "table"  # the built-in data set that reads [data] file
INITS = ("random", "spread")
SCHEDULES = ("generational", "async")
PRUNERS = ("median", "asha")
CROSSOVER_DEPTHS = ("deeper", "either")


@dataclass
class GeneStore:
    """For every gene, the values it may take."""

    optimizer: list[str] = field(default_factory=lambda: list(OPTIMIZERS))
    learning_rate: list[float] = field(default_factory=lambda: [0.0005, 0.001, 0.005, 0.01])
    batch_size: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    layers: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    neurons: list[int] = field(default_factory=lambda: list(range(10, 201, 10)))
    activation: list[str] = field(default_factory=lambda: list(ACTIVATIONS))
    # Empty means "the data set's task default" (resolved by `resolve_for_task`).
    loss: list[str] = field(default_factory=list)
    # Learning rates per optimizer, where the common `learning_rate` list does not suit it (measured by
    # benchmarks/optimizers.py on digits, wine-quality and Boston): Adadelta's rule scales its step by lr (torch's
    # default is 1.0), so 0.0005-0.01 leave it barely training; plain SGD at 0.0005-0.001 and Adagrad at 0.0005
    # stop (early stopping sees no progress) near the trivial baseline.
    learning_rates: dict[str, list[float]] = field(default_factory=lambda: {
        "sgd": [0.005, 0.01, 0.02, 0.05],
        "adagrad": [0.002, 0.005, 0.01, 0.05],
        "adadelta": [0.1, 0.5, 1.0, 2.0],
    })

    def rates_for(self, optimizer: str) -> list[float]:
        """The learning rates `optimizer` may use: its own list if it has one, else `learning_rate`."""
        return list(self.learning_rates.get(optimizer) or self.learning_rate)

    def fit_rate(self, optimizer: str, rate: float) -> float:
        """`rate` if `optimizer` may use it, else its nearest allowed rate on a log scale (a child can take its
        optimizer from one parent and its rate from the other); ties go to the smaller rate."""
        rates = self.rates_for(optimizer)
        if rate in rates:
            return rate
        return min(sorted(rates), key=lambda r: abs(math.log(r) - math.log(rate)))

    def resolve_for_task(self, task: str) -> GeneStore:
        """Return a copy whose loss list is explicit, checking every loss suits `task` ("auto": the task is not
        known until the data is read; unchecked here, checked when the engine starts)."""
        if task not in LOSSES:
            return dataclasses.replace(self)
        losses = list(self.loss) or list(DEFAULT_LOSSES[task])
        bad = [x for x in losses if x not in LOSSES[task]]
        if bad:
            raise ConfigError(
                f"genes.loss: {bad[0]!r} is not a {task} loss; choose from {', '.join(LOSSES[task])}"
            )
        return dataclasses.replace(self, loss=losses)

    def validate(self) -> None:
        """The gene store's rules: every gene lists distinct, known, sensible values."""
        g = self
        for name in ("optimizer", "learning_rate", "batch_size", "layers", "neurons", "activation"):
            values = getattr(g, name)
            _check(len(values) > 0, f"genes.{name}", "must list at least one value")
            _check(len(set(values)) == len(values), f"genes.{name}", "lists a value twice")
        for v in g.optimizer:
            _check(v in OPTIMIZERS, "genes.optimizer", f"unknown optimizer {v!r}{_suggest(v, OPTIMIZERS)}")
        for v in g.activation:
            _check(v in ACTIVATIONS, "genes.activation", f"unknown activation {v!r}{_suggest(v, ACTIVATIONS)}")
        all_losses = sorted({x for xs in LOSSES.values() for x in xs})
        for v in g.loss:
            _check(v in all_losses, "genes.loss", f"unknown loss {v!r}{_suggest(v, all_losses)}")
        for rate in g.learning_rate:
            _check(0 < rate < 100 and math.isfinite(rate), "genes.learning_rate", f"{rate!r} is not a positive rate")
        for opt, rates in g.learning_rates.items():
            where = f"genes.learning_rates.{opt}"
            _check(opt in OPTIMIZERS, "genes.learning_rates", f"unknown optimizer {opt!r}{_suggest(opt, OPTIMIZERS)}")
            _check(len(rates) > 0, where, "must list at least one value")
            _check(len(set(rates)) == len(rates), where, "lists a value twice")
            for rate in rates:
                _check(0 < rate < 100 and math.isfinite(rate), where, f"{rate!r} is not a positive rate")
        for n in g.batch_size:
            _check(n >= 1, "genes.batch_size", f"{n!r} must be >= 1")
        for n in g.layers:
            _check(1 <= n <= 64, "genes.layers", f"{n!r} must be between 1 and 64")
        for n in g.neurons:
            _check(1 <= n <= 65536, "genes.neurons", f"{n!r} must be between 1 and 65536")


@dataclass
class GAConfig:
    """Parameters of the genetic algorithm itself. The defaults are the search measured best against Optuna
    (docs/speed.md): the steady-state schedule, parents from the best 5, a child as deep as either parent (with
    `training.prune`); the study's protocol (generational, 10 survivors, the deeper parent's depth, no pruning)
    is `STUDY_PROTOCOL`, what `gaterm compare` runs."""

    population: int = 20
    survivors: int = 5
    generations: int = 10
    mutation_prob: float = 0.1
    target: float | None = None
    time_budget_s: float | None = None
    merge: bool = True
    merge_strategy: str = "select"  # issue 7: fewer epochs than the study's "mean" on all three data sets
    # Experiment control: also train every merged child from a fresh init (same seed and data order), record
    # it beside the merged result, never use it for selection. Doubles the cost of merged children.
    paired_control: bool = False
    # What every decision uses (selection, the target stop, best so far, the fitter parent, best_model.pt):
    # "validation" (the validation metric; the test split decides nothing) or "test" (the study's protocol:
    # selection on the test metric, whose reported result is then optimistically biased).
    selection: str = "validation"
    # Warm start: a previous run directory whose best individuals (distinct genes, by its selection metric) seed
    # generation 0; with the very same splits they start from their trained weights (see docs/your-data.md).
    init_from: str | None = None
    # Generation 0: "random" (every gene drawn uniformly) or "spread" (each gene's values covered evenly across
    # the population, a Latin-hypercube-like design; see gaterm.chromosome.spread_population).
    init: str = "random"
    # "generational": each generation's children are bred together and the next generation waits for the
    # slowest of them (the study's GA). "async" (steady state): a child is bred from the best `survivors` of
    # everything evaluated so far the moment a worker is free; no barrier. Both run planned_evaluations
    # evaluations (async: fewer when first_share cuts generation 0); in async mode a child's "generation" is its
    # block of population - survivors children by id. With one worker both are reproducible from the seed.
    schedule: str = "async"
    # Async schedule with a time budget: generation 0 may start evaluations during this share of time_budget_s
    # only (and at least 4 of them); the rest of it is skipped, breeding begins, and the run's planned
    # evaluations shrink by as many. 1.0: the whole first population runs (as without a budget).
    first_share: float = 1.0
    # A child whose genes equal those of an individual already evaluated, started or bred is mutated again until
    # they differ (at most 20 rounds): late in a search, copies of the best would otherwise fill the run.
    dedupe: bool = False
    # How deep a child is: "either" (either parent's depth, with equal probability: networks do not drift to the
    # deepest) or "deeper" (the study's: as deep as its deeper parent, so depth only shrinks by mutation).
    crossover_depth: str = "either"

    @property
    def planned_evaluations(self) -> int:
        """Evaluations of a run that goes the distance: generation 0's population, then the children."""
        return self.population + (self.generations - 1) * (self.population - self.survivors)

    def validate(self) -> None:
        """The GA section's rules (ConfigError naming the field)."""
        ga = self
        _check(ga.population >= 2, "ga.population", "must be at least 2")
        _check(ga.survivors >= 2, "ga.survivors", "must be at least 2 (children have two distinct parents)")
        _check(
            ga.survivors < ga.population,
            "ga.survivors",
            f"must be smaller than ga.population ({ga.population}), or no children are bred",
        )
        _check(ga.generations >= 1, "ga.generations", "must be at least 1")
        _check(0.0 <= ga.mutation_prob <= 1.0, "ga.mutation_prob", "must be between 0 and 1")
        if ga.target is not None:
            _check(math.isfinite(ga.target), "ga.target", "must be a finite number")
        if ga.time_budget_s is not None:
            _check(ga.time_budget_s > 0, "ga.time_budget_s", "must be > 0 seconds")
        _check(bool(ga.merge_strategy), "ga.merge_strategy", "must not be empty")
        _check_choice(ga.selection, "ga.selection", SELECTIONS)
        _check_choice(ga.schedule, "ga.schedule", SCHEDULES)
        _check(0.0 < ga.first_share <= 1.0, "ga.first_share", "must be above 0 and at most 1")
        _check(ga.first_share == 1.0 or (ga.schedule == "async" and ga.time_budget_s is not None), "ga.first_share",
               "applies to the async schedule with a time budget only (set ga.schedule = \"async\" and "
               "ga.time_budget_s, or leave it at 1)")
        _check_choice(ga.init, "ga.init", INITS)
        _check(ga.init_from is None or bool(ga.init_from), "ga.init_from", "must not be empty")
        _check_choice(ga.crossover_depth, "ga.crossover_depth", CROSSOVER_DEPTHS)


@dataclass
class TrainingConfig:
    """How each individual is trained and scored by the fitness function."""

    max_epochs: int = 100
    patience: int = 10
    # Early-stopping patience of merged children (0: `patience`). A merged child starts from its parents' trained
    # weights and often improves in its first epochs or not at all; docs/speed.md measures it (it paid on digits
    # and cost on both regression data sets, so it is off by default).
    merged_patience: int = 0
    # An epoch improves when the validation loss beats the best by more than min_delta, in the loss's own units
    # on the user's targets: for regression the loss is computed on standardized targets, so min_delta is
    # divided by the target's training spread (MAE, Huber) or its square (MSE) before comparing, as if the
    # network were trained on the raw targets (as Keras, and the study, did). Cross-entropy has no unit.
    min_delta: float = 0.01
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    device: str = "cpu"
    threads: int = 0  # 0: let gaterm choose
    # Median pruning (on by default; off in the study's protocol, STUDY_PROTOCOL): stop an evaluation after epoch
    # k > prune_warmup when its best validation loss so far is worse than the median, over earlier completed
    # evaluations with the same loss, of their best validation loss up to epoch k. "Earlier": every evaluation of
    # a finished generation, and in the current one those at least prune_lag + 1 positions before it (so results
    # do not depend on the worker count; at most prune_lag + 1 evaluations then run at once). Nothing is pruned
    # while fewer than prune_startup such curves exist (Optuna's n_startup_trials). With ga.schedule = "async",
    # "earlier" is every evaluation completed when this one starts and prune_lag does not apply.
    prune: bool = True
    prune_warmup: int = 5
    prune_startup: int = 5
    prune_lag: int = 3
    # The pruning rule when prune is on: "median" (above) or "asha", asynchronous successive halving: rungs at
    # epochs prune_warmup + 1 times 1, prune_eta, prune_eta^2, ...; at each rung an evaluation goes on only if its
    # best validation loss so far is among the best 1/prune_eta of the earlier evaluations (completed or pruned)
    # that reached the rung, itself included; a rung judges once prune_startup of them reached it.
    pruner: str = "median"
    prune_eta: int = 3
    # Merged children stop after as many epochs without improvement as they took to reach their best (at least
    # 2, at most the patience they would have had): a child that is best at epoch 2 stops at epoch 4, not 12.
    relative_patience: bool = False

    def validate(self, ga: GAConfig) -> None:
        """The training section's rules, some of them against the GA's (the paired control)."""
        tr = self
        _check(tr.max_epochs >= 1, "training.max_epochs", "must be at least 1")
        _check(tr.patience >= 1, "training.patience", "must be at least 1")
        _check(tr.merged_patience >= 0, "training.merged_patience", "must be >= 0 (0: the same as patience)")
        _check(not (ga.paired_control and tr.merged_patience not in (0, tr.patience)), "training.merged_patience",
               "the paired control trains the same child fresh with `patience`: a different patience for the "
               "merged child would be counted as merge's saving; leave it at 0 or turn the control off")
        _check(tr.min_delta >= 0, "training.min_delta", "must be >= 0")
        _check(0 < tr.val_fraction < 1, "training.val_fraction", "must be between 0 and 1")
        _check(0 < tr.test_fraction < 1, "training.test_fraction", "must be between 0 and 1")
        _check(
            tr.val_fraction + tr.test_fraction < 0.9,
            "training.val_fraction",
            "val_fraction + test_fraction must leave at least 10% of the rows for training",
        )
        _check(tr.device == "cpu" or tr.device.startswith("cuda"), "training.device", "must be 'cpu' or 'cuda[:N]'")
        _check(tr.threads >= 0, "training.threads", "must be >= 0 (0 lets gaterm choose)")
        _check(tr.threads <= MAX_THREADS, "training.threads", f"must be at most {MAX_THREADS}")
        _check(tr.prune_warmup >= 0, "training.prune_warmup", "must be >= 0")
        _check_choice(tr.pruner, "training.pruner", PRUNERS)
        _check(tr.prune_eta >= 2, "training.prune_eta", "must be at least 2")
        _check(not (ga.paired_control and tr.relative_patience), "training.relative_patience",
               "the paired control trains the same child fresh with `patience`: a shorter patience for the "
               "merged child would be counted as merge's saving; turn one of them off")
        _check(tr.prune_startup >= 1, "training.prune_startup", "must be at least 1")
        _check(tr.prune_lag >= 0, "training.prune_lag", "must be >= 0")


@dataclass
class TrackingConfig:
    """Where runs are also logged (the built-in MLflow listener); not part of what determines the results."""

    mlflow_uri: str | None = None  # a directory, a file: URI, sqlite:///FILE or http(s)://HOST; None: off
    experiment: str = "gaterm"

    def validate(self) -> None:
        tk = self
        if tk.mlflow_uri is not None:
            _check(bool(tk.mlflow_uri.strip()), "tracking.mlflow_uri", "must not be empty (leave it out to turn "
                   "tracking off)")
        _check(bool(tk.experiment.strip()), "tracking.experiment", "must not be empty")


@dataclass
class DataConfig:
    """Your own table, read by the `table` data set: a CSV or Parquet file and the column to predict."""

    file: str = ""  # an absolute path once loaded (a relative one is taken from the config file's folder)
    label: str = ""
    task: str = "auto"  # "auto": a non-numeric label or <= 20 distinct integers is classification
    impute: str = "none"  # "none": missing values are an error; "median": numbers median, categories most frequent

    @property
    def is_set(self) -> bool:
        return self != DataConfig()

    def validate(self, dataset: str) -> None:
        """The [data] section's rules: only the table data set reads a file."""
        d = self
        _check_choice(d.task, "data.task", TABLE_TASKS)
        _check_choice(d.impute, "data.impute", IMPUTE_RULES)
        if dataset == TABLE_DATASET:
            _check(bool(d.file), "data.file", "the 'table' data set needs a file (--data FILE)")
            _check(bool(d.label), "data.label", "the 'table' data set needs the column to predict (--label COLUMN)")
        else:
            for name in ("file", "label", "task", "impute"):  # a [data] key another data set would ignore
                _check(getattr(d, name) == getattr(DataConfig(), name), f"data.{name}",
                       f"only the '{TABLE_DATASET}' data set reads a file (--data), but dataset is {dataset!r}")


@dataclass
class RunConfig:
    """Everything that determines a run; `config.toml` in a run directory is this, written out."""

    dataset: str = "digits"
    seed: int = 0
    ga: GAConfig = field(default_factory=GAConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    genes: GeneStore = field(default_factory=GeneStore)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    data: DataConfig = field(default_factory=DataConfig)

    # ----- TOML -----
    def to_dict(self) -> dict[str, Any]:
        def clean(obj: Any) -> dict[str, Any]:
            return {k: v for k, v in dataclasses.asdict(obj).items() if v is not None}

        out: dict[str, Any] = {"dataset": self.dataset, "seed": self.seed}
        out["ga"] = clean(self.ga)
        out["training"] = clean(self.training)
        genes = clean(self.genes)
        if not genes["loss"]:
            del genes["loss"]
        out["genes"] = genes
        out["tracking"] = clean(self.tracking)
        if self.data.is_set:
            out["data"] = dataclasses.asdict(self.data)
        return out

    def to_toml(self) -> str:
        import tomli_w

        header = "# gaterm run configuration: `gaterm --no-ui --config THIS_FILE` repeats the run.\n"
        return header + tomli_w.dumps(self.to_dict())

    def save(self, path: Path) -> None:
        path.write_text(self.to_toml(), encoding="utf-8")

    def validate(self) -> RunConfig:
        """Check every section's rules; raise ConfigError with a one-line message naming the field."""
        _check(self.seed >= 0, "seed", "must be >= 0")
        _check(self.seed < 2**63, "seed", "must be below 2**63")
        self.ga.validate()
        self.training.validate(self.ga)
        self.data.validate(self.dataset)
        self.genes.validate()
        self.tracking.validate()
        return self


def _check_choice(value: str, name: str, choices: tuple[str, ...]) -> None:
    """`value` must be one of `choices`; the message names them and suggests the closest."""
    _check(value in choices, name, f"must be one of {', '.join(choices)}, got {value!r}{_suggest(value, choices)}")


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{name}: {message}")


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ----- parsing from TOML / dicts -----
_SECTIONS: dict[str, type] = {
    "ga": GAConfig, "training": TrainingConfig, "genes": GeneStore, "tracking": TrackingConfig, "data": DataConfig,
}
_TOP_KEYS = ("dataset", "seed", *_SECTIONS)


def _coerce(where: str, value: Any, annotation: str) -> Any:
    """Check a TOML value against a dataclass field annotation string; ints are accepted for floats."""
    ann = annotation.replace(" ", "")
    optional = ann.endswith("|None")
    base = ann[: -len("|None")] if optional else ann
    if base == "bool":
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if base == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if base == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if base == "str":
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if base.startswith("dict[str,"):
        item = base[len("dict[str,"):-1]
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return {str(k): _coerce(f"{where}.{k}", v, item) for k, v in value.items()}
    if base.startswith("list["):
        item = base[5:-1]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(f"{where}[{i}]", v, item) for i, v in enumerate(value)]
    raise AssertionError(f"unhandled annotation {annotation}")  # a bug, not user input


def _unknown_key(where: str, key: str, known: Any) -> ConfigError:
    return ConfigError(f"{where}: unknown key {key!r}{_suggest(key, known)}")


def config_from_dict(data: dict[str, Any], base: RunConfig | None = None) -> RunConfig:
    """Overlay `data` (parsed TOML) on `base` (defaults if None), checking every key and type."""
    cfg = dataclasses.replace(base) if base is not None else RunConfig()
    cfg.ga = dataclasses.replace(cfg.ga)
    cfg.training = dataclasses.replace(cfg.training)
    cfg.genes = dataclasses.replace(cfg.genes)
    cfg.tracking = dataclasses.replace(cfg.tracking)
    cfg.data = dataclasses.replace(cfg.data)
    if isinstance(data.get("data"), dict) and data["data"].get("file") and "dataset" not in data:
        cfg.dataset = TABLE_DATASET  # `[data] file = ...` alone means "train on this table"
    for key, value in data.items():
        if key not in _TOP_KEYS:
            raise _unknown_key("config", key, _TOP_KEYS)
        if key == "dataset":
            cfg.dataset = _coerce("dataset", value, "str")
        elif key == "seed":
            cfg.seed = _coerce("seed", value, "int")
        else:
            if not isinstance(value, dict):
                raise ConfigError(f"[{key}]: expected a table, got {value!r}")
            section = getattr(cfg, key)
            fields = {f.name: f for f in dataclasses.fields(_SECTIONS[key])}
            for sub, subval in value.items():
                if sub not in fields:
                    raise _unknown_key(f"[{key}]", sub, fields)
                setattr(section, sub, _coerce(f"{key}.{sub}", subval, str(fields[sub].type)))
    return cfg


def config_from(
    path: Path | None = None, overrides: dict[str, Any] | None = None, validate: bool = True,
    base: RunConfig | None = None,
) -> RunConfig:
    """`base` (gaterm's defaults if None), overlaid by the TOML file at `path` (if any), overlaid by `overrides`
    (a dict shaped like the file, e.g. from command-line flags); then validated, unless the caller checks
    something first."""
    start = base if base is not None else RunConfig()
    cfg = config_from_dict(overrides or {}, load_config(path, start) if path is not None else start)
    return cfg.validate() if validate else cfg


# The study's protocol (Gonzalez & Varrun 2021, ../docs/algorithm.md): a generational GA of 20 with 10 survivors
# over 10 generations, every evaluation trained to early stopping with the full patience, nothing pruned.
# `gaterm compare` runs its arms with it, so that its reports stay comparable with the study's Table 1 whatever
# gaterm's own defaults are; a config file and flags override it as usual.
STUDY_PROTOCOL: dict[str, Any] = {
    "ga": {"population": 20, "survivors": 10, "generations": 10, "mutation_prob": 0.1, "schedule": "generational",
           "init": "random", "dedupe": False, "crossover_depth": "deeper"},
    "training": {"max_epochs": 100, "patience": 10, "merged_patience": 0, "relative_patience": False,
                 "prune": False},
}


def study_protocol() -> RunConfig:
    """gaterm's defaults with the study's protocol (`STUDY_PROTOCOL`) on top."""
    return config_from_dict(STUDY_PROTOCOL)


def load_config(path: Path, base: RunConfig | None = None) -> RunConfig:
    """Read a TOML file into a RunConfig; every problem is a one-line ConfigError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # arrays or inline tables nested thousands deep
        raise ConfigError(f"{path}: invalid TOML: values nested too deeply") from None
    except ValueError as exc:  # an integer with more digits than Python converts
        raise ConfigError(f"{path}: invalid TOML: {' '.join(str(exc).split(';')[0].split())}") from None
    try:
        cfg = config_from_dict(data, base)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    # paths in a config file are relative to the file's folder; stored absolute so workers find them too
    here = Path(path).resolve().parent
    if cfg.data.file:
        cfg.data.file = str((here / Path(cfg.data.file).expanduser()).resolve())
    if cfg.ga.init_from:
        cfg.ga.init_from = str((here / Path(cfg.ga.init_from).expanduser()).resolve())
    return cfg
