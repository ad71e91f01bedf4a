"""Helpers for tests that run `gaterm` in subprocesses (signals, two processes, resume): a small digits
configuration, starting a run, and reading its rows."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

# a run of a few seconds: 6 + 4 * 3 = 18 evaluations
SMALL_RUN = """
dataset = "digits"
seed = 11
[ga]
population = 6
survivors = 3
generations = 5
mutation_prob = 0.3
schedule = "generational"
[training]
max_epochs = 8
patience = 3
prune = false
[genes]
neurons = [8, 16, 32]
layers = [1, 2]
batch_size = [64, 128]
"""
KEY = ("generation", "id", "parent_a", "parent_b", "merged", "metric", "val_loss", "n_epochs", "status", "genes")


def start(args: list[str], env: dict | None = None, **kw) -> subprocess.Popen:
    """`gaterm --no-ui --quiet ARGS` in a child process (stderr captured as text)."""
    return subprocess.Popen([sys.executable, "-m", "gaterm", "--no-ui", "--quiet", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **kw)


def csv_rows(path: Path) -> list[dict]:
    """Every row of a CSV file as a dict of its columns."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def rows(path: Path) -> list[tuple]:
    with open(path, newline="") as f:
        return [tuple(r[k] for k in KEY) for r in csv.DictReader(f)]


def n_rows(path: Path) -> int:
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


def wait_for(cond: Callable[[], bool], proc: subprocess.Popen | None = None, timeout: float = 120) -> bool:
    """Poll `cond` until it holds (True), the process ends or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc is not None and proc.poll() is not None:
            return cond()
        time.sleep(0.02)
    return False
