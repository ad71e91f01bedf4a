"""The UI's runs are as safe as headless ones: they hold their directory's lock, and SIGTERM quits like ctrl+q."""

from __future__ import annotations

from gaterm.rundir.lock import LOCK, claim_new_run_dir
from tui.helpers import stopped_summary, tui_config, wait_until


async def test_a_ui_run_on_a_directory_in_use_is_refused_and_its_own_run_holds_the_lock(make_app, tmp_path):
    busy = tmp_path / "busy"
    other = claim_new_run_dir(busy)  # as another gaterm process would hold it
    app = make_app(tui_config(max_epochs=80, patience=80), out=busy)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: any("is in use by another gaterm process" in n for n in notes), 30)
        assert not app.running
        other.release()
        app.out = busy
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.live is not None and len(app.live.evaluations) >= 1)
        assert (busy / LOCK).exists()  # held while it runs
        app.action_stop_run()
        await wait_until(pilot, lambda: not app.running)
    assert not (busy / LOCK).exists()  # released at the end
    assert (busy / "summary.json").exists()


async def test_sigterm_quits_the_ui_like_ctrl_q_with_exit_143(make_app):
    import os
    import signal

    fallback: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: fallback.append(signum))  # never kill pytest
    try:
        app = make_app(tui_config(max_epochs=80, patience=80))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.live is not None and len(app.live.evaluations) >= 1)
            os.kill(os.getpid(), signal.SIGTERM)
            await pilot.pause(0.2)
        assert not fallback and app.return_code == 143
        assert (await stopped_summary(app.live.path))["stop_reason"] == "cancelled"
    finally:
        signal.signal(signal.SIGTERM, previous)
