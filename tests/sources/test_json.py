"""Reading a JSON object: keys given twice in one object are named (issue 12); a lone surrogate escape, which no
text can hold, is a bad file rather than a crash further on."""

from __future__ import annotations

import json
from array import array

import pytest

from gen.sources.base import InputError, RunRecord, decode_runs, encode_runs, parse_json_object
from gen.sources.metrics_json import read_run


def test_a_key_given_twice_is_named_with_the_value_read() -> None:
    parsed = parse_json_object(b'{"eval_accuracy": 0.5, "eval_accuracy": 0.9}')
    assert parsed.data == {"eval_accuracy": 0.9}
    assert parsed.duplicate_keys == (
        ("eval_accuracy", "key given 2 times in one object (0.5, 0.9): the last, 0.9, is used"),
    )


def test_repeats_are_named_by_their_path_at_any_depth() -> None:
    data = b"""{"args": {"seed": 1, "task": "rte", "seed": 2},
                "log_history": [{"step": 1}, {"step" : 2, "loss": 0.3, "loss": "x", "loss": null}]}"""
    assert parse_json_object(data).duplicate_keys == (
        ("args.seed", "key given 2 times in one object (1, 2): the last, 2, is used"),
        ("log_history[1].loss", 'key given 3 times in one object (0.3, "x", null): the last, null, is used'),
    )


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": "x:y", "b": {"c": ": \\" :"}}',  # colons and quotes inside strings
        b'{"a"   :\n 1, "b":[{"c":2},{"c":3}]}',  # whitespace before colons; equal keys in different objects
        b'{"s": "\\u003a", "t": "\\u003A"}',  # escaped colons take the slow path and find nothing
    ],
)
def test_files_without_repeats_have_none(data: bytes) -> None:
    assert parse_json_object(data).duplicate_keys == ()


def test_a_repeat_hidden_by_an_escaped_colon_is_still_found() -> None:
    # The file has as many colons as the object written back: the escape hides one, the repeat drops one.
    parsed = parse_json_object(b'{"a": 1, "a": 2, "s": "\\u003a"}')
    assert [name for name, _ in parsed.duplicate_keys] == ["a"]


def test_repeats_are_found_in_files_with_nan_too() -> None:
    parsed = parse_json_object(b'{"loss": NaN, "x": {"y": 1, "y": Infinity}}')
    assert parsed.has_non_finite
    assert parsed.duplicate_keys == (
        ("x.y", "key given 2 times in one object (1, Infinity): the last, Infinity, is used"),
    )


def test_a_metrics_file_with_a_repeated_metric_warns_and_keeps_the_last() -> None:
    data = {"args": {"task": "rte", "model_family": "bert", "seed": 1}, "variant": "fft"}
    raw = json.dumps(data).encode()[:-1] + b', "eval_accuracy": 0.5, "eval_accuracy": 0.9}'
    (run,) = read_run(raw, "fft/run/metrics.json")
    assert run.metrics["accuracy"] == 0.9
    assert run.warnings == (("eval_accuracy", "key given 2 times in one object (0.5, 0.9): the last, 0.9, is used"),)


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udfff", b"\\ud83d x"])
def test_a_lone_surrogate_escape_is_a_bad_file_not_a_crash(escape: bytes) -> None:
    raw = b'{"eval_accuracy": 0.5, "args": {"task": "rte", "model_family": "bert", "note": "' + escape + b'"}}'
    with pytest.raises(InputError, match=r"^invalid JSON"):
        read_run(raw, "x/metrics.json")


def test_a_surrogate_pair_is_a_character() -> None:
    raw = b'{"eval_accuracy": 0.5, "args": {"task": "rte", "model_family": "bert", "note": "\\ud83d\\ude00"}}'
    (run,) = read_run(raw, "x/metrics.json")
    assert run.fields["note"] == "\N{GRINNING FACE}"
    assert encode_runs([run])  # the parse cache and worker processes can carry it


def test_runs_come_back_from_their_payload_as_they_went_in() -> None:
    """The parse cache and the worker processes carry runs as encode_runs bytes: every part of every run of a file
    (curves of any length, none at all, NaN reasons, warnings, a problem) must come back equal and in order."""
    curves = (("loss", array("d", [1.0, 0.5, 2.0, 0.25]).tobytes()), ("eval_accuracy", b""), ("grad", b"\x00" * 48))
    runs = [
        RunRecord("1:metrics-json", "a/metrics.json", "first", {"task": "rte", "é": "ü"}, {"accuracy": 0.5}, 7, curves),
        RunRecord("1:metrics-json", "a/metrics.json", "second", {}, {}, 7, (), {"f1": "NaN"}, (("x", "odd"),), "bad"),
        RunRecord("1:metrics-json", "a/metrics.json", "third", {"seed": "1"}, {"f1": 1e-300}, 7, curves[2:]),
    ]
    assert decode_runs(encode_runs(runs), "1:metrics-json", "a/metrics.json", 7) == runs
    assert decode_runs(encode_runs([]), "1:metrics-json", "a/metrics.json", 7) == []
