"""metrics.json reader: fields from path and args, final metrics, one clear reason per bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gen.config.sources import MetricsJsonSource
from gen.sources.base import InputError, curve_points
from gen.sources.metrics_json import default_path_fields, load_metrics_json, read_run

LAYOUT = "lora/task_cola_bert_42/base_32_2e-05_0.01/peft_dora_16_0.05_8/metrics.json"


def result(**overrides: object) -> dict[str, object]:
    """A small Trainer-style result like the real ones."""
    data: dict[str, object] = {
        "eval_matthews_correlation": 0.6,
        "eval_loss": 0.4,
        "eval_runtime": 1.5,
        "eval_samples_per_second": 700.0,
        "epoch": 3.0,
        "log_history": [{"loss": 0.7, "step": 10}],
        "args": {"model_family": "bert", "task": "cola", "seed": 42, "peft": "dora", "rank": 8, "lora_dropout": 0.05},
        "train": {
            "train_time": 100.0,
            "trainable_params_count": 0.3,
            "memory_allocated": [400.0, 460.5, 455.0],
            "memory_reserved": [1000.0, 900.0],
        },
        "variant": "lora",
    }
    data.update(overrides)
    return data


def encode(data: object) -> bytes:
    return json.dumps(data).encode()


def test_path_encodes_the_run_settings() -> None:
    assert default_path_fields(LAYOUT) == {
        "task": "cola",
        "family": "bert",
        "seed": "42",
        "batch": "32",
        "lr": "2e-05",
        "weight_decay": "0.01",
        "peft": "dora",
        "alpha": "16",
        "dropout": "0.05",
        "rank": "8",
    }


def test_run_fields_and_metrics() -> None:
    (run,) = read_run(encode(result()), LAYOUT)
    assert run.fields["variant"] == "lora"
    assert run.fields["family"] == "bert"
    assert run.fields["rank"] == "8"
    assert run.fields["lora_dropout"] == "0.05"
    assert run.metrics == {
        "matthews_correlation": 0.6,
        "eval_loss": 0.4,
        "eval_runtime_s": 1.5,
        "eval_samples_per_s": 700.0,
        "epochs": 3.0,
        "train_time_s": 100.0,
        "params_m": 0.3,
        "memory_allocated_mb": 460.5,
        "memory_reserved_mb": 1000.0,
    }
    assert run.run_id == LAYOUT


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b'{"eval_loss": 0.', "invalid JSON"),
        (b"[1, 2]", "top level is a JSON list"),
        (b'"text"', "top level is a JSON str"),
        (b'{"eval_loss": NaN, "args": {"task": "", "model_family": "bert"}}', "field 'task': empty"),
        (b'{"eval_loss": 0.1, "args": {"task": "cola", "model_family": " "}}', "field 'family': empty"),
        (b'{"eval_loss": 0.5, "args": {"task": "caf\xe9"}}', "not UTF-8 text: byte 0xe9 at offset 40"),
        (encode(result(eval_matthews_correlation="0.6")), "field 'eval_matthews_correlation': expected a number"),
        (encode(result(eval_loss=True)), "field 'eval_loss': expected a number"),
        (encode(result(train={"memory_allocated": []})), "field 'train.memory_allocated'"),
        (
            encode(result(train={"memory_allocated": [1.0, True]})),
            "field 'train.memory_allocated[1]': expected a number",
        ),
        (encode(result(log_history=[{"step": 1, "loss": 0.5}, {"step": True}])), "field 'log_history[1].step'"),
        (encode(result(log_history=[{"step": 1, "eval_f1": "0.5"}])), "field 'log_history[0].eval_f1'"),
        (encode(result(args=[1])), "field 'args': expected an object"),
        (encode(result(train=[1])), "field 'train': expected an object"),
    ],
)
def test_bad_files_give_one_line_reasons(data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as error:
        read_run(data, LAYOUT)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


def test_a_run_needs_a_task_and_family() -> None:
    data = result(args={"seed": 1})
    with pytest.raises(InputError, match="field 'task': missing"):
        read_run(encode(data), "x/metrics.json")


def test_every_file_is_accounted_for(tmp_path: Path) -> None:
    good = tmp_path / LAYOUT
    good.parent.mkdir(parents=True)
    good.write_bytes(encode(result()))
    broken = tmp_path / "fft/task_rte_bert_1/metrics.json"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"{not json")
    (tmp_path / "notes.txt").write_text("not a result file")
    load = load_metrics_json(MetricsJsonSource(type="metrics-json", path=tmp_path), "1:metrics-json")
    outcomes = {f.source_file: (f.outcome, f.runs) for f in load.files}
    assert outcomes == {LAYOUT: ("ingested", 1), "fft/task_rte_bert_1/metrics.json": ("rejected", 0)}
    assert [r.run_id for r in load.runs] == [LAYOUT]


def test_nan_in_the_training_log_is_a_gap_with_a_warning() -> None:
    log = [
        {"loss": 0.7, "grad_norm": float("nan"), "step": 10},
        {"loss": float("nan"), "grad_norm": 1.0, "step": 20},
        {"eval_matthews_correlation": float("inf"), "step": 20},
        {"loss": 0.5, "grad_norm": float("nan"), "step": 30},
    ]
    (run,) = read_run(encode(result(log_history=log)), LAYOUT)
    points = curve_points(run.curves)
    assert [(s, step, v) for s, step, v in points if s == "loss"] == [("loss", 10, 0.7), ("loss", 30, 0.5)]
    assert not [p for p in points if p[0] == "eval_matthews_correlation"]
    assert run.metrics["matthews_correlation"] == 0.6
    warned = dict(run.warnings)
    assert warned["log_history[].grad_norm"].startswith("NaN at 2 step(s) (10, 30)")
    assert warned["log_history[].loss"] == "NaN at 1 step(s) (20): left out of the curve (a gap)"
    assert "Infinity at 1 step(s) (20)" in warned["log_history[].eval_matthews_correlation"]


def test_nan_final_metrics_are_set_aside_with_the_field_named() -> None:
    data = result(train={"train_time": float("nan"), "memory_allocated": [1.0, float("inf"), 3.0]})
    data["eval_loss"] = float("nan")
    (run,) = read_run(encode(data), LAYOUT)
    assert run.non_finite == {
        "eval_loss": "field 'eval_loss': NaN is not a finite number",
        "train_time_s": "field 'train.train_time': NaN is not a finite number",
    }
    assert "eval_loss" not in run.metrics and "train_time_s" not in run.metrics
    assert run.metrics["memory_allocated_mb"] == 3.0
    assert ("train.memory_allocated", "1 of 3 samples not finite: peak of the others") in run.warnings


def test_a_folder_contradicting_the_file_is_a_warning_and_the_file_wins() -> None:
    path = "lora/task_rte_bert_7777/base_32_2e-05_0.01/peft_dora_16_0.05_8/metrics.json"
    data = result(args={"model_family": "bert", "task": "rte", "seed": 999, "peft": "dora", "rank": 8})
    (run,) = read_run(encode(data), path)
    assert run.fields["seed"] == "999"
    assert run.warnings == (("seed", "the folder says '7777', the file's args say '999': the file's value is used"),)


def test_an_unfilled_placeholder_in_a_folder_name_gives_no_value() -> None:
    """The real data's `peft_lora_16_{}_8` folders: the script never filled in the dropout."""
    path = "fft/task_qnli_deberta_42/base_32_2e-05_0.01/peft_lora_16_{}_8/metrics.json"
    (run,) = read_run(encode(result(args={"model_family": "deberta", "task": "qnli", "seed": 42})), path)
    assert "dropout" not in run.fields and run.fields["alpha"] == "16"
    assert run.warnings[0][0] == "dropout"
