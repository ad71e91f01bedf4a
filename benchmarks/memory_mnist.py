"""Peak memory (RSS) of a default `gaterm --no-ui --dataset mnist-10k` run, measured from outside.

Runs the command in a child process and reads its peak resident set size (getrusage RUSAGE_CHILDREN).
Extra arguments go to gaterm unchanged (e.g. --generations 2 for a shorter run). Prints the peak RSS last.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    extra = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "gaterm", "--no-ui", "--quiet", "--dataset", "mnist-10k",
               "--data-dir", str(REPO.parent / "shared" / "data"), "--out", str(Path(tmp) / "run"), *extra]
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(f"command: gaterm --no-ui --dataset mnist-10k {' '.join(extra)} ({wall:.0f}s)")
    print(f"peak RSS of the run: {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
