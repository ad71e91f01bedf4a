"""The Setup tab's `table` fields: a file path, then the label picked from the file's columns; a run on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from textual.widgets import Input, Select, Static

from tui.helpers import tui_config, wait_until


def message(app) -> str:
    return str(app.query_one("#setup-message", Static).render())


async def test_pick_a_file_and_its_label_then_run(make_app, tmp_path):
    rng = np.random.default_rng(0)
    size = rng.normal(0, 1, 90)
    pd.DataFrame({"size": size, "color": rng.choice(["red", "blue"], 90),
                  "kind": np.where(size > 0, "big", "small")}).to_csv(tmp_path / "t.csv", index=False)
    app = make_app(tui_config())
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_show_tab("setup")
        await pilot.pause()
        assert not app.query_one("#table-fields").display  # digits: no file fields
        app.query_one("#dataset", Select).value = "table"
        await pilot.pause()
        assert app.query_one("#table-fields").display
        assert "data.file: the 'table' data set needs a file" in message(app)
        app.query_one("#data-file", Input).value = str(tmp_path / "nope.csv")
        await pilot.pause()
        assert "no such file" in message(app)
        app.query_one("#data-file", Input).value = str(tmp_path / "t.csv")
        await pilot.pause()
        label = app.query_one("#data-label", Select)
        assert [str(o[0]) for o in label._options if o[1] is not Select.NULL] == ["size", "color", "kind"]
        label.value = "kind"
        await pilot.pause()
        assert "✓ ready: table" in message(app)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause()
        assert app.live is not None and app.live.stop_reason == "generations"
        app.query_one("#dataset", Select).value = "digits"  # switching back needs no file
        await pilot.pause()
        assert "✓ ready: digits" in message(app)
