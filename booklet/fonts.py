"""Registers the TrueType fonts (shipped DejaVu Sans, or a clinic's own) with ReportLab."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import BookletError
from .model import FontFiles

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BUILT_IN = FontFiles(
    regular=FONT_DIR / "DejaVuSans.ttf",
    bold=FONT_DIR / "DejaVuSans-Bold.ttf",
    italic=FONT_DIR / "DejaVuSans-Oblique.ttf",
    bold_italic=FONT_DIR / "DejaVuSans-BoldOblique.ttf",
)
#: Characters that are layout, not ink: they need no glyph.
_NO_GLYPH = set("\n\t\r \u00ad\u200b\u200c\u200d\u2060\ufeff")


@dataclass(frozen=True)
class FontSet:
    family: str
    regular: str
    bold: str
    italic: str
    bold_italic: str
    label: str

    def can_draw(self, ch: str) -> bool:
        return ch in _drawable(self.regular, self.bold)


@lru_cache(maxsize=None)
def _register(path: Path) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if path.parent == FONT_DIR:
        name = path.stem  # stable across installs, so output bytes are too
    else:
        name = "F" + hashlib.sha1(path.read_bytes()).hexdigest()[:8] + "-" + path.stem
    try:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except (TTFError, OSError, ValueError) as exc:
        raise BookletError.at(str(path), f"the font cannot be used ({exc})",
                              "name a TrueType (.ttf) font file that allows embedding") from None
    return name


@lru_cache(maxsize=None)
def _drawable(regular: str, bold: str) -> frozenset[str]:
    """Characters both faces have, and those that need no glyph: checking every character of a
    handout is one set lookup each (it was two cmap lookups and a set built per character)."""
    return frozenset(map(chr, _cmap(regular) & _cmap(bold))) | _NO_GLYPH


@lru_cache(maxsize=None)
def _cmap(name: str) -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    return frozenset(pdfmetrics.getFont(name).face.charToGlyph)


@lru_cache(maxsize=None)
def font_set(files: FontFiles = BUILT_IN) -> FontSet:
    """Register a family so that <b> and <i> in paragraphs find their faces."""
    from reportlab.lib.fonts import addMapping

    regular = _register(files.regular)
    bold = _register(files.bold)
    italic = _register(files.italic) if files.italic else regular
    bold_italic = _register(files.bold_italic) if files.bold_italic else bold
    family = regular
    addMapping(family, 0, 0, regular)
    addMapping(family, 1, 0, bold)
    addMapping(family, 0, 1, italic)
    addMapping(family, 1, 1, bold_italic)
    label = "DejaVu Sans" if files == BUILT_IN else files.regular.name
    return FontSet(family, regular, bold, italic, bold_italic, label)
