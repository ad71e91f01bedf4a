"""Regenerate the README's screenshots (docs/screenshots/*.svg): two small live runs on digits (merge on, then
off) with the convergence chart and a merged child's lineage, the Compare tab with sample_runs/digits-merge and
sample_runs/digits-basic opened, and the tables of sample_runs/compare-wine.

Usage: python docs/make_screenshots.py   (about a minute on 2 cores; writes runs into a temporary directory)
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from gaterm.config import GAConfig, GeneStore, RunConfig
from gaterm.tui.app import GatermApp
from gaterm.tui.widgets.tables import EvaluationTable

OUT = Path(__file__).resolve().parent / "screenshots"
SAMPLE_RUNS = Path(__file__).resolve().parents[1] / "sample_runs"


def config() -> RunConfig:
    cfg = RunConfig(dataset="digits", seed=1)
    cfg.ga = GAConfig(population=6, survivors=3, generations=3, mutation_prob=0.2, paired_control=True)
    cfg.training.max_epochs = 12
    cfg.training.patience = 4
    cfg.genes = GeneStore(batch_size=[64, 128], layers=[1, 2], neurons=[16, 32, 64])
    return cfg


async def wait(pilot, condition) -> None:
    while not condition():
        await pilot.pause(0.05)


async def shoot() -> None:
    app = GatermApp(config(), runs_root=Path("runs"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.save_screenshot("setup.svg", str(OUT))
        await pilot.press("ctrl+r")
        await wait(pilot, lambda: app.live is not None and len(app.live.evaluations) >= 8)
        app.save_screenshot("run.svg", str(OUT))
        await wait(pilot, lambda: not app.running)
        await pilot.press("f5")  # the convergence chart over the whole Run tab
        await pilot.pause(0.5)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot("convergence.svg", str(OUT))
        await pilot.press("f5")
        table = app.query_one(EvaluationTable)  # the lineage of the last merged child
        last_merged = max(r.id for r in app.live.evaluations if r.merged)
        table.focus()
        table.move_cursor(row=table.get_row_index(str(last_merged)))
        await pilot.press("enter")
        await pilot.pause(0.5)
        app.save_screenshot("lineage.svg", str(OUT))
        await pilot.press("escape")
        await pilot.press("ctrl+g", "ctrl+r")  # the same search with merge off
        await wait(pilot, lambda: not app.running)
        for name in ("digits-basic", "digits-merge"):  # the real default runs, compared side by side
            if (SAMPLE_RUNS / name).is_dir():
                app._open_run_dir(Path(os.path.relpath(SAMPLE_RUNS / name)))
        await pilot.press("f4")
        await pilot.pause(0.5)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot("compare.svg", str(OUT))
        await pilot.press("f3")
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.5)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot("run-80x24.svg", str(OUT))
        await pilot.resize_terminal(120, 40)
        comparison = SAMPLE_RUNS / "compare-wine"
        if (comparison / "compare.json").is_file():  # a comparison's tables
            app._open_run_dir(Path(os.path.relpath(comparison)))
            await pilot.pause(1.0)
            app.query_one("#compare-scroll").scroll_to_widget(app.query_one("#compare-report"), animate=False,
                                                              top=True)
            await pilot.pause(0.5)
            app.clear_notifications()
            await pilot.pause()
            app.save_screenshot("compare-report.svg", str(OUT))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # run directories appear as runs/digits-TIME in the pictures
        asyncio.run(shoot())
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
