"""The gaterm Textual app: Setup, Run and Compare tabs around one engine run at a time in a thread worker."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from gaterm.config import GAConfig, RunConfig, load_config
from gaterm.errors import GatermError
from gaterm.events import (
    EngineState,
    EpochFinished,
    EvaluationFinished,
    EvaluationStarted,
    GenerationFinished,
    GenerationStarted,
    RunFinished,
    RunStarted,
)
from gaterm.plugins import PluginSet
from gaterm.rundir.files import EvaluationRow, GenerationRow
from gaterm.rundir.lock import RunLock
from gaterm.rundir.reader import RunData, read_run_dir
from gaterm.tui.formatting import fmt_metric, fmt_seconds
from gaterm.tui.messages import EngineEvent, RunPhase
from gaterm.tui.screens.help import HelpScreen
from gaterm.tui.screens.prompt import PathPrompt
from gaterm.tui.widgets.charts import CompareChart, FitnessHistogram
from gaterm.tui.widgets.progress import RunProgress
from gaterm.tui.widgets.setup import SetupPane
from gaterm.tui.widgets.tables import EvaluationTable, GenerationTable, RunsTable

ENGINE_WORKER = "engine"
STATE_WORDS = {"generations": "done", "target": "target met", "time_budget": "out of time", "cancelled": "stopped"}
STOP_PHRASES = {
    "generations": "finished all generations",
    "target": "finished: target reached",
    "time_budget": "finished: time budget used",
    "cancelled": "stopped (cancelled)",
}


class GatermApp(App[int]):
    """Set up a search, run it in a background worker, watch it live, compare merge against basic."""

    TITLE = "gaterm"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start_run", "Start", id="run.start", tooltip="start a run with the Setup tab's values"),
        Binding("ctrl+t", "stop_run", "Stop", id="run.stop", tooltip="stop the run after the current epoch"),
        Binding("ctrl+g", "toggle_merge", "Merge", id="setup.merge", tooltip="turn merge on or off"),
        Binding("ctrl+s", "save_config", "Save", id="config.save", tooltip="save the configuration as TOML"),
        Binding("ctrl+l", "load_config", "Load", id="config.load", tooltip="load a configuration TOML file"),
        Binding("ctrl+o", "open_run", "Open", id="run.open", tooltip="open a past run directory"),
        Binding("f1", "help", "Help", id="help", tooltip="this screen"),
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
    ) -> None:
        """`resume=True` continues the run in `out` (prepared by `gaterm.rundir.resume.prepare_resume`) from
        `resume_state`, its checkpoint (None: generation 0 is redone), as soon as the app is mounted; `out_lock`
        is `out`'s lock when the caller already claimed it (see `gaterm.rundir.lock`). Every run holds its
        directory's lock while it runs."""
        super().__init__()
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
        self.runs: dict[str, RunData] = {}
        self.live: RunData | None = None
        self.live_key: str | None = None
        self.viewed_key: str | None = None
        self.compared: dict[str, str] = {}  # kind ("merge", "basic", "?") -> run key
        self.running = False
        self._open_runs = list(open_runs)
        self._run_id = 0
        self._stop = threading.Event()
        self._planned = 0
        self._generations = 1
        self._phase = ""
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
                        yield FitnessHistogram(id="run-histogram")
            with TabPane("Compare", id="compare"), VerticalScroll(id="compare-scroll"):
                yield Static("Runs of this session and opened run directories "
                             "(Enter: compare, v: view in the Run tab, ctrl+o: open another)",
                             classes="note")
                yield RunsTable(id="runs")
                yield CompareChart(id="compare-chart")
        yield Footer()

    def on_mount(self) -> None:
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
    def viewed(self) -> RunData | None:
        return self.runs.get(self.viewed_key) if self.viewed_key else None

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
        yield SystemCommand("Help", "Keys and what each tab does (F1)", self.action_help)
        yield from super().get_system_commands(screen)

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab

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
        key = key or f"run-{len(self.runs) + 1}"
        self.runs[key] = run
        self.compared[run.kind] = key
        self._view(key)
        self._refresh_compare()
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
            key = f"run-{len(self.runs) + 1}"
            self.runs[key] = run
            firsts.setdefault(run.kind, key)
            if run.kind == "merge" and d.name == preferred and first_preferred is None:
                first_preferred = key
        if first_preferred is not None:
            firsts["merge"] = first_preferred
        self.compared.update(firsts)
        self._refresh_compare()
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
        key = f"run-{len(self.runs) + 1}"
        run = RunData(label=out.name, path=out, config=cfg)
        self.runs[key] = run
        self.live, self.live_key = run, key
        self.compared[run.kind] = key
        self.running = True
        self._stop.clear()
        self._planned = cfg.ga.planned_evaluations
        self._generations = cfg.ga.generations
        self._phase = "starting"
        self._view(key)
        self._refresh_compare()
        self.action_show_tab("run")
        self.refresh_bindings()
        self._update_titles()
        self.run_engine(self._run_id, copy.deepcopy(cfg), out, self.resume_state if resuming else None, resuming)

    def action_stop_run(self) -> None:
        if not self.running:
            return
        self._stop.set()
        self._phase = "stopping"
        self._show_status()

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine", name=ENGINE_WORKER)
    def run_engine(
        self, run_id: int, cfg: RunConfig, out: Path, resume_state: EngineState | None = None, resuming: bool = False
    ) -> RunFinished:
        """The engine, in a thread: it only posts messages (thread-safe) and never touches a widget."""
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

        engine = make_engine(cfg, dataset, strategy, [write, forward], should_stop=should_stop,
                             workers=self.eval_workers, scheduler=self.scheduler, data_dir=self.data_dir,
                             resume=resume_state)
        return engine.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != ENGINE_WORKER or event.state not in (
            WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED
        ):
            return
        self.running = False
        if self._run_lock is not None:  # the run is over: its directory is free again
            self._run_lock.release()
            self._run_lock = None
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error) if isinstance(error, GatermError) else f"{type(error).__name__}: {error}"
            if self.live is not None and self.live.stop_reason is None:
                self.live.stop_reason = "error"
            self._phase = f"error: {text}"
            self.notify(f"run failed: {text}", severity="error", timeout=10)
        else:
            self._phase = ""
        self._show_status()
        self._refresh_compare()
        self.refresh_bindings()
        self._update_titles()

    # ------------------------------------------------------------------ the event stream
    def on_run_phase(self, message: RunPhase) -> None:
        if message.run_id == self._run_id and self.running:
            self._phase = message.text
            self._show_status()

    def on_engine_event(self, message: EngineEvent) -> None:
        if message.run_id != self._run_id or self.live is None:
            return
        run, ev = self.live, message.event
        live_shown = self.viewed_key == self.live_key
        progress = self.query_one(RunProgress)
        if isinstance(ev, RunStarted):
            run.config = ev.config
            run.metric_name, run.higher_is_better = ev.metric_name, ev.higher_is_better
            self._planned = ev.planned_evaluations
            self._phase = "" if self._phase != "stopping" else self._phase
            if live_shown:
                self._view(self.live_key)
        elif isinstance(ev, GenerationStarted):
            if live_shown:
                progress.set_bar("gen", f"generation {ev.generation + 1}/{self._generations}",
                                 len(run.generations), self._generations)
        elif isinstance(ev, EvaluationStarted):
            if live_shown:
                max_epochs = run.config.training.max_epochs if run.config else 1
                progress.set_bar("epoch", f"#{ev.id} epoch 0/{max_epochs}", 0, max_epochs)
        elif isinstance(ev, EpochFinished):
            if live_shown:
                progress.set_bar("epoch", f"#{ev.id} epoch {ev.epoch}/{ev.max_epochs}", ev.epoch, ev.max_epochs)
        elif isinstance(ev, EvaluationFinished):
            row = EvaluationRow.from_record(ev.record)
            run.evaluations.append(row)
            if live_shown:
                self.query_one(EvaluationTable).add_evaluation(row)
                self.query_one("#run-histogram", FitnessHistogram).set_run(run)
                self._show_bars(run)
                self._show_status()
            self._refresh_compare()
        elif isinstance(ev, GenerationFinished):
            g = GenerationRow.from_summary(ev.summary)
            run.generations.append(g)
            if live_shown:
                self.query_one(GenerationTable).add_generation(g)
                self._show_bars(run)
        elif isinstance(ev, RunFinished):
            run.stop_reason = ev.stop_reason
            run.total_duration_s = ev.total_duration_s
            self._phase = ""
            self._refresh_compare()
            if live_shown:
                self._show_bars(run)
                self._show_status()
            best = run.best
            tail = f"; best {run.metric_name} {fmt_metric(best.metric, run.metric_name)}" if best else ""
            self.notify(f"run {ev.stop_reason}: {len(run.evaluations)} evaluations in "
                        f"{fmt_seconds(ev.total_duration_s)}{tail}", timeout=5)

    # ------------------------------------------------------------------ showing runs
    def _view(self, key: str | None) -> None:
        """Show run `key` in the Run tab: status, bars, tables and histogram rebuilt from its records."""
        self.viewed_key = key
        run = self.viewed
        self.query_one(EvaluationTable).show_run(run)
        self.query_one(GenerationTable).show_run(run)
        self.query_one("#run-histogram", FitnessHistogram).set_run(run)
        self._show_bars(run)
        self._show_status()

    def _show_bars(self, run: RunData | None) -> None:
        progress = self.query_one(RunProgress)
        if run is None:
            progress.clear()
            return
        gens = run.config.ga.generations if run.config else max(len(run.generations), 1)
        planned = (self._planned if run is self.live else
                   int((run.summary or {}).get("planned_evaluations") or len(run.evaluations)) or 1)
        done_gens = len(run.generations)
        current = min(done_gens + (1 if run is self.live and self.running else 0), gens)
        progress.set_bar("gen", f"generation {max(current, done_gens)}/{gens}", done_gens, gens)
        progress.set_bar("eval", f"evaluations {len(run.evaluations)}/{planned}", len(run.evaluations), planned)
        if run is not self.live or not self.running:
            epochs = run.evaluations[-1].n_epochs if run.evaluations else 0
            last = f"#{run.evaluations[-1].id} " if run.evaluations else ""
            progress.set_bar("epoch", f"{last}epochs {epochs}", epochs, max(epochs, 1))

    def _show_status(self) -> None:
        self.query_one(RunProgress).set_status(self._status_text())

    def _status_text(self) -> str:
        run = self.viewed
        if run is None:
            return "No run yet: set it up in the Setup tab (F2), then press ctrl+r. ctrl+o opens a past run."
        cfg = run.config
        what = []
        if cfg is not None:
            what.append(cfg.dataset)
            what.append(f"merge on ({cfg.ga.merge_strategy})" if cfg.ga.merge else "merge off")
            what.append(f"seed {cfg.seed}")
        where = escape(str(run.path)) if run.path else run.label
        best = run.best
        best_text = (f" · best {run.metric_name} [b]{fmt_metric(best.metric, run.metric_name)}[/] (#{best.id})"
                     if best else "")
        if run is self.live and self.running:
            phase = self._phase
            head = ("[b]■ stopping[/] after the current epoch…" if phase == "stopping"
                    else f"[b]● running[/] {escape(phase)}".rstrip())
        elif run is self.live and self._phase.startswith("error"):
            head = f"[b]✗ {escape(self._phase)}[/]"
        elif run.stop_reason is None:
            head = "[b]? unfinished[/] (no summary.json)"
        else:
            dur = f" in {fmt_seconds(run.total_duration_s)}" if run.total_duration_s is not None else ""
            mark = "■" if run.stop_reason == "cancelled" else "✗" if run.stop_reason.startswith("error") else "✓"
            head = f"[b]{mark} {escape(STOP_PHRASES.get(run.stop_reason, run.stop_reason))}[/]{dur}"
        return f"{head} · {' · '.join(what) + ' · ' if what else ''}{where}{best_text}"

    def _refresh_compare(self) -> None:
        table = self.query_one(RunsTable)
        compared_keys = set(self.compared.values())
        for key, run in self.runs.items():
            state = ("running" if key == self.live_key and self.running
                     else STATE_WORDS.get(run.stop_reason or "", run.stop_reason or "unfinished"))
            table.upsert(key, run, key in compared_keys, state)
        order = [k for k in ("merge", "basic", "?") if k in self.compared]
        self.query_one(CompareChart).set_runs(
            [self.runs[self.compared[k]] for k in order], list(self.runs.values())
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if not isinstance(event.data_table, RunsTable):
            return
        key = event.row_key.value
        if key in self.runs:
            self.compared[self.runs[key].kind] = key
            self._refresh_compare()

    def on_runs_table_view_requested(self, message: RunsTable.ViewRequested) -> None:
        if message.key in self.runs:
            self._view(message.key)
            self.action_show_tab("run")
