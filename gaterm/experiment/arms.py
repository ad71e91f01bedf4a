"""Compare mode, running: the basic arm and one merge arm per strategy, per data set and seed, on identical
footing (same config, seed, split and generation 0)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaterm.config import RunConfig
from gaterm.events import EvaluationRecord, RunFinished
from gaterm.rundir.files import EvaluationRow
from gaterm.states import StopReason
from gaterm.stats import fitness_time_stats

BASIC = "basic"


def arm_name(strategy: str | None) -> str:
    return BASIC if strategy is None else f"merge-{strategy}"


@dataclass
class ArmRun:
    """One finished run of one arm, for one data set and seed."""

    dataset: str
    seed: int
    arm: str
    strategy: str | None
    metric_name: str
    higher_is_better: bool
    records: Sequence[EvaluationRecord | EvaluationRow]  # live records, or rows read back from the run directory
    stop_reason: StopReason
    total_duration_s: float
    control_time_s: float
    best_val_metric: float  # the best-by-validation individual's validation metric (the selection metric)
    best_test_metric: float  # ... and its test metric: the run's honest result
    run_dir: str
    workers: int = 1

    @property
    def duration_without_control(self) -> float:
        """The run's wall time less the paired-control trainings, which the arm itself would not do (with N
        workers the controls ran N at a time, so their summed time is divided by N: an estimate)."""
        return self.total_duration_s - self.control_time_s / max(1, self.workers)

    @property
    def target_generation(self) -> int | None:
        return self.records[-1].generation if self.stop_reason is StopReason.TARGET and self.records else None


@dataclass
class Comparison:
    base: RunConfig
    datasets: list[str]
    seeds: list[int]
    strategies: list[str]
    runs: list[ArmRun] = field(default_factory=list)


def run_comparison(
    base: RunConfig,
    datasets: Sequence[str],
    seeds: Sequence[int],
    strategies: Sequence[str],
    data_dir: Path | None,
    out: Path,
    console: Any | None = None,
    plugins: Any | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    should_stop: Any | None = None,
    warn: Any | None = None,
) -> Comparison:
    """Run every (data set, seed, arm) in turn, basic first then each strategy, writing run directories.

    Plugin listeners are attached to every arm; `warn(message)` shows their warnings (dropped when None)."""
    from gaterm.listeners import RunContext, open_listeners
    from gaterm.rundir.lock import claim_new_run_dir
    from gaterm.rundir.writer import RunWriter
    from gaterm.session import make_engine, open_dataset, open_plugins

    ps = plugins if plugins is not None else open_plugins(console)
    specs = {name: ps.dataset(name) for name in datasets}  # unknown names fail before any work starts
    merges = {name: ps.merge_strategy(name) for name in strategies}
    first = {name: open_dataset(ps, specs[name], dataclasses.replace(base, dataset=name, seed=seeds[0]), data_dir)
             for name in datasets}  # missing or corrupt files fail before any work starts
    comp = Comparison(base, list(datasets), list(seeds), list(strategies))
    n_arms = len(datasets) * len(seeds) * (1 + len(strategies))
    done = 0
    stop = should_stop or (lambda: False)
    for name in datasets:
        for seed in seeds:
            if stop():
                break
            cfg_seed = dataclasses.replace(base, dataset=name, seed=seed)
            dataset = first[name] if seed == seeds[0] else open_dataset(ps, specs[name], cfg_seed, data_dir)
            for strategy in [None, *strategies]:
                cfg = _arm_config(cfg_seed, strategy)
                run_dir = out / name / f"seed-{seed}" / arm_name(strategy)
                writer = RunWriter(run_dir, extra={"data_dir": str(data_dir) if data_dir else None,
                                                   "compare_arm": arm_name(strategy),
                                                   "workers": 1 if scheduler is not None else workers})
                if stop():
                    break
                context = RunContext(run_dir, cfg, front_end="compare", arm=arm_name(strategy), data_dir=data_dir,
                                     workers=workers, scheduler=scheduler, warn=warn or (lambda message: None))
                with claim_new_run_dir(run_dir):  # each arm holds its directory while it runs
                    result: RunFinished = make_engine(
                        cfg, dataset, merges.get(strategy or ""), [writer, *open_listeners(ps, context)],
                        workers=workers, scheduler=scheduler, data_dir=data_dir, should_stop=stop,
                    ).run()
                if result.stop_reason is StopReason.CANCELLED:
                    if console is not None:
                        console.print(f"{name} seed {seed} {arm_name(strategy)}: cancelled; left out of the report")
                    break
                done += 1
                run = _arm_run(name, seed, strategy, dataset, result, run_dir)
                run.workers = 1 if scheduler is not None else workers
                comp.runs.append(run)
                if console is not None:
                    d = fitness_time_stats(run.records)
                    console.print(
                        f"[{done}/{n_arms}] {name} seed {seed} {run.arm}: {len(run.records)} evaluations, "
                        f"mean fitness time {d['mean']:.3f}s, best by validation: {run.metric_name} "
                        f"{run.best_val_metric:.4f} (test {run.best_test_metric:.4f}), "
                        f"{run.duration_without_control:.1f}s", highlight=False,
                    )
    return comp


def _arm_config(cfg: RunConfig, strategy: str | None) -> RunConfig:
    ga = dataclasses.replace(cfg.ga, merge=strategy is not None, merge_strategy=strategy or cfg.ga.merge_strategy)
    if strategy is None:
        ga.paired_control = False
    return dataclasses.replace(cfg, ga=ga, training=dataclasses.replace(cfg.training),
                               genes=dataclasses.replace(cfg.genes))


def _arm_run(
    name: str, seed: int, strategy: str | None, dataset: Any, result: RunFinished, run_dir: Path
) -> ArmRun:
    recs = list(result.records)
    return ArmRun(
        dataset=name, seed=seed, arm=arm_name(strategy), strategy=strategy, metric_name=dataset.metric_name,
        higher_is_better=dataset.higher_is_better, records=recs, stop_reason=result.stop_reason,
        total_duration_s=result.total_duration_s,
        control_time_s=float(sum(r.control_time or 0.0 for r in recs)),
        best_val_metric=result.best.metric if result.best else math.nan,
        best_test_metric=result.best.test_metric if result.best else math.nan, run_dir=str(run_dir),
    )


def read_comparison(path: Path) -> Comparison:
    """A finished (or interrupted) comparison read back from its directory: compare.toml, then every arm's run
    directory DATASET/seed-N/ARM. Lets `gaterm compare --report DIR` re-render the report from the files."""
    from gaterm.config import load_config
    from gaterm.errors import GatermError
    from gaterm.rundir.reader import is_run_dir, read_run_dir

    path = Path(path)
    if not (path / "compare.toml").is_file():
        raise GatermError(f"{path} is not a gaterm comparison directory (no compare.toml)")
    base = load_config(path / "compare.toml")
    runs: list[ArmRun] = []
    datasets: list[str] = []
    seeds: set[int] = set()
    strategies: list[str] = []
    for ds_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        for seed_dir in sorted(ds_dir.glob("seed-*"), key=lambda p: int(p.name.split("-", 1)[1])):
            seed = int(seed_dir.name.split("-", 1)[1])
            for arm_dir in sorted(seed_dir.iterdir()):
                if not is_run_dir(arm_dir):
                    continue
                run = read_run_dir(arm_dir)
                if run.stop_reason is None or StopReason.parse(run.stop_reason)[0] is StopReason.CANCELLED:
                    continue  # unfinished arms are left out, as a live comparison leaves them out
                strategy = None if arm_dir.name == BASIC else arm_dir.name.removeprefix("merge-")
                best = run.best
                summary = run.summary or {}
                runs.append(ArmRun(
                    dataset=ds_dir.name, seed=seed, arm=arm_dir.name, strategy=strategy,
                    metric_name=run.metric_name, higher_is_better=run.higher_is_better, records=run.evaluations,
                    stop_reason=StopReason.parse(run.stop_reason)[0],
                    total_duration_s=run.total_duration_s or math.nan,
                    control_time_s=float(sum(r.control_time or 0.0 for r in run.evaluations)),
                    best_val_metric=best.metric if best else math.nan,
                    best_test_metric=best.test_metric if best else math.nan, run_dir=str(arm_dir),
                    workers=int(summary.get("workers") or 1),
                ))
                if ds_dir.name not in datasets:
                    datasets.append(ds_dir.name)
                seeds.add(seed)
                if strategy is not None and strategy not in strategies:
                    strategies.append(strategy)
    if not runs:
        raise GatermError(f"{path}: no finished arm run directories (DATASET/seed-N/ARM) found")
    return Comparison(base, datasets, sorted(seeds), strategies, runs)


