"""Writing with `mkdocs serve`: a changed data file shows up on the served site without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, SITE_PORT, SITE_URL

CONFIG = """
title: Serve test
sources:
  - {type: table, path: runs.csv}
strategies:
  - {name: FFT, match: {variant: fft}}
"""


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return None


def wait_for(url: str, wanted: str, timeout: float = 120) -> str:
    """Poll ``url`` until its body contains ``wanted``; the body, or a test failure."""
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        body = fetch(url)
        if body is not None and wanted in body:
            return body
        time.sleep(0.3)
    pytest.fail(f"{url} never contained {wanted!r}; last body: {body!r:.300}")


@contextmanager
def serving(config: Path) -> Iterator[str]:
    env = {**os.environ, "REPORT_CONFIG": str(config), "NO_MKDOCS_2_WARNING": "1", "SITE_URL": SITE_URL}
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{SITE_PORT}", "-f", str(ROOT / "mkdocs.yml")]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield f"http://127.0.0.1:{SITE_PORT}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_changed_data_file_changes_the_page(tmp_path: Path) -> None:
    data = tmp_path / "runs.csv"
    data.write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.625\n")
    config = tmp_path / "report.yml"
    config.write_text(CONFIG)
    with serving(config) as base:
        wait_for(f"{base}/downloads/combined.csv", "0.625")
        wait_for(f"{base}/index.html", "0.6250")
        data.write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.875\n")
        wait_for(f"{base}/index.html", "0.8750")
        assert "0.875" in wait_for(f"{base}/downloads/combined.csv", "0.875")
