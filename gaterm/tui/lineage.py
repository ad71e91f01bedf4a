"""An individual's lineage as the UI shows it, without Textual: its ancestry (parents, grandparents, …) from a
run's records, how it was made (merge strategy, `select`'s choice and its candidates' epoch-0 losses), its
training, and its paired fresh-init control."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.markup import escape

from gaterm.formatting import fmt_metric, fmt_seconds
from gaterm.rundir.files import EvaluationRow
from gaterm.rundir.reader import RunData
from gaterm.states import Status
from gaterm.tui.formatting import compact_genes


@dataclass
class Ancestor:
    """One individual of a lineage and its parents (empty for generation 0 or beyond `depth`)."""

    id: int
    row: EvaluationRow | None  # None: the id is not in the run's records (e.g. a truncated run)
    depth: int
    parents: list[Ancestor] = field(default_factory=list)

    def count(self) -> int:
        return 1 + sum(p.count() for p in self.parents)


def ancestry(run: RunData, id: int, max_depth: int = 12) -> Ancestor:
    """The tree of `id`'s ancestors in `run`, at most `max_depth` generations back."""
    by_id = {r.id: r for r in run.evaluations}

    def node(i: int, depth: int) -> Ancestor:
        row = by_id.get(i)
        a = Ancestor(i, row, depth)
        if row is not None and row.parents is not None and depth < max_depth:
            a.parents = [node(p, depth + 1) for p in row.parents]
        return a

    return node(id, 0)


def levels_that_fit(root: Ancestor, rows: int) -> int:
    """How many levels below `root` can be shown expanded within `rows` lines (at least 1)."""
    depth, shown = 0, 1
    frontier = [root]
    while frontier:
        nxt = [p for a in frontier for p in a.parents]
        if not nxt or shown + len(nxt) > rows:
            break
        shown += len(nxt)
        depth += 1
        frontier = nxt
    return max(1, depth)


def ancestor_label(a: Ancestor, run: RunData) -> str:
    """One line (markup) for an ancestor: id, generation, metric, how it was made, genes."""
    r = a.row
    if r is None:
        return f"#{a.id} (not in this run's records)"
    metric = fmt_metric(r.metric, run.metric_name)
    status = "" if r.status is Status.OK else f" {r.status.value}"
    if r.parents is None:
        how = "random"
    elif r.merged:
        strategy = (r.merge_notes or {}).get("strategy") or "merged"
        choice = (r.merge_notes or {}).get("choice")
        how = f"{strategy}→{choice}" if choice else str(strategy)
    else:
        declined = (r.merge_notes or {}).get("strategy")
        how = f"fresh ({declined} declined)" if declined else "fresh"
    return (f"[b]#{r.id}[/] g{r.generation} {escape(run.metric_name)} [b]{metric}[/]{status} · {escape(how)} · "
            f"{escape(compact_genes(r.genes))}")


def describe(run: RunData, id: int) -> list[str]:
    """The individual's card (markup lines): identity, how it was made, its training, its paired control."""
    by_id = {r.id: r for r in run.evaluations}
    r = by_id.get(id)
    if r is None:
        return [f"#{id} is not in this run's records"]
    m = run.metric_name
    head = (f"[b]#{r.id}[/], generation {r.generation} · {escape(m)} [b]{fmt_metric(r.metric, m)}[/] · "
            f"status {escape(r.status.text(r.error))}")
    lines = [head, f"genes: {escape(r.genes)}"]
    if r.parents is None:
        lines.append("made: at random (generation 0), trained from a fresh initialisation")
    else:
        a, b = r.parents
        pa, pb = by_id.get(a), by_id.get(b)
        pm = ", ".join(f"#{p} {fmt_metric(q.metric, m)}" if q else f"#{p}" for p, q in ((a, pa), (b, pb)))
        if not r.merged:
            lines.append(f"made: crossover of {pm}; trained from a fresh initialisation (not merged)")
            if r.merge_notes:  # the strategy declined (select: no candidate was usable)
                lines += _merge_lines(run, r)
        else:
            lines.append(f"made: crossover of {pm}; initial weights merged from theirs")
            lines += _merge_lines(run, r)
    lines.append(f"training: {r.n_epochs} epochs (best epoch {r.best_epoch}), validation loss "
                 f"{_num(r.val_loss)}, fitness time {fmt_seconds(r.training_time)}"
                 + (f", merge time {fmt_seconds(r.merge_time)}" if r.merged else ""))
    if r.control_n_epochs is not None:
        lines.append(_control_line(r, m))
    elif r.merged:
        lines.append("paired control: not run (turn on ga.paired_control, or use `gaterm compare`)")
    return lines


def _merge_lines(run: RunData, r: EvaluationRow) -> list[str]:
    notes = r.merge_notes
    if not notes:
        cfg = run.config
        guess = f" (the run's configured strategy: {escape(cfg.ga.merge_strategy)})" if cfg is not None else ""
        return [f"merge: not recorded: the run directory predates merge notes{guess}"]
    out = [f"merge strategy: [b]{escape(str(notes.get('strategy', '?')))}[/]"]
    losses = notes.get("val_losses")
    if "choice" in notes:
        choice = notes.get("choice")
        out[0] += f" · chose [b]{escape(str(choice))}[/]" if choice else " · no candidate was usable"
    if isinstance(losses, dict) and losses:
        ranked = sorted(losses.items(), key=lambda kv: (not _finite(kv[1]), kv[1] if _finite(kv[1]) else 0.0))
        chosen = notes.get("choice")
        out.append("candidates' validation loss at epoch 0 (before training): " + " · ".join(
            f"[b]▸{escape(str(name))} {_num(loss)}[/]" if name == chosen else f"{escape(str(name))} {_num(loss)}"
            for name, loss in ranked))
    extra = {k: v for k, v in notes.items() if k not in ("strategy", "choice", "val_losses")}
    if extra:
        out.append("notes: " + escape(", ".join(f"{k}={v}" for k, v in extra.items())))
    return out


def _control_line(r: EvaluationRow, m: str) -> str:
    fresh_epochs = r.control_n_epochs or 0
    ratio = f" ({r.n_epochs / fresh_epochs:.2f}× the epochs)" if fresh_epochs else ""
    status = "" if r.control_status in (None, Status.OK) else f", status {r.control_status.value}"
    metric = fmt_metric(r.control_metric, m) if r.control_metric is not None else "-"
    return (f"paired control (same child from a fresh init, same seed and data order): {fresh_epochs} epochs, "
            f"{escape(m)} {metric}, validation loss {_num(r.control_val_loss)}, fitness time "
            f"{fmt_seconds(r.control_time)}{status}; merged: {r.n_epochs} epochs{ratio}")


def _finite(v: object) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _num(v: object) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, (int, float)) else escape(str(v))
