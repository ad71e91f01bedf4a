"""Built-in data-set plugin: the file parsers on tiny generated files, the loaders on the real files in
../shared/data (skipped when absent), and the download path against a local HTTP server."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import gaterm_builtin.datasets as builtin
from gaterm.config import RunConfig
from gaterm.datasets import DataSource, LoadContext, RawData
from gaterm.errors import DataError
from gaterm.plugins import load_plugins
from gaterm.session import open_dataset
from gaterm_builtin.datasets import (
    SOURCES,
    WINE_COLUMNS,
    read_boston,
    read_idx,
    read_mnist_pair,
    read_wine_csv,
)


def names(path: Path) -> str:
    """A regex matching `path` literally, for pytest.raises(match=...)."""
    return re.escape(str(path))


# ----- tiny file writers -----
def idx_bytes(arr: np.ndarray, dtype_code: int = 0x08) -> bytes:
    header = struct.pack(">HBB", 0, dtype_code, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


def write_gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data))
    return path


IMAGES = np.array(
    [
        [[0, 1, 2, 3], [4, 5, 6, 255]],
        [[255, 254, 128, 127], [10, 20, 30, 40]],
        [[9, 8, 7, 6], [5, 4, 3, 0]],
    ],
    dtype=np.uint8,
)
LABELS = np.array([3, 0, 9], dtype=np.uint8)

WINE_HEADER = ";".join(f'"{c}"' for c in WINE_COLUMNS)
WINE_ROWS = [
    "7.4;0.7;0;1.9;0.076;11;34;0.9978;3.51;0.56;9.4;5",
    "7.8;0.88;0;2.6;0.098;25;67;0.9968;3.2;0.68;9.8;6",
    "11.2;0.28;0.56;1.9;0.075;17;60;0.998;3.16;0.58;9.8;7",
]
BOSTON_LINES = [
    " 0.00632  18.00   2.310  0  0.5380  6.5750  65.20  4.0900   1  296.0  15.30 396.90   4.98  24.00",
    " 0.02731   0.00   7.070  0  0.4690  6.4210  78.90  4.9671   2  242.0  17.80 396.90   9.14  21.60",
    " 0.02729   0.00   7.070  0  0.4690  7.1850  61.10  4.9671   2  242.0  17.80 392.83   4.03  34.70",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ===== parsers =====
class TestReadIdx:
    def test_images_and_labels_round_trip_exactly(self, tmp_path):
        img = write_gz(tmp_path / "img.gz", idx_bytes(IMAGES))
        lab = write_gz(tmp_path / "lab.gz", idx_bytes(LABELS))
        raw_img = read_idx(img, 3)
        assert raw_img.dtype == np.uint8 and raw_img.shape == (3, 2, 4)
        np.testing.assert_array_equal(raw_img, IMAGES)
        np.testing.assert_array_equal(read_idx(lab, 1), LABELS)

        x, y = read_mnist_pair(img, lab)
        assert x.dtype == np.float32 and x.shape == (3, 2, 4)
        np.testing.assert_array_equal(x, IMAGES.astype(np.float32) / np.float32(255.0))
        assert x[0, 1, 3] == 1.0 and x[0, 0, 0] == 0.0
        assert y.dtype == np.int64
        assert y.tolist() == [3, 0, 9]

    @pytest.mark.parametrize(
        "data, dims",
        [
            (idx_bytes(IMAGES, dtype_code=0x09), 3),  # signed bytes, not unsigned
            (idx_bytes(LABELS), 3),  # a labels file where images are expected
            (idx_bytes(IMAGES), 1),  # an images file where labels are expected
            (b"\x01\x00" + idx_bytes(LABELS)[2:], 1),  # first two magic bytes not zero
            (b"PK\x03\x04" + bytes(40), 3),  # some other format entirely
        ],
        ids=["signed-dtype", "labels-as-images", "images-as-labels", "nonzero-magic", "zip-header"],
    )
    def test_wrong_magic_names_the_file(self, tmp_path, data, dims):
        path = write_gz(tmp_path / "bad-idx.gz", data)
        with pytest.raises(DataError, match=names(path)) as info:
            read_idx(path, dims)
        assert "magic" in str(info.value)

    def test_truncated_body_names_the_file(self, tmp_path):
        path = write_gz(tmp_path / "short.gz", idx_bytes(IMAGES)[:-5])
        with pytest.raises(DataError, match=names(path)) as info:
            read_idx(path, 3)
        assert "(3, 2, 4)" in str(info.value) and "19" in str(info.value)

    def test_extra_bytes_after_the_body_are_an_error(self, tmp_path):
        path = write_gz(tmp_path / "long.gz", idx_bytes(LABELS) + b"\x01")
        with pytest.raises(DataError, match=names(path)):
            read_idx(path, 1)

    def test_header_shorter_than_its_dimensions(self, tmp_path):
        path = write_gz(tmp_path / "hdr.gz", struct.pack(">HBB", 0, 8, 3) + b"\x00\x00\x00\x03")
        with pytest.raises(DataError, match=names(path)):
            read_idx(path, 3)

    def test_not_gzip_names_the_file(self, tmp_path):
        path = tmp_path / "plain-idx"
        path.write_bytes(idx_bytes(LABELS))  # valid IDX, but not compressed
        with pytest.raises(DataError, match=names(path)) as info:
            read_idx(path, 1)
        assert "gzip" in str(info.value)

    def test_truncated_gzip_stream_names_the_file(self, tmp_path):
        path = tmp_path / "cut.gz"
        path.write_bytes(gzip.compress(idx_bytes(IMAGES))[:-12])
        with pytest.raises(DataError, match=names(path)):
            read_idx(path, 3)

    def test_missing_file_is_a_data_error(self, tmp_path):
        path = tmp_path / "nope.gz"
        with pytest.raises(DataError, match=names(path)):
            read_idx(path, 1)

    def test_image_label_count_mismatch(self, tmp_path):
        img = write_gz(tmp_path / "img.gz", idx_bytes(IMAGES))
        lab = write_gz(tmp_path / "lab.gz", idx_bytes(LABELS[:2]))
        with pytest.raises(DataError, match=r"3 images.*2 labels") as info:
            read_mnist_pair(img, lab)
        assert str(img) in str(info.value) and str(lab) in str(info.value)

    def test_labels_above_nine_are_rejected(self, tmp_path):
        img = write_gz(tmp_path / "img.gz", idx_bytes(IMAGES))
        lab = write_gz(tmp_path / "lab.gz", idx_bytes(np.array([1, 10, 2], dtype=np.uint8)))
        with pytest.raises(DataError, match=names(lab)):
            read_mnist_pair(img, lab)


class TestReadWineCsv:
    def write(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "winequality-test.csv"
        path.write_text(text)
        return path

    def test_uci_quoted_header_parses(self, tmp_path):
        path = self.write(tmp_path, WINE_HEADER + "\n" + "\n".join(WINE_ROWS) + "\n")
        x, y = read_wine_csv(path)
        assert x.shape == (3, 11) and y.shape == (3,)
        expected = np.array([[float(v) for v in r.split(";")] for r in WINE_ROWS])
        np.testing.assert_array_equal(x, expected[:, :11])
        np.testing.assert_array_equal(y, [5.0, 6.0, 7.0])
        assert x[0, 7] == 0.9978 and x[2, 2] == 0.56

    def test_unquoted_header_and_no_final_newline_also_parse(self, tmp_path):
        path = self.write(tmp_path, ";".join(WINE_COLUMNS) + "\n" + "\n".join(WINE_ROWS))
        x, y = read_wine_csv(path)
        assert x.shape == (3, 11)
        assert y.tolist() == [5.0, 6.0, 7.0]

    @pytest.mark.parametrize(
        "header",
        [
            ",".join(f'"{c}"' for c in WINE_COLUMNS),  # comma-separated: one column
            ";".join(f'"{c}"' for c in WINE_COLUMNS[:-1]) + ';"score"',  # last column renamed
            ";".join(f'"{c}"' for c in reversed(WINE_COLUMNS)),  # wrong order
        ],
        ids=["comma", "renamed", "reordered"],
    )
    def test_wrong_header_names_the_file(self, tmp_path, header):
        path = self.write(tmp_path, header + "\n" + "\n".join(WINE_ROWS) + "\n")
        with pytest.raises(DataError, match=names(path)):
            read_wine_csv(path)

    def test_missing_header_names_the_file(self, tmp_path):
        path = self.write(tmp_path, "\n".join(WINE_ROWS) + "\n")
        with pytest.raises(DataError, match=names(path)):
            read_wine_csv(path)

    def test_non_numeric_cell_names_the_file_and_line(self, tmp_path):
        rows = list(WINE_ROWS)
        rows[1] = rows[1].replace("0.88", "abc")
        path = self.write(tmp_path, WINE_HEADER + "\n" + "\n".join(rows) + "\n")
        with pytest.raises(DataError, match=names(path) + r".*line 3\b"):
            read_wine_csv(path)

    def test_empty_cell_is_an_error(self, tmp_path):
        rows = list(WINE_ROWS)
        rows[2] = rows[2].rsplit(";", 1)[0] + ";"  # quality missing
        path = self.write(tmp_path, WINE_HEADER + "\n" + "\n".join(rows) + "\n")
        with pytest.raises(DataError, match=names(path) + r".*line 4\b"):
            read_wine_csv(path)

    @pytest.mark.parametrize("text", ["", WINE_HEADER + "\n"], ids=["empty", "header-only"])
    def test_no_rows_is_an_error(self, tmp_path, text):
        path = self.write(tmp_path, text)
        with pytest.raises(DataError, match=names(path)):
            read_wine_csv(path)


class TestReadBoston:
    def write(self, tmp_path: Path, lines: list[str]) -> Path:
        path = tmp_path / "housing.data"
        path.write_text("\n".join(lines) + "\n")
        return path

    def test_whitespace_separated_rows_parse(self, tmp_path):
        path = self.write(tmp_path, [*BOSTON_LINES, ""])  # a trailing blank line is fine
        x, y = read_boston(path)
        assert x.shape == (3, 13) and y.shape == (3,)
        expected = np.array([[float(v) for v in line.split()] for line in BOSTON_LINES])
        np.testing.assert_array_equal(x, expected[:, :13])
        np.testing.assert_array_equal(y, [24.0, 21.6, 34.7])
        assert x[1, 7] == 4.9671

    def test_tabs_and_multiple_spaces_are_separators(self, tmp_path):
        path = self.write(tmp_path, ["\t".join(BOSTON_LINES[0].split()), "   ".join(BOSTON_LINES[1].split())])
        x, y = read_boston(path)
        assert x.shape == (2, 13)
        assert y.tolist() == [24.0, 21.6]

    @pytest.mark.parametrize("n_fields", [13, 15])
    def test_wrong_field_count_names_the_line(self, tmp_path, n_fields):
        fields = BOSTON_LINES[1].split()
        bad = " ".join(fields[:13] if n_fields == 13 else [*fields, "1.0"])
        path = self.write(tmp_path, [BOSTON_LINES[0], bad, BOSTON_LINES[2]])
        with pytest.raises(DataError, match=rf"line 2 has {n_fields} fields") as info:
            read_boston(path)
        assert str(path) in str(info.value)

    def test_line_numbers_count_blank_lines(self, tmp_path):
        path = self.write(tmp_path, [BOSTON_LINES[0], "", " ".join(BOSTON_LINES[1].split()[:13])])
        with pytest.raises(DataError, match=r"line 3 has 13 fields"):
            read_boston(path)

    def test_non_numeric_value_names_the_line(self, tmp_path):
        bad = BOSTON_LINES[1].replace("242.0", "NA?")
        path = self.write(tmp_path, [BOSTON_LINES[0], bad, BOSTON_LINES[2]])
        with pytest.raises(DataError, match=names(path) + r".*line 2\b"):
            read_boston(path)

    def test_empty_file_is_an_error(self, tmp_path):
        path = tmp_path / "housing.data"
        path.write_text("\n\n")
        with pytest.raises(DataError, match=names(path)):
            read_boston(path)

    def test_binary_file_is_an_error(self, tmp_path):
        path = tmp_path / "housing.data"
        path.write_bytes(gzip.compress(b"\n".join(line.encode() for line in BOSTON_LINES)))
        with pytest.raises(DataError, match=names(path)):
            read_boston(path)


# ===== the registry =====
@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def test_builtin_data_sets_are_registered(plugins):
    expected = {
        "digits": ("classification", 10),
        "mnist": ("classification", 10),
        "mnist-10k": ("classification", 10),
        "wine-quality": ("regression", None),
        "wine-quality-white": ("regression", None),
        "boston": ("regression", None),
    }
    for name, (task, n_classes) in expected.items():
        spec = plugins.dataset(name)
        assert (spec.name, spec.task, spec.n_classes) == (name, task, n_classes)
        assert plugins.datasets.owner[name] == "gaterm_builtin.datasets"
    assert "problematic" in plugins.dataset("boston").description


def test_canonical_sources_point_at_the_canonical_hosts():
    for key, src in SOURCES.items():
        assert src.url.endswith("/" + src.filename), key
        assert src.url.startswith(("https://ossci-datasets.s3.amazonaws.com/mnist/",
                                   "https://archive.ics.uci.edu/ml/machine-learning-databases/")), key
        algo, _, digest = (src.known_hash or "").partition(":")
        assert (algo, len(digest)) in {("md5", 32), ("sha256", 64)}, key


# ===== real files (skipped without ../shared/data) =====
def load_raw(plugins, name: str, data_dir: Path | None, seed: int = 0) -> RawData:
    return plugins.dataset(name).load(LoadContext(data_dir, seed=seed))


def split(plugins, name: str, data_dir: Path, seed: int = 0):
    cfg = RunConfig(dataset=name, seed=seed)
    return open_dataset(plugins, plugins.dataset(name), cfg, data_dir)


def test_real_mnist_10k(plugins, shared_data):
    raw = load_raw(plugins, "mnist-10k", shared_data)
    assert raw.x.shape == (10000, 28, 28) and raw.x[0].size == 784
    assert raw.x.dtype == np.float32 and raw.x.min() == 0.0 and raw.x.max() == 1.0
    assert raw.y[:5].tolist() == [7, 2, 1, 0, 4]
    assert raw.x_test is None and raw.y_test is None  # mnist-10k is split by the seed
    # the standard test set's class counts and mean pixel value
    assert np.bincount(raw.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(float(raw.x.mean()) - 0.1325) < 5e-4

    ds = split(plugins, "mnist-10k", shared_data)
    assert ds.n_features == 784 and ds.n_outputs == 10
    assert ds.sizes() == {"train": 6000, "val": 2000, "test": 2000}
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    labels = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    assert np.bincount(labels).tolist() == np.bincount(raw.y).tolist()


def test_real_mnist_training_labels_file(shared_data):
    y = read_idx(shared_data / "mnist" / "train-labels-idx1-ubyte.gz", 1)
    assert y.shape == (60000,)
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_full_mnist_without_training_images_says_what_to_download(plugins, shared_data):
    src = SOURCES["mnist-train-images"]
    with pytest.raises(DataError) as info:
        load_raw(plugins, "mnist", shared_data)
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg
    assert src.url in msg
    assert str(shared_data / "mnist") in msg


def test_real_wine_red(plugins, shared_data):
    raw = load_raw(plugins, "wine-quality", shared_data)
    assert raw.x.shape == (1599, 11) and raw.y.shape == (1599,)
    assert raw.x[0].tolist() == [7.4, 0.7, 0.0, 1.9, 0.076, 11.0, 34.0, 0.9978, 3.51, 0.56, 9.4]
    assert raw.y[0] == 5.0
    assert raw.y.min() == 3 and raw.y.max() == 8
    assert np.all(raw.y == np.round(raw.y))


def test_real_wine_white(plugins, shared_data):
    raw = load_raw(plugins, "wine-quality-white", shared_data)
    assert raw.x.shape == (4898, 11)
    assert raw.x[0].tolist() == [7.0, 0.27, 0.36, 20.7, 0.045, 45.0, 170.0, 1.001, 3.0, 0.45, 8.8]
    assert raw.y.min() == 3 and raw.y.max() == 9


def test_real_boston(plugins, shared_data):
    raw = load_raw(plugins, "boston", shared_data)
    assert raw.x.shape == (506, 13) and raw.y.shape == (506,)
    assert abs(float(raw.y.mean()) - 22.5328) < 1e-3
    assert raw.x[0, 0] == 0.00632 and raw.x[0, 12] == 4.98 and raw.y[0] == 24.0
    assert raw.y.min() == 5.0 and raw.y.max() == 50.0


def test_digits_ships_with_scikit_learn(plugins):
    raw = load_raw(plugins, "digits", None)  # needs no data directory and no network
    assert raw.x.shape == (1797, 64)
    assert set(np.unique(raw.y).tolist()) == set(range(10))
    ds = open_dataset(plugins, plugins.dataset("digits"), RunConfig(dataset="digits"), None)
    assert ds.sizes() == {"train": 1079, "val": 359, "test": 359}
    assert ds.n_features == 64 and ds.n_outputs == 10 and ds.metric_name == "accuracy"


@pytest.mark.parametrize("name", ["boston", "wine-quality", "wine-quality-white"])
def test_real_checksums_match_the_sources(shared_data, name):
    key = {"boston": "boston", "wine-quality": "wine-red", "wine-quality-white": "wine-white"}[name]
    src = SOURCES[key]
    assert src.known_hash == "sha256:" + sha256(shared_data / src.subdir / src.filename)


def test_missing_file_in_the_data_dir_says_where_to_put_it(plugins, tmp_path):
    (tmp_path / "boston").mkdir()
    with pytest.raises(DataError) as info:
        load_raw(plugins, "boston", tmp_path)
    msg = str(info.value)
    assert "housing.data" in msg and SOURCES["boston"].url in msg and str(tmp_path / "boston") in msg


# ----- splits of the real data through gaterm.session.open_dataset -----
SPLIT_CASES = ["digits", "mnist-10k", "wine-quality", "wine-quality-white", "boston"]


def split_dir(name: str, shared_data_request) -> Path | None:
    return None if name == "digits" else shared_data_request.getfixturevalue("shared_data")


@pytest.mark.parametrize("name", SPLIT_CASES)
def test_split_sizes_add_up_and_follow_the_fractions(plugins, request, name):
    data_dir = split_dir(name, request)
    n = len(load_raw(plugins, name, data_dir).y)
    ds = split(plugins, name, data_dir)
    sizes = ds.sizes()
    assert sum(sizes.values()) == n
    # whole groups of exact duplicates go to one split, so a split may overshoot by less than one group
    biggest = int(np.unique(load_raw(plugins, name, data_dir).x.reshape(n, -1), axis=0, return_counts=True)[1].max())
    for part in ("test", "val"):
        assert round(0.2 * n) <= sizes[part] < round(0.2 * n) + biggest
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (sizes["train"], sizes["val"], sizes["test"])


@pytest.mark.parametrize("name", SPLIT_CASES)
def test_same_seed_same_split_other_seed_other_split(plugins, request, name):
    data_dir = split_dir(name, request)
    a, b, c = (split(plugins, name, data_dir, seed) for seed in (3, 3, 4))
    for part in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
    assert not np.array_equal(a.x_test, c.x_test)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", SPLIT_CASES)
def test_standardized_with_training_statistics(plugins, request, name):
    data_dir = split_dir(name, request)
    raw = load_raw(plugins, name, data_dir)
    ds = split(plugins, name, data_dir)
    if plugins.dataset(name).scaling == "range":  # pixels: a fixed map to [0, 1], the same for every split
        for part in (ds.x_train, ds.x_val, ds.x_test):
            assert part.min() >= 0.0 and part.max() <= 1.0
        np.testing.assert_allclose(ds.x_train.max(), 1.0, atol=1e-6)
        return
    x_raw = raw.x.reshape(len(raw.x), -1).astype(np.float64)
    xt = ds.x_train.astype(np.float64)
    varying = xt.std(axis=0) > 1e-6
    assert varying.sum() >= {"mnist-10k": 500, "digits": 58}.get(name, xt.shape[1])
    np.testing.assert_allclose(xt.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(xt.std(axis=0)[varying], 1.0, atol=1e-4)
    # columns constant in training (MNIST's border pixels) stay finite: their std is replaced by 1
    assert np.isfinite(ds.x_val).all() and np.isfinite(ds.x_test).all()
    if name == "mnist-10k":
        return
    # One affine map (the training statistics) was applied to every split: the standardized values of a
    # column, pooled over train/val/test and sorted, are an exact affine image of the raw column sorted.
    # Standardizing val/test with their own statistics would break this.
    pooled = np.concatenate([ds.x_train, ds.x_val, ds.x_test]).astype(np.float64)
    for j in range(x_raw.shape[1]):
        r, s = np.sort(x_raw[:, j]), np.sort(pooled[:, j])
        if r[0] == r[-1]:
            np.testing.assert_array_equal(s, 0.0)  # constant everywhere: centred, not divided by 0
            continue
        slope, intercept = np.polyfit(r, s, 1)
        assert slope > 0
        np.testing.assert_allclose(s, slope * r + intercept, atol=1e-4 * max(1.0, np.abs(s).max()))
    # the validation split is not itself standardized to mean 0 (it uses the training statistics)
    assert np.abs(ds.x_val.astype(np.float64).mean(axis=0)).max() > 1e-3


@pytest.mark.parametrize("name", ["wine-quality", "wine-quality-white", "boston"])
def test_regression_targets_standardized_with_training_statistics(plugins, shared_data, name):
    raw = load_raw(plugins, name, shared_data)
    ds = split(plugins, name, shared_data)
    assert ds.n_outputs == 1 and ds.metric_name == "mae" and not ds.higher_is_better
    assert ds.y_train.dtype == np.float32
    # the standardized training targets have mean 0 and std 1 ...
    assert abs(float(ds.y_train.astype(np.float64).mean())) < 1e-5
    assert abs(float(ds.y_train.astype(np.float64).std()) - 1.0) < 1e-5
    # ... and target_mean/target_std undo it: every split maps back onto the raw targets
    pooled = np.concatenate([ds.y_train, ds.y_val, ds.y_test]).astype(np.float64)
    back = pooled * ds.target_std + ds.target_mean
    np.testing.assert_allclose(np.sort(back), np.sort(raw.y), atol=1e-4 * float(np.abs(raw.y).max()))
    train_back = ds.y_train.astype(np.float64) * ds.target_std + ds.target_mean
    assert ds.target_mean == pytest.approx(train_back.mean(), abs=1e-5)
    assert ds.target_std == pytest.approx(train_back.std(), rel=1e-5)
    # the training mean differs from the whole set's (so it was not computed on all rows)
    assert ds.target_mean != pytest.approx(float(raw.y.mean()), abs=1e-9)


# ===== downloads, with a local HTTP server standing in for the canonical hosts =====
def serve_source(monkeypatch, server, key: str, path: Path, known_hash: str | None = "auto") -> DataSource:
    """Serve `path` and point SOURCES[key] at it (with its own sha256 unless `known_hash` is given)."""
    url = server.add(path.name, path.read_bytes())
    h = "sha256:" + sha256(path) if known_hash == "auto" else known_hash
    src = dataclasses.replace(SOURCES[key], url=url, known_hash=h)
    monkeypatch.setitem(builtin.SOURCES, key, src)
    return src


def test_download_then_parse_then_reuse_the_cache(plugins, file_server, cache, monkeypatch, tmp_path):
    local = tmp_path / "housing.data"
    local.write_text("\n".join(BOSTON_LINES) + "\n")
    src = serve_source(monkeypatch, file_server, "boston", local)

    raw = load_raw(plugins, "boston", None)
    assert raw.x.shape == (3, 13) and raw.y.tolist() == [24.0, 21.6, 34.7]
    cached = cache / "boston" / "housing.data"
    assert cached.read_bytes() == local.read_bytes()
    assert file_server.hits("housing.data") == 1

    again = load_raw(plugins, "boston", None)
    np.testing.assert_array_equal(again.x, raw.x)
    assert file_server.hits("housing.data") == 1  # served from the cache, the server was not asked
    assert src.url.startswith("http://127.0.0.1:")


def test_download_of_the_real_file_matches_the_projects_checksum(plugins, file_server, cache, monkeypatch,
                                                                 shared_data, tmp_path):
    real = shared_data / "boston" / "housing.data"
    served = tmp_path / "housing.data"
    shutil.copyfile(real, served)
    # keep the project's own known_hash: only the URL is redirected to the local server
    url = file_server.add("housing.data", served.read_bytes())
    monkeypatch.setitem(builtin.SOURCES, "boston", dataclasses.replace(SOURCES["boston"], url=url))
    assert SOURCES["boston"].known_hash == "sha256:" + sha256(real)

    raw = load_raw(plugins, "boston", None)
    assert raw.x.shape == (506, 13)
    assert abs(float(raw.y.mean()) - 22.5328) < 1e-3
    assert sha256(cache / "boston" / "housing.data") == sha256(real)


def test_download_of_the_real_wine_file_matches_the_projects_checksum(plugins, file_server, cache,
                                                                      monkeypatch, shared_data):
    real = shared_data / "wine-quality" / "winequality-red.csv"
    url = file_server.add(real.name, real.read_bytes())
    monkeypatch.setitem(builtin.SOURCES, "wine-red", dataclasses.replace(SOURCES["wine-red"], url=url))
    raw = load_raw(plugins, "wine-quality", None)
    assert raw.x.shape == (1599, 11)
    assert (cache / "wine-quality" / "winequality-red.csv").is_file()


def test_corrupt_download_fails_its_checksum(plugins, file_server, cache, monkeypatch, tmp_path):
    local = tmp_path / "housing.data"
    local.write_text("\n".join(BOSTON_LINES) + "\n")
    serve_source(monkeypatch, file_server, "boston", local, known_hash="sha256:" + "0" * 64)
    with pytest.raises(DataError, match="checksum") as info:
        load_raw(plugins, "boston", None)
    assert "housing.data" in str(info.value)
    assert not (cache / "boston" / "housing.data").exists()  # nothing unverified is left in the cache
    assert file_server.hits("housing.data") >= 1


def test_download_not_found_says_where_to_put_the_file(plugins, file_server, cache, monkeypatch):
    url = file_server.url + "missing/winequality-red.csv"  # the server answers 404
    monkeypatch.setitem(builtin.SOURCES, "wine-red", dataclasses.replace(SOURCES["wine-red"], url=url))
    with pytest.raises(DataError) as info:
        load_raw(plugins, "wine-quality", None)
    msg = str(info.value)
    assert "winequality-red.csv" in msg and url in msg
    assert str(cache / "wine-quality") in msg and "--data-dir" in msg
    assert file_server.requests == ["/missing/winequality-red.csv"]
    assert not (cache / "wine-quality" / "winequality-red.csv").exists()


def test_server_down_says_where_to_put_the_file(plugins, dead_url, cache, monkeypatch):
    url = dead_url + "housing.data"
    monkeypatch.setitem(builtin.SOURCES, "boston", dataclasses.replace(SOURCES["boston"], url=url))
    with pytest.raises(DataError) as info:
        load_raw(plugins, "boston", None)
    msg = str(info.value)
    assert "housing.data" in msg and url in msg and str(cache / "boston") in msg


def test_full_mnist_downloads_four_files_checked_by_md5(plugins, file_server, cache, monkeypatch, tmp_path):
    files = {
        "mnist-train-images": idx_bytes(IMAGES),
        "mnist-train-labels": idx_bytes(LABELS),
        "mnist-test-images": idx_bytes(IMAGES[:2][:, ::-1]),
        "mnist-test-labels": idx_bytes(LABELS[:2][::-1]),
    }
    for key, data in files.items():
        gz = gzip.compress(data, mtime=0)
        url = file_server.add(SOURCES[key].filename, gz)
        src = dataclasses.replace(SOURCES[key], url=url, known_hash="md5:" + hashlib.md5(gz).hexdigest())
        monkeypatch.setitem(builtin.SOURCES, key, src)
    raw = load_raw(plugins, "mnist", None)
    assert raw.x.shape == (3, 2, 4) and raw.y.tolist() == [3, 0, 9]
    assert raw.x_test.shape == (2, 2, 4) and raw.y_test.tolist() == [0, 3]
    np.testing.assert_array_equal(raw.x_test * 255, IMAGES[:2][:, ::-1].astype(np.float32))
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(s.filename for s in
                                                                            (SOURCES[k] for k in files))
    assert len(file_server.requests) == 4


def test_a_data_dir_is_used_without_downloading(plugins, file_server, cache, monkeypatch, tmp_path):
    local = tmp_path / "dd" / "boston" / "housing.data"
    local.parent.mkdir(parents=True)
    local.write_text("\n".join(BOSTON_LINES[:2]) + "\n")
    serve_source(monkeypatch, file_server, "boston", local)
    raw = load_raw(plugins, "boston", tmp_path / "dd")
    assert raw.y.tolist() == [24.0, 21.6]
    assert file_server.requests == [] and not cache.exists()


def test_full_mnist_official_test_split_is_kept(plugins, tmp_path):
    """`mnist` gives its official test files as x_test: gaterm splits only the training part."""
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    rng = np.random.default_rng(1)
    train = rng.integers(0, 256, size=(50, 4, 4), dtype=np.uint8)
    test = rng.integers(0, 256, size=(7, 4, 4), dtype=np.uint8)
    write_gz(mnist / SOURCES["mnist-train-images"].filename, idx_bytes(train))
    write_gz(mnist / SOURCES["mnist-train-labels"].filename, idx_bytes(np.arange(50, dtype=np.uint8) % 10))
    write_gz(mnist / SOURCES["mnist-test-images"].filename, idx_bytes(test))
    write_gz(mnist / SOURCES["mnist-test-labels"].filename, idx_bytes(np.arange(7, dtype=np.uint8)))
    ds = split(plugins, "mnist", tmp_path)
    assert ds.sizes() == {"train": 50 - round(50 * 0.25), "val": round(50 * 0.25), "test": 7}
    assert ds.y_test.tolist() == list(range(7))  # the official test set, in its order
    assert ds.n_features == 16


@pytest.mark.parametrize("name", ["wine-quality", "wine-quality-white"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_exact_duplicate_row_straddles_two_splits(plugins, shared_data, name, seed):
    # the red-wine file has 240 duplicate rows: before grouping, 17-20% of test rows had a copy in training
    ds = split(plugins, name, shared_data, seed)
    assert ds.duplicate_rows > 0
    keys = [{r.tobytes() for r in part} for part in (ds.x_train, ds.x_val, ds.x_test)]
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])


def test_mnist_inputs_are_in_zero_one(plugins, shared_data):
    ds = split(plugins, "mnist-10k", shared_data, 0)
    for part in (ds.x_train, ds.x_val, ds.x_test):
        assert part.min() >= 0.0 and part.max() <= 1.0
    assert ds.x_train.max() == 1.0  # (x - 0) / (1 - 0): the loader's /255 pixels, not re-standardized


def test_standardization_never_divides_by_a_near_zero_spread():
    from gaterm.datasets import DatasetSpec, RawData, prepare

    x = np.random.default_rng(0).normal(size=(60, 3))
    x[:, 1] = 5.0
    x[0, 1] = 5.0 + 1e-15  # spread ~1e-16: centred, not blown up
    spec = DatasetSpec("t", "regression", "", lambda ctx: None)
    ds = prepare(spec, RawData(x, x[:, 0]), 0, 0.2, 0.2)
    for part in (ds.x_train, ds.x_val, ds.x_test):
        assert np.abs(part[:, 1]).max() < 1e-6
