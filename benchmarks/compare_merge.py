"""The study's experiment, repeated properly: `gaterm compare` (basic vs merge, paired fresh-init control on)
on real data, as a user runs it. Prints, last, per data set: the merge/basic ratio of mean fitness time
(generations >= 1) with its 95% CI and Mann-Whitney p, the paired merged/fresh ratios of epochs and time with
Wilcoxon p, the result differences, the early-stopping floor and the share of the possible saving captured.

Defaults: wine-quality, 3 seeds, strategies mean (the study's) and select (gaterm's default),
benchmarks/compare.toml (the study's GA with population 16, survivors 8, 6 generations), both cores
(--workers 2). Extra arguments go to `gaterm compare`
unchanged, e.g.
    python benchmarks/compare_merge.py --datasets boston
    python benchmarks/compare_merge.py --datasets mnist-10k --seeds 2 --config benchmarks/mnist10k.toml
    python benchmarks/compare_merge.py --out sample_runs/compare-wine   # keep the comparison directory
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    extra = sys.argv[1:]
    defaults = {"--datasets": "wine-quality", "--seeds": "3", "--workers": "2", "--strategies": "mean,select",
                "--config": str(REPO / "benchmarks" / "compare.toml"),
                "--data-dir": str(REPO.parent / "shared" / "data")}
    args = [a for k, v in defaults.items() if k not in extra for a in (k, v)] + extra
    with tempfile.TemporaryDirectory() as tmp:
        if "--out" not in extra:
            args += ["--out", str(Path(tmp) / "cmp")]
        out = Path(args[args.index("--out") + 1])
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "gaterm", "compare", "--quiet", *args],
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            sys.exit(proc.stderr.strip())
        data = json.loads((out / "compare.json").read_text())
    print(f"gaterm compare {' '.join(args)}")
    print(f"wall time {wall:.0f}s ({wall / 60:.1f} min)")
    for line in proc.stdout.strip().splitlines()[-len(data["results"]) * len(data["strategies"]):]:
        print(line)


if __name__ == "__main__":
    main()
