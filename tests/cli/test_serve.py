"""`gaterm serve`: the UI over HTTP with textual-serve, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from gaterm.cli import main
from gaterm.cli.serve import build_serve_parser, exposure_warning


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_with_the_app_page_on_localhost():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gaterm", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        page, deadline = None, time.monotonic() + 60
        while page is None and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"gaterm serve exited: {proc.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert page is not None, "no answer within 60 s"
        assert "<div>gaterm</div>" in page  # textual-serve's page for the app titled gaterm
        assert "textual.js" in page and f"127.0.0.1:{port}/ws" in page  # the terminal connects back here
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.stderr is not None and b"warning" not in proc.stderr.read()  # loopback: no warning


def test_serve_binds_localhost_by_default_and_warns_once_for_other_hosts():
    args, rest = build_serve_parser().parse_known_args(["--dataset", "wine-quality"])
    assert args.host == "127.0.0.1" and args.port == 8000 and rest == ["--dataset", "wine-quality"]
    assert exposure_warning("127.0.0.1", 8000) is None and exposure_warning("localhost", 1) is None
    warning = exposure_warning("0.0.0.0", 8000)
    assert warning is not None and "\n" not in warning
    assert "anyone who can reach this port" in warning
    assert "read and write files as this user" in warning


def test_serve_checks_the_uis_flags_before_serving(capsys):
    assert main(["serve", "--no-ui"]) == 2
    assert main(["serve", "--population", "zero"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "drop --no-ui" in err[0] and "--population" in err[1]
