"""Responsiveness of the terminal UI while the engine trains in its worker thread.

A probe thread plays the terminal's input thread: at random intervals it posts a key event to the app exactly
as Textual's driver does (`App.post_message` from another thread). The key is bound to an action that changes
the header (so the screen must be redrawn). For each press we record

- key -> handled: until the bound action runs on the UI's event loop;
- key -> screen:  until the first screen refresh after it (`call_after_refresh`), i.e. the frame showing it.

Samples count only while the engine is training (after its RunStarted event, before it finishes). An idle
baseline (no run) is measured first. The app runs on Textual's headless driver at 120x40: frames are composed
as in a terminal but not written to one. The issue's goal: key -> screen under 50 ms at the 95th percentile on
2 cores.

Usage: python benchmarks/tui_responsiveness.py [--seconds 25] [--population 8] [--max-epochs 30]
Prints the key-to-screen p95 during training last.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType

from gaterm.config import GAConfig, GeneStore, RunConfig
from gaterm.tui.app import GatermApp

PROBE_KEY = "f12"


class ProbeApp(GatermApp):
    BINDINGS: ClassVar[list[BindingType]] = [
        *GatermApp.BINDINGS, Binding(PROBE_KEY, "probe", "Probe", show=False, id="bench.probe")]

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.sent_at = 0.0
        self.handled: list[tuple[float, bool]] = []  # (seconds, engine training at the time)
        self.painted: list[tuple[float, bool]] = []
        self.done = threading.Event()
        self._count = 0

    @property
    def training(self) -> bool:
        return self.running and self.live is not None and self.live.metric_name != "metric"

    def action_probe(self) -> None:
        t = time.perf_counter()
        training = self.training
        self.handled.append((t - self.sent_at, training))
        self._count += 1
        self.sub_title = f"probe {self._count}"  # something on screen changes

        def painted() -> None:
            self.painted.append((time.perf_counter() - self.sent_at, training))
            self.done.set()

        self.call_after_refresh(painted)


def probe(app: ProbeApp, stop: threading.Event, rng: random.Random) -> None:
    """The 'terminal input thread': one key at a time, 20-80 ms apart, each after the last was painted."""
    while not stop.is_set():
        time.sleep(rng.uniform(0.02, 0.08))
        app.done.clear()
        app.sent_at = time.perf_counter()
        app.post_message(events.Key(PROBE_KEY, None))
        app.done.wait(timeout=5.0)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def describe(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    if not ms:
        return f"{name}: no samples"
    return (f"{name}: n={len(ms)}  median {statistics.median(ms):.1f} ms  p95 {pct(ms, 95):.1f} ms  "
            f"p99 {pct(ms, 99):.1f} ms  max {max(ms):.1f} ms")


async def measure(args: argparse.Namespace, out_root: Path) -> tuple[ProbeApp, float]:
    cfg = RunConfig(dataset="digits", seed=0)
    cfg.ga = GAConfig(population=args.population, survivors=args.population // 2, generations=20)
    cfg.training.max_epochs = args.max_epochs
    cfg.training.patience = args.max_epochs
    cfg.genes = GeneStore(batch_size=[16, 32, 64], layers=[1, 2, 3], neurons=[32, 64, 128, 200])
    app = ProbeApp(cfg, runs_root=out_root)
    rng = random.Random(0)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()  # the background import of torch and the engine
        # idle baseline
        stop = threading.Event()
        t = threading.Thread(target=probe, args=(app, stop, rng), daemon=True)
        t.start()
        await asyncio.sleep(3.0)
        stop.set()
        await asyncio.to_thread(t.join)
        # during training
        await pilot.press("ctrl+r")
        while not app.training and app.running:
            await asyncio.sleep(0.05)
        stop = threading.Event()
        t = threading.Thread(target=probe, args=(app, stop, rng), daemon=True)
        t.start()
        started = time.perf_counter()
        while app.training and time.perf_counter() - started < args.seconds:
            await asyncio.sleep(0.1)
        trained_for = time.perf_counter() - started
        stop.set()
        await asyncio.to_thread(t.join)
        await pilot.press("ctrl+t")
        while app.running:
            await asyncio.sleep(0.05)
    return app, trained_for


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=25.0, help="how long to probe while training")
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--max-epochs", type=int, default=30)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, trained_for = asyncio.run(measure(args, Path(tmp)))
        evaluations = len(app.live.evaluations) if app.live else 0
    idle_h = [v for v, tr in app.handled if not tr]
    idle_p = [v for v, tr in app.painted if not tr]
    busy_h = [v for v, tr in app.handled if tr]
    busy_p = [v for v, tr in app.painted if tr]
    print(f"probed {trained_for:.1f} s of training ({evaluations} evaluations finished, digits, "
          f"population {args.population}, up to {args.max_epochs} epochs each)")
    print(describe("idle      key -> handled", idle_h))
    print(describe("idle      key -> screen ", idle_p))
    print(describe("training  key -> handled", busy_h))
    print(describe("training  key -> screen ", busy_p))
    p95 = pct([v * 1000 for v in busy_p], 95) if busy_p else float("nan")
    print(f"key-press-to-screen-update latency while training, p95: {p95:.1f} ms (goal: < 50 ms)")


if __name__ == "__main__":
    main()
