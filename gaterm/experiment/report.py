"""Compare mode, report: report.md, compare.json and the key-figure lines, rendered from the analysis."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from gaterm.charts import bars, histogram_columns
from gaterm.experiment.analysis import _subset, _times, analyse
from gaterm.experiment.arms import BASIC, Comparison, arm_name


def _f(x: Any, spec: str = ".3f") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return format(x, spec)


def _ci(v: Any, ci: Sequence[Any], spec: str = ".3f") -> str:
    lo, hi = ci
    if lo is None or hi is None:
        return _f(v, spec)
    return f"{_f(v, spec)} [{_f(lo, spec)}, {_f(hi, spec)}]"


def _p(x: Any) -> str:
    if x is None:
        return "n/a"
    return f"{x:.2g}" if x >= 1e-4 else f"{x:.1e}"


def render_report(comp: Comparison, a: dict[str, Any]) -> str:
    base = comp.base
    lines = [
        f"# gaterm compare: {', '.join(comp.datasets)}",
        "",
        (f"Seeds {', '.join(map(str, comp.seeds))}; arms: basic (merge off) and "
        f"{', '.join('merge with `' + s + '`' for s in comp.strategies)}. Each seed's arms share the config, the "
        f"data split and generation 0 (same genes, same initial weights). Population {base.ga.population}, "
        f"survivors {base.ga.survivors}, generations {base.ga.generations}, mutation {base.ga.mutation_prob}, "
        f"early stopping: patience {base.training.patience}, min_delta {base.training.min_delta}, "
        f"max {base.training.max_epochs} epochs. Paired control: "
        f"{'on' if base.ga.paired_control else 'off'}. Generated {datetime.now().isoformat(timespec='seconds')}."),
        "",
        ("Fitness time = wall seconds of training + test of one evaluation. Ratios are merge / basic (below 1: "
        "merge is faster). CIs are 95% percentile bootstraps over evaluations (pooled over seeds); p-values are "
        "two-sided. Results are each run's best test metric; their difference is merge - basic per seed, with a "
        "t interval across seeds."),
    ]
    for name in comp.datasets:
        ds = a["results"].get(name)
        if ds is None:
            continue
        arms = [BASIC, *(arm_name(s) for s in comp.strategies)]
        metric = ds["metric_name"]
        lines += ["", f"## {name}", "", "### Table 1, as in the study (all evaluations)", ""]
        lines += ["| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
        lines.append("| average fitness time (s) | " + " | ".join(
            _f(ds["arms"][x]["all"]["fitness_time_mean_s"]) for x in arms) + " |")
        lines.append("| time skewness | " + " | ".join(
            _f(ds["arms"][x]["all"]["fitness_time_skewness"], ".2f") for x in arms) + " |")
        lines.append(f"| result ({metric}, mean of best per seed) | " + " | ".join(
            _f(ds["arms"][x]["best_metric_mean"], ".4f") for x in arms) + " |")

        lines += ["", "### Beyond the study", ""]
        for label, title in (("all", "all evaluations"), ("gen1", "generations >= 1 only")):
            lines += [f"**{title}**", "", "| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
            for key, lab, spec in (
                ("evaluations", "evaluations", "d"),
                ("fitness_time_mean_s", "mean fitness time (s)", ".3f"),
                ("fitness_time_median_s", "median fitness time (s)", ".3f"),
                ("fitness_time_skewness", "time skewness", ".2f"),
                ("mean_epochs", "mean epochs per evaluation", ".1f"),
            ):
                lines.append(f"| {lab} | " + " | ".join(_f(ds["arms"][x][label][key], spec) for x in arms) + " |")
            lines.append("| merge/basic ratio of mean fitness time [95% CI] | - | " + " | ".join(
                _ci(ds["comparisons"][x][label]["time_ratio"], ds["comparisons"][x][label]["time_ratio_ci"])
                for x in arms[1:]) + " |")
            lines.append("| Mann-Whitney U p (fitness times) | - | " + " | ".join(
                _p(ds["comparisons"][x][label]["mann_whitney_p"]) for x in arms[1:]) + " |")
            lines.append("")
        lines += ["**per run**", "", "| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
        lines.append("| total duration (s, mean per run, control excluded) | " + " | ".join(
            _f(ds["arms"][x]["total_duration_s_mean"], ".1f") for x in arms) + " |")
        lines.append("| target reached at generation (per seed) | " + " | ".join(
            ", ".join("-" if g is None else str(g) for g in ds["arms"][x]["target_generation_per_seed"].values())
            for x in arms) + " |")
        lines.append(f"| best {metric} per seed | " + " | ".join(
            ", ".join(_f(v, ".4f") for v in ds["arms"][x]["best_metric_per_seed"].values()) for x in arms) + " |")
        lines.append("| result difference merge - basic [95% CI across seeds] | - | " + " | ".join(
            _ci(ds["comparisons"][x]["result_diff"]["mean"], ds["comparisons"][x]["result_diff"]["ci"], ".4f")
            for x in arms[1:]) + " |")

        paired = {x: ds["comparisons"][x]["paired"] for x in arms[1:] if ds["comparisons"][x]["paired"]}
        if paired:
            lines += ["", ("### Paired control: each merged child also trained from fresh init (same seed and data "
                      "order)"), "", "| | " + " | ".join(paired) + " |", "|---" * (len(paired) + 1) + "|"]
            rows = (
                ("pairs (both ok; excluded: diverged, pruned or failed)",
                 lambda p: f"{p['pairs']} (excluded {p['pairs_excluded']})"),
                ("epochs ratio merged/fresh [95% CI]", lambda p: _ci(p["epochs_ratio"], p["epochs_ratio_ci"])),
                ("Wilcoxon p (epochs)", lambda p: _p(p["epochs_wilcoxon_p"])),
                ("time ratio merged/fresh [95% CI]", lambda p: _ci(p["time_ratio"], p["time_ratio_ci"])),
                ("Wilcoxon p (time)", lambda p: _p(p["time_wilcoxon_p"])),
                ("mean epochs merged / fresh", lambda p: f"{_f(p['mean_epochs_merged'], '.1f')} / "
                                                         f"{_f(p['mean_epochs_fresh'], '.1f')}"),
                (f"{metric} difference merged - fresh (mean)", lambda p: _f(p["result_diff_mean"], ".4f")),
                ("Wilcoxon p (result)", lambda p: _p(p["result_diff_wilcoxon_p"])),
                ("floor: (patience + 1) / mean fresh epochs", lambda p: _f(p["floor"])),
                ("share of the possible saving captured", lambda p: _f(p["share_of_saving_captured"], ".2f")),
            )
            for lab, fn in rows:
                lines.append(f"| {lab} | " + " | ".join(fn(p) for p in paired.values()) + " |")

        runs = [r for r in comp.runs if r.dataset == name]
        lines += ["", "### Figures", ""]
        arms = [BASIC, *(arm_name(s) for s in comp.strategies)]
        series = [(arm, _times(_subset([r for r in runs if r.arm == arm], 0))) for arm in arms]
        lines += [
            "Fitness-time histogram, every evaluation of every seed, shared bins (`<` marks the bin holding the mean):",
            "", "```", *histogram_columns(series, bins=12, width=24 if len(series) <= 2 else 14), "```", "",
        ]
        lines += ["Total duration per run (s, paired-control trainings excluded):", "", "```"]
        lines += bars([(f"{r.arm} seed {r.seed}", r.duration_without_control) for r in runs])
        lines += ["```"]
    return "\n".join(lines) + "\n"


def key_figures(comp: Comparison, a: dict[str, Any]) -> list[str]:
    """One line per data set and strategy with the headline numbers (printed last by the CLI)."""
    out = []
    for name in comp.datasets:
        ds = a["results"].get(name)
        if ds is None:
            continue
        for s in comp.strategies:
            c = ds["comparisons"][arm_name(s)]
            g1 = c["gen1"]
            line = (
                f"{name} {s}: merge/basic mean fitness time (gen>=1) "
                f"{_ci(g1['time_ratio'], g1['time_ratio_ci'])} p={_p(g1['mann_whitney_p'])}; "
                f"result diff {_ci(c['result_diff']['mean'], c['result_diff']['ci'], '.4f')}"
            )
            p = c["paired"]
            if p:
                line += (
                    f"; paired merged/fresh epochs {_ci(p['epochs_ratio'], p['epochs_ratio_ci'])} "
                    f"p={_p(p['epochs_wilcoxon_p'])}, time {_ci(p['time_ratio'], p['time_ratio_ci'])} "
                    f"p={_p(p['time_wilcoxon_p'])}, result diff {_f(p['result_diff_mean'], '.4f')} "
                    f"p={_p(p['result_diff_wilcoxon_p'])}, floor {_f(p['floor'], '.2f')}, "
                    f"share captured {_f(p['share_of_saving_captured'], '.2f')}"
                )
            out.append(line)
    return out


def write_outputs(comp: Comparison, out: Path) -> tuple[dict[str, Any], str]:
    a = analyse(comp)
    report = render_report(comp, a)
    (out / "report.md").write_text(report, encoding="utf-8")
    comp.base.save(out / "compare.toml")
    tmp = out / "compare.json.tmp"
    tmp.write_text(json.dumps({**a, "argv": sys.argv}, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "compare.json")
    return a, report


