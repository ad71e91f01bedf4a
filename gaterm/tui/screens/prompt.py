"""A modal prompt for a path (save or load a configuration, open a run directory), with a directory tree."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Static


class _DirsOnly(DirectoryTree):
    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if p.is_dir() and not p.name.startswith(".")]


class _TomlAndDirs(DirectoryTree):
    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".toml")]


class PathPrompt(ModalScreen[Path | None]):
    """Ask for a path; `action(path)` does the work and returns an error message (the prompt stays open and
    shows it) or None (the prompt closes with the path)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        title: str,
        initial: str,
        action: Callable[[Path], str | None],
        tree: str | None = None,  # "dirs", "toml" or None
        tree_root: Path | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.action = action
        self.tree_kind = tree
        self.tree_root = tree_root or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog"):
            yield Label(self.title_text, id="prompt-title")
            yield Input(self.initial, id="prompt-input", compact=True, select_on_focus=False)
            if self.tree_kind == "dirs":
                yield _DirsOnly(self.tree_root, id="prompt-tree")
            elif self.tree_kind == "toml":
                yield _TomlAndDirs(self.tree_root, id="prompt-tree")
            yield Static("", id="prompt-error")
            with Horizontal(id="prompt-buttons"):
                yield Button("OK", variant="primary", id="prompt-ok", compact=True)
                yield Button("Cancel", id="prompt-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    def _submit(self) -> None:
        text = self.query_one("#prompt-input", Input).value.strip()
        if not text:
            self.query_one("#prompt-error", Static).update("enter a path")
            return
        path = Path(text).expanduser()
        error = self.action(path)
        if error:
            self.query_one("#prompt-error", Static).update(error)
        else:
            self.dismiss(path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "prompt-ok":
            self._submit()
        else:
            self.dismiss(None)

    def _pick(self, path: Path) -> None:
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            shown = path
        self.query_one("#prompt-input", Input).value = str(shown)

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self._pick(event.path)
        if self.tree_kind == "dirs" and (event.path / "evaluations.csv").is_file():
            self._submit()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self._pick(event.path)
        self._submit()

    def action_cancel(self) -> None:
        self.dismiss(None)
