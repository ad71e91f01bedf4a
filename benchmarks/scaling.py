"""Scaling: one generation of 20 evaluations with --workers 1 against --workers 2 (goal >= 1.6x on 2 cores).

Runs `gaterm --no-ui` as a user would (same seed, so the same 20 networks), wall time from process start to
exit, worker start-up included; checks that both runs produced identical results. Prints the speed-up last.
Usage: python benchmarks/scaling.py [--dataset wine-quality] [--data-dir ../shared/data] [--population 20]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: argparse.Namespace, workers: int, out: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gaterm", "--no-ui", "--quiet", "--dataset", args.dataset,
                    "--data-dir", args.data_dir, "--population", str(args.population), "--survivors", "2",
                    "--generations", "1", "--seed", str(args.seed), "--workers", str(workers), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def engine_seconds(out: Path) -> float:
    import json

    return float(json.loads((out / "summary.json").read_text())["total_duration_s"])


def results(out: Path) -> list[tuple[str, ...]]:
    with open(out / "evaluations.csv", newline="") as f:
        return [(r["id"], r["metric"], r["n_epochs"], r["genes"]) for r in csv.DictReader(f)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="wine-quality")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--population", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t1 = run(args, 1, Path(tmp) / "w1")
        t2 = run(args, 2, Path(tmp) / "w2")
        same = results(Path(tmp) / "w1") == results(Path(tmp) / "w2")
        e1, e2 = engine_seconds(Path(tmp) / "w1"), engine_seconds(Path(tmp) / "w2")
    print(f"{args.dataset}, {args.population} evaluations: --workers 1 {t1:.1f}s, --workers 2 {t2:.1f}s, "
          f"identical results: {same}")
    print(f"engine only (summary total_duration_s, no process start-up): {e1:.1f}s vs {e2:.1f}s, {e1 / e2:.2f}x")
    print(f"speed-up --workers 2 over --workers 1: {t1 / t2:.2f}x (goal >= 1.6x)")


if __name__ == "__main__":
    main()
