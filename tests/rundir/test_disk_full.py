"""A full disk: a failed write stops the run with one line naming the file, leaves no file half-written and the
checkpoint of the last good generation in place, and the run resumes to a complete result once there is room."""

from __future__ import annotations

import csv
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from procs import SMALL_RUN, rows

from gaterm.cli import main
from gaterm.rundir.files import EVAL_COLUMNS, GEN_COLUMNS

ENOSPC = os.strerror(errno.ENOSPC)


def _fill_disk_at(monkeypatch, name: str, after: int, how: str) -> None:
    """Make the writes (`how` = "write") or syncs ("fsync", where a delayed allocation reports it) of file `name`
    fail with ENOSPC after `after` successful ones. A failing write first writes half its data (a short write, as
    a disk that fills up gives), the next one raises."""
    real = {"write": os.write, "fsync": os.fsync}[how]
    state = {"calls": 0, "short": False}

    def fails(fd: int) -> bool:
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return False
        if Path(path).name != name:
            return False
        state["calls"] += 1
        return state["calls"] > after

    def write(fd: int, data) -> int:
        if fails(fd):
            if not state["short"] and len(data) > 1:
                state["short"] = True
                state["calls"] -= 1
                return real(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, ENOSPC)
        return real(fd, data)

    def fsync(fd: int) -> None:
        if fails(fd):
            raise OSError(errno.ENOSPC, ENOSPC)
        real(fd)

    monkeypatch.setattr(os, how, {"write": write, "fsync": fsync}[how])


def _assert_nothing_half_written(out: Path) -> None:
    assert not list(out.glob("*.tmp"))
    for name, columns in (("evaluations.csv", EVAL_COLUMNS), ("generations.csv", GEN_COLUMNS)):
        text = (out / name).read_text()
        assert text.endswith("\n")
        table = list(csv.reader(text.splitlines()))
        assert table[0] == list(columns) and all(len(r) == len(columns) for r in table)


@pytest.mark.parametrize("name, after, how", [
    ("evaluations.csv", 9, "write"),  # the header, generation 0's six rows, two of generation 1
    ("evaluations.csv", 9, "fsync"),
    ("generations.csv", 2, "write"),
    ("checkpoint.pt.tmp", 2, "fsync"),  # the third checkpoint
    ("best_model.pt.tmp", 0, "write"),  # at the very end
    ("summary.json.tmp", 0, "fsync"),
])
def test_a_full_disk_stops_the_run_with_one_line_and_it_resumes_complete(
    tmp_path, monkeypatch, capsys, name, after, how
):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_RUN)
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _fill_disk_at(m, name, after, how)
        assert main(["--no-ui", "--quiet", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"gaterm: error: cannot write {out / name.removesuffix('.tmp')}: {ENOSPC}\n"
    _assert_nothing_half_written(out)
    assert (out / "checkpoint.pt").exists()  # the last good generation's
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0  # room again
    assert [int(r[1]) for r in rows(out / "evaluations.csv")] == list(range(18))
    _assert_nothing_half_written(out)


def test_a_real_full_disk(tmp_path):
    """The same on a tiny tmpfs (needs root to mount; skipped otherwise)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(disk)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        cfg = tmp_path / "c.toml"
        cfg.write_text(SMALL_RUN)
        out = disk / "run"
        proc = subprocess.run([sys.executable, "-m", "gaterm", "--no-ui", "--quiet", "--config", str(cfg),
                               "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"gaterm: error: cannot write {out}/") and proc.stderr.endswith(
            f": {ENOSPC}\n") and proc.stderr.count("\n") == 1, proc.stderr
        _assert_nothing_half_written(out)
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
        assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
        assert [int(r[1]) for r in rows(out / "evaluations.csv")] == list(range(18))
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, check=False)
