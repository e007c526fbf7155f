"""gen.watch: `mkdocs serve` hears writes from the system at once, ignores reads, and polls when it must."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.livereload import LiveReloadServer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from gen.watch import WriteObserver, use_notifications


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveReloadServer]:
    """A live-reload server (never serving) watching data/ as MkDocs does, then switched to notifications."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "metrics.json").write_text("{}")
    live = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    live.watch(str(tmp_path / "data"))
    use_notifications(live)
    yield live
    live.observer.stop()


def rebuild_wanted(server: LiveReloadServer, within: float) -> bool:
    """Whether a change reached the server within ``within`` seconds (then cleared for the next check)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not server._want_rebuild:
        time.sleep(0.005)
    wanted, server._want_rebuild = server._want_rebuild, False
    return wanted


def test_writes_are_heard_at_once_and_reads_not_at_all(server: LiveReloadServer, tmp_path: Path) -> None:
    assert isinstance(server.observer, WriteObserver)
    assert not isinstance(server.observer, PollingObserver)
    server.observer.start()
    server.observer.start()  # MkDocs starts it after on_serve: a second start is harmless
    (tmp_path / "data" / "metrics.json").read_text()
    assert not rebuild_wanted(server, within=0.6)
    # A new run: a new folder, then its file. Polling would take up to 0.5 s to list it.
    seed = tmp_path / "data" / "task" / "seed_7"
    seed.mkdir(parents=True)
    shutil.copyfile(tmp_path / "data" / "metrics.json", seed / "metrics.json")
    assert rebuild_wanted(server, within=0.2)
    (seed / "metrics.json").write_text('{"eval_accuracy": 0.5}')
    assert rebuild_wanted(server, within=0.2)
    (seed / "metrics.json").unlink()
    assert rebuild_wanted(server, within=0.2)


def test_paths_watched_after_the_switch_are_heard_too(server: LiveReloadServer, tmp_path: Path) -> None:
    config = tmp_path / "report.yml"
    config.write_text("title: a\n")
    server.watch(str(config))
    server.observer.start()
    config.write_text("title: b\n")
    assert rebuild_wanted(server, within=0.2)


def test_falls_back_to_polling_when_the_system_refuses(
    server: LiveReloadServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: BaseObserver) -> None:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(WriteObserver.__mro__[1], "on_thread_start", refuse)
    server.observer.start()
    assert isinstance(server.observer.fallback, PollingObserver)
    (tmp_path / "data" / "metrics.json").write_text('{"eval_accuracy": 0.5}')
    assert rebuild_wanted(server, within=3)


def test_a_results_folder_moved_in_or_out_is_heard(server: LiveReloadServer, tmp_path: Path) -> None:
    run = tmp_path / "elsewhere" / "task_rte_bert_1"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text("{}")
    server.observer.start()
    shutil.move(run, tmp_path / "data" / run.name)
    assert rebuild_wanted(server, within=0.2)
    # The system reports a folder moved away as one event, not one per file; watchdog holds it 0.5 s for the move's
    # other half, which never comes from outside the watched folder.
    shutil.move(tmp_path / "data" / run.name, tmp_path / "elsewhere" / "gone")
    assert rebuild_wanted(server, within=1.5)
