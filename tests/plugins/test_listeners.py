"""Run listeners from plugins: registered through an entry point, attached to every run, detached with one
warning when they fail, never stopping or changing the run."""

from __future__ import annotations

import csv
import json

import pytest
from test_plugin_manager import make_dist, site  # noqa: F401 (site is a fixture)

from conftest import REPO_ROOT
from gaterm.cli import main
from gaterm.plugin import hookimpl
from gaterm.plugins import load_plugins

TINY = """
dataset = "digits"
seed = 3
[ga]
population = 4
survivors = 2
generations = 3
[training]
max_epochs = 3
patience = 2
[genes]
neurons = [8, 16]
layers = [1]
batch_size = [64, 128]
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def rows(run_dir):
    with open(run_dir / "evaluations.csv", newline="") as f:
        return list(csv.DictReader(f))


def guide_listener_example() -> str:
    guide = (REPO_ROOT / "docs" / "plugins.md").read_text()
    section = guide.split("## Run listeners", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_guide_listener_receives_every_event_of_a_headless_run(site, tiny, tmp_path, capsys):  # noqa: F811
    code = guide_listener_example()
    assert "from gaterm.plugin import" in code
    make_dist(site, "gaterm_events", code, entry="events")
    ps = load_plugins()
    assert not ps.errors, ps.errors
    assert ps.listeners.owner["events-jsonl"] == "events"

    out = tmp_path / "run"
    assert main(["--no-ui", "--quiet", "--config", str(tiny), "--out", str(out)]) == 0
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    names = [e["event"] for e in events]
    assert names[0] == "RunStarted" and names[-1] == "RunFinished"
    assert names.count("RunStarted") == names.count("RunFinished") == 1
    finished = [e for e in events if e["event"] == "EvaluationFinished"]
    assert [(str(e["generation"]), str(e["id"])) for e in finished] == [(r["generation"], r["id"]) for r in rows(out)]
    assert {"GenerationStarted", "EvaluationStarted", "EpochFinished", "GenerationFinished",
            "CheckpointReady"} <= set(names)
    assert names.count("GenerationFinished") == 3
    assert events[0]["front_end"] == "headless" and events[0]["resumed"] is False
    assert events[-1] == {"event": "RunFinished", "stop_reason": "generations", "evaluations": len(finished)}
    assert "warning" not in capsys.readouterr().err


def test_gaterm_plugins_lists_listeners(site, capsys):  # noqa: F811
    make_dist(site, "gaterm_events", guide_listener_example(), entry="events")
    assert main(["plugins"]) == 0
    text = capsys.readouterr().out
    assert "listeners" in text and "events-jsonl" in text and "mlflow" in text


RAISING = """
from gaterm.plugin import EvaluationFinished, hookimpl

def make(context):
    calls = []

    def listener(event):
        calls.append(event)
        if isinstance(event, EvaluationFinished):
            raise RuntimeError("boom on evaluation " + str(event.record.id))

    return listener

def broken_factory(context):
    raise ValueError("no such server")

@hookimpl
def gaterm_register_listeners(register):
    register.add("boom", make, "raises at the first evaluation")
    register.add("broken", broken_factory)
"""


def test_a_raising_listener_is_detached_with_one_warning_and_the_run_completes(site, tiny, tmp_path, capsys):  # noqa: F811
    out, ref = tmp_path / "run", tmp_path / "ref"
    assert main(["--no-ui", "--quiet", "--config", str(tiny), "--out", str(ref)]) == 0
    make_dist(site, "gaterm_boom", RAISING, entry="boomer")
    capsys.readouterr()
    assert main(["--no-ui", "--quiet", "--config", str(tiny), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [
        "warning: listener 'broken' (plugin 'boomer') failed to start: ValueError: no such server; detached",
        "warning: listener 'boom' (plugin 'boomer') failed: RuntimeError: boom on evaluation 0; detached",
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "generations" and (out / "best_model.pt").is_file()
    # the run is unchanged: the same rows as the run without the plugin
    key = ("generation", "id", "parent_a", "parent_b", "metric", "genes")
    assert [[r[k] for k in key] for r in rows(out)] == [[r[k] for k in key] for r in rows(ref)]


def test_plugin_listeners_are_attached_to_every_compare_arm(site, tmp_path, tiny):  # noqa: F811
    make_dist(site, "gaterm_events", guide_listener_example(), entry="events")
    out = tmp_path / "cmp"
    assert main(["compare", "--quiet", "--config", str(tiny), "--seeds", "1", "--generations", "2",
                 "--no-paired-control", "--out", str(out)]) == 0
    for arm in ("basic", "merge-select"):
        run_dir = out / "digits" / "seed-0" / arm
        events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
        assert events[0]["event"] == "RunStarted" and events[0]["front_end"] == "compare"
        assert events[-1]["event"] == "RunFinished" and events[-1]["evaluations"] == len(rows(run_dir))


def test_a_listener_factory_that_is_not_callable_is_a_plugin_error():
    class Bad:
        __name__ = "bad"

        @hookimpl
        def gaterm_register_listeners(self, register):
            register.add("x", "not a function")

    ps = load_plugins(extra=[Bad()], entry_points=False)
    assert any("'bad'" in e and "listener 'x' has no callable factory" in e for e in ps.errors)
    assert "x" not in ps.listeners.items
