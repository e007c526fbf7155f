"""Links from table cells that name a model family or a task to that family's or task's drill-down page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gen.charts import slug
from gen.pages.render import esc, missing, rel
from gen.report import Report


def family_page(family: str) -> str:
    """Where a family's drill-down page lives."""
    return f"families/{slug(family)}.md"


def task_page(task: str) -> str:
    """Where a task's drill-down page lives."""
    return f"tasks/{slug(task)}.md"


def _link(page_path: str, target: str, text: str) -> str:
    # Raw HTML, which MkDocs does not rewrite: point at the built .html file (use_directory_urls is off).
    href = rel(page_path, target).removesuffix(".md") + ".html"
    return f'<a href="{href}">{esc(text)}</a>'


def family_link(report: Report, page_path: str) -> Callable[[Any], str]:
    """Cell formatter: a family with a drill-down page becomes a link to it, shown by its display name (``models:``
    in the config); anything else stays text."""
    families = set(report.glue["family"])
    label = report.config.family_label

    def fmt(value: Any) -> str:
        if missing(value):
            return "—"
        if value in families:
            return _link(page_path, family_page(str(value)), label(str(value)))
        return esc(label(str(value)))

    return fmt


def task_link(report: Report, page_path: str) -> Callable[[Any], str]:
    """Cell formatter for a task (by name or label, e.g. "mnli" or "MNLI-m"): a link to the task's page, a name shown
    as the task's label ("MNLI")."""
    tasks = set(report.cells["column"].map({c.column: c.task for c in report.config.suite.columns()}))
    suite = report.config.suite
    by_text = {t.label: t.name for t in suite.tasks} | {c.label: c.task for c in suite.columns()}
    by_text |= {t: t for t in tasks}
    labels = {t.name: t.label for t in suite.tasks}

    def fmt(value: Any) -> str:
        if missing(value):
            return "—"
        task = by_text.get(str(value))
        shown = labels.get(str(value), str(value))
        return _link(page_path, task_page(task), shown) if task in tasks else esc(shown)

    return fmt


def index_line(report: Report, page_path: str) -> str:
    """Links to every drill-down page, for the page that introduces them."""
    families = family_link(report, page_path)
    tasks = task_link(report, page_path)
    family_links = " · ".join(families(f) for f in dict.fromkeys(report.glue["family"]))
    columns = {c.column: c.task for c in report.config.suite.columns()}
    task_links = " · ".join(
        tasks(report.config.suite.task_label(t)) for t in dict.fromkeys(report.cells["column"].map(columns))
    )
    return f'<p class="drilldown">Drill down by family: {family_links}<br>By task: {task_links}</p>'
