"""What every source reader produces: run records and one outcome per file."""

from __future__ import annotations

import json
import math
import re
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import orjson

Outcome = Literal["ingested", "rejected", "ignored"]
# Per series (e.g. "loss", "eval_accuracy"): its (step, value) pairs as packed float64, in log order.
Curves = tuple[tuple[str, bytes], ...]


_NUMBER_TYPES = {int, float}


def all_numbers(values: list[Any]) -> bool:
    """Whether every value is a finite int or float (not a bool), checked without a Python call per value."""
    try:
        return set(map(type, values)) <= _NUMBER_TYPES and all(map(math.isfinite, values))
    except OverflowError:  # an integer too large for a float
        return False


def interleave(steps: list[float], values: list[float]) -> bytes:
    """Steps and values of one series as packed float64 (step, value) pairs."""
    flat = steps + values
    flat[0::2] = steps
    flat[1::2] = values
    return array("d", flat).tobytes()


def curve_points(curves: Curves) -> list[tuple[str, float, float]]:
    """The (series, step, value) points of packed curves."""
    points = []
    for name, packed in curves:
        flat = array("d", packed)
        points += [(name, flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    return points


class InputError(Exception):
    """A result file that cannot be used; the message is the one-line reason shown to the user."""

    def __init__(self, reason: str) -> None:
        # Reasons quote data (field names, values): keep them on one line whatever the data holds.
        super().__init__(reason.replace("\n", " ").replace("\r", " "))


@dataclass(frozen=True)
class RunRecord:
    """One run as read from a file: its fields (settings, as strings) and final metrics."""

    source: str
    source_file: str
    key: str
    fields: dict[str, str]
    metrics: dict[str, float]
    # File modification time (ns): only used to pick the latest of duplicate runs.
    modified_ns: int = 0
    # Training curves, packed at ingest (see interleave): a few hundred bytes per run instead of a Python
    # object per logged point, which is what lets 300k runs fit in memory.
    curves: Curves = ()
    # Final metrics the file gives as NaN/Infinity: metric -> the reason naming the field. Whether that rejects
    # the run depends on whether a score or a cost needs the metric (gen.runs decides, knowing the config).
    non_finite: dict[str, str] = field(default_factory=dict)
    # (field, reason) of what was read but is odd, without costing the run: shown on Data quality.
    warnings: tuple[tuple[str, str], ...] = ()
    # Why this run (one block of a multi-run file) cannot be used; the file's other runs still can.
    problem: str = ""

    @property
    def run_id(self) -> str:
        """Stable identity: the file (relative to its source root) plus the run's key inside it.

        Runs of the second and later sources carry their source label, so equal paths in two sources differ.
        """
        prefix = "" if self.source.startswith("1:") or not self.source else f"{self.source}:"
        return prefix + (f"{self.source_file}#{self.key}" if self.key else self.source_file)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file."""

    source: str
    source_file: str
    outcome: Outcome
    runs: int = 0
    reason: str = ""


@dataclass
class SourceLoad:
    """Runs read plus the outcome of every file found."""

    runs: list[RunRecord] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)

    @classmethod
    def concat(cls, loads: list[SourceLoad]) -> SourceLoad:
        """Join the loads of several sources."""
        return cls(
            runs=[run for load in loads for run in load.runs],
            files=[f for load in loads for f in load.files],
        )


def as_number(value: object, name: str) -> float:
    """A finite real number, or InputError naming the field."""
    if isinstance(value, NonFinite):
        raise InputError(f"field {name!r}: {value.token} is not a finite number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"field {name!r}: expected a number, got {type(value).__name__} {value!r:.40}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"field {name!r}: {value!r:.40} is not a finite number")
    return number


def as_field(value: object) -> str:
    """A setting as the string rules compare against (``8.0`` and ``8`` are the same setting)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class NonFinite(float):
    """A ``NaN``/``Infinity`` token of a JSON file, as the float it stands for, remembering how it was written."""

    token: str

    def __new__(cls, token: str) -> NonFinite:
        number = super().__new__(cls, token)
        number.token = token
        return number


def non_finite_paths(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, token) of every NaN/Infinity in a parsed object, in document order."""
    if isinstance(value, NonFinite):
        return [(path, value.token)]
    if isinstance(value, dict):
        children = [(f"{path}.{key}" if path else str(key), child) for key, child in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{index}]", child) for index, child in enumerate(value)]
    else:
        return []
    return [found for child_path, child in children for found in non_finite_paths(child, child_path)]


@dataclass(frozen=True)
class ParsedJson:
    """A JSON object read from a file, whether it held NaN/Infinity (as ``NonFinite`` floats), and (field path,
    reason) of every key given twice in one object (the last value is the one read)."""

    data: dict[str, Any]
    has_non_finite: bool = False
    duplicate_keys: tuple[tuple[str, str], ...] = ()


def parse_json_object(data: bytes) -> ParsedJson:
    """Bytes of a JSON file as an object, or InputError with a one-line reason.

    Real Trainer logs write ``NaN`` and ``Infinity`` (a loss or grad norm at one step under fp16): not JSON, but
    not a broken file either. They are read as ``NonFinite`` floats, and the readers decide what each one costs.
    A key given twice in one object is read as its last value (as every JSON parser here does) and named in
    ``duplicate_keys``: the file says two things and only one is used.
    """
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # Only a file orjson refuses is looked at closer (it checks UTF-8 itself): the reason, or NaN/Infinity, which
        # orjson rejects like any syntax error and the stdlib parser reads, noting repeated keys as it goes.
        if not data.strip():
            raise InputError("empty file") from None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise InputError(f"not UTF-8 text: byte 0x{data[bad.start]:02x} at offset {bad.start}") from None
        duplicates: Repeats = {}
        try:
            parsed = json.loads(data, parse_constant=NonFinite, object_pairs_hook=_noting_repeats(duplicates))
        except (ValueError, RecursionError):
            raise InputError(f"invalid JSON: {exc}") from None
        if _SURROGATE_ESCAPE.search(data) and _has_lone_surrogate(parsed):
            # Half of a UTF-16 pair is no character: no text could hold it (the parse cache, pages, CSV).
            raise InputError(f"invalid JSON: {exc}") from None
        _check_object(parsed)
        return ParsedJson(parsed, True, _repeats_named(parsed, duplicates))
    _check_object(parsed)
    # Every key is a string followed by a colon, so a file has at least as many colons as keys; a key given twice
    # drops a pair (its colon with it) from the parsed object. Counting colons in the file and in the object
    # written back (orjson, fast) finds repeats without a Python walk of the object. A colon escaped inside a
    # string (\u003a) is not counted in the file, so a file holding such an escape takes the slow path (looked for
    # only when the file has a backslash at all, which is found at memchr speed; most files have none).
    escaped = b"\\" in data and b"\\u003" in data
    if not escaped and _colons(data) == _colons(orjson.dumps(parsed)):
        return ParsedJson(parsed)
    duplicates = {}
    try:
        repeated = json.loads(data, object_pairs_hook=_noting_repeats(duplicates))
    except (ValueError, RecursionError):  # nested deeper than the stdlib parser goes: repeats not named
        return ParsedJson(parsed)
    return ParsedJson(parsed, False, _repeats_named(repeated, duplicates))


def _colons(data: bytes) -> int:
    # numpy compares a whole file at once, a few times faster than bytes.count (a byte-by-byte loop).
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == ord(":")))


def _check_object(parsed: object) -> None:
    if not isinstance(parsed, dict):
        raise InputError(f"top level is a JSON {type(parsed).__name__}, expected an object")


def _nodes(parsed: object) -> Iterator[tuple[str, Any]]:
    """(field path, value) of every value in a parsed object, in document order; iterative, as a file may nest a
    thousand levels."""
    stack: list[tuple[str, Any]] = [("", parsed)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend(reversed([(f"{path}.{key}" if path else key, child) for key, child in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{index}]", child) for index, child in enumerate(value)]))


# A \uD800-\uDFFF escape: one half of a UTF-16 surrogate pair, which the stdlib parser lets through alone.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(parsed: object) -> bool:
    for path, value in _nodes(parsed):
        for text in (path, value) if isinstance(value, str) else (path,):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


# Objects with a repeated key, by id: the object (kept, so its id is not reused by another while parsing goes on)
# and each repeated key with every value it was given.
Repeats = dict[int, tuple[dict[str, Any], list[tuple[str, list[Any]]]]]


def _noting_repeats(found: Repeats) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An ``object_pairs_hook`` that builds each object as ``dict`` does (the last value of a key wins) and notes
    in ``found`` every key given more than once, with all its values."""

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) < len(pairs):
            values: dict[str, list[Any]] = {}
            for key, value in pairs:
                values.setdefault(key, []).append(value)
            found[id(built)] = (built, [(key, given) for key, given in values.items() if len(given) > 1])
        return built

    return build


def _repeats_named(parsed: object, found: Repeats) -> tuple[tuple[str, str], ...]:
    """(field path, reason) of each repeated key noted by ``_noting_repeats`` while parsing ``parsed``; an object
    that a repeat dropped (the earlier value of a key) is not in ``parsed`` and not named."""
    if not found:
        return ()
    named = []
    for path, value in _nodes(parsed):
        noted = found.get(id(value))
        for key, given in noted[1] if noted is not None and noted[0] is value else []:
            shown, last = ", ".join(_shown_value(v) for v in given), _shown_value(given[-1])
            reason = f"key given {len(given)} times in one object ({shown:.120}): the last, {last}, is used"
            named.append((f"{path}.{key}" if path else key, reason))
    return tuple(named)


def _shown_value(value: object) -> str:
    """A value as a warning quotes it: scalars as JSON, objects and lists by kind."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, NonFinite):
        return value.token
    return json.dumps(value)[:40]


def encode_runs(runs: list[RunRecord]) -> bytes:
    """The runs read from one file as bytes, for the parse cache and for worker processes to hand back: the length
    of a compact JSON part (4 bytes, little-endian), that part, then the packed curves one after another.

    Curves stay packed, each named in the JSON part by its length: as hex inside the JSON, they were most of its
    bytes and parsing them cost more than the rest of a run.
    """
    curves = [packed for run in runs for _, packed in run.curves]
    described = orjson.dumps(
        [
            [
                run.key,
                run.fields,
                run.metrics,
                [[s, len(p)] for s, p in run.curves],
                run.non_finite,
                run.warnings,
                run.problem,
            ]
            for run in runs
        ]
    )
    return b"".join([len(described).to_bytes(4, "little"), described, *curves])


def decode_runs(payload: bytes, source: str, source_file: str, modified_ns: int) -> list[RunRecord]:
    """The runs of ``encode_runs`` again, read from ``source_file`` of ``source``, modified at ``modified_ns``.

    Field names and values repeat across runs (tasks, families, settings): interned, each is stored once however
    many runs carry it.
    """
    end = 4 + int.from_bytes(payload[:4], "little")
    records = []
    for key, fields, metrics, curves, non_finite, warnings, problem in orjson.loads(memoryview(payload)[4:end]):
        packed = []
        for name, length in curves:
            packed.append((sys.intern(name), payload[end : end + length]))
            end += length
        records.append(
            RunRecord(
                source,
                source_file,
                key,
                # zip and map run in C, without a comprehension's Python step per field.
                dict(zip(map(sys.intern, fields), map(sys.intern, fields.values()), strict=True)),
                dict(zip(map(sys.intern, metrics), metrics.values(), strict=True)),
                modified_ns,
                curves=tuple(packed),
                non_finite=non_finite,
                warnings=tuple((name, reason) for name, reason in warnings),
                problem=problem,
            )
        )
    return records
