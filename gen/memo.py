"""Incremental generation: every part of a build remembers which inputs it read, and is redone only when one of them
changed.

A build's inputs are a *base* (the generator's code and libraries, the config, the environment: a change there
redoes everything) and named *leaves*, each with a key of its current content (gen.fingerprint): ``sources`` (the
result files), ``efficiency`` (the reference table), ``published``, ``changes`` (the version compared against) and
``git`` (the commit shown). The analyses mark the leaves they read (``read``), and reading a stage marks the leaves
that stage read, so a page knows its leaves without declaring them: they are recorded as the page is computed.

- A *stage* (a Report field: gen.report) is kept in this process, for `mkdocs serve`'s next rebuild.
- A *unit* (a page with its charts, a download, the footer, the build log) is kept on disk in the build cache, as
  data (no pickle), for any later build.
- A *keyed* value (a chart's spec) is kept by a digest of its arguments instead, in this process and on disk: after
  one result file is added, the charts of other tasks are not built again although their page is.

A stage or a unit is reused only when every leaf it read still has the key it had: dependencies are found, not
declared, so a forgotten one cannot make a page stale (tests/test_incremental.py checks incremental against cold
builds). A keyed value depends on nothing but its arguments and the base.

Each unit and stage also records what computing it cost (``Cost``: its own seconds and the stages it read), so the
next build can share its stale units fairly with a forked copy (gen.forked).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from gen import cache
from gen.pages.writers import frame, unframe
from gen.sources.discovery import Found

log = logging.getLogger("mkdocs.plugins.gen")

T = TypeVar("T")

# The leaves read by the computations in progress, innermost last.
_reading: list[set[str]] = []
# Stages of earlier generations in this process (`mkdocs serve`): (base, stage) -> (leaf keys, value). Only the
# newest value per stage is kept. gen.build keeps this across its reloads of the gen modules.
STAGES: dict[tuple[str, str], tuple[dict[str, str], Any]] = {}
# Start of a unit's bytes in the cache; a change of layout changes it.
_UNIT = b"gen-unit/1\n"
# Keyed values of this process (`mkdocs serve`), by key; cleared when it grows past KEPT (a few builds' worth).
KEYED: dict[str, Any] = {}
KEPT = 2048
# The inputs of the build in progress, for keyed values computed deep inside it (gen.charts); None outside a build.
ACTIVE: Memo | None = None


@dataclass
class Cost:
    """What computing a unit or a stage took: its own seconds (not those of the stages it computed on the way) and
    the stages it read."""

    seconds: float = 0.0
    stages: set[str] = field(default_factory=set)
    nested: float = field(default=0.0, compare=False, repr=False)  # seconds of the stages computed within it

    def to_json(self) -> list[Any]:
        """As kept in the build cache."""
        return [round(self.seconds, 4), sorted(self.stages)]

    @classmethod
    def from_json(cls, value: object) -> Cost | None:
        """A cost from ``to_json``; None when ``value`` is not one (an older entry)."""
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], float | int)):
            return None
        if not (isinstance(value[1], list) and all(isinstance(name, str) for name in value[1])):
            return None
        return cls(float(value[0]), set(value[1]))


# The costs of the computations in progress, innermost last.
_costing: list[Cost] = []


@contextlib.contextmanager
def _measured() -> Iterator[Cost]:
    cost = Cost()
    _costing.append(cost)
    start = time.perf_counter()
    try:
        yield cost
    finally:
        elapsed = time.perf_counter() - start
        _costing.pop()
        cost.seconds = max(0.0, elapsed - cost.nested)
        if _costing:
            _costing[-1].nested += elapsed


def digest(*values: Any) -> str:
    """A digest of values: frames by their columns, dtypes, index and cells (pandas' row hashes), containers item by
    item, anything else by its repr (dataclasses and the like: deterministic)."""
    found = hashlib.sha256()
    for value in values:
        _feed(found, value)
    return found.hexdigest()[:32]


def _feed(found: Any, value: Any) -> None:
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        found.update(f"F{list(frame.columns)!r}{[str(t) for t in frame.dtypes]!r}{len(frame)}".encode())
        try:
            found.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        except TypeError:  # cells pandas cannot hash (lists, dicts): by their text instead
            found.update(repr(frame.to_dict("split")).encode())
    elif isinstance(value, list | tuple):
        found.update(f"L{len(value)}".encode())
        for item in value:
            _feed(found, item)
    elif isinstance(value, dict):
        found.update(f"D{len(value)}".encode())
        for key, item in value.items():
            _feed(found, key)
            _feed(found, item)
    else:
        found.update(f"R{value!r}".encode())


def read(*leaves: str) -> None:
    """Note that the computations in progress read these leaves."""
    for reading in _reading:
        reading.update(leaves)


@contextlib.contextmanager
def _recording() -> Iterator[set[str]]:
    reading: set[str] = set()
    _reading.append(reading)
    try:
        yield reading
    finally:
        _reading.pop()


@dataclass
class Memo:
    """The inputs of one build: its base and its leaves' keys; ``enabled`` is False when the cache is off."""

    base: str = ""
    leaves: dict[str, str] = field(default_factory=dict)
    enabled: bool = False
    # The trees walked for the fingerprint, by root: reading them selects from these (gen.sources.discovery).
    walks: dict[str, list[Found]] = field(default_factory=dict, repr=False, compare=False)
    # Units found current by ``stale`` (header and payload), kept for their ``unit`` call.
    _peeked: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict, repr=False, compare=False)
    # What the units ``stale`` found stale cost when last computed, where their entry says.
    unit_costs: dict[str, Cost] = field(default_factory=dict, repr=False, compare=False)
    # What the stages computed in this process cost.
    stage_costs: dict[str, Cost] = field(default_factory=dict, repr=False, compare=False)

    def _current(self, recorded: object) -> bool:
        return isinstance(recorded, dict) and all(self.leaves.get(leaf) == key for leaf, key in recorded.items())

    def _keys(self, read_leaves: set[str]) -> dict[str, str]:
        return {leaf: self.leaves.get(leaf, "") for leaf in sorted(read_leaves)}

    def stage(self, name: str, compute: Callable[[], T]) -> tuple[dict[str, str], T]:
        """A stage's leaf keys and value: kept from an earlier generation of this process when still current."""
        if self.held(name):
            return STAGES[(self.base, name)]
        with _recording() as reading, _measured() as cost:
            value = compute()
        self.stage_costs[name] = cost
        done = (self._keys(reading), value)
        if self.enabled:
            for key in [k for k in STAGES if k[1] == name]:
                del STAGES[key]
            STAGES[(self.base, name)] = done
        return done

    def held(self, name: str) -> bool:
        """True when the stage ``name`` is kept from an earlier generation of this process with its leaves unchanged."""
        held = STAGES.get((self.base, name)) if self.enabled else None
        return held is not None and self._current(held[0])

    def unit(
        self,
        name: str,
        compute: Callable[[], T],
        encode: Callable[[T], tuple[dict[str, Any], bytes]],
        decode: Callable[[dict[str, Any], bytes], T],
    ) -> T:
        """A unit's value: from the build cache when every leaf it read is unchanged, else computed and stored.

        ``encode`` gives a JSON-able header and bytes; ``decode`` takes them back (ValueError when they do not fit).
        """
        kept = self._kept(name)
        if kept is not None:
            header, payload = kept
            try:
                read(*header["leaves"])
                return decode(header.get("value", {}), payload)
            except (ValueError, KeyError, TypeError) as exc:  # another layout, or damaged: compute it again
                log.info("gen: cached %s is unusable (%s); computing it again", name, exc)
        with _recording() as reading, _measured() as cost:
            value = compute()
        read(*reading)
        if self.enabled:
            start = time.perf_counter()
            header, payload = encode(value)
            cost.seconds += time.perf_counter() - start  # a unit's cost to share includes handing it over
            entry = self._unit_entry(name)
            recorded = {"leaves": self._keys(reading), "value": header, "cost": cost.to_json()}
            cache.write_entry(entry, frame(_UNIT, recorded, payload))
        return value

    def _unit_entry(self, name: str, suffix: str = ".unit") -> Path | None:
        return cache.entry_path("units", hashlib.sha256(f"{self.base}\n{name}".encode()).hexdigest()[:32], suffix)

    def _entry(self, name: str, quiet: bool = False) -> tuple[dict[str, Any], bytes] | None:
        """The header and payload of the unit kept in the build cache, current or not; an unusable entry is logged
        unless ``quiet`` (``stale`` only counts, ``unit`` reads it again and says so)."""
        body = cache.read_entry(self._unit_entry(name)) if self.enabled else None
        if body is None:
            return None
        try:
            return unframe(_UNIT, body)
        except ValueError as exc:  # another layout, or damaged: computed again
            if not quiet:
                log.info("gen: cached %s is unusable (%s); computing it again", name, exc)
            return None

    def _kept(self, name: str) -> tuple[dict[str, Any], bytes] | None:
        """The header and payload of the unit kept in the build cache, when every leaf it read is unchanged."""
        if (peeked := self._peeked.pop(name, None)) is not None:
            return peeked
        entry = self._entry(name)
        return entry if entry is not None and self._current(entry[0].get("leaves")) else None

    def stale(self, names: list[str]) -> list[str]:
        """The units among ``names`` that a build must compute: none kept, or kept from other inputs (each current one
        is kept in memory for its ``unit`` call, each stale one's last cost in ``unit_costs``)."""
        if not self.enabled:
            return list(names)
        found = []
        for name in names:
            entry = self._entry(name, quiet=True)
            if entry is not None and self._current(entry[0].get("leaves")):
                self._peeked[name] = entry
                continue
            found.append(name)
            if entry is not None and (cost := Cost.from_json(entry[0].get("cost"))) is not None:
                self.unit_costs[name] = cost
        return found

    def earlier_stage_costs(self) -> dict[str, Cost]:
        """What each stage cost when last computed (by any build with this base), as far as known."""
        body = cache.read_entry(self._unit_entry("stage costs", ".json")) if self.enabled else None
        try:
            kept = orjson.loads(body) if body is not None else {}
        except orjson.JSONDecodeError:
            return {}
        costs = {name: Cost.from_json(value) for name, value in kept.items()} if isinstance(kept, dict) else {}
        return {name: cost for name, cost in costs.items() if cost is not None}

    def keep_stage_costs(self) -> None:
        """Add what the stages computed in this process cost to those kept in the build cache."""
        if not (self.enabled and self.stage_costs):
            return
        costs = self.earlier_stage_costs() | self.stage_costs
        body = orjson.dumps({name: cost.to_json() for name, cost in sorted(costs.items())})
        cache.write_entry(self._unit_entry("stage costs", ".json"), body)

    def keyed(
        self,
        key: str,
        compute: Callable[[], T],
        encode: Callable[[T], bytes],
        decode: Callable[[bytes], T],
    ) -> T:
        """A value that depends only on ``key`` (a digest of its arguments) and the base: kept in this process and in
        the build cache; ``decode`` raises ValueError on bytes it cannot read."""
        if not self.enabled:
            return compute()
        key = hashlib.sha256(f"{self.base}\n{key}".encode()).hexdigest()[:32]
        # Kept as bytes, decoded on each use: no caller can change what the next one gets.
        body = KEYED.get(key)
        entry = cache.entry_path("keyed", key, ".bin")
        if body is None:
            body = cache.read_entry(entry)
        if body is not None:
            try:
                value = decode(body)
            except ValueError as exc:
                log.info("gen: cached value %s is unusable (%s); computing it again", entry, exc)
            else:
                KEYED[key] = body
                return value
        value = compute()
        body = encode(value)
        cache.write_entry(entry, body)
        if len(KEYED) >= KEPT:
            KEYED.clear()
        KEYED[key] = body
        return value


class stage(Generic[T]):
    """A Report field computed on first use, once per report, and kept across generations while its leaves are
    unchanged (``Memo.stage``); every use marks the leaves it read."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, report: Any, owner: type | None = None) -> T:
        if report is None:
            return self  # type: ignore[return-value]
        if _costing:
            _costing[-1].stages.add(self.name)
        done = report._stages.get(self.name)
        if done is None:
            done = report.memo.stage(self.name, lambda: self.compute(report))
            report._stages[self.name] = done
        read(*done[0])
        return done[1]  # type: ignore[no-any-return]
