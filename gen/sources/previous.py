"""The runs table of a previously published version: from a file, or from mike's gh-pages branch via git."""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gen.config import ChangesConfig

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


def from_gh_pages(version: str, cwd: Path) -> Previous | None:
    """``downloads/runs.csv`` of ``version`` (a version or alias in mike's versions.json) on the gh-pages branch."""
    for branch in BRANCHES:
        listing = _git_show(f"{branch}:versions.json", cwd)
        if listing is None:
            continue
        try:
            versions = json.loads(listing)
        except ValueError:
            return None
        for entry in versions:
            if version == entry.get("version") or version in entry.get("aliases", []):
                data = _git_show(f"{branch}:{entry['version']}/downloads/runs.csv", cwd)
                if data is None:
                    return None
                return Previous(f"version {entry['version']} on {branch}", _read(data))
        return None
    return None


def _read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype={"run_id": str, "seed": str, "task": str, "family": str})


def load_previous(changes: ChangesConfig, cwd: Path) -> Previous | None:
    """The configured previous runs table, or None when there is none to compare with."""
    if changes.previous is not None:
        path = Path(changes.previous)
        return Previous(f"file {path.name}", _read(path.read_bytes())) if path.is_file() else None
    return from_gh_pages(changes.version, cwd)
