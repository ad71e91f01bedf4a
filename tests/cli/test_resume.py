"""Runs survive: SIGKILL at random moments (also mid-checkpoint), resume, and the result equals an
uninterrupted run of the same seed: no evaluation missing, none duplicated, same genes, parents and metrics."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from procs import SMALL_RUN as CONFIG
from procs import rows

from gaterm.cli import main


def start(args: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gaterm", "--no-ui", "--quiet", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def n_rows(path: Path) -> int:
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, list[tuple]]:
    tmp = tmp_path_factory.mktemp("ref")
    cfg = tmp / "c.toml"
    cfg.write_text(CONFIG)
    assert main(["--no-ui", "--quiet", "--config", str(cfg), "--out", str(tmp / "ref")]) == 0
    assert not (tmp / "ref" / "checkpoint.pt").exists()  # a completed run cannot be resumed: none is kept
    return cfg, rows(tmp / "ref" / "evaluations.csv")


def test_sigkill_at_random_points_then_resume_equals_an_uninterrupted_run(tmp_path, reference):
    cfg, expected = reference
    out = tmp_path / "run"
    evals = out / "evaluations.csv"
    rnd = random.Random(4)
    proc = start(["--config", str(cfg), "--out", str(out)])
    kills = 0
    for _ in range(3):  # kill after a random number of new rows, then resume
        target = n_rows(evals) + rnd.randint(1, 4)
        deadline = time.monotonic() + 120
        while proc.poll() is None and n_rows(evals) < target and time.monotonic() < deadline:
            time.sleep(0.02)
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        proc = start(["--resume", str(out)])
    assert proc.wait(timeout=180) == 0, proc.stderr.read()
    assert kills >= 2
    got = rows(evals)
    assert [r[1] for r in got] == [r[1] for r in expected]  # no evaluation missing or duplicated, in order
    assert got == expected
    assert json.loads((out / "summary.json").read_text())["evaluations"] == len(expected)


def test_sigkill_during_a_checkpoint_write(tmp_path, reference):
    cfg, expected = reference
    out = tmp_path / "run"
    proc = start(["--config", str(cfg), "--out", str(out)], env={"GATERM_FAULT_CHECKPOINT_DELAY_S": "2"})
    tmp_ckpt = out / "checkpoint.pt.tmp"
    deadline = time.monotonic() + 120
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if tmp_ckpt.exists():
            seen += 1
            if seen == 2:  # the second checkpoint: a complete first one exists beside the half-renamed second
                break
            while tmp_ckpt.exists() and proc.poll() is None:
                time.sleep(0.02)
        time.sleep(0.02)
    assert seen == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / "checkpoint.pt").exists() and tmp_ckpt.exists()
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    assert rows(out / "evaluations.csv") == expected


def test_ctrl_c_leaves_a_resumable_directory(tmp_path, reference):
    cfg, expected = reference
    out = tmp_path / "run"
    proc = start(["--config", str(cfg), "--out", str(out)])
    while proc.poll() is None and n_rows(out / "evaluations.csv") < 10:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert json.loads((out / "summary.json").read_text())["stop_reason"] == "cancelled"
    assert (out / "checkpoint.pt").exists()  # kept: the run is to be resumed
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    assert rows(out / "evaluations.csv") == expected
    assert not (out / "checkpoint.pt").exists()


def test_resume_refuses_what_it_cannot_continue(tmp_path, reference, capsys):
    cfg, _ = reference
    assert main(["--no-ui", "--resume", str(tmp_path)]) == 2
    assert "is not a gaterm run directory" in capsys.readouterr().err
    done = tmp_path / "done"
    assert main(["--no-ui", "--quiet", "--config", str(cfg), "--generations", "2", "--out", str(done)]) == 0
    assert main(["--no-ui", "--resume", str(done)]) == 2
    assert "already finished" in capsys.readouterr().err
    assert main(["--no-ui", "--resume", str(done), "--population", "8"]) == 2
    assert "cannot be combined with --population" in capsys.readouterr().err
    # a checkpoint whose run config was edited afterwards belongs to a different configuration
    cut = tmp_path / "cut"
    proc = start(["--config", str(cfg), "--out", str(cut)])
    while proc.poll() is None and n_rows(cut / "evaluations.csv") < 8:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130 and (cut / "checkpoint.pt").exists()
    text = (cut / "config.toml").read_text().replace("population = 6", "population = 7")
    (cut / "config.toml").write_text(text)
    assert main(["--no-ui", "--resume", str(cut)]) == 2
    assert "belongs to a different configuration" in capsys.readouterr().err


def test_an_async_run_with_two_workers_stopped_and_resumed_is_complete(tmp_path):
    """The steady-state schedule with worker processes: Ctrl-C mid-run, resume; every planned evaluation is there
    once, each child's parents were evaluated before it, the rows agree with the checkpointed generations."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.replace('schedule = "generational"', 'schedule = "async"'))
    out = tmp_path / "run"
    proc = start(["--config", str(cfg), "--out", str(out), "--workers", "2"])
    while proc.poll() is None and n_rows(out / "generations.csv") < 2:  # two blocks checkpointed, more running
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130, proc.stderr.read()
    assert (out / "checkpoint.pt").exists()
    assert main(["--no-ui", "--quiet", "--resume", str(out), "--workers", "2"]) == 0
    got = rows(out / "evaluations.csv")
    ids = [int(r[1]) for r in got]
    assert sorted(ids) == list(range(6 + 4 * 3)) and len(ids) == len(set(ids))
    for r in got:
        gen, rid, pa, pb = int(r[0]), int(r[1]), r[2], r[3]
        assert gen == (0 if rid < 6 else 1 + (rid - 6) // 3)
        if rid >= 6:
            assert int(pa) < rid and int(pb) < rid and pa != pb
    with open(out / "generations.csv", newline="") as f:
        gens = [int(r["generation"]) for r in csv.DictReader(f)]
    assert gens == [0, 1, 2, 3, 4]
    assert json.loads((out / "summary.json").read_text())["evaluations"] == 18


def test_every_flag_that_sets_the_run_config_is_refused_on_resume():
    """A resumed run continues with its own config.toml: a run-config flag given with --resume would be silently
    ignored, so each one is refused (only where the run is also logged, [tracking], may change)."""
    from gaterm.cli.options import FLAG_TO_KEY
    from gaterm.cli.run import _RESUME_CONFLICTS

    assert {f for f, key in FLAG_TO_KEY.items() if key[0] != "tracking"} <= set(_RESUME_CONFLICTS)
