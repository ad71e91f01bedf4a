"""Merge-strategy benchmark (issue 7): how much sooner does a child stop when it starts from merged parents?

For each data set (wine-quality and mnist-10k by default) it freezes a set of (parent A, parent B, child genome)
triples and trains each child from every initialisation -- fresh init and each merge strategy -- with the same
seed (hence the same data order), the same early stopping and the same fresh-init tensors handed to every
strategy. Initialisations run in a rotating order per triple so load drifts favour none of them.

Two sources of triples:
- `--source runs` (default): a real GA run (the config `benchmarks/compare_merge.py` uses for that data set,
  merge `mean`) is recorded, and every merged child it bred becomes a triple with its parents' trained weights
  as the run had them. Each is labelled with its case (deeper/shallower than both parents, an activation no
  parent has, wider/narrower than both at a layer, the same shape as a parent, else a crossover of widths).
- `--source cases`: synthetic triples drawn with gaterm's own operators (random parents as in generation 0,
  each trained once; a crossover child), reshaped to cycle the six cases same, wider, narrower, deeper,
  shallower, activation mismatch, so that rare cases get tested too.

Per data set and strategy it reports, paired with fresh init across triples: the epochs ratio (total epochs
over total fresh epochs, as `gaterm compare` reports the paired control) with a paired bootstrap 95% CI and
the Wilcoxon signed-rank p, the time ratio, the mean test-metric difference (signed so that + is better) and
its p, the median validation loss at epoch 0, and the share of the possible saving captured,
(1 - ratio) / (1 - floor) with floor = (patience + 1) / mean fresh epochs (a child cannot stop before
patience + 1 epochs); then the epochs ratio per case, and which candidate `select` picked how often.

    python benchmarks/merge_strategies.py --quick                 # smoke check, under a minute
    python benchmarks/merge_strategies.py                         # real-run triples, every strategy
    python benchmarks/merge_strategies.py --source cases          # 24 synthetic triples per data set

The key figure (the best share of the possible saving captured per data set, and mean's) is printed last.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from gaterm.chromosome import Chromosome, LayerGene, random_chromosome
from gaterm.config import GeneStore, RunConfig, load_config
from gaterm.engine.fitness import (
    DeviceData,
    evaluate,
    evaluation_seed,
    get_layers,
    init_model,
    make_probe,
    warm_up,
)
from gaterm.engine.operators import crossover
from gaterm.merge import Parent, run_merge
from gaterm.plugins import load_plugins
from gaterm.session import open_dataset
from gaterm.stats import paired_ratio_ci, wilcoxon_p
from gaterm_builtin.merges_extra import SelectMerge

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"mnist-10k": "mnist10k.toml"}  # the GA configs of benchmarks/compare_merge.py, per data set
CATEGORIES = ("same", "wider", "narrower", "deeper", "shallower", "activation", "crossover")
SYNTHETIC = CATEGORIES[:6]
FRESH = "fresh"


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
            layers = [LayerGene(int(rng.choice(c)), lg.activation) for c, lg in zip(choices, layers, strict=False)]
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
    choices: dict[str, str | None] = field(default_factory=dict)  # what each `select` strategy picked


def run_triple(index: int, category: str, triple, data: DeviceData, cfg: RunConfig, strategies: dict,
               seed: int) -> TripleResult | None:
    """A synthetic triple: train both parents from a fresh init, then the child from every initialisation."""
    a, b, child = triple
    hib = data.dataset.higher_is_better
    parents = []
    for k, p in enumerate((a, b)):
        res = evaluate(p, data, cfg.training, evaluation_seed(seed, 3 * index + k))
        if res.status != "ok":
            return None
        parents.append(Parent(p, res.layers, res.val_metric, hib))  # the fitter parent, by validation
    return train_child(index, category, parents[0], parents[1], child, data, cfg, strategies,
                       evaluation_seed(seed, 3 * index + 2))


def train_child(index: int, category: str, a: Parent, b: Parent, child: Chromosome, data: DeviceData,
                cfg: RunConfig, strategies: dict, child_seed: int) -> TripleResult:
    """Train `child` from fresh init and from each strategy's merge of `a` and `b`: the same seed (so the same
    data order), the same early stopping, the same fresh-init tensors handed to every strategy."""
    out = TripleResult(index, category, (a.chromosome.encode(), b.chromosome.encode(), child.encode()),
                       (a.metric, b.metric))
    child_init = get_layers(init_model(child, data, child_seed))
    probe = make_probe(child, data)
    names = [FRESH, *strategies]
    shift = index % len(names)
    for name in names[shift:] + names[:shift]:
        if name == FRESH:
            layers, merge_time = child_init, 0.0
        else:
            t = time.perf_counter()
            # a strategy that declines (None) leaves the child its fresh init, as gaterm does
            layers = run_merge(strategies[name], child, child_init, a, b, probe) or child_init
            merge_time = time.perf_counter() - t
            if isinstance(strategies[name], SelectMerge):
                out.choices[name] = probe.notes.get("choice")
        val0 = probe.val_loss(layers)
        res = evaluate(child, data, cfg.training, child_seed, None if name == FRESH else layers)
        out.runs[name] = Run(res.n_epochs, res.best_epoch, res.fitness_time, res.test_metric, val0, merge_time,
                             res.status)
    return out


# ----- triples from a real GA run --------------------------------------------------------------------------
class Recorder:
    """A merge strategy that lets `mean` (the default) breed the run, and keeps every (parent, parent, child)
    it is asked for, with copies of the parents' trained weights."""

    name, description = "mean", "records the triples, merges like mean"

    def __init__(self, base) -> None:
        self.base, self.triples = base, []

    def merge(self, child, child_init, a: Parent, b: Parent):
        def copy(p: Parent) -> Parent:
            return replace(p, layers=[(w.detach().clone(), x.detach().clone()) for w, x in p.layers])

        self.triples.append((copy(a), copy(b), child))
        return self.base.merge(child, child_init, a, b)


def classify(a: Chromosome, b: Chromosome, child: Chromosome) -> str:
    """Which case a real child is, first match wins: deeper or shallower than both parents, an activation
    no parent has at that layer, wider or narrower than both at some layer, the same shape as a parent, else a
    crossover of the parents' widths."""
    depths = (a.depth, b.depth)
    if child.depth > max(depths):
        return "deeper"
    if child.depth < min(depths):
        return "shallower"
    have = [[p.layers[i] for p in (a, b) if i < p.depth] for i in range(child.depth)]
    if any(all(g.activation != lg.activation for g in gs) for gs, lg in zip(have, child.layers, strict=False)):
        return "activation"
    if any(lg.neurons > max(g.neurons for g in gs) for gs, lg in zip(have, child.layers, strict=False)):
        return "wider"
    if any(lg.neurons < min(g.neurons for g in gs) for gs, lg in zip(have, child.layers, strict=False)):
        return "narrower"
    shape = [lg.neurons for lg in child.layers]
    if any(shape == [g.neurons for g in p.layers] for p in (a, b)):
        return "same"
    return "crossover"


def real_triples(ps, ds, cfg: RunConfig) -> list[tuple[Parent, Parent, Chromosome]]:
    """Every merged child of a real GA run with `cfg` (merge `mean`, no control), with its parents."""
    from gaterm.engine.engine import Engine

    cfg = replace(cfg, ga=replace(cfg.ga, merge=True, merge_strategy="mean", paired_control=False, target=None))
    rec = Recorder(ps.merge_strategy("mean"))
    Engine(cfg, ds, rec).run()
    return rec.triples


# ----- statistics ------------------------------------------------------------------------------------------
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
        ratio, lo, hi = paired_ratio_ci(e, fresh_epochs)
        rows.append({
            "strategy": name,
            "n": len(results),
            "epochs": float(e.mean()),
            "epochs_ratio": ratio,
            "epochs_ci": (lo, hi),
            "epochs_p": wilcoxon_p(e, fresh_epochs) if name != FRESH else math.nan,
            "time_ratio": paired_ratio_ci(t, ft)[0],
            "test_gain": float(np.mean(gain[np.isfinite(gain)])) if np.isfinite(gain).any() else math.nan,
            "test_p": wilcoxon_p(m, fm) if name != FRESH else math.nan,
            "val0": float(np.median([r.runs[name].val0 for r in results])),
            "share": (1 - ratio) / (1 - floor) if floor < 1 else math.nan,
            "floor": floor,
            "diverged": sum(r.runs[name].status != "ok" for r in results),
            "merge_ms": 1000 * float(np.mean([r.runs[name].merge_time for r in results])),
            "by_category": {
                c: (sum(r.runs[name].epochs for r in in_case) / sum(r.runs[FRESH].epochs for r in in_case),
                    len(in_case))
                for c in CATEGORIES if (in_case := [r for r in results if r.category == c])
            },
        })
    return rows


def fmt(x: float, spec: str) -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def print_table(ds_name: str, source: str, metric: str, rows: list[dict], wall: float) -> None:
    r0 = rows[0]
    print(f"\n== {ds_name} ({source}): {r0['n']} triples, metric {metric}, floor (patience+1)/mean fresh epochs "
          f"= {r0['floor']:.2f}, wall {wall:.0f}s ==")
    head = (f"{'strategy':<16}{'epochs':>7}{'ratio':>7}{'95% CI':>14}{'p':>8}{'time r':>8}{'dtest(+)':>10}{'p':>8}"
            f"{'val0 med':>10}{'share':>8}{'div':>5}{'merge ms':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ci = "-" if r["strategy"] == FRESH else f"[{fmt(r['epochs_ci'][0], '.2f')}, {fmt(r['epochs_ci'][1], '.2f')}]"
        print(f"{r['strategy']:<16}{r['epochs']:>7.1f}{r['epochs_ratio']:>7.2f}{ci:>14}{fmt(r['epochs_p'], '.3f'):>8}"
              f"{r['time_ratio']:>8.2f}{fmt(r['test_gain'], '+.4f'):>10}{fmt(r['test_p'], '.3f'):>8}"
              f"{fmt(r['val0'], '.3f'):>10}{fmt(100 * r['share'], '.0f') + '%':>8}{r['diverged']:>5}"
              f"{r['merge_ms']:>9.1f}")
    cats = list(r0["by_category"])
    print(f"\nepochs ratio vs fresh by case, total epochs over total fresh epochs ({ds_name}):")
    print(f"{'strategy':<16}" + "".join(f"{c + ' (' + str(r0['by_category'][c][1]) + ')':>15}" for c in cats))
    for r in rows[1:]:
        print(f"{r['strategy']:<16}" + "".join(f"{fmt(r['by_category'][c][0], '.2f'):>15}" for c in cats))


def progress(ds_name: str, t0: float, k: int, total: int, res: TripleResult) -> None:
    f, el = res.runs[FRESH], time.perf_counter() - t0
    print(f"[{ds_name} {k + 1}/{total} {res.category}, {el:.0f}s, eta {el / (k + 1) * (total - k - 1):.0f}s] "
          f"fresh {f.epochs} ep; "
          + " ".join(f"{name} {r.epochs}" for name, r in res.runs.items() if name != FRESH), flush=True)


# ----- main ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    p.add_argument("--datasets", default="wine-quality,mnist-10k")
    p.add_argument("--source", choices=("runs", "cases"), default="runs",
                   help="runs: every merged child of a real GA run (default); cases: synthetic triples cycling "
                   "the six cases")
    p.add_argument("--config", type=Path, default=None,
                   help="GA config of the real run (default: benchmarks/mnist10k.toml for mnist-10k, "
                   "benchmarks/compare.toml otherwise); its training settings apply to every child")
    p.add_argument("--triples", type=int, default=None,
                   help="triples per data set (runs: at most this many, evenly spread over the run's children; "
                   "cases: 24)")
    p.add_argument("--quick", action="store_true",
                   help="smoke check: 3 triples per data set (runs: from a 6 x 2-generation GA run; cases: the "
                   "six cases split between the two data sets, small networks), max 10 epochs, patience 3")
    p.add_argument("--strategies", default=None, help="comma-separated (default: every registered strategy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", type=int, default=1,
                   help="runs source: this many GA runs per data set, seeds --seed, --seed + 1, ... (1)")
    p.add_argument("--max-epochs", type=int, default=None,
                   help="default: the config's (runs) or gaterm's (cases); 10 with --quick")
    p.add_argument("--patience", type=int, default=None,
                   help="default: the config's (runs) or gaterm's (cases); 3 with --quick")
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
    n_triples = args.triples or (3 if args.quick else 24)

    report: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "datasets": {}}
    key: list[str] = []
    for ds_index, ds_name in enumerate(args.datasets.split(",")):
        if args.source == "runs":
            path = args.config or REPO_ROOT / "benchmarks" / CONFIGS.get(ds_name, "compare.toml")
            cfg = load_config(path)
            cfg.dataset, cfg.seed = ds_name, args.seed
        else:
            cfg = RunConfig(dataset=ds_name, seed=args.seed)
        if args.quick:
            cfg.training.max_epochs, cfg.training.patience = 10, 3
            cfg.ga.population, cfg.ga.survivors, cfg.ga.generations = 6, 3, 2
            cfg.genes = replace(cfg.genes, layers=[1, 2, 3], neurons=[10, 20, 30, 40, 50, 60],
                                batch_size=[64, 128])
        if args.max_epochs is not None:
            cfg.training.max_epochs = args.max_epochs
        if args.patience is not None:
            cfg.training.patience = args.patience
        t0 = time.perf_counter()
        ds = open_dataset(ps, ps.dataset(ds_name), cfg, args.data_dir)
        store = cfg.genes.resolve_for_task(ds.task)
        data = DeviceData(ds, "cpu")
        warm_up(data, store.optimizer, store.loss)
        rng = np.random.default_rng([args.seed, zlib.crc32(ds_name.encode())])
        results: list[TripleResult] = []
        skipped = 0

        if args.source == "runs":
            triples = []
            for run in range(args.runs):  # the split is the first seed's: every run searches the same data
                run_cfg = replace(cfg, seed=args.seed + run)
                found = real_triples(ps, ds, run_cfg)
                triples += [(run_cfg.seed, t) for t in found]
                print(f"[{ds_name}] real GA run, seed {run_cfg.seed} ({cfg.ga.population} x "
                      f"{cfg.ga.generations} generations, {time.perf_counter() - t0:.0f}s): "
                      f"{len(found)} merged children", flush=True)
            torch.set_num_threads(args.threads)  # the engine set its own thread count
            n_all = len(triples)
            if args.quick and not args.triples:
                args.triples = 3
            if args.triples and args.triples < n_all:
                triples = [triples[i] for i in np.linspace(0, n_all - 1, args.triples).round().astype(int)]
                print(f"[{ds_name}] {len(triples)} of {n_all} kept, evenly spread", flush=True)
            for k, (run_seed, (a, b, child)) in enumerate(triples):
                res = train_child(k, classify(a.chromosome, b.chromosome, child), a, b, child, data, cfg,
                                  strategies, evaluation_seed(run_seed, 1_000_000 + k))
                results.append(res)
                progress(ds_name, t0, k, len(triples), res)
        else:
            offset = 3 * ds_index if args.quick else 0  # --quick: each data set gets other cases
            for k in range(n_triples):
                category = SYNTHETIC[(offset + k) % len(SYNTHETIC)]
                for attempt in range(5):  # a parent that diverges gives no weights: draw another triple
                    res = run_triple(k * 5 + attempt, category, make_triple(rng, store, category), data, cfg,
                                     strategies, args.seed)
                    if res is not None:
                        break
                    skipped += 1
                if res is None:
                    continue
                results.append(res)
                progress(ds_name, t0, k, n_triples, res)
        rows = summarize(results, [FRESH, *names], cfg.training.patience, ds.higher_is_better)
        wall = time.perf_counter() - t0
        print_table(ds_name, args.source, ds.metric_name, rows, wall)
        if skipped:
            print(f"({skipped} triple(s) redrawn because a parent diverged)")
        report["datasets"][ds_name] = {
            "summary": rows, "triples": [asdict(r) for r in results],
            "max_epochs": cfg.training.max_epochs, "patience": cfg.training.patience,
        }
        for name in names:
            if isinstance(strategies[name], SelectMerge):
                picks = Counter(r.choices.get(name) or "fresh (none finite)" for r in results)
                print(f"{name} picked: " + ", ".join(f"{k} {v}" for k, v in picks.most_common()))
        real = [r for r in rows if r["strategy"] != FRESH]
        best = max(real, key=lambda r: r["share"])
        mean = next((r for r in rows if r["strategy"] == "mean"), None)
        key.append(f"{ds_name}: best {best['strategy']} {100 * best['share']:.0f}% "
                   f"(epochs x{best['epochs_ratio']:.2f}, dtest {fmt(best['test_gain'], '+.4f')})"
                   + (f", mean {100 * mean['share']:.0f}%" if mean else ""))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))
    print("\nKEY share of the possible epoch saving captured (goal >= 60% at equal or better test): "
          + "; ".join(key))


if __name__ == "__main__":
    main()
