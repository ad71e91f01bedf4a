"""A `gaterm compare` directory's figures as Markdown tables for the Compare tab, read from its compare.json
(the structure `gaterm.experiment.analysis.analyse` writes). No Textual here.

A compare.json from another gaterm version may lack figures or hold them in another shape: every figure is
looked up defensively, and what is missing shows as `n/a` instead of failing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMPARE_JSON = "compare.json"
BASIC = "basic"


def _get(d: Any, *keys: Any) -> Any:
    """`d[k1][k2]...`, or None when any level is missing or not a mapping."""
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k, d.get(str(k)))
    return d


def _num(v: Any, spec: str = ".3f") -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return "n/a"
    return format(v, spec)


def _p(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return "n/a"
    return f"{v:.2g}" if v >= 1e-4 else f"{v:.1e}"


def _ci(v: Any, ci: Any, spec: str = ".3f") -> str:
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(x, (int, float)) for x in ci):
        return f"{_num(v, spec)} [{_num(ci[0], spec)}, {_num(ci[1], spec)}]"
    return _num(v, spec)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|")

    out = ["| " + " | ".join(cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a dict, else an empty one (compare.json is read as found)."""
    return value if isinstance(value, dict) else {}


def _seeds(data: dict[str, Any], arms: dict[str, Any]) -> list[str]:
    seeds = data.get("seeds")
    if isinstance(seeds, list) and seeds:
        return [str(s) for s in seeds]
    found: list[str] = []
    for arm in arms.values():
        for s in (_get(arm, "best_test_metric_per_seed") or _get(arm, "best_metric_per_seed") or {}):
            if str(s) not in found:
                found.append(str(s))
    return found


def _paired_table(comps: dict[str, Any], merges: list[str], metric: str) -> list[str]:
    """The paired control's table (empty when no arm ran it)."""
    lines: list[str] = []
    paired = {a: _get(comps, a, "paired") for a in merges}
    if any(isinstance(p, dict) for p in paired.values()):
        lines += ["### Paired control: merged child vs the same child from a fresh init", ""]

        def row(label: str, fmt: Any, paired: dict[str, Any] = paired) -> list[str]:
            return [label, *(fmt(p) if isinstance(p, dict) else "n/a" for p in paired.values())]

        lines += _table(["", *merges], [
            row("pairs (excluded)", lambda p: f"{p.get('pairs', 'n/a')} ({p.get('pairs_excluded', 'n/a')})"),
            row("failed (diverged or error): merged / fresh",
                lambda p: f"{_num(_get(p, 'failure_rate', 'merged'))} / {_num(_get(p, 'failure_rate', 'fresh'))}"),
            row("epochs ratio merged/fresh [95% CI]", lambda p: _ci(p.get("epochs_ratio"),
                                                                    p.get("epochs_ratio_ci"))),
            row("Wilcoxon p (epochs)", lambda p: _p(p.get("epochs_wilcoxon_p"))),
            row("time ratio merged/fresh [95% CI]", lambda p: _ci(p.get("time_ratio"), p.get("time_ratio_ci"))),
            row("Wilcoxon p (time)", lambda p: _p(p.get("time_wilcoxon_p"))),
            row("mean epochs merged / fresh", lambda p: f"{_num(p.get('mean_epochs_merged'), '.1f')} / "
                                                        f"{_num(p.get('mean_epochs_fresh'), '.1f')}"),
            row(f"result difference merged - fresh ({metric})",
                lambda p: _num(p.get("result_diff_mean"), ".4f")),
            row("TOST p (result)", lambda p: _p(p.get("result_tost_p"))),
            row("early-stopping floor", lambda p: _num(p.get("floor"))),
            row("share of the possible saving captured", lambda p: _num(p.get("share_of_saving_captured"))),
        ])
    return lines


def report_markdown(data: Any, title: str = "") -> str:
    """The comparison's tables: Table 1 as in the study, per-seed results and durations, the merge/basic time
    ratios, and the paired control, per data set."""
    if not isinstance(data, dict):
        return f"# {title}\n\ncompare.json holds no figures this version can read."
    results = data.get("results")
    lines = [f"# {title or 'comparison'}", ""]
    strategies = data.get("strategies")
    if isinstance(strategies, list):
        seed_text = ", ".join(map(str, data.get("seeds") or [])) or "n/a"
        lines += [f"Strategies: {', '.join(map(str, strategies))}; seeds: {seed_text}.", ""]
    if not isinstance(results, dict) or not results:
        return "\n".join([*lines, "compare.json holds no per-data-set results."])
    for name, ds in results.items():
        if not isinstance(ds, dict):
            continue
        arms = _as_dict(ds.get("arms"))
        comps = _as_dict(ds.get("comparisons"))
        metric = ds.get("metric_name") or "metric"
        names = list(arms) or [BASIC, *comps]
        # compare.json of gaterm >= 0.2: the test metric of each run's best by validation; older: the best metric
        new = any(isinstance(a, dict) and "best_test_metric_per_seed" in a for a in arms.values())
        per_seed_key, mean_key = (("best_test_metric_per_seed", "best_test_metric_mean") if new
                                  else ("best_metric_per_seed", "best_metric_mean"))
        result = f"test {metric} of the best by {data.get('selection') or 'validation'}" if new else f"best {metric}"
        lines += [f"## {name}", "", "### Table 1, as in the study (all evaluations)", ""]
        lines += _table(["", *names], [
            ["average fitness time (s)", *(_num(_get(arms, a, "all", "fitness_time_mean_s")) for a in names)],
            ["time skewness", *(_num(_get(arms, a, "all", "fitness_time_skewness"), ".2f") for a in names)],
            [f"result ({result}, mean over seeds)", *(_num(_get(arms, a, mean_key), ".4f") for a in names)],
        ])
        seeds = _seeds(data, arms)
        if seeds:
            lines += ["### Per seed", ""]
            rows = []
            for s in seeds:
                rows.append([f"seed {s}: {result}",
                             *(_num(_get(arms, a, per_seed_key, s), ".4f") for a in names)])
            for s in seeds:
                rows.append([f"seed {s}: total duration (s)",
                             *(_num(_get(arms, a, "total_duration_s_per_seed", s), ".1f") for a in names)])
            lines += _table(["", *names], rows)
        merges = [a for a in names if a != BASIC] or list(comps)
        if comps:
            lines += ["### Merge / basic", ""]
            lines += _table(["", *merges], [
                ["mean fitness time ratio, all [95% CI]",
                 *(_ci(_get(comps, a, "all", "time_ratio"), _get(comps, a, "all", "time_ratio_ci")) for a in merges)],
                ["mean fitness time ratio, generations >= 1",
                 *(_ci(_get(comps, a, "gen1", "time_ratio"), _get(comps, a, "gen1", "time_ratio_ci"))
                   for a in merges)],
                ["... normalized by each arm's generation-0 time",
                 *(_ci(_get(comps, a, "gen1_normalized", "time_ratio"),
                       _get(comps, a, "gen1_normalized", "time_ratio_ci")) for a in merges)],
                ["Mann-Whitney U p (generations >= 1)",
                 *(_p(_get(comps, a, "gen1", "mann_whitney_p")) for a in merges)],
                ["result difference merge - basic [95% CI]",
                 *(_ci(_get(comps, a, "result_diff", "mean"), _get(comps, a, "result_diff", "ci"), ".4f")
                   for a in merges)],
                ["TOST p: equivalent within the margin",
                 *(_p(_get(comps, a, "result_diff", "tost_p")) for a in merges)],
            ])
            lines += _paired_table(comps, merges, metric)
    return "\n".join(lines)


def read_report(path: Path) -> str:
    """The Markdown for comparison directory `path`; an unreadable compare.json is said, not raised."""
    file = Path(path) / COMPARE_JSON
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"# {Path(path).name}\n\ncannot read {file}: {exc}"
    return report_markdown(data, title=Path(path).name)
