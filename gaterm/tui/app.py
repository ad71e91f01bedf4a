"""The gaterm Textual app: Setup, Run and Compare tabs around one engine run at a time in a thread worker."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from gaterm.config import GAConfig, RunConfig, load_config
from gaterm.errors import GatermError
from gaterm.events import EngineState, RunFinished, RunStarted
from gaterm.plugins import PluginSet
from gaterm.rundir.lock import RunLock
from gaterm.rundir.reader import RunData, read_run_dir
from gaterm.tui.comparison import read_report
from gaterm.tui.formatting import fmt_metric, fmt_seconds
from gaterm.tui.messages import EngineEvent, RunPhase
from gaterm.tui.model import NO_RUN_STATUS, RunModel, convergence
from gaterm.tui.screens.help import HelpScreen
from gaterm.tui.screens.lineage import LineageScreen
from gaterm.tui.screens.prompt import PathPrompt
from gaterm.tui.widgets.charts import CompareChart, ConvergenceChart, FitnessHistogram
from gaterm.tui.widgets.progress import RunProgress
from gaterm.tui.widgets.setup import SetupPane
from gaterm.tui.widgets.tables import EvaluationTable, GenerationTable, RunsTable

ENGINE_WORKER = "engine"


class GatermApp(App[int]):
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
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
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
            error = self._open_run_dir(path)
            if error:
                self.notify(error, severity="error")
        self.refresh_views()
        self._preload()
        if self.resume_pending:
            self.action_start_run()

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload(self) -> None:
        """Import torch and the engine in the background, so the first start does not stall the UI."""
        import gaterm.rundir.writer
        import gaterm.session  # noqa: F401

    # ------------------------------------------------------------------ properties
    @property
    def setup_pane(self) -> SetupPane:
        return self.query_one(SetupPane)

    @property
    def runs(self) -> dict[str, RunData]:
        """Every run of the session and every opened one, by key."""
        return {key: model.run for key, model in self.models.items()}

    @property
    def live_model(self) -> RunModel | None:
        return self.models.get(self.live_key) if self.live_key else None

    @property
    def live(self) -> RunData | None:
        """The run this session started last (None before the first)."""
        model = self.live_model
        return model.run if model else None

    @property
    def running(self) -> bool:
        model = self.live_model
        return model is not None and model.running

    @property
    def viewed_model(self) -> RunModel | None:
        return self.models.get(self.viewed_key) if self.viewed_key else None

    @property
    def viewed(self) -> RunData | None:
        model = self.viewed_model
        return model.run if model else None

    def _update_titles(self) -> None:
        cfg = self.setup_pane.config
        if self.running and self.live is not None:
            self.sub_title = f"running {self.live.label}"
        elif cfg is not None:
            self.sub_title = f"{cfg.dataset} · merge {'on' if cfg.ga.merge else 'off'}"
        else:
            self.sub_title = "setup has a problem"

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

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab

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

    # ------------------------------------------------------------------ keep: config files, run dirs
    def action_save_config(self) -> None:
        self.push_screen(PathPrompt("Save the configuration as (TOML)", "gaterm.toml", self._save_config))

    def _save_config(self, path: Path) -> str | None:
        cfg = self.setup_pane.config
        if cfg is None:
            return f"fix the setup first: {self.setup_pane.error}"
        if path.is_dir():
            return f"{path} is a directory"
        if not path.parent.is_dir():
            return f"{path.parent} does not exist"
        try:
            cfg.save(path)
        except OSError as exc:
            return f"cannot write {path}: {exc}"
        self.notify(f"configuration saved to {path}", timeout=3)
        return None

    def action_load_config(self) -> None:
        self.push_screen(PathPrompt("Load a configuration (TOML)", "", self._load_config, tree="toml"))

    def _load_config(self, path: Path) -> str | None:
        try:
            cfg = load_config(path)
        except GatermError as exc:
            return str(exc)
        self.setup_pane.load(cfg)
        self.action_show_tab("setup")
        self.notify(f"configuration loaded from {path}", timeout=3)
        return None

    def action_open_run(self) -> None:
        start = next((f"{p}/" for p in (Path("sample_runs"), self.runs_root) if p.is_dir()), "")
        self.push_screen(PathPrompt("Open a run directory (Enter on a run in the tree opens it)", start,
                                    self._open_run_dir, tree="dirs"))

    def _open_run_dir(self, path: Path) -> str | None:
        if (path / "compare.json").is_file():
            return self._open_comparison(path)
        try:
            run = read_run_dir(path)
        except GatermError as exc:
            return str(exc)
        key = next((k for k, r in self.runs.items() if r.path is not None and k != self.live_key
                    and r.path.resolve() == path.resolve()), None)
        key = key or f"run-{len(self.models) + 1}"
        self.models[key] = RunModel.opened(run)
        self.compared[run.kind] = key
        self.viewed_key = key
        self.tick += 1
        self.action_show_tab("run")
        return None

    def _open_comparison(self, path: Path) -> str | None:
        """A `gaterm compare` directory: open every arm's run (DATASET/seed-N/ARM), labelled by that path, and
        compare the first basic arm with the first arm of the default merge strategy (else the first merge arm)."""
        arm_dirs = sorted(d for d in path.glob("*/seed-*/*") if (d / "evaluations.csv").is_file())
        if not arm_dirs:
            return f"{path}: a comparison directory without run directories"
        preferred = f"merge-{GAConfig().merge_strategy}"
        firsts: dict[str, str] = {}
        first_preferred = None
        for d in arm_dirs:
            try:
                run = read_run_dir(d, label=str(d.relative_to(path)))
            except GatermError as exc:
                return str(exc)
            key = f"run-{len(self.models) + 1}"
            self.models[key] = RunModel.opened(run)
            firsts.setdefault(run.kind, key)
            if run.kind == "merge" and d.name == preferred and first_preferred is None:
                first_preferred = key
        if first_preferred is not None:
            firsts["merge"] = first_preferred
        self.compared.update(firsts)
        self.report = read_report(path)
        self.tick += 1
        self.action_show_tab("compare")
        return None

    # ------------------------------------------------------------------ start / stop
    def action_start_run(self) -> None:
        if self.running:
            self.notify("a run is already in progress; stop it first (ctrl+t)", severity="warning")
            return
        cfg = self.setup_pane.check()
        if cfg is None:
            self.notify(f"cannot start: {self.setup_pane.error}", severity="error")
            self.action_show_tab("setup")
            return
        from gaterm.rundir.lock import claim_default_run_dir, claim_existing_run_dir, claim_new_run_dir

        resuming, self.resume_pending = self.resume_pending, False
        try:  # the run's directory is created and locked in one step (another process cannot share it)
            if self._out_lock is not None and self._out_lock.held:
                lock = self._out_lock
            elif self.out is None:
                lock = claim_default_run_dir(cfg.dataset, self.runs_root)
            elif resuming:
                lock = claim_existing_run_dir(self.out)
            else:
                lock = claim_new_run_dir(self.out)
        except GatermError as exc:
            self.notify(str(exc), severity="error")
            return
        out, self._run_lock, self._out_lock = lock.path, lock, None
        self.out = None
        self._run_id += 1
        key = f"run-{len(self.models) + 1}"
        run = RunData(label=out.name, path=out, config=cfg)
        self.models[key] = RunModel.starting(run)
        self.live_key = key
        self.compared[run.kind] = key
        self._stop.clear()
        self.viewed_key = key
        self.tick += 1
        self.action_show_tab("run")
        self.refresh_bindings()
        self._update_titles()
        self.run_engine(self._run_id, copy.deepcopy(cfg), out, self.resume_state if resuming else None, resuming)

    def action_stop_run(self) -> None:
        model = self.live_model
        if model is None or not model.running:
            return
        self._stop.set()
        model.stopping()
        self.tick += 1

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine", name=ENGINE_WORKER)
    def run_engine(
        self, run_id: int, cfg: RunConfig, out: Path, resume_state: EngineState | None = None, resuming: bool = False
    ) -> RunFinished:
        """The engine, in a thread: it only posts messages (thread-safe) and never touches a widget."""
        from gaterm.listeners import RunContext, open_listeners
        from gaterm.rundir.writer import RunWriter
        from gaterm.session import make_engine, open_dataset

        worker = get_current_worker()

        def should_stop() -> bool:
            return self._stop.is_set() or worker.is_cancelled

        def forward(event) -> None:
            self.post_message(EngineEvent(run_id, event))

        spec = self.plugins.dataset(cfg.dataset)
        strategy = self.plugins.merge_strategy(cfg.ga.merge_strategy) if cfg.ga.merge else None
        self.post_message(RunPhase(run_id, f"loading data set {cfg.dataset}…"))
        dataset = open_dataset(self.plugins, spec, cfg, self.data_dir)
        self.post_message(RunPhase(run_id, "warming up…"))
        writer = RunWriter(out, extra={"data_dir": str(self.data_dir) if self.data_dir else None}, resume=resuming)
        started = threading.Event()

        def write(event) -> None:
            # RunWriter cannot finish a run it never started (an engine that fails before RunStarted, e.g. a
            # backend that cannot start): skip that RunFinished so the engine's own error reaches the UI.
            if isinstance(event, RunStarted):
                started.set()
            elif isinstance(event, RunFinished) and not started.is_set():
                return
            writer(event)

        def warn(message: str) -> None:  # notify is thread-safe
            self.notify(message, title="warning", severity="warning", timeout=10, markup=False)

        context = RunContext(out, cfg, resumed=resuming, front_end="tui", data_dir=self.data_dir,
                             workers=self.eval_workers, scheduler=self.scheduler, warn=warn)
        plugged = open_listeners(self.plugins, context)  # after the writer: they see its files
        engine = make_engine(cfg, dataset, strategy, [write, *plugged, forward], should_stop=should_stop,
                             workers=self.eval_workers, scheduler=self.scheduler, data_dir=self.data_dir,
                             resume=resume_state)
        return engine.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != ENGINE_WORKER or event.state not in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED
        ):
            return
        if self._run_lock is not None:  # the run is over: its directory is free again
            self._run_lock.release()
            self._run_lock = None
        model = self.live_model
        if model is None:
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error) if isinstance(error, GatermError) else f"{type(error).__name__}: {error}"
            model.worker_ended(text)
            self.notify(f"run failed: {text}", severity="error", timeout=10)
        else:
            model.worker_ended()
        self.tick += 1
        self.refresh_bindings()
        self._update_titles()

    # ------------------------------------------------------------------ the event stream
    def on_run_phase(self, message: RunPhase) -> None:
        model = self.live_model
        if message.run_id == self._run_id and model is not None:
            model.set_phase(message.text)
            self.tick += 1

    def on_engine_event(self, message: EngineEvent) -> None:
        model = self.live_model
        if message.run_id != self._run_id or model is None:
            return
        ev = message.event
        model.apply(ev)
        self.tick += 1
        if isinstance(ev, RunStarted):
            self._update_titles()
        elif isinstance(ev, RunFinished):
            run = model.run
            best = run.best
            tail = f"; best {run.metric_name} {fmt_metric(best.metric, run.metric_name)}" if best else ""
            self.notify(f"run {ev.stop_reason}: {len(run.evaluations)} evaluations in "
                        f"{fmt_seconds(ev.total_duration_s)}{tail}", timeout=5)

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
