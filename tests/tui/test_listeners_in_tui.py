"""Plugin listeners in TUI runs: attached like the headless ones, a failing one is a notification; the setup
form's MLflow field turns tracking on."""

from __future__ import annotations

import csv

import pytest

from gaterm.events import EvaluationFinished, RunFinished, RunStarted
from gaterm.plugin import hookimpl
from gaterm.plugins import load_plugins
from tui.helpers import tui_config, type_into, wait_until


class Recorder:
    __name__ = "recorder"

    def __init__(self) -> None:
        self.events: list = []
        self.contexts: list = []

    @hookimpl
    def gaterm_register_listeners(self, register):
        def make(context):
            self.contexts.append(context)
            return self.events.append

        def make_raising(context):
            def listener(event):
                if isinstance(event, EvaluationFinished):
                    raise RuntimeError("no route to the chat server")

            return listener

        register.add("record", make)
        register.add("raising", make_raising)


def rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


async def test_a_tui_run_feeds_plugin_listeners_and_names_a_failing_one(make_app):
    recorder = Recorder()
    app = make_app(tui_config(), plugins=load_plugins(extra=[recorder], entry_points=False))
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "ga.generations", "2")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.live is not None and not app.running)
        await pilot.pause()
        out = app.live.path
    events = recorder.events
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    finished = [e.record.id for e in events if isinstance(e, EvaluationFinished)]
    assert finished == [int(r["id"]) for r in rows(out / "evaluations.csv")] and len(finished) == 6
    (context,) = recorder.contexts
    assert context.front_end == "tui" and context.run_dir == out and context.config.ga.generations == 2
    warnings = [n for n in notes if "listener" in n]
    assert warnings == [
        "listener 'raising' (plugin 'recorder') failed: RuntimeError: no route to the chat server; detached"
    ]
    assert app.live.stop_reason == "generations"


async def test_the_setup_forms_mlflow_field_logs_the_run(make_app, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.chdir(tmp_path)  # a store directory relative to where gaterm runs, short to type key by key
    app = make_app(tui_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "ga.generations", "1")
        await type_into(pilot, "tracking.mlflow_uri", "ml")
        assert app.setup_pane.config is not None and app.setup_pane.config.tracking.mlflow_uri == "ml"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.live is not None and not app.running)
        await pilot.pause()
        out = app.live.path
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'ml' / 'mlflow.db'}")  # a directory holds a SQLite store
    runs = client.search_runs([client.get_experiment_by_name("gaterm").experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and parents[0].data.tags["front_end"] == "tui"
    assert len(runs) - 1 == len(rows(out / "evaluations.csv")) == 4
