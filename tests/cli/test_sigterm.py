"""SIGTERM (what batch schedulers send before SIGKILL) ends a run like Ctrl-C: after the current epoch, with the
partial summary, resumable, exit code 143; worker processes stop with it."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from procs import SMALL_RUN, n_rows, rows, start, wait_for

from gaterm.cli import main


def _resume_completes(out) -> None:
    assert (out / "checkpoint.pt").exists()  # kept: the run is to be resumed
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    assert [int(r[1]) for r in rows(out / "evaluations.csv")] == list(range(18))  # none missing, none twice
    assert json.loads((out / "summary.json").read_text())["evaluations"] == 18


def test_sigterm_stops_like_ctrl_c_with_a_partial_summary_and_exit_143(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_RUN)
    out = tmp_path / "run"
    proc = start(["--config", str(cfg), "--out", str(out)])
    assert wait_for(lambda: n_rows(out / "evaluations.csv") >= 8, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143, proc.stderr.read()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "cancelled"
    assert summary["evaluations"] == n_rows(out / "evaluations.csv")
    assert not (out / ".lock").exists()
    _resume_completes(out)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("whom", ["process", "group"])
def test_sigterm_with_worker_processes_stops_them_cleanly(tmp_path, whom):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_RUN)
    out = tmp_path / "run"
    proc = start(["--config", str(cfg), "--out", str(out), "--workers", "2"], start_new_session=True)
    assert wait_for(lambda: n_rows(out / "evaluations.csv") >= 8, proc)
    if whom == "group":  # as a batch scheduler does: every process of the job at once
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    err = proc.stderr.read()
    assert "worker process died" not in err and "Traceback" not in err, err
    assert json.loads((out / "summary.json").read_text())["stop_reason"] == "cancelled"
    deadline = time.monotonic() + 10
    while _group_alive(proc.pid) and time.monotonic() < deadline:  # no worker outlives the run
        time.sleep(0.05)
    assert not _group_alive(proc.pid)
    _resume_completes(out)
