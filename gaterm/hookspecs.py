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
    from gaterm.plugins import DatasetRegistry, MergeRegistry

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
