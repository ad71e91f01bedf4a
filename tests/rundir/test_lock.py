"""Exclusive run directories: one process per directory, race-free, whatever the other process is doing."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from procs import SMALL_RUN, n_rows, rows, start, wait_for

from gaterm.cli import main
from gaterm.rundir.files import RunDirError
from gaterm.rundir.lock import LOCK, claim_default_run_dir, claim_new_run_dir, claim_run_dir


def _contender(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        lock = claim_new_run_dir(Path(path))
    except RunDirError as exc:
        results.put(str(exc))
        return
    (Path(path) / "config.toml").write_text("")  # what a run writes first: later claims see a run
    results.put("won")
    time.sleep(0.5)
    lock.release()


def test_processes_claiming_one_directory_at_the_same_moment_exactly_one_wins(tmp_path):
    ctx = mp.get_context("fork")
    n = 6
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_contender, args=(str(tmp_path / "run"), barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    got = [results.get(timeout=30) for _ in range(n)]
    for p in procs:
        p.join(timeout=30)
    assert got.count("won") == 1, got
    for msg in got:
        assert msg == "won" or "is in use by another gaterm process (pid " in msg or "already holds a run" in msg


def test_a_claim_is_refused_with_the_holders_pid_and_freed_on_release(tmp_path):
    out = tmp_path / "run"
    lock = claim_new_run_dir(out)
    assert (out / LOCK).read_text().strip() == str(os.getpid())
    with pytest.raises(RunDirError, match=rf"is in use by another gaterm process \(pid {os.getpid()}\)"):
        claim_run_dir(out)  # a second open file description: even this process is refused
    lock.release()
    lock.release()  # harmless
    assert not out.exists()  # it created the directory and nothing was written: removed again
    with claim_new_run_dir(out):
        (out / "config.toml").write_text("")
    assert out.is_dir() and not (out / LOCK).exists()
    with pytest.raises(RunDirError, match="already holds a run"):
        claim_new_run_dir(out)


HOLDER_WITH_A_WORKER = """
import os, sys, time
from pathlib import Path
from gaterm.rundir.lock import claim_new_run_dir
claim_new_run_dir(Path(sys.argv[1]))
worker = os.fork()
if worker == 0:
    os.close(1), os.close(2)  # the test reads the holder's output to its end
    time.sleep(30)
    os._exit(0)
print(worker, flush=True)
os._exit(0)  # killed: no release
"""


def test_a_killed_holder_leaves_the_directory_free_even_if_its_worker_lives_on(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", HOLDER_WITH_A_WORKER, str(out)], capture_output=True, text=True,
                          timeout=60, check=True)
    worker = int(proc.stdout)
    try:
        assert (out / LOCK).exists()  # stale, harmless
        claim_run_dir(out).release()  # the forked worker closed its copy of the lock
    finally:
        os.kill(worker, signal.SIGKILL)


def test_default_run_directories_of_runs_started_in_the_same_second_differ(tmp_path):
    a = claim_default_run_dir("digits", tmp_path)
    b = claim_default_run_dir("digits", tmp_path)
    assert a.path != b.path and a.path.parent == b.path.parent == tmp_path
    a.release(), b.release()


def _check_complete(out: Path) -> None:
    got = rows(out / "evaluations.csv")
    assert [int(r[1]) for r in got] == list(range(18))  # every evaluation once, in order
    assert json.loads((out / "summary.json").read_text())["evaluations"] == 18


def test_a_second_run_or_resume_on_a_running_directory_is_refused_and_changes_nothing(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_RUN)
    out = tmp_path / "run"
    first = start(["--config", str(cfg), "--out", str(out)], env={"GATERM_FAULT_CHECKPOINT_DELAY_S": "0.5"})
    assert wait_for(lambda: n_rows(out / "evaluations.csv") >= 1, first)
    before = (out / "config.toml").read_bytes()
    assert main(["--no-ui", "--quiet", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"gaterm: error: --out: {out} is in use by another gaterm process (pid {first.pid})\n"
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 2
    assert f"--resume: {out} is in use by another gaterm process (pid {first.pid})" in capsys.readouterr().err
    assert first.wait(timeout=120) == 0, first.stderr.read()
    assert (out / "config.toml").read_bytes() == before
    _check_complete(out)


def test_two_runs_started_together_on_one_out_one_runs_the_other_is_refused(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_RUN)
    out = tmp_path / "run"
    procs = [start(["--config", str(cfg), "--out", str(out)]) for _ in range(2)]
    codes = sorted(p.wait(timeout=180) for p in procs)
    assert codes == [0, 2]
    loser = next(p for p in procs if p.returncode == 2).stderr.read()
    assert loser.count("\n") == 1 and ("is in use by another gaterm process" in loser or "already holds a run" in loser)
    _check_complete(out)
