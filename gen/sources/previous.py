"""The runs table of a previously published version: from a file, or from mike's gh-pages branch via git."""

from __future__ import annotations

import io
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from mike.versions import Versions

from gen.config import ChangesConfig
from gen.fingerprint import MIKE_VERSION

BRANCHES = ("gh-pages", "origin/gh-pages")


@dataclass(frozen=True)
class Previous:
    """A previous version's runs and where they came from."""

    label: str
    runs: pd.DataFrame


def _git_show(spec: str, cwd: Path) -> bytes | None:
    try:
        done = subprocess.run(["git", "show", spec], cwd=cwd, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _older(versions: Versions, building: str) -> list[str]:
    """The versions mike lists after ``building`` (older ones), with ``building`` placed where mike will put it."""
    # As `mike deploy --update-aliases` adds it (mike has already checked the name by the time it builds).
    versions.add(building, update_aliases=True)
    order = [str(info.version) for info in versions]
    return order[order.index(building) + 1 :]


def from_gh_pages(version: str, cwd: Path, building: str | None = None) -> Previous | None:
    """``downloads/runs.csv`` of ``version`` (a version or alias in mike's versions.json) on the gh-pages branch.

    While mike builds version ``building``, only versions mike orders before it count (never ``building`` itself,
    as when a version is deployed again, nor a newer ``latest`` when an old version is): ``version`` when it is one
    of those, else the newest of them.
    """
    for branch in BRANCHES:
        listing = _git_show(f"{branch}:versions.json", cwd)
        if listing is None:
            continue
        try:
            versions = Versions.loads(listing)
        except (ValueError, KeyError, TypeError):
            return None
        found = versions.find(version)
        chosen = found[0] if found else None
        if building is not None:
            older = _older(versions, building)
            chosen = chosen if chosen in older else next(iter(older), None)
        if chosen is None:
            return None
        data = _git_show(f"{branch}:{chosen}/downloads/runs.csv", cwd)
        return Previous(f"version {chosen} on {branch}", _read(data)) if data is not None else None
    return None


def _read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype={"run_id": str, "seed": str, "task": str, "family": str})


def load_previous(changes: ChangesConfig, cwd: Path) -> Previous | None:
    """The configured previous runs table, or None when there is none to compare with."""
    if changes.previous is not None:
        path = Path(changes.previous)
        return Previous(f"file {path.name}", _read(path.read_bytes())) if path.is_file() else None
    return from_gh_pages(changes.version, cwd, os.environ.get(MIKE_VERSION) or None)
