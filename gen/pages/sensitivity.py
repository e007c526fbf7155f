"""The Overview's headline figures with healthy runs only: each beside its value with every valid run, and what a
healthy-only figure leaves out (a task no healthy run covers)."""

from __future__ import annotations

import re

from gen.pages.figure import title_attr
from gen.pages.links import family_link
from gen.pages.render import Col, esc, html_table, num, raw
from gen.report import Report


def healthy_observations(report: Report) -> dict[tuple[str, str, str], tuple[float, str]]:
    """(observation, from, to) -> its value over healthy runs only, and what that value leaves out (``without``)."""
    rows = report.sensitivity
    rows = rows[rows["family"] == "all families"]
    return {
        (str(r["figure"]), str(r["from"]), str(r["to"])): (float(r["healthy_only"]), without(report, r))
        for r in ({str(k): v for k, v in row.items()} for row in rows.to_dict("records"))
        if r["healthy_only"] == r["healthy_only"]
    }


def without(report: Report, row: dict[str, object]) -> str:
    """ " (without QQP: no healthy run)" when a healthy-only figure averages fewer task columns than the figure with
    every run (no healthy run there): its change is then partly the task mix. A figure over families names the
    family and strategy each missing column is missing from. Empty when it covers the same columns."""
    missing = str(row.get("healthy_missing") or "").split()
    if not missing:
        return ""
    labels = {c.column: c.label for c in report.config.suite.columns()}

    def named(columns: str) -> str:
        return ", ".join(labels.get(c, c) for c in columns.split())

    if row.get("family") != "all families":
        return f" (without {named(' '.join(missing))}: no healthy run)"
    table = report.sensitivity
    lacking = table[
        (table["figure"] == "glue_score")
        & table["to"].isin([row.get("from"), row.get("to")])
        & (table["healthy_missing"] != "")
    ]
    cells: dict[str, list[str]] = {}
    for r in lacking.to_dict("records"):
        cells.setdefault(str(r["healthy_missing"]), []).append(
            f"{report.config.family_label(str(r['family']))} {r['to']}"
        )
    where = "; ".join(f"{named(columns)} for {' and '.join(names)}" for columns, names in cells.items())
    return f" (without {where}: no healthy run)"


def score_change(difference: object) -> str:
    """How much a suite score moves without the unhealthy runs, in points to the precision scores are shown with
    (four decimals: hundredths of a point); "same" when that rounds to zero."""
    if not isinstance(difference, float | int) or difference != difference:
        return "—"
    text = f"{100 * difference:+.2f} points"
    return "same" if re.fullmatch(r"[+-]?0\.00 points", text) else text


def sensitivity_table(report: Report, page_path: str) -> str:
    """The suite score of every (family, strategy) with all valid runs and with healthy runs only, side by side
    (the key observations above carry their own healthy-only values); a healthy-only score over fewer task columns
    is marked † and the columns it lacks are named under the table."""
    table = report.sensitivity
    table = table[table["figure"] == "glue_score"]
    if table.empty:
        return "<p>No headline figure to compare.</p>"
    rows = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
    lacking = [without(report, r) for r in rows]
    shown = table.assign(
        change=[score_change(d) for d in table["difference"]],
        healthy_display=[
            num(4)(r["healthy_only"]) + (f'<sup title="{title_attr(mark.strip(" ()"))}">†</sup>' if mark else "")
            for r, mark in zip(rows, lacking, strict=True)
        ],
    )
    notes = [
        f"{esc(report.config.family_label(str(r['family'])))} {esc(r['to'])}{esc(mark)}"
        for r, mark in zip(rows, lacking, strict=True)
        if mark
    ]
    note = (
        '<p class="coverage-note">† Averaged over fewer task columns than with every run, so the change is partly '
        f"the task mix: {'; '.join(notes)}.</p>"
        if notes
        else ""
    )
    return (
        html_table(
            shown,
            [
                Col("family", "Family", family_link(report, page_path)),
                Col("to", "Strategy"),
                Col("all_runs", "All valid runs", num(4), numeric=True),
                Col("healthy_display", "Healthy runs only", raw, numeric=True, value="healthy_only"),
                Col("change", "Change", raw, numeric=True, value="difference"),
                Col("n_runs_all", "Runs (all)", num(0), numeric=True),
                Col("n_runs_healthy", "Runs (healthy)", num(0), numeric=True),
            ],
            f"{report.config.suite.name} score per family and strategy with every valid run and with healthy runs only",
        )
        + note
    )
