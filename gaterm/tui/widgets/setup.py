"""The Setup tab: data set, merge, GA parameters and the gene store, validated as you type."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, Static

from gaterm.config import SCHEDULES, TABLE_DATASET, DataConfig, RunConfig
from gaterm.errors import GatermError
from gaterm.plugins import PluginSet
from gaterm.tui.form import (
    GENE_FIELDS,
    PARAM_FIELDS,
    FieldSpec,
    config_from_texts,
    field_of,
    texts_from_config,
)


def input_id(key: str) -> str:
    """The widget id of the input for config key `key` ("ga.population" -> "f-ga-population")."""
    return "f-" + key.replace(".", "-").replace("_", "-")


class SetupPane(Vertical):
    """The form. Every change re-checks the whole configuration and posts `SetupPane.Checked`."""

    class Checked(Message):
        """The form's configuration (valid) or the first problem with it (`config` is None)."""

        def __init__(self, config: RunConfig | None, error: str | None) -> None:
            super().__init__()
            self.config = config
            self.error = error

    def __init__(self, plugins: PluginSet, config: RunConfig, **kw) -> None:
        super().__init__(**kw)
        self.plugins = plugins
        self.base = config
        self.config: RunConfig | None = None
        self.error: str | None = None
        self._loading = False
        self._file_error: str | None = None

    # ----- layout -----
    def compose(self) -> ComposeResult:
        cfg = self.base
        texts = texts_from_config(cfg)
        with Horizontal(id="setup-columns"):
            with VerticalScroll(id="search-box") as box:
                box.border_title = "Search"
                with Horizontal(classes="field"):
                    yield Label("data set", classes="field-label")
                    yield Select(self._dataset_options(cfg), value=cfg.dataset, allow_blank=False, compact=True,
                                 id="dataset")
                yield Static(self._dataset_note(cfg.dataset), id="dataset-note", classes="note")
                yield from self._table_fields(cfg)
                with Horizontal(classes="field"):
                    yield Label("merge", classes="field-label")
                    yield Checkbox("merged parent weights", cfg.ga.merge, compact=True, id="merge")
                with Horizontal(classes="field"):
                    yield Label("strategy", classes="field-label")
                    yield Select(self._strategy_options(cfg), value=cfg.ga.merge_strategy, allow_blank=False,
                                 compact=True,
                                 id="merge-strategy", disabled=not cfg.ga.merge)
                with Horizontal(classes="field"):
                    yield Label("schedule", classes="field-label")
                    yield Select(_choices(SCHEDULES, cfg.ga.schedule, "unknown"), value=cfg.ga.schedule,
                                 allow_blank=False, compact=True, id="schedule",
                                 tooltip="ga.schedule: generational (each generation waits for its slowest "
                                 "evaluation) or async (a child is bred whenever a worker is free)")
                with Horizontal(classes="field"):
                    yield Label("pruning", classes="field-label")
                    yield Checkbox("median pruning", cfg.training.prune, compact=True, id="prune",
                                   tooltip="training.prune: stop evaluations worse than the median so far")
                with Horizontal(classes="field"):
                    yield Label("copies", classes="field-label")
                    yield Checkbox("no copies bred", cfg.ga.dedupe, compact=True, id="dedupe",
                                   tooltip="ga.dedupe: mutate a child again until its genes differ from every "
                                   "individual's so far")
                for spec in PARAM_FIELDS:
                    yield from self._field(spec, texts[spec.key])
            with VerticalScroll(id="genes-box") as box:
                box.border_title = "Gene store"
                for spec in GENE_FIELDS:
                    yield from self._field(spec, texts[spec.key])
                yield Static("values separated by commas or spaces", classes="note")
        yield Static("", id="setup-message")

    def _field(self, spec: FieldSpec, text: str) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(spec.label, classes="field-label")
            inp = Input(text, id=input_id(spec.key), compact=True, placeholder=spec.hint)
            inp.tooltip = f"{spec.key}" + (f": {spec.hint}" if spec.hint else "")
            yield inp

    def _table_fields(self, cfg: RunConfig) -> ComposeResult:
        """The `table` data set's file and label (the label picked from the file's columns); shown only for it."""
        with Vertical(id="table-fields") as box:
            box.styles.height = "auto"
            box.display = cfg.dataset == TABLE_DATASET
            with Horizontal(classes="field"):
                yield Label("file", classes="field-label")
                yield Input(cfg.data.file, id="data-file", compact=True, placeholder="a CSV or Parquet file")
            with Horizontal(classes="field"):
                yield Label("label", classes="field-label")
                yield Select(self._label_options(cfg.data.file, cfg.data.label), allow_blank=True, compact=True,
                             id="data-label", value=cfg.data.label or Select.NULL, prompt="the column to predict")

    def _label_options(self, file: str, current: str = "") -> list[tuple[str, str]]:
        """The file's columns (remembering why they could not be read, for `check`)."""
        from gaterm.tables import table_columns

        self._file_error = None
        columns: list[str] = []
        if file.strip():
            try:
                columns = table_columns(file.strip())
            except GatermError as exc:
                self._file_error = f"data.file: {exc}"
        if current and current not in columns:
            columns.append(current)
        return [(c, c) for c in columns]

    def _table_extra(self) -> dict[str, str]:
        """The [data] keys the form sets: the file and label for `table`, none for any other data set."""
        if self.dataset != TABLE_DATASET:
            return {f"data.{k}": v for k, v in dataclasses.asdict(DataConfig()).items()}
        label = self.query_one("#data-label", Select).value
        file = self.query_one("#data-file", Input).value.strip()
        return {"data.file": str(Path(file).expanduser().resolve()) if file else "",
                "data.label": "" if label is Select.NULL else str(label)}

    def _dataset_options(self, cfg: RunConfig) -> list[tuple[str, str]]:
        return _choices(sorted(self.plugins.datasets.items), cfg.dataset, "not installed")

    def _strategy_options(self, cfg: RunConfig) -> list[tuple[str, str]]:
        return _choices(sorted(self.plugins.merges.items), cfg.ga.merge_strategy, "not installed")

    def _dataset_note(self, name: str) -> str:
        spec = self.plugins.datasets.items.get(name)
        return f"{spec.task}: {spec.description}" if spec is not None else "not installed"

    def on_mount(self) -> None:
        self.check()

    # ----- reading and writing the form -----
    def texts(self) -> dict[str, str]:
        return {spec.key: self.query_one(f"#{input_id(spec.key)}", Input).value for spec in PARAM_FIELDS + GENE_FIELDS}

    @property
    def dataset(self) -> str:
        return str(self.query_one("#dataset", Select).value)

    @property
    def merge(self) -> bool:
        return self.query_one("#merge", Checkbox).value

    def set_value(self, key: str, text: str) -> None:
        """Set one input's text (as typing would) and re-check."""
        self.query_one(f"#{input_id(key)}", Input).value = text

    def load(self, cfg: RunConfig) -> None:
        """Show `cfg` in the form (after loading a TOML file); fields the form lacks are kept from it."""
        self.base = cfg
        self._loading = True
        try:
            for key, text in texts_from_config(cfg).items():
                self.query_one(f"#{input_id(key)}", Input).value = text
            for select_id, options, value in (
                ("#dataset", self._dataset_options(cfg), cfg.dataset),
                ("#merge-strategy", self._strategy_options(cfg), cfg.ga.merge_strategy),
                ("#schedule", _choices(SCHEDULES, cfg.ga.schedule, "unknown"), cfg.ga.schedule),
            ):
                select = self.query_one(select_id, Select)
                select.set_options(options)
                select.value = value
            self.query_one("#merge", Checkbox).value = cfg.ga.merge
            self.query_one("#prune", Checkbox).value = cfg.training.prune
            self.query_one("#dedupe", Checkbox).value = cfg.ga.dedupe
            self.query_one("#data-file", Input).value = cfg.data.file
            label = self.query_one("#data-label", Select)
            label.set_options(self._label_options(cfg.data.file, cfg.data.label))
            label.value = cfg.data.label or Select.NULL
            self.query_one("#table-fields").display = cfg.dataset == TABLE_DATASET
        finally:
            self._loading = False
        self.check()

    def toggle_merge(self) -> None:
        box = self.query_one("#merge", Checkbox)
        box.value = not box.value

    # ----- validation -----
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "data-file" and not self._loading:
            label = self.query_one("#data-label", Select)
            keep = "" if label.value is Select.NULL else str(label.value)
            options = self._label_options(event.value)
            label.set_options(options)
            if keep in dict(options):
                label.value = keep
        self.check()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "dataset":
            self.query_one("#dataset-note", Static).update(self._dataset_note(self.dataset))
            self.query_one("#table-fields").display = self.dataset == TABLE_DATASET
        self.check()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.checkbox.id == "merge":
            self.query_one("#merge-strategy", Select).disabled = not event.value
        self.check()

    def check(self) -> RunConfig | None:
        """Validate the whole form; mark the field at fault and show its message (or a ready line)."""
        if self._loading or not self.is_mounted:
            return None
        config, error = None, None
        extra = {
            "dataset": self.dataset,
            "ga.merge": self.merge,
            "ga.merge_strategy": str(self.query_one("#merge-strategy", Select).value),
            "ga.schedule": str(self.query_one("#schedule", Select).value),
            "training.prune": self.query_one("#prune", Checkbox).value,
            "ga.dedupe": self.query_one("#dedupe", Checkbox).value,
            **self._table_extra(),
        }
        try:
            if self.dataset == TABLE_DATASET and self._file_error:
                raise GatermError(self._file_error)
            spec = self.plugins.dataset(self.dataset)
            config = config_from_texts(self.texts(), self.base, spec.task, extra)
            if config.ga.merge:
                self.plugins.merge_strategy(config.ga.merge_strategy)
        except GatermError as exc:
            config, error = None, str(exc)
        bad = field_of(error) if error else None
        for spec_ in PARAM_FIELDS + GENE_FIELDS:
            self.query_one(f"#{input_id(spec_.key)}", Input).set_class(spec_.key == bad, "-bad")
        self.query_one("#data-file", Input).set_class(bad == "data.file", "-bad")
        message = self.query_one("#setup-message", Static)
        if error or config is None:
            message.update(f"[b]✗[/] {_escape(error or 'no configuration')}")
        else:
            ga = config.ga
            merge = f"merge on ({ga.merge_strategy})" if ga.merge else "merge off"
            planned = ga.planned_evaluations
            budget = f", time budget {ga.time_budget_s:g} s" if ga.time_budget_s is not None else ""
            how = ", async" if ga.schedule == "async" else ""
            how += ", pruning" if config.training.prune else ""
            how += ", no copies" if ga.dedupe else ""
            message.update(
                f"[b]✓[/] ready: {config.dataset}, {merge}{how}, {planned} evaluations "
                f"over {ga.generations} generation{'s' * (ga.generations != 1)}{budget}; ctrl+r starts"
            )
        message.set_class(error is not None, "-error")
        self.config, self.error = config, error
        self.post_message(self.Checked(config, error))
        return config


def _choices(names: Sequence[str], current: str, missing: str) -> list[tuple[str, str]]:
    """A Select's options: `names`, plus `current` marked `(missing)` if the config names another (the check
    then says what is wrong with it)."""
    known = [(n, n) for n in names]
    return known if current in names else [*known, (f"{current} ({missing})", current)]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
