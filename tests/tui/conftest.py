"""The TUI tests' app factory, shared by the Pilot tests and the snapshot tests."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

import pytest

from gaterm.config import RunConfig
from tui.helpers import tui_config


@pytest.fixture
def make_app(plugin_set, tmp_path) -> Callable:
    """`make_app(config=None, **kw)`: the app as `gaterm` opens it, with runs written under tmp_path/runs."""
    from gaterm.tui.app import GatermApp

    def make(config: RunConfig | None = None, **kw):
        kw.setdefault("runs_root", tmp_path / "runs")
        kw.setdefault("plugins", plugin_set)
        return GatermApp(config or tui_config(), **kw)

    return make


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests (Pilot needs a running loop) in a fresh event loop, without a plugin."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True
