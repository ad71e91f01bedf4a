"""Configuration: TOML round trip, flags over file, and one clear line for every kind of bad input."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaterm.config import RunConfig, config_from_dict, load_config
from gaterm.errors import ConfigError


def test_defaults_follow_the_study():
    cfg = RunConfig()
    assert cfg.dataset == "digits" and cfg.ga.merge and cfg.ga.merge_strategy == "select"
    assert cfg.genes.optimizer == ["sgd", "adam", "rmsprop", "adadelta", "adagrad", "adamax", "nadam"]
    assert cfg.genes.activation == ["tanh", "sigmoid", "relu", "softsign", "elu"]
    assert cfg.genes.neurons == list(range(10, 201, 10)) and cfg.genes.layers == [1, 2, 3, 4, 5]
    assert cfg.genes.resolve_for_task("classification").loss == ["cross_entropy"]
    assert cfg.genes.resolve_for_task("regression").loss == ["mae", "mse"]


def test_toml_round_trip(tmp_path):
    cfg = RunConfig(dataset="wine-quality", seed=7)
    cfg.ga.target, cfg.ga.merge = 0.5, False
    cfg.genes.neurons = [16, 32]
    cfg.genes = cfg.genes.resolve_for_task("regression")
    path = tmp_path / "c.toml"
    cfg.save(path)
    assert load_config(path) == cfg


@settings(max_examples=60, deadline=None)
@given(
    population=st.integers(2, 500),
    mutation=st.floats(0, 1),
    neurons=st.lists(st.integers(1, 1000), min_size=1, max_size=8, unique=True),
    seed=st.integers(0, 2**31),
)
def test_any_valid_config_round_trips(tmp_path_factory, population, mutation, neurons, seed):
    cfg = RunConfig(seed=seed)
    cfg.ga.population, cfg.ga.survivors, cfg.ga.mutation_prob = max(population, 3), 2, mutation
    cfg.genes.neurons = neurons
    cfg.validate()
    path = tmp_path_factory.mktemp("c") / "c.toml"
    cfg.save(path)
    assert load_config(path) == cfg


@pytest.mark.parametrize(
    "data, message",
    [
        ({"ga": {"populaton": 3}}, r"\[ga\]: unknown key 'populaton' \(did you mean 'population'\?\)"),
        ({"gene": {}}, r"unknown key 'gene' \(did you mean 'genes'\?\)"),
        ({"genes": {"neurons": ["ten"]}}, r"genes.neurons\[0\]: expected an integer, got 'ten'"),
        ({"ga": {"merge": "yes"}}, "ga.merge: expected true or false"),
        ({"ga": {"mutation_prob": "0.1"}}, "ga.mutation_prob: expected a number"),
        ({"genes": {"neurons": 10}}, "genes.neurons: expected a list"),
        ({"ga": 3}, r"\[ga\]: expected a table"),
        ({"genes": {"colour": ["red"]}}, r"\[genes\]: unknown key 'colour'"),
    ],
)
def test_bad_values_are_named(data, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: setattr(c.ga, "survivors", 20), "ga.survivors: must be smaller than ga.population"),
        (lambda c: setattr(c.ga, "mutation_prob", 1.5), "ga.mutation_prob"),
        (lambda c: setattr(c.genes, "neurons", []), "genes.neurons: must list at least one value"),
        (lambda c: setattr(c.genes, "optimizer", ["adamw"]), r"unknown optimizer 'adamw' \(did you mean 'adam'\?\)"),
        (lambda c: setattr(c.genes, "activation", ["gelu", "relu"]), "unknown activation 'gelu'"),
        (lambda c: setattr(c.genes, "layers", [0]), "genes.layers"),
        (lambda c: setattr(c.genes, "batch_size", [32, 32]), "genes.batch_size: lists a value twice"),
        (lambda c: setattr(c.training, "val_fraction", 0.75), "at least 10%"),
        (lambda c: setattr(c.training, "device", "tpu"), "training.device"),
    ],
)
def test_invalid_combinations_are_named(mutate, message):
    cfg = RunConfig()
    mutate(cfg)
    with pytest.raises(ConfigError, match=message):
        cfg.validate()


def test_a_loss_of_the_wrong_task_is_named():
    cfg = RunConfig()
    cfg.genes.loss = ["cross_entropy"]
    with pytest.raises(ConfigError, match="genes.loss: 'cross_entropy' is not a regression loss"):
        cfg.genes.resolve_for_task("regression")


def test_malformed_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[ga\npopulation = 3\n")
    with pytest.raises(ConfigError, match=r"bad.toml: invalid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")


def test_one_survivor_is_rejected():
    cfg = RunConfig()
    cfg.ga.survivors = 1
    with pytest.raises(ConfigError, match="ga.survivors: must be at least 2"):
        cfg.validate()


def test_per_optimizer_learning_rates_from_toml(tmp_path):
    from gaterm.config import config_from

    p = tmp_path / "c.toml"
    p.write_text("[genes.learning_rates]\nsgd = [0.1, 0.2]\n")
    cfg = config_from(p)
    assert cfg.genes.rates_for("sgd") == [0.1, 0.2] and cfg.genes.rates_for("adam") == cfg.genes.learning_rate
    for text, message in (
        ("[genes.learning_rates]\nsgdd = [0.1]\n", "unknown optimizer 'sgdd' (did you mean 'sgd'?)"),
        ("[genes.learning_rates]\nsgd = []\n", "genes.learning_rates.sgd: must list at least one value"),
        ("[genes.learning_rates]\nsgd = [-1.0]\n", "genes.learning_rates.sgd: -1.0 is not a positive rate"),
        ("[genes.learning_rates]\nsgd = 0.1\n", "expected a list"),
        ("[genes]\nlearning_rates = 3\n", "expected a table"),
        ("[ga]\nselection = 'tset'\n", "ga.selection: must be one of validation, test, got 'tset' (did you mean 'test'?)"),
    ):
        p.write_text(text)
        with pytest.raises(ConfigError, match=re.escape(message)):
            config_from(p)
