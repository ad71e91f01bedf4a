"""Merge-strategy benchmark (issue 7): how much sooner does a child stop when it starts from merged parents?

For each data set (wine-quality and mnist-10k by default) it freezes a set of (parent A, parent B, child
genome) triples, drawn deterministically from --seed with gaterm's own operators (random_chromosome for the
parents, as in generation 0; crossover for the child), then shaped to cover six cases in turn: same shape,
wider, narrower, deeper, shallower, activation mismatch. It trains both parents once from a fresh init with
gaterm's `evaluate`, then trains the child from every initialisation -- fresh init and each merge strategy --
with the same seed (hence the same data order), the same early stopping and the same fresh-init tensors handed
to the strategy. Initialisations run in a rotating order per triple so load drifts favour none of them.

Per data set and strategy it reports, paired with fresh init across triples: the mean epochs ratio and its
Wilcoxon signed-rank p (scipy.stats.wilcoxon), the mean fitness-time ratio, the mean test-metric difference
(signed so that + is better) and its p, the median validation loss at epoch 0 (computed here from the
initialised model), and the share of the possible saving captured, (1 - ratio) / (1 - floor) with
floor = (patience + 1) / mean fresh epochs (a child cannot stop before patience + 1 epochs). A derived row,
`select-val0`, picks per child the initialisation (fresh or any base strategy) with the lowest epoch-0
validation loss and reuses that run: it measures the issue's "choose among candidates by validation loss at
epoch 0" idea, which needs data that a merge strategy does not get (so it is not a registered strategy).

    python benchmarks/merge_strategies.py --quick          # smoke check, under a minute
    python benchmarks/merge_strategies.py                  # 24 triples per data set (see --help)

The key figure (the best share of the possible saving captured per data set, and mean's) is printed last.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from gaterm.config import GeneStore, RunConfig
from gaterm.engine.chromosome import Chromosome, LayerGene, random_chromosome
from gaterm.engine.fitness import (
    LOSSES,
    DeviceData,
    build_model,
    evaluate,
    evaluation_seed,
    get_layers,
    init_model,
    set_layers,
    warm_up,
)
from gaterm.engine.operators import crossover
from gaterm.merge import Parent, check_merged
from gaterm.plugins import load_plugins
from gaterm.runner import load_dataset

REPO_ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("same", "wider", "narrower", "deeper", "shallower", "activation")
FRESH = "fresh"
SELECT = "select-val0"


# ----- triples ---------------------------------------------------------------------------------------------
def _others(values, than, above: bool) -> list[int]:
    return [v for v in values if (v > than if above else v < than)]


def make_triple(
    rng: np.random.Generator, store: GeneStore, category: str
) -> tuple[Chromosome, Chromosome, Chromosome]:
    """Two random parents and a crossover child reshaped to `category` (redrawn until that is possible)."""
    max_depth = max(store.layers)
    for _ in range(10_000):
        a, b = random_chromosome(rng, store), random_chromosome(rng, store)
        if category == "same":
            b = replace(b, layers=a.layers)  # same architecture, its own training genes and its own init
            return a, b, crossover(rng, a, b)
        child = crossover(rng, a, b)
        layers = list(child.layers)
        widths = [[p.layers[i].neurons for p in (a, b) if i < p.depth] for i in range(len(layers))]
        if category in ("wider", "narrower"):
            wide = category == "wider"
            choices = [_others(store.neurons, max(w) if wide else min(w), wide) for w in widths]
            if not all(choices):
                continue
            layers = [LayerGene(int(rng.choice(c)), lg.activation) for c, lg in zip(choices, layers)]
        elif category == "deeper":
            if len(layers) >= max_depth:
                continue
            extra = int(rng.integers(1, min(2, max_depth - len(layers)) + 1))
            layers += [LayerGene(int(rng.choice(store.neurons)), str(rng.choice(store.activation)))
                       for _ in range(extra)]
        elif category == "shallower":
            shallowest = min(a.depth, b.depth)
            if shallowest < 2:
                continue
            layers = layers[: int(rng.integers(1, shallowest))]
        elif category == "activation":
            n_change = int(rng.integers(1, len(layers) + 1))
            for i in sorted(rng.choice(len(layers), size=n_change, replace=False)):
                used = {p.layers[i].activation for p in (a, b) if i < p.depth}
                options = [x for x in store.activation if x not in used]
                if options:
                    layers[i] = LayerGene(layers[i].neurons, str(rng.choice(options)))
            if all(any(i < p.depth and p.layers[i].activation == lg.activation for p in (a, b))
                   for i, lg in enumerate(layers)):
                continue
        else:
            raise ValueError(category)
        return a, b, replace(child, layers=tuple(layers))
    raise RuntimeError(f"could not make a {category!r} triple from this gene store")


# ----- one child -------------------------------------------------------------------------------------------
@dataclass
class Run:
    epochs: int
    best_epoch: int
    time: float
    metric: float
    val0: float
    merge_time: float
    status: str


@dataclass
class TripleResult:
    index: int
    category: str
    genes: tuple[str, str, str]
    parent_metrics: tuple[float, float]
    runs: dict[str, Run] = field(default_factory=dict)


def val_loss_at_epoch0(c: Chromosome, data: DeviceData, layers) -> float:
    model = build_model(c, data.dataset.n_features, data.dataset.n_outputs)
    set_layers(model, layers)
    model.to(data.device).eval()
    with torch.inference_mode():
        return float(LOSSES[c.loss]()(model(data.x_val), data.y_val))


def run_triple(index: int, category: str, triple, data: DeviceData, cfg: RunConfig, strategies: dict,
               seed: int) -> TripleResult | None:
    a, b, child = triple
    hib = data.dataset.higher_is_better
    parents = []
    for k, p in enumerate((a, b)):
        res = evaluate(p, data, cfg.training, evaluation_seed(seed, 3 * index + k))
        if res.status != "ok":
            return None
        parents.append(Parent(p, res.layers, res.metric, hib))
    out = TripleResult(index, category, (a.encode(), b.encode(), child.encode()),
                       (parents[0].metric, parents[1].metric))
    child_seed = evaluation_seed(seed, 3 * index + 2)
    child_init = get_layers(init_model(child, data, child_seed))
    names = [FRESH, *strategies]
    shift = index % len(names)
    for name in names[shift:] + names[:shift]:
        if name == FRESH:
            layers, merge_time = child_init, 0.0
        else:
            t = time.perf_counter()
            layers = check_merged(name, child_init, strategies[name].merge(child, child_init, *parents))
            merge_time = time.perf_counter() - t
        val0 = val_loss_at_epoch0(child, data, layers)
        res = evaluate(child, data, cfg.training, child_seed, None if name == FRESH else layers)
        out.runs[name] = Run(res.n_epochs, res.best_epoch, res.fitness_time, res.metric, val0, merge_time,
                             res.status)
    return out


# ----- statistics ------------------------------------------------------------------------------------------
def wilcoxon_p(x, y) -> float:
    from scipy.stats import wilcoxon

    d = np.asarray(x, float) - np.asarray(y, float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return math.nan
    if np.all(d == 0):
        return 1.0
    return float(wilcoxon(d).pvalue)


def add_selection(results: list[TripleResult], candidates: list[str]) -> None:
    """The derived `select-val0` run: per child, the candidate with the lowest epoch-0 validation loss."""
    for r in results:
        pool = [n for n in candidates if n in r.runs and math.isfinite(r.runs[n].val0)]
        best = min(pool, key=lambda n: r.runs[n].val0)
        r.runs[SELECT] = replace(r.runs[best])


def summarize(results: list[TripleResult], names: list[str], patience: int, hib: bool) -> list[dict]:
    fresh_epochs = np.array([r.runs[FRESH].epochs for r in results], float)
    floor = (patience + 1) / fresh_epochs.mean()
    rows = []
    for name in names:
        e = np.array([r.runs[name].epochs for r in results], float)
        t = np.array([r.runs[name].time for r in results], float)
        ft = np.array([r.runs[FRESH].time for r in results], float)
        m = np.array([r.runs[name].metric for r in results], float)
        fm = np.array([r.runs[FRESH].metric for r in results], float)
        gain = (m - fm) if hib else (fm - m)  # + is better
        ratio = float(np.mean(e / fresh_epochs))
        rows.append({
            "strategy": name,
            "n": len(results),
            "epochs": float(e.mean()),
            "epochs_ratio": ratio,
            "epochs_p": wilcoxon_p(e, fresh_epochs) if name != FRESH else math.nan,
            "time_ratio": float(np.mean(t / ft)),
            "test_gain": float(np.mean(gain[np.isfinite(gain)])) if np.isfinite(gain).any() else math.nan,
            "test_p": wilcoxon_p(m, fm) if name != FRESH else math.nan,
            "val0": float(np.median([r.runs[name].val0 for r in results])),
            "share": (1 - ratio) / (1 - floor) if floor < 1 else math.nan,
            "floor": floor,
            "diverged": sum(r.runs[name].status != "ok" for r in results),
            "merge_ms": 1000 * float(np.mean([r.runs[name].merge_time for r in results])),
            "by_category": {
                c: float(np.mean([r.runs[name].epochs / r.runs[FRESH].epochs for r in in_case]))
                for c in CATEGORIES if (in_case := [r for r in results if r.category == c])
            },
        })
    return rows


def fmt(x: float, spec: str) -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def print_table(ds_name: str, metric: str, rows: list[dict], wall: float) -> None:
    r0 = rows[0]
    print(f"\n== {ds_name}: {r0['n']} triples, metric {metric}, floor (patience+1)/mean fresh epochs "
          f"= {r0['floor']:.2f}, wall {wall:.0f}s ==")
    head = (f"{'strategy':<14}{'epochs':>7}{'ratio':>7}{'p':>8}{'time r':>8}{'dtest(+)':>10}{'p':>8}"
            f"{'val0 med':>10}{'share':>8}{'div':>5}{'merge ms':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['strategy']:<14}{r['epochs']:>7.1f}{r['epochs_ratio']:>7.2f}{fmt(r['epochs_p'], '.3f'):>8}"
              f"{r['time_ratio']:>8.2f}{fmt(r['test_gain'], '+.4f'):>10}{fmt(r['test_p'], '.3f'):>8}"
              f"{fmt(r['val0'], '.3f'):>10}{fmt(100 * r['share'], '.0f') + '%':>8}{r['diverged']:>5}"
              f"{r['merge_ms']:>9.1f}")
    cats = list(r0["by_category"])
    print(f"\nepochs ratio vs fresh by case ({ds_name}):")
    print(f"{'strategy':<14}" + "".join(f"{c:>11}" for c in cats))
    for r in rows[1:]:
        print(f"{r['strategy']:<14}" + "".join(f"{fmt(r['by_category'][c], '.2f'):>11}" for c in cats))


# ----- main ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    p.add_argument("--datasets", default="wine-quality,mnist-10k")
    p.add_argument("--triples", type=int, default=24, help="triples per data set, cycling the six cases (24)")
    p.add_argument("--quick", action="store_true",
                   help="smoke check: 3 triples per data set (the six cases split between the two data "
                   "sets), small networks, max 10 epochs, patience 3")
    p.add_argument("--strategies", default=None, help="comma-separated (default: every registered strategy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-epochs", type=int, default=None, help="default: gaterm's (100; 10 with --quick)")
    p.add_argument("--patience", type=int, default=None, help="default: gaterm's (10; 3 with --quick)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    p.add_argument("--json", type=Path, default=None, help="write every run and the summary here")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    import scipy.optimize  # noqa: F401  (import it here: `aligned`'s first merge time is then no import)
    ps = load_plugins()
    if ps.errors:
        print("plugin errors:", *ps.errors, sep="\n  ", file=sys.stderr)
    names = args.strategies.split(",") if args.strategies else sorted(ps.merges.items)
    strategies = {n: ps.merge_strategy(n) for n in names}
    n_triples = 3 if args.quick and args.triples == 24 else args.triples

    report: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "datasets": {}}
    key: list[str] = []
    for ds_index, ds_name in enumerate(args.datasets.split(",")):
        cfg = RunConfig(dataset=ds_name, seed=args.seed)
        if args.quick:
            cfg.training.max_epochs, cfg.training.patience = 10, 3
            cfg.genes = replace(cfg.genes, layers=[1, 2, 3], neurons=[10, 20, 30, 40, 50, 60],
                                batch_size=[64, 128])
        if args.max_epochs is not None:
            cfg.training.max_epochs = args.max_epochs
        if args.patience is not None:
            cfg.training.patience = args.patience
        t0 = time.perf_counter()
        ds = load_dataset(ps, ps.dataset(ds_name), cfg, args.data_dir)
        store = cfg.genes.resolve_for_task(ds.task)
        data = DeviceData(ds, "cpu")
        warm_up(data, store.optimizer, store.loss)
        rng = np.random.default_rng([args.seed, zlib.crc32(ds_name.encode())])
        results: list[TripleResult] = []
        skipped = 0
        offset = 3 * ds_index if args.quick else 0  # --quick: each data set gets other cases
        for k in range(n_triples):
            category = CATEGORIES[(offset + k) % len(CATEGORIES)]
            for attempt in range(5):  # a parent that diverges gives no weights: draw another triple
                res = run_triple(k * 5 + attempt, category, make_triple(rng, store, category), data, cfg,
                                 strategies, args.seed)
                if res is not None:
                    break
                skipped += 1
            if res is None:
                continue
            results.append(res)
            f = res.runs[FRESH]
            el = time.perf_counter() - t0
            eta = el / (k + 1) * (n_triples - k - 1)
            print(f"[{ds_name} {k + 1}/{n_triples} {category}, {el:.0f}s, eta {eta:.0f}s] "
                  f"fresh {f.epochs} ep; "
                  + " ".join(f"{n} {r.epochs}" for n, r in res.runs.items() if n != FRESH), flush=True)
        base = [n for n in names if "+" not in n]
        add_selection(results, [FRESH, *base])
        rows = summarize(results, [FRESH, *names, SELECT], cfg.training.patience, ds.higher_is_better)
        wall = time.perf_counter() - t0
        print_table(ds_name, ds.metric_name, rows, wall)
        if skipped:
            print(f"({skipped} triple(s) redrawn because a parent diverged)")
        report["datasets"][ds_name] = {
            "summary": rows, "triples": [asdict(r) for r in results],
            "max_epochs": cfg.training.max_epochs, "patience": cfg.training.patience,
        }
        real = [r for r in rows if r["strategy"] not in (FRESH, SELECT)]
        best = max(real, key=lambda r: r["share"])
        mean = next((r for r in rows if r["strategy"] == "mean"), None)
        sel = next(r for r in rows if r["strategy"] == SELECT)
        key.append(f"{ds_name}: best {best['strategy']} {100 * best['share']:.0f}% "
                   f"(epochs x{best['epochs_ratio']:.2f}, dtest {fmt(best['test_gain'], '+.4f')})"
                   + (f", mean {100 * mean['share']:.0f}%" if mean else "")
                   + f", {SELECT} {100 * sel['share']:.0f}%")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))
    print("\nKEY share of the possible epoch saving captured (goal >= 60% at equal or better test): "
          + "; ".join(key))


if __name__ == "__main__":
    main()
