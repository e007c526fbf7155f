"""Tidy tables: rows sharing every field form one run; bad cells are named by row and column."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gen.config.base import ConfigError
from gen.config.sources import TableSource
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


def test_a_bad_value_rejects_its_run_only_naming_row_and_column(tmp_path: Path) -> None:
    """Issue 16 item 10: one bad cell used to reject the whole file (the site said "0 runs from 0 files")."""
    result = load(tmp_path, CSV.replace("0.577", "abc"))
    assert [(f.outcome, f.runs) for f in result.files] == [("ingested", 3)]
    problems = {r.run_id: r.problem for r in result.runs}
    assert problems == {
        "t.csv#family=bert,variant=fft,task=mnli": "",
        "t.csv#family=bert,variant=fft,task=cola": "row 4, column 'value': 'abc' is not a number",
        "t.csv#family=bert,variant=lora,task=cola": "",
    }


TWICE = "row 6: metric 'matthews_correlation' given twice for the same run"


@pytest.mark.parametrize(
    ("row", "problem", "healthy"),
    [
        # The first three rows belong to the run bert/lora/cola, which is then rejected; the others form a run of
        # their own.
        ("bert,lora,cola,matthews_correlation,inf", "row 6, column 'value': 'inf' is not a finite number", 2),
        ("bert,lora,cola,matthews_correlation,0.5", TWICE, 2),
        ("bert,lora,cola,,0.5", "row 6, column 'metric': empty", 2),
        (",lora,cola,accuracy,0.5", "row 6, column 'family': empty or absent (every run needs a model family)", 3),
        ("bert,lora,,accuracy,0.5", "row 6, column 'task': empty or absent (every run needs a task)", 3),
    ],
)
def test_each_bad_row_is_named(tmp_path: Path, row: str, problem: str, healthy: int) -> None:
    result = load(tmp_path, CSV + row + "\n")
    assert [f.outcome for f in result.files] == ["ingested"]
    assert [r.problem for r in result.runs if r.problem] == [problem]
    assert sum(1 for r in result.runs if not r.problem) == healthy


def test_missing_required_column_is_a_config_error_naming_file_columns_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "theirs.csv"
    path.write_text("family,Task,metric,Score\nbert,rte,accuracy,0.7\n")
    with pytest.raises(ConfigError) as error:
        load_table(TableSource(type="table", path=path), "1:table")
    message = str(error.value)
    assert message.startswith(f"{path}: a table needs columns task, metric, value; no column for task, value ")
    assert "(it has 'family', 'Task', 'metric', 'Score')" in message
    fix = "map yours under the source's columns: in the config, e.g. columns: {task: 'Task', value: <your column>}"
    assert message.endswith(fix)


def test_column_names_map_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "theirs.csv"
    path.write_text("Model,Task,Metric,Score\nbert,rte,accuracy,0.7\n")
    mapped = TableSource(
        type="table", path=path, columns={"family": "Model", "task": "Task", "metric": "Metric", "value": "Score"}
    )
    (run,) = load_table(mapped, "1:table").runs
    assert (run.fields, run.metrics) == ({"family": "bert", "task": "rte"}, {"accuracy": 0.7})
    wrong = TableSource(type="table", path=path, columns={"value": "Points"})
    with pytest.raises(ConfigError, match=r"the source's columns name 'Points', not in the table \(it has 'Model',"):
        load_table(wrong, "1:table")


def test_a_fifo_in_place_of_the_table_is_rejected_unread(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "t.csv")
    (outcome,) = load_table(TableSource(type="table", path=tmp_path / "t.csv"), "1:table").files
    assert (outcome.outcome, outcome.reason) == ("rejected", "not a regular file (a FIFO): not read")
