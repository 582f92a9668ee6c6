"""Registers the TrueType fonts (shipped DejaVu Sans, or a clinic's own) with ReportLab."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from functools import cache
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
NO_GLYPH = frozenset("\n\t\r \u00ad\u200b\u200c\u200d\u2060\ufeff")


@dataclass(frozen=True)
class FontSet:
    family: str
    regular: str
    bold: str
    italic: str
    bold_italic: str
    label: str

    def can_draw(self, ch: str) -> bool:
        """Both faces have the character; or it is in a script the shaping stage sets (booklet.scripts) and
        that script's own fonts have it (shaped text is drawn in them, whatever the clinic's font)."""
        return ch in _drawable(self.regular, self.bold) or _shaped_can_draw(ch)


@cache
def _register(path: Path) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    digest = ""
    try:
        data = path.read_bytes()  # once: for the name and for the metrics' check (a CJK face is 6 to 10 MB)
        if path.parent == FONT_DIR:
            name = path.stem  # stable across installs, so output bytes are too
        else:
            digest = hashlib.sha1(data).hexdigest()[:8]
            name = "F" + digest + "-" + path.stem
        font = _precomputed(name, path, data) or TTFont(name, str(path))
        if digest:
            # ReportLab gives a font whose PostScript name it has seen before the first such font's face (its
            # glyphs and widths): two house fonts named alike (a clinic's new version of its font, or one
            # shipped font's name) would be drawn and checked with the other's. The file's digest makes the
            # name its own (and it is the subset's base font name in the PDF).
            font.face.name = font.face.name + b"-" + digest.encode("ascii")
        pdfmetrics.registerFont(font)
    except (TTFError, OSError, ValueError) as exc:
        raise BookletError.at(str(path), f"the font cannot be used ({exc})",
                              "name a TrueType (.ttf) font file that allows embedding") from None
    return name


#: First line of a metrics file; the number changes when its layout does.
METRICS_MAGIC = b"booklet font metrics 1\n"


def metrics_path(font: Path) -> Path:
    return font.with_suffix(".metrics")


def _precomputed(name: str, path: Path, font_data: bytes | None = None):  # type: ignore[no-untyped-def]
    """A shipped font with its metrics read from the file beside it (None when that is missing or stale)."""
    from array import array

    from .rl_internals import ttfont_from_metrics

    try:
        data = metrics_path(path).read_bytes()
    except OSError:
        return None
    if not data.startswith(METRICS_MAGIC):
        return None
    end = data.index(b"\n", len(METRICS_MAGIC))
    header = json.loads(data[len(METRICS_MAGIC):end])
    if font_data is None:
        font_data = path.read_bytes()
    if header["sha256"] != hashlib.sha256(font_data).hexdigest():
        return None  # the font file changed: parse it (and run `python -m booklet.fonts`)
    arrays, offset = [], end + 1
    for code, count in header["arrays"]:
        a = array(code)
        a.frombytes(data[offset:offset + count * a.itemsize])
        if sys.byteorder != "little":  # pragma: no cover - stored little-endian
            a.byteswap()
        arrays.append(a)
        offset += count * a.itemsize
    return ttfont_from_metrics(name, str(path), font_data, header["scalars"], arrays)


def write_metrics(path: Path) -> Path:
    """Parse a shipped font (or a CJK face booklet made) and store what ReportLab extracts from it, for
    `_precomputed`: reading a 10 MB face's metrics back is about 20 times faster than parsing it."""
    from reportlab.pdfbase.ttfonts import TTFont

    from .rl_internals import face_metrics

    scalars, arrays = face_metrics(TTFont(path.stem, str(path)))
    header = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "scalars": scalars,
              "arrays": [[a.typecode, len(a)] for a in arrays]}
    blobs = []
    for a in arrays:
        if sys.byteorder != "little":  # pragma: no cover
            a.byteswap()
        blobs.append(a.tobytes())
    from .output import write_atomic

    target = metrics_path(path)
    # whole or not at all: another process may be reading it
    write_atomic(target, METRICS_MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + b"".join(blobs),
                 fsync=False)
    return target


def _shaped_can_draw(ch: str) -> bool:
    from .scripts import script_of

    script = script_of(ch)
    if script is not None and script.support == "shaped" and script.cjk_face:  # the optional CJK fonts
        from .cjk import can_draw

        return can_draw(ch)
    if script is None or script.support != "shaped" or script.fonts is None:
        return False
    return ch in _drawable(register_file(script.fonts[0]), register_file(script.fonts[1]))


@cache
def _drawable(regular: str, bold: str) -> frozenset[str]:
    """Characters both faces have, and those that need no glyph: checking every character of a
    handout is one set lookup each (it was two cmap lookups and a set built per character)."""
    return frozenset(map(chr, _cmap(regular) & _cmap(bold))) | NO_GLYPH


@cache
def _cmap(name: str) -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    return frozenset(pdfmetrics.getFont(name).face.charToGlyph) - _PRIVATE.get(name, set())


#: Private-use codes given to glyphs that have no character of their own (ligatures, conjuncts, contextual
#: forms), per registered font: ReportLab subsets and draws fonts by character, so a shaped glyph is drawn
#: through a code. Each font's codes are a function of the font alone (the n-th unmapped glyph gets the n-th
#: free code from U+E000), so the same glyph gets the same code in every process and every document. They are
#: never characters of the text (`_cmap` leaves them out; the text layer comes from /ActualText).
_PRIVATE: dict[str, set[int]] = {}
_PRIVATE_TABLES: dict[str, dict[int, int]] = {}
PRIVATE_USE = range(0xE000, 0xF900)


def glyph_code(name: str, glyph: int, width: float) -> int:
    """The character code that draws `glyph` of the registered TrueType font `name` (its own character when
    it has one, else a private-use code, registered with the font with `width` in 1/1000 em)."""
    from reportlab.pdfbase import pdfmetrics

    from .rl_internals import add_glyph_code, glyph_chars

    font = pdfmetrics.getFont(name)
    face = font.face
    chars = glyph_chars(font).get(glyph)
    private = _PRIVATE.setdefault(name, set())
    if chars:
        for char in chars:
            if char not in private or face.charToGlyph.get(char) == glyph:
                return char
    table = _PRIVATE_TABLES.get(name)
    if table is None:
        mapped = {g for g, cs in glyph_chars(font).items() if any(c not in private for c in cs)}
        free = (c for c in PRIVATE_USE if c not in face.charToGlyph)
        table = _PRIVATE_TABLES[name] = {g: next(free) for g in range(face.numGlyphs) if g not in mapped}
    code = table[glyph]
    if code not in private:
        private.add(code)
        add_glyph_code(font, code, glyph, width)
    return code


def private_codes(name: str) -> frozenset[int] | set[int]:
    """The private-use codes `glyph_code` gave glyphs of the font `name` (not characters of any text)."""
    return _PRIVATE.get(name, frozenset())


def register_file(file_name: str) -> str:
    """Register a font shipped in booklet/fonts (by file name) and return its ReportLab name."""
    return _register(FONT_DIR / file_name)


@cache
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
    if files != BUILT_IN:
        _HOUSE[family.lower()] = (str(files.regular), str(files.bold), str(files.italic or files.regular),
                                  str(files.bold_italic or files.bold))
    return FontSet(family, regular, bold, italic, bold_italic, label)


#: A clinic's house font family (its ReportLab name, in lower case as ReportLab's font mapping keeps it) -> its
#: files: regular, bold, italic, bold italic.
_HOUSE: dict[str, tuple[str, str, str, str]] = {}


def house_faces(font_name: str) -> tuple[str, str, str, str] | None:
    """The files of the clinic's house family a style's font belongs to (any of its faces), None for the shipped
    DejaVu Sans: the shaping stage draws the characters the house faces have in them (booklet.shaping)."""
    from reportlab.lib.fonts import ps2tt

    try:
        family = ps2tt(font_name)[0]
    except ValueError:
        return None
    return _HOUSE.get(family)


if __name__ == "__main__":  # python -m booklet.fonts: refresh the metrics of the shipped fonts
    for ttf in sorted(FONT_DIR.glob("*.ttf")):
        print(write_metrics(ttf))  # noqa: T201 - a developer's command
