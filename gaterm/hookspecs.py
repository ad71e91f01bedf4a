"""Every hook a gaterm plugin can implement, typed and documented for plugin authors.

A plugin is a module (or object) with functions decorated by `gaterm.hookimpl`. Third-party packages make it
discoverable through the `gaterm` entry-point group in their pyproject.toml::

    [project.entry-points.gaterm]
    my_plugin = "my_package.gaterm_plugin"
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from gaterm.plugins import DatasetRegistry, ListenerRegistry, MergeRegistry

PROJECT = "gaterm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def gaterm_register_datasets(register: DatasetRegistry) -> None:
    """Register data sets.

    :param register: call ``register.add(DatasetSpec(...))`` once per data set. The spec's ``load`` receives a
        ``LoadContext`` (``ctx.data_dir``, ``ctx.seed``, ``ctx.path(DataSource)``) and returns ``RawData``.
        Names must be unique across all plugins; a duplicate is reported as an error of the later plugin.
    """


@hookspec
def gaterm_register_merge_strategies(register: MergeRegistry) -> None:
    """Register layer-merge strategies.

    :param register: call ``register.add(strategy)`` once per strategy, where ``strategy`` has ``name``,
        ``description`` and ``merge(child, child_init, a, b)`` as described by ``gaterm.merge.MergeStrategy``.
        gaterm checks every merge result against the child's shapes and reports a mismatch by strategy name.
        A strategy with ``uses_data = True`` also receives ``probe=``, a ``gaterm.merge.Probe`` (training rows and
        the validation loss of candidate layers).
    """


@hookspec
def gaterm_register_listeners(register: ListenerRegistry) -> None:
    """Register run listeners: consumers of the engine's event stream, like the headless view, the results
    writer and the terminal UI. gaterm attaches them to every run: headless runs, TUI runs and each arm of
    ``gaterm compare``.

    :param register: call ``register.add(name, factory, description="")`` once per listener.

        - ``name``: a unique name, shown by ``gaterm plugins`` and in warnings.
        - ``factory``: called once per run, before it starts, as ``factory(context)`` with a
          ``gaterm.plugin.RunContext``: ``context.run_dir`` (the run directory, a ``Path``; it exists from
          ``RunStarted`` on), ``context.config`` (the run's ``RunConfig``, ``[tracking]`` included),
          ``context.resumed`` (True for ``--resume``), ``context.front_end`` (``"headless"``, ``"tui"`` or
          ``"compare"``), ``context.arm`` (the compare arm, e.g. ``"merge-select"``, else None),
          ``context.data_dir``, ``context.workers``, ``context.scheduler`` (the run's options), and
          ``context.warn(message)``, which shows a one-line warning the front end's way. It returns the
          listener, a callable ``listener(event)``, or None when it has nothing to do for this run.
        - ``description``: one line for ``gaterm plugins``.

        The listener receives every event of the run (``gaterm.plugin.Event``: ``RunStarted`` first,
        ``RunFinished`` last), in the engine's thread, each one after the results writer has handled it (so
        ``summary.json`` and ``best_model.pt`` exist when it sees ``RunFinished``). It must not modify the
        events and should return quickly: the engine waits for it. A factory or listener that raises is named
        in one warning line and detached; the run itself goes on unchanged.
    """
