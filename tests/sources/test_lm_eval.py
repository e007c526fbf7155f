"""lm-eval source: lm-evaluation-harness 0.4 results files read as one run per task and filter, groups marked,
every file accounted for, bad inputs rejected with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gen.config.sources import LmEvalSource
from gen.sources.base import InputError, RunRecord, SourceLoad
from gen.sources.lm_eval import load_lm_eval, read_lm_eval
from tests.conftest import ROOT

NAME = "EleutherAI__pythia-1.4b/results_2024-06-01T10-12-30.518249.json"


def results_file(**overrides: Any) -> dict[str, Any]:
    """A small results file as lm-eval 0.4 writes it."""
    data: dict[str, Any] = {
        "results": {
            "hellaswag": {
                "alias": "hellaswag",
                "acc,none": 0.4043,
                "acc_stderr,none": 0.0049,
                "acc_norm,none": 0.5196,
                "acc_norm_stderr,none": 0.0050,
            },
            "gsm8k": {
                "alias": "gsm8k",
                "exact_match,strict-match": 0.0167,
                "exact_match_stderr,strict-match": 0.0035,
                "exact_match,flexible-extract": 0.0250,
                "exact_match_stderr,flexible-extract": 0.0043,
            },
        },
        "group_subtasks": {"hellaswag": [], "gsm8k": []},
        "configs": {"hellaswag": {"task": "hellaswag", "num_fewshot": 0}, "gsm8k": {"task": "gsm8k", "num_fewshot": 5}},
        "versions": {"hellaswag": 1.0, "gsm8k": 3.0},
        "n-shot": {"hellaswag": 0, "gsm8k": 5},
        "higher_is_better": {"hellaswag": {"acc": True, "acc_norm": True}, "gsm8k": {"exact_match": True}},
        "n-samples": {
            "hellaswag": {"original": 10042, "effective": 10042},
            "gsm8k": {"original": 1319, "effective": 1319},
        },
        "config": {
            "model": "hf",
            "model_args": "pretrained=EleutherAI/pythia-1.4b,dtype=float16",
            "batch_size": "auto",
            "limit": None,
            "bootstrap_iters": 100000,
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": "3fa4fd72",
        "date": 1717236750.5,
        "model_name": "EleutherAI/pythia-1.4b",
        "model_name_sanitized": "EleutherAI__pythia-1.4b",
    }
    data.update(overrides)
    return data


def read(data: object, given: dict[str, str] | None = None) -> dict[str, RunRecord]:
    text = data if isinstance(data, str) else json.dumps(data)
    return {run.key: run for run in read_lm_eval(text.encode(), NAME, given)}


def with_config(**changes: Any) -> dict[str, Any]:
    data = results_file()
    data["config"] = {**data["config"], **changes}
    return data


SHARED = {
    "model": "EleutherAI/pythia-1.4b",
    "family": "EleutherAI/pythia-1.4b",
    "model_args": "pretrained=EleutherAI/pythia-1.4b,dtype=float16",
    "random_seed": "0",
    "numpy_seed": "1234",
    "torch_seed": "1234",
    "fewshot_seed": "1234",
    "seed": "0",
    "group": "False",
}


def test_each_task_and_filter_is_a_run_with_its_metrics_and_standard_errors() -> None:
    runs = read(results_file())
    assert list(runs) == ["hellaswag,none", "gsm8k,strict-match", "gsm8k,flexible-extract"]
    hellaswag = runs["hellaswag,none"]
    assert hellaswag.fields == SHARED | {"task": "hellaswag", "filter": "none", "n_shot": "0"}
    assert hellaswag.metrics == {"acc": 0.4043, "acc_stderr": 0.0049, "acc_norm": 0.5196, "acc_norm_stderr": 0.0050}
    strict, flexible = runs["gsm8k,strict-match"], runs["gsm8k,flexible-extract"]
    assert strict.fields == SHARED | {"task": "gsm8k", "filter": "strict-match", "n_shot": "5"}
    assert flexible.fields["filter"] == "flexible-extract"
    assert strict.metrics == {"exact_match": 0.0167, "exact_match_stderr": 0.0035}
    assert flexible.metrics == {"exact_match": 0.0250, "exact_match_stderr": 0.0043}
    assert all(run.warnings == () and run.problem == "" and run.non_finite == {} for run in runs.values())
    # The run id names the file, the task and the filter.
    assert strict.run_id == f"{NAME}#gsm8k,strict-match"


@pytest.mark.parametrize(
    ("model_args", "model"),
    [
        ("pretrained=EleutherAI/pythia-160m,dtype=float16", "EleutherAI/pythia-160m"),
        ({"pretrained": "EleutherAI/pythia-160m", "dtype": "float16"}, "EleutherAI/pythia-160m"),
        # lm-eval names a PEFT run after its adapter (EvaluationTracker: peft= before pretrained=).
        ("pretrained=EleutherAI/pythia-160m,peft=me/adapter", "me/adapter"),
        ({"model": "local-model", "base_url": "http://127.0.0.1:8080/v1", "num_concurrent": 1}, "local-model"),
    ],
)
def test_without_model_name_the_model_comes_from_model_args(model_args: object, model: str) -> None:
    data = results_file(config={**results_file()["config"], "model_args": model_args})
    del data["model_name"]
    run = read(data)["hellaswag,none"]
    assert run.fields["model"] == model
    assert run.fields["family"] == model
    expected_args = model_args if isinstance(model_args, str) else ",".join(f"{k}={v}" for k, v in model_args.items())
    assert run.fields["model_args"] == expected_args


def test_seeds_and_limit_are_fields_when_given() -> None:
    run = read(with_config(random_seed=None, limit=100))["hellaswag,none"]
    assert "seed" not in run.fields
    assert "random_seed" not in run.fields
    assert run.fields["limit"] == "100"
    assert run.fields["numpy_seed"] == "1234"


def test_the_family_is_the_model_unless_the_config_gives_one() -> None:
    run = read(results_file(), {"family": "pythia", "setup": "fp16"})["hellaswag,none"]
    assert run.fields["family"] == "pythia"
    assert run.fields["model"] == "EleutherAI/pythia-1.4b"
    assert run.fields["setup"] == "fp16"
    assert run.warnings == ()


def test_a_field_the_file_gives_too_keeps_the_files_value_with_a_warning() -> None:
    run = read(results_file(), {"model": "pythia-1.4b", "n_shot": "0"})["hellaswag,none"]
    assert run.fields["model"] == "EleutherAI/pythia-1.4b"
    assert run.warnings == (
        (
            "model",
            "the path or the source's fields: say 'pythia-1.4b', the file says 'EleutherAI/pythia-1.4b': "
            "the file's value is used",
        ),
    )


def test_na_is_not_reported_silently_for_a_standard_error_and_with_a_warning_for_a_metric() -> None:
    data = results_file()
    data["results"]["hellaswag"] |= {"acc_stderr,none": "N/A", "acc_norm,none": "N/A", "acc_norm_stderr,none": None}
    run = read(data)["hellaswag,none"]
    assert run.metrics == {"acc": 0.4043}
    assert run.warnings == (("results.hellaswag.acc_norm,none", '"N/A": not reported, no value'),)
    assert run.problem == ""


MMLU = {
    "mmlu": {"alias": "mmlu", "acc,none": 0.2500, "acc_stderr,none": 0.0036},
    "mmlu_stem": {"alias": " - stem", "acc,none": 0.2400, "acc_stderr,none": "N/A"},
    "mmlu_abstract_algebra": {"alias": "  - abstract_algebra", "acc,none": 0.2200, "acc_stderr,none": 0.0416},
    "mmlu_anatomy": {"alias": "  - anatomy", "acc,none": 0.2593, "acc_stderr,none": 0.0379},
    # A group that does not aggregate: lm-eval writes a header row without metrics.
    "ai2_arc": {"alias": "ai2_arc", " ": " "},
    "arc_easy": {"alias": " - arc_easy", "acc,none": 0.6170, "acc_stderr,none": 0.0100},
    "hellaswag": {"alias": "hellaswag", "acc,none": 0.4043},
}
# (task, group, parent) of each run.
MMLU_RUNS = [
    ("mmlu", "True", None),
    ("mmlu_stem", "True", "mmlu"),
    ("mmlu_abstract_algebra", "False", "mmlu_stem"),
    ("mmlu_anatomy", "False", "mmlu_stem"),
    ("arc_easy", "False", "ai2_arc"),
    ("hellaswag", "False", None),
]


def structure(runs: dict[str, RunRecord]) -> list[tuple[str, str, str | None]]:
    return [(r.fields["task"], r.fields["group"], r.fields.get("parent")) for r in runs.values()]


def test_groups_are_marked_and_subtasks_name_their_group() -> None:
    data = results_file(
        results=MMLU,
        groups={"mmlu": MMLU["mmlu"], "mmlu_stem": MMLU["mmlu_stem"]},
        group_subtasks={
            "mmlu_stem": ["mmlu_abstract_algebra", "mmlu_anatomy"],
            "mmlu": ["mmlu_stem"],
            "ai2_arc": ["arc_easy"],
            "arc_easy": [],
            "hellaswag": [],
        },
    )
    runs = read(data)
    assert structure(runs) == MMLU_RUNS
    # The group's own figure is a run of its own, with its metrics; a standard error of N/A is left out.
    assert runs["mmlu_stem,none"].metrics == {"acc": 0.24}
    assert runs["mmlu,none"].metrics == {"acc": 0.25, "acc_stderr": 0.0036}


def test_without_group_subtasks_the_alias_indent_places_the_subtasks() -> None:
    data = results_file(results=MMLU)
    del data["group_subtasks"]
    assert structure(read(data)) == MMLU_RUNS


def test_a_group_written_only_under_groups_is_a_run_too() -> None:
    data = results_file(groups={"mmlu": {"alias": "mmlu", "acc,none": 0.25}}, group_subtasks={"mmlu": ["hellaswag"]})
    runs = read(data)
    assert list(runs) == ["hellaswag,none", "gsm8k,strict-match", "gsm8k,flexible-extract", "mmlu,none"]
    assert runs["mmlu,none"].fields["group"] == "True"
    assert runs["mmlu,none"].metrics == {"acc": 0.25}
    assert runs["hellaswag,none"].fields["parent"] == "mmlu"


def test_nan_metrics_are_set_aside_and_nan_elsewhere_is_a_warning() -> None:
    text = json.dumps(results_file(date=0.5)).replace('"acc_stderr,none": 0.0049', '"acc_stderr,none": NaN')
    text = text.replace('"exact_match,strict-match": 0.0167', '"exact_match,strict-match": Infinity')
    text = text.replace('"date": 0.5', '"date": NaN')
    runs = read(text)
    hellaswag, strict, flexible = runs.values()
    assert hellaswag.non_finite == {
        "acc_stderr": "field 'results.hellaswag.acc_stderr,none': NaN is not a finite number"
    }
    assert "acc_stderr" not in hellaswag.metrics
    assert strict.non_finite == {
        "exact_match": "field 'results.gsm8k.exact_match,strict-match': Infinity is not a finite number"
    }
    assert flexible.non_finite == {}
    assert all(run.warnings == (("date", "NaN is not a finite number; not used"),) for run in runs.values())


def test_a_value_that_is_no_number_rejects_its_run_not_the_file() -> None:
    data = results_file()
    data["results"]["gsm8k"]["exact_match,flexible-extract"] = "0.025"
    data["results"]["broken"] = ["not", "an", "object"]
    data["results"]["empty"] = {"alias": "empty"}
    runs = read(data)
    assert runs["gsm8k,flexible-extract"].problem == (
        "field 'results.gsm8k.exact_match,flexible-extract': expected a number, got str '0.025'"
    )
    assert runs["gsm8k,strict-match"].problem == ""
    assert runs["hellaswag,none"].problem == ""
    assert runs["broken"].problem == "field 'results.broken': expected an object, got list"
    assert runs["empty"].problem == (
        "field 'results.empty': no metric in it (lm-eval 0.4 writes them as 'acc,none': metric,filter)"
    )
    assert runs["broken"].fields["task"] == "broken"


def test_a_key_given_twice_warns_the_runs_it_concerns() -> None:
    text = json.dumps(results_file())
    text = text.replace('"acc,none": 0.4043', '"acc,none": 0.40, "acc,none": 0.4043')
    text = text.replace(
        '"exact_match,strict-match": 0.0167', '"exact_match,strict-match": 0.01, "exact_match,strict-match": 0.0167'
    )
    text = text.replace('"git_hash": "3fa4fd72"', '"git_hash": "a", "git_hash": "3fa4fd72"')
    runs = read(text)
    everyone = ("git_hash", 'key given 2 times in one object ("a", "3fa4fd72"): the last, "3fa4fd72", is used')
    assert runs["hellaswag,none"].metrics["acc"] == 0.4043
    assert set(runs["hellaswag,none"].warnings) == {
        everyone,
        ("results.hellaswag.acc,none", "key given 2 times in one object (0.4, 0.4043): the last, 0.4043, is used"),
    }
    assert set(runs["gsm8k,strict-match"].warnings) == {
        everyone,
        (
            "results.gsm8k.exact_match,strict-match",
            "key given 2 times in one object (0.01, 0.0167): the last, 0.0167, is used",
        ),
    }
    assert runs["gsm8k,flexible-extract"].warnings == (everyone,)


BAD_FILES = [
    ('{"results": {"hellaswag": {"acc,none": 0.4', "invalid JSON: "),
    ("", "empty file"),
    ('["results"]', "top level is a JSON list, expected an object"),
    (
        json.dumps({"config": {}, "model_name": "x"}),
        "field 'results': missing (not an lm-evaluation-harness results file)",
    ),
    (json.dumps(results_file(results=[1, 2])), "field 'results': expected an object, got list"),
    (json.dumps(results_file(results={})), "field 'results': no task in it"),
    (
        json.dumps(results_file(results={"ai2_arc": {"alias": "ai2_arc", " ": " "}}, groups={"ai2_arc": {}})),
        "field 'results': no task in it has a metric, only group headers",
    ),
    (json.dumps(results_file(**{"n-shot": 5})), "field 'n-shot': expected an object, got int"),
    (json.dumps(results_file(group_subtasks={"mmlu": "mmlu_anatomy"})), "field 'group_subtasks.mmlu': expected a list"),
    (
        json.dumps(results_file(model_name=None, config={"model_args": "dtype=float16"})),
        "field 'model_name': missing, and config.model_args names no model (pretrained=...): "
        "give family in the source's path_pattern or fields:",
    ),
]


@pytest.mark.parametrize(("text", "reason"), BAD_FILES)
def test_a_file_that_cannot_be_read_is_rejected_with_one_line(text: str, reason: str) -> None:
    with pytest.raises(InputError) as error:
        read_lm_eval(text.encode(), NAME, None)
    assert str(error.value).startswith(reason)
    assert "\n" not in str(error.value)


def outcomes(load: SourceLoad) -> dict[str, tuple[str, int, str]]:
    return {f.source_file: (f.outcome, f.runs, f.reason) for f in load.files}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_every_results_file_at_any_depth_is_accounted_for(tmp_path: Path) -> None:
    write(tmp_path / NAME, json.dumps(results_file()))
    write(tmp_path / "deep/er/results_2.json", json.dumps(results_file(model_name="EleutherAI/pythia-2.8b")))
    write(tmp_path / "deep/results_truncated.json", json.dumps(results_file())[:300])
    write(tmp_path / "deep/results_other.json", json.dumps({"scores": {"hellaswag": 0.4}}))
    write(tmp_path / "old/results_3.json", json.dumps(results_file()))
    # lm-eval writes its per-sample logs beside the results: not results files, not found.
    write(tmp_path / "EleutherAI__pythia-1.4b/samples_hellaswag_2024-06-01T10-12-30.518249.jsonl", "{}\n")
    source = LmEvalSource(type="lm-eval", path=tmp_path, exclude=["old/**"])
    load = load_lm_eval(source, "1:lm-eval")
    found = outcomes(load)
    assert found.pop(NAME) == ("ingested", 3, "")
    assert found.pop("deep/er/results_2.json") == ("ingested", 3, "")
    assert found.pop("old/results_3.json") == ("ignored", 0, "matches an exclude pattern")
    assert found.pop("deep/results_other.json") == (
        "rejected",
        0,
        "field 'results': missing (not an lm-evaluation-harness results file)",
    )
    outcome, runs, reason = found.pop("deep/results_truncated.json")
    assert (outcome, runs) == ("rejected", 0) and reason.startswith("invalid JSON: ")
    assert found == {}
    assert sorted({run.fields["model"] for run in load.runs}) == ["EleutherAI/pythia-1.4b", "EleutherAI/pythia-2.8b"]
    assert len(load.runs) == 6


def test_the_sources_path_pattern_and_fields_add_to_every_run(tmp_path: Path) -> None:
    write(tmp_path / "fp16/pythia/results_1.json", json.dumps(results_file()))
    source = LmEvalSource(
        type="lm-eval",
        path=tmp_path,
        path_pattern="{precision}/{family}/results_*.json",
        fields={"harness": "0.4.2", "chat": False},
    )
    load = load_lm_eval(source, "1:lm-eval")
    (run, *_) = load.runs
    assert run.fields == SHARED | {
        "family": "pythia",
        "precision": "fp16",
        "harness": "0.4.2",
        "chat": "False",
        "task": "hellaswag",
        "filter": "none",
        "n_shot": "0",
    }
    assert run.warnings == ()


def test_the_example_files_read_as_one_run_per_task() -> None:
    folder = ROOT / "examples" / "lm-eval" / "results"
    load = load_lm_eval(LmEvalSource(type="lm-eval", path=folder), "1:lm-eval")
    assert [(f.outcome, f.runs) for f in load.files] == [("ingested", 4), ("ingested", 4)]
    for f in load.files:
        data = json.loads((folder / f.source_file).read_text())
        runs = [run for run in load.runs if run.source_file == f.source_file]
        assert [run.fields["task"] for run in runs] == list(data["results"])
        for run in runs:
            expected = {
                key.partition(",")[0]: value
                for key, value in data["results"][run.fields["task"]].items()
                if key.endswith(",none")
            }
            assert run.metrics == expected
            assert run.fields["family"] == run.fields["model"] == data["model_name"]
            assert (run.fields["filter"], run.fields["n_shot"], run.fields["group"]) == ("none", "0", "False")
            assert run.warnings == () and run.problem == ""
