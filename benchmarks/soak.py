"""Soak: memory of a very long run. 100 generations of a small population on digits, written to a run directory
as `gaterm --no-ui` writes it (rows, a checkpoint per generation, the summary), in this process.

Reports, at generations 10, 50 and 100: the process's peak resident set size (VmHWM), its current RSS (VmRSS),
the size of `checkpoint.pt` and the records the engine holds. Flat peak RSS is the goal; the checkpoint and the
records grow by design (the checkpoint holds every record, so a resumed run can rewrite its CSV rows).
Usage: python benchmarks/soak.py [GENERATIONS]. Prints its figure (peak RSS at the last generation) last.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "plugins"))


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main() -> None:
    from gaterm.config import GAConfig, GeneStore, RunConfig
    from gaterm.events import GenerationFinished
    from gaterm.rundir.files import CHECKPOINT
    from gaterm.rundir.writer import RunWriter
    from gaterm.session import make_engine, open_dataset, open_plugins

    generations = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    marks = sorted({m for m in (10, 50, 100, generations) if m <= generations})
    cfg = RunConfig(dataset="digits", seed=0)
    cfg.ga = GAConfig(population=6, survivors=3, generations=generations, mutation_prob=0.2, merge=True,
                      merge_strategy="mean")
    cfg.training.max_epochs = 2
    cfg.training.patience = 1
    cfg.genes = GeneStore(optimizer=["adam", "rmsprop"], learning_rate=[0.005, 0.01], batch_size=[128, 256],
                          layers=[1, 2], neurons=[8, 16], activation=["relu", "tanh"])
    ps = open_plugins()
    dataset = open_dataset(ps, ps.dataset(cfg.dataset), cfg, None)
    rows: list[tuple[int, float, float, float, int]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        engine_box: list = []

        def watch(event) -> None:
            if isinstance(event, GenerationFinished) and event.summary.generation + 1 in marks:
                ckpt = out / CHECKPOINT
                size = ckpt.stat().st_size / 1024 if ckpt.exists() else 0.0
                rows.append((event.summary.generation + 1, _status_kib("VmHWM") / 1024, _status_kib("VmRSS") / 1024,
                             size, len(engine_box[0]._records)))

        writer = RunWriter(out)
        engine = make_engine(cfg, dataset, ps.merge_strategy("mean"), [writer, watch])
        engine_box.append(engine)
        result = engine.run()
    wall = time.perf_counter() - t0
    print(f"command: python benchmarks/soak.py {generations}  (digits, population 6, survivors 3, max_epochs 2, "
          f"merge mean; {len(result.records)} evaluations, {wall:.0f}s)")
    print("generation  peak RSS MiB  RSS MiB  checkpoint KiB (before this generation's)  records")
    for gen, peak, rss, size, n in rows:
        print(f"{gen:10d}  {peak:12.1f}  {rss:7.1f}  {size:42.1f}  {n:7d}")
    print(f"peak RSS at generation {rows[-1][0]}: {rows[-1][1]:.1f} MiB "
          f"(generation {rows[0][0]}: {rows[0][1]:.1f} MiB)")


if __name__ == "__main__":
    main()
