"""Tidy tables: rows sharing every field form one run; bad cells are named by row and column."""

from __future__ import annotations

from pathlib import Path

from gen.config import TableSource
from gen.sources.base import SourceLoad
from gen.sources.table import load_table

CSV = """family,variant,task,metric,value
bert,fft,mnli,matched_accuracy,0.845
bert,fft,mnli,mismatched_accuracy,0.849
bert,fft,cola,matthews_correlation,0.577
bert,lora,cola,matthews_correlation,0.569
"""


def load(tmp_path: Path, text: str, name: str = "t.csv") -> SourceLoad:
    path = tmp_path / name
    path.write_text(text)
    return load_table(TableSource(type="table", path=path), "1:table")


def test_rows_group_into_runs(tmp_path: Path) -> None:
    result = load(tmp_path, CSV)
    runs = {r.run_id: (r.fields, r.metrics) for r in result.runs}
    assert runs == {
        "t.csv#family=bert,variant=fft,task=mnli": (
            {"family": "bert", "variant": "fft", "task": "mnli"},
            {"matched_accuracy": 0.845, "mismatched_accuracy": 0.849},
        ),
        "t.csv#family=bert,variant=fft,task=cola": (
            {"family": "bert", "variant": "fft", "task": "cola"},
            {"matthews_correlation": 0.577},
        ),
        "t.csv#family=bert,variant=lora,task=cola": (
            {"family": "bert", "variant": "lora", "task": "cola"},
            {"matthews_correlation": 0.569},
        ),
    }
    assert [(f.outcome, f.runs) for f in result.files] == [("ingested", 3)]


def test_jsonl_reads_like_csv(tmp_path: Path) -> None:
    lines = '{"family": "bert", "task": "rte", "metric": "accuracy", "value": 0.7}\n'
    result = load(tmp_path, lines, "t.jsonl")
    assert [r.metrics for r in result.runs] == [{"accuracy": 0.7}]


def test_bad_value_names_row_and_column(tmp_path: Path) -> None:
    result = load(tmp_path, CSV.replace("0.577", "n/a"))
    (outcome,) = result.files
    assert outcome.outcome == "rejected"
    assert outcome.reason == "row 4, column 'value': 'n/a' is not a number"


def test_missing_columns_and_repeated_metrics_are_rejected(tmp_path: Path) -> None:
    assert "missing column(s) value" in load(tmp_path, "task,metric\ncola,x\n").files[0].reason
    repeated = CSV + "bert,lora,cola,matthews_correlation,0.5\n"
    assert "given twice" in load(tmp_path, repeated).files[0].reason


def test_column_names_map_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "theirs.csv"
    path.write_text("Model,Task,Metric,Score\nbert,rte,accuracy,0.7\n")
    mapped = TableSource(
        type="table", path=path, columns={"family": "Model", "task": "Task", "metric": "Metric", "value": "Score"}
    )
    (run,) = load_table(mapped, "1:table").runs
    assert (run.fields, run.metrics) == ({"family": "bert", "task": "rte"}, {"accuracy": 0.7})
    wrong = TableSource(type="table", path=path, columns={"value": "Points"})
    (outcome,) = load_table(wrong, "1:table").files
    assert outcome.reason == "column(s) 'Points' named in the source's columns: not in the table"
