"""The library's front door (issue 14): `booklet.build` and `booklet.check` take str or Path, write nothing
unless asked, and raise BookletError, and only BookletError, for bad input."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE, RIVERSIDE

import booklet
from booklet import api

HANDOUT = """
    title: Your blood test
    sections:
      - heading: Before the test
        body:
          - Drink water, {{ name }}.
          - image: {src: pictures/arm.svg, alt: An arm with a plaster}
"""
ARM_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="60"><rect width="100" height="60"/></svg>'


@pytest.fixture
def handout(write_yaml: Callable[..., Path]) -> Path:
    path = write_yaml(HANDOUT)
    (path.parent / "pictures").mkdir()
    (path.parent / "pictures" / "arm.svg").write_text(ARM_SVG, encoding="utf-8")
    return path


def test_build_returns_the_pdf_and_writes_nothing(handout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(handout.parent)
    before = sorted(p.name for p in handout.parent.iterdir())
    result = booklet.build(handout.name, values={"name": "Ana"})
    assert result.pdf.startswith(b"%PDF-")
    assert result.pages == 4
    assert result.output is None
    assert sorted(p.name for p in handout.parent.iterdir()) == before
    assert result.inputs == (Path(handout.name), (handout.parent / "pictures" / "arm.svg").resolve())


def test_build_writes_only_the_output_asked_for(handout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "x.pdf"
    out.parent.mkdir()
    result = booklet.build(str(handout), values={"name": "Ana"}, output=str(out))
    assert result.output == out
    assert out.read_bytes() == result.pdf
    assert [p.name for p in out.parent.iterdir()] == ["x.pdf"]


def test_build_takes_str_or_path_and_gives_the_same_bytes() -> None:
    by_str = booklet.build(str(EXAMPLE), clinic=str(RIVERSIDE), variant="large-print")
    by_path = booklet.build(EXAMPLE, clinic=RIVERSIDE, variant="large-print")
    assert by_str.pdf == by_path.pdf
    assert RIVERSIDE in by_path.inputs


def test_build_from_yaml_text_finds_images_from_the_named_folder(handout: Path) -> None:
    from_file = booklet.build(handout, values={"name": "Ana"})
    from_text = booklet.build(handout.parent / "elsewhere.yaml", text=handout.read_text(encoding="utf-8"),
                              values={"name": "Ana"})
    assert from_text.pdf == from_file.pdf
    assert handout.parent / "elsewhere.yaml" not in from_text.inputs


@pytest.mark.parametrize(("call", "message"), [
    (lambda h: booklet.build(h.parent / "missing.yaml"), "file not found"),
    (lambda h: booklet.build(h), "the placeholder {{ name }} has no value"),
    (lambda h: booklet.build(h, values={"name": "Ana"}, variant="poster"), "unknown variant 'poster'"),
    (lambda h: booklet.build(h, values={"name": "Ana"}, paper="A3"), "unknown paper 'A3'"),
    (lambda h: booklet.build(h, values={"name": "Ana"}, clinic=h.parent / "none.yaml"), "file not found"),
    (lambda h: booklet.build(h, text=b"title: [", values={"name": "Ana"}), "YAML syntax error"),
    (lambda h: booklet.build(h, values={"name": "Ana"}, output=h), "would overwrite the input file"),
])
def test_bad_input_raises_booklet_error(handout: Path, call: Callable[[Path], object], message: str) -> None:
    with pytest.raises(booklet.BookletError) as caught:
        call(handout)
    assert message in str(caught.value)
    assert all(isinstance(p, booklet.Problem) for p in caught.value.problems)


def test_check_returns_findings(handout: Path) -> None:
    findings = booklet.check(handout)
    assert findings == booklet.check([str(handout)])
    assert all(isinstance(f, booklet.Finding) for f in findings)
    assert {f.rule for f in findings} >= {"missing-field", "sources"}
    assert all(f.path == str(handout) for f in findings)


def test_check_stays_the_function_when_the_check_module_is_imported() -> None:
    import booklet.check as module_or_function
    from booklet.check import render_text

    assert callable(render_text)
    assert module_or_function is booklet.check is api.check
    assert booklet.check(EXAMPLE, clinic=RIVERSIDE) == booklet.check(EXAMPLE, clinic=RIVERSIDE)


def test_find_clinic_looks_in_the_folder_then_upwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    found = booklet.find_clinic(tmp_path / "a" / "b" / "h.yaml")
    assert found is None or tmp_path not in found.absolute().parents  # none in tmp_path yet
    shutil.copy(RIVERSIDE, tmp_path / "clinic.yaml")
    assert booklet.find_clinic(tmp_path / "a" / "b" / "h.yaml") == tmp_path / "clinic.yaml"
    shutil.copy(RIVERSIDE, tmp_path / "a" / "clinic.yaml")
    assert booklet.find_clinic(str(tmp_path / "a" / "b" / "h.yaml")) == tmp_path / "a" / "clinic.yaml"
    monkeypatch.chdir(tmp_path / "a")
    assert booklet.find_clinic("b/h.yaml") == Path("clinic.yaml")
    assert booklet.find_clinic(api.STDIN) == Path("clinic.yaml")  # standard input: from the current folder


def test_the_front_door_names() -> None:
    for name in booklet.__all__:
        assert getattr(booklet, name) is not None
    assert booklet.Result is api.Result
    with pytest.raises(AttributeError):
        booklet.no_such_thing  # noqa: B018
