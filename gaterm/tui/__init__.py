"""The Textual terminal UI: set up a search, run it in a background worker, watch it, compare runs.

Importing this package does not import Textual; `run_tui` does. The core (engine, config, results) never imports
anything from here: the UI is one more consumer of the engine's event stream.
"""

from __future__ import annotations

import argparse


def run_tui(args: argparse.Namespace) -> int:
    """Open the UI with the command line's configuration (config file, flags, data dir, --out)."""
    from gaterm.tui.app import GatermApp

    app = GatermApp.from_args(args)
    app.run()
    return app.return_code or 0
