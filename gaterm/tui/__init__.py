"""The Textual terminal UI: set up a search, run it in a background worker, watch it, compare runs.

Importing this package does not import Textual; `run_tui` does. The core (engine, config, run directory) never
imports anything from here: the UI is one more consumer of the engine's event stream.
"""

from __future__ import annotations

from typing import Any


def run_tui(config: Any, **options: Any) -> int:
    """Open the UI on `config` (a RunConfig); `options` are `GatermApp`'s keyword arguments (data_dir, out,
    workers, scheduler, resume_state, resume)."""
    from gaterm.tui.app import GatermApp

    app = GatermApp(config, **options)
    app.run()
    return app.return_code or 0
