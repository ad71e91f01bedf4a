"""The setup form's model (texts in, a validated RunConfig out) and the comparison charts, without Textual."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaterm.charts import histogram_columns
from gaterm.config import RunConfig, config_from_dict
from gaterm.errors import ConfigError
from gaterm.tui.form import ALL_FIELDS, config_from_texts, field_of, texts_from_config
from gaterm.tui.formatting import compact_genes, fmt_parents


def test_texts_round_trip_to_the_same_config():
    cfg = RunConfig()
    cfg.ga.target = 0.9
    cfg.genes.loss = ["mae", "huber"]
    assert config_from_texts(texts_from_config(cfg), RunConfig()) == cfg


def test_blank_target_means_no_target_and_blank_loss_the_task_default():
    base = RunConfig()
    base.ga.target = 0.5
    texts = {**texts_from_config(base), "ga.target": " ", "genes.loss": ""}
    cfg = config_from_texts(texts, base, "regression")
    assert cfg.ga.target is None and cfg.genes.loss == []


def test_extra_values_overlay_by_dotted_key_without_dropping_the_texts():
    texts = {**texts_from_config(RunConfig()), "ga.population": "8", "ga.survivors": "3"}
    cfg = config_from_texts(texts, RunConfig(), extra={"ga.merge": False, "dataset": "wine-quality"})
    assert (cfg.ga.population, cfg.ga.survivors, cfg.ga.merge, cfg.dataset) == (8, 3, False, "wine-quality")


def test_messages_are_the_configs_own():
    texts = {**texts_from_config(RunConfig()), "ga.survivors": "30"}
    with pytest.raises(ConfigError) as info:
        config_from_texts(texts, RunConfig())
    with pytest.raises(ConfigError) as same:
        config_from_dict({"ga": {"survivors": 30}}).validate()
    assert str(info.value) == str(same.value)
    assert field_of(str(info.value)) == "ga.survivors"
    assert field_of("genes.neurons[2]: expected an integer, got 'x'") == "genes.neurons"


@given(st.dictionaries(st.sampled_from([f.key for f in ALL_FIELDS]), st.text(max_size=12), max_size=4))
def test_any_typing_gives_a_config_or_a_one_line_message_naming_a_field(edits):
    texts = {**texts_from_config(RunConfig()), **edits}
    try:
        cfg = config_from_texts(texts, RunConfig(), "classification")
    except ConfigError as exc:
        text = str(exc)
        assert "\n" not in text and field_of(text) in {f.key for f in ALL_FIELDS} | {"ga.target"}
    else:
        assert cfg.validate() is cfg


def test_compact_genes():
    assert compact_genes("adam lr=0.005 bs=128 loss=cross_entropy | 16 tanh, 8 relu") == "adam .005 b128 | 16tanh 8relu"
    assert compact_genes("sgd lr=0.01 bs=16 loss=mse | 200 softsign") == "sgd .01 b16 mse | 200ssgn"
    assert compact_genes("not genes") == "not genes"
    assert fmt_parents(3, 1, True) == "3×1" and fmt_parents(3, 1, False) == "3+1" and fmt_parents(None, None, False) == "-"


def test_histogram_columns_share_bins_and_mark_the_means():
    merge, basic = [0.1, 0.2, 0.2, 0.3, 1.0], [0.5, 0.6, 0.9, 1.0, 1.0, 1.1]
    lines = histogram_columns([("merge", merge), ("basic", basic)], bins=5, width=10)
    assert "merge" in lines[0] and "basic" in lines[0]
    assert "n=5" in lines[1] and "n=6" in lines[1] and lines[2].count("skewness") == 2
    body = lines[3:]
    assert len(body) == 5
    counts = [[int(col.split()[0]) for col in line.split("|")[1:]] for line in body]
    assert [sum(c[0] for c in counts), sum(c[1] for c in counts)] == [5, 6]
    assert body[0].startswith("0.10-0.30s")  # the same bins for both, over the range of both
    marks = [[col.rstrip().endswith("<") for col in line.split("|")[1:]] for line in body]
    assert [sum(m[0] for m in marks), sum(m[1] for m in marks)] == [1, 1]  # one mean mark per series
    assert marks[1][0]  # mean of merge, 0.36, is in the second bin (0.30-0.50)


def test_histogram_columns_fit_a_width_and_handle_no_data():
    lines = histogram_columns([("a", [0.01, 0.011, 0.02]), ("b", [0.015])], bins=4, total_width=50)
    assert max(len(line) for line in lines) <= 50
    assert "0.010-" in lines[3]  # sub-hundredth bins get more decimals, so they stay distinguishable
    assert histogram_columns([("a", []), ("b", [math.nan])]) == ["(no data)"]
