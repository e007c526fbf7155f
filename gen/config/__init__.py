"""Typed, validated report configuration (``data/report.yml``).

Every error names the config file, the offending key and what to do about it; relative paths resolve
against the folder of the config file, so a config can live next to the results it describes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from gen.benchmarks import Suite, declared_task, preset
from gen.config.base import ConfigError, Strict
from gen.config.sources import Source

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "data" / "report.yml"
CONFIG_ENV = "REPORT_CONFIG"


MatchValue = str | int | float | bool | list[str | int | float | bool]


class StrategyRule(Strict):
    """Runs whose fields all match ``match`` get strategy ``name`` (a list means any of its values)."""

    name: str = Field(min_length=1)
    match: dict[str, MatchValue] = Field(min_length=1)

    def allowed(self) -> dict[str, frozenset[str]]:
        """The rule as field -> set of accepted string values (values compare as strings)."""
        return {
            key: frozenset(_as_str(v) for v in (value if isinstance(value, list) else [value]))
            for key, value in self.match.items()
        }


class EfficiencyConfig(Strict):
    """Where the Overview's parameters, memory and inference time come from."""

    source: Literal["measured", "reference"] = "measured"
    table: Path | None = None
    keys: dict[Literal["model", "strategy"], str] = {"model": "Model", "strategy": "Method"}
    columns: dict[Literal["params_m", "memory_mb", "inference_s"], str] = {}


class DuplicatesConfig(Strict):
    """Runs with identical fields (seed included) are duplicates: keep all (flagged), the latest, or fail."""

    keep: Literal["all", "latest", "fail"] = "all"
    # Fields that do not make runs different (e.g. an output folder name).
    ignore: list[str] = []


Policy = Literal["keep", "exclude"]


class RunHealthConfig(Strict):
    """What to do with runs that are not healthy: ``keep`` them (flagged everywhere) or ``exclude`` them from
    every analysis (listed on Data quality as excluded, with the reason)."""

    collapsed: Policy = "keep"
    outliers: Policy = "keep"
    duplicates: Policy = "keep"

    def excluded_verdicts(self) -> set[str]:
        """The verdicts whose runs are left out of the analyses."""
        policies = {"collapsed": self.collapsed, "outlier": self.outliers, "duplicate": self.duplicates}
        return {verdict for verdict, policy in policies.items() if policy == "exclude"}


# How PEFT methods are usually written, for the values of the method field (a config's method_names win).
METHOD_NAMES = {
    "lora": "LoRA",
    "dora": "DoRA",
    "olora": "OLoRA",
    "rslora": "rsLoRA",
    "adalora": "AdaLoRA",
    "mrlora": "MR-LoRA",
    "mrlora-rs": "MR-LoRA (rsLoRA scaling)",
    "qlora": "QLoRA",
    "ia3": "(IA)³",
    "vera": "VeRA",
    "loha": "LoHa",
    "lokr": "LoKr",
}


class VariantsConfig(Strict):
    """PEFT methods compared with each other and a full fine-tuning baseline, per group (e.g. teacher, student)."""

    method: str = "peft"
    rank: str = "rank"
    # Display name per value of the method field, where the usual spelling (METHOD_NAMES) is not wanted.
    method_names: dict[str, str] = {}
    baseline: dict[str, MatchValue] = Field(min_length=1)
    # Group name -> fields its runs match; methods are never averaged across groups.
    groups: dict[str, dict[str, MatchValue]] = Field(min_length=1)


class PublishedConfig(Strict):
    """Published figures to reproduce: a tidy table (like a `table` source) whose runs the strategy rules name."""

    path: Path
    label: str = "published figures"


class ChangesConfig(Strict):
    """What the Changes page compares this build with."""

    # A runs.csv of the previous version; when unset, `version` is read from mike's gh-pages branch via git.
    previous: Path | None = None
    version: str = "latest"


class TaskSpec(Strict):
    """One task of a declared suite: the run field ``task`` equals ``name``; its score is the mean of ``metrics``."""

    name: str = Field(min_length=1)
    label: str | None = None
    metrics: list[str] = Field(min_length=1)
    # The score of a model that learned nothing (majority-class rate, 0 for a correlation): runs at it are collapsed.
    trivial: float | None = None
    # A lower-is-better task (a latency) is shown but left out of the suite score.
    higher_is_better: bool = True


class SuiteSpec(Strict):
    """A benchmark suite declared in the config: its name replaces "GLUE" in every label, title and finding."""

    name: str = Field(min_length=1)
    tasks: list[TaskSpec] = Field(min_length=1)

    @field_validator("tasks")
    @classmethod
    def _unique_tasks(cls, tasks: list[TaskSpec]) -> list[TaskSpec]:
        names = [task.name for task in tasks]
        if repeated := sorted({name for name in names if names.count(name) > 1}):
            raise ValueError(f"task(s) {', '.join(map(repr, repeated))} declared twice; give each task once")
        return tasks


class ReportConfig(Strict):
    """The whole report: what to read, how to name runs, how to score them."""

    title: str = "Benchmark report"
    description: str = ""
    # Where the results come from and under which licence: shown on the Data page.
    credit: str = ""
    score: Literal["primary", "glue"] = "primary"
    # A built-in suite (glue, superglue) or one declared with its tasks.
    benchmark: Literal["glue", "superglue"] | SuiteSpec = "glue"
    sources: list[Source] = Field(min_length=1)
    strategies: list[StrategyRule] = Field(min_length=1)
    models: dict[str, dict[str, str]] = {}
    efficiency: EfficiencyConfig = EfficiencyConfig()
    duplicates: DuplicatesConfig = DuplicatesConfig()
    run_health: RunHealthConfig = RunHealthConfig()
    changes: ChangesConfig = ChangesConfig()
    variants: VariantsConfig | None = None
    published: PublishedConfig | None = None
    # Cells (family, strategy, task) with fewer runs are listed on Data quality.
    min_runs: int = Field(default=1, ge=1)
    # Fail the build on any rejected file or run, or any unmatched run (also: REPORT_STRICT=1).
    strict: bool = False
    # Where the config file lives; set by load_config, used in messages and to resolve paths.
    config_path: Path = Path("report.yml")

    @field_validator("models", mode="before")
    @classmethod
    def _models_need_a_name(cls, value: object) -> object:
        if isinstance(value, dict):
            for family, names in value.items():
                if not isinstance(names, dict) or "name" not in names:
                    raise ValueError(f"model family {family!r} needs a 'name' (e.g. {family}: {{name: ...}})")
        return value

    @property
    def suite(self) -> Suite:
        """The benchmark suite the runs are scored on."""
        if isinstance(self.benchmark, str):
            return preset(self.benchmark, self.score)
        return _declared(self.benchmark.model_dump_json())

    @property
    def strict_mode(self) -> bool:
        """Strict from the config or from ``REPORT_STRICT=1``."""
        return self.strict or os.environ.get("REPORT_STRICT", "").lower() in ("1", "true", "yes")

    @property
    def strategy_names(self) -> list[str]:
        """Strategy names in config order, without repeats (several rules may name one strategy)."""
        return list(dict.fromkeys(rule.name for rule in self.strategies))

    @property
    def family_order(self) -> list[str]:
        """Model families in the order the config lists them."""
        return list(self.models)

    def model_name(self, family: str, strategy: str) -> str:
        """Display name of the model a (family, strategy) runs; the family itself when not configured."""
        names = self.models.get(family, {})
        return names.get(strategy, names.get("name", family))

    def family_label(self, family: str) -> str:
        """Display name of a model family: its ``models:`` name (the base model), else the family itself."""
        return self.models.get(family, {}).get("name", family)

    def method_label(self, method: str) -> str:
        """A PEFT method as people write it (``variants.method_names``, then the usual spelling)."""
        names = self.variants.method_names if self.variants is not None else {}
        return names.get(method) or METHOD_NAMES.get(method.lower(), method)

    def group_label(self, group: str) -> str:
        """A variants group named like the strategy that holds the same runs (``teacher`` = LoRA's runs of every
        PEFT method); the group's own name when no strategy matches it."""
        if self.variants is None:
            return group
        wanted = self.variants.baseline if group == "baseline" else self.variants.groups.get(group)
        if wanted is None:
            return group
        target = StrategyRule(name=group, match=wanted).allowed()
        for rule in self.strategies:
            allowed = rule.allowed()
            if group != "baseline":
                allowed.pop(self.variants.method, None)
            if allowed == target:
                return rule.name
        return group


@functools.lru_cache(maxsize=8)
def _declared(spec_json: str) -> Suite:
    spec = SuiteSpec.model_validate_json(spec_json)
    tasks = tuple(
        declared_task(t.name, t.label or t.name, tuple(t.metrics), t.trivial, t.higher_is_better) for t in spec.tasks
    )
    return Suite(spec.name, tasks)


def _as_str(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in ("metrics-json", "legacy-json", "hf-trainer", "lm-eval", "table"):
            continue  # pydantic's discriminator tag, not a key the user wrote
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


# pydantic's names for the branches of `benchmark:` (a preset name or a declared suite): not keys a user wrote.
_BRANCHES = ("SuiteSpec", "literal['glue','superglue']")


def _user_errors(exc: ValidationError) -> list[tuple[tuple[int | str, ...], Any]]:
    """Validation errors with locations as the user wrote the keys. For `benchmark:` given as a mapping, the error
    that it is not a preset name says nothing new and is dropped."""
    errors = exc.errors()
    declared = any(_BRANCHES[0] in err["loc"] for err in errors)
    kept = []
    for err in errors:
        if declared and _BRANCHES[1] in err["loc"]:
            continue
        kept.append((tuple(part for part in err["loc"] if part not in _BRANCHES), err))
    return kept


def _fix_for(error_type: str) -> str:
    return {
        "extra_forbidden": "remove it or check its spelling",
        "missing": "add it",
        "literal_error": "use one of the allowed values",
        "union_tag_invalid": "set type to hf-trainer, lm-eval, metrics-json, legacy-json or table",
        "too_short": "give at least one entry",
    }.get(error_type, "correct its value")


def load_config(path: Path | str | None = None) -> ReportConfig:
    """Read and validate a report config; relative paths become absolute against its folder.

    ``path`` defaults to ``$REPORT_CONFIG`` and then to the bundled ``data/report.yml``.
    """
    config_path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).resolve()
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: config file not found (set {CONFIG_ENV} to an existing file)") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: expected a mapping of keys (title, sources, strategies, ...)")
    if "config_path" in raw:
        raise ConfigError(f"{config_path}: key 'config_path' is reserved; remove it")
    try:
        config = ReportConfig.model_validate({**raw, "config_path": config_path})
    except ValidationError as exc:
        lines = [
            f"{config_path}: key '{_key_path(loc)}': {err['msg']} — {_fix_for(err['type'])}"
            for loc, err in _user_errors(exc)
        ]
        raise ConfigError("\n".join(lines)) from None
    return _resolve_paths(config)


def _resolve_paths(config: ReportConfig) -> ReportConfig:
    base = config.config_path.parent

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    sources = [s.model_copy(update={"path": resolve(s.path)}) for s in config.sources]
    changes = config.changes
    if changes.previous is not None:
        changes = changes.model_copy(update={"previous": resolve(changes.previous)})
    efficiency = config.efficiency
    if efficiency.source == "reference" and efficiency.table is None:
        raise ConfigError(
            f"{config.config_path}: key 'efficiency.table': required when efficiency.source is "
            "'reference' — add the path of the reference CSV"
        )
    if efficiency.table is not None:
        # A reference table is shown beside the measurements; with source: reference the Overview uses it too.
        missing = {"params_m", "memory_mb", "inference_s"} - set(efficiency.columns)
        if missing:
            raise ConfigError(
                f"{config.config_path}: key 'efficiency.columns': missing {', '.join(sorted(missing))} — "
                "map each to a column of the reference table"
            )
        efficiency = efficiency.model_copy(update={"table": resolve(efficiency.table)})
    for source in sources:
        if not source.path.exists():
            raise ConfigError(
                f"{config.config_path}: key 'sources': path {source.path} does not exist — "
                "fix the path (relative paths start at the config file's folder)"
            )
    published = config.published
    if published is not None:
        published = published.model_copy(update={"path": resolve(published.path)})
        if not published.path.is_file():
            raise ConfigError(
                f"{config.config_path}: key 'published.path': {published.path} is not a file — fix the path "
                "(relative paths start at the config file's folder)"
            )
    return config.model_copy(
        update={"sources": sources, "efficiency": efficiency, "changes": changes, "published": published}
    )
