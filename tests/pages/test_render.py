"""Strings from data stay literal text in HTML, markdown, templates, inline JSON and CSV."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import markdown
import mkdocs.config
import numpy as np
import pandas as pd
import pytest

from gen.charts import Chart, slug
from gen.hooks import use_html_fence
from gen.pages.figure import HTML_FENCE, fenced_html, hide_tables, restore_tables
from gen.pages.render import LISTED_ROWS, Col, chart_block, esc, html_table, listed, num, rel
from gen.pages.site import csv_text, latex_text
from tests.conftest import ROOT

POISON = [
    "<img src=x onerror=alert(1)>",
    "](javascript:alert(1))",
    "[link](javascript:alert(1))",
    "{{ 7*7 }}",
    '=HYPERLINK("http://x")',
    "*bold* _it_ `code` | pipe \\ back",
    "</script><script>alert(1)</script>",
]


def render(fragment: str) -> str:
    """Through Python-Markdown with the site's extensions, as MkDocs would."""
    return markdown.markdown(fragment, extensions=["attr_list", "md_in_html", "tables"])


@pytest.mark.parametrize("value", POISON)
def test_escaped_text_renders_as_itself(value: str) -> None:
    rendered = render(f"<p>{esc(value)}</p>")
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered and "<em>" not in rendered
    assert html.unescape(re.sub(r"</?p>", "", rendered)) == value


@pytest.mark.parametrize("value", POISON)
def test_table_cells_cannot_break_out(value: str) -> None:
    frame = pd.DataFrame({"name": [value], "score": [0.5]})
    rendered = render(html_table(frame, [Col("name", value), Col("score", "Score", num(2), numeric=True)], value))
    assert rendered.count("<tr>") == 2 and rendered.count("<td") == 2
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rendered)
    assert html.unescape(cells[0]) == value


def site_render(page: str) -> str:
    """Through Python-Markdown as the site configures it: mkdocs.yml's extensions and the fence gen/hooks.py adds; each
    line stripped and blank ones dropped (a raw HTML block and a fence differ only in blank lines)."""
    config = mkdocs.config.load_config(str(ROOT / "mkdocs.yml"))
    use_html_fence(config)
    rendered = markdown.markdown(page, extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
    return "\n".join(line.strip() for line in rendered.splitlines() if line.strip())


def test_fenced_tables_and_figures_render_as_the_raw_html_they_replace() -> None:
    frame = pd.DataFrame({"model": POISON, "score": [0.5 + i / 10 for i in range(len(POISON))]})
    table = html_table(frame, [Col("model", POISON[5]), Col("score", "Score", num(3), numeric=True)], POISON[1])
    figure = chart_block(Chart("c", POISON[0], POISON[6], {"mark": "point"}), "tasks/cola.md")
    page = "\n".join(
        [
            *["# Title", "", "Some *text*.", "", table, '<p class="downloads">x</p>', "", figure, "", table],
            *["Right after *this*.", "", "After *that*."],
        ]
    )
    fenced = fenced_html(page)
    assert fenced.count(f"```{HTML_FENCE}\n<table>") == 2
    assert f"```{HTML_FENCE}\n<figure" not in fenced  # its id stays where MkDocs' anchor check sees it
    assert site_render(fenced) == site_render(page)
    assert site_render(fenced).count("<table>") == 2


def test_html_that_markdown_reads_otherwise_is_not_fenced() -> None:
    table = html_table(pd.DataFrame({"a": [1]}), [Col("a", "A")], "caption")
    inline = f"Text right before\n{table}"
    split = "\n\n<table>\n<tr><td>1</td></tr>\n</table>\n"
    code = f"    {table}"
    for page in (inline, split, code):
        assert fenced_html(page) == page


def test_generated_tables_are_set_aside_as_their_captions_and_put_back() -> None:
    frame = pd.DataFrame({"model": POISON, "score": [0.5] * len(POISON)})
    generated = [html_table(frame, [Col("model", "Model")], caption) for caption in (POISON[0], "Second & last")]
    written = site_render("| a | b |\n|---|---|\n| 1 | 2 |")
    page = f"<h2>Scores</h2>\n{generated[0]}\n<p>Between</p>\n{written}\n{generated[1]}"
    shown, hidden = hide_tables(page)
    assert shown == (
        f'<h2>Scores</h2>\n<p data-gen-table="0">{esc(POISON[0])}</p>\n<p>Between</p>\n{written}\n'
        '<p data-gen-table="1">Second &amp; last</p>'
    )
    assert [table for _, table in hidden] == generated
    assert restore_tables(shown, hidden) == page
    with pytest.raises(ValueError, match="changed before it could be put back"):
        restore_tables(shown.replace('data-gen-table="1"', 'data-gen-table="x"'), hidden)


def test_chart_block_escapes_title_and_description() -> None:
    rendered = render(chart_block(Chart(slug(POISON[0]), POISON[0], POISON[2], {"mark": "point"}), "tasks/cola.md"))
    assert rendered.count("<img") == 1 and "<img src=x" not in rendered
    assert rendered.count("<a ") == 4  # the CSV, SVG, PNG and JSON links only
    assert html.unescape(re.search(r"<figcaption>(.*?) · ", rendered).group(1)) == POISON[0]  # type: ignore[union-attr]
    assert html.unescape(re.search(r'aria-label="([^"]*)"', rendered).group(1)) == POISON[2]  # type: ignore[union-attr]
    assert f'data-spec="../charts/{slug(POISON[0])}.vl.json"' in rendered


def test_chart_names_from_data_are_safe_file_names() -> None:
    names = {slug(v) for v in POISON}
    assert len(names) == len(POISON)
    assert all(re.fullmatch(r"[a-z0-9-]+", n) for n in names)
    assert slug("bert") == "bert"


def test_csv_neutralises_formulas_but_not_numbers() -> None:
    frame = pd.DataFrame({"model": ["=HYPERLINK(1)", "+1", "@SUM", "-cmd", "ok"], "value": [-0.5, 1.0, 2.0, 3.0, 4.0]})
    rows = csv_text(frame).splitlines()
    assert rows[1:] == ["'=HYPERLINK(1),-0.5", "'+1,1.0", "'@SUM,2.0", "'-cmd,3.0", "ok,4.0"]


def test_relative_links_from_nested_pages() -> None:
    assert rel("index.md", "charts/a.svg") == "charts/a.svg"
    assert rel("tasks/cola.md", "charts/a.svg") == "../charts/a.svg"


def test_latex_tables_are_booktabs_with_text_escaped() -> None:
    frame = pd.DataFrame({"model": ["a_b & 50% $x$ #1 {y}"], "score": [0.123456]})
    tex = latex_text(frame)
    assert tex.splitlines()[:2] == ["\\begin{tabular}{lr}", "\\toprule"]
    assert "\\midrule" in tex and "\\bottomrule" in tex
    assert "a\\_b \\& 50\\% \\$x\\$ \\#1 \\{y\\} & 0.1235 \\\\" in tex


def styler_latex(frame: pd.DataFrame) -> str:
    """The same table as pandas' Styler writes it (what latex_text was written to match)."""
    styler = frame.style.format(precision=4, escape="latex", na_rep="--").format_index(escape="latex", axis=1)
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    return str(styler.hide(axis="index").to_latex(hrules=True, column_format=align))


def test_latex_tables_are_those_pandas_styler_writes() -> None:
    text = [*POISON[:5], "~ tilde^ caret\\ back\\", "a~\\ b", "^^~~", "50 % & #", "", " lead"]
    rows = len(text)
    frame = pd.DataFrame(
        {
            "name_with {special} & 50%": text,
            "float": [0.123456, float("nan"), float("inf"), -0.0, 1e-9, 12345.678901, -2.5, None, 0.5, 1.0, 3.0, 2.0][
                :rows
            ],
            "int": list(range(-3, rows - 3)),
            "flag": [i % 2 == 0 for i in range(rows)],
            "nullable": pd.array([None if i % 3 == 0 else i for i in range(rows)], dtype="Int64"),
            "category": pd.Categorical([None if i == 1 else f"c_{i % 2}" for i in range(rows)]),
            "object": pd.Series(
                [None, "x", 1.5, 2, "y_z", pd.NaT, np.float32("nan"), Decimal("NaN"), Decimal("1.5"), pd.NA, 7],
                dtype=object,
            ),
            7: [float(i) / 3 for i in range(rows)],
        }
    )
    assert latex_text(frame) == styler_latex(frame)
    assert latex_text(frame.head(0)) == styler_latex(frame.head(0))


def test_lists_of_runs_are_bounded_and_point_to_the_download() -> None:
    """A page lists at most LISTED_ROWS runs, whatever the number of runs; the rest are in the named download."""
    many = pd.DataFrame({"run_id": [f"run-{i}" for i in range(250)]})
    shown, rest = listed(many, "run_health.csv")
    assert shown["run_id"].tolist() == [f"run-{i}" for i in range(LISTED_ROWS)]
    assert "250" in rest[0] and "run_health.csv" in rest[0]
    few = many.head(LISTED_ROWS)
    assert listed(few, "run_health.csv")[0] is few and listed(few, "run_health.csv")[1] == []
