"""Resume heals or refuses, never loses: the CSVs are checked against the checkpoint, rows it holds but a file
lacks come back, a row that contradicts it is refused with one line and nothing changed."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from procs import SMALL_RUN, rows

from gaterm.chromosome import Chromosome
from gaterm.cli import main
from gaterm.config import config_from, load_config
from gaterm.events import EvaluationFinished, EvaluationRecord
from gaterm.rundir.files import GenerationRow, parse_row
from gaterm.rundir.heal import direction_of, generation_rows
from gaterm.rundir.reader import read_run_dir
from gaterm.rundir.writer import RunWriter
from gaterm.session import make_engine, open_dataset


@pytest.fixture(scope="module")
def runs(tmp_path_factory, plugin_set):
    """(reference: an uninterrupted run, cut: the same run stopped during generation 3, as Ctrl-C leaves it)."""
    tmp = tmp_path_factory.mktemp("heal")
    cfg_path = tmp / "c.toml"
    cfg_path.write_text(SMALL_RUN)
    assert main(["--no-ui", "--quiet", "--config", str(cfg_path), "--out", str(tmp / "ref")]) == 0
    cfg = config_from(cfg_path)
    dataset = open_dataset(plugin_set, plugin_set.dataset("digits"), cfg, None)
    done = []

    def count(event) -> None:
        if isinstance(event, EvaluationFinished):
            done.append(event.record.id)

    engine = make_engine(cfg, dataset, plugin_set.merge_strategy(cfg.ga.merge_strategy),
                         [RunWriter(tmp / "cut"), count], should_stop=lambda: len(done) >= 13)
    assert engine.run().stop_reason.value == "cancelled"
    return tmp / "ref", tmp / "cut"


def _copy(src: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(src, tmp_path / "run"))


def _gen_rows(path: Path) -> list[GenerationRow]:
    with open(path, newline="") as f:
        return [parse_row(GenerationRow, r) for r in csv.DictReader(f)]


def _gen_facts(run: Path) -> list[tuple]:
    """The generation rows without the fitness time (wall time differs between runs)."""
    return [(g.generation, g.evaluations, g.best_metric, g.mean_metric, g.best_so_far_id, g.best_so_far_metric,
             g.survivors) for g in _gen_rows(run / "generations.csv")]


def _resumed_equals_reference(out: Path, ref: Path) -> None:
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 0
    assert rows(out / "evaluations.csv") == rows(ref / "evaluations.csv")  # none missing, none twice, same values
    assert _gen_facts(out) == _gen_facts(ref)
    assert json.loads((out / "summary.json").read_text())["evaluations"] == len(rows(ref / "evaluations.csv"))


def test_generation_rows_derived_from_records_equal_what_the_engine_wrote(runs):
    ref, _ = runs
    cfg = load_config(ref / "config.toml")
    run = read_run_dir(ref)
    written = _gen_rows(ref / "generations.csv")
    records = [EvaluationRecord(**{k: getattr(r, k) for k in EvaluationRecord.__dataclass_fields__
                                   if k not in ("chromosome",)}, chromosome=Chromosome.parse(r.genes))
               for r in run.evaluations]
    derived = generation_rows(records, len(written), cfg.ga.survivors, direction_of(cfg))
    assert derived == written


def test_resume_without_evaluations_csv_restores_every_row(runs, tmp_path, capsys):
    ref, cut = runs
    out = _copy(cut, tmp_path)
    (out / "evaluations.csv").unlink()
    _resumed_equals_reference(out, ref)
    assert "evaluations.csv: 12 missing row(s) restored from the checkpoint" in capsys.readouterr().err


def test_resume_restores_missing_middle_rows_a_missing_generations_csv_and_drops_duplicates(runs, tmp_path):
    ref, cut = runs
    out = _copy(cut, tmp_path)
    lines = (out / "evaluations.csv").read_text().splitlines(keepends=True)
    (out / "evaluations.csv").write_text("".join(lines[:3] + lines[5:8] + lines[7:8] + lines[8:]))
    (out / "generations.csv").unlink()
    _resumed_equals_reference(out, ref)


def test_resume_drops_a_torn_last_row(runs, tmp_path):
    ref, cut = runs
    out = _copy(cut, tmp_path)
    text = (out / "evaluations.csv").read_text()
    (out / "evaluations.csv").write_text(text + "3,13,4,7,1,0.93")  # a kill in the middle of a row
    _resumed_equals_reference(out, ref)


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.replace(",ok,", ",diverged,", 1), "contradicts the checkpoint (status is 'diverged' in the file"),
    (lambda t: t.replace("\n0,0,", "\n0,99,", 1), "evaluation 99 is not in the checkpoint"),
    (lambda t: t.replace("\n1,", "\n1,1,", 1), "fields, expected"),
])
def test_a_row_that_contradicts_the_checkpoint_is_refused_and_nothing_changes(runs, tmp_path, capsys, damage, message):
    _, cut = runs
    out = _copy(cut, tmp_path)
    path = out / "evaluations.csv"
    path.write_text(damage(path.read_text()))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"gaterm: error: --resume: {path}, line ") and message in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_generation_row_that_contradicts_the_checkpoint_is_refused(runs, tmp_path, capsys):
    _, cut = runs
    out = _copy(cut, tmp_path)
    path = out / "generations.csv"
    lines = path.read_text().splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[-1] = "0 1 2\n"  # other survivors than the records select
    path.write_text("".join([lines[0], ",".join(cells), *lines[2:]]))
    assert main(["--no-ui", "--quiet", "--resume", str(out)]) == 2
    assert "generation 0 contradicts the checkpoint (survivors is '0 1 2'" in capsys.readouterr().err
