"""The TUI driven by Pilot as a user would: set up, run on digits, stop, save/load, open and compare runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select, Static

from gaterm.config import load_config
from gaterm.rundir.reader import read_run_dir
from gaterm.tui.screens.help import HelpScreen
from gaterm.tui.screens.prompt import PathPrompt
from gaterm.tui.widgets.charts import CompareChart, FitnessHistogram
from gaterm.tui.widgets.setup import input_id
from gaterm.tui.widgets.tables import EvaluationTable, GenerationTable, RunsTable
from tui.helpers import DATA, enter_path, stopped_summary, tui_config, type_into, wait_until


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def message(app) -> str:
    return str(app.query_one("#setup-message", Static).render())


def text_of(widget) -> str:
    return str(widget.render())


async def test_edit_genes_and_parameters_then_run_on_digits(make_app, tmp_path):
    app = make_app(tui_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "genes.neurons", "8, 12")
        await type_into(pilot, "ga.generations", "2")
        assert "✓ ready" in message(app) and "6 evaluations over 2 generations" in message(app)
        await pilot.press("ctrl+r")
        assert app.live is not None  # started
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause()

        run = app.live
        assert run.stop_reason == "generations", text_of(app.query_one("#run-status"))
        table = app.query_one(EvaluationTable)
        assert table.row_count == 6 and table.metric_name == "accuracy"  # the column named once RunStarted
        assert [str(k.value) for k in table.rows] == [str(i) for i in range(6)]  # keyed by individual id
        best = run.best
        assert best is not None and table.best_id == best.id
        assert str(table.get_cell(str(best.id), "id")) == f"★{best.id}"
        genes_cells = [str(table.get_cell(str(i), "genes")) for i in range(6)]
        assert all(c.split("|")[1].split()[0][:-4] in ("8", "12") for c in genes_cells)  # the edited store
        assert [str(table.get_cell(str(i), "parents")) for i in (4, 5)] != ["-", "-"]
        assert app.query_one(GenerationTable).row_count == 2

        histogram = text_of(app.query_one("#run-histogram", FitnessHistogram))
        assert "n=6" in histogram and "skewness" in histogram
        counts = [int(line.split("|")[1].split()[0]) for line in histogram.splitlines()[4:]]
        assert sum(counts) == 6
        assert "n=6" in text_of(app.query_one(CompareChart))

    # the run directory is exactly what headless writes, with the edited values
    out = run.path
    assert out is not None and out.parent == tmp_path / "runs"
    evals = rows(out / "evaluations.csv")
    assert len(evals) == 6 and all(r["genes"].split("|")[1].split()[0] in ("8", "12") for r in evals)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["evaluations"] == 6 and summary["stop_reason"] == "generations" and summary["merge"] is True
    cfg = load_config(out / "config.toml")
    assert cfg.genes.neurons == [8, 12] and cfg.ga.generations == 2
    # what the UI showed is what the run directory holds
    on_disk = read_run_dir(out)
    assert on_disk.evaluations == run.evaluations and on_disk.generations == run.generations


@pytest.mark.parametrize(
    "key, text, expected",
    [
        ("ga.population", "ten", "ga.population: expected an integer, got 'ten'"),
        ("ga.survivors", "4", "ga.survivors: must be smaller than ga.population (4), or no children are bred"),
        ("ga.mutation_prob", "1.5", "ga.mutation_prob: must be between 0 and 1"),
        ("training.patience", "", "training.patience: enter a value"),
        ("genes.optimizer", "adam, adamm", "genes.optimizer: unknown optimizer 'adamm' (did you mean 'adam'?)"),
        ("genes.neurons", "8 x", "genes.neurons[1]: expected an integer, got 'x'"),
        ("genes.layers", "", "genes.layers: must list at least one value"),
        ("genes.loss", "mse", "genes.loss: 'mse' is not a classification loss; choose from cross_entropy"),
        ("training.merged_patience", "-1", "training.merged_patience: must be >= 0 (0: the same as patience)"),
    ],
)
async def test_invalid_input_shows_its_message_and_cannot_start(make_app, tmp_path, key, text, expected):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, key, text)
        assert message(app) == f"✗ {expected}"
        assert app.query_one(f"#{input_id(key)}", Input).has_class("-bad")
        assert app.check_action("start_run", ()) is None  # greyed out in the footer
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.running and app.live is None
        app.action_start_run()  # from the command palette: refused with the same message
        await pilot.pause()
        assert not app.running and app.live is None
    assert not (tmp_path / "runs").exists()


async def test_fixing_the_input_clears_the_message(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "ga.survivors", "9")
        assert message(app).startswith("✗ ga.survivors")
        await type_into(pilot, "ga.population", "10")
        assert message(app).startswith("✓ ready")
        assert not app.query_one(f"#{input_id('ga.survivors')}", Input).has_class("-bad")
        assert app.check_action("start_run", ()) is True


async def test_stop_during_a_run_leaves_a_valid_run_directory(make_app):
    app = make_app(tui_config(max_epochs=80, patience=80))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.live is not None and len(app.live.evaluations) >= 1)
        await pilot.press("ctrl+t")
        # until the engine notices (at the end of the epoch in progress), the status says it is stopping
        assert "stopping" in text_of(app.query_one("#run-status")) or not app.running
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause()
        assert app.live.stop_reason == "cancelled"
        assert "stopped (cancelled)" in text_of(app.query_one("#run-status"))
        assert app.check_action("start_run", ()) is True and app.check_action("stop_run", ()) is None
    out = app.live.path
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "cancelled"
    evals = rows(out / "evaluations.csv")
    assert len(evals) == summary["evaluations"] >= 1
    assert len(evals) < 4 + 2 * 2
    assert (out / "config.toml").is_file() and (out / "generations.csv").is_file()


async def test_toggle_merge_with_one_key(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        box = app.query_one("#merge", Checkbox)
        assert box.value is True
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert box.value is False and app.query_one("#merge-strategy", Select).disabled
        assert "merge off" in message(app) and app.setup_pane.config.ga.merge is False
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.setup_pane.config.ga.merge is True


async def test_an_async_pruned_run_under_a_time_budget_from_the_form(make_app):
    """The schedule, pruning, the time budget and the merged children's patience are set in the form, by keys,
    and the run follows them."""
    app = make_app(tui_config(max_epochs=15, patience=6))
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#schedule", Select).focus()
        await pilot.press("enter", "down", "enter")  # open the list, pick "async"
        app.query_one("#prune", Checkbox).focus()
        await pilot.press("space")
        app.query_one("#dedupe", Checkbox).focus()
        await pilot.press("space")
        await type_into(pilot, "ga.time_budget_s", "600")
        await type_into(pilot, "training.merged_patience", "1")
        assert "async, pruning, no copies, 8 evaluations over 3 generations, time budget 600 s" in message(app)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause()
        out = app.live.path
    cfg = load_config(out / "config.toml")
    assert (cfg.ga.schedule, cfg.training.prune, cfg.ga.time_budget_s, cfg.training.merged_patience) == (
        "async", True, 600.0, 1) and cfg.ga.dedupe is True
    evals = rows(out / "evaluations.csv")
    assert len(evals) == 8 and json.loads((out / "summary.json").read_text())["stop_reason"] == "generations"
    stopped = [r for r in evals if r["status"] == "ok" and int(r["n_epochs"]) < cfg.training.max_epochs]
    assert {int(r["n_epochs"]) - int(r["best_epoch"]) for r in stopped if r["merged"] == "1"} == {1}
    fresh = [r for r in evals if r["merged"] == "0"]  # generation 0 keeps patience 6: by it, max epochs or pruning
    assert all(int(r["n_epochs"]) - int(r["best_epoch"]) == 6 or int(r["n_epochs"]) == cfg.training.max_epochs
               or r["status"] == "pruned" for r in fresh)


async def test_save_and_load_the_configuration(make_app, tmp_path, monkeypatch):
    path = tmp_path / "search.toml"
    monkeypatch.chdir(tmp_path)  # the typed path is relative, as a user's would be (and short to type)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "ga.mutation_prob", "0.25")
        await type_into(pilot, "genes.activation", "relu tanh")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
        await pilot.press("home", "ctrl+k", *path.name, "enter")
        await pilot.pause()
        assert not isinstance(app.screen, PathPrompt)
        saved = load_config(path)  # the file `gaterm --no-ui --config` reads
        assert saved.ga.mutation_prob == 0.25 and saved.genes.activation == ["relu", "tanh"]
        assert saved == app.setup_pane.config

        await type_into(pilot, "ga.mutation_prob", "0.5")
        await pilot.press("ctrl+l")
        await pilot.pause()
        await enter_path(pilot, tmp_path / "missing.toml")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)  # stays open, says why
        assert "config file not found" in text_of(app.screen.query_one("#prompt-error"))
        await enter_path(pilot, path)
        await pilot.pause()
        assert not isinstance(app.screen, PathPrompt)
        assert app.query_one(f"#{input_id('ga.mutation_prob')}", Input).value == "0.25"
        assert app.query_one(f"#{input_id('genes.activation')}", Input).value == "relu, tanh"
        assert app.setup_pane.config == saved

        # the schedule, pruning, budget and children's patience load too; a schedule the form does not know
        # is shown as it is, with the config's own message, not a crash
        (tmp_path / "async.toml").write_text('[ga]\nschedule = "Async"\ntime_budget_s = 30\ndedupe = true\n'
                                             '[training]\nprune = true\nmerged_patience = 3\n')
        await pilot.press("ctrl+l")
        await pilot.pause()
        await enter_path(pilot, tmp_path / "async.toml")
        await pilot.pause()
        assert message(app) == "✗ ga.schedule: must be one of generational, async, got 'Async' (did you mean 'async'?)"
        assert app.query_one("#prune", Checkbox).value is True and app.query_one("#dedupe", Checkbox).value is True
        assert app.query_one(f"#{input_id('ga.time_budget_s')}", Input).value == "30.0"
        assert app.query_one(f"#{input_id('training.merged_patience')}", Input).value == "3"
        app.query_one("#schedule", Select).value = "async"
        await pilot.pause()
        cfg = app.setup_pane.config
        assert (cfg.ga.schedule, cfg.training.prune, cfg.ga.time_budget_s, cfg.training.merged_patience) == (
            "async", True, 30.0, 3) and cfg.ga.dedupe is True


async def test_open_run_directories_browse_and_compare(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await enter_path(pilot, tmp_path)
        await pilot.pause()
        assert "not a gaterm run directory" in text_of(app.screen.query_one("#prompt-error"))
        await enter_path(pilot, DATA / "merge-run")
        await pilot.pause()
        table = app.query_one(EvaluationTable)
        assert table.row_count == 6 and table.metric_name == "accuracy"
        status = text_of(app.query_one("#run-status"))
        assert "finished all generations" in status and "merge-run" in status and "best accuracy" in status
        chart = text_of(app.query_one(CompareChart))
        assert "merge: merge-run" in chart and "Run or open a basic (merge off) run" in chart

        await pilot.press("ctrl+o")
        await pilot.pause()
        await enter_path(pilot, DATA / "basic-run")
        await pilot.pause()
        chart = text_of(app.query_one(CompareChart))
        assert "merge vs basic" in chart
        assert "merge: merge-run" in chart and "basic: basic-run" in chart
        header = chart.splitlines()[2:4]  # a column per run: its count and mean, then its skewness
        for run_dir in ("merge-run", "basic-run"):
            summary = json.loads((DATA / run_dir / "summary.json").read_text())
            assert f"mean {summary['fitness_time_mean_s']:.2f}s" in header[0]
            assert f"skewness {summary['fitness_time_skewness']:.2f}" in header[1]
        assert "total duration per run" in chart
        assert "basic basic-run" in chart and "merge merge-run" in chart
        runs = app.query_one(RunsTable)
        assert runs.row_count == 2

        # `v` on a row shows that run in the Run tab
        await pilot.press("f4")
        runs.focus()
        runs.move_cursor(row=1)
        await pilot.press("v")
        await pilot.pause()
        assert app.viewed is not None and app.viewed.label == "basic-run"
        assert app.query_one("#tabs").active == "run"


async def test_help_screen_and_command_palette(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Start run", "Stop run", "Toggle merge", "Save configuration", "Load configuration",
                      "Open run directory", "Help"):
            assert title in titles
        # every binding shown in the footer has a description and a stable id
        for binding in app.BINDINGS:
            assert binding.description and binding.id


async def test_tabs_switch_with_function_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key, tab in (("f3", "run"), ("f4", "compare"), ("f2", "setup")):
            await pilot.press(key)
            await pilot.pause()
            assert app.query_one("#tabs").active == tab


async def test_a_failing_run_is_shown_as_an_error_not_a_crash(make_app, tmp_path):
    from gaterm.datasets import DatasetSpec
    from gaterm.errors import DataError
    from gaterm.plugins import load_plugins

    def broken(ctx):
        raise DataError("broken.csv not found in /nowhere; get it from https://example.org/broken.csv")

    plugins = load_plugins()  # a private plugin set: the session's stays untouched
    plugins.datasets.add(DatasetSpec("broken", "classification", "a data set whose file is missing", broken))
    cfg = tui_config()
    cfg.dataset = "broken"
    app = make_app(cfg, plugins=plugins)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause()
        status = text_of(app.query_one("#run-status"))
        assert "✗ error: broken.csv not found in /nowhere" in status
        assert app.check_action("start_run", ()) is True  # the app goes on; the next run can start
    assert not (tmp_path / "runs").exists()  # nothing was started, so no run directory


async def test_quitting_during_a_run_stops_it_and_keeps_its_directory(make_app):
    app = make_app(tui_config(max_epochs=80, patience=80))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.live is not None and len(app.live.evaluations) >= 1)
        await pilot.press("ctrl+q")
    assert (await stopped_summary(app.live.path))["stop_reason"] == "cancelled"


async def test_an_engine_that_fails_before_starting_shows_its_own_error(make_app, monkeypatch, tmp_path):
    from gaterm.engine import backends
    from gaterm.errors import GatermError

    def fail(self, *args, **kw):
        raise GatermError("scheduler tcp://nowhere:8786 is unreachable")

    monkeypatch.setattr(backends.SerialBackend, "start", fail)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause()
        assert "✗ error: scheduler tcp://nowhere:8786 is unreachable" in text_of(app.query_one("#run-status"))


async def test_the_ui_resumes_a_stopped_run_to_the_uninterrupted_result(make_app, plugin_set, tmp_path, monkeypatch):
    from gaterm.cli.run import build_parser, resolve
    from gaterm.engine.engine import Engine
    from gaterm.session import open_dataset
    from gaterm.tui.app import GatermApp

    cfg = tui_config(max_epochs=6, patience=6)
    cfg.ga.generations = 8
    app = make_app(cfg)
    # each generation's checkpoint takes a moment, so the tiny run cannot finish before the UI has seen five
    # evaluations and asked it to stop (on an idle machine it otherwise could)
    monkeypatch.setenv("GATERM_FAULT_CHECKPOINT_DELAY_S", "0.3")

    def five_then_stop() -> bool:  # stop the moment the UI has seen five evaluations (generation 1)
        if app.live is not None and len(app.live.evaluations) >= 5:
            app.action_stop_run()
            return True
        return False

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, five_then_stop)
        await wait_until(pilot, lambda: not app.running)
    out = app.live.path
    assert json.loads((out / "summary.json").read_text())["stop_reason"] == "cancelled"

    monkeypatch.delenv("GATERM_FAULT_CHECKPOINT_DELAY_S")
    cfg_r, out_r, state_r, lock_r = resolve(build_parser().parse_args(["--resume", str(out)]))
    resumed = GatermApp(cfg_r, out=out_r, resume_state=state_r, resume=True, out_lock=lock_r)
    async with resumed.run_test(size=(120, 40)) as pilot:  # starts at once, from the last checkpoint
        await wait_until(pilot, lambda: resumed.live is not None and resumed.live.stop_reason is not None)
        assert resumed.live.stop_reason == "generations"

    cfg_ref = tui_config(max_epochs=6, patience=6)
    cfg_ref.ga.generations = 8
    reference = Engine(cfg_ref, open_dataset(plugin_set, plugin_set.dataset("digits"), cfg_ref, None),
                       plugin_set.merge_strategy(cfg_ref.ga.merge_strategy)).run()
    got = [(r["id"], r["genes"], r["metric"], r["parent_a"]) for r in rows(out / "evaluations.csv")]
    want = [(str(r.id), r.genes, repr(r.metric), "" if r.parent_a is None else str(r.parent_a))
            for r in reference.records]
    assert got == want


async def test_a_comparison_directory_opens_every_arm_and_compares_basic_with_merge(make_app):
    from conftest import REPO_ROOT

    comparison = REPO_ROOT / "sample_runs" / "compare-boston"
    if not (comparison / "compare.json").is_file():
        pytest.skip("sample comparison not present")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app._open_run_dir(comparison) is None
        await pilot.pause()
        labels = sorted(r.label for r in app.runs.values())
        arms = ("basic", "merge-mean", "merge-select")
        assert labels == [f"boston/seed-{s}/{arm}" for s in range(3) for arm in arms]
        assert app.runs[app.compared["basic"]].label == "boston/seed-0/basic"
        assert app.runs[app.compared["merge"]].label == "boston/seed-0/merge-select"  # the default strategy's
