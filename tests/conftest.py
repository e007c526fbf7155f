"""Shared fixtures: paths, the ../shared material, and sites built once per test session."""

from __future__ import annotations

import atexit
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# The bundled report: the 2,941 real KD-LoRA result files copied into data/, and the paper's figures.
REAL_CONFIG = ROOT / "data" / "report.yml"
RESULTS = ROOT / "data" / "kd-lora-results" / "results"
# The paper's published figures alone, as an example report.
PUBLISHED_CONFIG = ROOT / "examples" / "published-figures.yml"
IN_CI = os.environ.get("CI") == "true"
# One build cache for the session (builds and tests share it, as a user's builds do), never the user's own.
os.environ["REPORT_CACHE"] = tempfile.mkdtemp(prefix="report-cache-")
atexit.register(shutil.rmtree, os.environ["REPORT_CACHE"], ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Material's instant navigation only takes links under the site_url's host *and port*; test sites are built for
# the port they are served on.
SITE_PORT = _free_port()
SITE_URL = f"http://127.0.0.1:{SITE_PORT}/"


def shared_path(relative: str) -> Path:
    """A path under ../shared; skipped when absent outside CI, a failure when absent in CI."""
    path = SHARED / relative
    if not path.exists():
        message = f"{path} is missing: the shared material must sit beside the checkout"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def build_site(
    out: Path, config: Path | None = None, strict: bool = True, quiet: bool = True, mkdocs_config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build`` (strict by default) for a config into ``out``; returns the finished process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": SITE_URL}
    if config is not None:
        env["REPORT_CONFIG"] = str(config)
    mkdocs_yml = mkdocs_config or ROOT / "mkdocs.yml"
    command = [sys.executable, "-m", "mkdocs", "build", "-f", str(mkdocs_yml), "-d", str(out)]
    if strict:
        command.append("--strict")
    if quiet:
        command.append("-q")
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def built(out: Path, config: Path | None = None) -> Path:
    """A site built strictly, or a test failure showing MkDocs' output."""
    result = build_site(out, config)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture(scope="session")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the bundled data/report.yml: the 2,941 real result files."""
    return built(tmp_path_factory.mktemp("bundled") / "site")


@pytest.fixture(scope="session")
def published_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the paper's published figures alone (examples/published-figures.yml)."""
    return built(tmp_path_factory.mktemp("published") / "site", PUBLISHED_CONFIG)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path, port: int = SITE_PORT) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 (by default on the port test sites are built for); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright; browser tests skip without it, except under CI=true."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
