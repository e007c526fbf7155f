"""What every part of the report config shares: its errors and the strict base of its models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReportError(Exception):
    """A problem that stops the build; the message says what to fix."""


def printable(line: str) -> str:
    """A message with the control characters that names from data may hold (newlines, terminal escape codes)
    written as escapes, so a file name cannot forge log lines or restyle the terminal."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in line)


class ConfigError(ReportError):
    """A config problem a user must fix; the message names file, key and fix."""


class Strict(BaseModel):
    """A config model: unknown keys are errors, and a loaded config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
