"""The help screen: what each tab does and every key binding, with its description and id."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

INTRO = """\
# gaterm

A genetic-algorithm search for PyTorch network hyper-parameters. With **merge** on, a child starts from a
merge of its two trained parents' weights instead of random ones.

- **Setup** (F2): the data set, merge on/off and its strategy, the schedule (generational or async), median
  pruning, the GA parameters and the gene store (the values each gene may take, separated by commas). Every
  change is checked at once; the message under the form names the field at fault, and a run cannot start until
  it is fixed.
- **Run** (F3): progress of the generation, the evaluations and the current evaluation's epochs; a row per
  finished evaluation (★ marks the best so far; `3×1` means parents 3 and 1, merged, `3+1` not merged; Enter
  shows its lineage); a row per generation (n evaluations, best and mean metric, mean fitness time, best so
  far); the convergence chart (the best-so-far metric against time, each generation's min-max as a dim bar;
  F5 fills the tab with it, F6 switches its x axis to the evaluation count); the fitness-time histogram (`<`
  marks the bin holding the mean).
- **Compare** (F4): every run of this session and every run directory you opened. Press Enter on a run to
  compare it, `v` to show it in the Run tab. A merge run and a basic run are drawn side by side over the same
  bins with their means and skewness, every run's total duration as a bar, and their convergence overlaid.
  An opened `gaterm compare` directory also shows its tables (Table 1, per seed, paired control).

A run writes its directory (`config.toml`, `evaluations.csv`, `generations.csv`, `summary.json`,
`best_model.pt`) exactly as `gaterm --no-ui` does. Stopping (ctrl+t) ends it after the current epoch and
keeps everything finished so far (stop reason `cancelled`).
"""


class HelpScreen(ModalScreen[None]):
    """Lists the app's bindings from the app itself, so it can never disagree with the footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close help", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        from gaterm.tui.screens.lineage import LineageScreen
        from gaterm.tui.widgets.tables import RunsTable

        keymap = getattr(self.app, "keymap", {})
        rows = ["| key | action | id |", "| --- | --- | --- |"]
        for owner, where in ((self.app, ""), (RunsTable, " (Compare: the runs table)"),
                             (LineageScreen, " (lineage)")):
            for binding in owner.BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    keys = keymap.get(binding.id or "", binding.key)  # the effective keys, after remapping
                    shown = ", ".join(self.app.get_key_display(Binding(k, "")) for k in keys.split(","))
                    rows.append(f"| `{shown}` | {binding.description}{where}: {binding.tooltip or ''} | "
                                f"{binding.id or ''} |")
            if owner is self.app:
                rows.append("| `enter` | Lineage (Run: the evaluations table): the selected individual's ancestry, "
                            "merge and paired control | |")
        rows += ["| `ctrl+p` | Command palette: every main action by name | |"]
        note = ("\n\nKeys are remapped in a keys file (`--keys FILE`, or `keys.toml` in the user config "
                "directory): a `[keys]` table of `\"binding id\" = \"keys\"`.")
        with Vertical(id="help-dialog"), VerticalScroll():
            yield Markdown(INTRO + "\n## Keys\n\n" + "\n".join(rows) + note + "\n\nPress Escape to close.")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
