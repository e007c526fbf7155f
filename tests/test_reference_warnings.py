"""A reference-table row that matches no run is a warning naming the row (its costs would be shown nowhere), and
a published figure that cannot be used stops the build like a config mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen.config import load_config
from gen.config.base import ConfigError
from gen.report import analyse

CONFIG = """
sources:
  - {type: table, path: runs.csv}
strategies:
  - {name: FFT, match: {variant: fft}}
models:
  bert: {name: BERT-base}
efficiency:
  source: measured
  table: reference.csv
  keys: {model: Model, strategy: Method}
  columns: {params_m: Params, memory_mb: Memory, inference_s: Time}
"""


def write(folder: Path, published: str | None = None) -> Path:
    (folder / "runs.csv").write_text("family,variant,task,seed,metric,value\nbert,fft,rte,1,accuracy,0.7\n")
    (folder / "reference.csv").write_text(
        "Model,Method,Params,Memory,Time\nBERT-base,FFT,110M,1332MB,6.1s\nBERT-Base,FFT,110M,1332MB,6.1s\n"
    )
    text = CONFIG
    if published is not None:
        (folder / "published.csv").write_text(published)
        text += "published: {path: published.csv}\n"
    (folder / "report.yml").write_text(text)
    return folder / "report.yml"


def test_a_reference_row_matching_no_run_is_a_warning_naming_it(tmp_path: Path) -> None:
    report = analyse(load_config(write(tmp_path)))
    warnings = report.warnings
    (row,) = warnings[warnings["source"] == "efficiency.table"].to_dict("records")
    assert (row["source_file"], row["field"]) == ("reference.csv", "row 3")
    assert "'BERT-Base'" in row["reason"] and "'BERT-base'" in row["reason"]


def test_an_unusable_published_figure_stops_the_build(tmp_path: Path) -> None:
    published = "family,variant,task,metric,value\nbert,fft,rte,accuracy,abc\n"
    with pytest.raises(ConfigError, match=r"key 'published.path'.*'abc' is not a number"):
        analyse(load_config(write(tmp_path, published)))
