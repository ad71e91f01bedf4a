"""Snapshots of the main screens at fixed sizes (120x40 and 80x24). Runs shown are the real tiny run
directories in tests/tui/data, opened by relative path, so the pictures do not depend on timing or machine.

Update with `pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the report before accepting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.helpers import DATA, type_into

SIZES = [(120, 40), (80, 24)]


@pytest.fixture
def with_runs(make_app, monkeypatch):
    """The app with the basic and the merge run directories opened (the merge run shown in the Run tab)."""
    monkeypatch.chdir(DATA)
    return make_app(open_runs=[Path("basic-run"), Path("merge-run")])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_setup_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size)


def test_setup_screen_with_an_invalid_value(snap_compare, make_app):
    async def typo(pilot):
        await type_into(pilot, "genes.optimizer", "adam, rmsprp")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=typo)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_screen_with_an_opened_run(snap_compare, with_runs, size):
    assert snap_compare(with_runs, terminal_size=size, press=["f3"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_compare_screen_merge_vs_basic(snap_compare, with_runs, size):
    assert snap_compare(with_runs, terminal_size=size, press=["f4"])


def test_help_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(120, 40), press=["f1"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_convergence_chart_filling_the_run_tab(snap_compare, with_runs, size):
    assert snap_compare(with_runs, terminal_size=size, press=["f3", "f5"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_lineage_of_a_merged_child(snap_compare, make_app, monkeypatch, size):
    monkeypatch.chdir(DATA)

    async def open_lineage(pilot):
        from gaterm.tui.widgets.tables import EvaluationTable

        await pilot.press("f3")
        await pilot.pause(0.3)
        table = pilot.app.query_one(EvaluationTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("8"))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.5)  # the tree is filled once its height is known

    assert snap_compare(make_app(open_runs=[Path("select-run")]), terminal_size=size, run_before=open_lineage)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_compare_report_of_an_opened_comparison(snap_compare, make_app, monkeypatch, size):
    from conftest import REPO_ROOT

    monkeypatch.chdir(REPO_ROOT)

    async def show_report(pilot):
        app = pilot.app
        await pilot.pause(0.5)  # the report's Markdown is laid out
        app.query_one("#compare-scroll").scroll_to_widget(app.query_one("#compare-report"), animate=False,
                                                          top=True)
        await pilot.pause(0.5)

    app = make_app(open_runs=[Path("sample_runs/compare-wine")])
    assert snap_compare(app, terminal_size=size, run_before=show_report)
