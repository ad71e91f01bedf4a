"""The lineage screen: one individual's card (how it was made, its training, its paired control) and its
ancestry as a tree, expanded as deep as the screen allows (Enter on a node expands or collapses it)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from gaterm.rundir.reader import RunData
from gaterm.tui.lineage import Ancestor, ancestor_label, ancestry, describe, levels_that_fit


class LineageScreen(ModalScreen[None]):
    """Shows individual `id` of `run`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="lineage.close"),
    ]

    def __init__(self, run: RunData, id: int) -> None:
        super().__init__()
        self.run = run
        self.individual = id
        self.root = ancestry(run, id)

    def compose(self) -> ComposeResult:
        with Vertical(id="lineage-dialog") as box:
            box.border_title = f"individual #{self.individual} of {self.run.label}"
            box.border_subtitle = "Escape closes · Enter on an ancestor expands it"
            yield Static("\n".join(describe(self.run, self.individual)), id="lineage-card")
            yield Tree(Text.from_markup(ancestor_label(self.root, self.run)), id="lineage-tree")

    def on_mount(self) -> None:
        self.query_one("#lineage-tree", Tree).focus()
        self.call_after_refresh(self._fill)

    def _fill(self) -> None:
        """Add the ancestors, with as many levels expanded as the tree's height shows."""
        tree = self.query_one("#lineage-tree", Tree)
        levels = levels_that_fit(self.root, max(3, tree.size.height))
        self._grow(tree.root, self.root, levels)
        tree.root.expand()

    def _grow(self, node: TreeNode, ancestor: Ancestor, levels: int) -> None:
        node.data = ancestor.id
        for parent in ancestor.parents:
            label = Text.from_markup(ancestor_label(parent, self.run))
            if parent.parents:
                child = node.add(label, data=parent.id, expand=ancestor.depth + 1 < levels)
                self._grow(child, parent, levels)
            else:
                node.add_leaf(label, data=parent.id)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
