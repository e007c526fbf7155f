"""Scaling out (Data & methodology): an existing engine, DuckDB, ingests the real result files into a tidy runs
table in Parquet; the site built from that table through a `table` source scores exactly like the site built from
the files. DuckDB also reads the site's own downloads/runs.parquet and recomputes the score cells."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from gen.config import load_config
from gen.report import analyse
from tests.conftest import REAL_CONFIG, RESULTS

# Only the keys the table needs; read_json skips the rest of each file (log_history, memory samples).
COLUMNS = {
    "variant": "VARCHAR",
    "args": "STRUCT(task VARCHAR, model_family VARCHAR, seed BIGINT, peft VARCHAR, rank BIGINT)",
    "eval_accuracy": "DOUBLE",
    "eval_matthews_correlation": "DOUBLE",
    "eval_pearson": "DOUBLE",
    "eval_spearman": "DOUBLE",
    "eval_f1": "DOUBLE",
    "matched_accuracy": "DOUBLE",
    "mismatched_accuracy": "DOUBLE",
}
# What a lab would run over its own storage (a local folder here; an s3:// glob works the same way).
INGEST = """
COPY (
    UNPIVOT (
        SELECT variant, args.task AS task, args.model_family AS family, CAST(args.seed AS VARCHAR) AS seed,
               args.peft AS peft, CAST(args.rank AS VARCHAR) AS rank, filename AS result_file,
               eval_accuracy AS accuracy, eval_matthews_correlation AS matthews_correlation,
               eval_pearson AS pearson, eval_spearman AS spearman, eval_f1 AS f1,
               matched_accuracy, mismatched_accuracy
        FROM read_json('{glob}', columns = {columns}, filename = true)
    )
    ON accuracy, matthews_correlation, pearson, spearman, f1, matched_accuracy, mismatched_accuracy
    INTO NAME metric VALUE value
) TO '{out}' (FORMAT parquet)
"""
TABLE_CONFIG = """
title: from DuckDB
sources:
  - {{type: table, path: {table}}}
strategies:
  - {{name: FFT, match: {{variant: fft}}}}
  - {{name: LoRA, match: {{variant: lora, peft: lora}}}}
  - {{name: KD-LoRA, match: {{variant: kd-lora, peft: lora}}}}
"""
# The seed report's convention (shared/README.md): the metric behind each score column.
PRIMARY = {
    "cola": "matthews_correlation",
    "stsb": "pearson",
    "mnli_m": "matched_accuracy",
    "mnli_mm": "mismatched_accuracy",
}
KEYS = ["family", "strategy", "column"]
METRICS = ["accuracy", "matthews_correlation", "pearson", "spearman", "f1", "matched_accuracy", "mismatched_accuracy"]


def engine() -> duckdb.DuckDBPyConnection:
    # A fixed memory budget: DuckDB's default (80% of RAM) is not what a shared CI box has free.
    return duckdb.connect(config={"memory_limit": "2GB", "threads": 2})


def test_a_table_written_by_duckdb_builds_the_same_scores_as_the_files(tmp_path: Path) -> None:
    results = RESULTS
    table = tmp_path / "runs.parquet"
    columns = "{" + ", ".join(f"{name}: '{kind}'" for name, kind in COLUMNS.items()) + "}"
    engine().execute(INGEST.format(glob=f"{results}/**/metrics.json", columns=columns, out=table))
    config = tmp_path / "report.yml"
    config.write_text(TABLE_CONFIG.format(table=table))

    from_files = analyse(load_config(REAL_CONFIG))
    from_table = analyse(load_config(config))

    assert from_table.runs.files["outcome"].tolist() == ["ingested"]
    assert from_table.runs.table["run_id"].nunique() == from_files.runs.table["run_id"].nunique() > 500
    assert len(from_table.runs.all_table) == len(from_files.runs.all_table.query("metric in @METRICS"))
    joined = from_files.cells.merge(from_table.cells, on=KEYS, suffixes=("_files", "_table"), validate="1:1")
    assert len(joined) == len(from_files.cells) == len(from_table.cells)
    assert (joined["n_runs_files"] == joined["n_runs_table"]).all()
    assert joined["mean_table"].to_numpy() == pytest.approx(joined["mean_files"].to_numpy(), rel=1e-12)


def test_duckdb_reads_the_sites_runs_table_and_recomputes_its_score_cells(bundled_site: Path) -> None:
    runs = bundled_site / "downloads" / "runs.parquet"
    recomputed = (
        engine()
        .execute(
            """
            SELECT family, strategy, task, metric, avg(value) AS mean, count(*) AS n_runs
            FROM read_parquet(?)
            WHERE strategy <> ''
            GROUP BY ALL
            """,
            [str(runs)],
        )
        .df()
    )
    column_of = {metric: column for column, metric in PRIMARY.items()}
    wanted = recomputed.apply(
        lambda row: (
            column_of.get(row["metric"]) == row["task"]
            or (row["task"] == "mnli" and row["metric"] in ("matched_accuracy", "mismatched_accuracy"))
            or (row["task"] not in ("cola", "stsb", "mnli") and row["metric"] == "accuracy")
        ),
        axis=1,
    )
    recomputed = recomputed[wanted].assign(
        column=lambda frame: frame.apply(
            lambda row: column_of[row["metric"]] if row["task"] == "mnli" else row["task"], axis=1
        )
    )
    site = pd.read_csv(bundled_site / "downloads" / "score_cells.csv")
    joined = site.merge(recomputed, on=KEYS, suffixes=("_site", "_duckdb"), validate="1:1")
    assert len(joined) == len(site) > 50
    assert (joined["n_runs_site"] == joined["n_runs_duckdb"]).all()
    assert joined["mean_duckdb"].to_numpy() == pytest.approx(joined["mean_site"].to_numpy(), rel=1e-12)
