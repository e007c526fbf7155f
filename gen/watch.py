"""`mkdocs serve`'s file watcher: the system's change notifications (inotify on Linux) instead of MkDocs' polling.

MkDocs 1.6 looks for changes by listing every watched file each 0.5 s, so an edit waits 0.25 s on average (up to
0.5 s) before its rebuild starts, and the listing costs CPU while idle. The native observer hears a write at once.
It is told only about writes: reading a file is an event too (opened, closed without writing), and the build reads
every result file, which would otherwise start the next rebuild at once, forever.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

log = logging.getLogger("mkdocs.plugins.gen")

# What changes a file; FileClosedEvent is a close after writing (an editor's save may show only as that). A folder
# moved away or deleted is one event for all its files (a folder moved in comes as one per file).
WRITES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
# MkDocs' own polling interval, used when notifications are unavailable.
POLLING_S = 0.5


# Observer is the platform's class, chosen at import time: mypy sees a variable, not a class.
class WriteObserver(Observer):  # type: ignore[misc,valid-type]
    """The platform's native observer, told only of writes; it falls back to polling when the system refuses
    the watches (more folders than fs.inotify.max_user_watches allows, say), and may be started more than once."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled: list[tuple[FileSystemEventHandler, str, bool]] = []
        self.fallback: BaseObserver | None = None

    def schedule(
        self,
        event_handler: FileSystemEventHandler,
        path: str | Path,
        *,
        recursive: bool = False,
        event_filter: list[type[FileSystemEvent]] | None = None,
        follow_symlink: bool = False,
    ) -> ObservedWatch:
        """Watch ``path`` for writes only (``event_filter`` narrows them further)."""
        self.scheduled.append((event_handler, str(path), recursive))
        if self.fallback is not None:
            return self.fallback.schedule(event_handler, path, recursive=recursive)
        writes = [kind for kind in WRITES if event_filter is None or kind in event_filter]
        watch: ObservedWatch = super().schedule(
            FolderAsFiles(event_handler), path, recursive=recursive, event_filter=writes, follow_symlink=follow_symlink
        )
        return watch

    def start(self) -> None:
        """Start watching, by notifications or else by polling; a second call does nothing."""
        if self.is_alive() or self.fallback is not None:
            return
        try:
            super().start()
        except OSError as exc:
            log.info("gen: file notifications unavailable (%s); polling for changes every %.1f s", exc, POLLING_S)
            self.unschedule_all()
            self.fallback = PollingObserver(timeout=POLLING_S)
            for handler, path, recursive in self.scheduled:
                self.fallback.schedule(handler, path, recursive=recursive)
            self.fallback.start()

    def stop(self) -> None:
        """Stop watching."""
        if self.fallback is not None:
            self.fallback.stop()
        super().stop()


class FolderAsFiles(FileSystemEventHandler):
    """Hands a folder's event on as a change of a file: MkDocs' handler ignores folder events, but a results folder
    moved out of the tree changes what the build reads."""

    def __init__(self, handler: FileSystemEventHandler) -> None:
        self.handler = handler

    def dispatch(self, event: FileSystemEvent) -> None:
        """Pass ``event`` on, a folder's as a deletion of a file at its path."""
        self.handler.dispatch(FileDeletedEvent(event.src_path) if event.is_directory else event)


def use_notifications(server: Any) -> None:
    """Give MkDocs' live-reload ``server`` a WriteObserver in place of its polling one, with the paths it already
    watches. It must run before the server starts (MkDocs' ``on_serve`` event)."""
    polling: BaseObserver = server.observer
    observer = WriteObserver()
    # MkDocs keeps its watches as path -> ObservedWatch (mkdocs 1.6.1, pinned); the handlers are its callbacks.
    refs: dict[str, ObservedWatch] = server._watch_refs
    for path, watch in list(refs.items()):
        for handler in polling._handlers.get(watch, ()):
            refs[path] = observer.schedule(handler, path, recursive=watch.is_recursive)
    polling.unschedule_all()
    server.observer = observer
