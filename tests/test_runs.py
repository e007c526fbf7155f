"""The runs table: first matching rule names the strategy; every run and file is accounted for."""

from __future__ import annotations

import pytest

from gen.config import DuplicatesConfig, StrategyRule
from gen.config.base import ConfigError, ReportError
from gen.runs import Runs, assign_strategy, build_runs, wide_runs
from gen.sources.base import FileOutcome, RunRecord
from tests.helpers import config, run, runs_of


def test_first_matching_rule_wins_and_lists_mean_any_of() -> None:
    cfg = config().model_copy(
        update={
            "strategies": [
                StrategyRule(name="LoRA", match={"variant": "lora", "peft": ["lora", "rslora"]}),
                StrategyRule(name="Any PEFT", match={"variant": "lora"}),
                StrategyRule(name="Rank 8", match={"rank": 8}),
            ]
        }
    )
    assert assign_strategy({"variant": "lora", "peft": "rslora"}, cfg) == "LoRA"
    assert assign_strategy({"variant": "lora", "peft": "dora"}, cfg) == "Any PEFT"
    assert assign_strategy({"variant": "fft", "rank": "8"}, cfg) == "Rank 8"
    assert assign_strategy({"variant": "fft", "rank": "16"}, cfg) is None


def test_tidy_table_has_one_row_per_run_and_metric() -> None:
    runs = runs_of(
        [run("bert", "FFT", "rte", 1, accuracy=0.7, eval_loss=0.5), run("bert", "LoRA", "rte", 1, accuracy=0.6)]
    )
    assert len(runs.table) == 3
    assert runs.table.groupby("run_id").size().to_dict() == {"FFT/rte_bert_1.json": 2, "LoRA/rte_bert_1.json": 1}
    assert set(runs.table["model"]) == {"BERT-base"}
    wide = wide_runs(runs)
    assert len(wide) == 2
    assert wide.set_index("run_id").loc["FFT/rte_bert_1.json", "eval_loss"] == 0.5


def test_model_name_depends_on_family_and_strategy() -> None:
    runs = runs_of([run("bert", "KD-LoRA", "rte", 1, accuracy=0.6), run("gpt", "FFT", "rte", 1, accuracy=0.6)])
    assert dict(zip(runs.table["family"], runs.table["model"], strict=True)) == {"bert": "DistilBERT", "gpt": "gpt"}


def test_every_run_is_scored_unmatched_or_rejected_and_files_add_up() -> None:
    records = [
        run("bert", "FFT", "rte", 1, accuracy=0.7),
        run("bert", "mystery", "rte", 1, accuracy=0.7),
        run("bert", "FFT", "squad", 1, f1=0.8),
    ]
    table_run = RunRecord("1:t", "t.csv", "row2", {"family": "bert", "variant": "FFT", "task": "boolq"}, {"a": 1.0})
    files = [FileOutcome(r.source, r.source_file, "ingested", runs=1) for r in records]
    files.append(FileOutcome("1:t", "t.csv", "ingested", runs=1))
    files.append(FileOutcome("1:t", "broken.json", "rejected", reason="invalid JSON"))
    runs = build_runs([*records, table_run], files, config())
    assert runs.table["run_id"].unique().tolist() == ["FFT/rte_bert_1.json"]
    assert runs.unmatched["run_id"].tolist() == ["mystery/rte_bert_1.json"]
    assert sorted(runs.rejected_runs["run_id"]) == ["FFT/squad_bert_1.json", "t.csv#row2"]
    assert "unknown task 'squad'" in runs.rejected_runs["reason"].iloc[0]
    outcomes = runs.files.set_index("source_file")["outcome"].to_dict()
    assert outcomes == {
        "FFT/rte_bert_1.json": "ingested",
        "mystery/rte_bert_1.json": "ingested",
        "FFT/squad_bert_1.json": "rejected",
        "t.csv": "rejected",
        "broken.json": "rejected",
    }
    scored = runs.table["run_id"].nunique() + len(runs.unmatched) + len(runs.rejected_runs)
    assert scored == len(records) + 1


def rerun(record: RunRecord, modified_ns: int, name: str) -> RunRecord:
    return RunRecord(record.source, name, "", dict(record.fields), dict(record.metrics), modified_ns)


DUPLICATED = [
    rerun(run("bert", "FFT", "rte", 1, accuracy=0.70), 200, "a/metrics.json"),
    rerun(run("bert", "FFT", "rte", 1, accuracy=0.60), 100, "b/metrics.json"),
    rerun(run("bert", "FFT", "rte", 2, accuracy=0.65), 100, "c/metrics.json"),
]


def with_duplicates(keep: str) -> Runs:
    cfg = config().model_copy(update={"duplicates": DuplicatesConfig(keep=keep)})  # type: ignore[arg-type]
    files = [FileOutcome(r.source, r.source_file, "ingested", runs=1) for r in DUPLICATED]
    return build_runs(DUPLICATED, files, cfg)


def test_duplicates_are_flagged_and_kept_by_default() -> None:
    runs = with_duplicates("all")
    assert runs.duplicates[["run_id", "group", "kept"]].values.tolist() == [
        ["a/metrics.json", 1, True],
        ["b/metrics.json", 1, True],
    ]
    assert runs.table["run_id"].nunique() == 3


def test_keep_latest_drops_the_older_rerun() -> None:
    runs = with_duplicates("latest")
    assert sorted(runs.table["run_id"].unique()) == ["a/metrics.json", "c/metrics.json"]
    assert runs.duplicates.set_index("run_id")["kept"].to_dict() == {"a/metrics.json": True, "b/metrics.json": False}


def test_keep_fail_stops_with_the_runs_named() -> None:
    with pytest.raises(ReportError, match=r"a/metrics.json = b/metrics.json.*set duplicates.keep"):
        with_duplicates("fail")


def test_a_rule_on_a_field_no_run_has_stops_the_build() -> None:
    cfg = config().model_copy(update={"strategies": [StrategyRule(name="LoRA", match={"pefft": "lora"})]})
    records = [run("bert", "FFT", "rte", 1, accuracy=0.7)]
    with pytest.raises(
        ConfigError, match=r"'strategies\[0\].match.pefft': no run has a field 'pefft' — use one of: family"
    ):
        build_runs(records, [], cfg)


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ({"accuracy": 85.0}, "metric 'accuracy' = 85 is outside [0, 1]"),
        ({"accuracy": 0.8, "memory_allocated_mb": -3.0}, "metric 'memory_allocated_mb' = -3 is outside [0, 1e+07]"),
        ({"accuracy": 0.8, "train_time_s": 1e12}, "metric 'train_time_s' = 1e+12 is outside [0, 1e+08]"),
    ],
)
def test_implausible_metrics_reject_the_run(metrics: dict[str, float], reason: str) -> None:
    runs = runs_of([run("bert", "FFT", "rte", 1, **metrics)])
    assert runs.rejected_runs["reason"].tolist() == [reason]


def test_a_nan_decides_by_what_needs_it() -> None:
    """A NaN that the task's score or a cost needs rejects the run, naming the field; any other NaN is a warning."""
    import dataclasses

    needed = dataclasses.replace(
        run("bert", "FFT", "rte", 1, eval_loss=0.3), non_finite={"accuracy": "field 'eval_accuracy': NaN is not a"}
    )
    cost = dataclasses.replace(
        run("bert", "FFT", "rte", 2, accuracy=0.7), non_finite={"train_time_s": "field 'train.train_time': NaN"}
    )
    # CoLA is scored by Matthews correlation: its NaN accuracy is nobody's business but a warning.
    unused = dataclasses.replace(
        run("bert", "FFT", "cola", 1, matthews_correlation=0.5),
        non_finite={"accuracy": "field 'eval_accuracy': NaN is not a finite number"},
        warnings=(("log_history[].grad_norm", "NaN at 1 step(s) (20): not used"),),
    )
    runs = runs_of([needed, cost, unused])
    reasons = dict(zip(runs.rejected_runs["run_id"], runs.rejected_runs["reason"], strict=True))
    assert reasons[needed.run_id] == "field 'eval_accuracy': NaN is not a (the RTE score needs it)"
    assert reasons[cost.run_id] == "field 'train.train_time': NaN (a measured cost)"
    assert runs.table["run_id"].unique().tolist() == [unused.run_id]
    assert runs.warnings[["run_id", "field"]].values.tolist() == [
        [unused.run_id, "log_history[].grad_norm"],
        [unused.run_id, "accuracy"],
    ]
    assert runs.warnings["reason"].iloc[1].endswith("; no score or cost uses it")


def test_a_bad_block_of_a_multi_run_file_is_a_rejected_run_and_the_file_is_ingested() -> None:
    good = run("bert", "FFT", "rte", 1, accuracy=0.7)
    bad = RunRecord(good.source, good.source_file, "student", dict(good.fields), {}, problem="field 'x': bad")
    files = [FileOutcome(good.source, good.source_file, "ingested", runs=2)]
    runs = build_runs([good, bad], files, config())
    assert runs.rejected_runs[["run_id", "reason"]].values.tolist() == [[bad.run_id, "field 'x': bad"]]
    assert runs.files[["outcome", "runs"]].values.tolist() == [["ingested", 1]]
