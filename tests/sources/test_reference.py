"""Reference tables: units as people type them, converted; anything else rejected with row and column."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest

from gen.config import DEFAULT_CONFIG, EfficiencyConfig, load_config
from gen.config.base import ConfigError
from gen.runs import build_runs
from gen.sources.load import load_sources
from gen.sources.reference import load_reference, parse_quantity, unmatched_reference_rows
from tests.conftest import shared_path

COLUMNS = {"params_m": "Rank 8", "memory_mb": "Memory Usage", "inference_s": "Inference Time"}


@pytest.mark.parametrize(
    ("cell", "column", "expected"),
    [
        ("110M", "params_m", 110.0),
        ("2.9M", "params_m", 2.9),
        ("500K", "params_m", 0.5),
        ("1.2B", "params_m", 1200.0),
        ("66", "params_m", 66.0),
        ("1332.0MB", "memory_mb", 1332.0),
        ("2 GB", "memory_mb", 2000.0),
        ("1GiB", "memory_mb", 1073.741824),
        ("512MiB", "memory_mb", 536.870912),
        ("1024KiB", "memory_mb", 1.048576),
        ("1500000B", "memory_mb", 1.5),
        ("6.10s", "inference_s", 6.1),
        ("250ms", "inference_s", 0.25),
        ("2min", "inference_s", 120.0),
        ("1.5h", "inference_s", 5400.0),
    ],
)
def test_units_convert_to_the_column_unit(cell: str, column: str, expected: float) -> None:
    assert parse_quantity(cell, column) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("cell", "column", "message"),
    [
        ("110MB", "params_m", "unit 'MB' does not fit params_m"),
        ("6.1M", "inference_s", "unit 'M' does not fit inference_s"),
        ("12s", "memory_mb", "unit 's' does not fit memory_mb"),
        ("fast", "inference_s", "is not a number"),
        ("", "memory_mb", "is not a number"),
        ("-3MB", "memory_mb", "negative"),
    ],
)
def test_wrong_units_and_junk_are_rejected(cell: str, column: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_quantity(cell, column)


def test_paper_table_parses_to_its_printed_figures() -> None:
    paper = shared_path("data/kd-lora-paper/table-ii-efficiency.csv")
    frame = load_reference(EfficiencyConfig(source="reference", table=paper, columns=COLUMNS))
    with paper.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(frame) == len(rows) == 9
    for parsed, row in zip(frame.to_dict("records"), rows, strict=True):
        assert (parsed["model"], parsed["strategy"]) == (row["Model"], row["Method"])
        assert parsed["params_m"] == float(row["Rank 8"].removesuffix("M"))
        assert parsed["memory_mb"] == float(row["Memory Usage"].removesuffix("MB"))
        assert parsed["inference_s"] == float(row["Inference Time"].removesuffix("s"))


def test_bad_cell_names_file_row_and_column(tmp_path: Path) -> None:
    table = tmp_path / "ref.csv"
    table.write_text("Model,Method,Rank 8,Memory Usage,Inference Time\nA,FFT,110M,1GB,6s\nB,LoRA,3M,12s,6s\n")
    with pytest.raises(ConfigError) as error:
        load_reference(EfficiencyConfig(source="reference", table=table, columns=COLUMNS))
    assert str(error.value).startswith(f"{table}: row 3, column 'Memory Usage': unit 's' does not fit memory_mb")


def test_missing_key_column_names_the_mapping(tmp_path: Path) -> None:
    table = tmp_path / "ref.csv"
    table.write_text("Model,Rank 8,Memory Usage,Inference Time\nA,110M,1GB,6s\n")
    with pytest.raises(ConfigError, match=r"strategy -> 'Method'.*fix the mapping"):
        load_reference(EfficiencyConfig(source="reference", table=table, columns=COLUMNS))


def test_reference_rows_matching_no_run_name_the_nearest_names() -> None:
    reference = pd.DataFrame(
        {
            "model": ["BERT-base", "BERT-Base", "RoBERTa-base", "RoBERTa-base", "GPT-2"],
            "strategy": ["FFT", "LoRA", "KD-LoRA", "Lora", "FFT"],
        }
    )
    runs = pd.DataFrame(
        {
            "model": ["BERT-base", "BERT-base", "RoBERTa-base", "DistilBERT-base"],
            "strategy": ["FFT", "LoRA", "FFT", "KD-LoRA"],
        }
    )
    assert unmatched_reference_rows(reference, runs) == [
        (
            "row 3",
            "model 'BERT-Base', strategy 'LoRA' matches no run: no run's model is 'BERT-Base' (nearest: 'BERT-base')",
        ),
        (
            "row 4",
            "model 'RoBERTa-base', strategy 'KD-LoRA' matches no run: no run of 'RoBERTa-base' has strategy 'KD-LoRA' "
            "(its strategies: 'FFT')",
        ),
        (
            "row 5",
            "model 'RoBERTa-base', strategy 'Lora' matches no run: no run's strategy is 'Lora' (nearest: 'LoRA')",
        ),
        (
            "row 6",
            "model 'GPT-2', strategy 'FFT' matches no run: no run's model is 'GPT-2' "
            "(the runs' models: 'BERT-base', 'DistilBERT-base', 'RoBERTa-base')",
        ),
    ]


def test_the_bundled_reference_table_matches_every_row_to_runs() -> None:
    config = load_config(DEFAULT_CONFIG)
    loaded = load_sources(config)
    runs = build_runs(loaded.runs, loaded.files, config)
    reference = load_reference(config.efficiency)
    assert len(reference) == 9
    assert unmatched_reference_rows(reference, runs.table[["model", "strategy"]]) == []
    renamed = reference.assign(model=reference["model"].replace({"BERT-base": "BERT-Base"}))
    assert [field for field, _ in unmatched_reference_rows(renamed, runs.table[["model", "strategy"]])] == [
        "row 2",
        "row 3",
    ]


def test_a_fifo_as_reference_table_is_a_config_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ref.csv")
    with pytest.raises(ConfigError, match=r"ref.csv: cannot read the reference table: not a regular file \(a FIFO\)"):
        load_reference(EfficiencyConfig(source="reference", table=tmp_path / "ref.csv", columns=COLUMNS))
