"""Command line: `gaterm` (UI), `gaterm --no-ui` (headless run), `gaterm compare`, `gaterm predict`,
`gaterm export`, `gaterm plugins`, `gaterm serve` (the UI in a browser).

The CLI owns argv: each subcommand module parses its flags, builds objects and calls the public API. User
errors are one line and exit code 2."""

from __future__ import annotations

import sys

from gaterm.cli.options import EXIT_INTERRUPTED, EXIT_USAGE
from gaterm.errors import GatermError


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["compare"]:
            from gaterm.cli.compare import build_compare_parser, run_compare

            return run_compare(build_compare_parser().parse_args(argv[1:]))
        if argv[:1] == ["serve"]:
            from gaterm.cli.serve import run_serve

            return run_serve(argv[1:])
        if argv[:1] == ["predict"]:
            from gaterm.cli.predict import build_predict_parser, run_predict

            return run_predict(build_predict_parser().parse_args(argv[1:]))
        if argv[:1] == ["export"]:
            from gaterm.cli.predict import build_export_parser, run_export

            return run_export(build_export_parser().parse_args(argv[1:]))
        if argv[:1] == ["plugins"]:
            if len(argv) > 1:
                raise GatermError(f"plugins: unexpected argument {argv[1]!r}")
            from gaterm.cli.plugins import list_plugins

            return list_plugins()
        from gaterm.cli.run import build_parser, run_headless, run_ui

        args = build_parser().parse_args(argv)
        return run_headless(args) if args.no_ui else run_ui(args)
    except GatermError as exc:
        print(f"gaterm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # a second Ctrl-C or SIGTERM (`Aborted`), or one outside a run
        print("gaterm: aborted", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_INTERRUPTED)
