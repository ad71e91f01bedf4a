"""The declared plugin API: the one module a gaterm plugin imports.

Everything a plugin needs to add data sets (`gaterm_register_datasets`), merge strategies
(`gaterm_register_merge_strategies`) or run listeners (`gaterm_register_listeners`) is exported here, and these
names are kept stable. Anything else inside `gaterm` is internal and may change between versions. The built-in
plugins (`gaterm_builtin`) import only this.
"""

from __future__ import annotations

from gaterm.chromosome import Chromosome, LayerGene
from gaterm.config import RunConfig
from gaterm.datasets import DatasetSpec, DataSource, LoadContext, RawData
from gaterm.engine.fitness import ACTIVATIONS
from gaterm.errors import DataError, GatermError, MergeError, PluginError
from gaterm.events import (
    CheckpointReady,
    EpochFinished,
    EvaluationFinished,
    EvaluationRecord,
    EvaluationStarted,
    Event,
    GenerationFinished,
    GenerationStarted,
    GenerationSummary,
    RunFinished,
    RunStarted,
)
from gaterm.hookspecs import hookimpl
from gaterm.listeners import Listener, ListenerFactory, RunContext
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
from gaterm.plugins import DatasetRegistry, ListenerRegistry, MergeRegistry
from gaterm.states import Direction, Status, StopReason
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
    "CheckpointReady",
    "Chromosome",
    "DataError",
    "DataSource",
    "DatasetRegistry",
    "DatasetSpec",
    "Direction",
    "EpochFinished",
    "EvaluationFinished",
    "EvaluationRecord",
    "EvaluationStarted",
    "Event",
    "GatermError",
    "GenerationFinished",
    "GenerationStarted",
    "GenerationSummary",
    "LayerGene",
    "LayerWeights",
    "Listener",
    "ListenerFactory",
    "ListenerRegistry",
    "LoadContext",
    "MergeError",
    "MergeRegistry",
    "MergeStrategy",
    "Parent",
    "PluginError",
    "Probe",
    "RawData",
    "RunConfig",
    "RunContext",
    "RunFinished",
    "RunStarted",
    "Status",
    "StopReason",
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
