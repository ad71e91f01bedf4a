"""Is any optimizer in the default gene store dead? Train one fixed network with every optimizer and each of its
learning rates (the default store: `genes.learning_rate`, or the optimizer's own list in `genes.learning_rates`)
on digits, wine-quality and Boston, with gaterm's fitness function (early stopping on validation), and compare
the validation metric with a trivial baseline (the majority class; the training mean for regression).

An (optimizer, learning rate) pair is "dead" on a data set when it closes less than half of the gap between the
baseline and the best result of any pair: a GA drawing it would waste the evaluation. Prints a table per data
set (the share of the gap each pair closes), then the number of dead pairs last.

    python benchmarks/optimizers.py --data-dir ../shared/data [--seeds 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.engine.fitness import DeviceData, evaluate
from gaterm.session import open_dataset, open_plugins


def baseline(ds) -> float:
    if ds.task == "classification":
        counts = np.bincount(ds.y_train, minlength=ds.n_outputs)
        return float((ds.y_val == counts.argmax()).mean())
    return float(np.abs(ds.y_val - ds.y_train.mean()).mean()) * ds.target_std


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--datasets", default="digits,wine-quality,boston")
    p.add_argument("--seeds", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(1)
    ps = open_plugins()
    store = RunConfig().genes
    dead = 0
    t0 = time.perf_counter()
    for name in args.datasets.split(","):
        cfg = RunConfig(dataset=name)
        ds = open_dataset(ps, ps.dataset(name), cfg, args.data_dir)
        data = DeviceData(ds, "cpu")
        loss = "cross_entropy" if ds.task == "classification" else "mae"
        hib = ds.higher_is_better
        base = baseline(ds)
        results: dict[str, dict[float, float]] = {}
        for opt in store.optimizer:
            results[opt] = {}
            for lr in store.rates_for(opt):
                c = Chromosome(opt, loss, lr, 32, (LayerGene(64, "relu"), LayerGene(64, "relu")))
                vals = [evaluate(c, data, cfg.training, seed).val_metric for seed in range(args.seeds)]
                results[opt][lr] = float(np.mean(vals))
        best_any = max(v for r in results.values() for v in r.values()) if hib else \
            min(v for r in results.values() for v in r.values())
        print(f"\n{name}: baseline {base:.4f}, best of all {best_any:.4f} ({'higher' if hib else 'lower'} is better)")
        print(f"{'optimizer':10s} " + "  ".join(f"{'lr':>8s} {'val':>7s} {'gap':>5s}" for _ in range(4)))
        for opt, r in results.items():
            cells = []
            for lr, v in r.items():
                closed = (v - base) / (best_any - base) if best_any != base else 1.0
                dead += closed < 0.5
                cells.append(f"{lr:8g} {v:7.4f} {closed:5.2f}{'*' if closed < 0.5 else ' '}")
            print(f"{opt:10s} " + " ".join(cells))
        print("(gap: share of the baseline-to-best gap closed; * = dead, under 0.5)")
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    print(f"dead (optimizer, learning rate, data set) cells in the default gene store: {dead}")


if __name__ == "__main__":
    main()
