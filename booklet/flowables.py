"""Small custom flowables: writing lines, questions with checkboxes, QR codes, contents numbers."""

from __future__ import annotations

import copy
import functools
import itertools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.platypus import Flowable
from reportlab.platypus import Paragraph as _Paragraph
from reportlab.rl_config import _FUZZ

from .errors import BookletError, Loc
from .fonts import house_faces
from .rl_internals import (
    NO_TEMPLATE,
    WORD_BEFORE_SPACE,
    WORD_LAST_PIECE,
    WORD_PIECE,
    WRAP_STATE,
    clean_paragraph_text,
    draw_left_aligned,
    faster_clone,
    faster_same_frag,
    fragments_from_template,
    memoise_string_widths,
    paragraph_skeleton,
    parse_skeleton,
)
from .scripts import needs_shaping
from .theme import LEFT_TO_RIGHT, Direction

memoise_string_widths()
faster_same_frag()
faster_clone()


#: Parsed paragraphs kept per process: a personalised batch re-renders the same handout for every row,
#: and a summary is laid out at several sizes, so most paragraphs are parsed again with the same text
#: and style. Bounded, in memory only.
PARSE_MEMO_SIZE = 1024  # a handout in all four variants has about 500 distinct paragraphs
_parsed: OrderedDict[tuple[str, int], tuple[Any, ...]] = OrderedDict()
#: A number per style content (`_style_key`), and each style's number.
_style_numbers: dict[tuple[Any, ...], int] = {}
_style_keys: WeakKeyDictionary[Any, int] = WeakKeyDictionary()
_next_style_number = itertools.count()
#: Attribute values that are hashable for sure (the rest are tried, and stand as their repr if not).
_HASHABLE = frozenset({str, int, float, bool, type(None)})


def _style_key(style: Any) -> int:
    """A number for everything about a ParagraphStyle that its parsed fragments can depend on (all but its
    name): styles alike get the same number. A number, not the ~50 attributes themselves, goes into the memos'
    keys, which are hashed and compared for every paragraph made (colours hash and compare in Python)."""
    key = _style_keys.get(style)
    if key is None:
        items = []
        for name, value in sorted(style.__dict__.items()):
            if name in ("name", "parent"):
                continue
            if type(value) not in _HASHABLE:
                try:
                    hash(value)
                except TypeError:
                    value = repr(value)
            items.append((name, value))
        content = tuple(items)
        key = _style_numbers.get(content)
        if key is None:
            if len(_style_numbers) >= PARSE_MEMO_SIZE:  # bounded; numbers are never given twice
                _style_numbers.clear()
            key = _style_numbers[content] = next(_next_style_number)
        _style_keys[style] = key
    return key


#: Line breaks per parse (shared `frags`, see `_parsed`) and width: the parse, the lines, the
#: paragraph's words when ReportLab replaced `frags` by them (mixed styles), and what else wrap sets.
#: The first time a parse is broken at a width only the parse is kept (lines None): lines are copied
#: when it comes a second time, so distinct handouts, whose paragraphs never come again, pay nothing.
_broken: OrderedDict[tuple[int, float], tuple[Any, Any, Any, dict[str, Any]]] = OrderedDict()


#: ReportLab's parse of a paragraph skeleton (`rl_internals.paragraph_skeleton`: its markup with the texts taken
#: out) in a style, as a template for every paragraph with that markup around other texts (a distinct handout's
#: paragraphs share a few dozen skeletons). Bounded, in memory only.
_templates: OrderedDict[tuple[str, int], Any] = OrderedDict()


def _from_template(text: str, style: Any) -> tuple[str, list[Any]] | None:
    """What ReportLab's `Paragraph(text, style)` parses `text` into (its cleaned text and fragments), made from
    the template of its skeleton rather than by the markup parser (an `html.parser` subclass); None when the
    markup has no template (ReportLab parses it, as before)."""
    cleaned = clean_paragraph_text(text)
    split = paragraph_skeleton(cleaned)
    if split is None or not split[1]:
        return None
    skeleton, runs = split
    key = (skeleton, _style_key(style))
    template = _templates.get(key)
    if template is None:
        template = parse_skeleton(skeleton, style)
        _remember(_templates, key, template)
    else:
        _templates.move_to_end(key)
    if template is NO_TEMPLATE:
        return None
    return cleaned, fragments_from_template(template, runs, style)


def _remember(memo: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    """Keep `value` as the newest entry of a memo bounded at PARSE_MEMO_SIZE."""
    memo[key] = value
    memo.move_to_end(key)
    if len(memo) > PARSE_MEMO_SIZE:
        memo.popitem(last=False)


def _copy_lines(lines: Any) -> Any:
    """A copy of broken lines that nothing done to it can change the original: a page split
    changes the class of the word it splits at or adds a space to a line's last fragment, and
    drawing adds word-end spaces for a moment."""
    if lines.kind == 0:  # (extra space, [words]) per line
        return lines.clone(lines=[(extra, [w if type(w) is str else copy.copy(w) for w in words])
                                  for extra, words in lines.lines])
    return lines.clone(lines=[line.clone(words=[w.clone() for w in line.words]) for line in lines.lines])


def _copy_words(words: list[Any]) -> list[Any]:
    """A copy of a mixed-style paragraph's words (ReportLab's `frags` after breaking lines)."""
    return [copy.copy(w) for w in words]


class Paragraph(_Paragraph):
    """ReportLab's Paragraph, except that parsing the same text in the same style again, or wrapping
    it again at the same width, reuses the work already done.

    Parsing: the fragments ReportLab's markup parser makes depend only on the text and the
    style, and nothing changes them afterwards (line breaking works on clones), so paragraphs
    with the same text and style share one parse (`_parsed`). A text met for the first time is not parsed
    either when its markup has a template (`_from_template`): the same fragments, made without the parser.

    Platypus measures most paragraphs twice at the same width (a KeepTogether or a
    table measures its content, then the frame measures each part again), and
    breaking lines is the largest part of a booklet's layout time. ReportLab's own
    second wrap recomputes exactly the same lines from the same fragments, so the
    result, and the PDF, is the same byte for byte. Anything that changes the
    paragraph's lines (a split drops `blPara`; breaking lines replaces `frags`)
    makes the next wrap compute them afresh.

    Across copies: a paragraph that shares its parse with one laid out before, at the
    same width, gets a copy of those line breaks (`_broken`), so the rows of a
    personalised batch re-break only the paragraphs their values change. A copy, as
    ReportLab changes words and lines in place when it splits a paragraph.
    """

    #: Whether `frags` is the parse memo's (a split part's are its own, and not worth remembering lines for).
    _parse_shared = False
    #: Web addresses, e-mail addresses and phone numbers in the text, and where the text was written:
    #: each must fit on one line (checked when drawn, the one layout that counts).
    addresses: tuple[tuple[str, ...], Loc] | None = None

    def __init__(self, text: str, style: Any = None, bulletText: Any = None, frags: Any = None,
                 caseSensitive: int = 1, encoding: str = "utf8") -> None:
        if frags is not None or style is None or bulletText is not None or caseSensitive != 1:
            super().__init__(text, style, bulletText, frags, caseSensitive, encoding)
            return
        key = (text, _style_key(style))
        parsed = _parsed.get(key)
        if parsed is None:
            made = _from_template(text, style)
            if made is None:
                super().__init__(text, style)
            else:
                super().__init__(made[0], style, frags=made[1])
            state = self.__dict__  # set by ReportLab's _setup
            _remember(_parsed, key, (state["text"], state["frags"],
                                     None if state["style"] is style else state["style"], state["bulletText"]))
            self._parse_shared = True
            return
        _parsed.move_to_end(key)
        self._parse_shared = True
        self.caseSensitive, self.encoding, self.debug = caseSensitive, encoding, 0
        text, frags, parsed_style, bullet_text = parsed
        self.text, self.frags, self.bulletText = text, frags, bullet_text
        self.style = style if parsed_style is None else parsed_style

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        state = self.__dict__
        frags = self.frags
        if state.get("_wrapped_width") == availWidth and state.get("_wrapped_frags") is frags and "blPara" in state:
            return self.width, self.height
        if availWidth < _FUZZ:  # ReportLab answers "cannot fit" and breaks no lines
            return super().wrap(availWidth, availHeight)
        key = (id(frags), availWidth)
        known = _broken.get(key) if self._parse_shared else None
        if known is not None and known[0] is not frags:
            known = None  # an id reused by another parse
        if known is not None and known[1] is not None:  # the same parse at the same width: the same lines
            _broken.move_to_end(key)
            _, lines, words, wrapped = known
            state.update(wrapped)
            state["blPara"] = _copy_lines(lines)
            if words is not None:
                state["frags"] = _copy_words(words)
        else:
            super().wrap(availWidth, availHeight)
            if known is not None:  # the second time: remember a copy of the lines
                words = None if self.frags is frags else _copy_words(self.frags)
                _remember(_broken, key, (frags, _copy_lines(state["blPara"]), words,
                                         {k: state[k] for k in WRAP_STATE if k in state}))
            elif self._parse_shared:
                _remember(_broken, key, (frags, None, None, {}))
        self._wrapped_width, self._wrapped_frags = availWidth, self.frags
        return self.width, self.height

    def drawPara(self, debug: int = 0) -> None:
        if debug or not draw_left_aligned(self):  # most paragraphs (aligned left) are drawn at less cost there
            super().drawPara(debug)

    def draw(self) -> None:
        """Draw, with a space at the end of each line that ends between two words.

        ReportLab writes no character where it breaks a line, so text read from the
        PDF (a screen reader following the tags, copy and paste, search) ran the last
        word of a line into the first of the next ("theirfamilies"). The space is
        drawn after the line's last glyph, so nothing on the page moves; a line that
        ends inside a word (hyphenated, or a word too long for a line) gets none.
        """
        if self.addresses is not None:
            check_addresses(self)
        added = _word_end_spaces(self)
        try:
            super().draw()
        finally:
            for undo in added:
                undo()


def check_addresses(para: Paragraph) -> None:
    """Refuse an address wider than the paragraph's line: it would be broken inside, and mistyped."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert para.addresses is not None
    found, loc = para.addresses
    style = para.style
    line = para.width - style.leftIndent - style.rightIndent - max(style.firstLineIndent, 0)
    for address in found:
        width = stringWidth(address, style.fontName, style.fontSize)
        if width > line + 0.01:
            what = ("web address" if "/" in address or address.startswith("www.")
                    else "e-mail address" if "@" in address else "phone number")
            raise BookletError.at(loc, f"the {what} '{address}' is too long to print on one line at "
                                  f"{style.fontSize:g} pt ({width / 72 * 25.4:.0f} mm; the line is "
                                  f"{line / 72 * 25.4:.0f} mm)",
                                  f"use a shorter {what} (a short link, or the page's main address) so that "
                                  "a patient can type it")


def _word_end_spaces(para: _Paragraph) -> list[Callable[[], None]]:
    """Add the spaces `Paragraph.draw` describes to the paragraph's lines; returns how to take them out."""
    bl = para.__dict__.get("blPara")
    if bl is None or para.style.alignment != TA_LEFT or len(bl.lines) < 2:
        return []
    undo: list[Callable[[], None]] = []
    lines = bl.lines
    if bl.kind == 0:  # (extra space, [words]) per line, drawn as ' '.join(words)
        for _, words in lines[:-1]:
            last = words[-1] if words else None
            if last is None or (isinstance(last, WORD_PIECE) and not isinstance(last, WORD_LAST_PIECE)):
                continue
            words.append("")
            undo.append(words.pop)
        return undo
    frag_words = para.frags
    for line, following in pairwise(lines):
        ends_with = frag_words[following.sFW - 1] if 0 < getattr(following, "sFW", 0) <= len(frag_words) else None
        if not line.words or not (isinstance(ends_with, WORD_BEFORE_SPACE) or getattr(line, "lineBreak", False)):
            continue
        last = line.words[-1]
        text = getattr(last, "text", None)
        if not isinstance(text, str) or getattr(last, "cbDefn", None) is not None or text.endswith(" "):
            continue
        last.text = text + " "
        undo.append(functools.partial(setattr, last, "text", text))
    return undo


class WritingLines(Flowable):
    """Ruled lines to write on; splits between lines across pages."""

    def __init__(self, count: int, gap: float, color: str, first_gap: float | None = None) -> None:
        super().__init__()
        self.count = count
        self.gap = gap
        self.color = color
        self.first_gap = gap if first_gap is None else first_gap

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = self.first_gap + self.gap * (self.count - 1) + 2
        return self.width, self.height

    #: A few lines to write on are kept together; more split with at least MIN_PART on each page.
    KEEP = 6
    MIN_PART = 2

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        fit = int((avail_height - 2 - self.first_gap) // self.gap) + 1
        if self.count <= self.KEEP:
            return []
        fit = min(fit, self.count - self.MIN_PART)
        if fit < self.MIN_PART:
            return []
        return [WritingLines(fit, self.gap, self.color, self.first_gap),
                WritingLines(self.count - fit, self.gap, self.color)]

    def draw(self) -> None:
        c = self.canv
        c.setStrokeColor(HexColor(self.color))
        c.setLineWidth(0.6)
        y = self.height - self.first_gap
        for _ in range(self.count):
            c.line(0, y, self.width, y)
            y -= self.gap


class Question(Flowable):
    """A checkbox, the question, and lines to write the answer on; kept on one page. The checkbox stands at
    the start of the line (`direction`: on the right of a right-to-left page)."""

    def __init__(self, para: Paragraph, box: float, lines: int, gap: float, color: str, box_color: str,
                 direction: Direction = LEFT_TO_RIGHT) -> None:
        super().__init__()
        self.para = para
        self.direction = direction
        self.box = box
        self.lines = lines
        self.gap = gap
        self.color = color
        self.box_color = box_color
        self.indent = box * 1.8

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        _, self.text_height = self.para.wrap(avail_width - self.indent, avail_height)
        self.height = self.text_height + self.gap * self.lines + 4
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        top = self.height
        laid_out = getattr(self.para, "blPara", None)  # ReportLab's paragraph; a shaped one has its own lines
        lines = laid_out.lines if laid_out is not None else self.para.lines
        first_line = (lines and self.para.style.leading) or self.box
        c.setStrokeColor(HexColor(self.box_color))
        c.setLineWidth(1.2)
        box_y = top - first_line + (first_line - self.box) / 2 - self.box * 0.12
        d, text_width = self.direction, self.width - self.indent
        c.rect(d.x(0, self.box, self.width), box_y, self.box, self.box, stroke=1, fill=0)
        left = d.x(self.indent, text_width, self.width)
        self.para.drawOn(c, left, top - self.text_height)
        c.setStrokeColor(HexColor(self.color))
        c.setLineWidth(0.6)
        y = top - self.text_height - self.gap
        for _ in range(self.lines):
            c.line(left, y, left + text_width, y)
            y -= self.gap


@lru_cache(maxsize=256)
def qr_runs(data: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR matrix for `data` as horizontal runs (row, first column, length) of dark modules."""
    from .rl_internals import qr_add_data, qr_encoder, qr_make

    qrencoder = qr_encoder()
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr_add_data(code, data)
    qr_make(code)
    n = code.getModuleCount()
    runs = []
    for row in range(n):
        col = 0
        while col < n:
            if code.isDark(row, col):
                start = col
                while col < n and code.isDark(row, col):
                    col += 1
                runs.append((row, start, col - start))
            else:
                col += 1
    return n, tuple(runs)


class QrCode(Flowable):
    """A QR code drawn as one path (not one rectangle per module), with a quiet zone."""

    QUIET = 4  # modules of white border the QR standard asks for

    def __init__(self, data: str, size: float, link: bool = True) -> None:
        super().__init__()
        self.data = data
        self.size = size
        self.link = link
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        n, runs = qr_runs(self.data)
        module = self.size / (n + 2 * self.QUIET)
        c = self.canv
        path = c.beginPath()
        for row, col, length in runs:
            x = (col + self.QUIET) * module
            y = self.size - (row + 1 + self.QUIET) * module
            path.rect(x, y, length * module, module)
        c.setFillColor(HexColor("#000000"))
        c.drawPath(path, stroke=0, fill=1)
        if self.link:
            c.linkURL(self.data, (0, 0, self.size, self.size), relative=1, thickness=0)


class FormNumber(Flowable):
    """Draws a named form defined later (a contents page number known only after layout)."""

    def __init__(self, name: str, width: float, height: float) -> None:
        super().__init__()
        self.name = name
        self.width = width
        self.height = height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.doForm(self.name)


class Marker(Flowable):
    """Zero-size flowable that runs a callback with the canvas when drawn (bookmarks, page records)."""

    def __init__(self, on_draw) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.on_draw = on_draw
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.on_draw(self.canv)


class MarkedParagraph(Paragraph):
    """A paragraph that runs a callback with the canvas when (its first part is) drawn.

    Used for headings: the bookmark and the contents page number are recorded on
    the page where the heading really lands, even when keep-with-next moves it.
    """

    on_draw: Callable[[Any], None] | None = None

    def draw(self) -> None:
        if self.on_draw is not None:
            callback, self.on_draw = self.on_draw, None
            callback(self.canv)
        super().draw()


if TYPE_CHECKING:
    from .shaped import ShapedParagraph

    #: A paragraph of text: ReportLab's (Latin, Greek, Cyrillic) or shaped (`booklet.shaping`: the Indic scripts).
    AnyParagraph = Paragraph | ShapedParagraph


def paragraph(markup: str, style: Any, language: str = "",
              on_draw: Callable[[Any], None] | None = None, rtl: bool | None = None) -> AnyParagraph:
    """The one way booklet makes a paragraph from author or layout text (escaped markup: <b>, <i>, <br/>,
    <a>, <font>). Text in a script that must be shaped (`booklet.scripts.needs_shaping`) is a ShapedParagraph
    (its links and colours are not carried yet: their text is, plain); all other text is ReportLab's Paragraph,
    exactly as before (the shaping stage is not even imported). `on_draw`: a heading's callback, run with the
    canvas when it is drawn (MarkedParagraph, or its shaped counterpart). `rtl`: the paragraph's direction
    (a right-to-left page's paragraphs are right to left, whatever they start with); None: its first strong
    character's."""
    if needs_shaping(markup):
        from .shaped import MarkedShapedParagraph, ShapedParagraph
        from .shaping import runs_from_markup

        runs = _in_style_face(runs_from_markup(markup), style.fontName)
        house = house_faces(style.fontName)
        if on_draw is None:
            return ShapedParagraph(runs, style, rtl, language=language, house=house)
        shaped = MarkedShapedParagraph(runs, style, rtl, language=language, house=house)
        shaped.on_draw = on_draw
        return shaped
    if on_draw is None:
        return Paragraph(markup, style)
    para = MarkedParagraph(markup, style)
    para.on_draw = on_draw
    return para


def _in_style_face(runs: list[Any], font_name: str) -> list[Any]:
    """A style set in a bold (or italic) face, as a heading's or a callout title's is, makes all its runs bold
    (italic), as ReportLab's Paragraph draws them in that face: the shaping stage picks faces per run."""
    from reportlab.lib.fonts import ps2tt

    try:
        _, bold, italic = ps2tt(font_name)
    except ValueError:  # a face registered without a family: as it is
        return runs
    if not (bold or italic):
        return runs
    return [replace(r, bold=r.bold or bool(bold), italic=r.italic or bool(italic)) for r in runs]


def text_width(text: str, font_name: str, size: float, bold: bool = False, language: str = "") -> float:
    """The width of one line of plain text: shaped when its script needs it (in the script's own font)."""
    if needs_shaping(text):
        from .shaping import Run, shape

        shaped = shape([Run(text, bold, False)], False, language, house_faces(font_name))
        return max((line.width for line in shaped.lines(1e9, size)), default=0.0)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font_name, size)
