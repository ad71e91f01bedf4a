"""Allows `python -m gaterm`."""

from gaterm.cli import main

raise SystemExit(main())
