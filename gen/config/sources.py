"""The sources a report config declares: where result files are and how to read them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from gen.config.base import Strict

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def path_regex(pattern: str) -> re.Pattern[str]:
    """A ``path_pattern`` such as ``{variant}/task_{task}_{family}_{seed}/**/metrics.json`` as a regex.

    ``{name}`` captures one path segment's worth of text (no ``/``), ``*`` any text within a segment and ``**/``
    any number of folders.
    """
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\}|\*\*/|\*)", pattern)
    regex = []
    for part in parts:
        if found := _PLACEHOLDER.fullmatch(part):
            regex.append(f"(?P<{found[1]}>[^/]+?)")
        elif part == "**/":
            regex.append("(?:.*/)?")
        elif part == "*":
            regex.append("[^/]*")
        else:
            regex.append(re.escape(part))
    return re.compile("^" + "".join(regex) + "$")


class _FileSource(Strict):
    path: Path
    # Glob patterns on the path relative to `path`; matching files are counted as ignored.
    exclude: list[str] = []
    # Named fields encoded in the relative path; None = the default KD-LoRA layout.
    path_pattern: str | None = None
    max_file_mb: float = Field(default=50.0, gt=0)

    @field_validator("path_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                path_regex(value)
            except re.error as exc:
                raise ValueError(f"not a valid path pattern ({exc}); use {{field}} placeholders, * and **/") from None
        return value


class MetricsJsonSource(_FileSource):
    """Hugging Face Trainer-style ``metrics.json`` files, one run per file, at any depth under ``path``."""

    type: Literal["metrics-json"]
    pattern: str = "metrics.json"


class LegacyJsonSource(_FileSource):
    """The older layout: one JSON per configuration holding a teacher FFT, teacher LoRA and student run."""

    type: Literal["legacy-json"]
    pattern: str = "*.json"


class _ConstantFieldsSource(_FileSource):
    # Fields every run of the source gets, for what neither the files nor their paths say (e.g. {peft: lora}).
    fields: dict[str, str | int | float | bool] = {}

    def model_post_init(self, context: object, /) -> None:
        # Run after validation; pydantic reports a ValueError raised here as a validation error of this source.
        captured = set(_PLACEHOLDER.findall(self.path_pattern or ""))
        if both := sorted(captured & set(self.fields)):
            raise ValueError(f"field(s) {', '.join(both)} given both by path_pattern and by fields; keep one")


class HfTrainerSource(_ConstantFieldsSource):
    """Hugging Face Trainer output folders (what ``run_glue.py`` and most fine-tuning scripts write): a run is a
    folder holding ``all_results.json`` or ``eval_results.json``, with ``train_results.json`` and
    ``trainer_state.json`` beside it; ``path_pattern`` is matched against the result file's path."""

    type: Literal["hf-trainer"]


class LmEvalSource(_ConstantFieldsSource):
    """lm-evaluation-harness results files (0.4 format), at any depth under ``path``: one run per task and filter."""

    type: Literal["lm-eval"]
    pattern: str = "results*.json"


class TableSource(Strict):
    """A tidy CSV or JSONL table: one row per run and metric (columns ``task``, ``metric``, ``value``)."""

    type: Literal["table"]
    path: Path
    # Our column name -> the table's, where they differ (e.g. {task: Task, value: Score}).
    columns: dict[str, str] = {}


Source = Annotated[
    MetricsJsonSource | LegacyJsonSource | HfTrainerSource | LmEvalSource | TableSource, Field(discriminator="type")
]
