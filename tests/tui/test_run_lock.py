"""The UI's runs hold their directory's lock like headless runs: a directory another process uses is refused."""

from __future__ import annotations

from gaterm.rundir.lock import LOCK, claim_new_run_dir
from tui.helpers import wait_until


async def test_a_ui_run_on_a_directory_in_use_is_refused_and_its_own_run_holds_the_lock(make_app, tmp_path):
    busy = tmp_path / "busy"
    other = claim_new_run_dir(busy)  # as another gaterm process would hold it
    app = make_app(out=busy)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.running and any("is in use by another gaterm process" in n for n in notes)
        other.release()
        app.out = busy
        seen_lock: list[bool] = []
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: seen_lock.append((busy / LOCK).exists()) or not app.running)
        assert seen_lock[0] and not (busy / LOCK).exists()  # held while running, released at the end
    assert (busy / "summary.json").exists()
