"""The fitness function: build a chromosome's network, train it with early stopping on the training split, and
score it on the validation split (which decides) and the test split (which reports)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from gaterm.chromosome import Chromosome
from gaterm.config import TrainingConfig
from gaterm.datasets import Dataset
from gaterm.engine.pruners import PruneState
from gaterm.errors import ConfigError
from gaterm.merge import PROBE_ROWS, VAL_PROBE_ROWS, LayerWeights, Probe
from gaterm.states import Direction, Status

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU, "softsign": nn.Softsign, "elu": nn.ELU,
}


class _OptimizerClass(Protocol):
    """A torch optimizer's constructor as gaterm calls it (the base class's own takes `defaults`, not `lr`)."""

    def __call__(self, params: Iterable[nn.Parameter], *, lr: float) -> torch.optim.Optimizer: ...


OPTIMIZERS: dict[str, _OptimizerClass] = {
    "sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta, "adagrad": torch.optim.Adagrad, "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
}
LOSSES: dict[str, Callable[[], nn.Module]] = {
    "cross_entropy": nn.CrossEntropyLoss, "mae": nn.L1Loss, "mse": nn.MSELoss, "huber": nn.HuberLoss,
}


class Cancelled(Exception):
    """Raised inside an evaluation when the run was asked to stop; the evaluation is discarded."""


@dataclass(frozen=True)
class FitnessResult:
    """What one fitness evaluation produced. `layers` are the trained (best-epoch) weights, on the CPU."""

    val_metric: float  # accuracy or MAE (target units) on the validation split, best epoch restored
    test_metric: float  # the same on the test split
    val_loss: float
    n_epochs: int
    best_epoch: int
    fitness_time: float  # wall seconds: training + scoring (the merge, done by the engine, is added there)
    status: Status
    layers: list[LayerWeights]
    val_curve: tuple[float, ...] = ()  # validation loss after each epoch
    error: str | None = None  # the message, when status is ERROR


class DeviceData:
    """A data set's splits as tensors on the training device, converted once per run."""

    def __init__(self, ds: Dataset, device: str) -> None:
        dev = resolve_device(device)
        self.device = dev
        self.dataset = ds
        def t(a):
            return torch.from_numpy(np.ascontiguousarray(a)).to(dev)
        self.x_train, self.y_train = t(ds.x_train), t(ds.y_train)
        self.x_val, self.y_val = t(ds.x_val), t(ds.y_val)
        self.x_test, self.y_test = t(ds.x_test), t(ds.y_test)
        if ds.task == "regression":
            self.y_train, self.y_val, self.y_test = (y.unsqueeze(1) for y in (self.y_train, self.y_val, self.y_test))


def warm_up(data: DeviceData, optimizers: Sequence[str], losses: Sequence[str]) -> None:
    """Run a few steps of a tiny model with each optimizer and loss, so one-off framework start-up costs
    (thread pools, kernel selection, lazy imports) are not charged to the first evaluation's fitness time."""
    n = min(64, len(data.x_train))
    with torch.random.fork_rng(devices=[]):
        for opt_name in optimizers:
            for loss_name in losses:
                model = nn.Sequential(nn.Linear(data.dataset.n_features, 8), nn.ReLU(),
                                      nn.Linear(8, data.dataset.n_outputs)).to(data.device)
                opt = OPTIMIZERS[opt_name](model.parameters(), lr=1e-3)
                loss_fn = LOSSES[loss_name]()
                for _ in range(3):
                    opt.zero_grad(set_to_none=True)
                    loss_fn(model(data.x_train[:n]), data.y_train[:n]).backward()
                    opt.step()
                with torch.inference_mode():
                    loss_fn(model(data.x_val), data.y_val)


def resolve_device(device: str) -> torch.device:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"training.device: {device!r} requested but CUDA is not available on this machine")
    return torch.device(device)


def build_model(c: Chromosome, n_in: int, n_out: int) -> nn.Sequential:
    """Dense layers `n_in -> hidden... -> n_out`; hidden layers use their gene's activation, the output none."""
    mods: list[nn.Module] = []
    width = n_in
    for lg in c.layers:
        mods += [nn.Linear(width, lg.neurons), ACTIVATIONS[lg.activation]()]
        width = lg.neurons
    mods.append(nn.Linear(width, n_out))
    return nn.Sequential(*mods)


def dense_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def get_layers(model: nn.Module) -> list[LayerWeights]:
    """A detached CPU copy of every dense layer's (weight, bias)."""
    return [(m.weight.detach().cpu().clone(), m.bias.detach().cpu().clone()) for m in dense_layers(model)]


def set_layers(model: nn.Module, layers: Sequence[LayerWeights]) -> None:
    with torch.no_grad():
        for m, (w, b) in zip(dense_layers(model), layers, strict=True):
            m.weight.copy_(w)
            m.bias.copy_(b)


def make_probe(c: Chromosome, data: DeviceData) -> Probe:
    """The `Probe` a data-using merge strategy gets for child `c` (see gaterm.merge.Probe)."""
    inputs = data.x_train[:PROBE_ROWS].detach().to("cpu", torch.float32).clone()  # a copy: writes stay local
    x_val, y_val = data.x_val[:VAL_PROBE_ROWS], data.y_val[:VAL_PROBE_ROWS]
    loss_fn = LOSSES[c.loss]()
    with torch.random.fork_rng(devices=[]):  # building a model draws an init: keep the global RNG untouched
        model = build_model(c, data.dataset.n_features, data.dataset.n_outputs).to(data.device).eval()

    def val_loss(layers: Sequence[LayerWeights]) -> float:
        set_layers(model, layers)
        with torch.inference_mode():
            return float(loss_fn(model(x_val), y_val))

    return Probe(inputs, val_loss)


def evaluation_seed(run_seed: int, individual_id: int) -> int:
    """Seed of one evaluation, from the run seed and the individual alone (not from call order)."""
    return int(np.random.SeedSequence([run_seed, individual_id]).generate_state(1)[0])


_INIT_LOCK = threading.Lock()


def init_model(c: Chromosome, data: DeviceData, seed: int) -> nn.Sequential:
    """A freshly initialised model for `c`, deterministic in `seed` (even with several evaluations running as
    threads of one process, as on a Dask worker: seeding and building happen under one lock)."""
    with _INIT_LOCK:
        torch.manual_seed(seed)
        return build_model(c, data.dataset.n_features, data.dataset.n_outputs)


def evaluate(
    c: Chromosome,
    data: DeviceData,
    cfg: TrainingConfig,
    seed: int,
    init_layers: Sequence[LayerWeights] | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    pruning: PruneState | None = None,
    keep_initial: bool = False,
    prune_check: Callable[[int, float], bool] | None = None,
    patience: int | None = None,
    relative_patience: bool = False,
) -> FitnessResult:
    """Train `c` (from `init_layers` if given, else a fresh init) and score it on the validation and test splits.

    Early stopping watches the validation loss: an epoch improves when it beats the best so far by more than
    `min_delta` (in the user's units: see `loss_delta`); after `patience` epochs without improvement training
    stops and the best weights are restored.
    A non-finite loss ends training at once with the worst metric. With `pruning` (the task's `PruneState`, see
    `gaterm.engine.pruners`), training also stops after any epoch its `should_prune(curve)` says so; the best
    weights so far are scored as usual and the status is "pruned".
    With `keep_initial` (a warm start from trained weights), `init_layers` count as epoch 0: training must beat
    their validation loss, else they are what is kept and scored.
    `prune_check(epoch, val_loss)`, if given, is asked after every epoch too and prunes the same way when it
    returns True (an outside pruner, e.g. Optuna's in benchmarks/anytime.py). `patience`, if given, replaces
    `cfg.patience` (a merged child's `training.merged_patience`). With `relative_patience` (a merged child's
    `training.relative_patience`), training stops after min(patience, max(2, best epoch)) epochs without
    improvement: a network that found its best quickly is not given the full patience to find a better one.
    """
    model = init_model(c, data, seed)
    if init_layers is not None:
        set_layers(model, init_layers)
    model.to(data.device)
    loss_fn = LOSSES[c.loss]()
    opt = OPTIMIZERS[c.optimizer](model.parameters(), lr=c.learning_rate)
    gen = torch.Generator().manual_seed(seed ^ 0x5EED)
    start = time.perf_counter()
    stop = _EarlyStopping(loss_delta(cfg.min_delta, c.loss, data.dataset), patience or cfg.patience,
                          relative_patience)
    if keep_initial and init_layers is not None:
        stop.start_from(model, _val_loss(model, loss_fn, data))
    status, epoch, curve = Status.OK, 0, []
    for epoch in range(1, cfg.max_epochs + 1):
        if should_stop is not None and should_stop():
            raise Cancelled()
        perm = torch.randperm(len(data.x_train), generator=gen).to(data.device)
        train_epoch(model, opt, loss_fn, data, perm, c.batch_size)
        val_loss = _val_loss(model, loss_fn, data)
        curve.append(val_loss)
        if on_epoch is not None:
            on_epoch(epoch, val_loss)
        if not math.isfinite(val_loss):
            status = Status.DIVERGED
            break
        if stop.patience_spent(model, epoch, val_loss):
            break
        if (pruning is not None and pruning.should_prune(curve)) or (
                prune_check is not None and prune_check(epoch, val_loss)):
            status = Status.PRUNED
            break
    if status.trained:
        stop.restore_best(model)
    status, val_metric, test_metric = _score(model, data, status)
    return FitnessResult(val_metric=val_metric, test_metric=test_metric, val_loss=stop.best_loss, n_epochs=epoch,
                         best_epoch=stop.best_epoch, fitness_time=time.perf_counter() - start, status=status,
                         layers=get_layers(model), val_curve=tuple(curve))


class _EarlyStopping:
    """Early stopping on the validation loss: the best epoch's weights are kept, and training stops after
    `patience` epochs without an improvement of more than `delta` (with `relative`, after min(patience,
    max(2, best epoch)))."""

    def __init__(self, delta: float, patience: int, relative: bool) -> None:
        self.delta, self.patience, self.relative = delta, patience, relative
        self.best_loss, self.best_epoch, self.wait = math.inf, 0, 0
        self.best_state: list[torch.Tensor] | None = None

    def start_from(self, model: nn.Module, initial: float) -> None:
        """A warm start's own weights are epoch 0: training must beat them."""
        if math.isfinite(initial):
            self.best_loss, self.best_state = initial, _state(model)

    def patience_spent(self, model: nn.Module, epoch: int, val_loss: float) -> bool:
        if val_loss < self.best_loss - self.delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, epoch, 0
            self.best_state = _state(model)
            return False
        self.wait += 1
        return self.wait >= (min(self.patience, max(2, self.best_epoch)) if self.relative else self.patience)

    def restore_best(self, model: nn.Module) -> None:
        if self.best_state is not None:
            with torch.no_grad():
                for t, saved in zip(model.state_dict().values(), self.best_state, strict=True):
                    t.copy_(saved)


def _state(model: nn.Module) -> list[torch.Tensor]:
    return [t.detach().clone() for t in model.state_dict().values()]


def train_epoch(model: nn.Module, opt: torch.optim.Optimizer, loss_fn: nn.Module, data: DeviceData,
                perm: torch.Tensor, batch_size: int) -> None:
    """One pass over the training split in the order `perm`, in mini-batches of `batch_size`."""
    model.train()
    x, y = data.x_train, data.y_train
    for s in range(0, len(perm), batch_size):
        idx = perm[s : s + batch_size]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()


def _val_loss(model: nn.Module, loss_fn: nn.Module, data: DeviceData) -> float:
    model.eval()
    with torch.inference_mode():
        return float(loss_fn(model(data.x_val), data.y_val))


def _score(model: nn.Module, data: DeviceData, status: Status) -> tuple[Status, float, float]:
    """(status, validation metric, test metric) of the trained `model`; a non-finite metric makes it diverged,
    and a diverged network gets the worst metric on both splits."""
    if status is not Status.DIVERGED:
        val_metric = split_metric(model, data, data.x_val, data.y_val)
        test_metric = split_metric(model, data, data.x_test, data.y_test)
        if math.isfinite(val_metric) and math.isfinite(test_metric):
            return status, val_metric, test_metric
    worst = Direction.of(data.dataset.higher_is_better).worst
    return Status.DIVERGED, worst, worst


def loss_delta(min_delta: float, loss: str, ds: Dataset) -> float:
    """`min_delta`, given in the loss's units on the user's targets, in the units of the loss gaterm computes:
    regression losses see standardized targets, so an MAE (or Huber) of d in target units is d / std there and
    an MSE of d is d / std**2. Classification (cross-entropy) is unitless: unchanged."""
    if ds.task != "regression" or ds.target_std <= 0:
        return min_delta
    return min_delta / ds.target_std**2 if loss == "mse" else min_delta / ds.target_std


def split_metric(model: nn.Module, data: DeviceData, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy, or MAE in the target's units, of `model` on one split."""
    with torch.inference_mode():
        out = model(x)
        if data.dataset.task == "classification":
            return float((out.argmax(dim=1) == y).float().mean())
        return float((out - y).abs().mean()) * data.dataset.target_std
