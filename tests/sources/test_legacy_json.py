"""The legacy layout: one file, three runs, variants from the block names, settings from the top level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gen.config.sources import LegacyJsonSource
from gen.sources.base import InputError
from gen.sources.legacy_json import load_legacy_json, read_legacy
from tests.conftest import shared_path

BLOCK = {"eval_accuracy": 0.8, "eval_f1": 0.85, "eval_runtime": 1.0, "train": {"train_time": 10.0}}
SETTINGS = {"task": "mrpc", "model_family": "bert", "seed": 42, "peft": "lora", "rank": 8}


def test_real_legacy_files_give_three_runs_each() -> None:
    root = shared_path("data/kd-lora-legacy/metric")
    load = load_legacy_json(LegacyJsonSource(type="legacy-json", path=root), "2:legacy-json")
    files = list(root.rglob("*.json"))
    assert [f.outcome for f in load.files] == ["ingested"] * len(files)
    assert len(load.runs) == 3 * len(files)
    for run in load.runs:
        data = json.loads((root / run.source_file).read_text())
        assert run.fields["task"] == data["task"]
        assert run.fields.get("seed") == (str(data["seed"]) if "seed" in data else None)
        # The default layout's path fields are added: <task>_<family>/<batch>_<lr>_<wd>/<peft>_<alpha>_<dropout>_<rank>
        assert run.fields["batch"] == str(data["train_batch_size"])
        assert run.metrics["accuracy"] == data[run.key]["eval_accuracy"]
        assert run.run_id == f"2:legacy-json:{run.source_file}#{run.key}"
    variants = {(run.key, run.fields["variant"]) for run in load.runs}
    assert variants == {
        ("teacher_fft_results", "fft"),
        ("teacher_lora_results", "lora"),
        ("student_lora_results", "kd-lora"),
    }


def test_a_bad_block_names_the_block_and_field_and_the_healthy_blocks_stay() -> None:
    data = {
        **SETTINGS,
        "teacher_fft_results": BLOCK,
        "teacher_lora_results": {**BLOCK, "eval_loss": float("nan")},
        "student_lora_results": {**BLOCK, "eval_f1": "high"},
    }
    fft, lora, student = read_legacy(json.dumps(data).encode(), "x.json", {})
    assert (fft.problem, fft.metrics["accuracy"]) == ("", 0.8)
    assert lora.problem == "" and lora.non_finite == {
        "eval_loss": "field 'teacher_lora_results.eval_loss': NaN is not a finite number"
    }
    assert student.problem.startswith("field 'student_lora_results.eval_f1': expected a number")


def test_a_file_without_runs_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no run in the file"):
        read_legacy(json.dumps(SETTINGS).encode(), "x.json", {})


def test_missing_blocks_are_simply_absent() -> None:
    runs = read_legacy(json.dumps({**SETTINGS, "teacher_lora_results": BLOCK}).encode(), "x.json", {})
    assert [(r.key, r.fields["variant"], r.fields["family"]) for r in runs] == [
        ("teacher_lora_results", "lora", "bert")
    ]


def test_keys_given_twice_warn_the_runs_they_concern() -> None:
    raw = (
        b'{"task": "mrpc", "model_family": "bert", "seed": 1, "seed": 2,'
        b' "teacher_fft_results": {"eval_accuracy": 0.8, "eval_f1": 0.8, "eval_f1": 0.85},'
        b' "teacher_lora_results": {"eval_accuracy": 0.7}, "teacher_lora_results": {"eval_accuracy": 0.75}}'
    )
    fft, lora = read_legacy(raw, "x.json", {})
    seed = ("seed", "key given 2 times in one object (1, 2): the last, 2, is used")
    assert fft.warnings == (
        seed,
        ("teacher_fft_results.eval_f1", "key given 2 times in one object (0.8, 0.85): the last, 0.85, is used"),
    )
    block = "key given 2 times in one object (an object, an object): the last, an object, is used"
    assert lora.warnings == (seed, ("teacher_lora_results", block))
    assert (fft.fields["seed"], fft.metrics["f1"], lora.metrics["accuracy"]) == ("2", 0.85, 0.75)
