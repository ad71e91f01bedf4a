"""`gaterm plugins`: every plugin with its hooks, and the data sets, merge strategies and run listeners each
registered."""

from __future__ import annotations


def list_plugins() -> int:
    from rich.console import Console
    from rich.table import Table

    from gaterm.plugins import load_plugins

    ps = load_plugins()
    console = Console()
    t = Table(title="plugins")
    for col in ("plugin", "distribution", "hooks"):
        t.add_column(col)
    for info in ps.plugins:
        t.add_row(info.name, info.distribution, ", ".join(info.hooks))
    console.print(t)
    d = Table(title="data sets")
    for col in ("name", "task", "plugin", "description"):
        d.add_column(col)
    for name, spec in sorted(ps.datasets.items.items()):
        d.add_row(name, spec.task, ps.datasets.owner[name], spec.description)
    console.print(d)
    m = Table(title="merge strategies")
    for col in ("name", "plugin", "description"):
        m.add_column(col)
    for name, s in sorted(ps.merges.items.items()):
        m.add_row(name, ps.merges.owner[name], s.description)
    console.print(m)
    li = Table(title="listeners")
    for col in ("name", "plugin", "description"):
        li.add_column(col)
    for name, spec in sorted(ps.listeners.items.items()):
        li.add_row(name, ps.listeners.owner[name], spec.description)
    console.print(li)
    for e in ps.errors:
        console.print(f"[red]error:[/] {e}", highlight=False)
    return 1 if ps.errors else 0
