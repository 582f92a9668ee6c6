"""ShapedParagraph: the flowable that draws what `booklet.shaping` lays out, for every script that needs it.

It breaks, splits and draws lines of shaped glyphs; it knows no script. Glyphs are drawn by id (through
`booklet.fonts.glyph_code`: a glyph's own character, or a private-use code for glyphs that have none),
each at its place. Where the glyphs' own characters do not spell the text (conjuncts, ligatures,
contextual forms), a marked-content span's /ActualText gives the logical text, so copying, searching
and screen readers get the text as written, with no private-use characters.

The text layer follows the convention PDF text extractors expect (tested with poppler's pdftotext):
the pieces of a line (glyphs of one font and direction) in logical order, the glyphs of each piece left
to right, right-to-left text included (extractors apply the bidi algorithm themselves); a span per piece
left to right, per cluster right to left (extractors spread a span's text left to right over its box);
real space glyphs between words and at the end of a line that ends between two words.

Inside booklet's tagging (`booklet.tagging.Tagged`) the spans nest in the paragraph's
`/P <</MCID n>> BDC … EMC`; on an untagged canvas they stand alone. Drawing is wrapped in q … Q, so
the text state it sets (font, rise, render mode) never leaks into what ReportLab draws next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.platypus import Flowable

from . import rl_internals as rl
from .shaping import House, Line, Piece, Run, Shaped, is_rtl, shape


def _fmt(v: float) -> str:
    return rl.number(round(v, 3)).decode("ascii")


def _actual_text(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class ShapedParagraph(Flowable):
    """A paragraph of shaped text: `runs` of text with bold/italic, in `style` (a ParagraphStyle: font
    size, leading, colour, indents, alignment, space before and after). `rtl`: the paragraph's direction
    (on a right-to-left page, right to left), aligned as the style says; None: the text's own (its first
    strong character), and then a right-to-left paragraph is aligned right where the style says left.

    Splits between lines, never leaving a single line at the foot or the top of a page.
    """

    #: booklet.tagging tags it as a paragraph (P, or a heading by its style), like ReportLab's Paragraph.
    is_paragraph = True
    #: Addresses in the text (set by booklet.compose as on booklet's Paragraph; a shaped line never breaks
    #: inside a phone number, date or time).
    addresses: tuple[tuple[str, ...], Any] | None = None

    def __init__(self, runs: Sequence[Run], style: Any, rtl: bool | None = None, language: str = "",
                 _shaped: Shaped | None = None, _start: int = 0, _first: bool = True, _last: bool = True,
                 _stop: int | None = None, house: House | None = None) -> None:
        super().__init__()
        self.runs = tuple(runs)
        self.style = style
        self.language = language
        self.house = house  # the clinic's house faces, which draw what they have (booklet.shaping._fonts)
        self.rtl = is_rtl("".join(r.text for r in self.runs)) if rtl is None else rtl
        self.given = rtl is not None  # the direction was given (the page's): the alignment is the style's
        self._shaped = _shaped
        self._start = _start
        self._stop = _stop  # a split's first part: where its text stops (the next part's first character)
        self._first, self._last = _first, _last
        self.lines: list[Line] = []
        self._wrapped: float | None = None

    @property
    def shaped(self) -> Shaped:
        if self._shaped is None:
            self._shaped = shape(self.runs, self.rtl, self.language, self.house)
        return self._shaped

    @property
    def text(self) -> str:
        return self.shaped.text[self._start:self._stop]

    # layout ---------------------------------------------------------------------------
    def _line_width(self, avail: float) -> float:
        return avail - self.style.leftIndent - self.style.rightIndent

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped != availWidth:
            size = self.style.fontSize
            lines = self.shaped.lines(self._line_width(availWidth), size, self._start)
            self.lines = lines if self._stop is None else [ln for ln in lines if ln.start < self._stop]
            self._wrapped = availWidth
        self.width = availWidth
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        n = len(self.lines)
        fit = int((availHeight + 1e-6) // self.style.leading)
        if fit >= n:
            return [self]
        fit = min(fit, n - 2)  # never a single line at the top of the next page
        if fit < 2:  # nor at the foot of this one
            return []
        first = self._part(self._start, self._first, False, self.lines[fit].start)
        first.lines, first._wrapped = self.lines[:fit], availWidth
        rest = self._part(self.lines[fit].start, False, self._last, self._stop)
        return [first, rest]

    def _part(self, start: int, first: bool, last: bool, stop: int | None) -> ShapedParagraph:
        part = ShapedParagraph(self.runs, self.style, self.rtl, self.language, self.shaped, start, first, last, stop,
                               self.house)
        part.given = self.given
        return part

    def getSpaceBefore(self) -> float:
        return self.style.spaceBefore if self._first else 0

    def getSpaceAfter(self) -> float:
        return self.style.spaceAfter if self._last else 0

    def minWidth(self) -> float:
        return self.width if self.lines else 0

    # drawing --------------------------------------------------------------------------
    def draw(self) -> None:
        canvas, style = self.canv, self.style
        size = style.fontSize
        line_width = self._line_width(self.width)
        canvas.saveState()
        canvas.setFillColor(style.textColor)
        canvas.addLiteral("0 Tc 0 Tw 100 Tz 0 Tr 0 Ts")
        alignment = style.alignment
        if self.rtl and alignment == TA_LEFT and not self.given:
            alignment = TA_RIGHT
        for i, line in enumerate(self.lines):
            y = self.height - size - i * style.leading
            shift = style.leftIndent
            if alignment == TA_JUSTIFY and line.at_space:  # the last line, and one before a line break, are not
                line = justified(line, line_width - line.width)
                if self.rtl:
                    shift += line_width - line.width  # a line with no space to stretch stays at the start side
            elif alignment == TA_RIGHT or (alignment == TA_JUSTIFY and self.rtl):
                shift += line_width - line.width
            elif alignment == TA_CENTER:
                shift += (line_width - line.width) / 2
            for j, piece in enumerate(line.pieces):
                end_space = line.at_space and j == len(line.pieces) - 1
                canvas.addLiteral(_piece_operators(canvas, piece, shift + piece.x, y, size, end_space))
        canvas.restoreState()


class MarkedShapedParagraph(ShapedParagraph):
    """A heading in a script the shaping stage sets: runs a callback with the canvas when its first part
    is drawn, as MarkedParagraph does."""

    on_draw: Callable[[Any], None] | None = None

    def _part(self, start: int, first: bool, last: bool, stop: int | None) -> ShapedParagraph:
        part = super()._part(start, first, last, stop)
        if first:
            marked = MarkedShapedParagraph(part.runs, part.style, part.rtl, part.language, part.shaped, start,
                                           first, last, stop, self.house)
            marked.on_draw, marked.given = self.on_draw, self.given
            return marked
        return part

    def draw(self) -> None:
        if self.on_draw is not None:
            callback, self.on_draw = self.on_draw, None
            callback(self.canv)
        super().draw()



def justified(line: Line, extra: float) -> Line:
    """The line stretched by `extra` points, shared between its spaces (a line without spaces is left as it is)."""
    spaces = sum(piece.text[g[3]] == " " for piece in line.pieces for g in piece.glyphs)
    if not spaces or extra <= 0:
        return line
    per_space, shift = extra / spaces, 0.0
    moved: dict[int, Piece] = {}
    for piece in line.visual():
        before, glyphs = shift, []
        for gid, x, dy, cluster in piece.glyphs:  # left to right
            glyphs.append((gid, x + shift - before, dy, cluster))
            if piece.text[cluster] == " ":
                shift += per_space
        moved[id(piece)] = replace(piece, x=piece.x + before, width=piece.width + shift - before, glyphs=tuple(glyphs))
    return replace(line, width=line.width + shift, pieces=tuple(moved[id(p)] for p in line.pieces))


#: A glyph to draw: (glyph id, x from the piece's start, y offset).
_Glyph = tuple[int, float, float]


def _piece_operators(canvas: Any, piece: Piece, x: float, y: float, size: float, end_space: bool) -> str:
    """One text object (one content-stream entry, ending in ET) drawing a piece's glyphs left to right, each at
    its place. Where the glyphs' own characters do not spell the text (ligatures, conjuncts, contextual forms:
    private-use codes, presentation forms), a /Span with /ActualText gives the text.

    Left to right text: one span around the piece. Right to left text is drawn left to right too, as every
    PDF producer draws it: text extractors (poppler, Acrobat) build words from glyphs drawn left to right and
    apply the bidi algorithm themselves. They spread a span's text left to right over its glyphs, so a span of
    several right-to-left letters would read backwards: right to left, each cluster has a span of its own.
    """
    from reportlab.pdfbase import pdfmetrics

    from .fonts import register_file

    name = register_file(piece.font)
    font = pdfmetrics.getFont(name)
    info = _glyph_facts(name, piece.font)
    clusters = piece.clusters()
    if end_space:  # a real space after the line's last word, so that words never run together when read
        space = info(_space_glyph(piece.font))
        if piece.rtl:  # at the left end, drawn first (glyphs are drawn left to right)
            clusters.insert(0, (" ", [(space[3], -space[2] * size / 1000, 0.0, len(piece.text))]))
        else:
            clusters.append((" ", [(space[3], piece.width, 0.0, len(piece.text))]))

    def readable(text: str, glyphs: list[tuple[int, float, float, int]]) -> bool:
        """Do the glyphs' own characters spell the text (so no /ActualText is needed)?"""
        return "".join(info(g[0])[1] for g in glyphs) == text

    def spelled(text: str, glyphs: list[tuple[int, float, float, int]]) -> bool:
        """Is each of the cluster's characters a glyph of its own (a letter and its vowel marks)?"""
        return len(glyphs) > 1 and sorted(info(g[0])[1] for g in glyphs) == sorted(text)

    def marked(text: str, glyphs: list[tuple[int, float, float, int]]) -> bool:
        """One glyph with an advance (the letter) and marks of no width that are characters of their own."""
        marks = [info(g[0])[1] for g in glyphs if info(g[0])[4] == 0]
        return (len(glyphs) - len(marks) == 1 and bool(marks) and all(marks)
                and sorted(marks) == sorted(c for c in text[1:] if c in marks) and text[0] not in marks)

    ops: list[_Glyph | str] = []  # glyphs, and operators between them
    if piece.rtl:
        for text, glyphs in clusters:
            if readable(text, glyphs):
                ops += [g[:3] for g in glyphs]
            elif spelled(text, glyphs) or marked(text, glyphs):
                # A letter and its marks (vowels, shadda), each a glyph of its own: the letter (under its own
                # /ActualText where its glyph is a contextual form), then its marks, each its own character.
                # (poppler still reads a mark before its letter in right-to-left text: see the tests.)
                bases = [g for g in glyphs if info(g[0])[4] != 0]
                rest = "".join(c for c in text if c not in {info(g[0])[1] for g in glyphs if info(g[0])[4] == 0})
                if readable(rest, bases):
                    ops += [g[:3] for g in bases]
                else:
                    ops += [f"/Span <</ActualText {_actual_text(rest)}>> BDC", *(g[:3] for g in bases), "EMC"]
                ops += [g[:3] for g in glyphs if info(g[0])[4] == 0]
            elif len(text) == 1 and all(info(g[0])[4] == 0 for g in glyphs) and _glyph_of(piece.font, text):
                # A letter drawn by a glyph of no width (the alef of a lam-alef): extractors misplace a
                # character of no width, so the visible glyph carries no text and an invisible copy of the
                # letter's own glyph, half a letter to the left (where it reads, right to left), carries it.
                own = _glyph_of(piece.font, text)
                ops += ["/Span <</ActualText <FEFF>>> BDC", *(g[:3] for g in glyphs), "EMC", "3 Tr",
                        (own, glyphs[0][1] - info(own)[2] * size / 2000, 0.0), "0 Tr"]
            else:
                ops += [f"/Span <</ActualText {_actual_text(text)}>> BDC", *(g[:3] for g in glyphs), "EMC"]
    else:
        glyphs = [g for _, gs in clusters for g in gs]
        if all(readable(t, gs) for t, gs in clusters):
            ops += [g[:3] for g in glyphs]
        else:
            text = "".join(t for t, _ in clusters)
            ops += [f"/Span <</ActualText {_actual_text(text)}>> BDC", *(g[:3] for g in glyphs), "EMC"]

    drawn = [op for op in ops if not isinstance(op, str)]
    codes = [info(g[0])[0] for g in drawn]
    doc = rl.document(canvas)
    per_glyph: list[tuple[int, int]] = []  # (subset, byte) per drawn glyph
    for subset, data in font.splitString("".join(map(chr, codes)), doc):
        per_glyph += [(subset, byte) for byte in data]
    out = ["BT", f"1 0 0 1 {_fmt(x)} {_fmt(y)} Tm"]
    tj: list[str] = []
    t, rise, current, k = 0.0, 0.0, -1, 0
    for op in ops:
        if isinstance(op, str):
            if tj:
                out.append("[" + " ".join(tj) + "] TJ")
                tj = []
            out.append(op)
            continue
        _, gx, dy = op
        subset, byte = per_glyph[k]
        if subset != current or dy != rise:
            if tj:
                out.append("[" + " ".join(tj) + "] TJ")
                tj = []
            if subset != current:
                out.append(f"{font.getSubsetInternalName(subset, doc)} {_fmt(size)} Tf")
                current = subset
            if dy != rise:
                out.append(f"{_fmt(dy)} Ts")
                rise = dy
        delta = gx - t
        if abs(delta) > 0.0005:
            tj.append(_fmt(-delta * 1000 / size))
        tj.append(f"<{byte:02X}>")
        t = gx + info(drawn[k][0])[2] * size / 1000
        k += 1
    if tj:
        out.append("[" + " ".join(tj) + "] TJ")
    if rise:
        out.append("0 Ts")
    out.append("ET")
    return " ".join(out)


@cache
def _glyph_facts(name: str, font_file: str) -> Callable[[int], tuple[int, str, float, int, float]]:
    """For the registered font `name` (the file `font_file`): a glyph's (character code it is drawn with, the
    text its own character spells ("" when it has none), width in 1/1000 em as the PDF says, glyph id, its
    own advance in 1/1000 em)."""
    from reportlab.pdfbase import pdfmetrics

    from .fonts import glyph_code, private_codes
    from .shaping import nominal_advance

    font = pdfmetrics.getFont(name)

    @cache
    def facts(glyph: int) -> tuple[int, str, float, int, float]:
        advance = nominal_advance(font_file, glyph) * 1000
        code = glyph_code(name, glyph, max(advance, 1))  # a width of 0 would make extractors drop the glyph
        private = private_codes(name)
        own = [c for c in rl.glyph_chars(font).get(glyph, ()) if c not in private]
        return code, chr(min(own)) if own else "", font.face.getCharWidth(code), glyph, advance

    return facts


def _glyph_of(font_file: str, ch: str) -> int:
    from .shaping import glyph_of

    return glyph_of(font_file, ch)


def _space_glyph(font_file: str) -> int:
    from .shaping import glyph_of

    return glyph_of(font_file, " ")
