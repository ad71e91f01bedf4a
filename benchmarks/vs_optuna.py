"""gaterm against Optuna (TPE sampler, median pruner) on the same search space, data, training loop and early
stopping: wall time until the test metric first reaches a common target, per seed.

gaterm runs with merge on, median pruning and --workers 2; Optuna runs its default single-process study with
TPESampler(seed) and MedianPruner(n_startup_trials=5, n_warmup_steps=5), each trial trained by gaterm's own
fitness function (same seeds per trial id, same splits). Both clocks start after the data set is loaded and stop
when a finished evaluation's test metric reaches the target (or at the time cap: "not reached").
Usage: python benchmarks/vs_optuna.py [--seeds 3] [--cap 90] [--data-dir ../shared/data]
Prints the median ratio gaterm/Optuna last. Needs `pip install optuna`.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import torch

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.engine.backends import ProcessPoolBackend
from gaterm.engine.evolve import Engine
from gaterm.engine.fitness import DeviceData, evaluate, evaluation_seed, warm_up
from gaterm.events import EvaluationFinished
from gaterm.plugins import load_plugins
from gaterm.session import open_dataset
from gaterm.states import Direction

TARGETS = {"wine-quality": 0.48, "digits": 0.975}


def run_gaterm(cfg: RunConfig, ds, strategy, data_dir: Path, cap: float) -> tuple[float, int]:
    t0 = time.perf_counter()
    hit: list[tuple[float, int]] = []
    count = [0]

    def watch(ev):
        if isinstance(ev, EvaluationFinished):
            count[0] += 1
            if not hit and Direction.of(ds.higher_is_better).reached(ev.record.metric, cfg.ga.target):
                hit.append((time.perf_counter() - t0, count[0]))

    cfg.ga.time_budget_s = cap
    Engine(cfg, ds, strategy, [watch], backend=ProcessPoolBackend(2, data_dir)).run()
    return hit[0] if hit else (math.inf, count[0])


def run_optuna(cfg: RunConfig, ds, seed: int, cap: float) -> tuple[float, int]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    g = cfg.genes.resolve_for_task(ds.task)
    data = DeviceData(ds, "cpu")
    warm_up(data, g.optimizer, g.loss)
    t0 = time.perf_counter()
    hit: list[tuple[float, int]] = []
    count = [0]

    def objective(trial):
        depth = trial.suggest_categorical("layers", g.layers)
        c = Chromosome(
            optimizer=trial.suggest_categorical("optimizer", g.optimizer),
            loss=trial.suggest_categorical("loss", g.loss),
            learning_rate=trial.suggest_categorical("learning_rate", g.learning_rate),
            batch_size=trial.suggest_categorical("batch_size", g.batch_size),
            layers=tuple(LayerGene(trial.suggest_categorical(f"neurons_{i}", g.neurons),
                                   trial.suggest_categorical(f"activation_{i}", g.activation))
                         for i in range(depth)),
        )

        def on_epoch(epoch, val_loss):
            trial.report(val_loss if math.isfinite(val_loss) else 1e9, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        res = evaluate(c, data, cfg.training, evaluation_seed(seed, trial.number), on_epoch=on_epoch)
        count[0] += 1
        if not hit and Direction.of(ds.higher_is_better).reached(res.val_metric, cfg.ga.target):
            hit.append((time.perf_counter() - t0, count[0]))
            trial.study.stop()
        return res.val_metric

    study = optuna.create_study(
        direction="maximize" if ds.higher_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5),
    )
    study.optimize(objective, timeout=cap, catch=())
    return hit[0] if hit else (math.inf, count[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cap", type=float, default=90.0, help="seconds per search before 'not reached'")
    ap.add_argument("--datasets", default="wine-quality,digits")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    ps = load_plugins()
    data_dir = Path(args.data_dir)
    summary = []
    for name in args.datasets.split(","):
        ratios = []
        for seed in range(args.seeds):
            cfg = RunConfig(dataset=name, seed=seed)
            cfg.ga.target = TARGETS[name]
            cfg.training.prune = True
            ds = open_dataset(ps, ps.dataset(name), cfg, data_dir)
            tg, ng = run_gaterm(cfg, ds, ps.merge_strategy("mean"), data_dir, args.cap)
            ocfg = RunConfig(dataset=name, seed=seed)
            ocfg.ga.target = TARGETS[name]
            to, no = run_optuna(ocfg, ds, seed, args.cap)
            ratio = tg / to if math.isfinite(tg) and math.isfinite(to) else math.nan
            ratios.append(ratio)
            fmt = lambda t: f"{t:.1f}s" if math.isfinite(t) else f">{args.cap:.0f}s (not reached)"
            print(f"{name} seed {seed} target {TARGETS[name]}: gaterm {fmt(tg)} after {ng} evaluations, "
                  f"optuna {fmt(to)} after {no} trials, ratio {ratio:.2f}")
        finite = [r for r in ratios if math.isfinite(r)]
        med = statistics.median(finite) if finite else math.nan
        summary.append(f"{name} {med:.2f} ({len(finite)}/{len(ratios)} seeds both reached)")
    print("time-to-target ratio gaterm/Optuna, median over seeds: " + "; ".join(summary) + " (goal < 1)")


if __name__ == "__main__":
    main()
