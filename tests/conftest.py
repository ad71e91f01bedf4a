"""Shared fixtures: the real data beside the project, a local file server, a private download cache."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings

from gaterm.config import STUDY_PROTOCOL, GAConfig, GeneStore, RunConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_ENV = "GATERM_TEST_DATA"

# Property tests draw the same examples on every run (CI must not fail by luck); run with
# HYPOTHESIS_PROFILE=explore to draw new ones.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def shared_data_path() -> Path:
    """Where the real data sets live: $GATERM_TEST_DATA, else ../shared/data from the repository root."""
    env = os.environ.get(TEST_DATA_ENV)
    return Path(env).expanduser() if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data directory (mnist/, wine-quality/, boston/); skips the test if it is missing."""
    path = shared_data_path()
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set ${TEST_DATA_ENV} to point at it)")
    return path


@dataclass
class FileServer:
    """A local HTTP server standing in for a data host: files under `root` are served at `url`."""

    root: Path
    url: str  # ends with "/"
    requests: list[str] = field(default_factory=list)  # paths of GET requests, in order

    def add(self, name: str, content: bytes) -> str:
        """Serve `content` as `name`; returns its URL."""
        (self.root / name).write_bytes(content)
        return self.url + name

    def hits(self, name: str) -> int:
        return sum(1 for p in self.requests if p.lstrip("/") == name)


_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def file_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> FileServer:
    """A ThreadingHTTPServer on 127.0.0.1 (random port) serving a fresh tmp directory; stopped afterwards."""
    root = tmp_path / "served"
    root.mkdir()
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            seen.append(self.path)
            super().do_GET()

        def log_message(self, format, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="gaterm-test-http", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    request.addfinalizer(stop)
    # requests must reach 127.0.0.1 directly, never through a proxy from the environment
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    host, port = server.server_address[:2]
    return FileServer(root, f"http://{host}:{port}/", seen)


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point gaterm's download cache at a tmp directory, so no test reads or writes the user's cache."""
    import gaterm.datasets

    path = tmp_path / "cache"
    monkeypatch.setattr(gaterm.datasets, "cache_dir", lambda: path)
    return path


# ----- engine fixtures -----
def tiny_config(**ga) -> RunConfig:
    """A run small enough for a test: 4 individuals, 2 survivors, 3 generations, tiny nets, few epochs; on the
    study's protocol (generational, no pruning) unless a test asks for more, so each test states what it uses."""
    cfg = RunConfig(dataset="digits", seed=0)
    study = {k: v for k, v in STUDY_PROTOCOL["ga"].items() if k in ("schedule", "dedupe", "crossover_depth", "init")}
    cfg.ga = GAConfig(**{**study, "population": 4, "survivors": 2, "generations": 3, "mutation_prob": 0.2, **ga})
    cfg.training.prune = False
    cfg.training.max_epochs = 3
    cfg.training.patience = 2
    cfg.genes = GeneStore(
        optimizer=["adam", "rmsprop"],
        learning_rate=[0.005, 0.01],
        batch_size=[64, 128],
        layers=[1],
        neurons=[8, 16, 32],
        activation=["relu", "tanh"],
    )
    return cfg


@pytest.fixture(scope="session")
def plugin_set():
    from gaterm.plugins import load_plugins

    return load_plugins()


@pytest.fixture(scope="session")
def digits(plugin_set):
    """scikit-learn's digits, split and standardized as a run sees them (seed 0)."""
    from gaterm.session import open_dataset

    return open_dataset(plugin_set, plugin_set.dataset("digits"), tiny_config(), None)


# ----- markers: `pytest -m "not slow"` checks in a few minutes; CI runs everything -----
# Modules whose tests start whole gaterm processes (kills, signals, locks, a real full disk, the browser UI)
SUBPROCESS_MODULES = {"test_headless_cli", "test_resume", "test_sigterm", "test_serve", "test_your_data",
                      "test_tracking_mlflow", "test_disk_full", "test_lock", "test_launch"}
# Modules whose tests each take seconds: the subprocess ones, real UI runs, Dask clusters, every merge strategy
SLOW_MODULES = SUBPROCESS_MODULES | {"test_app", "test_listeners_in_tui", "test_snapshots", "test_dask_lost",
                                     "test_merge_strategies", "test_async", "test_backends"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.path.stem
        if module in SUBPROCESS_MODULES:
            item.add_marker(pytest.mark.subprocess)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
