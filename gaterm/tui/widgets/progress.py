"""The Run tab's header: a status line and progress bars for generations, evaluations and the current
evaluation's epochs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Static


class RunProgress(Vertical):
    """Status line plus three labelled bars; the app feeds it numbers, it never sees the engine."""

    DEFAULT_CSS = """
    RunProgress { height: auto; }
    RunProgress #bars { height: 1; }
    RunProgress .bar-group { width: 1fr; height: 1; }
    RunProgress .bar-label { width: auto; padding: 0 1 0 0; }
    RunProgress ProgressBar { width: 1fr; }
    RunProgress ProgressBar Bar { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("No run yet: set it up in the Setup tab (F2) and press ctrl+r.", id="run-status")
        with Horizontal(id="bars"):
            for key, label in (("gen", "generation"), ("eval", "evaluations"), ("epoch", "epochs")):
                with Horizontal(classes="bar-group"):
                    yield Label(f"{label} -", id=f"{key}-label", classes="bar-label")
                    yield ProgressBar(total=1, show_eta=False, show_percentage=False, id=f"{key}-bar")

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._shown: dict[str, object] = {}  # what each part shows: unchanged parts are not redrawn

    def set_status(self, markup: str) -> None:
        if self._shown.get("status") != markup:
            self._shown["status"] = markup
            self.query_one("#run-status", Static).update(markup)

    def set_bar(self, key: str, label: str, done: float, total: float | None) -> None:
        if self._shown.get(key) == (label, done, total):
            return
        self._shown[key] = (label, done, total)
        self.query_one(f"#{key}-label", Label).update(label)
        self.query_one(f"#{key}-bar", ProgressBar).update(total=total, progress=done)

    def clear(self) -> None:
        self._shown.clear()
        for key, label in (("gen", "generation"), ("eval", "evaluations"), ("epoch", "epochs")):
            self.query_one(f"#{key}-label", Label).update(f"{label} -")
            self.query_one(f"#{key}-bar", ProgressBar).update(total=1, progress=0)
