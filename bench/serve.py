"""Time `mkdocs serve` from touching a data file to the rebuilt page showing the new number (median of N).

Usage: python bench/serve.py [--runs N] [--port PORT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """
title: Serve timing
sources:
  - {type: table, path: runs.csv}
strategies:
  - {name: FFT, match: {variant: fft}}
"""


def body(url: str) -> str:
    """The page, or an empty string while the server is not answering."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return ""


def wait_for(url: str, text: str, timeout: float = 120.0) -> float:
    """Seconds until ``url`` contains ``text``; exits when it never does."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if text in body(url):
            return time.perf_counter() - start
        time.sleep(0.05)
    sys.exit(f"{url} never showed {text!r}")


def write_runs(path: Path, accuracy: float) -> None:
    path.write_text(f"variant,family,task,seed,metric,value\nfft,bert,rte,1,accuracy,{accuracy}\n")


def main() -> None:
    """Serve a one-run report, then change its accuracy N times and time each round trip."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8123)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        write_runs(data / "runs.csv", 0.5)
        (data / "report.yml").write_text(CONFIG)
        env = {**os.environ, "REPORT_CONFIG": str(data / "report.yml"), "NO_MKDOCS_2_WARNING": "1"}
        command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{args.port}"]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{args.port}/index.html"
        try:
            wait_for(url, "0.5000")
            seconds = []
            for round_number in range(1, args.runs + 1):
                accuracy = 0.5 + round_number / 100
                time.sleep(1.0)  # let the watcher settle after the previous rebuild
                write_runs(data / "runs.csv", accuracy)
                seconds.append(wait_for(url, f"{accuracy:.4f}"))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"cores: {os.cpu_count()}")
    print(
        f"touch data file -> rebuilt page: median {statistics.median(seconds):.2f} s "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f}, n={len(seconds)})"
    )


if __name__ == "__main__":
    main()
