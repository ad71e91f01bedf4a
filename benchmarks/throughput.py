"""Training throughput (samples/s) of gaterm's fitness function against a minimal hand-written PyTorch loop.

Same model, data, batch size, optimizer and number of epochs, measured side by side (interleaved repeats, one
torch thread each, the default). gaterm's number includes everything its fitness function does per epoch
(validation loss for early stopping, best-weights snapshot) and the final test. Goal: gaterm >= 0.9x.
Usage: python benchmarks/throughput.py [--data-dir ../shared/data] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.engine.fitness import DeviceData, build_model, evaluate, warm_up
from gaterm.plugins import load_plugins
from gaterm.session import open_dataset

CASES = [  # (data set, hidden widths, batch, loss, epochs)
    ("wine-quality", (64, 64), 32, "mse", 20),
    ("mnist-10k", (128,), 128, "cross_entropy", 5),
]


def minimal_loop(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module, bs: int, epochs: int,
                 seed: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for s in range(0, len(x), bs):
            idx = perm[s : s + bs]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ps = load_plugins()
    ratios = []
    for name, widths, bs, loss, epochs in CASES:
        cfg = RunConfig(dataset=name)
        cfg.training.max_epochs, cfg.training.patience, cfg.training.min_delta = epochs, 10**6, 0.0
        ds = open_dataset(ps, ps.dataset(name), cfg, Path(args.data_dir))
        data = DeviceData(ds, "cpu")
        warm_up(data, ["adam"], [loss])
        c = Chromosome("adam", loss, 0.001, bs, tuple(LayerGene(w, "relu") for w in widths))
        loss_fn = {"mse": nn.MSELoss(), "cross_entropy": nn.CrossEntropyLoss()}[loss]
        samples = len(ds.y_train) * epochs
        g_rates, m_rates = [], []
        for r in range(args.repeats):
            res = evaluate(c, data, cfg.training, seed=r)
            assert res.n_epochs == epochs
            g_rates.append(samples / res.fitness_time)
            torch.manual_seed(r)
            model = build_model(c, ds.n_features, ds.n_outputs)
            m_rates.append(samples / minimal_loop(model, data.x_train, data.y_train, loss_fn, bs, epochs, r))
        g, m = statistics.median(g_rates), statistics.median(m_rates)
        ratios.append(g / m)
        arch = "-".join(map(str, (ds.n_features, *widths, ds.n_outputs)))
        print(f"{name} MLP {arch} batch {bs}: gaterm {g:,.0f} samples/s, minimal loop {m:,.0f} samples/s, "
              f"ratio {g / m:.3f} (median of {args.repeats})")
    print("gaterm/minimal throughput ratio: " + ", ".join(
        f"{name} {r:.3f}" for (name, *_), r in zip(CASES, ratios, strict=False)) + " (goal >= 0.9)")


if __name__ == "__main__":
    main()
