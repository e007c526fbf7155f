"""The compiled-template cache (gen.templates): a template is compiled once, and an edit or damage compiles it again."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from gen import templates

TEMPLATE = "{% for x in items %}<li>{{ x | upper }}</li>{% endfor %}"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPORT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(templates, "_COMPILED", {})
    (tmp_path / "page.html").write_text(TEMPLATE)
    return tmp_path


def render(folder: Path) -> tuple[str, int]:
    """The template rendered by a new environment (as MkDocs makes one per build), and how often it compiled."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True)
    env.bytecode_cache = templates.CompiledTemplates()
    compiled = 0
    compile_source = env.compile

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal compiled
        compiled += 1
        return compile_source(*args, **kwargs)  # type: ignore[arg-type]

    env.compile = counting  # type: ignore[method-assign]
    return env.get_template("page.html").render(items=["a", "<b>"]), compiled


def test_a_new_environment_reuses_the_code_compiled_before(folder: Path) -> None:
    expected = "<li>A</li><li>&lt;B&gt;</li>"
    assert render(folder) == (expected, 1)
    assert render(folder) == (expected, 0)


def test_the_build_cache_keeps_the_code_for_another_process(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    render(folder)
    monkeypatch.setattr(templates, "_COMPILED", {})  # a new process: nothing in memory
    assert render(folder)[1] == 0
    assert len(list((folder / "cache" / "templates").iterdir())) == 1


def test_an_edited_template_is_compiled_again(folder: Path) -> None:
    render(folder)
    (folder / "page.html").write_text(TEMPLATE.replace("upper", "lower"))
    assert render(folder) == ("<li>a</li><li>&lt;b&gt;</li>", 1)


def test_a_damaged_entry_is_compiled_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    render(folder)
    monkeypatch.setattr(templates, "_COMPILED", {})
    (entry,) = (folder / "cache" / "templates").iterdir()
    body = bytearray(entry.read_bytes())
    body[len(body) // 2] ^= 0xFF
    entry.write_bytes(bytes(body))
    assert render(folder) == ("<li>A</li><li>&lt;B&gt;</li>", 1)


def test_other_environment_settings_do_not_share_code(folder: Path) -> None:
    render(folder)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=False)
    env.bytecode_cache = templates.CompiledTemplates()
    assert env.get_template("page.html").render(items=["<b>"]) == "<li><B></li>"
