"""Fuzzing the parsers: whatever bytes or JSON arrive, the only failure is a one-line InputError."""

from __future__ import annotations

import json
import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gen.sources.base import InputError, parse_json_object
from gen.sources.legacy_json import read_legacy
from gen.sources.metrics_json import read_run
from gen.sources.reference import parse_quantity
from gen.sources.table import table_runs

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
# Objects shaped like results, so the fuzzer reaches past the first checks.
result_keys = st.sampled_from(
    [
        "eval_accuracy",
        "eval_loss",
        "epoch",
        "args",
        "train",
        "variant",
        "task",
        "model_family",
        "memory_allocated",
        "teacher_fft_results",
        "student_lora_results",
    ]
)
results = st.recursive(
    st.dictionaries(result_keys, scalars, max_size=6),
    lambda inner: st.dictionaries(result_keys, inner | scalars | st.lists(scalars, max_size=3), max_size=6),
    max_leaves=25,
)


def one_line(error: InputError) -> None:
    assert str(error) and "\n" not in str(error)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_parse_json_object_only_raises_input_errors(data: bytes) -> None:
    try:
        assert isinstance(parse_json_object(data).data, dict)
    except InputError as error:
        one_line(error)


@settings(max_examples=300, deadline=None)
@given(results, st.sampled_from(["metrics.json", "fft/task_rte_bert_1/base_1_2_3/peft_lora_1_2_3/metrics.json"]))
def test_readers_only_raise_input_errors(result: dict[str, object], path: str) -> None:
    data = json.dumps(result).encode()
    for read in (lambda: read_run(data, path), lambda: read_legacy(data, path, {})):
        try:
            for run in read():
                if run.problem:  # a legacy block that cannot be used: the reason is one line, the rest is kept
                    one_line(InputError(run.problem))
                    assert run.problem == InputError(run.problem).args[0]
                    continue
                assert {"task", "family"} <= set(run.fields)
                assert all(isinstance(v, float) for v in run.metrics.values())
        except InputError as error:
            one_line(error)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "rte", "cola"]), st.text(max_size=5), st.text(max_size=8)),
        max_size=6,
    ),
    st.sampled_from(["", "bert"]),
)
def test_table_rows_never_raise_and_a_bad_row_costs_only_its_run(rows: list[tuple[str, str, str]], family: str) -> None:
    table = [(task, family, metric, value) for task, metric, value in rows]
    frame = pd.DataFrame(table, columns=["task", "family", "metric", "value"], dtype="string")
    runs = table_runs(frame, "1:table", "t.csv")
    for run in runs:
        if run.problem:
            one_line(InputError(run.problem))
            assert run.problem.startswith("row ")
            continue
        # A run without a problem kept a metric from every one of its rows.
        assert {"task", "family"} <= set(run.fields)
        assert len(run.metrics) == sum(1 for task, _, _ in rows if task == run.fields["task"])
        assert all(isinstance(v, float) and math.isfinite(v) for v in run.metrics.values())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.sampled_from(["params_m", "memory_mb", "inference_s"]))
def test_quantities_parse_or_raise_value_error(cell: str, column: str) -> None:
    try:
        assert parse_quantity(cell, column) >= 0
    except ValueError as error:
        assert str(error)
