"""A Dask scheduler that disappears mid-run: one line naming its address, and the run stops resumable."""

from __future__ import annotations

import threading

import pytest
from procs import SMALL_RUN, n_rows, rows, wait_for

from gaterm.cli import main

distributed = pytest.importorskip("distributed")


def test_a_lost_scheduler_stops_the_run_with_one_line_and_it_resumes(tmp_path, monkeypatch, capsys):
    from gaterm.engine.backends import DaskBackend

    monkeypatch.setattr(DaskBackend, "connect_timeout_s", 3.0)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                                       host="127.0.0.1", dashboard_address=None)
    address = cluster.scheduler_address
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMALL_RUN)
    out = tmp_path / "run"
    evals = out / "evaluations.csv"

    def lose_the_scheduler() -> None:  # after the first checkpoint, in the middle of generation 1
        if wait_for(lambda: n_rows(evals) >= 8, timeout=120):
            cluster.close()

    closer = threading.Thread(target=lose_the_scheduler, daemon=True)
    closer.start()
    try:
        code = main(["--no-ui", "--quiet", "--config", str(cfg), "--out", str(out), "--scheduler", address])
    finally:
        closer.join(timeout=30)
        cluster.close()
    assert code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("gaterm:")]
    assert len(errors) == 1 and errors[0].startswith(f"gaterm: error: lost the Dask scheduler at {address}: ")
    assert (out / "checkpoint.pt").exists()
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0  # in this process, without the cluster
    assert [int(r[1]) for r in rows(evals)] == list(range(18))


def test_a_stopped_run_stops_its_running_dask_tasks_after_their_epoch(digits, monkeypatch):
    """Ctrl-C or SIGTERM during a Dask run: the evaluations running on the cluster end after their current
    epoch, not when they would have finished (the cluster's threads run in this process, so the test sees them)."""
    import time

    from conftest import tiny_config
    from gaterm.engine import backends
    from gaterm.engine.engine import Engine

    running: set[int] = set()
    real = backends.evaluate

    def tracked(chromosome, data, training, seed, *args, **kw):
        running.add(seed)
        try:
            return real(chromosome, data, training, seed, *args, **kw)
        finally:
            running.discard(seed)

    monkeypatch.setattr(backends, "evaluate", tracked)
    cfg = tiny_config(merge=False)
    cfg.training.max_epochs, cfg.training.patience, cfg.training.min_delta = 3000, 3000, 0.0
    cfg.genes.batch_size = [16]  # an evaluation takes far longer than the test waits
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        t0 = time.monotonic()
        result = Engine(cfg, digits, None, backend=backends.DaskBackend(client, None),
                        should_stop=lambda: bool(running) and time.monotonic() - t0 > 3).run()
        assert result.stop_reason.value == "cancelled" and not result.records
        assert wait_for(lambda: not running, timeout=5), "the cancelled evaluations still run"
