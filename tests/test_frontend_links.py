"""Links: every internal link, anchor, resource and download of the built site resolves to a file (and the
anchor to an id on the page it points at); so do the sitemap's URLs and the stylesheets' url()s."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import SITE_URL

# Attributes holding a URL the reader or the page's scripts follow (data-spec/data-static: the chart loader's).
URL_ATTRIBUTES = {"href", "src", "data-spec", "data-static"}
NOT_CHECKED = ("mailto:", "tel:", "data:")


@dataclass
class _Page:
    ids: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = _Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.page.ids.add(value)
            elif name in URL_ATTRIBUTES:
                self.page.urls.append(value)


def parse(path: Path) -> _Page:
    """The ids a page defines and the URLs it refers to."""
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.page


def broken_links(root: Path, site_url: str) -> tuple[list[str], list[str]]:
    """Problems with the site's internal links (``source: url — why``), and its external links (not checked)."""
    pages = {p.relative_to(root).as_posix(): parse(p) for p in sorted(root.rglob("*.html"))}
    refs = [(name, url) for name, page in pages.items() for url in page.urls]
    for sheet in sorted(root.rglob("*.css")):
        source = sheet.relative_to(root).as_posix()
        refs += [(source, url) for url in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", sheet.read_text())]
    if (root / "sitemap.xml").is_file():
        refs += [("sitemap.xml", url) for url in re.findall(r"<loc>([^<]+)</loc>", (root / "sitemap.xml").read_text())]
    problems, external = [], []
    for source, url in refs:
        if url.startswith(NOT_CHECKED):
            continue
        if url.startswith(site_url):
            url = "/" + url.removeprefix(site_url)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            external.append(f"{source}: {url}")
            continue
        base = "" if parts.path.startswith("/") else posixpath.dirname(source)
        target = posixpath.normpath(posixpath.join(base, unquote(parts.path).lstrip("/"))) if parts.path else source
        if target.startswith(".."):
            problems.append(f"{source}: {url} — outside the site")
            continue
        if (root / target).is_dir():
            target = posixpath.join(target, "index.html")
        if not (root / target).is_file():
            problems.append(f"{source}: {url} — no such file")
        elif parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
            problems.append(f"{source}: {url} — no id {parts.fragment!r} on {target}")
    return problems, external


@pytest.mark.parametrize("fixture", ["bundled_site", "published_site"])
def test_no_broken_internal_link_anchor_or_download(fixture: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(fixture)
    problems, external = broken_links(root, SITE_URL)
    assert problems == []
    checked = sum(len(parse(p).urls) for p in root.rglob("*.html"))
    assert checked > 500
    # Outward links (not fetched by the site, not checkable offline) are few: Material's credit in the footer.
    assert len({e.split(": ", 1)[1] for e in external}) <= 3, external


def test_the_checker_finds_missing_files_anchors_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "a.svg").write_text("<svg/>")
    (tmp_path / "style.css").write_text("a { background: url('charts/a.svg') } b { background: url(gone.png) }")
    (tmp_path / "other.html").write_text('<h2 id="there">x</h2>')
    (tmp_path / "index.html").write_text(
        '<a href="other.html#there">ok</a> <a href="#top" id="top">ok</a> <img src="charts/a.svg">'
        '<a href="https://example.org/x">out</a> <a href="http://127.0.0.1:1/other.html">self</a>'
        '<a href="other.html#nowhere">x</a> <a href="missing.csv" download>x</a> <a href="../up.html">x</a>'
        '<div data-spec="charts/b.vl.json"></div> <a href="http://127.0.0.1:1/gone.html">x</a>'
    )
    problems, external = broken_links(tmp_path, "http://127.0.0.1:1/")
    assert problems == [
        "index.html: other.html#nowhere — no id 'nowhere' on other.html",
        "index.html: missing.csv — no such file",
        "index.html: ../up.html — outside the site",
        "index.html: charts/b.vl.json — no such file",
        "index.html: /gone.html — no such file",
        "style.css: gone.png — no such file",
    ]
    assert external == ["index.html: https://example.org/x"]
