"""Anytime quality, measured so that levers can be told apart: gaterm against Optuna and random search under the
same budget of CPU seconds.

Every contestant gets the same processes (`--procs`, 1 by default), the same budget, the same search space
(gaterm's default gene store with one loss per task: cross-entropy, or MAE for regression, so incumbents compare
on one validation loss), the same fitness function (`gaterm.engine.fitness.evaluate`: same splits per seed from
`gaterm.session.open_dataset`, evaluation seeds from the seed and the evaluation's number, the same early
stopping) and the same clock, started just before the contestant loads the data onto its device.

The clock (`--clock`) is each contestant's own CPU time by default (`time.process_time()` of its process plus
its worker processes' with `--procs 2`), so two benchmark lanes (`--lanes 2`) can run side by side on two cores
without changing each other's figures; `--clock wall` is wall-clock time, for a final confirmation on an idle
machine. The incumbent at any moment is the finished evaluation with the lowest validation loss (cross-entropy
or standardized MAE: continuous, no ties); pruned evaluations count too, on both sides (their best weights so
far are scored as usual). Its validation and test metrics (accuracy, or MAE) are reported.

Seeds are paired: on seed s every contestant gets the same splits and gaterm's generation 0 the same seed. Per
data set and budget fraction (1/8, 1/4, 1/2, 1) the report gives, for each contestant against TPE + Median, on
how many seeds its incumbent validation loss is lower (ties counted apart) with a two-sided sign-test p-value
and the median paired difference, and the median time to reach TPE + Median's final validation loss (with the
count of seeds that never reach it); then where the time went (evaluations, epochs per evaluation, share
pruned, seconds per epoch, seconds per evaluation outside training, mean parameter count of what was trained).

Every (contestant, data set, seed) result is appended to a JSONL file (`--results`) as soon as it finishes;
running again with the same file skips what is there, so a stopped benchmark continues where it was.

Contestants (`--contestants`, comma-separated):
  gaterm            the real Engine with the defaults of this gaterm (whatever they are now)
  gaterm-study      the study's protocol (`gaterm.config.STUDY_PROTOCOL`: generational, 20/10, no pruning),
                    merge `select`; every contestant below is overrides on it, so its meaning never changes
  gaterm-no-merge   the same, merge off
  gaterm-prune      gaterm defaults plus median pruning (`training.prune`)
  gaterm-no-merge-prune  merge off plus median pruning
  gaterm-spread     gaterm defaults with a space-filling generation 0 (`ga.init = "spread"`)
  gaterm-prune-spread  both
  gaterm-async      gaterm defaults with the steady-state schedule (`ga.schedule = "async"`)
  gaterm-async-prune  the steady-state schedule plus median pruning
  gaterm-async-prune-small  the same with population 10 and 5 survivors (children bred after 10 evaluations)
  gaterm-async-prune-share  async + prune, generation 0 ends after a quarter of the budget (`ga.first_share`)
  gaterm-async-prune-elite  async + prune, parents drawn from the best 5 so far instead of 10 (`--survivors 5`)
  gaterm-async-prune-elite-mp4  the same, merged children stop after 4 epochs without improvement, not 10
                            (`--merged-patience 4`)
  gaterm-async-prune-elite-mp2  the same with `--merged-patience 2`
  gaterm-async-prune-elite-dd  async + prune + `--survivors 5`, no child a copy of an earlier individual
                            (`--dedupe`)
  gaterm-async-prune-elite-mp4-dd  the same plus `--merged-patience 4`
  gaterm-asha       async + `--survivors 5` + pruning by successive halving (`--prune --pruner asha`)
  gaterm-elite-rp   async + prune + `--survivors 5`, merged children with `--relative-patience`
  gaterm-asha-rp    async + `--survivors 5` + `--pruner asha` + `--relative-patience`
  gaterm-asha-rp-dd the same plus `--dedupe`
  gaterm-elite-either  async + prune + `--survivors 5`, a child as deep as either parent (`--crossover-depth either`)
  gaterm-elite-mean async + prune + `--survivors 5` with the cheaper `mean` merge instead of `select`
  gaterm-elite-small  async + prune + `--survivors 5` with population 10 (generation 0 of 10)
  gaterm-small-rp   async + prune + `--relative-patience`, population 10 and 5 survivors
  gaterm-elite-rp-either  gaterm-elite-rp plus `--crossover-depth either`
  tpe-median        Optuna TPESampler + MedianPruner(n_startup_trials=5, warm-up as gaterm's prune_warmup)
  tpe-hyperband     Optuna TPESampler + HyperbandPruner(min_resource=1, max_resource=max_epochs)
  random            Optuna RandomSampler, no pruner
With `--procs 2`, gaterm runs `--workers 2` and each Optuna study runs two `optimize` processes sharing a
journal file storage. An evaluation still running when the budget is up is stopped (it would not count).

Usage: python benchmarks/anytime.py --preset screen --contestants gaterm-LEVER,tpe-median --lanes 2
       python benchmarks/anytime.py --preset full --lanes 2          (the README's figures: gaterm vs TPE)
       python benchmarks/anytime.py --datasets digits --budget 20 --seeds 3 --contestants gaterm,tpe-median
       python benchmarks/anytime.py --report --results FILE.jsonl  (the tables again, from saved results)
Presets: `screen` is digits and wine-quality at 30 CPU-seconds, 10 seeds (about 20 minutes for one lever
against TPE with two lanes); `full` is digits 60, wine-quality 60, Boston 40 and mnist-10k 300 CPU-seconds,
10 seeds. Prints last, per data set, the headline gaterm contestant against TPE + Median: seeds won at 1/4, 1/2
and all of the budget, and the median time to reach TPE + Median's final validation loss as a fraction of the
budget (the issue's goal: at least 7 of 10 seeds won at 1/2 and 1, reach <= 0.5, final test metric no worse).
Needs `pip install optuna`.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import itertools
import json
import math
import multiprocessing as mp
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.engine.fitness import DeviceData, FitnessResult, evaluate, evaluation_seed, warm_up
from gaterm.events import EvaluationFinished, EvaluationStarted
from gaterm.plugins import load_plugins
from gaterm.session import make_engine, open_dataset
from gaterm.states import Status

ONE_LOSS = {"classification": "cross_entropy", "regression": "mae"}
FRACTIONS = (0.125, 0.25, 0.5, 1.0)
REFERENCE = "tpe-median"
PRESETS = {
    "screen": {"budgets": {"digits": 30.0, "wine-quality": 30.0}, "seeds": 10},
    "full": {"budgets": {"digits": 60.0, "wine-quality": 60.0, "boston": 40.0, "mnist-10k": 300.0}, "seeds": 10},
}
GATERM = {  # contestant -> config overrides on gaterm's defaults
    "gaterm": {},  # on gaterm's defaults (RunConfig()), not on the study's protocol
    "gaterm-study": {},
    "gaterm-no-merge": {"ga": {"merge": False}},
    "gaterm-prune": {"training": {"prune": True}},
    "gaterm-no-merge-prune": {"ga": {"merge": False}, "training": {"prune": True}},
    "gaterm-spread": {"ga": {"init": "spread"}},
    "gaterm-prune-spread": {"ga": {"init": "spread"}, "training": {"prune": True}},
    "gaterm-async": {"ga": {"schedule": "async"}},
    "gaterm-async-prune": {"ga": {"schedule": "async"}, "training": {"prune": True}},
    "gaterm-async-prune-small": {"ga": {"schedule": "async", "population": 10, "survivors": 5},
                                 "training": {"prune": True}},
    "gaterm-async-prune-share": {"ga": {"schedule": "async", "first_share": 0.25}, "training": {"prune": True}},
    "gaterm-async-prune-elite": {"ga": {"schedule": "async", "survivors": 5}, "training": {"prune": True}},
    "gaterm-async-prune-elite-mp4": {"ga": {"schedule": "async", "survivors": 5},
                                     "training": {"prune": True, "merged_patience": 4}},
    "gaterm-async-prune-elite-mp2": {"ga": {"schedule": "async", "survivors": 5},
                                     "training": {"prune": True, "merged_patience": 2}},
    "gaterm-async-prune-elite-dd": {"ga": {"schedule": "async", "survivors": 5, "dedupe": True},
                                    "training": {"prune": True}},
    "gaterm-async-prune-elite-mp4-dd": {"ga": {"schedule": "async", "survivors": 5, "dedupe": True},
                                        "training": {"prune": True, "merged_patience": 4}},
    "gaterm-asha": {"ga": {"schedule": "async", "survivors": 5}, "training": {"prune": True, "pruner": "asha"}},
    "gaterm-elite-rp": {"ga": {"schedule": "async", "survivors": 5},
                        "training": {"prune": True, "relative_patience": True}},
    "gaterm-asha-rp": {"ga": {"schedule": "async", "survivors": 5},
                       "training": {"prune": True, "pruner": "asha", "relative_patience": True}},
    "gaterm-asha-rp-dd": {"ga": {"schedule": "async", "survivors": 5, "dedupe": True},
                          "training": {"prune": True, "pruner": "asha", "relative_patience": True}},
    "gaterm-elite-either": {"ga": {"schedule": "async", "survivors": 5, "crossover_depth": "either"},
                            "training": {"prune": True}},
    "gaterm-elite-mean": {"ga": {"schedule": "async", "survivors": 5, "merge_strategy": "mean"},
                          "training": {"prune": True}},
    "gaterm-elite-small": {"ga": {"schedule": "async", "population": 10, "survivors": 5},
                           "training": {"prune": True}},
    "gaterm-small-rp": {"ga": {"schedule": "async", "population": 10, "survivors": 5},
                        "training": {"prune": True, "relative_patience": True}},
    "gaterm-elite-rp-either": {"ga": {"schedule": "async", "survivors": 5, "crossover_depth": "either"},
                               "training": {"prune": True, "relative_patience": True}},
}
OPTUNA = {"tpe-median": ("tpe", "median"), "tpe-hyperband": ("tpe", "hyperband"), "random": ("random", "none")}
DEFAULT_CONTESTANTS = "gaterm,gaterm-no-merge,tpe-median,tpe-hyperband,random"

# one finished evaluation: (clock seconds since the contestant's start, val_loss, val_metric, test_metric,
# epochs trained, status, clock seconds from its start to its result (training and scoring; with --procs 1:
# the merge and the choice of what to evaluate are outside it), parameter count)
Event = tuple[float, float, float, float, int, str, float, int]


def base_config(dataset: str, seed: int, task: str) -> RunConfig:
    cfg = RunConfig(dataset=dataset, seed=seed)
    cfg.genes.loss = [ONE_LOSS[task]]
    return cfg


def gaterm_config(contestant: str, dataset: str, seed: int, task: str) -> RunConfig:
    """A gaterm contestant's config: its overrides on the study's protocol ("gaterm": gaterm's defaults)."""
    from gaterm.config import config_from_dict, study_protocol

    base = RunConfig() if contestant == "gaterm" else study_protocol()
    base.dataset, base.seed, base.genes.loss = dataset, seed, [ONE_LOSS[task]]
    cfg = config_from_dict(GATERM[contestant], base)
    cfg.ga.generations = 100_000  # the budget ends the run
    return cfg


def config_sha(contestant: str, dataset: str, seed: int, task: str) -> str | None:
    """What a result is valid for: a gaterm contestant's full config (its name alone may change meaning), hashed."""
    if contestant not in GATERM:
        return None
    text = json.dumps(gaterm_config(contestant, dataset, seed, task).to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ----- clocks ------------------------------------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _descendants_cpu(root: int) -> float:
    """CPU seconds (user + system) of the live descendants of process `root`, from /proc."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    total, todo = 0.0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def cpu_seconds(with_children: bool) -> float:
    """This process's CPU seconds; with `with_children`, plus its worker processes' (live and ended)."""
    own = time.process_time()
    if not with_children:
        return own
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + ended.ru_utime + ended.ru_stime + _descendants_cpu(os.getpid())


class Clock:
    """Seconds since `start()`: wall-clock, or CPU seconds of this process (and its workers with procs > 1)."""

    def __init__(self, kind: str, procs: int = 1) -> None:
        self.kind, self.procs, self.t0 = kind, procs, 0.0

    def raw(self) -> float:
        return time.monotonic() if self.kind == "wall" else cpu_seconds(self.procs > 1)

    def start(self) -> Clock:
        self.t0 = self.raw()
        return self

    def __call__(self) -> float:
        return self.raw() - self.t0


def parameters(c: Chromosome, n_in: int, n_out: int) -> int:
    widths = [n_in, *(lg.neurons for lg in c.layers), n_out]
    return sum(a * b + b for a, b in itertools.pairwise(widths))


def _event(t: float, res_val_loss: float, val: float, test: float, epochs: int, status: str, fit: float,
           params: int) -> Event:
    return (t, res_val_loss, val, test, epochs, str(status), fit, params)


# ----- gaterm ------------------------------------------------------------------------------------------------
def run_gaterm(contestant: str, ds, ps, seed: int, budget: float, procs: int, data_dir: Path | None,
               clock_kind: str) -> list[Event]:
    cfg = gaterm_config(contestant, ds.name, seed, ds.task)
    # the engine's own budget is wall-clock: with the CPU clock it is only a backstop (a contestant using
    # ga.first_share is measured faithfully with --clock wall only)
    cfg.ga.time_budget_s = budget if clock_kind == "wall" else 4 * budget
    cfg.validate()
    strategy = ps.merge_strategy(cfg.ga.merge_strategy) if cfg.ga.merge else None
    events: list[Event] = []
    clock = Clock(clock_kind, procs)

    started: dict[int, float] = {}

    def listen(ev) -> None:
        if isinstance(ev, EvaluationStarted):
            started[ev.id] = clock()
        elif isinstance(ev, EvaluationFinished):
            r, now = ev.record, clock()
            events.append(_event(now, r.val_loss, r.val_metric, r.test_metric, r.n_epochs, r.status,
                                 now - started.pop(r.id, now), parameters(r.chromosome, ds.n_features,
                                                                          ds.n_outputs)))

    def out_of_time() -> bool:  # the evaluation in progress at the end would not count: stop it
        return clock() > budget

    engine = make_engine(cfg, ds, strategy, [listen], should_stop=out_of_time, workers=procs, data_dir=data_dir)
    clock.start()
    engine.run()
    return events


# ----- Optuna ------------------------------------------------------------------------------------------------
class OutOfTime(Exception):
    """The budget is up: the trial in progress is stopped and the study ends."""


def _objective(ds, cfg: RunConfig, seed: int, now: Callable[[], float], budget: float,
               record: Callable[[Event], None]):
    import optuna

    g = cfg.genes.resolve_for_task(ds.task)
    data = DeviceData(ds, "cpu")  # inside the clock, as the Engine's own set-up is
    warm_up(data, g.optimizer, g.loss)
    worst = 1.0 if ds.higher_is_better else 1e9

    def objective(trial) -> float:
        depth = trial.suggest_categorical("layers", g.layers)
        optimizer = trial.suggest_categorical("optimizer", g.optimizer)
        c = Chromosome(
            optimizer=optimizer,
            loss=g.loss[0],
            learning_rate=trial.suggest_categorical(f"learning_rate_{optimizer}", g.rates_for(optimizer)),
            batch_size=trial.suggest_categorical("batch_size", g.batch_size),
            layers=tuple(LayerGene(trial.suggest_categorical(f"neurons_{i}", g.neurons),
                                   trial.suggest_categorical(f"activation_{i}", g.activation))
                         for i in range(depth)),
        )

        def prune_check(epoch: int, val_loss: float) -> bool:
            if now() > budget:
                raise OutOfTime()
            trial.report(val_loss if math.isfinite(val_loss) else 1e9, epoch)
            return trial.should_prune()

        began = now()
        try:
            res: FitnessResult = evaluate(c, data, cfg.training, evaluation_seed(seed, trial.number),
                                          prune_check=prune_check)
        except OutOfTime:
            raise
        except Exception:  # noqa: BLE001 - as gaterm's backends: one failed evaluation does not end the search
            return worst
        record(_event(now(), res.val_loss, res.val_metric, res.test_metric, res.n_epochs, res.status,
                      now() - began, parameters(c, ds.n_features, ds.n_outputs)))
        if res.status is Status.PRUNED:
            raise optuna.TrialPruned()
        # minimized: the error rate, or the MAE (the intermediate values are validation losses: also minimized)
        value = 1.0 - res.val_metric if ds.higher_is_better else res.val_metric
        return value if math.isfinite(value) else worst

    return objective


def _study(kind: str, seed: int, cfg: RunConfig, storage=None, name: str | None = None, load: bool = False):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # not the "trial failed" of OutOfTime
    sampler_kind, pruner_kind = OPTUNA[kind]
    sampler = optuna.samplers.TPESampler(seed=seed) if sampler_kind == "tpe" else optuna.samplers.RandomSampler(seed)
    if pruner_kind == "median":
        # Optuna prunes from step == n_warmup_steps; gaterm after epoch k > prune_warmup: the same epochs
        pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=cfg.training.prune_warmup + 1)
    elif pruner_kind == "hyperband":
        pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=cfg.training.max_epochs)
    else:
        pruner = optuna.pruners.NopPruner()
    if load:
        return optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    return optuna.create_study(study_name=name, storage=storage, direction="minimize", sampler=sampler,
                               pruner=pruner)


def _optuna_process(kind, ds, seed, k, budget, clock_kind, t0, spent, storage_path, name, queue) -> None:
    """One of `procs` optimize processes; `spent[k]` is its CPU seconds so far (the CPU clock is their sum)."""
    import optuna

    torch.set_num_threads(1)
    cfg = base_config(ds.name, seed, ds.task)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage_path))
    # each process samples with its own seed (two equal samplers would propose the same first trials)
    study = _study(kind, seed * 1000 + k, cfg, storage, name, load=True)
    mine = time.process_time()

    def now() -> float:
        if clock_kind == "wall":
            return time.monotonic() - t0
        spent[k] = time.process_time() - mine
        return sum(spent)

    try:
        study.optimize(_objective(ds, cfg, seed, now, budget, queue.put))
    except OutOfTime:
        pass
    queue.put(None)


def run_optuna(kind: str, ds, seed: int, budget: float, procs: int, clock_kind: str) -> list[Event]:
    cfg = base_config(ds.name, seed, ds.task)
    if procs == 1:
        events: list[Event] = []
        clock = Clock(clock_kind).start()
        study = _study(kind, seed, cfg)
        try:
            study.optimize(_objective(ds, cfg, seed, clock, budget, events.append))
        except OutOfTime:
            pass
        return events
    import optuna

    ctx = mp.get_context("fork")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "journal.log")
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
        t0 = time.monotonic()
        _study(kind, seed, cfg, storage, "anytime")
        queue, spent = ctx.Queue(), ctx.Array("d", procs)
        workers = [ctx.Process(target=_optuna_process,
                               args=(kind, ds, seed, k, budget, clock_kind, t0, spent, path, "anytime", queue))
                   for k in range(procs)]
        for w in workers:
            w.start()
        events, done = [], 0
        while done < procs:
            item = queue.get()
            if item is None:
                done += 1
            else:
                events.append(item)
        for w in workers:
            w.join()
    return events


# ----- results: one JSON line per (contestant, data set, seed) -------------------------------------------------
def _key(d: dict) -> tuple:
    return d["dataset"], d["contestant"], d["seed"], d["budget"], d["clock"], d["procs"], d.get("config")


def read_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"{path}:{n}: skipped a line that is not JSON (a result cut off mid-write)")
    return out


def append_result(path: Path, result: dict) -> None:
    with path.open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(result) + "\n")
        f.flush()
        os.fsync(f.fileno())


def run_job(job: dict, ps, data_dir: Path, results: Path) -> None:
    """Run one (contestant, data set, seed) and append its result."""
    torch.set_num_threads(1)
    name, c, seed, budget = job["dataset"], job["contestant"], job["seed"], job["budget"]
    ds = open_dataset(ps, ps.dataset(name), RunConfig(dataset=name, seed=seed), data_dir)
    t = time.monotonic()
    if c in GATERM:
        events = run_gaterm(c, ds, ps, seed, budget, job["procs"], data_dir, job["clock"])
    else:
        events = run_optuna(c, ds, seed, budget, job["procs"], job["clock"])
    append_result(results, {**job, "higher_is_better": ds.higher_is_better, "wall_s": time.monotonic() - t,
                            "events": events})
    final = incumbent(events, budget)
    print(f"{name} seed {seed} {c}: {len(events)} evaluations, final incumbent val loss/val/test "
          + (f"{final[1]:.4f}/{final[2]:.4f}/{final[3]:.4f}" if final else "none"), flush=True)


def _rotated(xs: list[str], k: int) -> list[str]:
    """`xs` started at position k: who runs first on a seed rotates (machine load drifts)."""
    k %= len(xs)
    return xs[k:] + xs[:k]


def run_lanes(jobs: list[dict], lanes: int, work: Callable[[dict], None]) -> int:
    """Run `jobs` in `lanes` processes at once (forked: imports and warm-up are shared); failures counted."""
    if lanes == 1:
        for job in jobs:
            work(job)
        return 0
    ctx = mp.get_context("fork")
    queue, running, failed = list(jobs), [], 0
    while queue or running:
        while queue and len(running) < lanes:
            job = queue.pop(0)
            p = ctx.Process(target=work, args=(job,))
            p.start()
            running.append((p, job))
        time.sleep(0.2)
        for p, job in list(running):
            if not p.is_alive():
                p.join()
                running.remove((p, job))
                if p.exitcode != 0:
                    failed += 1
                    print(f"FAILED (exit {p.exitcode}): {job['dataset']} seed {job['seed']} {job['contestant']}",
                          flush=True)
    return failed


# ----- analysis ----------------------------------------------------------------------------------------------
def incumbent(events: Iterable, t: float) -> tuple | None:
    """The evaluation with the lowest validation loss among those finished by `t` (ties: the earlier)."""
    best = None
    for ev in sorted(tuple(e) for e in events):
        if ev[0] > t:
            break
        if math.isfinite(ev[1]) and (best is None or ev[1] < best[1]):
            best = ev
    return best


def time_to_reach(events: Iterable, target: float, budget: float) -> float:
    """When the incumbent's validation loss first reaches `target` (at most it), within the budget; inf if never."""
    for ev in sorted(tuple(e) for e in events):
        if ev[0] <= budget and math.isfinite(ev[1]) and ev[1] <= target:
            return ev[0]
    return math.inf


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign-test p-value (ties left out)."""
    from scipy.stats import binomtest

    return float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0


def paired(mine: dict[int, list], ref: dict[int, list], budget: float, higher: bool) -> dict:
    """Per budget fraction, the seeds `mine` wins/loses/ties against `ref` on incumbent validation loss, the
    sign-test p and the median paired differences (validation loss; test metric, positive = mine better); and
    the time to reach `ref`'s final validation loss."""
    seeds = sorted(set(mine) & set(ref))
    out: dict = {"seeds": len(seeds)}
    for f in FRACTIONS:
        w = lo = ti = 0
        dloss, dtest = [], []
        for s in seeds:
            a, b = incumbent(mine[s], f * budget), incumbent(ref[s], f * budget)
            la, lb = (a[1] if a else math.inf), (b[1] if b else math.inf)
            w, lo, ti = w + (la < lb), lo + (la > lb), ti + (la == lb)
            if a and b:
                dloss.append(la - lb)
                dtest.append((a[3] - b[3]) if higher else (b[3] - a[3]))
        out[f] = {"won": w, "lost": lo, "tied": ti, "p": sign_test(w, lo), "d_loss": _median(dloss),
                  "d_test": _median(dtest)}
    reach = []
    for s in seeds:
        final = incumbent(ref[s], budget)
        reach.append(time_to_reach(mine[s], final[1], budget) / budget if final else math.inf)
    out["reach"] = statistics.median(reach) if reach else math.inf
    out["never"] = sum(math.isinf(r) for r in reach)
    return out


def costs(per_seed: dict[int, list], budget: float) -> dict:
    """Where the time went, over all seeds: evaluations per seed (median), epochs per evaluation, share pruned,
    seconds per epoch, seconds per evaluation outside training, mean parameter count."""
    evs = [tuple(e) for s in per_seed for e in per_seed[s] if e[0] <= budget]
    n = len(evs)
    if not n:
        return {}
    epochs = sum(e[4] for e in evs)
    fit = sum(e[6] for e in evs)
    return {
        "evaluations": _median([sum(e[0] <= budget for e in per_seed[s]) for s in per_seed]),
        "epochs_per_eval": epochs / n,
        "pruned": sum(e[5] == "pruned" for e in evs) / n,
        "s_per_epoch": fit / max(epochs, 1),
        "outside_s_per_eval": (budget * len(per_seed) - fit) / n,
        "params": sum(e[7] for e in evs) / n,
    }


def _frac(f: float) -> str:
    return {0.125: "1/8", 0.25: "1/4", 0.5: "1/2", 1.0: "all"}[f]


def report(results: list[dict], headline_of: str) -> None:
    """Per data set: the incumbent table, each contestant against TPE + Median, the costs; last, the headline."""
    by: dict = {}
    for r in results:
        by.setdefault((r["dataset"], r["budget"], r["clock"], r["procs"]), {}).setdefault(
            r["contestant"], {})[r["seed"]] = r
    headline = []
    for (name, budget, clock, procs), per_c in by.items():
        higher = next(iter(next(iter(per_c.values())).values()))["higher_is_better"]
        events = {c: {s: r["events"] for s, r in per_s.items()} for c, per_s in per_c.items()}
        seeds = sorted({s for per_s in events.values() for s in per_s})
        print(f"\n{name}: budget {budget:g} {clock} s, {len(seeds)} seeds, {procs} process(es) each; incumbent by "
              "validation loss, medians over seeds")
        print("contestant | evals | " + " | ".join(f"val loss@{_frac(f)}" for f in FRACTIONS) + " | "
              + " | ".join(f"test@{_frac(f)}" for f in FRACTIONS))
        for c, per_s in events.items():
            cells = [c, f"{_median([float(len(per_s[s])) for s in per_s]):.0f}"]
            for i in (1, 3):
                for f in FRACTIONS:
                    incs = [incumbent(per_s[s], f * budget) for s in per_s]
                    cells.append(f"{_median([x[i] if x else math.nan for x in incs]):.4f}")
            print(" | ".join(cells))
        if REFERENCE in events:
            print(f"against {REFERENCE}, paired by seed: won/lost/tied on incumbent validation loss (sign-test p), "
                  "median paired difference in validation loss (negative: lower) and in test metric "
                  "(positive: better); time to reach its final validation loss (fraction of the budget)")
            for c, per_s in events.items():
                if c == REFERENCE:
                    continue
                pr = paired(per_s, events[REFERENCE], budget, higher)
                cells = [f"{_frac(f)} {pr[f]['won']}/{pr[f]['lost']}/{pr[f]['tied']} (p {pr[f]['p']:.2f}) "
                         f"dloss {pr[f]['d_loss']:+.4f} dtest {pr[f]['d_test']:+.4f}" for f in FRACTIONS]
                reach = f"{pr['reach']:.2f}" if math.isfinite(pr["reach"]) else "never"
                print(f"  {c}: " + "; ".join(cells) + f"; reach {reach} ({pr['never']}/{pr['seeds']} never)")
                if c == headline_of:
                    headline.append(
                        f"{name}: won {pr[0.25]['won']}/{pr['seeds']} at 1/4, {pr[0.5]['won']}/{pr['seeds']} at "
                        f"1/2, {pr[1.0]['won']}/{pr['seeds']} at all (p {pr[1.0]['p']:.2f}); reach {reach} "
                        f"({pr['never']} never); final test {pr[1.0]['d_test']:+.4f}")
        print("where the time went: evaluations per seed | epochs per evaluation | share pruned | s per epoch | "
              "s per evaluation outside training | mean parameters")
        for c, per_s in events.items():
            k = costs(per_s, budget)
            if k:
                print(f"  {c}: {k['evaluations']:.0f} | {k['epochs_per_eval']:.1f} | {k['pruned']:.2f} | "
                      f"{k['s_per_epoch']:.4f} | {k['outside_s_per_eval']:.3f} | {k['params']:.0f}")
    print(f"\n{headline_of} against {REFERENCE} (incumbent validation loss, paired seeds; goal: >= 7 of 10 won at "
          "1/2 and all, reach <= 0.5, final test no worse): " + ("; ".join(headline) or "no paired results"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), help="data sets, budgets and seeds (see above)")
    ap.add_argument("--datasets", default="digits,wine-quality,boston")
    ap.add_argument("--seeds", type=int, help="seeds 0..N-1 (default 10)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per contestant, data set and seed")
    ap.add_argument("--budgets", default="", help="per data set overrides, e.g. mnist-10k=120,boston=30")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what the budget counts (cpu)")
    ap.add_argument("--procs", type=int, default=1, help="processes per contestant (1 or 2)")
    ap.add_argument("--lanes", type=int, default=1, help="contestants run at once (each with --procs processes)")
    ap.add_argument("--contestants", help=f"comma-separated (default {DEFAULT_CONTESTANTS}; with a preset "
                                          "gaterm,tpe-median)")
    ap.add_argument("--headline", help="the gaterm contestant of the last line (default: the first one named)")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--results", help="the JSONL file results are appended to and read from (default: "
                                      "benchmarks/results/anytime-PRESET-CLOCK.jsonl)")
    ap.add_argument("--warm-up", type=float, default=3.0, help="seconds of a discarded run per contestant first")
    ap.add_argument("--report", action="store_true", help="print the tables from --results; run nothing")
    args = ap.parse_args()
    preset = PRESETS.get(args.preset or "", {})
    budgets = dict(preset.get("budgets", {}))
    if not preset:
        budgets = {name: args.budget for name in args.datasets.split(",")}
    budgets.update({k: float(v) for k, v in (p.split("=") for p in args.budgets.split(",") if p)})
    seeds = args.seeds or preset.get("seeds", 10)
    contestants = (args.contestants or ("gaterm,tpe-median" if preset else DEFAULT_CONTESTANTS)).split(",")
    unknown = [c for c in contestants if c not in GATERM and c not in OPTUNA]
    if unknown:
        raise SystemExit(f"unknown contestant(s): {', '.join(unknown)}")
    headline_of = args.headline or next((c for c in contestants if c in GATERM), "")
    default = Path(__file__).resolve().parent / "results" / f"anytime-{args.preset or 'custom'}-{args.clock}.jsonl"
    results = Path(args.results) if args.results else default
    results.parent.mkdir(parents=True, exist_ok=True)
    ps = load_plugins()
    task = {name: ps.dataset(name).task for name in budgets}
    wanted = {(name, c, s, budgets[name], args.clock, args.procs, config_sha(c, name, s, task[name]))
              for name in budgets for c in contestants for s in range(seeds)}
    if not args.report:
        if REFERENCE not in contestants:
            raise SystemExit(f"the reference contestant {REFERENCE} must run")
        torch.set_num_threads(1)
        data_dir = Path(args.data_dir)
        done = {_key(r) for r in read_results(results)}
        failed = 0
        for name, budget in budgets.items():
            jobs = [{"dataset": name, "contestant": c, "seed": s, "budget": budget, "clock": args.clock,
                     "procs": args.procs, "config": config_sha(c, name, s, task[name])}
                    for s in range(seeds) for c in _rotated(contestants, s)]
            jobs = [j for j in jobs if _key(j) not in done]
            print(f"{name}: {len(jobs)} to run, results in {results}", flush=True)
            if not jobs:
                continue
            # a throwaway run of every contestant first, here, before the lanes fork: imports and first-call
            # costs (torch's compiler stack is imported by the first optimizer) fall on no contestant
            warm = open_dataset(ps, ps.dataset(name), RunConfig(dataset=name, seed=0), data_dir)
            for c in contestants:
                if c in GATERM:
                    run_gaterm(c, warm, ps, 0, args.warm_up, 1, data_dir, "wall")
                else:
                    run_optuna(c, warm, 0, args.warm_up, 1, "wall")
            failed += run_lanes(jobs, args.lanes, lambda job: run_job(job, ps, data_dir, results))
        if failed:
            print(f"{failed} run(s) failed; run the same command again to retry them")
    report([r for r in read_results(results) if _key(r) in wanted], headline_of)


if __name__ == "__main__":
    main()
