"""`gaterm` without --no-ui opens the UI with the command line's configuration; bad input never opens it."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gaterm.tui
from gaterm.cli import main
from gaterm.tui.app import GatermApp
from tui.helpers import DATA


def test_the_app_gets_the_config_file_the_flags_the_data_dir_and_out(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    built = []

    def fake_run_tui(config, keys_file=None, **options):  # the CLI builds the app's objects, as run_tui would
        assert keys_file is None  # no --keys: the user's keys.toml, if any
        built.append(GatermApp(config, **options))
        return 0

    monkeypatch.setattr(gaterm.tui, "run_tui", fake_run_tui)
    assert main([
        "--config", str(DATA / "basic-run" / "config.toml"), "--population", "6", "--no-merge",
        "--max-epochs", "7", "--data-dir", str(data_dir), "--out", str(tmp_path / "run"), "--workers", "2",
    ]) == 0
    app = built[0]
    cfg = app.initial_config
    assert cfg.seed == 3 and cfg.genes.neurons == [8, 16]  # from the file
    assert cfg.ga.population == 6 and cfg.ga.merge is False and cfg.training.max_epochs == 7  # flags win
    assert app.data_dir == data_dir and app.out == tmp_path / "run" and app.eval_workers == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--survivors", "30"], "ga.survivors: must be smaller than ga.population (20)"),
        (["--config", "/nonexistent/c.toml"], "config file not found: /nonexistent/c.toml"),
        (["--out", str(DATA / "merge-run")], "already holds a run"),
        (["--resume", str(DATA / "merge-run")], "already finished"),
    ],
)
def test_bad_arguments_exit_2_before_the_ui_opens(args, message):
    proc = subprocess.run([sys.executable, "-m", "gaterm", *args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in proc.stderr


def test_importing_the_tui_package_does_not_import_textual():
    code = "import sys, gaterm.tui, gaterm.tui.form, gaterm.rundir; print('textual' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip() == "False", proc.stderr
