"""The shipped fonts' precomputed metrics give exactly the font ReportLab would parse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from booklet import fonts


def _state(font: TTFont) -> tuple[dict, dict]:
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
