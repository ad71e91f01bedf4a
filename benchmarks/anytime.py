"""Anytime quality, measured fairly: gaterm against Optuna and random search under the same wall-clock budget.

Every contestant gets the same processes (`--procs`, 1 by default), the same budget, the same search space
(gaterm's default gene store with one loss per task: cross-entropy, or MAE for regression, so incumbents compare
on one validation loss), the same fitness function (`gaterm.engine.fitness.evaluate`: same splits per seed from
`gaterm.session.open_dataset`, evaluation seeds from the seed and the evaluation's number, the same early
stopping) and the same clock, started just before the contestant loads the data onto its device.

The incumbent at any moment is the finished evaluation with the best validation metric (accuracy, or MAE);
pruned evaluations count too, on both sides: their best weights so far are scored as usual. For each data set
the table gives, per contestant, the median over seeds of the incumbent's validation and test metric at 1/8,
1/4, 1/2 and all of the budget, and of the time it needs to reach the final incumbent validation metric of
Optuna TPE + MedianPruner on the same seed ("not reached" counts as never; the count is given).

Contestants (`--contestants`, comma-separated):
  gaterm            the real Engine with its defaults (merge `select`), `ga.time_budget_s` = the budget
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
  tpe-median        Optuna TPESampler + MedianPruner(n_startup_trials=5, warm-up as gaterm's prune_warmup)
  tpe-hyperband     Optuna TPESampler + HyperbandPruner(min_resource=1, max_resource=max_epochs)
  random            Optuna RandomSampler, no pruner
With `--procs 2`, gaterm runs `--workers 2` and each Optuna study runs two `optimize` processes sharing a
journal file storage. An evaluation still running when the budget is up is stopped (it would not count).

Usage: python benchmarks/anytime.py --datasets digits,wine-quality --seeds 3 --budget 40 \\
           [--procs 1] [--data-dir ../shared/data] [--json out.json]
       python benchmarks/anytime.py --report a.json b.json   (the tables and last line again, from saved runs,
                                                             e.g. data sets run as two processes)
Prints last, per data set, the median over seeds of gaterm's time to reach Optuna TPE+Median's final incumbent
validation metric, as a fraction of the budget (the issue's goal: <= 0.5, with gaterm's final incumbent test
metric no worse than Optuna's). Needs `pip install optuna`.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.engine.fitness import DeviceData, evaluate, evaluation_seed, warm_up
from gaterm.events import EvaluationFinished
from gaterm.plugins import load_plugins
from gaterm.session import make_engine, open_dataset
from gaterm.states import Status

ONE_LOSS = {"classification": "cross_entropy", "regression": "mae"}
FRACTIONS = (0.125, 0.25, 0.5, 1.0)
REFERENCE = "tpe-median"
GATERM = {  # contestant -> config overrides on gaterm's defaults
    "gaterm": {},
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
}
OPTUNA = {"tpe-median": ("tpe", "median"), "tpe-hyperband": ("tpe", "hyperband"), "random": ("random", "none")}
DEFAULT_CONTESTANTS = "gaterm,gaterm-no-merge,tpe-median,tpe-hyperband,random"

Event = tuple[float, float, float]  # (seconds since the contestant's start, val_metric, test_metric)


def base_config(dataset: str, seed: int, task: str) -> RunConfig:
    cfg = RunConfig(dataset=dataset, seed=seed)
    cfg.genes.loss = [ONE_LOSS[task]]
    return cfg


# ----- gaterm ------------------------------------------------------------------------------------------------
def run_gaterm(contestant: str, ds, ps, seed: int, budget: float, procs: int, data_dir: Path | None) -> list[Event]:
    from gaterm.config import config_from_dict

    cfg = config_from_dict(GATERM[contestant], base_config(ds.name, seed, ds.task))
    cfg.ga.generations = 100_000  # the budget ends the run
    cfg.ga.time_budget_s = budget
    cfg.validate()
    strategy = ps.merge_strategy(cfg.ga.merge_strategy) if cfg.ga.merge else None
    events: list[Event] = []
    t0 = [0.0]

    def listen(ev) -> None:
        if isinstance(ev, EvaluationFinished):
            events.append((time.monotonic() - t0[0], ev.record.val_metric, ev.record.test_metric))

    def out_of_time() -> bool:  # the evaluation in progress at the end would not count: stop it
        return time.monotonic() - t0[0] > budget

    engine = make_engine(cfg, ds, strategy, [listen], should_stop=out_of_time, workers=procs, data_dir=data_dir)
    t0[0] = time.monotonic()
    engine.run()
    return events


# ----- Optuna ------------------------------------------------------------------------------------------------
class OutOfTime(Exception):
    """The budget is up: the trial in progress is stopped and the study ends."""


def _objective(ds, cfg: RunConfig, seed: int, t0: float, budget: float, record: Callable[[Event], None]):
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
            if time.monotonic() - t0 > budget:
                raise OutOfTime()
            trial.report(val_loss if math.isfinite(val_loss) else 1e9, epoch)
            return trial.should_prune()

        try:
            res = evaluate(c, data, cfg.training, evaluation_seed(seed, trial.number), prune_check=prune_check)
        except OutOfTime:
            raise
        except Exception:  # noqa: BLE001 - as gaterm's backends: one failed evaluation does not end the search
            return worst
        record((time.monotonic() - t0, res.val_metric, res.test_metric))
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


def _optuna_process(kind, ds, seed, k, budget, t0, storage_path, name, queue) -> None:
    import optuna

    torch.set_num_threads(1)
    cfg = base_config(ds.name, seed, ds.task)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage_path))
    # each process samples with its own seed (two equal samplers would propose the same first trials)
    study = _study(kind, seed * 1000 + k, cfg, storage, name, load=True)
    objective = _objective(ds, cfg, seed, t0, budget, queue.put)
    try:
        study.optimize(objective, timeout=max(0.0, budget - (time.monotonic() - t0)))
    except OutOfTime:
        pass
    queue.put(None)


def run_optuna(kind: str, ds, seed: int, budget: float, procs: int) -> list[Event]:
    cfg = base_config(ds.name, seed, ds.task)
    if procs == 1:
        events: list[Event] = []
        t0 = time.monotonic()
        study = _study(kind, seed, cfg)
        try:
            study.optimize(_objective(ds, cfg, seed, t0, budget, events.append), timeout=budget)
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
        queue = ctx.Queue()
        workers = [ctx.Process(target=_optuna_process, args=(kind, ds, seed, k, budget, t0, path, "anytime", queue))
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


# ----- analysis ----------------------------------------------------------------------------------------------
def better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def incumbent(events: list[Event], t: float, higher: bool) -> Event | None:
    """The evaluation with the best validation metric among those finished by `t` (ties: the earlier)."""
    best = None
    for ev in sorted(events):
        if ev[0] > t:
            break
        if math.isfinite(ev[1]) and (best is None or better(ev[1], best[1], higher)):
            best = ev
    return best


def time_to_reach(events: list[Event], target: float, budget: float, higher: bool) -> float:
    """When the incumbent first reaches `target` (at least as good), within the budget; inf if never."""
    for t, val, _ in sorted(events):
        if t <= budget and math.isfinite(val) and (val >= target if higher else val <= target):
            return t
    return math.inf


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def analyse(name: str, higher: bool, budget: float, runs: dict[str, dict[int, list[Event]]]) -> dict:
    """Per contestant, medians over seeds (see the module's docstring)."""
    seeds = sorted(next(iter(runs.values())))
    ref = {}
    for s in seeds:
        inc = incumbent(runs[REFERENCE][s], budget, higher) if REFERENCE in runs else None
        ref[s] = inc[1] if inc else math.nan
    out = {}
    for contestant, per_seed in runs.items():
        row: dict = {"evaluations": _median([sum(t <= budget for t, *_ in per_seed[s]) for s in seeds])}
        for f in FRACTIONS:
            incs = [incumbent(per_seed[s], f * budget, higher) for s in seeds]
            row[f"val@{f}"] = _median([i[1] if i else math.nan for i in incs])
            row[f"test@{f}"] = _median([i[2] if i else math.nan for i in incs])
        times = [time_to_reach(per_seed[s], ref[s], budget, higher) / budget if math.isfinite(ref[s]) else math.inf
                 for s in seeds]
        row["reach"] = statistics.median(times)  # inf when most seeds never reach it
        row["not_reached"] = sum(math.isinf(t) for t in times)
        row["reach_per_seed"] = times
        out[contestant] = row
    return out


def print_table(name: str, budget: float, seeds: int, procs: int, rows: dict) -> None:
    print(f"\n{name}: budget {budget:.0f}s, {seeds} seeds, {procs} process(es); medians over seeds")
    head = ["contestant", "evals"] + [f"val@{f:g}" for f in FRACTIONS] + [f"test@{f:g}" for f in FRACTIONS] \
        + ["reach (of budget)", "not reached"]
    print(" | ".join(head))
    for c, r in rows.items():
        reach = f"{r['reach']:.2f}" if math.isfinite(r["reach"]) else "not reached"
        cells = [c, f"{r['evaluations']:.0f}"] + [f"{r[f'val@{f}']:.4f}" for f in FRACTIONS] \
            + [f"{r[f'test@{f}']:.4f}" for f in FRACTIONS] + [reach, f"{r['not_reached']}/{seeds}"]
        print(" | ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default="digits,wine-quality,boston")
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (the issue's goal needs >= 5)")
    ap.add_argument("--budget", type=float, default=60.0, help="wall seconds per contestant, data set and seed")
    ap.add_argument("--budgets", default="", help="per data set overrides, e.g. mnist-10k=120,boston=30")
    ap.add_argument("--procs", type=int, default=1, help="processes per contestant (1 or 2)")
    ap.add_argument("--contestants", default=DEFAULT_CONTESTANTS)
    ap.add_argument("--headline", help="the gaterm contestant of the last line (default: the first one run)")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--json", help="also write every contestant's events and the tables here")
    ap.add_argument("--warm-up", type=float, default=3.0, help="seconds of a discarded run per contestant first")
    ap.add_argument("--report", nargs="+", metavar="JSON", help="print the tables from saved --json reports")
    args = ap.parse_args()
    if args.report:
        report = load_reports(args.report)
        first = next(iter(report.values()))["events"] if report else {}
        summarize(report, args.headline or next((c for c in first if c in GATERM), ""))
        return
    torch.set_num_threads(1)
    ps = load_plugins()
    data_dir = Path(args.data_dir)
    contestants = args.contestants.split(",")
    unknown = [c for c in contestants if c not in GATERM and c not in OPTUNA]
    if unknown:
        raise SystemExit(f"unknown contestant(s): {', '.join(unknown)}")
    if REFERENCE not in contestants:
        raise SystemExit(f"the reference contestant {REFERENCE} must run")
    headline_of = args.headline or next((c for c in contestants if c in GATERM), "")
    budgets = {k: float(v) for k, v in (p.split("=") for p in args.budgets.split(",") if p)}
    report = {}
    for name in args.datasets.split(","):
        budget = budgets.get(name, args.budget)
        runs: dict[str, dict[int, list[Event]]] = {c: {} for c in contestants}
        higher = True
        # a throwaway run of every contestant first: imports and first-call costs (torch's compiler stack is
        # imported by the first optimizer) would otherwise fall on whichever contestant runs first
        warm = open_dataset(ps, ps.dataset(name), RunConfig(dataset=name, seed=0), data_dir)
        for c in contestants:
            if c in GATERM:
                run_gaterm(c, warm, ps, 0, args.warm_up, args.procs, data_dir)
            else:
                run_optuna(c, warm, 0, args.warm_up, args.procs)
        for seed in range(args.seeds):
            ds = open_dataset(ps, ps.dataset(name), RunConfig(dataset=name, seed=seed), data_dir)
            higher = ds.higher_is_better
            order = contestants[seed % len(contestants):] + contestants[: seed % len(contestants)]  # load drifts
            for c in order:
                if c in GATERM:
                    runs[c][seed] = run_gaterm(c, ds, ps, seed, budget, args.procs, data_dir)
                else:
                    runs[c][seed] = run_optuna(c, ds, seed, budget, args.procs)
                final = incumbent(runs[c][seed], budget, higher)
                print(f"{name} seed {seed} {c}: {len(runs[c][seed])} evaluations, final incumbent val/test "
                      f"{final[1] if final else math.nan:.4f}/{final[2] if final else math.nan:.4f}", flush=True)
        report[name] = {"budget": budget, "higher_is_better": higher, "seeds": args.seeds, "procs": args.procs,
                        "events": runs}
        if args.json:  # after every data set: a long benchmark keeps what it measured
            Path(args.json).write_text(json.dumps(report, default=str, indent=1), encoding="utf-8")
    summarize(report, headline_of)


def summarize(report: dict, headline_of: str) -> None:
    """Print each data set's table, then the issue's last line for the gaterm contestant `headline_of`."""
    headline = []
    for name, entry in report.items():
        budget, higher, seeds, procs = entry["budget"], entry["higher_is_better"], entry["seeds"], entry["procs"]
        runs = entry["events"]
        rows = analyse(name, higher, budget, runs)
        print_table(name, budget, seeds, procs, rows)
        if headline_of in rows:
            h, o = rows[headline_of], rows[REFERENCE]
            reach = f"{h['reach']:.2f}" if math.isfinite(h["reach"]) else "not reached"
            if math.isnan(h["test@1.0"]) or math.isnan(o["test@1.0"]):
                verdict = "n/a"
            else:
                verdict = "worse" if better(o["test@1.0"], h["test@1.0"], higher) else "no worse"
            headline.append(f"{name} {reach} ({h['not_reached']}/{seeds} not reached; final test "
                            f"{h['test@1.0']:.4f} vs Optuna's {o['test@1.0']:.4f}: {verdict})")
    seeds = sorted({e["seeds"] for e in report.values()})
    procs = sorted({e["procs"] for e in report.values()})
    print(f"\n{headline_of}'s time to reach Optuna TPE+Median's final incumbent validation metric, fraction of "
          f"the budget, median over {'/'.join(map(str, seeds))} seeds, --procs {'/'.join(map(str, procs))} "
          f"(goal <= 0.5): " + "; ".join(headline))


def load_reports(paths: list[str]) -> dict:
    """Saved `--json` reports, merged (data set names must not repeat); events keyed by seed again."""
    merged: dict = {}
    for path in paths:
        for name, entry in json.loads(Path(path).read_text(encoding="utf-8")).items():
            if name in merged:
                raise SystemExit(f"{path}: data set {name} is in more than one report")
            entry["events"] = {c: {int(s): [tuple(e) for e in ev] for s, ev in per.items()}
                               for c, per in entry["events"].items()}
            merged[name] = entry
    return merged


if __name__ == "__main__":
    main()
