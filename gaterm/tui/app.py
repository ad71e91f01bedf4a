"""The gaterm Textual app: Setup, Run and Compare tabs around one engine run at a time in a thread worker."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown, Static, TabbedContent, TabPane

from gaterm.config import RunConfig
from gaterm.errors import GatermError
from gaterm.events import EngineState
from gaterm.plugins import PluginSet
from gaterm.rundir.lock import RunLock
from gaterm.tui.actions import FileActions, RunControl
from gaterm.tui.model import NO_RUN_STATUS, RunModel, convergence
from gaterm.tui.screens.help import HelpScreen
from gaterm.tui.screens.lineage import LineageScreen
from gaterm.tui.screens.prompt import PathPrompt
from gaterm.tui.widgets.charts import CompareChart, ConvergenceChart, FitnessHistogram
from gaterm.tui.widgets.progress import RunProgress
from gaterm.tui.widgets.setup import SetupPane
from gaterm.tui.widgets.tables import EvaluationTable, GenerationTable, RunsTable


class GatermApp(RunControl, FileActions):
    """Set up a search, run it in a background worker, watch it live, compare merge against basic."""

    TITLE = "gaterm"
    # State that views are drawn from. `tick` grows whenever a run model changes (an engine event, a run
    # opened, the compared runs picked): its watcher schedules one `refresh_views` per burst of changes.
    # `var`: reactive attributes that run their watchers but never repaint the app by themselves.
    viewed_key: var[str | None] = var(None, init=False)
    tick: var[int] = var(0, init=False)
    chart_axis: var[str] = var("time", init=False)
    chart_zoom: var[bool] = var(False, init=False)
    report: var[str] = var("", init=False)  # the opened comparison's tables (Markdown)
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    # textual annotates App.HORIZONTAL_BREAKPOINTS as `ClassVar[...] | None`, which type checkers read as an
    # instance variable; it is a class variable, as textual's docs set it
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]  # type: ignore[misc]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start_run", "Start", id="run.start", tooltip="start a run with the Setup tab's values"),
        Binding("ctrl+t", "stop_run", "Stop", id="run.stop", tooltip="stop the run after the current epoch"),
        Binding("ctrl+g", "toggle_merge", "Merge", id="setup.merge", tooltip="turn merge on or off"),
        Binding("ctrl+s", "save_config", "Save", id="config.save", tooltip="save the configuration as TOML"),
        Binding("ctrl+l", "load_config", "Load", id="config.load", tooltip="load a configuration TOML file"),
        Binding("ctrl+o", "open_run", "Open", id="run.open", tooltip="open a past run directory"),
        Binding("f5", "toggle_chart", "Chart", id="run.chart", show=False,
                tooltip="the convergence chart over the whole Run tab, or back to the tables"),
        Binding("f6", "toggle_axis", "Axis", id="chart.axis", show=False,
                tooltip="convergence charts against time or against the evaluation count"),
        Binding("f1", "help", "Help", id="help", tooltip="this screen"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="quit (a run in progress stops cleanly first)",
                show=False, priority=True),
        Binding("f2", "show_tab('setup')", "Setup", id="tab.setup", tooltip="the Setup tab", show=False),
        Binding("f3", "show_tab('run')", "Run", id="tab.run", tooltip="the Run tab", show=False),
        Binding("f4", "show_tab('compare')", "Compare", id="tab.compare", tooltip="the Compare tab", show=False),
    ]

    def __init__(
        self,
        config: RunConfig | None = None,
        *,
        data_dir: Path | None = None,
        out: Path | None = None,
        runs_root: Path = Path("runs"),
        plugins: PluginSet | None = None,
        open_runs: Sequence[Path] = (),
        workers: int = 1,
        scheduler: str | None = None,
        resume_state: EngineState | None = None,
        resume: bool = False,
        out_lock: RunLock | None = None,
        keymap: dict[str, str] | None = None,
    ) -> None:
        """`resume=True` continues the run in `out` (prepared by `gaterm.rundir.resume.prepare_resume`) from
        `resume_state`, its checkpoint (None: generation 0 is redone), as soon as the app is mounted; `out_lock`
        is `out`'s lock when the caller already claimed it (see `gaterm.rundir.lock`). Every run holds its
        directory's lock while it runs. `keymap` remaps keys: binding id -> keys (see `gaterm.tui.keys`; ids are
        checked by `binding_ids`)."""
        super().__init__()
        self.keymap = dict(keymap or {})
        unknown = sorted(set(self.keymap) - set(binding_ids()))
        if unknown:
            raise GatermError(f"unknown binding id(s) {', '.join(map(repr, unknown))}")
        if plugins is None:
            from gaterm.session import open_plugins

            plugins = open_plugins()
        self.plugins = plugins
        self.initial_config = config or RunConfig()
        self.data_dir = data_dir
        self.out = out  # the first run's directory (--out); later runs get runs_root/DATASET-TIME
        self.runs_root = Path(runs_root)
        self.eval_workers, self.scheduler = workers, scheduler  # the evaluation backend: --workers, --scheduler
        if workers > 1:
            # multiprocessing's resource tracker passes sys.stderr's file descriptor to its process; once the
            # app runs, stderr is Textual's capture, which has none. Start the tracker while it is the real one.
            from multiprocessing import resource_tracker

            resource_tracker.ensure_running()
        self.models: dict[str, RunModel] = {}  # run key -> the run as the UI shows it
        self.live_key: str | None = None  # the run this session's engine feeds (the latest started)
        self.compared: dict[str, str] = {}  # kind ("merge", "basic", "?") -> run key
        self._open_runs = list(open_runs)
        self._run_id = 0
        self._stop = threading.Event()
        self._drawn: dict[str, object] = {}  # what each view last drew, so a redraw skips unchanged views
        self._refresh_pending = False
        self.resume_state: EngineState | None = resume_state
        self.resume_pending = resume
        self._out_lock = out_lock  # the claimed --out or --resume directory, for the first run
        self._run_lock: RunLock | None = None  # the running run's directory

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="setup", id="tabs"):
            with TabPane("Setup", id="setup"):
                yield SetupPane(self.plugins, self.initial_config, id="setup-pane")
            with TabPane("Run", id="run"):
                yield RunProgress(id="progress")
                with Horizontal(id="run-main"):
                    yield EvaluationTable(id="evaluations")
                    with Vertical(id="run-side"):
                        yield GenerationTable(id="generations")
                        yield ConvergenceChart(id="run-convergence")
                        yield FitnessHistogram(id="run-histogram")
            with TabPane("Compare", id="compare"), VerticalScroll(id="compare-scroll"):
                yield Static("Runs of this session and opened run directories "
                             "(Enter: compare, v: view in the Run tab, ctrl+o: open another)",
                             classes="note")
                yield RunsTable(id="runs")
                yield Markdown("", id="compare-report")
                yield CompareChart(id="compare-chart")
                yield ConvergenceChart(rows=10, spreads=False, id="compare-convergence")
        yield Footer()

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        import asyncio
        import contextlib
        import signal

        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no Unix
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._on_sigterm)
        for error in self.plugins.errors:  # a broken plugin is named; the others still work
            self.notify(error, title="plugin", severity="warning", timeout=10)
        self._update_titles()
        self.query_one("#run-histogram", FitnessHistogram).set_run(None)
        self.query_one("#compare-chart", CompareChart).set_runs([], [])
        for path in self._open_runs:
            problem = self._open_run_dir(path)
            if problem:
                self.notify(problem, severity="error")
        self.refresh_views()
        self._preload()
        if self.resume_pending:
            self.action_start_run()

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload(self) -> None:
        """Import torch and the engine in the background, so the first start does not stall the UI."""
        import gaterm.rundir.writer
        import gaterm.session  # noqa: F401

    # ------------------------------------------------------------------ bindings and commands
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start_run":
            return None if self.running or self.setup_pane.config is None else True
        if action == "stop_run":
            return True if self.running else None
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Start run", "Start a run with the Setup tab's configuration (ctrl+r)",
                            self.action_start_run)
        yield SystemCommand("Stop run", "Stop the run after the current epoch; finished work is kept (ctrl+t)",
                            self.action_stop_run)
        yield SystemCommand("Toggle merge", "Children start from merged parent weights, or not (ctrl+g)",
                            self.action_toggle_merge)
        yield SystemCommand("Save configuration", "Save the setup as a TOML file `gaterm --no-ui --config` reads "
                            "(ctrl+s)", self.action_save_config)
        yield SystemCommand("Load configuration", "Load a configuration TOML file into the setup (ctrl+l)",
                            self.action_load_config)
        yield SystemCommand("Open run directory", "Browse a past run and compare it (ctrl+o)", self.action_open_run)
        yield SystemCommand("Show Setup", "Data set, merge, GA parameters, gene store (F2)",
                            lambda: self.action_show_tab("setup"))
        yield SystemCommand("Show Run", "Progress, evaluations, generations, histogram (F3)",
                            lambda: self.action_show_tab("run"))
        yield SystemCommand("Show Compare", "Merge vs basic fitness times and durations (F4)",
                            lambda: self.action_show_tab("compare"))
        yield SystemCommand("Convergence chart", "The best-so-far chart over the whole Run tab, or back (F5)",
                            self.action_toggle_chart)
        yield SystemCommand("Chart axis", "Convergence against time or evaluations (F6)", self.action_toggle_axis)
        yield SystemCommand("Help", "Keys and what each tab does (F1)", self.action_help)
        yield from super().get_system_commands(screen)

    def action_toggle_chart(self) -> None:
        self.chart_zoom = not self.chart_zoom
        self.action_show_tab("run")

    def action_toggle_axis(self) -> None:
        self.chart_axis = "count" if self.chart_axis == "time" else "time"

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_merge(self) -> None:
        self.setup_pane.toggle_merge()
        cfg = self.setup_pane.config
        if cfg is not None:
            self.notify(f"merge {'on' if cfg.ga.merge else 'off'} for the next run", timeout=2)

    async def action_quit(self) -> None:
        self._stop.set()  # a run in progress stops after its epoch and still writes its summary
        await super().action_quit()

    def _on_sigterm(self) -> None:
        """SIGTERM (a batch scheduler, `kill`) quits like ctrl+q: a run in progress stops after its epoch and
        writes its partial summary; `gaterm` exits with 143."""
        self._stop.set()
        self.exit(return_code=143)

    def on_unmount(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ setup
    def on_setup_pane_checked(self, event: SetupPane.Checked) -> None:
        self._update_titles()
        self.refresh_bindings()

    # ------------------------------------------------------------------ drawing the state
    def watch_tick(self) -> None:
        if not self._refresh_pending:  # one redraw for a burst of events
            self._refresh_pending = True
            self.call_later(self.refresh_views)

    def watch_report(self, text: str) -> None:
        report = self.query_one("#compare-report", Markdown)
        report.display = bool(text)
        report.update(text)

    def watch_viewed_key(self) -> None:
        self.refresh_views()

    def watch_chart_axis(self) -> None:
        self._drawn.pop("convergence", None)
        self._drawn.pop("compare-convergence", None)
        self.refresh_views()

    def watch_chart_zoom(self, zoom: bool) -> None:
        self.query_one("#run-main").set_class(zoom, "-zoom")
        self.query_one("#run-convergence", ConvergenceChart).set_class(zoom, "-fill")
        self._drawn.pop("convergence", None)
        self.call_after_refresh(self.refresh_views)

    def _changed(self, view: str, signature: object) -> bool:
        """Whether `view` must be redrawn: its inputs' `signature` differs from the last drawn one."""
        if self._drawn.get(view, self) == signature:
            return False
        self._drawn[view] = signature
        return True

    def refresh_views(self) -> None:
        """Draw every view from the models; views whose inputs did not change are left alone."""
        self._refresh_pending = False
        model = self.viewed_model
        run = model.run if model else None
        progress = self.query_one(RunProgress)
        if model is None:
            progress.clear()
            progress.set_status(NO_RUN_STATUS)
        else:
            for key, bar in model.bars().items():
                progress.set_bar(key, bar.label, bar.done, bar.total)
            progress.set_status(model.status_markup())
        self.query_one(EvaluationTable).sync(run)
        self.query_one(GenerationTable).sync(run)
        records = (id(run), len(run.evaluations), len(run.generations)) if run else None
        if self._changed("histogram", records):
            self.query_one("#run-histogram", FitnessHistogram).set_run(run)
        if self._changed("convergence", records):
            self.query_one("#run-convergence", ConvergenceChart).set_series(
                [model.convergence()] if model else [], self.chart_axis)
        self._refresh_compare()

    def _refresh_compare(self) -> None:
        table = self.query_one(RunsTable)
        compared_keys = set(self.compared.values())
        for key, model in self.models.items():
            run = model.run
            signature = (len(run.evaluations), run.stop_reason, model.state_word, key in compared_keys,
                         run.total_duration_s)
            if self._changed(f"row:{key}", signature):
                table.upsert(key, run, key in compared_keys, model.state_word)
        order = [k for k in ("merge", "basic", "?") if k in self.compared]
        compared = [self.models[self.compared[k]] for k in order]
        everything = tuple((id(m), len(m.run.evaluations), m.run.total_duration_s) for m in self.models.values())
        if self._changed("compare", (tuple(id(m) for m in compared), everything)):
            self.query_one(CompareChart).set_runs([m.run for m in compared], list(self.runs.values()))
            # one clock for every compared run (summed fitness time), so live and opened runs line up
            self.query_one("#compare-convergence", ConvergenceChart).set_series(
                [convergence(m.run) for m in compared], self.chart_axis)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, EvaluationTable):
            run = event.data_table.run
            if run is not None and event.row_key.value is not None:
                self.push_screen(LineageScreen(run, int(event.row_key.value)))
            return
        if not isinstance(event.data_table, RunsTable):
            return
        key = event.row_key.value
        if key in self.models:
            self.compared[self.models[key].run.kind] = key
            self.tick += 1

    def on_runs_table_view_requested(self, message: RunsTable.ViewRequested) -> None:
        if message.key in self.models:
            self.viewed_key = message.key
            self.action_show_tab("run")


def binding_ids() -> list[str]:
    """Every binding id a keys file may remap: the app's, its tables' and its screens'."""
    owners = (GatermApp, RunsTable, HelpScreen, PathPrompt, LineageScreen)
    return sorted({b.id for owner in owners for b in owner.BINDINGS if isinstance(b, Binding) and b.id})
