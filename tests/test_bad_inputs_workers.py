"""A killed build leaves no process behind: neither the forked parse workers nor the spawned chart-image workers
(issue 12). The build runs in a session of its own, so whatever it started is found by session id even after its
parent is gone."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REAL_CONFIG, ROOT
from tests.helpers import processes

# A worker that should die with the build gets this long to go (SIGKILL is delivered at once; this is slack for a
# loaded machine, not a performance bound).
GRACE_S = 30


def in_session(session: int) -> dict[int, str]:
    """Processes of a session that have not ended (a zombie has ended; only its exit status is left)."""
    return {pid: p.command for pid, p in processes().items() if p.session == session and p.state != "Z"}


def is_worker(command: str, build_command: str, phase: str) -> bool:
    """Whether a process of the build is a worker of ``phase``: forked ones run the build's own command line."""
    if phase == "fork":
        return command == build_command
    return "multiprocessing.spawn" in command


@pytest.mark.parametrize("phase", ["fork", "spawn"])
@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_build_leaves_no_worker_behind(tmp_path: Path, phase: str, kill: signal.Signals) -> None:
    env = {
        **os.environ,
        "REPORT_CONFIG": str(REAL_CONFIG),
        # An empty cache: every file is parsed (in forked workers) and every chart rendered (in spawned ones).
        "REPORT_CACHE": str(tmp_path / "cache"),
        "NO_MKDOCS_2_WARNING": "1",
    }
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "site")]
    log = (tmp_path / "build.log").open("w")
    build = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            running = in_session(build.pid)
            build_command = running.get(build.pid)
            assert build_command is not None, f"the build ended before its {phase} workers were seen"
            workers = [pid for pid, cmd in running.items() if pid != build.pid and is_worker(cmd, build_command, phase)]
            if workers:
                break
            assert time.monotonic() < deadline, f"no {phase} worker seen: {running}"
            time.sleep(0.02)
        os.kill(build.pid, kill)
        build.wait(timeout=GRACE_S)
        deadline = time.monotonic() + GRACE_S
        while (left := in_session(build.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == {}, f"killed during the {phase} phase, the build left {left}"
    finally:
        # Whatever the outcome, nothing of this test outlives it.
        for pid in in_session(build.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        build.wait(timeout=GRACE_S)
        log.close()
