"""Evaluation backends: where fitness evaluations run (this process, worker processes, a Dask cluster).

The generational schedule hands a backend one generation's tasks (merges already done) and consumes the
outcomes in task order (`run`); the steady-state schedule asks for a task whenever a slot is free and takes
outcomes in completion order (`run_async`). Either way every backend gives the same genes, parents and metrics
for the same seed with one worker; fitness time is always measured where the training runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import threading
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import BrokenExecutor, CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import torch

from gaterm.chromosome import Chromosome
from gaterm.config import RunConfig, TrainingConfig
from gaterm.engine.fitness import Cancelled, DeviceData, FitnessResult, evaluate, warm_up
from gaterm.engine.pruners import PruneState
from gaterm.errors import GatermError
from gaterm.merge import LayerWeights
from gaterm.states import Direction, Status


@dataclass(frozen=True)
class EvalTask:
    """One fitness evaluation to run. `init_layers` None means a fresh initialisation."""

    id: int
    generation: int
    chromosome: Chromosome
    seed: int
    init_layers: Sequence[LayerWeights] | None
    control: bool  # also train from fresh init (paired control)
    pruning: PruneState | None = None  # what the pruner judges this task against, or None: no pruning
    # a warm start: `init_layers` are trained weights, so they compete as "epoch 0" for early stopping's best
    keep_initial: bool = False
    patience: int | None = None  # early stopping's patience for this task; None: the run's `training.patience`
    relative_patience: bool = False  # patience also capped by the epochs it took to reach the best so far
    # start only once the outcomes of the batch's first `after` tasks have been handed to the engine (which fills
    # in `pruning` from them in `may_start`): what a task is compared with never depends on timing
    after: int = 0


@dataclass(frozen=True)
class EvalOutcome:
    task: EvalTask
    result: FitnessResult
    control: FitnessResult | None


class EvaluationBackend(Protocol):
    """Runs tasks and yields their outcomes in task order; `may_start(task)` is asked before starting (or
    submitting) each task, never before the outcomes of its first `task.after` tasks were yielded, and returns
    the task to run (the engine may fill in its pruning medians) or None: start nothing more."""

    def start(self, config: RunConfig, data: DeviceData) -> None: ...

    def run(
        self,
        tasks: Sequence[EvalTask],
        may_start: Callable[[EvalTask], EvalTask | None],
        on_epoch: Callable[[EvalTask, int, float], None] | None,
        should_stop: Callable[[], bool],
    ) -> Generator[EvalOutcome, None, None]: ...

    def run_async(
        self,
        next_task: Callable[[], EvalTask | None],
        on_epoch: Callable[[EvalTask, int, float], None] | None,
        should_stop: Callable[[], bool],
    ) -> Generator[EvalOutcome, None, None]:
        """The steady-state schedule: `next_task()` is asked for a task whenever a slot is free (and again after
        each yielded outcome); None means nothing to start now. Outcomes are yielded as they finish (the earliest
        id first among those done together); it ends when nothing runs and `next_task()` gives None."""
        ...

    def close(self) -> None: ...


def _error_result(data: DeviceData, exc: BaseException) -> FitnessResult:
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(last.filename).name}:{last.lineno}" if last else ""
    message = " ".join(f"{type(exc).__name__}: {exc}{where}".split())  # one line: it goes into a CSV cell
    worst = Direction.of(data.dataset.higher_is_better).worst
    return FitnessResult(worst, worst, math.inf, 0, 0, 0.0, Status.ERROR, [], error=message)


def run_task(
    task: EvalTask, data: DeviceData, training: TrainingConfig,
    on_epoch: Callable[[int, float], None] | None = None, should_stop: Callable[[], bool] | None = None,
) -> EvalOutcome:
    """Run one task where the data lives. A bug inside one evaluation is recorded, not fatal; the paired
    control (same seed, fresh init, same pruning) has its own guard so it never changes the GA's result, and
    runs first for odd ids, second for even ones, so warm caches favour neither side of the pair."""

    def main() -> FitnessResult:
        return evaluate(task.chromosome, data, training, task.seed, task.init_layers, on_epoch=on_epoch,
                        should_stop=should_stop, pruning=task.pruning, keep_initial=task.keep_initial,
                        patience=task.patience, relative_patience=task.relative_patience)

    def control() -> FitnessResult:
        try:
            return evaluate(task.chromosome, data, training, task.seed, None, should_stop=should_stop,
                            pruning=task.pruning)
        except (Cancelled, GatermError):
            raise
        except Exception as exc:  # noqa: BLE001
            return _error_result(data, exc)

    ctl = control() if task.control and task.id % 2 == 1 else None
    try:
        result = main()
    except (Cancelled, GatermError):
        raise
    except Exception as exc:  # noqa: BLE001 - one evaluation's failure must not end the run
        return EvalOutcome(task, _error_result(data, exc), ctl)
    if task.control and ctl is None:
        ctl = control()
    return EvalOutcome(task, result, ctl)


class SerialBackend:
    """Evaluates in this process, one after another (the default; reports every epoch)."""

    def __init__(self) -> None:
        self._data: DeviceData | None = None
        self._training: TrainingConfig | None = None

    def start(self, config: RunConfig, data: DeviceData) -> None:
        self._data, self._training = data, config.training

    def run(self, tasks, may_start, on_epoch, should_stop) -> Generator[EvalOutcome, None, None]:
        if self._data is None or self._training is None:
            raise GatermError("internal error: the serial backend ran before start()")
        for queued in tasks:
            task = may_start(queued)
            if task is None:
                return
            cb = (lambda e, v, t=task: on_epoch(t, e, v)) if on_epoch is not None else None
            yield run_task(task, self._data, self._training, cb, should_stop)

    def run_async(self, next_task, on_epoch, should_stop) -> Generator[EvalOutcome, None, None]:
        if self._data is None or self._training is None:
            raise GatermError("internal error: the serial backend ran before start()")
        while (task := next_task()) is not None:
            cb = (lambda e, v, t=task: on_epoch(t, e, v)) if on_epoch is not None else None
            yield run_task(task, self._data, self._training, cb, should_stop)

    def close(self) -> None:
        pass


# ----- worker processes -----------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def effective_threads(configured: int) -> int:
    """Torch threads per evaluation: the configured number, else 1 (so N workers use N cores).

    One thread is the default everywhere so that results are bit-identical whatever the backend or worker
    count (a different thread count changes float summation order); use --workers to use more cores, which
    scales better than threads for these small networks.
    """
    return configured if configured > 0 else 1


def _load_worker_data(config: dict[str, Any], data_dir: str | None) -> DeviceData:
    from gaterm.config import config_from_dict
    from gaterm.datasets import load_dataset
    from gaterm.plugins import load_plugins

    cfg = config_from_dict(config)
    ps = load_plugins()
    ds = load_dataset(ps.dataset(cfg.dataset), cfg, Path(data_dir) if data_dir else None,
                      ps.datasets.owner.get(cfg.dataset, "?"))
    data = DeviceData(ds, cfg.training.device)
    genes = cfg.genes.resolve_for_task(ds.task)
    warm_up(data, genes.optimizer, genes.loss)
    return data


def worker_init(config: dict[str, Any], data_dir: str | None, threads: int, stop_event: Any) -> None:
    """Load the data set once per worker process, by plugin name, exactly as the main process did."""
    import signal

    from gaterm.config import config_from_dict

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle (it sets stop_event)
    torch.set_num_threads(threads)
    _WORKER.update(data=_load_worker_data(config, data_dir), training=config_from_dict(config).training,
                   stop=stop_event)


def _ping() -> None:
    """A no-op task: submitting it makes the pool start its worker processes at once."""


def worker_run(task: EvalTask) -> EvalOutcome:
    stop = _WORKER.get("stop")
    init = None
    if task.init_layers is not None:
        init = [(torch.as_tensor(w), torch.as_tensor(b)) for w, b in task.init_layers]
    task = dataclasses.replace(task, init_layers=init)
    out = run_task(task, _WORKER["data"], _WORKER["training"], None, stop.is_set if stop is not None else None)
    return EvalOutcome(task, _result_to_wire(out.result), _result_to_wire(out.control))  # type: ignore[arg-type]


def _result_to_wire(r: FitnessResult | None) -> FitnessResult | None:
    if r is None:
        return None
    # numpy arrays on the wire (a FitnessResult's type has no wire variant): _outcome_from_wire turns them back
    return dataclasses.replace(r, layers=cast("list[LayerWeights]", [(w.numpy(), b.numpy()) for w, b in r.layers]))


def _task_to_wire(task: EvalTask) -> EvalTask:
    """Tensors travel as numpy arrays (plain pickles, no shared-memory handles)."""
    if task.init_layers is None:
        return task
    wire = [(w.numpy(), b.numpy()) for w, b in task.init_layers]  # worker_run turns them back into tensors
    return dataclasses.replace(task, init_layers=cast("list[LayerWeights]", wire))


def _outcome_from_wire(out: EvalOutcome) -> EvalOutcome:
    def fix(r: FitnessResult | None) -> FitnessResult | None:
        if r is None:
            return None
        return dataclasses.replace(r, layers=[(torch.as_tensor(w), torch.as_tensor(b)) for w, b in r.layers])

    task = out.task
    if task.init_layers is not None:
        task = dataclasses.replace(task, init_layers=None)
    return EvalOutcome(task, fix(out.result), fix(out.control))  # type: ignore[arg-type]


def _in_order(
    tasks: Sequence[EvalTask],
    submit: Callable[[EvalTask], Any],
    capacity: int,
    may_start: Callable[[EvalTask], EvalTask | None],
    waiting: Callable[[], None],
    cancel: Callable[[list[Any]], Any],
    poll_s: float,
) -> Generator[EvalOutcome, None, None]:
    """Yield the outcomes of futures in task order while keeping `capacity` tasks running: a finished later
    task never leaves its worker idle behind an earlier, longer one (unless its `after` says it must wait for
    an earlier outcome). `waiting` runs while a result is awaited (to pass on a stop); whatever is still pending
    when the consumer stops is cancelled."""
    futures: dict[int, Any] = {}
    nxt = 0
    yielded = 0

    def fill() -> None:
        nonlocal nxt
        while nxt < len(tasks) and tasks[nxt].after <= yielded \
                and sum(not f.done() for f in futures.values()) < capacity:
            task = may_start(tasks[nxt])
            if task is None:
                return
            futures[nxt] = submit(task)
            nxt += 1

    try:
        for i in range(len(tasks)):
            yielded = i
            fill()
            if i not in futures:
                return
            while True:
                try:
                    out = futures[i].result(timeout=poll_s)
                    break
                except TimeoutError:
                    fill()
                    waiting()
            del futures[i]
            yield _outcome_from_wire(out)
    finally:
        cancel(list(futures.values()))


def _as_completed(
    next_task: Callable[[], EvalTask | None],
    submit: Callable[[EvalTask], Any],
    capacity: int,
    wait_any: Callable[[list[Any], float], object],
    waiting: Callable[[], None],
    cancel: Callable[[list[Any]], Any],
    poll_s: float,
) -> Generator[EvalOutcome, None, None]:
    """The steady-state loop over futures: keep `capacity` tasks running, asking `next_task` for each free slot,
    and yield outcomes as they finish (lowest id first among those done together). `wait_any(futures, timeout)`
    returns when one is done or the timeout passes; whatever is pending when the consumer stops is cancelled."""
    running: dict[int, Any] = {}
    try:
        while True:
            while len(running) < capacity:
                task = next_task()
                if task is None:
                    break
                running[task.id] = submit(task)
            if not running:
                return
            done = sorted(i for i, f in running.items() if f.done())
            if not done:
                wait_any(list(running.values()), poll_s)
                waiting()
                continue
            for i in done:
                out = running.pop(i).result()
                yield _outcome_from_wire(out)
    finally:
        cancel(list(running.values()))


def _stop_requested(should_stop: Callable[[], bool], grace_s: float = 0.3) -> bool:
    """Whether a stop was requested, allowing the main thread's signal handler `grace_s` to run: a signal sent
    to a whole process group may kill a worker a moment before this process's handler has set the stop."""
    import time

    deadline = time.monotonic() + grace_s
    while not should_stop():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


class ProcessPoolBackend:
    """Evaluates up to `workers` individuals at once in worker processes, each holding the data set.

    Each worker uses `training.threads` torch threads (1 by default), so N workers keep N cores busy.
    """

    trains_here = False

    def __init__(self, workers: int, data_dir: Path | None) -> None:
        if workers < 1:
            raise GatermError("--workers must be at least 1")
        self.workers = workers
        self.data_dir = data_dir
        self._pool: Any = None
        self._stop: Any = None

    def start(self, config: RunConfig, data: DeviceData) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # fork on the CPU: workers inherit the imported, warmed-up process (the data set is still loaded by
        # plugin name in each worker); spawn where fork is unsafe (after CUDA is initialised) or unavailable.
        # GATERM_MP_START=spawn|fork|forkserver overrides.
        default = "fork" if config.training.device == "cpu" and "fork" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(os.environ.get("GATERM_MP_START", default))
        self._stop = ctx.Event()
        threads = effective_threads(config.training.threads)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=worker_init,
            initargs=(config.to_dict(), str(self.data_dir) if self.data_dir else None, threads, self._stop),
        )
        self._pool.submit(_ping)  # start the workers (spawn, imports, data set) while the main process goes on

    def run(self, tasks, may_start, on_epoch, should_stop) -> Generator[EvalOutcome, None, None]:
        def waiting() -> None:
            if should_stop():
                self._stop.set()  # workers poll it between epochs

        try:
            yield from _in_order(
                tasks, lambda t: self._pool.submit(worker_run, _task_to_wire(t)), self.workers, may_start, waiting,
                lambda futures: [f.cancel() for f in futures], poll_s=0.05,
            )
        except BrokenExecutor as exc:
            if _stop_requested(should_stop):  # e.g. SIGTERM sent to the whole process group: workers die first
                raise Cancelled() from None
            raise GatermError(f"a worker process died ({exc}); the run can be continued with --resume") from None

    def run_async(self, next_task, on_epoch, should_stop) -> Generator[EvalOutcome, None, None]:
        from concurrent.futures import FIRST_COMPLETED, wait

        def waiting() -> None:
            if should_stop():
                self._stop.set()

        try:
            yield from _as_completed(
                next_task, lambda t: self._pool.submit(worker_run, _task_to_wire(t)), self.workers,
                lambda fs, timeout: wait(fs, timeout=timeout, return_when=FIRST_COMPLETED), waiting,
                lambda futures: [f.cancel() for f in futures], poll_s=0.05,
            )
        except BrokenExecutor as exc:
            if _stop_requested(should_stop):
                raise Cancelled() from None
            raise GatermError(f"a worker process died ({exc}); the run can be continued with --resume") from None

    def close(self) -> None:
        if self._pool is not None:
            if self._stop is not None:
                self._stop.set()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# ----- Dask distributed -------------------------------------------------------------------------------------
_DASK_CACHE: dict[str, Any] = {}
_DASK_LOCK = threading.Lock()


def _data_key(config: dict[str, Any], data_dir: str | None) -> str:
    """What determines the loaded data set (not the GA settings, so every arm and strategy shares it)."""
    import json

    tr = config.get("training", {})
    fields = [config.get("dataset"), config.get("seed"), tr.get("val_fraction"), tr.get("test_fraction"),
              tr.get("device"), data_dir, sorted(config.get("data", {}).items())]
    return json.dumps(fields)


def _dask_stop_flag(name: str, every_s: float = 0.5) -> Callable[[], bool]:
    """A should-stop for a task on a Dask worker: whether the run's stop event `name` (a `distributed.Event`) is
    set, asked of the scheduler at most every `every_s` seconds (it is polled between epochs)."""
    import time

    from distributed import Event

    event = Event(name)
    last, stopped = 0.0, False

    def should_stop() -> bool:
        nonlocal last, stopped
        now = time.monotonic()
        if not stopped and now - last >= every_s:
            last = now
            try:
                stopped = event.is_set()
            except Exception:  # noqa: BLE001 - no scheduler: the client side decides what happens to the run
                stopped = False
        return stopped

    return should_stop


def _dask_data(config: dict[str, Any], data_dir: str | None) -> DeviceData:
    """This Dask worker's copy of the run's data set, loaded on first use."""
    key = _data_key(config, data_dir)
    with _DASK_LOCK:  # a Dask worker may run several tasks as threads of one process
        data = _DASK_CACHE.get(key)
        if data is None:
            torch.set_num_threads(effective_threads(int(config.get("training", {}).get("threads", 0))))
            data = _DASK_CACHE[key] = _load_worker_data(config, data_dir)
    return data


def dask_preload(config: dict[str, Any], data_dir: str | None) -> None:
    """Run on every worker at the start of a run, so no evaluation pays for loading the data set (a worker
    that joins later loads it with its first task)."""
    _dask_data(config, data_dir)


def dask_run(task: EvalTask, config: dict[str, Any], data_dir: str | None, stop: str | None = None) -> EvalOutcome:
    """Runs on a Dask worker: the data set is loaded once per worker process (cached), by plugin name. When the
    run's stop event `stop` is set, the evaluation ends after its current epoch (Cancelled)."""
    from gaterm.config import config_from_dict

    data = _dask_data(config, data_dir)
    training = config_from_dict(config).training
    init = None
    if task.init_layers is not None:
        init = [(torch.as_tensor(w), torch.as_tensor(b)) for w, b in task.init_layers]
    task = dataclasses.replace(task, init_layers=init)
    out = run_task(task, data, training, None, _dask_stop_flag(stop) if stop else None)
    return EvalOutcome(task, _result_to_wire(out.result), _result_to_wire(out.control))  # type: ignore[arg-type]


class DaskBackend:
    """Sends evaluations to an existing Dask distributed cluster (`pip install gaterm[dask]`).

    Weights travel as arrays inside the task; the data set never does. A task whose worker dies is rescheduled
    by the scheduler (and retried up to `retries` times on errors); each task's result is taken once, so the run
    stays complete and unduplicated.
    """

    trains_here = False
    connect_timeout_s = 10.0  # to connect, and to reconnect after losing the scheduler before giving up

    def __init__(self, address: str | Any, data_dir: Path | None, retries: int = 2) -> None:
        self.address = address
        self.data_dir = data_dir
        self.retries = retries
        self._client: Any = None
        self._own_client = False
        self._config: dict[str, Any] = {}
        self._slots = 1

    def start(self, config: RunConfig, data: DeviceData) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise GatermError("--scheduler needs Dask: pip install 'gaterm[dask]'") from None
        if isinstance(self.address, Client):
            self._client = self.address
        else:
            try:
                self._client = Client(self.address, timeout=f"{self.connect_timeout_s}s")
            except (OSError, TimeoutError) as exc:
                raise GatermError(f"--scheduler: cannot connect to {self.address} ({exc})") from None
            self._own_client = True
        self._config = config.to_dict()
        self._slots = max(1, sum(self._client.nthreads().values()))
        data_dir = str(self.data_dir) if self.data_dir else None
        # a worker that cannot load the data set fails each of its evaluations with the reason, recorded per row
        with contextlib.suppress(Exception):
            self._client.run(dask_preload, self._config, data_dir)

    def run(self, tasks, may_start, on_epoch, should_stop) -> Generator[EvalOutcome, None, None]:
        return self._drive(should_stop, lambda submit, waiting, cancel: _in_order(
            tasks, submit, self._slots, may_start, waiting, cancel, poll_s=0.1))

    def run_async(self, next_task, on_epoch, should_stop) -> Generator[EvalOutcome, None, None]:
        def wait_any(futures: list[Any], timeout: float) -> None:
            from distributed import wait

            with contextlib.suppress(TimeoutError):
                wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")

        return self._drive(should_stop, lambda submit, waiting, cancel: _as_completed(
            next_task, submit, self._slots, wait_any, waiting, cancel, poll_s=0.1))

    def _drive(self, should_stop: Callable[[], bool], loop: Callable[..., Iterator[EvalOutcome]]
               ) -> Generator[EvalOutcome, None, None]:
        """Run `loop(submit, waiting, cancel)` (one of the two schedules) against the cluster: a stop is passed
        on to running tasks, a lost scheduler becomes one line."""
        import uuid

        client = self._client
        tag = uuid.uuid4().hex[:8]
        data_dir = str(self.data_dir) if self.data_dir else None

        stop = f"gaterm-stop-{tag}"

        def submit(t: EvalTask) -> Any:
            return client.submit(dask_run, _task_to_wire(t), self._config, data_dir, stop,
                                 key=f"gaterm-eval-{t.id}-{tag}", pure=False, retries=self.retries)

        def waiting() -> None:
            if should_stop():
                from distributed import Event

                with contextlib.suppress(Exception):  # running tasks stop after their epoch, not at their end
                    Event(stop, client=client).set()
                raise Cancelled()

        def cancel(futures: list[Any]) -> None:
            if futures and client.status == "running":
                client.cancel(futures)

        try:
            yield from loop(submit, waiting, cancel)
        except (Cancelled, GatermError):
            raise
        except Exception as exc:
            if client.status != "running" or isinstance(exc, (CancelledError, OSError, TimeoutError)):
                raise self._lost(exc) from None
            raise

    def _lost(self, exc: BaseException) -> GatermError:
        """The one line for a scheduler that went away (its tasks are gone; the checkpoint is not)."""
        address = self.address if isinstance(self.address, str) else getattr(
            getattr(self._client, "scheduler", None), "address", "?")
        detail = " ".join(str(exc).split()) or type(exc).__name__  # one line
        if "for reason:" in detail:  # "KEY cancelled for reason: scheduler-connection-lost. Client lost ..."
            detail = detail.split("for reason:", 1)[1].strip().split(". ")[0].rstrip(".")
        return GatermError(f"lost the Dask scheduler at {address}: {detail}; the run can be continued with "
                           "--resume")

    def close(self) -> None:
        if self._own_client and self._client is not None:
            with contextlib.suppress(Exception):  # a client that lost its scheduler may fail to close cleanly
                self._client.close(timeout=self.connect_timeout_s)
        self._client = None


def make_backend(workers: int = 1, scheduler: str | Any | None = None, data_dir: Path | None = None):
    """The backend for `--workers N` / `--scheduler ADDRESS` (serial when workers is 1 and no scheduler)."""
    if scheduler is not None:
        return DaskBackend(scheduler, data_dir)
    if workers > 1:
        return ProcessPoolBackend(workers, data_dir)
    return SerialBackend()
