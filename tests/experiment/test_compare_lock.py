"""`gaterm compare` holds its comparison directory and each arm's directory like a run holds its own."""

from __future__ import annotations

import os

import pytest

from gaterm.cli import main
from gaterm.rundir.files import RunDirError
from gaterm.rundir.lock import LOCK, claim_new_run_dir, claim_run_dir

TINY = """
[ga]
population = 3
survivors = 2
generations = 1
[training]
max_epochs = 1
[genes]
neurons = [8]
layers = [1]
batch_size = [128]
"""


def test_a_comparison_directory_in_use_is_refused(tmp_path, capsys):
    out = tmp_path / "cmp"
    with claim_run_dir(out):  # another gaterm compare holds it
        assert main(["compare", "--out", str(out), "--seeds", "1", "--quiet"]) == 2
    pid = os.getpid()
    assert capsys.readouterr().err == f"gaterm: error: --out: {out} is in use by another gaterm process (pid {pid})\n"


def test_an_arm_directory_in_use_is_refused_and_the_arms_release_their_own(tmp_path, plugin_set):
    from gaterm.config import config_from
    from gaterm.experiment.arms import run_comparison

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "cmp"
    arm = out / "digits" / "seed-0" / "merge-select"
    with claim_new_run_dir(arm), pytest.raises(RunDirError, match=f"{arm} is in use by another gaterm process"):
        run_comparison(config_from(cfg), ["digits"], [0], ["select"], None, out, plugins=plugin_set)
    assert (out / "digits" / "seed-0" / "basic" / "summary.json").exists()  # the arm before it ran
    assert not list(out.rglob(LOCK))  # and released its directory
