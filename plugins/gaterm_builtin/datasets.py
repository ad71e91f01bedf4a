"""Built-in data sets: digits (scikit-learn's shipped copy), MNIST (IDX), Wine Quality and Boston (UCI)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from gaterm.plugin import DataError, DatasetSpec, DataSource, LoadContext, RawData, hookimpl

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/"

SOURCES: dict[str, DataSource] = {
    "mnist-train-images": DataSource(
        "mnist", "train-images-idx3-ubyte.gz", MNIST_URL + "train-images-idx3-ubyte.gz",
        "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
    ),
    "mnist-train-labels": DataSource(
        "mnist", "train-labels-idx1-ubyte.gz", MNIST_URL + "train-labels-idx1-ubyte.gz",
        "md5:d53e105ee54ea40749a09fcbcd1e9432",
    ),
    "mnist-test-images": DataSource(
        "mnist", "t10k-images-idx3-ubyte.gz", MNIST_URL + "t10k-images-idx3-ubyte.gz",
        "md5:9fb629c4189551a2d022fa330f9573f3",
    ),
    "mnist-test-labels": DataSource(
        "mnist", "t10k-labels-idx1-ubyte.gz", MNIST_URL + "t10k-labels-idx1-ubyte.gz",
        "md5:ec29112dd5afa0611ce80d1b7f02629c",
    ),
    "wine-red": DataSource(
        "wine-quality", "winequality-red.csv", UCI_URL + "wine-quality/winequality-red.csv",
        "sha256:4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
    ),
    "wine-white": DataSource(
        "wine-quality", "winequality-white.csv", UCI_URL + "wine-quality/winequality-white.csv",
        "sha256:76c3f809815c17c07212622f776311faeb31e87610d52c26d87d6e361b169836",
    ),
    "boston": DataSource(
        "boston", "housing.data", UCI_URL + "housing/housing.data",
        "sha256:baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a",
    ),
}

WINE_COLUMNS = (
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides", "free sulfur dioxide",
    "total sulfur dioxide", "density", "pH", "sulphates", "alcohol", "quality",
)


# ----- parsers (pure functions of a path, tested on tiny generated files) -----
def read_idx(path: Path, expect_dims: int) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes (LeCun's MNIST format)."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable gzip file ({exc})") from None
    if len(data) < 4 + 4 * expect_dims:
        raise DataError(f"{path}: too short to be an IDX file")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08 or ndim != expect_dims:
        raise DataError(
            f"{path}: not an IDX file of {expect_dims}-dimensional unsigned bytes "
            f"(magic {data[:4].hex()}, expected 0000080{expect_dims})"
        )
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: header promises {dims} values but the file holds {body.size}")
    return body.reshape(dims)


def read_mnist_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(images, 3)
    y = read_idx(labels, 1)
    if len(x) != len(y):
        raise DataError(f"{images} holds {len(x)} images but {labels} holds {len(y)} labels")
    if y.size and y.max() > 9:
        raise DataError(f"{labels}: labels must be digits 0-9, found {int(y.max())}")
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


def read_wine_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """UCI Wine Quality: `;`-separated, quoted header, 11 features then `quality`."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep=";")
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"{path}: cannot parse as a ';'-separated CSV ({type(exc).__name__}: {exc})") from None
    cols = tuple(c.strip().strip('"') for c in df.columns)
    if cols != WINE_COLUMNS:
        raise DataError(f"{path}: not a UCI wine-quality file (header {list(cols)[:3]}..., "
                        f"expected {WINE_COLUMNS[:3]}...)")
    values = df.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    if len(values) == 0 or np.isnan(values).any():
        bad = int(np.argwhere(np.isnan(values))[0][0]) + 2 if len(values) else 1
        raise DataError(f"{path}: line {bad} has a missing or non-numeric value")
    return values[:, :-1], values[:, -1]


def read_boston(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """UCI/StatLib housing.data: whitespace-separated, no header, 13 features and MEDV last."""
    rows = []
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read as text ({exc})") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 14:
            raise DataError(f"{path}: line {lineno} has {len(parts)} fields, expected 14 (13 features and MEDV)")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise DataError(f"{path}: line {lineno} has a non-numeric value") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    a = np.asarray(rows)
    return a[:, :-1], a[:, -1]


# ----- loaders -----
def load_digits(ctx: LoadContext) -> RawData:
    from sklearn.datasets import load_digits as sk_load_digits

    d = sk_load_digits()
    return RawData(d.data.astype(np.float32), d.target.astype(np.int64))


def load_mnist(ctx: LoadContext) -> RawData:
    x, y = read_mnist_pair(ctx.path(SOURCES["mnist-train-images"]), ctx.path(SOURCES["mnist-train-labels"]))
    xt, yt = read_mnist_pair(ctx.path(SOURCES["mnist-test-images"]), ctx.path(SOURCES["mnist-test-labels"]))
    return RawData(x, y, xt, yt)


def load_mnist_10k(ctx: LoadContext) -> RawData:
    x, y = read_mnist_pair(ctx.path(SOURCES["mnist-test-images"]), ctx.path(SOURCES["mnist-test-labels"]))
    return RawData(x, y)


def load_wine_red(ctx: LoadContext) -> RawData:
    return RawData(*read_wine_csv(ctx.path(SOURCES["wine-red"])))


def load_wine_white(ctx: LoadContext) -> RawData:
    return RawData(*read_wine_csv(ctx.path(SOURCES["wine-white"])))


def load_boston(ctx: LoadContext) -> RawData:
    return RawData(*read_boston(ctx.path(SOURCES["boston"])))


@hookimpl
def gaterm_register_datasets(register) -> None:
    register.add(DatasetSpec(
        "digits", "classification", "8x8 handwritten digits shipped with scikit-learn (1,797 images, offline)",
        load_digits, n_classes=10, target_name="digit", scaling="range", value_range=(0, 16)))
    register.add(DatasetSpec(
        "mnist", "classification", "MNIST 28x28 digits, LeCun IDX files: 60k train (train/val) + official 10k test",
        load_mnist, n_classes=10, target_name="digit", scaling="range", value_range=(0, 1)))
    register.add(DatasetSpec(
        "mnist-10k", "classification", "MNIST's 10k test files only, split into train/val/test by the seed",
        load_mnist_10k, n_classes=10, target_name="digit", scaling="range", value_range=(0, 1)))
    register.add(DatasetSpec(
        "wine-quality", "regression", "UCI Wine Quality, red wine (1,599 rows): regress the 0-10 quality score",
        load_wine_red, target_name="quality"))
    register.add(DatasetSpec(
        "wine-quality-white", "regression", "UCI Wine Quality, white wine (4,898 rows): regress quality",
        load_wine_white, target_name="quality"))
    register.add(DatasetSpec(
        "boston", "regression", "UCI Boston housing (506 rows), MEDV in $1000s; its B variable encodes a "
        "racially problematic assumption, kept only to repeat the study", load_boston, target_name="MEDV"))
