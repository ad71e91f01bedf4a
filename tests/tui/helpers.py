"""Helpers for the TUI tests: the fixture run directories, a tiny config, typing into the form, waiting."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from conftest import tiny_config
from gaterm.config import RunConfig

DATA = Path(__file__).parent / "data"  # two real tiny run directories on digits: merge-run, basic-run


def tui_config(**training) -> RunConfig:
    """The engine tests' tiny run (population 4, survivors 2), with at most 3 epochs unless told otherwise."""
    cfg = tiny_config()
    for k, v in training.items():
        setattr(cfg.training, k, v)
    return cfg


async def type_into(pilot, key: str, text: str) -> None:
    """Focus the setup input for config key `key`, clear it and type `text` key by key, as a user would."""
    from gaterm.tui.widgets.setup import input_id

    pilot.app.action_show_tab("setup")
    await pilot.pause()
    pilot.app.query_one(f"#{input_id(key)}").focus()
    await pilot.press("home", "ctrl+k", *text)
    await pilot.pause()


async def enter_path(pilot, path) -> None:
    """Put `path` into the open path prompt's input and press Enter (typing a long temporary path key by key
    costs seconds per prompt; one prompt per test is still typed, as a user would)."""
    from textual.widgets import Input

    pilot.app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")


async def stopped_summary(path: Path) -> dict:
    """The summary a stopped UI run leaves in its directory `path`: the engine notices the stop at the end of its
    epoch and then writes it, so wait for it (up to 30 s) before reading."""
    summary = path / "summary.json"
    for _ in range(600):
        if summary.exists():
            break
        await asyncio.sleep(0.05)
    return json.loads(summary.read_text())


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 180.0) -> None:
    """Let the app run until `condition()` holds; the timeout only guards against a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)
