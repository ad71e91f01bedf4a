"""The [tracking] section: parsed and checked like the others, written to config.toml, and not part of what a
checkpoint checks (where a run is logged does not change its results)."""

from __future__ import annotations

import pytest

from gaterm.config import config_from, config_from_dict, load_config
from gaterm.errors import ConfigError
from gaterm.rundir.checkpoint import config_fingerprint


def test_tracking_is_off_by_default_and_round_trips_through_toml(tmp_path):
    cfg = config_from()
    assert cfg.tracking.mlflow_uri is None and cfg.tracking.experiment == "gaterm"
    cfg = config_from(None, {"tracking": {"mlflow_uri": "sqlite:///m.db", "experiment": "search"}})
    cfg.save(tmp_path / "c.toml")
    back = load_config(tmp_path / "c.toml")
    assert back.tracking == cfg.tracking


@pytest.mark.parametrize("section, message", [
    ({"mlflow_uri": " "}, "tracking.mlflow_uri: must not be empty"),
    ({"experiment": ""}, "tracking.experiment: must not be empty"),
    ({"mlflow_url": "x"}, "[tracking]: unknown key 'mlflow_url' (did you mean 'mlflow_uri'?)"),
    ({"mlflow_uri": 5}, "tracking.mlflow_uri: expected a string, got 5"),
])
def test_bad_tracking_values_are_one_line_errors(section, message):
    with pytest.raises(ConfigError) as e:
        config_from(None, {"tracking": section})
    assert str(e.value) == message or str(e.value).startswith(message)


def test_the_checkpoint_fingerprint_ignores_tracking():
    a = config_from()
    b = config_from_dict({"tracking": {"mlflow_uri": "http://127.0.0.1:5000"}}, a)
    assert config_fingerprint(a) == config_fingerprint(b)
    assert config_fingerprint(a) != config_fingerprint(config_from_dict({"seed": 1}, a))
