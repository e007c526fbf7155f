"""The older KD-LoRA layout: one JSON per configuration, settings at the top, three runs inside."""

from __future__ import annotations

import dataclasses

from gen.config.sources import LegacyJsonSource, path_regex
from gen.sources.base import InputError, RunRecord, SourceLoad, as_field, parse_json_object
from gen.sources.files import fields_from_path, load_files
from gen.sources.metrics_json import require_identity, settings, trainer_run

# Each result block is one run; its variant follows from the key.
RUN_KEYS = {"teacher_fft_results": "fft", "teacher_lora_results": "lora", "student_lora_results": "kd-lora"}
_BLOCK_PREFIXES = tuple(f"{key}." for key in RUN_KEYS)
# <task>_<family>/<batch>_<lr>_<weight_decay>/<peft>_<alpha>_<dropout>_<rank>.json
DEFAULT_PATTERN = "{task}_{family}/{batch}_{lr}_{weight_decay}/{peft}_{alpha}_{dropout}_{rank}.json"


def read_legacy(data: bytes, relative: str, path_fields: dict[str, str]) -> list[RunRecord]:
    """The runs of one legacy file, each keyed by its block name.

    A block that cannot be read becomes a run carrying its ``problem``: the file's healthy blocks still count.
    """
    parsed = parse_json_object(data)
    top = parsed.data
    shared = path_fields | settings({k: v for k, v in top.items() if k not in RUN_KEYS})
    # Keys given twice outside the blocks: settings every run shares, or a block given twice (that run's alone).
    outside = [(name, why) for name, why in parsed.duplicate_keys if not name.startswith(_BLOCK_PREFIXES)]
    runs = []
    for key, variant in RUN_KEYS.items():
        if key not in top:
            continue
        fields = shared | {"variant": as_field(variant)}
        try:
            result = top[key]
            if not isinstance(result, dict):
                raise InputError(f"field '{key}': expected an object, got {type(result).__name__}")
            require_identity(fields)
            run = trainer_run(result, relative, key, fields, parsed, prefix=f"{key}.")
            repeats = tuple((name, why) for name, why in outside if name not in RUN_KEYS or name == key)
            runs.append(dataclasses.replace(run, warnings=(*repeats, *run.warnings)) if repeats else run)
        except InputError as exc:
            runs.append(RunRecord("", relative, key, fields, {}, problem=str(exc)))
    if not runs:
        raise InputError(f"no run in the file (expected one of {', '.join(RUN_KEYS)})")
    return runs


def load_legacy_json(source: LegacyJsonSource, label: str) -> SourceLoad:
    """Every legacy file under ``source.path``.

    Without a declared ``path_pattern`` the default layout's path fields are added where the path fits it; the
    settings at the top of each file identify the runs either way.
    """
    return load_files(source, label, read_legacy_file)


_DEFAULT_PATH = path_regex(DEFAULT_PATTERN)


def read_legacy_file(data: bytes, relative: str, path_fields: dict[str, str] | None) -> list[RunRecord]:
    """``read_legacy`` with the default layout's path fields when the source declares no ``path_pattern``."""
    if path_fields is None:
        path_fields = fields_from_path(relative, _DEFAULT_PATH) or {}
    return read_legacy(data, relative, path_fields)
