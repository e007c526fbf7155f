"""PEFT variants' charts: each method's share of full fine-tuning's score, and the rank sweep."""

from __future__ import annotations

import altair as alt
import pandas as pd

from gen.charts.base import HEIGHT, PALETTE, WIDTH, Chart, facet_columns, finish, in_order, records, reused, slug


@reused
def method_shares(ranking: pd.DataFrame, group: str, group_label: str | None = None, baseline: str = "FFT") -> Chart:
    """Bar chart of each method's average share of the baseline's score within one group (``group_label``: its
    display name)."""
    data = records(ranking[ranking["group"] == group])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("average_pct_of_baseline:Q", title="Share of FFT's score", axis=alt.Axis(format="%")),
            y=alt.Y("method:N", title="Method", sort="-x"),
            color=alt.ColorValue(value=PALETTE[0]),
            tooltip=[
                alt.Tooltip("method:N"),
                alt.Tooltip("average:Q", format=".4f", title="Average score"),
                alt.Tooltip("average_pct_of_baseline:Q", format=".1%", title="Share of FFT"),
            ],
        )
        .properties(width=WIDTH, height=30 * max(1, len(data)))
    )
    name = group_label or group
    description = f"Bar chart of each PEFT method's average score as a share of {baseline}'s, {name}."
    return finish(f"method-shares-{slug(group)}", f"Share of {baseline} by method — {name}", description, chart)


@reused
def rank_sweep_chart(
    sweep: pd.DataFrame, group: str, families: list[str] | None = None, group_label: str | None = None
) -> Chart:
    """Score against trainable parameters across LoRA ranks, a line per method, a panel per family."""
    data = records(sweep[(sweep["group"] == group) & sweep["complete"].astype(bool)])
    methods = sorted(data["method"].unique()) if len(data) else []
    panels = data["family"].nunique() if len(data) else 1
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "params_m:Q",
                title=["Trainable parameters (M)", "M = millions · log scale"],
                scale=alt.Scale(type="log"),
            ),
            y=alt.Y("score:Q", title="Score", scale=alt.Scale(zero=False)),
            color=alt.Color("method:N", title="Method", scale=alt.Scale(domain=methods, range=PALETTE[: len(methods)])),
            tooltip=[
                alt.Tooltip("method:N"),
                alt.Tooltip("family:N"),
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("score:Q", format=".4f"),
                alt.Tooltip("params_m:Q", format=".3f"),
            ],
        )
        .properties(width=WIDTH // max(1, panels), height=HEIGHT)
        .facet(
            facet=alt.Facet("family:N", title=None, sort=in_order(families, data["family"] if len(data) else [])),
            columns=facet_columns(panels),
        )
    )
    name = group_label or group
    description = f"Line chart of score against trainable parameters as the LoRA rank grows, per method, {name}."
    return finish(f"rank-sweep-{slug(group)}", f"Rank sweep — {name}", description, chart)
