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
from gaterm.experiment.analysis import ACCURACY_MARGIN, MAE_MARGIN_FRACTION, _subset, _times, analyse
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


def _seeds(d: dict[Any, Any] | None, spec: str = ".3f") -> str:
    """Per-seed values as `s0 0.81, s1 0.77` (JSON turns seed keys into strings; both are accepted)."""
    if not d:
        return "n/a"
    return ", ".join(f"s{k} {_f(v, spec)}" for k, v in d.items())


def _row(label: str, cells: Sequence[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _header(cols: Sequence[str]) -> list[str]:
    return ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]


def _table1(A: dict[str, Any], C: dict[str, Any], arms: list[str], metric: str, sel: str) -> list[str]:
    """Table 1, as in the study: every evaluation of every arm."""
    lines: list[str] = []
    lines += ["### Table 1, as in the study (all evaluations; generation 0 is shared by every arm)", ""]
    lines += _header(arms)
    lines.append(_row("average fitness time (s)", [_f(A[x]["all"]["fitness_time_mean_s"]) for x in arms]))
    lines.append(_row("time skewness", [_f(A[x]["all"]["fitness_time_skewness"], ".2f") for x in arms]))
    lines.append(_row(f"result (test {metric} of the best by {sel}, mean over seeds)",
                      [_f(A[x]["best_test_metric_mean"], ".4f") for x in arms]))
    return lines


def _generations_after_0(A: dict[str, Any], C: dict[str, Any], arms: list[str], metric: str, sel: str) -> list[str]:
    """Generations >= 1, where the arms differ: times, epochs, failures and the ratios."""
    lines: list[str] = []
    lines += ["", "### Generations >= 1 (where the arms differ)", ""]
    lines += _header(arms)
    for key, lab, spec in (
        ("evaluations", "evaluations", "d"),
        ("fitness_time_mean_s", "mean fitness time (s)", ".3f"),
        ("fitness_time_median_s", "median fitness time (s)", ".3f"),
        ("fitness_time_skewness", "time skewness", ".2f"),
        ("mean_epochs", "mean epochs per evaluation", ".1f"),
        ("failure_rate", "failed (diverged or error)", ".3f"),
    ):
        lines.append(_row(lab, [_f(A[x]["gen1"][key], spec) for x in arms]))
    lines.append(_row("generation-0 mean fitness time (s, the same work)",
                      [_f(A[x]["gen0"]["fitness_time_mean_s"]) for x in arms]))
    lines.append(_row("merge/basic mean fitness time [95% CI]",
                      ["-"] + [_ci(C[x]["gen1"]["time_ratio"], C[x]["gen1"]["time_ratio_ci"]) for x in arms[1:]]))
    lines.append(_row("... per seed", ["-"] + [_seeds(C[x]["gen1"]["time_ratio_per_seed"]) for x in arms[1:]]))
    lines.append(_row("... normalized by each arm's generation-0 mean [95% CI]",
                      ["-"] + [_ci(C[x]["gen1_normalized"]["time_ratio"], C[x]["gen1_normalized"]["time_ratio_ci"])
                               for x in arms[1:]]))
    lines.append(_row("... per seed", ["-"] + [_seeds(C[x]["gen1_normalized"]["time_ratio_per_seed"])
                                               for x in arms[1:]]))
    lines.append(_row("generation-0 time merge/basic per seed (1 = no drift)",
                      ["-"] + [_seeds(C[x]["gen1_normalized"]["gen0_time_ratio_per_seed"]) for x in arms[1:]]))
    lines.append(_row("Mann-Whitney U p (fitness times, pooled)",
                      ["-"] + [_p(C[x]["gen1"]["mann_whitney_p"]) for x in arms[1:]]))
    return lines


def _per_run(A: dict[str, Any], C: dict[str, Any], arms: list[str], metric: str, sel: str) -> list[str]:
    """Per run: durations, targets and results with their differences."""
    lines: list[str] = []
    lines += ["", "### Per run", ""]
    lines += _header(arms)
    lines.append(_row("total duration (s, mean per run, control excluded)",
                      [_f(A[x]["total_duration_s_mean"], ".1f") for x in arms]))
    lines.append(_row("target reached at generation (per seed)", [
        ", ".join("-" if g is None else str(g) for g in A[x]["target_generation_per_seed"].values())
        for x in arms]))
    lines.append(_row(f"best by {sel}: validation {metric} per seed",
                      [_seeds(A[x]["best_val_metric_per_seed"], ".4f") for x in arms]))
    lines.append(_row(f"... its test {metric} per seed", [_seeds(A[x]["best_test_metric_per_seed"], ".4f")
                                                        for x in arms]))
    lines.append(_row("test result difference merge - basic [95% CI across seeds]", ["-"] + [
        _ci(C[x]["result_diff"]["mean"], C[x]["result_diff"]["ci"], ".4f") for x in arms[1:]]))
    lines.append(_row("TOST p: equivalent within the margin", ["-"] + [
        f"{_p(C[x]['result_diff']['tost_p'])} (margin {_f(C[x]['result_diff']['tost_margin'], '.4f')})"
        for x in arms[1:]]))
    return lines


def _paired_control(A: dict[str, Any], C: dict[str, Any], arms: list[str], metric: str, sel: str) -> list[str]:
    """The paired control's comparison of each merged child with its fresh twin (empty without it)."""
    lines: list[str] = []
    paired = {x: C[x]["paired"] for x in arms[1:] if C[x]["paired"]}
    if paired:
        lines += ["", ("### Paired control: each merged child also trained from fresh init (same seed and data "
                  "order)"), ""]
        lines += _header(list(paired))
        rows = (
            ("pairs (both ok; excluded: diverged, pruned or failed on either side)",
             lambda p: f"{p['pairs']} (excluded {p['pairs_excluded']})"),
            ("failed (diverged or error): merged / fresh",
             lambda p: f"{_f(p['failure_rate']['merged'])} / {_f(p['failure_rate']['fresh'])}"),
            ("pruned: merged / fresh",
             lambda p: f"{_f(p['failure_rate']['merged_pruned'])} / {_f(p['failure_rate']['fresh_pruned'])}"),
            ("epochs ratio merged/fresh [95% CI]", lambda p: _ci(p.get("epochs_ratio"), p.get("epochs_ratio_ci",
                                                                                              [None, None]))),
            ("... per seed", lambda p: _seeds(p.get("epochs_ratio_per_seed"))),
            ("Wilcoxon p (epochs)", lambda p: _p(p.get("epochs_wilcoxon_p"))),
            ("time ratio merged (merge included)/fresh [95% CI]",
             lambda p: _ci(p.get("time_ratio"), p.get("time_ratio_ci", [None, None]))),
            ("... per seed", lambda p: _seeds(p.get("time_ratio_per_seed"))),
            ("Wilcoxon p (time)", lambda p: _p(p.get("time_wilcoxon_p"))),
            ("mean epochs merged / fresh", lambda p: f"{_f(p.get('mean_epochs_merged'), '.1f')} / "
                                                     f"{_f(p.get('mean_epochs_fresh'), '.1f')}"),
            (f"test {metric} difference merged - fresh (mean)", lambda p: _f(p.get("result_diff_mean"), ".4f")),
            ("Wilcoxon p (result)", lambda p: _p(p.get("result_diff_wilcoxon_p"))),
            ("TOST p: equivalent within the margin",
             lambda p: f"{_p(p.get('result_tost_p'))} (margin {_f(p.get('result_tost_margin'), '.4f')})"),
            ("floor: (patience + 1) / mean fresh epochs", lambda p: _f(p.get("floor"))),
            ("share of the possible saving captured", lambda p: _f(p.get("share_of_saving_captured"), ".2f")),
        )
        for lab, fn in rows:
            lines.append(_row(lab, [fn(p) for p in paired.values()]))
    return lines


def _figures(comp: Comparison, name: str, arms: list[str]) -> list[str]:
    """The fitness-time histogram and the total-duration bars of one data set."""
    lines: list[str] = []
    runs = [r for r in comp.runs if r.dataset == name]
    lines += ["", "### Figures", ""]
    series = [(arm, _times(_subset([r for r in runs if r.arm == arm], 1))) for arm in arms]
    lines += [
        ("Fitness-time histogram, generations >= 1 of every seed, shared bins (`<` marks the bin holding the "
         "mean):"), "", "```", *histogram_columns(series, bins=12, width=24 if len(series) <= 2 else 14), "```", "",
    ]
    lines += ["Total duration per run (s, paired-control trainings excluded):", "", "```"]
    lines += bars([(f"{r.arm} seed {r.seed}", r.duration_without_control) for r in runs])
    lines += ["```"]
    return lines


def render_report(comp: Comparison, a: dict[str, Any]) -> str:
    base = comp.base
    sel = base.ga.selection
    lines = [
        f"# gaterm compare: {', '.join(comp.datasets)}",
        "",
        (f"Seeds {', '.join(map(str, comp.seeds))}; arms: basic (merge off) and "
        f"{', '.join('merge with `' + s + '`' for s in comp.strategies)}. Each seed's arms share the config, the "
        f"data split and generation 0 (same genes, same initial weights). Population {base.ga.population}, "
        f"survivors {base.ga.survivors}, generations {base.ga.generations}, mutation {base.ga.mutation_prob}, "
        f"early stopping: patience {base.training.patience}, min_delta {base.training.min_delta} (in the "
        f"target's units), max {base.training.max_epochs} epochs. Selection on the {sel} split. Paired control: "
        f"{'on' if base.ga.paired_control else 'off'}. Generated {datetime.now().isoformat(timespec='seconds')}."),
        "",
        ("Fitness time = wall seconds of one evaluation: the merge, training and scoring. Ratios are merge / basic "
        "(below 1: merge is faster). Seeds are the independent units: 95% CIs resample seeds, then evaluations "
        "within each seed; per-seed values are listed beside them. Generation 0 is the same work in every arm, so "
        "the comparisons use generations >= 1, and a second time ratio divides each arm's generation >= 1 mean by "
        "its own generation-0 mean (cancelling machine-load drift between arms). A run's result is the test "
        "metric of its best individual by " + ("validation" if sel == "validation" else "TEST (optimistically "
        "biased)") + "; differences are merge - basic per seed (t interval across seeds). TOST p < 0.05 means the "
        f"results are equivalent within the margin ({ACCURACY_MARGIN} accuracy, or "
        f"{MAE_MARGIN_FRACTION:.0%} of the reference side's mean MAE). p-values are two-sided."),
    ]
    for name in comp.datasets:
        ds = a["results"].get(name)
        if ds is None:
            continue
        arms = [BASIC, *(arm_name(s) for s in comp.strategies)]
        metric, A, C = ds["metric_name"], ds["arms"], ds["comparisons"]
        lines += ["", f"## {name}", ""]
        for section in (_table1, _generations_after_0, _per_run, _paired_control):
            lines += section(A, C, arms, metric, sel)
        lines += _figures(comp, name, arms)
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
            g1, nz = c["gen1"], c["gen1_normalized"]
            line = (
                f"{name} {s}: merge/basic mean fitness time (gen>=1) {_ci(g1['time_ratio'], g1['time_ratio_ci'])}, "
                f"gen-0-normalized {_ci(nz['time_ratio'], nz['time_ratio_ci'])}; test result diff "
                f"{_ci(c['result_diff']['mean'], c['result_diff']['ci'], '.4f')} "
                f"(TOST p={_p(c['result_diff']['tost_p'])})"
            )
            p = c["paired"]
            if p and p.get("pairs"):
                line += (
                    f"; paired merged/fresh epochs {_ci(p['epochs_ratio'], p['epochs_ratio_ci'])} "
                    f"p={_p(p['epochs_wilcoxon_p'])}, time {_ci(p['time_ratio'], p['time_ratio_ci'])}, "
                    f"test diff {_f(p['result_diff_mean'], '.4f')} (TOST p={_p(p['result_tost_p'])}), failed "
                    f"{_f(p['failure_rate']['merged'], '.3f')} vs {_f(p['failure_rate']['fresh'], '.3f')}, "
                    f"share captured {_f(p['share_of_saving_captured'], '.2f')}"
                )
            out.append(line)
    return out


def write_outputs(comp: Comparison, out: Path) -> tuple[dict[str, Any], str]:
    a = analyse(comp)
    report = render_report(comp, a)
    (out / "report.md").write_text(report, encoding="utf-8")
    if not (out / "compare.toml").exists():
        comp.base.save(out / "compare.toml")
    tmp = out / "compare.json.tmp"
    tmp.write_text(json.dumps({**a, "argv": sys.argv}, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "compare.json")
    return a, report


