"""hf-trainer source: Hugging Face Trainer output folders (run_glue.py) read as runs, every file accounted for,
bad inputs rejected with a reason."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from gen.config import StrategyRule, load_config
from gen.config.base import ConfigError
from gen.config.sources import HfTrainerSource
from gen.runs import Runs, build_runs
from gen.sources.base import SourceLoad, curve_points
from gen.sources.hf_trainer import PICKLE_REASON, load_hf_trainer, read_trainer_file
from tests.helpers import config

PATTERN = "{variant}/{family}/{task}/seed{seed}/all_results.json"
RUN = "lora/bert/rte/seed42"

# What run_glue.py writes, key for key (Trainer.save_metrics("train") and ("eval"), merged into all_results.json).
TRAIN = {
    "epoch": 3.0,
    "total_flos": 1.5e15,
    "train_loss": 0.52,
    "train_runtime": 120.5,
    "train_samples": 2490,
    "train_samples_per_second": 62.0,
    "train_steps_per_second": 7.8,
}
EVAL = {
    "epoch": 3.0,
    "eval_accuracy": 0.70,
    "eval_loss": 0.61,
    "eval_runtime": 1.25,
    "eval_samples": 277,
    "eval_samples_per_second": 221.6,
    "eval_steps_per_second": 28.0,
}


class Marker:
    """A pickle that, when loaded, creates the file ``path``: loading one runs code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data, indent=4))
    return path


def run_folder(root: Path, relative: str = RUN, **files: object) -> Path:
    """A run_glue output folder: all_results.json (TRAIN | EVAL), eval_results.json, train_results.json, plus
    ``files`` (name with dots written as ``__``; None leaves a file out)."""
    folder = root / relative
    contents: dict[str, object] = {
        "all_results.json": TRAIN | EVAL,
        "eval_results.json": EVAL,
        "train_results.json": TRAIN,
    }
    contents |= {name.replace("__", "."): data for name, data in files.items()}
    for name, data in contents.items():
        if data is not None:
            write(folder / name, data)
    return folder


def source(root: Path, **settings: object) -> HfTrainerSource:
    settings.setdefault("path_pattern", PATTERN)
    return HfTrainerSource(type="hf-trainer", path=root, **settings)  # type: ignore[arg-type]


def outcomes(load: SourceLoad) -> dict[str, tuple[str, int, str]]:
    return {f.source_file: (f.outcome, f.runs, f.reason) for f in load.files}


def built(load: SourceLoad) -> Runs:
    cfg = config().model_copy(update={"strategies": [StrategyRule(name="LoRA", match={"variant": "lora"})]})
    return build_runs(load.runs, load.files, cfg)


def read(data: dict[str, object], task: str, name: str = "all_results.json") -> dict[str, float]:
    (run,) = read_trainer_file(json.dumps(data).encode(), f"x/{name}", {"task": task, "family": "bert"})
    return run.metrics


def test_mnli_keys_take_the_names_the_pipeline_uses() -> None:
    mnli = TRAIN | {
        "eval_accuracy": 0.84,
        "eval_accuracy_mm": 0.845,
        "eval_loss": 0.45,
        "eval_loss_mm": 0.44,
        "eval_runtime": 20.5,
        "eval_runtime_mm": 21.0,
        "epoch_mm": 3.0,
    }
    assert read(mnli, "mnli") == {
        "matched_accuracy": 0.84,
        "mismatched_accuracy": 0.845,
        "eval_loss": 0.45,
        "mismatched_eval_loss": 0.44,
        "eval_runtime_s": 20.5,
        "mismatched_eval_runtime_s": 21.0,
        "epochs": 3.0,
        "mismatched_epochs": 3.0,
        "total_flos": 1.5e15,
        "train_loss": 0.52,
        "train_time_s": 120.5,
        "train_samples": 2490.0,
        "train_samples_per_s": 62.0,
        "train_steps_per_s": 7.8,
    }


def test_other_tasks_keep_accuracy_and_rename_correlations() -> None:
    assert read({"eval_accuracy": 0.7, "eval_accuracy_mm": 0.1}, "rte") == {"accuracy": 0.7, "accuracy_mm": 0.1}
    stsb = {"eval_pearson": 0.88, "eval_spearmanr": 0.87, "eval_combined_score": 0.875}
    assert read(stsb, "stsb") == {"pearson": 0.88, "spearman": 0.87, "combined_score": 0.875}
    cola = {"eval_matthews_correlation": 0.55, "eval_samples_per_second": 900.0, "eval_steps_per_second": 30.0}
    assert read(cola, "cola") == {"matthews_correlation": 0.55, "eval_samples_per_s": 900.0, "eval_steps_per_s": 30.0}
    mrpc = {"eval_accuracy": 0.85, "eval_f1": 0.89}
    assert read(mrpc, "mrpc") == {"accuracy": 0.85, "f1": 0.89}


def test_a_run_folder_is_one_run_with_fields_from_its_path_and_the_constants(tmp_path: Path) -> None:
    run_folder(tmp_path)
    load = load_hf_trainer(source(tmp_path, fields={"peft": "lora", "rank": 8, "lora_alpha": 16.0}), "1:hf-trainer")
    (run,) = load.runs
    assert run.source_file == f"{RUN}/all_results.json"
    assert run.fields == {
        "variant": "lora",
        "family": "bert",
        "task": "rte",
        "seed": "42",
        "peft": "lora",
        "rank": "8",
        "lora_alpha": "16",
    }
    assert run.metrics["accuracy"] == 0.70
    assert run.metrics["train_time_s"] == 120.5
    assert run.warnings == ()


def test_the_path_pattern_fits_a_folder_with_only_eval_results(tmp_path: Path) -> None:
    # The pattern names all_results.json; the folder has eval_results.json: the folder's path is what matters.
    run_folder(tmp_path, **{"all_results.json": None})
    (run,) = load_hf_trainer(source(tmp_path), "1:hf-trainer").runs
    assert run.source_file == f"{RUN}/eval_results.json"
    assert run.fields["task"] == "rte"
    # train_results.json gives what eval_results.json lacks.
    assert run.metrics["train_time_s"] == 120.5
    assert run.metrics["accuracy"] == 0.70


def test_every_file_found_is_accounted_for_and_pickles_are_never_loaded(tmp_path: Path) -> None:
    root = tmp_path / "out"
    marker = tmp_path / "unpickled"
    evil = pickle.dumps(Marker(marker))
    state = {"global_step": 30, "log_history": [{"loss": 0.7, "step": 10}, {"eval_accuracy": 0.6, "step": 10}]}
    run_folder(
        root,
        trainer_state__json=state,
        training_args__bin=evil,
        config__json={"architectures": ["BertForSequenceClassification"]},
        model__safetensors=b"\x00" * 64,
        **{"checkpoint-10/trainer_state.json": state, "checkpoint-10/optimizer.pt": evil},
    )
    write(root / "notes.md", "# runs\n")
    write(root / "stray/training_args.bin", evil)
    load = load_hf_trainer(source(root), "1:hf-trainer")
    run = f"{RUN}/all_results.json"
    part = f"part of the run of {run}"
    not_run = "no all_results.json or eval_results.json in its folder: not part of a run"
    not_read = (
        "not read: a run's results are all_results.json, eval_results.json, train_results.json, trainer_state.json"
    )
    assert outcomes(load) == {
        run: ("ingested", 1, ""),
        f"{RUN}/eval_results.json": (
            "ignored",
            0,
            "all_results.json of the same folder is read instead (it holds the eval metrics too)",
        ),
        f"{RUN}/train_results.json": ("ingested", 0, part),
        f"{RUN}/trainer_state.json": ("ingested", 0, part),
        f"{RUN}/training_args.bin": ("ignored", 0, PICKLE_REASON),
        f"{RUN}/config.json": ("ignored", 0, not_read),
        f"{RUN}/model.safetensors": ("ignored", 0, not_read),
        f"{RUN}/checkpoint-10/trainer_state.json": ("ignored", 0, not_run),
        f"{RUN}/checkpoint-10/optimizer.pt": ("ignored", 0, PICKLE_REASON),
        "notes.md": ("ignored", 0, not_run),
        "stray/training_args.bin": ("ignored", 0, PICKLE_REASON),
    }
    assert len(load.files) == sum(1 for path in root.rglob("*") if path.is_file())
    assert not marker.exists()
    # The pickles are real: loading one would have run its code.
    pickle.loads(evil)
    assert marker.exists()


def test_training_curves_come_from_trainer_state_with_nan_steps_as_gaps(tmp_path: Path) -> None:
    history = (
        '[{"loss": 0.7, "step": 10}, {"eval_accuracy": 0.6, "eval_loss": 0.65, "step": 10}, '
        '{"loss": NaN, "step": 20}, {"eval_accuracy": 0.68, "eval_loss": 0.6, "step": 20}, '
        '{"train_runtime": 120.5, "train_loss": 0.52, "step": 20}]'
    )
    run_folder(tmp_path, trainer_state__json='{"global_step": 20, "log_history": ' + history + "}")
    (run,) = load_hf_trainer(source(tmp_path), "1:hf-trainer").runs
    assert sorted(curve_points(run.curves)) == [
        ("eval_accuracy", 10.0, 0.6),
        ("eval_accuracy", 20.0, 0.68),
        ("eval_loss", 10.0, 0.65),
        ("eval_loss", 20.0, 0.6),
        ("loss", 10.0, 0.7),
    ]
    assert run.warnings == (
        ("trainer_state.json:log_history[].loss", "NaN at 1 step(s) (20): left out of the curve (a gap)"),
    )


def test_a_companion_that_disagrees_with_the_result_file_is_a_warning(tmp_path: Path) -> None:
    run_folder(tmp_path, train_results__json=TRAIN | {"train_runtime": 99.0})
    (run,) = load_hf_trainer(source(tmp_path), "1:hf-trainer").runs
    assert run.metrics["train_time_s"] == 120.5
    assert run.warnings == (
        (
            "train_results.json:train_time_s",
            "train_results.json says 99, all_results.json says 120.5: all_results.json's value is used",
        ),
    )


def test_a_broken_companion_is_rejected_and_the_run_kept_with_a_warning(tmp_path: Path) -> None:
    run_folder(tmp_path, trainer_state__json='{"log_history": [{"loss": 0.7, "st')
    load = load_hf_trainer(source(tmp_path), "1:hf-trainer")
    outcome, runs, reason = outcomes(load)[f"{RUN}/trainer_state.json"]
    assert (outcome, runs) == ("rejected", 0)
    assert reason.startswith("invalid JSON: ")
    (run,) = load.runs
    assert run.curves == ()
    assert run.warnings == (("trainer_state.json", f"rejected ({reason}): the run has no training log"),)
    assert built(load).table["run_id"].nunique() == 1


BAD_RESULTS = [
    ('{"eval_accuracy": 0.7, ', "invalid JSON: "),
    ("", "empty file"),
    ("[0.7]", "top level is a JSON list, expected an object"),
    ('{"eval_accuracy": "0.7"}', "field 'eval_accuracy': expected a number, got str '0.7'"),
    ('{"eval_accuracy": 0.7, "train_runtime": [1, 2]}', "field 'train_runtime': expected a number, got list [1, 2]"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_RESULTS)
def test_a_bad_result_file_is_rejected_and_its_folder_still_accounted_for(
    tmp_path: Path, text: str, reason: str
) -> None:
    run_folder(tmp_path, all_results__json=text, trainer_state__json={"log_history": []})
    load = load_hf_trainer(source(tmp_path), "1:hf-trainer")
    assert load.runs == []
    found = outcomes(load)
    outcome, runs, why = found.pop(f"{RUN}/all_results.json")
    assert (outcome, runs) == ("rejected", 0)
    assert why.startswith(reason)
    unused = f"not used: {RUN}/all_results.json is rejected"
    assert found == {
        f"{RUN}/eval_results.json": (
            "ignored",
            0,
            "all_results.json of the same folder is read instead (it holds the eval metrics too)",
        ),
        f"{RUN}/train_results.json": ("ignored", 0, unused),
        f"{RUN}/trainer_state.json": ("ignored", 0, unused),
    }


def test_nan_rejects_the_run_only_where_a_score_needs_it(tmp_path: Path) -> None:
    run_folder(tmp_path, all_results__json='{"eval_accuracy": NaN, "eval_loss": Infinity, "train_runtime": 120.5}')
    run_folder(tmp_path, "lora/bert/rte/seed7", all_results__json='{"eval_accuracy": 0.7, "eval_loss": NaN}')
    runs = built(load_hf_trainer(source(tmp_path), "1:hf-trainer"))
    assert runs.rejected_runs["reason"].tolist() == [
        "field 'eval_accuracy': NaN is not a finite number (the RTE score needs it)"
    ]
    assert runs.table["run_id"].unique().tolist() == ["lora/bert/rte/seed7/all_results.json"]
    assert runs.warnings[["field", "reason"]].values.tolist() == [
        ["eval_loss", "field 'eval_loss': NaN is not a finite number; no score or cost uses it"]
    ]
    files = runs.files.set_index("source_file")["outcome"]
    assert files[f"{RUN}/all_results.json"] == "rejected"
    assert files["lora/bert/rte/seed7/all_results.json"] == "ingested"


def test_a_run_without_a_task_is_rejected_naming_where_to_give_it(tmp_path: Path) -> None:
    run_folder(tmp_path, "lora/bert/seed42")
    load = load_hf_trainer(source(tmp_path, path_pattern="{variant}/{family}/seed{seed}/all_results.json"), "1:x")
    assert outcomes(load)["lora/bert/seed42/all_results.json"] == (
        "rejected",
        0,
        "field 'task': missing (give it in the source's path_pattern or fields:)",
    )
    # Given as a constant, the same folder is a run.
    fixed = source(tmp_path, path_pattern="{variant}/{family}/seed{seed}/all_results.json", fields={"task": "rte"})
    (run,) = load_hf_trainer(fixed, "1:x").runs
    assert run.fields["task"] == "rte"


def test_a_folder_holding_only_a_pickle_is_ignored_and_never_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    write(tmp_path / "runs" / RUN / "training_args.bin", pickle.dumps(Marker(marker)))
    load = load_hf_trainer(source(tmp_path / "runs"), "1:hf-trainer")
    assert load.runs == []
    assert outcomes(load) == {f"{RUN}/training_args.bin": ("ignored", 0, PICKLE_REASON)}
    assert not marker.exists()


def test_a_path_outside_the_pattern_and_an_oversized_file_are_rejected(tmp_path: Path) -> None:
    run_folder(tmp_path, "lora/bert/rte/run42")
    run_folder(tmp_path, "lora/bert/rte/seed1", all_results__json=TRAIN | EVAL | {"pad": "x" * 2_000})
    load = load_hf_trainer(source(tmp_path, max_file_mb=0.001), "1:hf-trainer")
    found = outcomes(load)
    assert found["lora/bert/rte/run42/all_results.json"] == (
        "rejected",
        0,
        f"path does not match path_pattern {PATTERN!r}",
    )
    assert found["lora/bert/rte/run42/train_results.json"] == (
        "ignored",
        0,
        "not used: lora/bert/rte/run42/all_results.json of its run folder is rejected",
    )
    assert found["lora/bert/rte/seed1/all_results.json"][:2] == ("rejected", 0)
    assert "over the 0.001 MB limit" in found["lora/bert/rte/seed1/all_results.json"][2]
    assert load.runs == []


def test_repeated_keys_and_non_numbers_outside_the_metrics_are_warnings(tmp_path: Path) -> None:
    text = '{"eval_accuracy": 0.6, "eval_accuracy": 0.7, "model": "bert-base-uncased", "eval_loss": 0.5}'
    run_folder(tmp_path, all_results__json=text)
    (run,) = load_hf_trainer(source(tmp_path), "1:hf-trainer").runs
    assert run.metrics["accuracy"] == 0.7
    assert set(run.warnings) == {
        ("model", "not a number (str): not a metric, not used"),
        ("eval_accuracy", "key given 2 times in one object (0.6, 0.7): the last, 0.7, is used"),
    }


def test_unchanged_files_come_from_the_parse_cache_and_an_edit_is_read_again(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, trainer_state__json={"log_history": [{"loss": 0.7, "step": 10}]})
    first = load_hf_trainer(source(tmp_path), "1:hf-trainer")
    assert load_hf_trainer(source(tmp_path), "1:hf-trainer") == first
    write(folder / "trainer_state.json", {"log_history": [{"loss": 0.5, "step": 10}, {"loss": 0.4, "step": 20}]})
    (run,) = load_hf_trainer(source(tmp_path), "1:hf-trainer").runs
    assert curve_points(run.curves) == [("loss", 10.0, 0.5), ("loss", 20.0, 0.4)]


def test_a_field_given_by_the_path_and_the_constants_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    path = write(
        tmp_path / "report.yml",
        "sources:\n  - type: hf-trainer\n    path: runs\n"
        f"    path_pattern: '{PATTERN}'\n    fields: {{task: rte, peft: lora}}\n"
        "strategies:\n  - {name: LoRA, match: {variant: lora}}\n",
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "key 'sources[0]'" in message
    assert "field(s) task given both by path_pattern and by fields; keep one" in message


def test_an_unknown_source_type_names_the_new_types(tmp_path: Path) -> None:
    path = write(
        tmp_path / "report.yml",
        "sources:\n  - {type: trainer, path: .}\nstrategies:\n  - {name: A, match: {variant: a}}\n",
    )
    with pytest.raises(ConfigError, match="set type to hf-trainer, lm-eval, metrics-json, legacy-json or table"):
        load_config(path)
