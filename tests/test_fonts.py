"""The shipped fonts' precomputed metrics give exactly the font ReportLab would parse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from booklet import fonts
from booklet.rl_internals import FACE_ARRAYS


def _state(font: TTFont) -> tuple[dict, dict]:
    for key, _, _ in FACE_ARRAYS:  # a face made from metrics makes these when first read
        if key != "hmetricsInt":
            getattr(font.face, key)
    face = {k: repr(v) for k, v in font.face.__dict__.items() if k != "_pdfScale"}
    face["scale(1234)"] = repr(font.face._pdfScale(1234))
    rest = {k: repr(v) for k, v in font.__dict__.items() if k not in ("face", "encoding", "state")}
    return face, rest


@pytest.mark.parametrize("ttf", sorted(fonts.FONT_DIR.glob("*.ttf")), ids=lambda p: p.stem)
def test_precomputed_metrics_match_a_parsed_font(ttf: Path) -> None:
    precomputed = fonts._precomputed(ttf.stem, ttf)
    assert precomputed is not None, f"{fonts.metrics_path(ttf)} is missing or stale: run python -m booklet.fonts"
    assert _state(precomputed) == _state(TTFont(ttf.stem, str(ttf)))


def test_a_changed_font_file_is_parsed_not_read_from_stale_metrics(tmp_path: Path) -> None:
    ttf = tmp_path / "DejaVuSans.ttf"
    shutil.copy(fonts.FONT_DIR / "DejaVuSans.ttf", ttf)
    shutil.copy(fonts.metrics_path(fonts.FONT_DIR / "DejaVuSans.ttf"), fonts.metrics_path(ttf))
    assert fonts._precomputed("x", ttf) is not None
    ttf.write_bytes(ttf.read_bytes() + b"\0")  # any change to the font file
    assert fonts._precomputed("x", ttf) is None


def test_a_face_from_metrics_makes_its_large_fields_when_read() -> None:
    ttf = fonts.FONT_DIR / "DejaVuSans-Bold.ttf"
    font = fonts._precomputed("x", ttf)
    assert font is not None
    fields = [key for key, _, _ in FACE_ARRAYS if key != "hmetricsInt"]
    assert not set(fields) & set(font.face.__dict__)
    widths = font.face.charWidths
    assert font.face.charWidths is widths  # made once, then a plain attribute
    assert widths == TTFont("y", str(ttf)).face.charWidths
    assert "glyphToChar" not in font.face.__dict__
    with pytest.raises(AttributeError):
        font.face.no_such_field  # noqa: B018 - reading it is the test
