"""The config's [data] section (your own table) and ga.init_from: TOML in and out, validation, paths."""

from __future__ import annotations

import pytest

from gaterm.config import DataConfig, RunConfig, config_from, config_from_dict, load_config
from gaterm.errors import ConfigError


def test_a_data_file_alone_selects_the_table_data_set():
    cfg = config_from_dict({"data": {"file": "/x/t.csv", "label": "y"}}).validate()
    assert cfg.dataset == "table" and cfg.data == DataConfig("/x/t.csv", "y")


def test_data_round_trips_and_is_absent_when_unused(tmp_path):
    assert "data" not in RunConfig().to_dict()
    cfg = config_from_dict({"data": {"file": "/x/t.csv", "label": "y", "task": "regression", "impute": "median"}})
    path = tmp_path / "c.toml"
    cfg.save(path)
    assert load_config(path) == cfg


def test_relative_paths_are_taken_from_the_config_files_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "c.toml"
    path.write_text('[data]\nfile = "t.csv"\nlabel = "y"\n[ga]\ninit_from = "../runs/a"\n')
    cfg = load_config(path)
    assert cfg.data.file == str(tmp_path / "sub" / "t.csv")
    assert cfg.ga.init_from == str(tmp_path / "runs" / "a")


@pytest.mark.parametrize(("data", "message"), [
    ({"data": {"file": "/t.csv", "label": "y", "task": "clasification"}},
     "data.task: must be one of auto, classification, regression, got 'clasification' (did you mean 'classification'?)"),
    ({"data": {"file": "/t.csv", "label": "y", "impute": "mean"}}, "data.impute: must be one of none, median"),
    ({"data": {"file": "/t.csv", "label": "y", "labels": "z"}}, "[data]: unknown key 'labels' (did you mean 'label'?)"),
    ({"data": {"file": "/t.csv"}}, "data.label: the 'table' data set needs the column to predict"),
    ({"dataset": "table"}, "data.file: the 'table' data set needs a file (--data FILE)"),
    ({"dataset": "digits", "data": {"file": "/t.csv", "label": "y"}},
     "data.file: only the 'table' data set reads a file (--data), but dataset is 'digits'"),
    ({"data": {"file": 3}}, "data.file: expected a string, got 3"),
    ({"data": {"label": "y"}}, "data.label: only the 'table' data set reads a file (--data), but dataset is 'digits'"),
])
def test_bad_data_sections_name_the_field(data, message):
    with pytest.raises(ConfigError) as exc:
        config_from(None, data)
    assert message in str(exc.value)
