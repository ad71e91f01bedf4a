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
