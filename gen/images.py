"""Static chart images and the vega bundle, from vl-convert: cached by hash, rendered in worker processes.

vl-convert renders one chart at a time per process and holds the interpreter while it does, so a cold build spent
most of its chart time waiting on it. A build's missing images are rendered by a pool of fresh processes while the
build goes on writing pages. The workers are spawned, not forked (vl-convert's runtime threads do not survive a
fork), and this module imports only vl-convert and the cache, so a worker starts in about a tenth of a second.
Workers end with the build process, a killed one included (gen.cache.exit_with_parent). A spawned worker imports the
script that runs the build again: one without ``if __name__ == "__main__":`` would build again in each worker, so such
a worker ends at once (``end_a_starting_worker``), and this process renders the images itself, saying why.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import orjson
import vl_convert as vlc

from gen import cache

log = logging.getLogger("mkdocs.plugins.gen")
T = TypeVar("T")
_GRADIENT_ID = re.compile(r"gradient_\d+")
# Characters XML 1.0 does not allow in a document (tab, newline and carriage return it does).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Below this many images to render, starting worker processes costs more than it saves.
PARALLEL_MIN_IMAGES = 4
# A build has a few dozen charts: more workers than this would mostly be starting up.
MAX_WORKERS = 4


def _entry(kind: str, source: str) -> Path | None:
    """The cache entry of an image rendered from ``source`` (a spec or an SVG) by this vl-convert."""
    # "xml": SVGs are made valid XML (see render_svg); entries from before that are not read.
    key = hashlib.sha256(f"{kind} xml {metadata.version('vl-convert-python')}\n{source}".encode()).hexdigest()
    return cache.entry_path("charts", key, f".{kind}")


# Sorted keys: equal specs are equal bytes (and equal cache keys). orjson: the json module's indented output is
# written by its pure-Python encoder, a tenth of a second per build of the real data's charts.
JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY


def spec_json(spec: dict[str, Any]) -> str:
    """Canonical JSON of a spec (sorted keys, UTF-8 text; NaN, which JSON lacks, as null)."""
    return orjson.dumps(spec, option=JSON_OPTIONS).decode("utf-8")


def render_svg(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec (at its static width) as SVG, without a browser; cached by the spec's hash."""
    entry = _entry("svg", spec_json(spec))
    if (cached := cache.read_entry(entry)) is not None:
        return cached.decode("utf-8")
    svg = str(vlc.vegalite_to_svg(spec))
    # Vega numbers gradients from a counter that lives as long as the process (e.g. `mkdocs serve`), so the same
    # chart would differ between rebuilds: renumber them per SVG, in order of appearance.
    numbers: dict[str, str] = {}
    svg = _GRADIENT_ID.sub(lambda m: numbers.setdefault(m.group(0), f"gradient_{len(numbers)}"), svg)
    # Text from the data (a run named after a folder holding a terminal escape code) can carry characters XML does
    # not allow: the SVG would be no valid image (and no PNG could be made of it). Written as escapes, as in the log.
    svg = _NOT_XML.sub(lambda m: ascii(m.group(0))[1:-1], svg)
    cache.write_entry(entry, svg.encode("utf-8"))
    return svg


def render_png(svg: str) -> bytes:
    """An SVG as a 2× PNG for slides and papers (the same pixels as rendering the spec, half the time); cached by
    the SVG's hash."""
    entry = _entry("png", svg)
    if (cached := cache.read_entry(entry)) is not None:
        return cached
    png = bytes(vlc.svg_to_png(svg, scale=2))
    cache.write_entry(entry, png)
    return png


def render(spec: dict[str, Any]) -> tuple[str, bytes]:
    """A spec's SVG and PNG."""
    svg = render_svg(spec)
    return svg, render_png(svg)


def _cached(spec: dict[str, Any]) -> tuple[str, bytes] | None:
    svg = cache.read_entry(_entry("svg", spec_json(spec)))
    if svg is None:
        return None
    png = cache.read_entry(_entry("png", svg.decode("utf-8")))
    return None if png is None else (svg.decode("utf-8"), png)


def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script, served from the site itself (no CDN).

    Bundling takes over a second and depends only on the vl-convert version, so the result is cached on disk.
    """
    entry = cache.entry_path("bundle", f"vega-{metadata.version('vl-convert-python')}", ".js")
    if (cached := cache.read_entry(entry)) is not None:
        return cached.decode("utf-8")
    # None selects the default snippet (window.vegaEmbed etc.); the type stub omits that default.
    bundle = str(vlc.javascript_bundle(None))  # type: ignore[arg-type]
    cache.write_entry(entry, bundle.encode("utf-8"))
    return bundle


def end_a_starting_worker() -> None:
    """End this process if it is a worker starting up that is running a script that runs the build (one without
    ``if __name__ == "__main__":``, which every spawned worker imports again): a build here would start workers of
    its own, which fails, after all the build's work. The build that started it renders its images itself."""
    # The flag multiprocessing itself checks to refuse starting processes from such a worker.
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        os._exit(1)


class Renderer:
    """The images of specs added as a build goes, and the vega bundle, rendering from the moment they are known.

    Cached images are read at once. Once at least PARALLEL_MIN_IMAGES are missing, those and any later misses
    (and an uncached bundle) are rendered in worker processes (one per core, up to MAX_WORKERS) while the caller
    goes on; fewer are rendered in this process when asked for. Use as a context manager: leaving it stops the
    workers.
    """

    def __init__(self) -> None:
        self._specs: list[dict[str, Any]] = []
        self._images: list[tuple[str, bytes] | Future[tuple[str, bytes]] | None] = []
        self._pool: ProcessPoolExecutor | None = None
        self._bundle: Future[str] | None = None
        self._lost = False

    def add(self, specs: list[dict[str, Any]]) -> None:
        """Start on the images of more specs."""
        for spec in specs:
            self._specs.append(spec)
            self._images.append(_cached(spec))
        missing = [index for index, image in enumerate(self._images) if image is None]
        if self._pool is None and not self._lost and len(missing) >= PARALLEL_MIN_IMAGES and (os.cpu_count() or 1) > 1:
            spawn = multiprocessing.get_context("spawn")
            workers = min(os.cpu_count() or 1, MAX_WORKERS)
            self._pool = ProcessPoolExecutor(
                workers, spawn, initializer=cache.exit_with_parent, initargs=(os.getpid(),)
            )
            self._bundle = self._pool.submit(javascript_bundle)
        for index in missing:
            if self._pool is None:
                break
            try:
                self._images[index] = self._pool.submit(render, self._specs[index])
            except BrokenProcessPool:
                self._lost_workers()

    def images(self) -> Iterator[tuple[str, bytes]]:
        """Each spec's (SVG, PNG), in the order the specs were added."""
        for spec, image in zip(self._specs, self._images, strict=True):
            yield image if isinstance(image, tuple) else self._result(image, render, spec)

    def bundle(self) -> str:
        """The vega bundle (see javascript_bundle)."""
        return self._result(self._bundle, javascript_bundle)

    def _result(self, future: Future[T] | None, compute: Callable[..., T], *args: Any) -> T:
        """A worker's result, or ``compute(*args)`` here: when none was asked of a worker, or the workers are lost."""
        if future is not None:
            try:
                return future.result()
            except (BrokenProcessPool, CancelledError):  # cancelled: by _lost_workers, when its worker was lost
                self._lost_workers()
        return compute(*args)

    def _lost_workers(self) -> None:
        """A worker died (killed, or it could not start): this process renders the rest, and says why once."""
        if self._pool is None:
            return
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._lost = None, True  # none started again
        log.info(
            "gen: the chart image workers stopped; this process renders the rest (a script that runs the build "
            'without `if __name__ == "__main__":` stops them: each worker imports it again)'
        )

    def __enter__(self) -> Renderer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
