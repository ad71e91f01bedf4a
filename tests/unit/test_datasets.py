"""gaterm.datasets: choosing the data directory, finding or downloading files, and prepare()'s splits."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

import gaterm.datasets
from gaterm.datasets import (
    DATA_DIR_ENV,
    DatasetSpec,
    DataSource,
    LoadContext,
    RawData,
    cache_dir,
    data_dir_from,
    locate,
    prepare,
)
from gaterm.errors import DataError, GatermError


# ===== data_dir_from =====
class TestDataDirFrom:
    def test_explicit_argument_wins_over_the_environment(self, tmp_path, monkeypatch):
        arg, env = tmp_path / "arg", tmp_path / "env"
        arg.mkdir(), env.mkdir()
        monkeypatch.setenv(DATA_DIR_ENV, str(env))
        assert data_dir_from(str(arg)) == arg
        assert data_dir_from(arg) == arg  # a Path works as well as a str

    def test_argument_wins_even_when_the_environment_is_broken(self, tmp_path, monkeypatch):
        monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "does-not-exist"))
        assert data_dir_from(tmp_path) == tmp_path

    @pytest.mark.parametrize("arg", [None, ""])
    def test_environment_used_without_an_argument(self, tmp_path, monkeypatch, arg):
        monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
        assert data_dir_from(arg) == tmp_path

    @pytest.mark.parametrize("env", [None, ""])
    def test_none_when_neither_is_given(self, monkeypatch, env):
        if env is None:
            monkeypatch.delenv(DATA_DIR_ENV, raising=False)
        else:
            monkeypatch.setenv(DATA_DIR_ENV, env)
        assert data_dir_from(None) is None
        assert data_dir_from("") is None

    def test_missing_argument_directory_is_named(self, tmp_path, monkeypatch):
        monkeypatch.delenv(DATA_DIR_ENV, raising=False)
        missing = tmp_path / "nowhere"
        with pytest.raises(DataError, match=re.escape(str(missing))) as info:
            data_dir_from(str(missing))
        assert "--data-dir" in str(info.value)

    def test_a_file_is_not_a_directory(self, tmp_path, monkeypatch):
        monkeypatch.delenv(DATA_DIR_ENV, raising=False)
        f = tmp_path / "file.txt"
        f.write_text("x")
        with pytest.raises(DataError, match=re.escape(str(f)) + ".*not a directory"):
            data_dir_from(f)

    def test_broken_environment_is_named(self, tmp_path, monkeypatch):
        missing = tmp_path / "gone"
        monkeypatch.setenv(DATA_DIR_ENV, str(missing))
        with pytest.raises(DataError, match=re.escape(str(missing))) as info:
            data_dir_from(None)
        assert DATA_DIR_ENV in str(info.value)
        assert isinstance(info.value, GatermError)

    def test_home_is_expanded(self, tmp_path, monkeypatch):
        (tmp_path / "data").mkdir()
        monkeypatch.setenv("HOME", str(tmp_path))
        assert data_dir_from("~/data") == tmp_path / "data"


# ===== locate: from a data directory =====
SRC = DataSource("things", "thing.bin", "https://example.invalid/files/thing.bin", None)


class TestLocateInDataDir:
    def test_found_in_its_subdirectory(self, tmp_path):
        (tmp_path / "things").mkdir()
        (tmp_path / "things" / "thing.bin").write_bytes(b"abc")
        assert locate(SRC, tmp_path) == tmp_path / "things" / "thing.bin"
        assert LoadContext(tmp_path, seed=0).path(SRC) == tmp_path / "things" / "thing.bin"

    def test_a_local_copy_is_not_checksummed(self, tmp_path):
        """Local copies may be recompressed (the shared MNIST is): a data directory is trusted as given."""
        (tmp_path / "things").mkdir()
        (tmp_path / "things" / "thing.bin").write_bytes(b"abc")
        src = DataSource("things", "thing.bin", SRC.url, "sha256:" + "0" * 64)
        assert locate(src, tmp_path) == tmp_path / "things" / "thing.bin"

    def test_missing_file_names_file_directory_and_url(self, tmp_path, cache):
        with pytest.raises(DataError) as info:
            locate(SRC, tmp_path)
        msg = str(info.value)
        assert "thing.bin" in msg and str(tmp_path / "things") in msg and SRC.url in msg
        assert not cache.exists()  # never falls back to downloading

    def test_a_directory_with_the_files_name_is_not_the_file(self, tmp_path):
        (tmp_path / "things" / "thing.bin").mkdir(parents=True)
        with pytest.raises(DataError, match="thing.bin"):
            locate(SRC, tmp_path)


# ===== locate: downloading into the cache =====
def test_default_cache_is_a_per_user_gaterm_directory():
    path = cache_dir()
    assert path.is_absolute()
    assert path.name == "data" and "gaterm" in path.parent.name.lower()


class TestDownload:
    PAYLOAD = b"0.1 0.2 0.3\n" * 50

    def source(self, server, known_hash: str | None = "sha256") -> DataSource:
        url = server.add("payload.txt", self.PAYLOAD)
        if known_hash == "sha256":
            known_hash = "sha256:" + hashlib.sha256(self.PAYLOAD).hexdigest()
        elif known_hash == "md5":
            known_hash = "md5:" + hashlib.md5(self.PAYLOAD).hexdigest()
        return DataSource("sub", "payload.txt", url, known_hash)

    @pytest.mark.parametrize("algo", ["sha256", "md5", None])
    def test_downloads_once_into_the_cache(self, file_server, cache, algo):
        src = self.source(file_server, algo)
        path = locate(src, None)
        assert path == cache / "sub" / "payload.txt"
        assert path.read_bytes() == self.PAYLOAD
        assert LoadContext(None, seed=5).path(src) == path
        assert locate(src, None) == path
        assert file_server.hits("payload.txt") == 1

    def test_a_cached_file_that_no_longer_matches_is_fetched_again(self, file_server, cache):
        src = self.source(file_server)
        path = locate(src, None)
        path.write_bytes(b"tampered")
        assert locate(src, None).read_bytes() == self.PAYLOAD
        assert file_server.hits("payload.txt") == 2

    def test_checksum_mismatch(self, file_server, cache):
        src = DataSource("sub", "payload.txt", self.source(file_server).url, "sha256:" + "ab" * 32)
        with pytest.raises(DataError, match="checksum") as info:
            locate(src, None)
        assert "payload.txt" in str(info.value)
        assert "\n" not in str(info.value)
        assert not (cache / "sub" / "payload.txt").exists()

    def test_not_found_names_file_url_and_where_to_put_it(self, file_server, cache):
        src = DataSource("sub", "absent.txt", file_server.url + "absent.txt", None)
        with pytest.raises(DataError) as info:
            locate(src, None)
        msg = str(info.value)
        assert "absent.txt" in msg and src.url in msg
        assert str(cache / "sub") in msg and "--data-dir" in msg and "DIR/sub/" in msg
        assert file_server.requests == ["/absent.txt"]

    def test_server_down_names_file_url_and_where_to_put_it(self, dead_url, cache):
        src = DataSource("sub", "payload.txt", dead_url + "payload.txt", None)
        with pytest.raises(DataError) as info:
            locate(src, None)
        msg = str(info.value)
        assert "payload.txt" in msg and src.url in msg and str(cache / "sub") in msg

    def test_malformed_url_is_not_reported_as_a_checksum_failure(self, cache):
        src = DataSource("sub", "payload.txt", "http:///payload.txt", None)
        with pytest.raises(DataError) as info:
            locate(src, None)
        assert "checksum" not in str(info.value)


# ===== prepare =====
def spec(task: str = "classification", n_classes: int | None = None, name: str = "toy") -> DatasetSpec:
    return DatasetSpec(name, task, "a toy data set", lambda ctx: RawData(np.zeros((1, 1)), np.zeros(1)),
                       n_classes=n_classes)


def features(n: int, d: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(loc=5.0, scale=3.0, size=(n, d)) * np.arange(1, d + 1)


def regression_raw(n: int = 100) -> RawData:
    """Row i has target 1000 + 10*i, so a split's rows can be identified from its de-standardized targets."""
    x = features(n)
    x[:, 0] = np.arange(n)  # column 0 is also the row id
    return RawData(x, 1000.0 + 10.0 * np.arange(n))


class TestPrepareSplits:
    def test_sizes_follow_the_fractions_and_add_up(self):
        ds = prepare(spec("regression"), regression_raw(100), 0, 0.2, 0.2)
        assert ds.sizes() == {"train": 60, "val": 20, "test": 20}
        ds = prepare(spec("regression"), regression_raw(101), 0, 0.1, 0.3)
        assert ds.sizes() == {"train": 101 - 30 - 10, "val": 10, "test": 30}

    def test_splits_partition_the_rows(self):
        raw = regression_raw(100)
        ds = prepare(spec("regression"), raw, 7, 0.2, 0.2)
        ids = [np.rint((y.astype(np.float64) * ds.target_std + ds.target_mean - 1000.0) / 10.0).astype(int)
               for y in (ds.y_train, ds.y_val, ds.y_test)]
        together = np.concatenate(ids)
        assert sorted(together.tolist()) == list(range(100))  # every row exactly once

    def test_same_seed_same_split_other_seed_other_split(self):
        raw = regression_raw(100)
        a, b, c = (prepare(spec("regression"), raw, s, 0.2, 0.2) for s in (3, 3, 4))
        for part in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
            np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
        assert not np.array_equal(a.y_test, c.y_test)
        assert not np.array_equal(a.y_train, c.y_train)

    def test_the_split_is_shuffled(self):
        ds = prepare(spec("regression"), regression_raw(100), 0, 0.2, 0.2)
        ids = np.rint((ds.y_test.astype(np.float64) * ds.target_std + ds.target_mean - 1000.0) / 10.0)
        assert sorted(ids.tolist()) != list(range(int(ids.min()), int(ids.min()) + 20))  # not one block

    def test_features_standardized_with_training_statistics_only(self):
        raw = regression_raw(200)
        raw.x[:, 3] = 7.0  # a constant column
        ds = prepare(spec("regression"), raw, 1, 0.2, 0.2)
        xt = ds.x_train.astype(np.float64)
        np.testing.assert_allclose(xt.mean(axis=0), 0.0, atol=1e-5)
        np.testing.assert_allclose(xt.std(axis=0)[:3], 1.0, atol=1e-5)
        np.testing.assert_array_equal(ds.x_train[:, 3], 0.0)  # constant: centred, not divided by zero
        np.testing.assert_array_equal(ds.x_test[:, 3], 0.0)

        # recover which raw rows went where (column 0 is the row id) and redo the maths by hand
        def rows(y):
            raw_y = y.astype(np.float64) * ds.target_std + ds.target_mean
            return np.rint((raw_y - 1000.0) / 10.0).astype(int)

        train_rows = raw.x[rows(ds.y_train)]
        mean, std = train_rows.mean(axis=0), train_rows.std(axis=0)
        std[std == 0] = 1.0
        for part, y in (("x_train", ds.y_train), ("x_val", ds.y_val), ("x_test", ds.y_test)):
            expected = (raw.x[rows(y)] - mean) / std
            np.testing.assert_allclose(getattr(ds, part), expected, rtol=1e-5, atol=1e-5)
        # the validation and test splits were not re-centred on their own statistics
        all_mean, all_std = raw.x.mean(axis=0), raw.x.std(axis=0)
        assert not np.allclose(mean[:3], all_mean[:3])
        assert not np.allclose(std[:3], all_std[:3])

    def test_regression_targets_standardized_with_training_statistics(self):
        raw = regression_raw(100)
        ds = prepare(spec("regression"), raw, 2, 0.2, 0.2)
        assert ds.n_outputs == 1 and ds.n_features == 4
        assert ds.y_train.dtype == np.float32 and ds.x_train.dtype == np.float32
        yt = ds.y_train.astype(np.float64)
        assert abs(yt.mean()) < 1e-5 and abs(yt.std() - 1.0) < 1e-5
        train_targets = yt * ds.target_std + ds.target_mean
        steps = train_targets / 10.0
        np.testing.assert_allclose(steps, np.rint(steps), atol=1e-4)  # they are raw targets (multiples of 10)
        assert ds.target_mean == pytest.approx(train_targets.mean(), rel=1e-7)
        assert ds.target_std == pytest.approx(train_targets.std(), rel=1e-6)
        assert ds.target_mean != pytest.approx(raw.y.mean(), abs=1e-6)  # not the whole set's mean

    def test_constant_regression_target_gives_std_one(self):
        x = features(30)
        ds = prepare(spec("regression"), RawData(x, np.full(30, 4.5)), 0, 0.2, 0.2)
        assert ds.target_mean == 4.5 and ds.target_std == 1.0
        np.testing.assert_array_equal(ds.y_train, 0.0)

    def test_classification_casts_and_counts_classes(self):
        x = features(60, d=3)
        y = np.arange(60) % 3
        ds = prepare(spec("classification"), RawData(x.astype(np.float32), y.astype(np.float64)), 0, 0.2, 0.2)
        assert ds.n_outputs == 3  # inferred from the labels
        assert ds.x_train.dtype == np.float32
        assert ds.y_train.dtype == ds.y_val.dtype == ds.y_test.dtype == np.int64
        assert ds.target_mean == 0.0 and ds.target_std == 1.0
        assert ds.higher_is_better and ds.metric_name == "accuracy"
        labels = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
        assert np.bincount(labels).tolist() == [20, 20, 20]
        # the spec's n_classes wins over the labels seen
        assert prepare(spec("classification", n_classes=10), RawData(x, y), 0, 0.2, 0.2).n_outputs == 10

    def test_images_are_flattened(self):
        rng = np.random.default_rng(0)
        x = rng.random((40, 3, 5))
        ds = prepare(spec("classification", 2), RawData(x, np.arange(40) % 2), 0, 0.2, 0.2)
        assert ds.n_features == 15 and ds.x_train.shape == (24, 15) and ds.x_test.shape == (8, 15)

    def test_given_test_split_is_used_unchanged(self):
        x, y = features(80), np.arange(80) % 4
        xt, yt = features(13, seed=9), np.array([3, 2, 1, 0] * 3 + [1])
        ds = prepare(spec("classification", 4), RawData(x, y, xt, yt), 0, 0.2, 0.2)
        # train/val come from the 80 rows alone; val is 0.2 / (1 - 0.2) of them
        assert ds.sizes() == {"train": 60, "val": 20, "test": 13}
        assert ds.y_test.tolist() == yt.tolist()  # in count and in order
        # the test rows are standardized with the training statistics, not shuffled or dropped
        mean = ds.x_train.astype(np.float64).mean(axis=0)
        assert np.allclose(mean, 0.0, atol=1e-5)
        order = np.argsort(xt[:, 0])
        np.testing.assert_array_equal(np.argsort(ds.x_test[:, 0]), order)

    def test_given_test_split_does_not_depend_on_the_seed(self):
        x, y = features(80), np.arange(80) % 4
        xt, yt = features(13, seed=9), np.arange(13) % 4
        a = prepare(spec("classification", 4), RawData(x, y, xt, yt), 0, 0.2, 0.2)
        b = prepare(spec("classification", 4), RawData(x, y, xt, yt), 1, 0.2, 0.2)
        assert a.y_test.tolist() == b.y_test.tolist() == yt.tolist()
        assert not np.array_equal(a.y_train, b.y_train)


class TestPrepareRejects:
    @pytest.mark.parametrize("bad", [3, -1, 10])
    def test_labels_out_of_range(self, bad):
        y = np.arange(30) % 3
        y[7] = bad
        with pytest.raises(DataError, match="toy.*class labels must lie in 0..2"):
            prepare(spec("classification", n_classes=3), RawData(features(30), y), 0, 0.2, 0.2)

    def test_negative_label_without_n_classes(self):
        y = np.arange(30) % 3
        y[0] = -2
        with pytest.raises(DataError, match="class labels"):
            prepare(spec("classification"), RawData(features(30), y), 0, 0.2, 0.2)

    def test_labels_out_of_range_in_the_given_test_split(self):
        raw = RawData(features(30), np.arange(30) % 3, features(5), np.array([0, 1, 2, 3, 0]))
        with pytest.raises(DataError, match="class labels"):
            prepare(spec("classification", n_classes=3), raw, 0, 0.2, 0.2)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, 1.5])
    def test_labels_that_are_not_whole_numbers(self, bad):
        y = (np.arange(30) % 3).astype(np.float64)
        y[4] = bad
        with pytest.raises(DataError, match="toy.*class labels"):
            prepare(spec("classification", n_classes=3), RawData(features(30), y), 0, 0.2, 0.2)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    @pytest.mark.parametrize("where", ["x", "x_test"])
    def test_non_finite_features(self, bad, where):
        x, xt = features(40), features(6, seed=1)
        (x if where == "x" else xt)[3, 2] = bad
        raw = RawData(x, np.arange(40) % 2, xt, np.arange(6) % 2)
        with pytest.raises(DataError, match="toy.*NaN or infinite"):
            prepare(spec("classification", 2), raw, 0, 0.2, 0.2)

    def test_nan_features_without_a_given_test_split(self):
        x = features(40)
        x[39, 0] = np.nan  # wherever row 39 lands, it is caught
        for seed in range(3):
            with pytest.raises(DataError, match="NaN"):
                prepare(spec("regression"), RawData(x, np.arange(40.0)), seed, 0.2, 0.2)

    @pytest.mark.parametrize("bad", [np.nan, np.inf])
    def test_non_finite_regression_targets(self, bad):
        y = np.arange(40.0)
        y[11] = bad
        with pytest.raises(DataError, match="toy.*targets"):
            prepare(spec("regression"), RawData(features(40), y), 0, 0.2, 0.2)

    def test_length_mismatch(self):
        with pytest.raises(DataError, match=r"toy.*40 feature rows but 39 targets"):
            prepare(spec("regression"), RawData(features(40), np.arange(39.0)), 0, 0.2, 0.2)

    def test_test_split_length_mismatch(self):
        raw = RawData(features(40), np.arange(40) % 2, features(6), np.arange(5) % 2)
        with pytest.raises(DataError, match=r"6 test feature rows but 5 test targets"):
            prepare(spec("classification", 2), raw, 0, 0.2, 0.2)

    def test_test_split_without_targets(self):
        raw = RawData(features(40), np.arange(40) % 2, features(6), None)
        with pytest.raises(DataError, match="x_test without y_test"):
            prepare(spec("classification", 2), raw, 0, 0.2, 0.2)

    def test_test_split_with_other_features(self):
        raw = RawData(features(40, d=4), np.arange(40) % 2, features(6, d=3), np.arange(6) % 2)
        with pytest.raises(DataError, match="3 features.*4"):
            prepare(spec("classification", 2), raw, 0, 0.2, 0.2)

    def test_too_few_rows(self):
        with pytest.raises(DataError, match="too few rows"):
            prepare(spec("regression"), RawData(features(3), np.arange(3.0)), 0, 0.2, 0.2)


def test_cache_fixture_isolates_the_download_cache(cache):
    """Guard for the suite itself: downloads in these tests never touch the user's real cache."""
    assert gaterm.datasets.cache_dir() == cache
    assert Path(cache).name == "cache"


def test_column_targets_are_flattened_and_matrices_rejected():
    x = np.random.default_rng(0).normal(size=(50, 3))
    ds = prepare(spec("regression"), RawData(x, x[:, :1]), 0, 0.2, 0.2)
    assert ds.y_train.ndim == 1
    with pytest.raises(DataError, match="targets must be one value per row"):
        prepare(spec("regression"), RawData(x, x[:, :2]), 0, 0.2, 0.2)
