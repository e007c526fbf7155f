"""Config loading: paths resolve against the config's folder; every error names file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen.config import DEFAULT_CONFIG, load_config
from gen.config.base import ConfigError

MINIMAL = """
title: T
sources:
  - type: table
    path: runs.csv
strategies:
  - {name: FFT, match: {variant: fft}}
  - {name: KD-LoRA, match: {variant: kd-lora, peft: [mrlora, mrlora-rs], rank: 8}}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "runs.csv").write_text("task,metric,value\n")
    path = tmp_path / "report.yml"
    path.write_text(text)
    return path


def test_bundled_config_loads_with_paths_inside_data() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert config.strategy_names == ["FFT", "LoRA", "KD-LoRA"]
    assert all(source.path.is_relative_to(DEFAULT_CONFIG.parent) for source in config.sources)
    assert config.efficiency.table is not None and config.efficiency.table.exists()


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    config = load_config(write(tmp_path, MINIMAL))
    assert config.sources[0].path == tmp_path / "runs.csv"


def test_environment_variable_selects_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_CONFIG", str(write(tmp_path, MINIMAL)))
    assert load_config().title == "T"


def test_rule_values_compare_as_strings_and_lists_mean_any_of(tmp_path: Path) -> None:
    rule = load_config(write(tmp_path, MINIMAL)).strategies[1]
    assert rule.allowed() == {"variant": {"kd-lora"}, "peft": {"mrlora", "mrlora-rs"}, "rank": {"8"}}


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        (MINIMAL + "titel: typo\n", "titel", "remove it or check its spelling"),
        (MINIMAL + "score: best\n", "score", "use one of the allowed values"),
        (MINIMAL.replace("type: table", "type: parquet"), "sources[0]", "metrics-json, legacy-json or table"),
        (MINIMAL + "efficiency: {source: reference}\n", "efficiency.table", "add the path"),
        (MINIMAL + "models: {bert: {KD-LoRA: DistilBERT}}\n", "models", "needs a 'name'"),
        (MINIMAL.replace("path: runs.csv", "path: nowhere.csv"), "sources", "fix the path"),
        (MINIMAL.replace("match: {variant: fft}", "match: {}"), "strategies[0].match", "at least one"),
    ],
)
def test_errors_name_file_key_and_fix(tmp_path: Path, text: str, key: str, fix: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert str(path) in message
    assert f"'{key}" in message
    assert fix in message


def test_missing_file_and_bad_yaml_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("sources: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
