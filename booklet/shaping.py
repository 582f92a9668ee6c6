"""The shaping stage: text runs into shaped, ordered, positioned lines, for every script that needs it.

ReportLab draws one glyph per character from left to right. Scripts whose letters join or reorder
(Arabic, the Indic scripts) or that run right to left (Arabic, Hebrew) need more, and this module
does all of it, as data in and data out (no ReportLab; `booklet.shaped` draws the result):

1. **Itemise**: the paragraph's characters get a font each (`booklet.scripts` says which font a
   script's letters take; Latin letters and digits take the Latin face; spaces, punctuation and
   marks follow their neighbours when that font has them), and a bidi embedding level (the Unicode
   bidi algorithm, python-bidi, with phone numbers, dates and times isolated so that their digit
   groups stay in reading order). Runs of one font, style and level are items.
2. **Shape** each item with HarfBuzz (uharfbuzz), with direction, script and language set and the
   whole paragraph as context (so an Arabic word half in bold still joins).
3. **Break lines** at spaces on the shaped advances (never inside a phone number, date or time).
4. **Order** each line: the pieces of items on it are reversed by level (UAX #9 rule L2) and placed
   from the left; each piece keeps the logical text of each of its clusters, from which `booklet.shaped`
   writes /ActualText, so the text layer reads in logical order, with no private-use characters.

Adding a script is a row in `booklet.scripts.SCRIPTS` (its tag, direction and fonts); nothing here
names a script. uharfbuzz and python-bidi are imported only when a paragraph is shaped, so Latin,
Greek and Cyrillic handouts, which never come here, never load them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .scripts import BREAK_RULES, Script, needs_shaping, script_of

__all__ = ["needs_shaping"]  # re-exported: decided from the script table (booklet.scripts)

FONT_DIR = Path(__file__).resolve().parent / "fonts"

#: The Latin face for every style (bold, italic), as font file names in FONT_DIR.
LATIN = {(False, False): "DejaVuSans.ttf", (True, False): "DejaVuSans-Bold.ttf",
         (False, True): "DejaVuSans-Oblique.ttf", (True, True): "DejaVuSans-BoldOblique.ttf"}

#: Characters that belong to a script's block but are shared by several scripts (Unicode Script=Common):
#: they follow their neighbours like punctuation. The danda and double danda end sentences in Devanagari,
#: Bengali, Gurmukhi and more.
_SHARED = frozenset("\u0964\u0965")

#: Phone numbers, dates and times: digit groups joined by spaces, dots, slashes, hyphens or colons. They
#: are isolated for the bidi algorithm (else "0207 946 0123" in Arabic shows as "0123 946 0207") and
#: never broken across lines.
NUMBER_GROUPS = re.compile(r"(?<!\w)\+?\d+(?:[ \u00a0.\-/:]\d+)+(?!\w)")

#: Bidi classes that make a paragraph need the bidi algorithm at all.
_RTL_CLASSES = frozenset({"R", "AL", "RLE", "RLO", "RLI", "LRE", "LRO", "LRI", "FSI"})
_LRI, _PDI = "\u2066", "\u2069"
#: HB_BUFFER_CONTEXT_LENGTH: how many characters before and after a run HarfBuzz reads for context.
_CONTEXT = 5


class ShapingError(ValueError):
    """Text the shaping stage cannot set: a character none of the fonts has."""


@dataclass(frozen=True)
class Run:
    """A piece of a paragraph's text in one style."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Piece:
    """Glyphs of one font on one line, with the logical text they stand for.

    `x` is where the piece starts on the line (points from the line's left end); each glyph is
    (glyph id, x from the piece's start, y offset, cluster) in points, in visual order, where the
    cluster is the index in `text` (the logical text of the piece) of the first character it draws.
    Spaces are glyphs too (drawn: they put real spaces in the text layer).
    """

    font: str  # font file name in FONT_DIR
    x: float
    width: float
    glyphs: tuple[tuple[int, float, float, int], ...]
    text: str
    start: int  # logical index of the first character in the paragraph
    rtl: bool


    def clusters(self) -> list[tuple[str, list[tuple[int, float, float, int]]]]:
        """The piece's clusters left to right: (the text it stands for, its glyphs left to right)."""
        starts = sorted({g[3] for g in self.glyphs})
        ends = dict(zip(starts, [*starts[1:], len(self.text)], strict=True))
        groups: dict[int, list[tuple[int, float, float, int]]] = {c: [] for c in starts}
        for g in self.glyphs:
            groups[g[3]].append(g)
        ordered = [(self.text[c:ends[c]], sorted(groups[c], key=lambda g: g[1])) for c in starts]
        return ordered[::-1] if self.rtl else ordered


@dataclass(frozen=True)
class Line:
    width: float
    pieces: tuple[Piece, ...]  # in logical order (the order they are drawn in: see booklet.shaped)
    start: int
    end: int
    #: The line ends between two words: a space is drawn after its logically last piece (in the text layer).
    at_space: bool = False

    def visual(self) -> list[Piece]:
        return sorted(self.pieces, key=lambda p: p.x)


@dataclass
class _Item:
    start: int
    end: int
    font: str
    level: int
    tag: str
    # shaped glyphs in visual order: (glyph id, cluster, advance, x offset, y offset), in em (size 1)
    glyphs: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    _keys: list[int] = field(default_factory=list)  # the clusters, ascending (negated right to left)

    def between(self, start: int, end: int) -> list[tuple[int, int, float, float, float]]:
        """The glyphs of the characters start..end, in visual order (HarfBuzz's clusters are monotone: rising
        left to right, falling right to left), found by bisection: a long paragraph is not scanned per line."""
        if not self._keys and self.glyphs:
            sign = -1 if self.level % 2 else 1
            self._keys = [sign * g[1] for g in self.glyphs]
        if self.level % 2:
            lo, hi = bisect.bisect_left(self._keys, -(end - 1)), bisect.bisect_right(self._keys, -start)
        else:
            lo, hi = bisect.bisect_left(self._keys, start), bisect.bisect_left(self._keys, end)
        return self.glyphs[lo:hi]


@cache
def _hb_font(name: str) -> tuple[Any, int]:
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(FONT_DIR / name)))
    return hb.Font(face), face.upem


@lru_cache(maxsize=1 << 14)
def _has(name: str, cp: int) -> bool:
    font, _ = _hb_font(name)
    return font.get_nominal_glyph(cp) is not None


def _is_common(ch: str) -> bool:
    """Punctuation, spaces, marks and format characters: they take the font of their neighbours."""
    if ch in _SHARED:
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "PZMC" or (cat[0] == "S" and script_of(ch) is None)


@lru_cache(maxsize=1 << 14)
def _cjk_font(ch: str, script: Script, bold: bool, language: str) -> str:
    """A Chinese, Japanese or Korean character's font (booklet.cjk): the face the handout's language chooses
    for Han characters and ideographic punctuation, the script's own for kana and Hangul, or the next face
    that has the character. No italics (the faces have none)."""
    from . import cjk

    face = cjk.face_for(language, script.cjk_face) if script.cjk_face in ("SC", "TC") else script.cjk_face
    return cjk.font_file(cjk.face_with(ch, face), bold)


def _fonts(text: str, styles: Sequence[tuple[bool, bool]], language: str = "", house: House | None = None,
           ) -> list[str]:
    """The font of each character: its script's, the Latin face, or (common characters) a neighbour's.

    A clinic's house faces (`house`) win where they cover the text: a Latin letter or digit they have is drawn
    in them (as the rest of the leaflet's Latin text is), and so is a script whose every letter in the paragraph
    they have (all or nothing per script, so that a word is never shaped in two fonts)."""
    n = len(text)
    latin = LATIN if house is None else dict(zip(_STYLES, house, strict=True))
    covered = _covered_scripts(text, house)
    fonts: list[str | None] = [None] * n
    for i, ch in enumerate(text):
        script = script_of(ch)
        bold, italic = styles[i]
        if script is not None and script.cjk_face and script not in covered:  # ideographic punctuation too
            fonts[i] = _cjk_font(ch, script, bold, language)
            continue
        if _is_common(ch):
            continue
        if script is not None and script in covered:
            fonts[i] = latin[bold, italic]
        elif script is not None and script.fonts is not None:
            fonts[i] = script.fonts[1 if bold else 0]
        elif latin is not LATIN and _has(latin[bold, italic], ord(ch)):
            fonts[i] = latin[bold, italic]
        else:
            fonts[i] = LATIN[bold, italic]
    following: list[str | None] = [None] * n  # the font of the next character that has one of its own
    for i in range(n - 2, -1, -1):
        following[i] = fonts[i + 1] if fonts[i + 1] is not None else following[i + 1]
    out: list[str] = []
    for i, ch in enumerate(text):
        font = fonts[i]
        if font is None:
            bold, italic = styles[i]
            before = out[i - 1] if i else None
            after = following[i]
            cp = ord(ch)
            own = latin[bold, italic] if _has(latin[bold, italic], cp) else LATIN[bold, italic]
            script = script_of(ch)
            if before is not None and _same_style(before, styles[i - 1], styles[i], latin) and _has(before, cp):
                font = before
            elif after is not None and _has(after, cp):
                font = after
            elif _has(own, cp) or script is None or script.fonts is None:
                font = own  # the Latin face in the character's own style (a full stop after a bold word is not bold)
            else:  # a script's mark or sign that its neighbours' fonts lack (a vowel sign after a digit)
                font = script.fonts[1 if bold else 0]
        out.append(font)
    return out


def _same_style(font: str, style_before: tuple[bool, bool], style: tuple[bool, bool],
                latin: dict[tuple[bool, bool], str]) -> bool:
    return style_before == style or (font not in LATIN.values() and font not in latin.values())


#: The order of a House's faces.
_STYLES = ((False, False), (True, False), (False, True), (True, True))
#: A clinic's house faces: files of its regular, bold, italic and bold italic (booklet.fonts.house_faces).
House = tuple[str, str, str, str]


def _covered_scripts(text: str, house: House | None) -> frozenset[Script]:
    """The scripts of the paragraph whose every character the house faces (regular and bold) have."""
    if house is None:
        return frozenset()
    by_script: dict[Script, set[int]] = {}
    for ch in text:
        script = script_of(ch)
        if script is not None and not _is_common(ch):
            by_script.setdefault(script, set()).add(ord(ch))
    return frozenset(script for script, cps in by_script.items()
                     if all(_has(house[0], cp) and _has(house[1], cp) for cp in cps))


def _levels(text: str, rtl: bool, isolated: list[tuple[int, int]]) -> list[int]:
    """The bidi embedding level of each character (UAX #9 through python-bidi), with the `isolated`
    ranges wrapped in left-to-right isolates."""
    if not rtl and not any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in text):
        return [0] * len(text)  # all left to right: no need for the algorithm
    marked: list[str] = []
    origin: list[int] = []  # index into `marked` of each character of `text`
    bounds = {s for s, _ in isolated}, {e for _, e in isolated}
    for i, ch in enumerate(text):
        if i in bounds[0]:
            marked.append(_LRI)
        if i in bounds[1]:
            marked.append(_PDI)
        origin.append(len(marked))
        marked.append(ch)
    if len(text) in bounds[1]:
        marked.append(_PDI)
    levels = _bidi_levels("".join(marked), rtl)
    return [levels[j] for j in origin]


_LEVEL = re.compile(r"Level\(\s*(\d+)")


def _bidi_levels(text: str, rtl: bool) -> list[int]:
    """Per-character levels from python-bidi (its Rust core, `unicode-bidi`, reports them per UTF-8 byte
    in its debug dump; it has no other way to give them out)."""
    from bidi import get_display

    dump = str(get_display(text, base_dir="R" if rtl else "L", debug=True))
    start, end = dump.find("levels: ["), dump.find("paragraphs:")
    per_byte = [int(m) for m in _LEVEL.findall(dump, start, end)]
    encoded = text.encode("utf-8")
    if start < 0 or end < 0 or len(per_byte) != len(encoded):
        raise RuntimeError("python-bidi's debug output changed: booklet.shaping._bidi_levels needs updating")
    levels, offset = [], 0
    for ch in text:
        levels.append(per_byte[offset])
        offset += len(ch.encode("utf-8"))
    return levels


def _items(text: str, fonts: list[str], levels: list[int]) -> list[_Item]:
    items: list[_Item] = []
    for i, (font, level) in enumerate(zip(fonts, levels, strict=True)):
        if items and items[-1].font == font and items[-1].level == level and text[i] != "\n":
            items[-1].end = i + 1
            continue
        items.append(_Item(i, i + 1, font, level, ""))
    for item in items:
        script = next((s for s in map(script_of, text[item.start:item.end]) if s is not None and s.tag), None)
        item.tag = script.tag if script is not None else ""
    return items


def _shape(item: _Item, codepoints: list[int], language: str) -> None:
    import uharfbuzz as hb

    font, upem = _hb_font(item.font)
    buf = hb.Buffer()
    # HarfBuzz looks at most 5 characters either side for context (an Arabic word half in bold still joins):
    # hand it only those, as it copies all it is given (the whole paragraph per item would be quadratic).
    base = max(0, item.start - _CONTEXT)
    buf.add_codepoints(codepoints[base:item.end + _CONTEXT], item.start - base, item.end - item.start)
    buf.guess_segment_properties()
    buf.cluster_level = hb.BufferClusterLevel.MONOTONE_GRAPHEMES  # the default; `_Item.between` relies on it
    buf.direction = "rtl" if item.level % 2 else "ltr"
    if item.tag:
        buf.script = item.tag
    if language:
        buf.language = language
    # A mark with nothing to sit on (an authoring slip) is drawn alone: HarfBuzz's dotted circle would be ink
    # that is not in the text (and a character in the text layer that the author never wrote).
    buf.flags = hb.BufferFlags.DO_NOT_INSERT_DOTTED_CIRCLE
    hb.shape(font, buf, {})
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        cluster = info.cluster + base
        if info.codepoint == 0 and not unicodedata.category(chr(codepoints[cluster])).startswith(("Z", "C")):
            ch = chr(codepoints[cluster])
            raise ShapingError(f"the font {item.font} has no glyph for '{ch}' (U+{ord(ch):04X})")
        item.glyphs.append((info.codepoint, cluster, pos.x_advance / upem, pos.x_offset / upem,
                            pos.y_offset / upem))


@dataclass
class Shaped:
    """A paragraph shaped once at size 1 (em units); `lines(width, size)` breaks and orders it."""

    text: str
    rtl: bool
    items: list[_Item]
    advance: list[float]  # per character: the advance of the glyphs of the cluster it starts (em)
    keep: list[bool]  # per character: no line break may come after it (inside a number group)
    #: Per character: a line may break before it with no space (Chinese, Japanese); None: at spaces only.
    char_breaks: list[bool] | None = None
    _memo: dict[tuple[float, float], list[Line]] = field(default_factory=dict)

    def lines(self, width: float, size: float, start: int = 0) -> list[Line]:
        """The paragraph (from character `start`) broken into lines `width` wide at `size`, each ordered.

        Lines are immutable and remembered per width and size (a few): a paragraph split across pages is
        broken once, as greedy breaking from a line's start gives the same lines as the whole paragraph's.
        """
        key = (width, size)
        full = self._memo.get(key)
        if full is None:
            full = [self._line(s, e, size, at_space) for s, e, at_space in self.breaks(width / size, 0)]
            if len(self._memo) >= 8:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = full
        for i, line in enumerate(full):
            if line.start == start:
                return full[i:]
            if line.start > start:
                break
        return [self._line(s, e, size, at_space) for s, e, at_space in self.breaks(width / size, start)]

    def breaks(self, width: float, start: int = 0) -> list[tuple[int, int, bool]]:
        """Greedy line breaks at spaces: (start, end, broken at a space) per line; `end` excludes trailing
        spaces. A word wider than the line is broken between clusters."""
        text, adv, n = self.text, self.advance, len(self.text)
        between = self.char_breaks
        out: list[tuple[int, int, bool]] = []
        while start <= n:
            while start < n and text[start] == " ":
                start += 1
            i, used, last_fit = start, 0.0, -1  # last_fit: end of the last whole word that fits
            end, hard = n, False
            while i < n:
                ch = text[i]
                if ch == "\n":
                    end, hard = i, True
                    break
                if ch == " " and i > start and not self.keep[i - 1]:
                    last_fit = i
                elif between is not None and between[i] and i > start:
                    last_fit = i
                j = i + 1
                while j < n and adv[j] == 0 and text[j] not in " \n":  # the rest of the cluster
                    j += 1
                w = sum(adv[i:j])
                if used + w > width + 1e-9 and i > start and ch != " ":
                    if last_fit > start:
                        end = last_fit
                        break
                    # no space to break at: break between clusters (in Chinese or Japanese not before closing
                    # punctuation, which then hangs past the line's end, as it may in Japanese: burasage)
                    if not self.keep[i - 1] and (between is None or text[i] not in BREAK_RULES["no_start"]):
                        end = i
                        break
                    # inside a phone number or date: never broken, it runs over (the caller can tell: the
                    # line is wider than asked)
                used += w
                i = j
            trimmed = end
            while trimmed > start and text[trimmed - 1] == " ":
                trimmed -= 1
            at_space = end < n and not hard and (between is None or text[end] == " ")
            out.append((start, trimmed, at_space))
            if end >= n:
                break
            start = end + 1 if hard else end
        return out

    def _line(self, start: int, end: int, size: float, at_space: bool) -> Line:
        text = self.text
        pieces: list[tuple[_Item, int, int, list[tuple[int, int, float, float, float]]]] = []
        for item in self.items:
            s, e = max(item.start, start), min(item.end, end)
            if s >= e:
                continue
            glyphs = item.between(s, e)
            pieces.append((item, s, e, glyphs))
        # UAX #9 L2: from the highest level down to the lowest odd one, reverse each run at that level or higher.
        order = list(range(len(pieces)))
        if pieces:
            levels = [p[0].level for p in pieces]
            lowest_odd = min(lv for lv in levels) | 1
            for level in range(max(levels), lowest_odd - 1, -1):
                i = 0
                while i < len(order):
                    if levels[order[i]] >= level:
                        j = i
                        while j < len(order) and levels[order[j]] >= level:
                            j += 1
                        order[i:j] = reversed(order[i:j])
                        i = j
                    else:
                        i += 1
        x = 0.0
        placed: dict[int, Piece] = {}
        for k in order:
            item, s, e, glyphs = pieces[k]
            pen, out = 0.0, []
            for gid, cluster, advance, dx, dy in glyphs:
                out.append((gid, (pen + dx) * size, dy * size, cluster - s))
                pen += advance
            piece = Piece(item.font, x, pen * size, tuple(out), text[s:e], s, bool(item.level % 2))
            placed[k] = piece
            x += pen * size
        return Line(x, tuple(placed[k] for k in range(len(pieces))), start, end, at_space)


def _normalise(runs: Sequence[Run]) -> tuple[str, list[tuple[bool, bool]]]:
    parts, styles = [], []
    for run in runs:
        t = unicodedata.normalize("NFC", run.text)
        parts.append(t)
        styles += [(run.bold, run.italic)] * len(t)
    return "".join(parts), styles


def shape(runs: Sequence[Run], rtl: bool = False, language: str = "", house: House | None = None) -> Shaped:
    """Itemise, bidi-level and shape a paragraph (normalised to NFC); see the module's description. `house`: the
    clinic's house faces (regular, bold, italic, bold italic files), which draw what they have (`_fonts`)."""
    return _shape_cached(tuple(runs), rtl, language, house)


@lru_cache(maxsize=1024)
def _shape_cached(runs: tuple[Run, ...], rtl: bool, language: str, house: House | None = None) -> Shaped:
    text, styles = _normalise(runs)
    isolated = [m.span() for m in NUMBER_GROUPS.finditer(text)]
    keep = [False] * len(text)
    for s, e in isolated:
        for i in range(s, e - 1):
            keep[i] = True
    fonts = _fonts(text, styles, language, house)
    levels = _levels(text, rtl, isolated)
    items = _items(text, fonts, levels)
    codepoints = [ord(c) for c in text]
    advance = [0.0] * len(text)
    for item in items:
        _shape(item, codepoints, language)
        for _, cluster, adv, _, _ in item.glyphs:
            advance[cluster] += adv
    return Shaped(text, rtl, items, advance, keep, _char_breaks(text, keep))


def _char_breaks(text: str, keep: list[bool]) -> list[bool] | None:
    """Where a line may break between two characters with no space between them (before character i), for
    text in a script that breaks between characters (booklet.scripts: Chinese, Japanese): between two such
    characters, or one and a Latin word or number, unless the second may not start a line or the first may
    not end one (BREAK_RULES), and never inside a phone number, date or time. None when the text has no such
    script (then lines break at spaces only, as before)."""
    chars = [s is not None and s.breaks == "chars" for s in map(script_of, text)]
    if not any(chars):
        return None
    no_start, no_end = BREAK_RULES["no_start"], BREAK_RULES["no_end"]
    out = [False] * len(text)
    for i in range(1, len(text)):
        before, ch = text[i - 1], text[i]
        if (chars[i - 1] or chars[i]) and not keep[i - 1] and ch not in no_start and before not in no_end \
                and not before.isspace() and not ch.isspace() and unicodedata.category(ch)[0] != "M":
            out[i] = True
    return out


def nominal_advance(font_file: str, glyph: int) -> float:
    """A glyph's own advance (before positioning), in em."""
    font, upem = _hb_font(font_file)
    return font.get_glyph_h_advance(glyph) / upem


def glyph_of(font_file: str, ch: str) -> int:
    """The font's own glyph for a character (0 when it has none)."""
    font, _ = _hb_font(font_file)
    return font.get_nominal_glyph(ord(ch)) or 0


_TAG = re.compile(r"<(/?)(\w+)[^>]*?(/?)>")


def runs_from_markup(markup: str) -> list[Run]:
    """booklet's paragraph markup (`booklet.text`: escaped text with <b>, <i>, <br/>, and <a>/<font> around
    text) as runs. Links and colours are not carried yet: their text is kept, plain (a live link's <onDraw/>
    marks, which have no text, are skipped)."""
    from html import unescape

    runs: list[Run] = []
    bold = italic = 0
    pos = 0

    def add(text: str) -> None:
        if text:
            runs.append(Run(unescape(text), bold > 0, italic > 0))

    for m in _TAG.finditer(markup):
        add(markup[pos:m.start()])
        pos = m.end()
        closing, name, empty = m[1] == "/", m[2].lower(), m[3] == "/"
        step = -1 if closing else 1
        if name in ("b", "strong"):
            bold += step
        elif name in ("i", "em"):
            italic += step
        elif name == "br" and (empty or not closing):
            runs.append(Run("\n", bold > 0, italic > 0))
        elif name == "ondraw":  # a live link's tagging mark (booklet.tagging.link_marks): no text of its own
            continue
        elif name not in ("a", "font", "span", "nobr"):
            raise ValueError(f"markup the shaping stage does not know: {m[0]!r}")
    add(markup[pos:])
    return runs




def is_rtl(text: str) -> bool:
    """The paragraph direction by UAX #9 rules P2-P3: the first strong character's (left to right if none)."""
    for ch in text:
        cls = unicodedata.bidirectional(ch)
        if cls == "L":
            return False
        if cls in ("R", "AL"):
            return True
    return False
