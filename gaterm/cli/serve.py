"""`gaterm serve`: the same terminal UI in a web browser, served with textual-serve.

Every browser tab that opens the page starts its own `gaterm` process (with the flags given after the serve
options) on this machine, as this user. Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from gaterm.cli.options import Parser, positive_int
from gaterm.errors import GatermError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def build_serve_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gaterm serve",
        description="Serve the gaterm UI in a web browser. Flags after the serve options are the UI's own "
        "(e.g. --dataset, --config, --data-dir, --keys), as `gaterm` takes them.",
    )
    p.add_argument("--host", default="127.0.0.1", metavar="HOST",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=positive_int, default=8000, metavar="PORT", help="port (default: 8000)")
    return p


def exposure_warning(host: str, port: int) -> str | None:
    """The one-line warning for a server others can reach (None on a loopback address)."""
    if host in LOCAL_HOSTS:
        return None
    return (f"gaterm serve: warning: listening on {host}:{port}; anyone who can reach this port can read and "
            "write files as this user")


def run_serve(argv: list[str]) -> int:
    args, ui_args = build_serve_parser().parse_known_args(argv)
    from gaterm.cli.run import build_parser

    ui = build_parser().parse_args(ui_args)  # the UI's flags: a mistake is reported here, not in the browser
    if ui.no_ui:
        raise GatermError("serve runs the UI; drop --no-ui")
    warning = exposure_warning(args.host, args.port)
    if warning:
        print(warning, file=sys.stderr)
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "gaterm", *ui_args])
    Server(command, host=args.host, port=args.port, title="gaterm").serve()
    return 0
