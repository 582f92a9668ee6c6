"""Turns the handout model and a theme into a ReportLab story: one small builder per block kind."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Spacer,
    Table,
    TableStyle,
)

from . import model as m
from . import tagging
from . import text as tx
from .errors import BookletError, Loc, Problem
from .flowables import FormNumber, Paragraph, QrCode, Question, WritingLines, paragraph
from .fonts import FontSet
from .images import load_svg, probe, raster_for_print
from .theme import Theme, tint

if TYPE_CHECKING:
    from .flowables import AnyParagraph

#: Print resolution below which an image is not enlarged further (it would look soft).
MIN_PRINT_DPI = 150
NO_PADDING = [(f"{side}PADDING", (0, 0), (-1, -1), 0) for side in ("LEFT", "RIGHT", "TOP", "BOTTOM")]
#: A table column narrower than this many body-size characters is unreadable: stack the rows instead.
MIN_COLUMN_CHARS = 9
#: Share of the frame width a paragraph always has, even inside boxes, lists and beside a QR code.
LONG_WORD_SHARE = 0.6
#: A side of the page (`Theme.direction`: where a line starts or ends) as a paragraph alignment.
ALIGN = {"left": TA_LEFT, "right": TA_RIGHT}
#: Table style commands that name a side, and their mirror images (`mirrored_grid`).
MIRRORED_COMMANDS = {"LINEBEFORE": "LINEAFTER", "LINEAFTER": "LINEBEFORE",
                     "LEFTPADDING": "RIGHTPADDING", "RIGHTPADDING": "LEFTPADDING"}


@cache
def hyphenator(language: str) -> Callable[[str], object] | str:
    """The hyphenation callable for a language, made once ("" when there is no dictionary for it).

    ReportLab accepts a language name, but then builds a new pyphen.Pyphen, with its
    slow language look-up, for every paragraph it breaks; a callable is used as it is.
    """
    try:
        import pyphen
    except ImportError:  # pragma: no cover - pyphen is a dependency
        return ""
    name = pyphen.language_fallback(language.replace("-", "_"))
    return pyphen.Pyphen(lang=name).iterate if name else ""


@lru_cache(maxsize=8192)
def widest_word(text: str, font: str, size: float) -> float:
    """Width of the widest space-separated word of `text` (remembered: rows of a batch repeat paragraphs)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return max((stringWidth(w, font, size) for w in text.split()), default=0.0)


#: Lists and tables of up to this many items or rows are never split across pages.
KEEP_WHOLE = 4
#: A list or table that splits leaves at least this many items or rows on each page.
MIN_PART = 2


def _frame_height(flowable: Flowable) -> float | None:
    """The height of the document frame being filled (None outside a document: a summary's columns)."""
    frame = flowable._doctemplateAttr("frame")
    return None if frame is None else frame._height


class BookletList(tagging.TaggedList):
    """A list that is never split when it has up to KEEP_WHOLE items (and fits a page), and otherwise
    never leaves a single item alone at the foot or the top of a page."""

    def split(self, aW: float, aH: float) -> list[Flowable]:
        content = list(super().split(aW, aH))
        full = _frame_height(self)
        if full is None:
            return content
        items = len(content)
        if items <= KEEP_WHOLE:
            return [] if self.height <= full else content
        from reportlab.platypus.flowables import _listWrapOn

        if _listWrapOn(content[:MIN_PART], aW, self.canv)[1] > aH:  # not even the first items fit here
            return [] if aH < full * 0.9 else content
        # A split's first part must be a plain flowable or an action: KeepTogether always asks to be split.
        from reportlab.platypus.doctemplate import NullActionFlowable

        return [NullActionFlowable(), *kept_as_list(content)]


class BookletTable(Table):
    """A table that splits only between rows with at least MIN_PART body rows on each side, is kept
    whole up to KEEP_WHOLE body rows, and (a box) repeats its title row as `continued` on the next page."""

    #: Body rows kept whole up to this count (0: any split allowed, e.g. a box's rows).
    keep_rows = KEEP_WHOLE
    min_part = MIN_PART
    #: The cell drawn in place of the repeated first row on a later page (a box's title, "continued").
    continued: Any = None
    #: Once every row is measured: (the cells, the width, the row heights, row positions, height); `_calc`.
    _booklet_rows: tuple[list[tuple[Any, ...]], float, list[float], list[float], float] | None = None

    def _calc(self, availWidth: float, availHeight: float) -> None:
        """`Table._calc`, without measuring every cell again when the table is measured again.

        A box or table is wrapped several times before it is drawn (kept with its heading, tried at the foot
        of a page, split): ReportLab measures every cell each time, at the same column widths (booklet gives
        them in points) and so to the same heights. Once every row has been measured, a later call with the
        same cells and width takes the heights from then, as ReportLab's would measure them again.
        Tables that are not that simple (spans, no-split ranges, row heights or column widths not given in
        points) are measured by ReportLab's every time. tests/test_floor.py pins the state it leaves."""
        known = self._booklet_rows
        if known is not None and known[1] == availWidth and known[0] == [tuple(row) for row in self._cellvalues]:
            heights, positions, self._height = known[2:]
            self._rowHeights, self._rowpositions, self._hmax = list(heights), list(positions), len(heights)
            return
        super()._calc(availWidth, availHeight)
        heights = self._rowHeights
        # Without spans ReportLab's measures every row, whatever the height (its early stop waits for them).
        if (not self._spanCmds and not self._nosplitCmds and None not in heights
                and all(h is None for h in self._argH) and all(isinstance(w, (int, float)) for w in self._argW)):
            # the cells as measured (ReportLab's turns each cell's flowables into one tuple the first time)
            self._booklet_rows = ([tuple(row) for row in self._cellvalues], availWidth, list(heights),
                                  list(self._rowpositions), self._height)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        parts = super().split(availWidth, availHeight)
        if len(parts) != 2:
            return parts
        head = self.repeatRows if isinstance(self.repeatRows, int) else len(self.repeatRows)
        body = self._nrows - head
        full = _frame_height(self)
        fits_page = full is None or self._height <= full
        if fits_page and body <= self.keep_rows:
            return []
        first, second = parts[0]._nrows - head, parts[1]._nrows - head
        if first < self.min_part and fits_page:
            return []
        if second < self.min_part and body > 2 * self.min_part:
            keep = self._nrows - self.min_part  # rows on this page: all but the last few
            parts = super().split(availWidth, sum(self._rowHeights[:keep]) + 0.01)
            if len(parts) != 2:
                return parts
        for part in parts:
            part.keep_rows, part.min_part = 0, self.min_part
        if self.continued is not None and head:
            parts[1]._cellvalues[0] = [self.continued]
        return parts


def kept_as_list(items: list[Flowable]) -> list[Flowable]:
    """A list's items, one flowable each, grouped so that up to KEEP_WHOLE stay together and a longer list
    never leaves one alone at the foot or the top of a page (how BookletList splits, and questions)."""
    if len(items) <= KEEP_WHOLE:
        return [KeepTogether(items)]
    return [KeepTogether(items[:MIN_PART]), *items[MIN_PART:-MIN_PART], KeepTogether(items[-MIN_PART:])]


def start_height(flowable: Flowable, canv: Any, width: float, height: float) -> float:
    """The least of a flowable that must stand under a heading: two lines of a paragraph, a list or table
    of up to KEEP_WHOLE items whole (else its first MIN_PART), anything else whole."""
    inner = getattr(flowable, "_flowable", flowable)
    if isinstance(inner, StartNeeds):  # a lead-in paragraph: it and the start of its list
        inner.canv = canv
        return inner.need(width)
    _, h = flowable.wrapOn(canv, width, height)
    if isinstance(inner, KeepTogether) or h >= 0xFFFFFF:
        h = getattr(inner, "_H", h)
    if isinstance(inner, Paragraph):
        lines = len(getattr(getattr(inner, "blPara", None), "lines", ()) or ())
        if lines > MIN_PART + 1:
            h = MIN_PART * inner.style.leading
    elif isinstance(inner, BookletList):
        items = len(inner._content)
        if items > KEEP_WHOLE:
            h = h * MIN_PART / items
    elif isinstance(inner, BookletTable) and inner._nrows - 1 > KEEP_WHOLE:
        h = sum(inner._rowHeights[:MIN_PART + 1])
    return h + flowable.getSpaceBefore()


class StartNeeds(CondPageBreak):
    """Before a section heading: start a new page unless the heading, its key points and the start of
    what follows (`start_height`) fit on this one. A heading never stands at the foot of a page."""

    #: Figures waiting for the next page are placed before a new section (render.py).
    _booklet_section_start = True

    def __init__(self, group: list[Flowable], following: Flowable | None, cap: float) -> None:
        super().__init__(0)
        self.group = group
        self.following = following
        self.cap = cap

    def need(self, width: float) -> float:
        """The room the group and the start of what follows take at this width."""
        need = self.group[0].getSpaceBefore() if self.group else 0.0
        for f in self.group:
            _, h = f.wrapOn(self.canv, width, 1e6)
            need += h + f.getSpaceAfter()
        if self.following is not None:
            need += start_height(self.following, self.canv, width, 1e6)
        return min(need, self.cap)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.height = self.need(availWidth)
        return super().wrap(availWidth, availHeight)


class LeadIn(StartNeeds):
    """Before a paragraph that leads into a list or table ("A check-up goes like this:"): a new page
    unless the paragraph and the start of the list fit on this one."""

    _booklet_section_start = False


class Styles:
    """Paragraph styles derived from a theme and a font family."""

    def __init__(self, theme: Theme, fonts: FontSet, language: str) -> None:
        t, p, d = theme.type, theme.palette, theme.direction
        hyphen = hyphenator(language) if theme.hyphenate else ""
        self.theme, self.fonts = theme, fonts

        def style(name: str, size: float, *, bold: bool = False, color: str = p.text, hyphenate: bool = False,
                  **kw: object) -> ParagraphStyle:
            """Only running text may be hyphenated (where the layout opts in); headings, labels, cells never."""
            size = max(size, t.min)
            language = hyphen if hyphenate and not bold else ""
            options: dict[str, object] = dict(
                fontName=fonts.bold if bold else fonts.regular, fontSize=size,
                leading=size * t.leading, textColor=HexColor(color),
                alignment=ALIGN[d.start], allowWidows=0, allowOrphans=0, splitLongWords=1,
                hyphenationLang=language, embeddedHyphenation=1 if language else 0,
                bulletFontName=fonts.regular,
            )
            options.update(kw)
            return ParagraphStyle(name, **options)

        body = t.size("body")
        self.body = style("body", body, spaceAfter=theme.space["paragraph"], hyphenate=True)
        self.item = style("item", body, spaceAfter=theme.space["paragraph"] * 0.4, hyphenate=True)
        self.cell = style("cell", max(body - 1, t.floor))
        self.cell_head = style("cell_head", max(body - 1, t.floor), bold=True, color=p.primary_text)
        self.title = style("title", t.size("title"), bold=True, color=p.primary_text, leading=t.size("title") * 1.15,
                           spaceAfter=t.size("title") * 0.5)
        self.subtitle = style("subtitle", t.size("subtitle"), color=p.text, leading=t.size("subtitle") * 1.3,
                              spaceAfter=theme.space["block"])
        self.h1 = style("h1", t.size("h1"), bold=True, color=p.primary_text, leading=t.size("h1") * 1.2,
                        spaceBefore=theme.space["section"], spaceAfter=theme.space["paragraph"] * 1.2, keepWithNext=1)
        self.section = ParagraphStyle("h1-section", parent=self.h1, keepWithNext=0)
        self.h2 = style("h2", t.size("h2"), bold=True, color=p.primary_text, leading=t.size("h2") * 1.25,
                        spaceBefore=theme.space["block"], spaceAfter=theme.space["paragraph"] * 0.8, keepWithNext=1)
        self.box_title = style("box_title", max(body + 1, t.size("h2") * 0.85), bold=True,
                               leading=max(body + 1, t.size("h2") * 0.85) * 1.25, spaceAfter=3)
        self.label = style("label", body, bold=True, spaceAfter=2)
        self.term = style("term", body, bold=True, spaceAfter=1, keepWithNext=1)
        indent: dict[str, Any] = {f"{d.start}Indent": body}  # a definition is indented from the start side
        self.definition = style("definition", body, spaceAfter=theme.space["paragraph"], hyphenate=True, **indent)
        self.small = style("small", t.size("small"), color=p.muted)
        #: Small print at the end of the line (a page number).
        self.small_right = style("small_right", t.size("small"), color=p.muted, alignment=ALIGN[d.end])
        self.caption = style("caption", t.size("small") + 0.5, color=p.muted, spaceBefore=3)
        self.toc = style("toc", body, leading=body * 1.3)
        self.on_band = style("on_band", t.size("subtitle") * 0.85, color=p.on_primary)
        self.on_band_bold = style("on_band_bold", t.size("subtitle") * 0.85, bold=True, color=p.on_primary)


@dataclass
class Composer:
    """Builds flowables for one document; `values` fill the placeholders."""

    handout: m.Handout
    clinic: m.Clinic
    theme: Theme
    fonts: FontSet
    values: dict[str, str]
    frame_width: float
    frame_height: float
    styles: Styles = field(init=False)
    #: Section headings to number on the contents page: (form name, bookmark key).
    headings: list[tuple[str, str, str]] = field(default_factory=list)
    #: Each style's copy without hyphenation, made once: id(style) -> (style, its copy).
    unhyphenated: dict[int, tuple[ParagraphStyle, ParagraphStyle]] = field(default_factory=dict)
    #: Where the text being composed was written (the block's line; the handout for layout text).
    loc: Loc | None = None
    #: Warnings found while composing (a picture whose text prints small, ...).
    warnings: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.styles = Styles(self.theme, self.fonts, self.handout.language)

    # -- text ------------------------------------------------------------------
    def p(self, markup: str, style: ParagraphStyle, on_draw: Callable[[Any], None] | None = None) -> AnyParagraph:
        """A paragraph of escaped markup: shaped when its script needs it (`booklet.flowables.paragraph`)."""
        return paragraph(markup, style, self.handout.language, on_draw, self.theme.direction.rtl or None)

    def para(self, text: str, style: ParagraphStyle, width: float | None = None, links: bool = True) -> AnyParagraph:
        """`width`: the narrowest the paragraph may be set (default: a safe share of the frame);
        `links`: its web and e-mail addresses and phone numbers are live links."""
        plain = tx.plain(text, self.values)
        style = self.unhyphenated_if_too_long(plain, style, width)
        markup = tx.markup(text, self.values, self.theme.emphasis)
        if style.hyphenationLang:
            markup = tx.no_hyphens_in_bold(markup)
        return self.with_addresses(self.p(self.linked(markup) if links else markup, style), plain)

    @staticmethod
    def linked(markup: str) -> str:
        """Markup with its web and e-mail addresses and phone numbers as live links (in Link elements when tagged)."""
        return tagging.link_marks(tx.with_links(markup))

    def with_addresses(self, para: AnyParagraph, plain: str, loc: Loc | None = None) -> AnyParagraph:
        """Note the addresses in the text, so that one too long for its line is refused, not broken."""
        found = tx.addresses(plain)
        if found:
            para.addresses = (tuple(found), loc or self.loc or self.handout.loc)
        return para

    def unhyphenated_if_too_long(self, text: str, style: ParagraphStyle, width: float | None) -> ParagraphStyle:
        """Hyphenation off for a paragraph with a word longer than a line.

        ReportLab 5.1 loses splitLongWords when such a paragraph is hyphenated and then
        split across pages: the rest of the long word is drawn as one line off the page.
        """
        if not style.hyphenationLang:
            return style
        limit = (width if width is not None else self.frame_width * LONG_WORD_SHARE) - style.leftIndent
        if widest_word(text, self.fonts.bold, style.fontSize) <= limit:
            return style
        known = self.unhyphenated.get(id(style))
        if known is None:  # the entry keeps `style` alive, so its id cannot be reused by another style
            known = self.unhyphenated[id(style)] = (style, ParagraphStyle(
                f"{style.name}-unhyphenated", parent=style, hyphenationLang="", embeddedHyphenation=0))
        return known[1]

    def words(self, key: str) -> str:
        return self.theme.word(key)

    def literal(self, text: str, style: ParagraphStyle, loc: Loc | None = None) -> AnyParagraph:
        """A paragraph of layout text or clinic text: escaped, no emphasis marks."""
        return self.with_addresses(self.p(self.linked(tx.escape_text(text)),
                                             self.unhyphenated_if_too_long(text, style, None)), text, loc)

    def grid(self, data: Sequence[Sequence[object]], widths: list[float], commands: list[tuple], **kw: object) -> Table:
        """A ReportLab table whose cell font is ours (its default would be Helvetica).

        Rows, widths and commands are given in reading order, as for a left-to-right page ("LINEBEFORE": the
        side a line starts at); on a right-to-left page the grid is laid out mirrored (`mirrored_grid`)."""
        data = [[tagging.ensure_cell(v) for v in row] for row in data]  # cells are tagged; the rest is artifact
        if self.theme.direction.rtl:
            data, widths, commands = mirrored_grid(data, widths, commands)
        table = BookletTable(data, colWidths=widths, hAlign=self.theme.direction.start.upper(),
                             renderCB=tagging.TABLE_ARTIFACTS, **kw)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), self.fonts.regular, self.styles.body.fontSize),
                                   *commands]))
        return table

    # -- blocks ----------------------------------------------------------------
    def block(self, block: m.Block) -> list[Flowable]:
        self.loc = block.loc
        flowables = [tagging.ensure(f) for f in _BUILDERS[type(block)](self, block)]
        for f in flowables:
            f._booklet_loc = block.loc  # type: ignore[attr-defined]
        return flowables

    def paragraph(self, b: m.Paragraph) -> list[Flowable]:
        return [self.para(b.text, self.styles.body)]

    def list_of(self, items: tuple[str, ...], numbered: bool, style: ParagraphStyle | None = None,
                color: str | None = None) -> ListFlowable:
        """`color`: of the bullets or numbers (default the primary text colour; in a box, the box's own colour,
        which is the one known to read on its tint)."""
        s = self.styles
        style = style or s.item
        size = style.fontSize
        items_ = [ListItem(self.para(item, style)) for item in items]
        indent = size * (1.8 if numbered else 1.3)
        if numbered:  # room for the widest number ("12.") and a space: a number never runs into its text
            from reportlab.pdfbase.pdfmetrics import stringWidth

            indent = max(indent, stringWidth(f"{len(items)}.", self.fonts.bold, size) + size * 0.6)
        d = self.theme.direction
        kw: dict[str, Any] = dict(
            bulletFontName=self.fonts.bold if numbered else self.fonts.regular,
            bulletFontSize=size, bulletColor=HexColor(color or self.theme.palette.primary_text),
            bulletDedent="auto", spaceAfter=self.theme.space["paragraph"],
            # bullets and numbers at the start of the line, the text indented from that side
            bulletDir=d.name, bulletAlign=d.start, **{f"{d.start}Indent": indent, f"{d.end}Indent": 0},
        )
        if numbered:  # the number's full stop between it and the text: "12." on the left, ".12" on the right
            return BookletList(items_, bulletType="1", bulletFormat="".join(d.ordered(("%s", "."))), **kw)
        return BookletList(items_, bulletType="bullet", start="•", **kw)

    def bullets(self, b: m.Bullets) -> list[Flowable]:
        return [self.list_of(b.items, numbered=False)]

    def steps(self, b: m.Steps) -> list[Flowable]:
        return [self.list_of(b.items, numbered=True)]

    def box(self, rows: list[list[Flowable]], color: str, background: str, keep: bool = True,
            continued: Flowable | None = None) -> Flowable:
        """A shaded box with a coloured bar at the start of its lines (the left; on a right-to-left page the
        right); splits between rows, kept whole when it fits.

        keep=False leaves the keeping to the caller (a KeepTogether inside another one
        reports an endless height, so the outer one would always start a new page).
        `continued`: drawn in place of the first row (the title) at the top of a later page
        when the box is taller than a page.
        """
        pad = self.theme.type.size("body") * 0.7
        repeats = continued is not None and len(rows) > 1  # a title row over more rows to repeat
        table = self.grid([[r] for r in rows], [self.frame_width], [
            ("BACKGROUND", (0, 0), (-1, -1), HexColor(background)),
            ("LINEBEFORE", (0, 0), (0, -1), 4, HexColor(color)),
            ("LEFTPADDING", (0, 0), (-1, -1), pad + 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("TOPPADDING", (0, 0), (-1, 0), pad * 0.8),
            ("BOTTOMPADDING", (0, -1), (-1, -1), pad * 0.6),
            # a box broken across pages or columns keeps its padding on both sides of the break
            ("TOPPADDING", (0, "splitfirst"), (-1, "splitfirst"), pad * 0.8),
            ("BOTTOMPADDING", (0, "splitlast"), (-1, "splitlast"), pad * 0.6),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ], splitInRow=1, repeatRows=1 if repeats else 0)
        assert isinstance(table, BookletTable)
        table.keep_rows, table.min_part = 0, 1
        if repeats:
            table.continued = tagging.wrap(continued, tagging.ARTIFACT)  # a repeat: screen readers skip it
        table.spaceAfter = self.theme.space["block"]  # space, not a Spacer: none is kept at the foot of a page
        box = tagging.tagged(table, "Div", group=True)
        return KeepTogether([box]) if keep else box

    def callout(self, b: m.Callout) -> list[Flowable]:
        s = self.styles
        color, background, symbol = self.theme.palette.callouts[b.kind]
        label_style = ParagraphStyle("callout_label", parent=s.label, textColor=HexColor(color))
        head_style = ParagraphStyle("callout_head", parent=s.box_title, textColor=HexColor(color))
        rows: list[list[Flowable]] = []
        label = tx.escape_text(f"{symbol} {self.words(b.kind)}")
        title = tx.markup(b.title, self.values, self.theme.emphasis) if b.title else ""
        if b.title:
            rows.append([self.p(f"{label}<br/><font color='{color}'>{title}</font>", head_style)])
        else:
            rows.append([self.p(label, label_style)])
        more = tx.escape_text(f" ({self.words('continued')})")
        continued = self.p(f"{label}<br/><font color='{color}'>{title}{more}</font>" if b.title else label + more,
                           head_style if b.title else label_style)
        if b.text:
            rows.append([self.para(b.text, s.body)])
        if b.bullets:
            rows.append([self.list_of(b.bullets, numbered=False, color=color)])
        box = self.box(rows, color, background, continued=continued)
        box._booklet_float = True  # type: ignore[attr-defined]
        return [box]

    def key_points(self, points: tuple[str, ...], keep: bool = True) -> Flowable:
        p = self.theme.palette
        head = self.literal(self.words("key_points"), ParagraphStyle("kp", parent=self.styles.box_title,
                                                                     textColor=HexColor(p.primary_text)))
        return self.box([[head], [self.list_of(points, numbered=False)]], p.primary, p.primary_tint, keep=keep)

    def table(self, b: m.Table) -> list[Flowable]:
        s = self.styles
        ncols = len(b.columns)
        char_width = s.cell.fontSize * 0.55
        if self.frame_width / ncols < MIN_COLUMN_CHARS * char_width * 1.4 or not self.words_fit(b):
            return self.stacked_table(b)
        widths = self.column_widths(b)
        pad = s.cell.fontSize * 0.4
        data = [[self.para(c, s.cell_head, w - 2 * pad) for c, w in zip(b.columns, widths, strict=False)]]
        data += [[self.para(c, s.cell, w - 2 * pad) for c, w in zip(row, widths, strict=False)] for row in b.rows]
        data, table_tag = tagging.table_cells(data, header_rows=1)
        p = self.theme.palette
        commands = [
            ("BACKGROUND", (0, 0), (-1, 0), HexColor(p.primary_tint)),
            ("LINEBELOW", (0, 0), (-1, 0), 1.2, HexColor(p.primary)),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, HexColor(p.rule)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
            ("TOPPADDING", (0, 0), (-1, -1), pad * 0.8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
        ]
        # Rows split between rows; only a row too tall for a page is split inside its cells.
        longest = max(len(c) * s.cell.fontSize * 0.55 / w for row in b.rows for c, w in zip(row, widths, strict=False))
        tall = longest * s.cell.leading > self.frame_height * 0.6
        table = self.grid(data, widths, commands, repeatRows=1, splitInRow=1 if tall else 0)
        if len(b.rows) <= KEEP_WHOLE:  # kept whole: it may wait for the next page while the text fills this one
            table._booklet_float = True  # type: ignore[attr-defined]
        return [tagging.wrap(table, table_tag), Spacer(1, self.theme.space["block"])]

    def longest_word(self, b: m.Table, i: int) -> float:
        """Width of the longest word in column `i`, its heading (bold) included."""
        s = self.styles
        cells = " ".join(tx.plain(row[i], self.values) for row in b.rows)
        return max(widest_word(cells, self.fonts.regular, s.cell.fontSize),
                   widest_word(tx.plain(b.columns[i], self.values), self.fonts.bold, s.cell_head.fontSize))

    def words_fit(self, b: m.Table) -> bool:
        """Whether every column can be as wide as its longest word: if not, words would break mid-word."""
        pad = self.styles.cell.fontSize * 0.8
        return sum(self.longest_word(b, i) + pad for i in range(len(b.columns))) <= self.frame_width

    def column_widths(self, b: m.Table) -> list[float]:
        """Each column gets room for its longest word, the rest shared by how much text it holds."""
        s = self.styles
        pad = s.cell.fontSize * 0.8
        need, share = [], []
        for i in range(len(b.columns)):
            cells = [tx.plain(row[i], self.values) for row in b.rows]
            need.append(min(self.longest_word(b, i) + pad, self.frame_width * 0.45))
            share.append(sum(len(c) for c in cells) / len(cells) + 4)
        spare = self.frame_width - sum(need)
        if spare <= 0:
            return [self.frame_width * n / sum(need) for n in need]
        return [n + spare * w / sum(share) for n, w in zip(need, share, strict=False)]

    def stacked_table(self, b: m.Table) -> list[Flowable]:
        """Each row as 'column: value' lines, for tables too wide for the page at this text size."""
        s = self.styles
        p = self.theme.palette
        out: list[Flowable] = []
        for row in b.rows:
            rows = [[self.p(self.linked(f"<b>{tx.markup(col, self.values, self.theme.emphasis)}:</b> "
                                        f"{tx.markup(cell, self.values, self.theme.emphasis)}"),
                            self.unhyphenated_if_too_long(tx.plain(f"{col} {cell}", self.values), s.cell, None))]
                    for col, cell in zip(b.columns, row, strict=False)]
            out.append(self.box(rows, p.rule, tint(p.primary, 0.06)))
        return out

    def image(self, b: m.Image) -> list[Flowable]:
        info = probe(b.path)
        width = self.frame_width * b.width
        if info.kind == "svg":
            # Text in a picture is text: it is enlarged to the layout's smallest size, never printed under it.
            # It may then take the whole page but for its caption.
            drawing = load_svg(b.path)
            smallest = smallest_text_size(drawing)
            # Text in a picture is text: the picture is enlarged until its text prints at the layout's
            # figure size (9 pt; large print 16 pt), up to the text width and the page's height.
            minimum = max(self.theme.figure_text, self.theme.type.min)
            need = drawing.width * minimum / smallest if smallest and minimum else 0.0
            limit = self.frame_height * 0.8
            if need:
                caption = 0.0
                if b.caption:
                    style = self.styles.caption
                    _, height = self.para(b.caption, style).wrap(self.frame_width, self.frame_height)
                    caption = height + style.spaceBefore
                limit = max(limit, min(need * drawing.height / drawing.width, self.frame_height - caption - 2))
            flowable = self.svg(b.path, min(max(width, need), self.frame_width), limit)
            if need and flowable.width < need - 0.01:
                shown = smallest * flowable.width / drawing.width
                message = (f"the text in the picture {b.src} would print at {shown:.1f} pt, under the "
                           f"{minimum:g} pt this layout asks for")
                hint = "make the text in the SVG file larger, or the picture less tall"
                if shown < self.theme.type.min:  # large print: no glyph under its minimum, ever
                    raise BookletError.at(b.loc, message, hint)
                self.warnings.append(Problem(b.loc, message, hint, "warning"))
        else:
            # Never enlarge past MIN_PRINT_DPI: a small picture stays small rather than blurred.
            width = min(width, info.width_px / MIN_PRINT_DPI * 72)
            height = width * info.height_px / info.width_px
            limit = self.frame_height * 0.8
            if height > limit:
                width, height = width * limit / height, limit
            data, _, _ = raster_for_print(b.path, round(width, 1), round(height, 1))
            import io

            flowable = Image(io.BytesIO(data), width=width, height=height)
        flowable.hAlign = self.theme.direction.start.upper()
        parts: list[Flowable] = [tagging.tagged(flowable, "Figure", alt=b.alt)]
        if b.caption:
            parts.append(tagging.tagged(self.para(b.caption, self.styles.caption), "Caption"))
        figure = KeepTogether(parts)
        figure._booklet_float = True  # type: ignore[attr-defined]
        return [figure, Spacer(1, self.theme.space["block"])]

    def svg(self, path, width: float, max_height: float) -> Flowable:  # type: ignore[no-untyped-def]
        import copy

        from reportlab.graphics.shapes import Group, String

        drawing = copy.deepcopy(load_svg(path))
        # The renderer's starting state names rl_config's Helvetica even with no text in the drawing.
        drawing.initialFontName = self.fonts.regular
        scale = min(width / drawing.width, max_height / drawing.height)
        stack = [drawing]
        while stack:  # SVG text must use the embedded font, never a standard-14 one
            node = stack.pop()
            for child in getattr(node, "contents", []):
                if isinstance(child, String):
                    child.fontName = self.fonts.regular
                    for ch in child.text:
                        if not self.fonts.can_draw(ch):
                            raise BookletError.at(str(path), f"the SVG's text has '{ch}' (U+{ord(ch):04X}), "
                                                  f"which the font {self.fonts.label} cannot draw")
                elif isinstance(child, Group):
                    stack.append(child)
        drawing.scale(scale, scale)
        drawing.width *= scale
        drawing.height *= scale
        return drawing

    def questions(self, b: m.Questions) -> list[Flowable]:
        p = self.theme.palette
        questions = tagging.Tag("L")  # L > LI > LBody; the checkbox and writing lines are artifacts
        out: list[Flowable] = []
        for q in b.items:
            item = tagging.Tag("LI", parent=questions, group=True)
            out.append(tagging.wrap(Question(tagging.tagged(self.para(q, self.styles.body), "LBody", parent=item),
                                             self.theme.checkbox, self.theme.writing_lines, self.theme.note_gap,
                                             p.rule, p.primary_text, self.theme.direction), item))
        return [*kept_as_list(out), Spacer(1, self.theme.space["block"])]

    def notes(self, b: m.Notes) -> list[Flowable]:
        return [WritingLines(b.lines, self.theme.note_gap, self.theme.palette.rule),
                Spacer(1, self.theme.space["block"])]

    def glossary(self, b: m.Glossary) -> list[Flowable]:
        out: list[Flowable] = []
        entries = tagging.Tag("L")  # L > LI > (Lbl: the term, LBody: what it means)
        for term, meaning in b.entries:
            item = tagging.Tag("LI", parent=entries, group=True)
            out.append(tagging.tagged(self.para(term, self.styles.term), "Lbl", parent=item))
            out.append(tagging.tagged(self.para(meaning, self.styles.definition), "LBody", parent=item))
        return out

    def qr(self, b: m.Qr) -> list[Flowable]:
        """The code beside its caption; the address under them at body size, whole, for people who type it."""
        s = self.styles
        size = max(28 * 72 / 25.4, s.body.fontSize * 7)
        url = tx.fill_plain(b.url, self.values)
        text: list[Flowable] = []
        if b.caption:
            text.append(self.para(b.caption, s.label))
        text.append(self.literal(f"{self.words('scan')}:", s.small))
        address = self.literal(url, ParagraphStyle("url", parent=s.body, spaceAfter=0), b.loc)
        gap = s.body.fontSize
        side = self.frame_width - size - gap
        from reportlab.pdfbase.pdfmetrics import stringWidth

        if side < s.body.fontSize * 10:  # too narrow side by side: stack
            return [KeepTogether([QrCode(url, size), Spacer(1, 4), *text, address]),
                    Spacer(1, self.theme.space["block"])]
        below = stringWidth(url, s.body.fontName, s.body.fontSize) > side
        if not below:
            text.append(address)
        table = self.grid([[QrCode(url, size), text]], [size + gap, side],
                          [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *NO_PADDING])
        if below:
            return [KeepTogether([table, Spacer(1, 4), address]), Spacer(1, self.theme.space["block"])]
        return [table, Spacer(1, self.theme.space["block"])]

    def page_break(self, b: m.PageBreak) -> list[Flowable]:
        return [PageBreak()]

    # -- document parts ----------------------------------------------------------
    def heading(self, text: str, key: str) -> list[Flowable]:
        """A section heading with its bookmark; its page number goes to the contents page."""
        form = f"toc{len(self.headings)}"
        self.headings.append((form, key, text))
        markup = tx.markup(text, self.values, self.theme.emphasis)
        return [self._marked_heading(markup, tx.plain(text, self.values), key, form)]

    def heading_plain(self, text: str, key: str) -> list[Flowable]:
        """A heading the layout writes itself (not numbered in the contents)."""
        return [self._marked_heading(tx.escape_text(text), text, key, None)]

    def _marked_heading(self, markup: str, title: str, key: str, form: str | None) -> AnyParagraph:
        """The heading records its bookmark (and contents page number) on the page where it lands."""

        def mark(canv) -> None:  # type: ignore[no-untyped-def]
            canv.bookmarkPage(key)
            canv.addOutlineEntry(title, key, level=0, closed=False)
            if form is not None:
                canv.record_page_number(form)

        # A section heading is kept with the start of its section by StartNeeds (two lines of text), not
        # by keepWithNext, which would hold it to the whole next paragraph and leave a hole.
        return self.p(markup, self.styles.section if form is not None else self.styles.h1, on_draw=mark)

    def contents(self) -> list[Flowable]:
        s = self.styles
        number_width = s.toc.fontSize * 2.6
        rows = []
        toc = tagging.Tag("TOC", group=True)  # TOC > TOCI > Link to the section (its heading and page number)
        for form, key, text in self.headings:
            entry = tagging.Tag("TOCI", parent=toc)
            # The key is booklet's own name for the section's bookmark (s1, s2, ...); shaped text keeps the
            # link's words but carries no link yet.
            linked = self.p(f'<a href="#{tx.escape_text(key)}">{tx.markup(text, self.values, self.theme.emphasis)}'
                            "</a>", s.toc)
            link = tagging.Tag("Link", parent=entry, contents=tx.plain(text, self.values))
            rows.append([tagging.wrap(linked, link),
                         tagging.wrap(FormNumber(form, number_width, s.toc.leading), link)])
        table = self.grid(rows, [self.frame_width - number_width, number_width], [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), s.toc.fontSize * 0.35),
            ("BOTTOMPADDING", (0, 0), (-1, -1), s.toc.fontSize * 0.35),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, HexColor(self.theme.palette.rule)),
        ])
        return [self.literal(self.words("contents"), s.h1), table]


#: Block kind -> its builder (each takes its own kind of block).
_BUILDERS: dict[type, Callable[[Composer, Any], list[Flowable]]] = {
    m.Paragraph: Composer.paragraph,
    m.Bullets: Composer.bullets,
    m.Steps: Composer.steps,
    m.Callout: Composer.callout,
    m.Table: Composer.table,
    m.Image: Composer.image,
    m.Questions: Composer.questions,
    m.Notes: Composer.notes,
    m.Glossary: Composer.glossary,
    m.Qr: Composer.qr,
    m.PageBreak: Composer.page_break,
}


def mirrored_grid(data: Sequence[Sequence[Any]], widths: list[float],
                  commands: list[tuple]) -> tuple[list[list[Any]], list[float], list[tuple]]:
    """A grid laid out from the right: each row's cells and the column widths reversed, and each style
    command moved to its mirror image (columns counted from the other side, before and after, left and
    right padding swapped, cells aligned right). The cells keep their reading order in the structure tree
    (`tagging.table_cells`)."""
    n = len(widths)
    mirrored: list[tuple] = [("ALIGN", (0, 0), (-1, -1), "RIGHT")]  # what is narrower than its cell: at the start
    for name, start, end, *args in commands:
        (sc, sr), (ec, er) = start, end
        sc, ec = (n - 1 - (ec % n), n - 1 - (sc % n)) if isinstance(sc, int) and isinstance(ec, int) else (sc, ec)
        if name == "ALIGN":
            args = [{"LEFT": "RIGHT", "RIGHT": "LEFT"}.get(str(args[0]).upper(), args[0])]
        mirrored.append((MIRRORED_COMMANDS.get(name, name), (sc, sr), (ec, er), *args))
    return [list(row)[::-1] for row in data], widths[::-1], mirrored


def smallest_text_size(drawing) -> float | None:  # type: ignore[no-untyped-def]
    """The smallest font size of the text in a drawing, in the drawing's own units (None: no text)."""
    from reportlab.graphics.shapes import Group, String

    sizes: list[float] = []
    stack = [(drawing, 1.0)]
    while stack:
        node, scale = stack.pop()
        for child in getattr(node, "contents", []):
            if isinstance(child, String):
                sizes.append(child.fontSize * scale)
            elif isinstance(child, Group):
                a, b, c, d = (child.transform or (1, 0, 0, 1, 0, 0))[:4]
                stack.append((child, scale * math.sqrt(abs(a * d - b * c))))
    return min(sizes) if sizes else None
