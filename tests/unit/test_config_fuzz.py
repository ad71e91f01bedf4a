"""Random garbage in configuration files: whatever the document (random keys, nested tables, wrong types, huge
numbers, NaN, unicode, bytes that are not text), the loader either returns a valid config or raises a
GatermError with a one-line message; never another exception."""

from __future__ import annotations

import dataclasses
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gaterm.config import (
    GAConfig,
    GeneStore,
    RunConfig,
    TrainingConfig,
    config_from,
    config_from_dict,
    load_config,
)
from gaterm.errors import GatermError

SECTIONS = {"ga": GAConfig, "training": TrainingConfig, "genes": GeneStore}
TOP = ["dataset", "seed", *SECTIONS]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.integers(min_value=-(2**80), max_value=2**80),  # beyond any machine integer
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, -1, 0.5, 1e308, -0.0, 5e-324, "adam", "relu", "cross_entropy", "digits"]),
    st.text(max_size=12),  # any unicode
    st.dates(), st.datetimes(), st.times(),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def documents(draw) -> dict:
    """A TOML-shaped document: mostly gaterm's own keys (so values reach the type and range checks), some
    random ones, any values."""
    doc = {}
    for key in draw(st.lists(st.sampled_from(TOP) | st.text(max_size=8), max_size=6, unique=True)):
        if key in SECTIONS and draw(st.integers(0, 4)):
            names = [f.name for f in dataclasses.fields(SECTIONS[key])]
            doc[key] = draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=8), values, max_size=6))
        else:
            doc[key] = draw(values)
    return doc


def _one_line_gaterm_error_or_valid(load) -> RunConfig | None:
    try:
        cfg = load()
    except GatermError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        return None
    return cfg


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@FUZZ
@given(documents())
def test_any_document_is_a_valid_config_or_one_line_error(doc):
    cfg = _one_line_gaterm_error_or_valid(lambda: config_from_dict(doc).validate())
    if cfg is not None:  # what validates also survives its own config.toml
        assert config_from_dict(tomllib.loads(cfg.to_toml())).validate() == cfg


@FUZZ
@given(documents(), documents())
def test_any_file_with_any_overrides_is_a_valid_config_or_one_line_error(doc, overrides):
    try:
        text = tomli_w.dumps(doc).encode()
    except (TypeError, ValueError):
        text = repr(doc).encode()  # not TOML: must be refused as such
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "c.toml", text)
        _one_line_gaterm_error_or_valid(lambda: config_from(path, overrides))


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200))
@example("a = " + "[" * 5000 + "]" * 5000)  # nested too deeply for the parser
@example("a = " + "{b = " * 3000 + "1" + "}" * 3000)
@example("seed = " + "9" * 5000)  # more digits than Python converts
@example(b"seed = \xed\xa0\x80")  # not UTF-8
@example("\ufeffseed = 1\x00")
def test_any_text_or_bytes_in_a_config_file_is_a_config_or_one_line_error(content):
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "c.toml", data)
        _one_line_gaterm_error_or_valid(lambda: load_config(path).validate())


@pytest.mark.parametrize("doc, message", [
    ({"training": {"threads": 2**40}}, "training.threads: must be at most 1024"),
    ({"seed": 2**64}, "seed: must be below 2**63"),
])
def test_values_that_would_fail_later_are_refused_now(doc, message):
    with pytest.raises(GatermError, match=message.replace("*", r"\*")):
        config_from_dict(doc).validate()
