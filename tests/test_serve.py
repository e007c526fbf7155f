"""Writing with `mkdocs serve`: a changed data file shows up on the served site without a restart."""

from __future__ import annotations

import os
import shutil
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
def serving(config: Path, log: Path | None = None, project: Path = ROOT) -> Iterator[str]:
    """``mkdocs serve`` of ``project`` for a report config (its log written to ``log``, else discarded); yields the
    base URL."""
    env = {**os.environ, "REPORT_CONFIG": str(config), "NO_MKDOCS_2_WARNING": "1", "SITE_URL": SITE_URL}
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{SITE_PORT}", "-f", "mkdocs.yml"]
    with open(log or os.devnull, "w") as output:
        # From the project's folder: `python -m` puts it first on the path, so its gen/ is the one imported.
        server = subprocess.Popen(command, cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{SITE_PORT}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for_count(log: Path, wanted: str, count: int, timeout: float = 120) -> str:
    """Poll the log until ``wanted`` occurs ``count`` times; the log, or a test failure."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text()
        if text.count(wanted) >= count:
            return text
        time.sleep(0.3)
    pytest.fail(f"{wanted!r} never appeared {count} times in the serve log:\n{text[-3000:]}")


def test_changed_data_file_changes_the_page(tmp_path: Path) -> None:
    data = tmp_path / "runs.csv"
    data.write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.625\n")
    config = tmp_path / "report.yml"
    config.write_text(CONFIG)
    log = tmp_path / "serve.log"
    with serving(config, log) as base:
        wait_for(f"{base}/downloads/combined.csv", "0.625")
        wait_for(f"{base}/index.html", "0.6250")
        data.write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.875\n")
        wait_for(f"{base}/index.html", "0.8750")
        assert "0.875" in wait_for(f"{base}/downloads/combined.csv", "0.875")
        # One build at start and one for the change: the build reading the data must not count as a change
        # (gen.watch), or the server would rebuild forever.
        time.sleep(3)
        assert log.read_text().count("Building documentation") == 2, log.read_text()[-3000:]
        # The browser draws charts from their specs; the static SVG/PNG are left to `make site` (gen/hooks.py).
        assert fetch(f"{base}/charts/score-vs-params-m.vl.json") is not None
        assert fetch(f"{base}/charts/score-vs-params-m.svg") is None


def test_a_config_error_is_shown_each_time_it_comes_back(tmp_path: Path) -> None:
    (tmp_path / "runs.csv").write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.625\n")
    config = tmp_path / "report.yml"
    config.write_text(CONFIG)
    log = tmp_path / "serve.log"
    # MkDocs logs this after every failed rebuild, after the build's own error message.
    failed = "An error happened during the rebuild"
    with serving(config, log) as base:
        wait_for(f"{base}/index.html", "0.6250")
        for attempt in (1, 2):
            config.write_text(CONFIG + "bogus_key: 1\n")
            text = wait_for_count(log, failed, attempt)
            assert text.count("key 'bogus_key'") == attempt, f"attempt {attempt}:\n{text[-3000:]}"
            config.write_text(CONFIG)
            wait_for_count(log, "Reloading browsers", attempt)


def test_an_edit_to_the_generator_shows_and_stays(tmp_path: Path) -> None:
    """gen/ edited while serving: the next build uses the edit, and later data edits keep it (gen.build.main
    imports the generator again only when its code changed)."""
    project = tmp_path / "project"
    for folder in ("gen", "docs", "overrides"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "data").mkdir()  # watched (mkdocs.yml); the data read here is the report config's
    data = tmp_path / "runs.csv"
    data.write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.625\n")
    config = tmp_path / "report.yml"
    config.write_text(CONFIG)
    coverage = project / "gen" / "pages" / "coverage.py"
    with serving(config, project=project) as base:
        wait_for(f"{base}/coverage.html", "Completion by configuration")
        coverage.write_text(coverage.read_text().replace("Completion by configuration", "Edited completion"))
        wait_for(f"{base}/coverage.html", "Edited completion")
        data.write_text("variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,0.875\n")
        wait_for(f"{base}/index.html", "0.8750")
        assert "Edited completion" in (fetch(f"{base}/coverage.html") or "")
