"""The runs table: first matching rule names the strategy; every run and file is accounted for."""

from __future__ import annotations

from gen.config import StrategyRule
from gen.runs import assign_strategy, build_runs, wide_runs
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
