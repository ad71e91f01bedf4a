"""The declared plugin API: the one module a gaterm plugin imports.

Everything a plugin needs to add data sets (`gaterm_register_datasets`) or merge strategies
(`gaterm_register_merge_strategies`) is exported here, and these names are kept stable. Anything else inside
`gaterm` is internal and may change between versions. The built-in plugins (`gaterm_builtin`) import only this.
"""

from __future__ import annotations

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.datasets import DatasetSpec, DataSource, LoadContext, RawData
from gaterm.engine.fitness import ACTIVATIONS
from gaterm.errors import DataError, GatermError, MergeError, PluginError
from gaterm.hookspecs import hookimpl
from gaterm.merge import (
    PROBE_ROWS,
    VAL_PROBE_ROWS,
    LayerWeights,
    MergeStrategy,
    Parent,
    Probe,
    resize,
    run_merge,
    uses_data,
)
from gaterm.plugins import DatasetRegistry, MergeRegistry
from gaterm.states import Direction
from gaterm.tables import (
    CATEGORY,
    NUMBER,
    TableColumn,
    TableLayout,
    as_text,
    column_named,
    is_numeric,
    missing_error,
    read_table,
)
from gaterm.tables import encode as encode_table

__all__ = [
    "ACTIVATIONS",
    "CATEGORY",
    "NUMBER",
    "PROBE_ROWS",
    "VAL_PROBE_ROWS",
    "Chromosome",
    "DataError",
    "DataSource",
    "DatasetRegistry",
    "DatasetSpec",
    "Direction",
    "GatermError",
    "LayerGene",
    "LayerWeights",
    "LoadContext",
    "MergeError",
    "MergeRegistry",
    "MergeStrategy",
    "Parent",
    "PluginError",
    "Probe",
    "RawData",
    "TableColumn",
    "TableLayout",
    "as_text",
    "column_named",
    "encode_table",
    "hookimpl",
    "is_numeric",
    "missing_error",
    "read_table",
    "resize",
    "run_merge",
    "uses_data",
]
