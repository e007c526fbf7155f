"""Hand-written pages embed generated tables, charts and numbers by name; a typo fails with the valid names."""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gen.charts import Chart
from gen.pages.embeds import EmbedError, Embeds
from gen.pages.figure import HTML_FENCE
from gen.pages.render import Col, html_table
from tests.conftest import ROOT, build_site
from tests.pages.test_render import site_render

EMBEDS = Embeds(
    tables={"combined": "<table><caption>c</caption></table>"},
    charts={"score": Chart("score", "Score", "A chart", {"mark": "point"})},
    numbers={"runs": "81", "glue_drop.FFT.LoRA": "0.009 (0.9 points)"},
)


def test_markers_expand_outside_code() -> None:
    page = (
        "Runs: [[number:runs]].\n\n[[table:combined]]\n\n`[[number:runs]]`\n\n```\n[[chart:nope]]\n```\n[[chart:score]]"
    )
    out = EMBEDS.expand(page, "notes/analysis.md")
    assert out.startswith("Runs: 81.") and "<table><caption>c</caption></table>" in out
    assert "`[[number:runs]]`" in out and "[[chart:nope]]" in out
    assert 'data-spec="../charts/score.vl.json"' in out


def test_a_table_markdown_would_read_as_a_raw_block_is_fenced_and_renders_the_same() -> None:
    table = html_table(pd.DataFrame({"model": ["BERT & <b>"], "score": [0.5]}), [Col("model", "Model")], "Scores")
    embeds = Embeds(tables={"combined": table})
    fence = f"```{HTML_FENCE}\n{table}\n```"
    for page in (
        "[[table:combined]]",
        "Intro.\n\n[[table:combined]]\nRight after *this*.",
        "A\n  \n[[table:combined]]",
    ):
        expanded = embeds.expand(page, "writing.md")
        assert expanded.count(fence) == 1, page
        assert site_render(expanded) == site_render(page.replace("[[table:combined]]", table))
    # Inline, right under a line of text, or with more on its line: Markdown reads it otherwise; left as it is.
    for page in ("Runs [[table:combined]].", "Intro.\n[[table:combined]]", "```\nc\n```\n[[table:combined]]"):
        assert embeds.expand(page, "writing.md") == page.replace("[[table:combined]]", table)


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(EmbedError) as error:
        EMBEDS.expand("[[number:glue_drop.FFT.LORA]]", "notes.md")
    assert str(error.value) == (
        "notes.md: [[number:glue_drop.FFT.LORA]] names no number of this report; valid: glue_drop.FFT.LoRA, runs"
    )


def test_writing_page_shows_the_same_numbers_as_the_downloads(bundled_site: Path) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", "", (bundled_site / "writing.html").read_text()))
    with (bundled_site / "downloads" / "runs.csv").open() as handle:
        runs = sum(1 for _ in csv.DictReader(handle))
    with (bundled_site / "downloads" / "coverage.csv").open() as handle:
        cells = list(csv.DictReader(handle))
    rate = sum(int(c["present"]) for c in cells) / sum(int(c["expected"]) for c in cells)
    assert f"rests on {runs} runs, and {rate:.1%} of the experiment grid is complete" in text
    with (bundled_site / "downloads" / "combined.csv").open() as handle:
        combined = list(csv.DictReader(handle))
    assert all(f"{float(r['glue_score']):.4f}" in text for r in combined)


def test_a_typo_fails_the_build_with_the_valid_names(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "writing.md").write_text("# Notes\n\nWe ran [[number:runz]] runs.\n")
    for relative in ("overrides", "gen", "data"):  # mkdocs.yml paths resolve against the inheriting config
        (tmp_path / relative).symlink_to(ROOT / relative)
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {docs}\n")
    result = build_site(tmp_path / "site", mkdocs_config=config)
    assert result.returncode != 0
    assert "writing.md: [[number:runz]] names no number of this report; valid: " in result.stderr
    assert "runs" in result.stderr and "Traceback" not in result.stderr
