"""The parse cache of a file-tree source: each file's outcome, keyed by its path, size and modification time.

One Parquet table per source (keyed by the source's settings and the reader code); a file whose size or mtime
changed, or that is new, is parsed again and only it; a deleted file drops out at the next save. The parses a
process read or saved stay in its memory for its next build (`mkdocs serve`'s rebuilds), with the runs decoded from
them, while the table on disk is the one they came from: reading the table back cost a rebuild 70 ms for the 2,941
real files.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gen import cache
from gen.config.sources import HfTrainerSource, LegacyJsonSource, LmEvalSource, MetricsJsonSource
from gen.sources.base import RunRecord, decode_runs

log = logging.getLogger("mkdocs.plugins.gen")

_SCHEMA = pa.schema(
    [
        ("relative", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("outcome", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.large_binary()),
    ]
)
# Rows per Parquet row group: memory while reading or writing the cache stays a batch, not the whole table.
_BATCH_ROWS = 10_000
# Decoded runs of a build, by (source label, file): with the parse they were decoded from.
Decoded = dict[tuple[str, str], tuple["Parsed", list[RunRecord]]]


@dataclass
class _Kept:
    """Parses kept in this process: the entry file's (inode, size, mtime) when they were read or saved, the parses,
    and the runs the last build decoded from them."""

    stamp: tuple[int, int, int]
    parses: dict[str, Parsed]
    size: int  # bytes of the parses' payloads
    runs: Decoded = field(default_factory=dict)


# By entry, least recently used first; kept while the payloads of all of them total at most KEEP_BYTES (the runs
# decoded from them take about as much again): past that, memory matters more than reading them back.
_KEPT: dict[Path, _Kept] = {}
KEEP_BYTES = 128_000_000
# The readers' code: a change to any of them makes earlier parses stale.
_READER_FILES = [
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted((Path(__file__).parents[1] / "config").glob("*.py")),
]


class Parsed(NamedTuple):
    """The outcome of parsing one file: its runs encoded (``payload``), or the reason it was rejected. A named tuple:
    a worker's parses come back pickled, and the build process unpickles one in a quarter of a frozen dataclass's
    time (3,000 files: 8 ms, not 31); a parse cache of 300,000 files makes one per file."""

    stamp: tuple[int, int]  # (size, mtime_ns) when parsed
    outcome: str  # ingested | rejected
    payload: bytes = b""
    reason: str = ""
    cacheable: bool = True


class ParseCache:
    """Earlier parses of one source's files, and where to save the current ones."""

    def __init__(self, entry: Path | None, known: dict[str, Parsed], decoded: Decoded | None = None) -> None:
        self.entry = entry
        self.known = known
        self.decoded = decoded or {}
        self.decoding: Decoded = {}

    @classmethod
    def open(
        cls,
        source: MetricsJsonSource | LegacyJsonSource | HfTrainerSource | LmEvalSource,
        read: Callable[..., object],
    ) -> ParseCache:
        """The cache of this source as read by ``read``; empty when off, absent or corrupt (then it is rebuilt)."""
        version = cache.code_version(*_READER_FILES, packages=("orjson", "pyarrow"))
        identity = f"{version}\n{read.__module__}.{read.__qualname__}\n{source.model_dump_json()}"
        entry = cache.entry_path("parsed", hashlib.sha256(identity.encode()).hexdigest()[:32], ".parquet")
        if entry is None:
            return cls(None, {})
        kept = _KEPT.pop(entry, None)
        if kept is not None and kept.stamp == _stamp(entry):
            _KEPT[entry] = kept  # now the most recently used
            return cls(entry, kept.parses, kept.runs)
        body = cache.read_entry(entry)
        if body is None:
            return cls(entry, {})
        known: dict[str, Parsed] = {}
        try:
            # Batch by batch: the Python copies replace the Arrow ones as they are made, never both whole.
            for batch in pq.ParquetFile(io.BytesIO(body)).iter_batches(batch_size=_BATCH_ROWS):
                # Column by column: a dict per row first cost twice as much.
                columns = [batch.column(name).to_pylist() for name in _SCHEMA.names]
                for relative, size, mtime_ns, outcome, reason, payload in zip(*columns, strict=True):
                    known[relative] = Parsed((size, mtime_ns), outcome, payload, reason)
        except (pa.ArrowException, OSError, KeyError, TypeError, ValueError) as exc:
            # Info, not a warning: a strict build fails on warnings, and this only costs reading the files again.
            log.info("gen: parse cache %s is unreadable (%s); re-reading every file", entry, exc)
            return cls(entry, {})
        _keep(entry, known)
        return cls(entry, known)

    def get(self, relative: str, stamp: tuple[int, int]) -> Parsed | None:
        """The earlier parse of a file, if it has not changed since."""
        hit = self.known.get(relative)
        return hit if hit is not None and hit.stamp == stamp else None

    def save(self, parsed: dict[str, Parsed]) -> None:
        """Store exactly the files of this build (new and changed ones in, deleted ones out); no write when equal."""
        current = {name: result for name, result in parsed.items() if result.cacheable}
        if self.entry is None or current == self.known:
            return
        names = sorted(current)
        buffer = io.BytesIO()
        with pq.ParquetWriter(buffer, _SCHEMA, compression="zstd") as writer:
            for start in range(0, len(names), _BATCH_ROWS):
                batch = names[start : start + _BATCH_ROWS]
                writer.write_table(
                    pa.table(
                        {
                            "relative": batch,
                            "size": [current[n].stamp[0] for n in batch],
                            "mtime_ns": [current[n].stamp[1] for n in batch],
                            "outcome": [current[n].outcome for n in batch],
                            "reason": [current[n].reason for n in batch],
                            "payload": _binary([current[n].payload for n in batch]),
                        },
                        schema=_SCHEMA,
                    )
                )
        cache.write_entry(self.entry, buffer.getvalue())
        _keep(self.entry, current)

    def close(self) -> None:
        """Let go of the earlier parses (the build keeps only its own from here; those kept in memory for the next
        build stay there)."""
        self.known = {}

    def runs(self, parsed: Parsed, label: str, name: str) -> list[RunRecord]:
        """The runs of file ``name`` of source ``label`` from its parse: those an earlier build of this process
        decoded when it is the same parse (at 30,000 files, decoding them took 0.4 s of every serve rebuild)."""
        earlier = self.decoded.get((label, name))
        if earlier is not None and earlier[0] is parsed:
            runs = earlier[1]
        else:
            runs = decode_runs(parsed.payload, label, name, parsed.stamp[1])
        if self.entry is not None:  # held until keep_runs, which keeps them only beside parses kept in memory
            self.decoding[(label, name)] = (parsed, runs)
        return runs

    def keep_runs(self) -> None:
        """Keep this build's decoded runs beside its parses, when those are kept."""
        if self.entry is not None and (kept := _KEPT.get(self.entry)) is not None:
            kept.runs = self.decoding
        self.decoded, self.decoding = {}, {}


def _binary(values: list[bytes]) -> pa.LargeBinaryArray:
    """``values`` as one Arrow column, laid out from their joined bytes and offsets: converting each bytes object
    took 300k payloads 2.3 s, this takes 0.4 s."""
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)), out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    return pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(values), buffers)


def _stamp(entry: Path) -> tuple[int, int, int] | None:
    """The entry file's (inode, size, mtime): another write (a concurrent build's, a damaged entry) changes it."""
    try:
        info = os.stat(entry)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _keep(entry: Path, parses: dict[str, Parsed]) -> None:
    """Keep ``parses`` as the content of ``entry`` for this process's next build, dropping the least recently used
    entries (a source whose settings changed left its old one) while all of them are over KEEP_BYTES."""
    _KEPT.pop(entry, None)
    stamp = _stamp(entry)
    if stamp is None:
        return
    _KEPT[entry] = _Kept(stamp, parses, size=sum(len(parsed.payload) for parsed in parses.values()))
    while _KEPT and sum(kept.size for kept in _KEPT.values()) > KEEP_BYTES:
        del _KEPT[next(iter(_KEPT))]
