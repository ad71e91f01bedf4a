"""The Textual terminal UI: set up a search, run it in a background worker, watch it, compare runs.

Importing this package does not import Textual; `run_tui` does. The core (engine, config, run directory) never
imports anything from here: the UI is one more consumer of the engine's event stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_tui(config: Any, keys_file: Path | None = None, **options: Any) -> int:
    """Open the UI on `config` (a RunConfig); `options` are `GatermApp`'s keyword arguments (data_dir, out,
    workers, scheduler, resume_state, resume). Keys are remapped from `keys_file`, else from the user's
    keys.toml when there is one (`gaterm.tui.keys`); a bad keys file raises before the UI opens."""
    from gaterm.tui.app import GatermApp, binding_ids
    from gaterm.tui.keys import load_keymap

    keymap = load_keymap(keys_file, binding_ids())
    app = GatermApp(config, keymap=keymap, **options)
    app.run()
    return app.return_code or 0
