"""What every chart shares: the Chart record, the palette, the encodings that mean the same on every page
(colour = strategy, shape = family or run health), the order of families and strategies, and ``_chart``, the one
place specs are finished."""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

import altair as alt
import orjson
import pandas as pd

from gen import memo

# Okabe–Ito: distinguishable with the common colour-vision deficiencies. Ordered so that the first four (the
# strategies most reports have) keep 3:1 contrast against both the light and the dark page background.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
WIDTH = 560
HEIGHT = 320
# Charts with more data rows than this keep their data in charts/<name>.data.json, fetched only when drawn.
INLINE_ROWS = 2000
# Heatmap labels: black on light cells, white on dark ones. 0.18 is the relative luminance where black and white
# text have equal contrast with the cell, so the better of the two is always chosen. {scale} names the colour scale.
DARK_TEXT = "luminance(scale('{scale}', datum.{field})) > 0.18"

# Legend symbols that stand for a shape, not a colour (Vega-Lite draws them black, invisible in the dark scheme),
# reference lines and rings: a grey with 3:1 contrast on both the light and the dark page.
NEUTRAL = "#8c8c8c"
# A quantity is drawn on a log scale when its largest value is at least this many times its smallest.
LOG_SPAN = 10.0
# Shapes of model families, in config order (charts of single runs use shape for run health instead).
FAMILY_SHAPES = ["circle", "square", "triangle-up", "diamond", "triangle-down", "cross", "triangle-left", "wedge"]

# What each cost is: its axis title (with its unit) and, where the name alone does not say it, a definition shown
# as the title's second line. Inference time is the Trainer's eval runtime.
COST_TITLES = {
    "params_m": "Trainable parameters (M)",
    "memory_mb": "GPU memory (MB)",
    "memory_allocated_mb": "GPU memory allocated (MB)",
    "memory_reserved_mb": "GPU memory reserved (MB)",
    "train_time_s": "Train time (s)",
    "eval_runtime_s": "Inference time (s)",
    "inference_s": "Inference time (s)",
    "eval_samples_per_s": "Eval throughput (samples/s)",
}
# Short enough for an axis title under a 200 px panel; descriptions repeat it in full.
INFERENCE_DEFINITION = "one pass over the validation split"
COST_DEFINITIONS = {
    "params_m": "M = millions",
    "memory_allocated_mb": "largest per-epoch sample",
    "memory_reserved_mb": "largest per-epoch sample",
    "train_time_s": "one whole training run",
    "eval_runtime_s": INFERENCE_DEFINITION,
    "eval_samples_per_s": "validation examples per second",
}

# The same, in full, for the chart's text description.
COST_NOTES = {
    "params_m": "Trainable parameters are counted in millions (M).",
    "memory_allocated_mb": (
        "Memory is the largest of the run's per-epoch samples of allocated GPU memory, in MB: snapshots, not a "
        "peak tracked within training steps."
    ),
    "memory_reserved_mb": (
        "Memory is the largest of the run's per-epoch samples of reserved GPU memory, in MB: snapshots, not a "
        "peak tracked within training steps."
    ),
    "train_time_s": "Train time is one whole training run, in seconds.",
    "eval_runtime_s": (
        "Inference time is one evaluation pass over the task's validation split (the Trainer's eval runtime), in "
        "seconds."
    ),
    "eval_samples_per_s": "Eval throughput is validation examples evaluated per second.",
}


@dataclass(frozen=True)
class Chart:
    """A named chart: its stable name (used in file names and references), title, text description, spec."""

    name: str
    title: str
    description: str
    spec: dict[str, Any]

    def to_bytes(self) -> bytes:
        """The chart as JSON (for the build cache: data only)."""
        return orjson.dumps([self.name, self.title, self.description, self.spec], option=orjson.OPT_SERIALIZE_NUMPY)

    @classmethod
    def from_bytes(cls, data: bytes) -> Chart:
        """A chart from ``to_bytes``; ValueError when the bytes are not one."""
        try:
            name, title, description, spec = orjson.loads(data)
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            raise ValueError(f"not a chart: {exc}") from None
        if not (isinstance(name, str) and isinstance(title, str) and isinstance(description, str)):
            raise ValueError("not a chart: name, title or description is not text")
        if not isinstance(spec, dict):
            raise ValueError("not a chart: the spec is not an object")
        return cls(name, title, description, spec)


P = ParamSpec("P")


def reused(build: Callable[P, Chart]) -> Callable[P, Chart]:
    """A chart builder whose charts are kept by a digest of its arguments during a build (gen.memo.keyed): building
    a spec with Altair costs tens of milliseconds, and after a small change most charts get the same arguments."""

    @functools.wraps(build)
    def reusing(*args: P.args, **kwargs: P.kwargs) -> Chart:
        inputs = memo.ACTIVE
        if inputs is None:
            return build(*args, **kwargs)
        key = memo.digest(build.__module__, build.__qualname__, args, kwargs)
        return inputs.keyed(key, lambda: build(*args, **kwargs), Chart.to_bytes, Chart.from_bytes)

    return reusing


def text_color(scale: str, field: str) -> alt.ColorValue:
    """Black text on light cells of the colour scale ``scale``, white on dark ones (a channel object: Altair turns
    the dict alt.condition gives into one by searching its whole schema, milliseconds per chart)."""
    dark = {"test": DARK_TEXT.format(scale=scale, field=field), "value": "black"}
    return alt.ColorValue(value="white", condition=dark)


def slug(text: str) -> str:
    """A file-name-safe stable name for a data value; a short hash keeps distinct values distinct."""
    simple = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    if simple == text:
        return simple
    return f"{simple or 'x'}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def in_order(configured: Sequence[str] | None, present: Iterable[Any]) -> list[str]:
    """Values in the configured order, then any others present, alphabetically (as gen.analysis.order sorts
    rows); without a configured order, the order in which they appear."""
    seen = [str(v) for v in dict.fromkeys(present) if not pd.isna(v)]
    if configured is None:
        return seen
    listed = list(configured)
    return [*listed, *sorted(set(seen) - set(listed))]


def strategy_color(strategies: list[str]) -> alt.Color:
    """The same colour for a strategy on every chart, legend in config order."""
    return alt.Color(
        "strategy:N",
        title="Strategy",
        scale=alt.Scale(domain=strategies, range=PALETTE[: len(strategies)]),
        sort=strategies,
    )


def family_shape(families: list[str]) -> alt.Shape:
    """The same shape for a model family on every chart of aggregates, legend in config order."""
    shapes = [FAMILY_SHAPES[i % len(FAMILY_SHAPES)] for i in range(len(families))]
    return alt.Shape("family:N", title="Model family", scale=alt.Scale(domain=families, range=shapes), sort=families)


# Run health drawn as shape (colour stays the strategy): a filled circle for a healthy run, open marks otherwise.
HEALTH_SHAPES = {"healthy": "circle", "collapsed": "cross", "outlier": "triangle-down", "duplicate": "square"}


def health_shape() -> alt.Shape:
    """Every run's health verdict as its mark's shape, with the legend that names them."""
    return alt.Shape(
        "verdict:N",
        title="Run health",
        scale=alt.Scale(domain=list(HEALTH_SHAPES), range=list(HEALTH_SHAPES.values())),
    )


def health_tooltips() -> list[alt.Tooltip]:
    """The verdict and its reason, for the tooltip of a run."""
    return [alt.Tooltip("verdict:N", title="Run health"), alt.Tooltip("health_reason:N", title="Why")]


def with_health(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs with a verdict and reason column (healthy when the analysis gave none)."""
    verdict = frame["verdict"] if "verdict" in frame else pd.Series("healthy", index=frame.index)
    reason = frame["health_reason"] if "health_reason" in frame else pd.Series("", index=frame.index)
    return frame.assign(verdict=verdict.fillna("healthy"), health_reason=reason.fillna(""))


def spans_orders(values: pd.Series) -> bool:
    """True when positive values span an order of magnitude or more: drawn on a log scale, so the small ones show."""
    clean = pd.to_numeric(values, errors="coerce").dropna()
    if clean.empty or (clean <= 0).any():
        return False
    return bool(clean.max() / clean.min() >= LOG_SPAN)


def cost_title(cost: str, label: str | None = None, log: bool = False, definition: str | None = None) -> list[str]:
    """An axis title for a cost: its name and unit, then what it measures and the scale, one line each."""
    name = label or COST_TITLES.get(cost, cost)
    lines = [name[:1].upper() + name[1:]]
    detail = definition if definition is not None else COST_DEFINITIONS.get(cost, "")
    notes = [n for n in (detail, "log scale" if log else "") if n]
    if notes:
        lines.append(" · ".join(notes))
    return lines


def cost_scale(log: bool) -> alt.Scale:
    """A log scale, or a linear one that need not start at zero."""
    return alt.Scale(type="log") if log else alt.Scale(zero=False)


def facet_columns(panels: int) -> int:
    """Panels per row in the static rendering (the browser reflows them to the screen, see charts.js)."""
    return max(1, min(3, panels))


def finish(name: str, title: str, description: str, chart: alt.TopLevelMixin) -> Chart:
    """The one place a spec is finished: title, description, shared config, and responsive width."""
    # Altair's schema validation is a third of the spec time; the tests validate every spec a site ships instead.
    spec = chart.to_dict(validate=False)
    # Set on the spec rather than by Altair's properties(), which builds a layered chart again, copying each layer.
    spec["title"] = title
    spec["description"] = description
    config = spec.setdefault("config", {})
    # Legend symbols are always opaque (a band's 0.2 opacity made the training legends vanish on a dark page).
    config.setdefault("legend", {}).update(symbolBaseFillColor=NEUTRAL, symbolOpacity=1)
    # Log axes put 100 and 200 side by side: keep a gap between labels, dropping the ones that would touch.
    config.setdefault("axis", {}).update(labelSeparation=4)
    # Panel headers name what a panel shows (a family, a method): as prominent as a legend title.
    config.setdefault("header", {}).update(labelFontSize=12, labelFontWeight="bold")
    if isinstance(spec.get("width"), int):
        # Single and layered views fill their container in the browser (any screen width); static renderings
        # get the fixed width back (see static_spec). Faceted and concatenated charts keep fixed panels, which
        # charts.js reflows to the screen.
        spec["width"] = "container"
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return Chart(name, title, description, spec)


def records(frame: pd.DataFrame) -> pd.DataFrame:
    """Altair cannot serialise pandas' nullable dtypes or categoricals reliably; plain objects/floats can."""
    return pd.DataFrame({c: frame[c].astype(object) if frame[c].dtype != float else frame[c] for c in frame})


def round_out(low: float, high: float, step: float = 0.05) -> list[float]:
    """[low, high] widened to multiples of ``step`` (never empty): a colour domain that reads as round numbers."""
    lo, hi = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    if hi <= lo:
        hi = lo + step
    return [round(lo, 6), round(hi, 6)]
