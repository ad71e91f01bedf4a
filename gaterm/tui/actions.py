"""The app's actions by concern, as mixins of `GatermApp`: keeping and opening files (configurations, run and
comparison directories), and running the engine (start, stop, the worker thread, its event stream). Each mixin
declares the state of the app it uses; `GatermApp` composes them with the layout and the views."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

from textual import work
from textual.app import App
from textual.widgets import TabbedContent
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
from gaterm.tui.model import RunModel
from gaterm.tui.screens.prompt import PathPrompt
from gaterm.tui.widgets.setup import SetupPane

ENGINE_WORKER = "engine"


class AppState(App[int]):
    """The app state every part of `GatermApp` reads: its run models, what is viewed, live and compared (set in
    `GatermApp.__init__`), and the views of it that the actions need."""

    models: dict[str, RunModel]
    compared: dict[str, str]
    live_key: str | None
    viewed_key: str | None
    tick: int
    report: str
    runs_root: Path
    plugins: PluginSet
    data_dir: Path | None
    eval_workers: int
    scheduler: str | None

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

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab


class FileActions(AppState):
    """Save and load configurations; open run directories and comparison directories."""

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


class RunControl(AppState):
    """Start and stop the engine in a thread worker, and fold its events into the live run's model."""

    out: Path | None
    resume_state: EngineState | None
    resume_pending: bool
    _out_lock: RunLock | None
    _run_lock: RunLock | None
    _run_id: int
    _stop: threading.Event

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
