"""The views that show the search, driven by Pilot: convergence charts, lineage, an opened comparison's tables,
and remapped keys."""

from __future__ import annotations

import json
import shutil

import pytest
from textual.widgets import Markdown, Tree

from gaterm.cli import main
from gaterm.rundir.reader import read_run_dir
from gaterm.tui.keys import KeysError, load_keymap
from gaterm.tui.model import FITNESS_CLOCK, best_so_far
from gaterm.tui.screens.help import HelpScreen
from gaterm.tui.screens.lineage import LineageScreen
from gaterm.tui.widgets.charts import ConvergenceChart
from gaterm.tui.widgets.tables import EvaluationTable
from tui.helpers import DATA


def text_of(widget) -> str:
    return str(widget.render())


def markdown_text(md: Markdown) -> str:
    return md.source


async def test_the_convergence_chart_draws_the_run_directorys_best_so_far_series(make_app):
    app = make_app(open_runs=[DATA / "basic-run", DATA / "merge-run"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chart = app.query_one("#run-convergence", ConvergenceChart)
        on_disk = read_run_dir(DATA / "merge-run")
        (series,) = chart.series
        assert series.x_label == FITNESS_CLOCK
        rows = sorted(on_disk.evaluations, key=lambda r: r.id)
        times, total = [], 0.0
        for r in rows:
            total += r.training_time
            times.append(total)
        assert chart.points(series) == list(zip(times, best_so_far(rows, on_disk.higher_is_better), strict=False))
        # at each generation's end, the best so far is generations.csv's
        by_x = dict(chart.points(series))
        for g in on_disk.generations:
            last = max(i for i, r in enumerate(rows) if r.generation == g.generation)
            assert by_x[times[last]] == g.best_so_far_metric
        assert "best accuracy so far" in text_of(chart) and "summed fitness time" in text_of(chart)

        await pilot.press("f6")  # against the evaluation count
        await pilot.pause()
        assert [x for x, _ in chart.points(series)] == [float(i) for i in range(1, len(rows) + 1)]
        assert "evaluations" in text_of(chart)

        await pilot.press("f5")  # the chart fills the Run tab
        await pilot.pause()
        assert app.query_one("#run-main").has_class("-zoom") and not app.query_one(EvaluationTable).display

        # the Compare tab overlays the compared runs on shared axes
        compare = app.query_one("#compare-convergence", ConvergenceChart)
        assert [c.label for c in compare.series] == ["merge: merge-run", "basic: basic-run"]
        assert "merge: merge-run" in text_of(compare) and "basic: basic-run" in text_of(compare)


async def test_the_lineage_of_a_merged_child_shows_parents_strategy_and_paired_control(make_app):
    app = make_app(open_runs=[DATA / "select-run"])
    run = read_run_dir(DATA / "select-run")
    child = next(r for r in run.evaluations if r.id == 8)
    assert child.merged and child.merge_notes["strategy"] == "select"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        table = app.query_one(EvaluationTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("8"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LineageScreen)
        card = text_of(app.screen.query_one("#lineage-card"))
        assert "made: crossover of #5 0.9805, #6 0.9805" in card
        choice = child.merge_notes["choice"]
        assert f"merge strategy: select · chose {choice}" in card
        for name, loss in child.merge_notes["val_losses"].items():
            assert f"{name} {loss:.4g}" in card
        assert (f"paired control (same child from a fresh init, same seed and data order): "
                f"{child.control_n_epochs} epochs, accuracy {child.control_metric:.4f}") in card
        assert f"training: {child.n_epochs} epochs" in card
        tree = app.screen.query_one("#lineage-tree", Tree)
        assert [n.data for n in tree.root.children] == [5, 6]  # its parents
        assert [n.data for n in tree.root.children[1].children] == [5, 4]  # #6's parents: grandparents
        assert "select→" in str(tree.root.children[0].label)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LineageScreen)


async def test_an_opened_comparison_shows_its_report_tables(make_app):
    from conftest import REPO_ROOT

    comparison = REPO_ROOT / "sample_runs" / "compare-wine"
    if not (comparison / "compare.json").is_file():
        pytest.skip("sample comparison not present")
    data = json.loads((comparison / "compare.json").read_text())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app._open_run_dir(comparison) is None
        await pilot.pause()
        report = app.query_one("#compare-report", Markdown)
        assert report.display
        text = markdown_text(report)
        assert "Table 1, as in the study" in text and "Per seed" in text and "Paired control" in text
        arms = data["results"]["wine-quality"]["arms"]
        assert (f"| seed 1: test mae of the best by validation | {arms['basic']['best_test_metric_per_seed']['1']:.4f} |"
                in text)
        nz = data["results"]["wine-quality"]["comparisons"]["merge-select"]["gen1_normalized"]
        assert f"{nz['time_ratio']:.3f} [{nz['time_ratio_ci'][0]:.3f}, {nz['time_ratio_ci'][1]:.3f}]" in text
        paired = data["results"]["wine-quality"]["comparisons"]["merge-select"]["paired"]
        lo, hi = paired["epochs_ratio_ci"]
        assert f"{paired['epochs_ratio']:.3f} [{lo:.3f}, {hi:.3f}]" in text


async def test_a_comparison_from_an_older_version_shows_what_is_there(make_app, tmp_path):
    comparison = tmp_path / "old-compare"
    shutil.copytree(DATA / "basic-run", comparison / "digits" / "seed-0" / "basic")
    (comparison / "compare.json").write_text(json.dumps({
        "datasets": ["digits"],
        "results": {"digits": {"arms": {"basic": {"all": {"fitness_time_mean_s": 1.25}}, "merge-mean": 7},
                               "comparisons": {"merge-mean": {"paired": {"pairs": 3}}}}},
    }))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app._open_run_dir(comparison) is None
        await pilot.pause()
        text = markdown_text(app.query_one("#compare-report", Markdown))
        assert "| average fitness time (s) | 1.250 | n/a |" in text
        assert "| pairs (excluded) | 3 (n/a) |" in text
    (comparison / "compare.json").write_text("{not json")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app._open_run_dir(comparison) is None
        await pilot.pause()
        assert "cannot read" in markdown_text(app.query_one("#compare-report", Markdown))


async def test_a_remapped_key_works_and_the_help_screen_lists_it(make_app, tmp_path):
    from gaterm.tui.app import binding_ids

    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\n"tab.compare" = "f9"\n"help" = "f10"\n')
    keymap = load_keymap(keys, binding_ids())
    assert keymap == {"tab.compare": "f9", "help": "f10"}
    app = make_app(keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert app.query_one("#tabs").active == "compare"
        await pilot.press("f4")  # the old key no longer does it
        await pilot.pause()
        assert app.query_one("#tabs").active == "compare"
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.query_one(Markdown).source
        assert "| `f9` | Compare" in help_text and "| `f10` | Help" in help_text


def test_an_unknown_binding_id_is_a_one_line_error(tmp_path, capsys):
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\n"run.strat" = "ctrl+e"\n')
    with pytest.raises(KeysError, match="unknown binding id 'run.strat'; known ids: .*run.start"):
        load_keymap(keys, ["run.start", "run.stop"])
    assert main(["--keys", str(keys)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown binding id 'run.strat'" in err[0]
    assert main(["--keys", str(tmp_path / "missing.toml")]) == 2
    assert "keys file not found" in capsys.readouterr().err


def test_the_default_keys_file_is_optional(tmp_path, monkeypatch):
    import gaterm.tui.keys as keys_module

    monkeypatch.setattr(keys_module, "default_keys_path", lambda: tmp_path / "nowhere" / "keys.toml")
    assert load_keymap(None, ["run.start"]) == {}
    path = tmp_path / "keys.toml"
    path.write_text('[keys]\n"run.start" = "ctrl+e"\n')
    monkeypatch.setattr(keys_module, "default_keys_path", lambda: path)
    assert load_keymap(None, ["run.start"]) == {"run.start": "ctrl+e"}
