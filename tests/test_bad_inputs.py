"""Bad inputs of issue 12 (and issue 16, item 10) in one small tree, built end to end: every one gets a clear
outcome (rejected or warned, with file and reason), the rest of the site is built, names from the data are escaped
in the build log and literal on the pages, and a strict build fails on the rejections."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest

from tests.conftest import build_site
from tests.test_site import read_csv

CONFIG = """
title: bad inputs
sources:
  - type: metrics-json
    path: results
  - type: table
    path: table.csv
strategies:
  - {name: FFT, match: {variant: fft}}
  - {name: LoRA, match: {variant: lora, peft: lora}}
"""
TABLE = """family,variant,peft,task,metric,value
bert,fft,,mrpc,accuracy,0.84
bert,fft,,mrpc,f1,0.88
bert,lora,lora,mrpc,accuracy,abc
bert,lora,lora,mrpc,f1,0.86
"""
# Folder names a result tree should not have but may: a newline and terminal escape codes (which would forge a
# log line and recolour the terminal), and a forged log line.
ODD = "odd\n\x1b[31mname"
FORGED = "forged\nINFO    -  gen: 0 files: 0 ingested\x1b[2J"


def result(variant: str, seed: int, accuracy: float) -> bytes:
    args = {"task": "rte", "model_family": "bert", "seed": seed, "peft": "lora"}
    return json.dumps({"eval_accuracy": accuracy, "args": args, "variant": variant}).encode()


def with_repeated_accuracy(data: bytes, first: float) -> bytes:
    """The file with ``eval_accuracy`` given a second time, before the original one (which is then read)."""
    return data.replace(b"{", b'{"eval_accuracy": %r, ' % first, 1)


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-inputs")
    results = root / "results"
    write(results / "fft/task_rte_bert_1/metrics.json", result("fft", 1, 0.70))
    write(results / "fft/task_rte_bert_2/metrics.json", with_repeated_accuracy(result("fft", 2, 0.72), 0.5))
    write(results / "lora/task_rte_bert_1/metrics.json", result("lora", 1, 0.66))
    write(results / ODD / "metrics.json", with_repeated_accuracy(result("lora", 3, 0.64), 0.1))
    write(results / FORGED / "metrics.json", b'{"eval_accuracy": ')
    os.symlink("fft", results / "current")  # an alias of fft/
    os.symlink("..", results / "fft" / "loop")  # a real loop
    (results / "fifo").mkdir()
    os.mkfifo(results / "fifo" / "metrics.json")  # read, it would wait for ever
    (results / "zero").mkdir()
    os.symlink("/dev/zero", results / "zero" / "metrics.json")  # read, it would never end
    os.mkdir(os.fsencode(results) + b"/caf\xe9")  # not UTF-8
    write(Path(os.fsdecode(os.fsencode(results) + b"/caf\xe9/metrics.json")), result("fft", 4, 0.7))
    (root / "table.csv").write_text(TABLE)
    (root / "report.yml").write_text(CONFIG)
    return root


EXPECTED_FILES = {
    ("1:metrics-json", "caf\\xe9/metrics.json"): (
        "rejected",
        "name 'caf\\xe9' is not valid UTF-8 (shown with its bytes escaped): rename it to read the file",
    ),
    ("1:metrics-json", "current/loop"): ("ignored", "same folder as fft/loop (via symlink current)"),
    ("1:metrics-json", "current/task_rte_bert_1/metrics.json"): (
        "ignored",
        "same file as fft/task_rte_bert_1/metrics.json (via symlink current)",
    ),
    ("1:metrics-json", "current/task_rte_bert_2/metrics.json"): (
        "ignored",
        "same file as fft/task_rte_bert_2/metrics.json (via symlink current)",
    ),
    ("1:metrics-json", "fft/loop"): ("rejected", "symlink loop: points back to folder '.', which contains it"),
    ("1:metrics-json", "fft/task_rte_bert_1/metrics.json"): ("ingested", ""),
    ("1:metrics-json", "fft/task_rte_bert_2/metrics.json"): ("ingested", ""),
    ("1:metrics-json", "fifo/metrics.json"): ("rejected", "not a regular file (a FIFO): not read"),
    ("1:metrics-json", f"{FORGED}/metrics.json"): (
        "rejected",
        "invalid JSON: unexpected end of data: line 1 column 19 (char 18)",
    ),
    ("1:metrics-json", "lora/task_rte_bert_1/metrics.json"): ("ingested", ""),
    ("1:metrics-json", f"{ODD}/metrics.json"): ("ingested", ""),
    ("1:metrics-json", "zero/metrics.json"): ("rejected", "not a regular file (a character device): not read"),
    ("2:table", "table.csv"): ("ingested", ""),
}


def test_each_bad_input_gets_its_outcome_and_the_rest_of_the_site_is_built(project: Path, tmp_path: Path) -> None:
    # mkdocs --strict (REPORT_STRICT unset): rejections and warnings are reported, and none is a MkDocs warning.
    done = build_site(tmp_path / "site", project / "report.yml", quiet=False)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "Traceback" not in log and "WARNING" not in log
    downloads = tmp_path / "site" / "downloads"
    files = {(f["source"], f["source_file"]): (f["outcome"], f["reason"]) for f in read_csv(downloads / "files.csv")}
    assert files == EXPECTED_FILES
    # Each run once, under its real path; the table's bad cell costs its run only.
    runs = {r["run_id"] for r in read_csv(downloads / "runs.csv")}
    assert runs == {
        "fft/task_rte_bert_1/metrics.json",
        "fft/task_rte_bert_2/metrics.json",
        "lora/task_rte_bert_1/metrics.json",
        f"{ODD}/metrics.json",
        "2:table:table.csv#family=bert,variant=fft,task=mrpc",
    }
    quality = html.unescape((tmp_path / "site" / "data-quality.html").read_text())
    assert "row 4, column 'value': 'abc' is not a number" in quality
    # The repeated key: a warning naming the key and the value read.
    warnings = {(w["source_file"], w["field"]): w["reason"] for w in read_csv(downloads / "warnings.csv")}
    assert warnings == {
        ("fft/task_rte_bert_2/metrics.json", "eval_accuracy"): (
            "key given 2 times in one object (0.5, 0.72): the last, 0.72, is used"
        ),
        (f"{ODD}/metrics.json", "eval_accuracy"): (
            "key given 2 times in one object (0.1, 0.64): the last, 0.64, is used"
        ),
    }
    # Names from the data: literal text on the page, escaped in the log (no forged line, no escape code).
    assert f"{ODD}/metrics.json" in quality and "caf\\xe9/metrics.json" in quality
    assert "\x1b" not in log
    assert "rejected forged\\nINFO    -  gen: 0 files: 0 ingested\\x1b[2J/metrics.json: invalid JSON" in log
    assert not [line for line in log.splitlines() if "0 files: 0 ingested" in line and "forged" not in line]


def test_a_strict_build_fails_on_the_rejections(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_STRICT", "1")
    done = build_site(tmp_path / "site", project / "report.yml")
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert "strict mode: 5 rejected file(s), 1 rejected run(s), 0 unmatched run(s)" in log
    assert "Traceback" not in log and "\x1b" not in log
