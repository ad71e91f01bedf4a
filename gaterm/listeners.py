"""Plugin run listeners: the context a listener is made with, and the guard that detaches one that fails.

Every front end (headless, the TUI, each compare arm) calls `open_listeners` once per run and appends what it
returns to the engine's listeners, after the results writer. A listener that raises never stops or changes the
run: it is named in one warning line and gets no further events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gaterm.config import RunConfig
    from gaterm.events import Event
    from gaterm.plugins import PluginSet

Listener = Callable[["Event"], None]
Warn = Callable[[str], None]


def _ignore(message: str) -> None:
    pass


@dataclass(frozen=True)
class RunContext:
    """What a listener factory knows about the run it makes a listener for."""

    run_dir: Path  # the run directory the results writer fills; it exists from RunStarted on
    config: RunConfig  # the run's configuration, [tracking] included
    resumed: bool = False  # True when the run continues an interrupted one (--resume)
    front_end: str = "headless"  # "headless", "tui" or "compare"
    arm: str | None = None  # the compare arm ("basic", "merge-select", ...), else None
    data_dir: Path | None = None
    workers: int = 1
    scheduler: str | None = None
    warn: Warn = field(default=_ignore, repr=False, compare=False)  # one line, shown the front end's way


ListenerFactory = Callable[[RunContext], "Listener | None"]


class GuardedListener:
    """Calls `listener` with each event; the first exception is one warning and the listener is detached."""

    def __init__(self, name: str, plugin: str, listener: Listener, warn: Warn) -> None:
        self.name, self.plugin, self.listener, self.warn = name, plugin, listener, warn
        self.detached = False

    def __call__(self, event: Event) -> None:
        if self.detached:
            return
        try:
            self.listener(event)
        except Exception as exc:  # a plugin's bug must not stop the run  # noqa: BLE001
            self.detached = True
            self.warn(f"listener {self.name!r} (plugin {self.plugin!r}) failed: {_one_line(exc)}; detached")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def open_listeners(plugins: PluginSet, context: RunContext) -> list[Listener]:
    """One guarded listener per registered factory that has something to do for this run, in name order.

    A factory that raises is named in one warning (through `context.warn`) and contributes nothing."""
    out: list[Listener] = []
    registry = plugins.listeners
    for name, spec in sorted(registry.items.items()):
        plugin = registry.owner.get(name, "?")
        try:
            listener = spec.factory(context)
        except Exception as exc:  # noqa: BLE001
            context.warn(f"listener {name!r} (plugin {plugin!r}) failed to start: {_one_line(exc)}; detached")
            continue
        if listener is None:
            continue
        if not callable(listener):
            context.warn(f"listener {name!r} (plugin {plugin!r}) failed to start: its factory returned "
                         f"{type(listener).__name__}, not a callable; detached")
            continue
        out.append(GuardedListener(name, plugin, listener, context.warn))
    return out
