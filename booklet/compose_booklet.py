"""Composes the folded patient booklet: cover, contents, at a glance, sections, notes, back page."""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, KeepTogether, NextPageTemplate, PageBreak, Spacer
from reportlab.platypus.doctemplate import ActionFlowable

from . import __version__, tagging
from . import model as m
from . import rl_internals as rl
from . import text as tx
from .compose import Composer, LeadIn, StartNeeds
from .errors import BookletError
from .flowables import WritingLines, text_width
from .fonts import FontSet
from .images import probe, raster_for_print
from .render import DocumentSpec, Metadata, NumberStyle, Outcome, PadTo, PartEnd, Story
from .theme import Theme, long_date

if TYPE_CHECKING:
    from .flowables import AnyParagraph

MM = 72 / 25.4
#: Pages in a saddle-stitched booklet come in fours (one folded sheet is four pages).
SADDLE_STITCH = 4
#: Sections needed before a contents page helps.
CONTENTS_FROM = 3
#: The contents page is the first inner page.
CONTENTS_PAGE = 2
#: Space kept clear between the cover's logo, title and band (points).
COVER_GAP = 8 * MM
#: The cover band's share of the page height, and the most it may grow to for a long audience line.
BAND_SHARE = 0.2
MAX_BAND_SHARE = 0.4
#: Share of the cover frame left empty above the title.
COVER_LEAD = 0.12


def format_date(date: dt.date | None, language: str) -> str:
    return "" if date is None else long_date(date, language)


@dataclass
class Page:
    """Page geometry for one theme."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @classmethod
    def of(cls, theme: Theme) -> Page:
        w, h = theme.page
        side = max(theme.margins["inner"], theme.margins["outer"])
        return cls(w, h, side, side, theme.margins["top"], theme.margins["bottom"])

    @property
    def frame(self) -> tuple[float, float, float, float]:
        return (self.left, self.bottom, self.width - self.left - self.right, self.height - self.top - self.bottom)


class Furniture:
    """What is drawn on every page around the story: bands, logo, footers."""

    def __init__(self, c: Composer, page: Page) -> None:
        self.c = c
        self.page = page
        self.logo_height = (14 if c.theme.type.min < 16 else 22) * MM
        self._footer: AnyParagraph | None = None
        self._audience: tuple[AnyParagraph, float] | None = None
        if c.handout.audience:  # measured now: a long one (a patient's long name in it) makes the band taller
            para = c.para(c.handout.audience, c.styles.on_band)
            self._audience = (para, para.wrap(page.width - page.left - page.right, page.height)[1])

    # cover ---------------------------------------------------------------------
    def band_height(self) -> float:
        """The cover's coloured band: a fifth of the page, taller when the audience line needs it."""
        band = self.page.height * BAND_SHARE
        if self._audience is not None:
            band = max(band, min(self._audience[1] + COVER_GAP, self.page.height * MAX_BAND_SHARE))
        return band

    def cover(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """The band, the logo at the top corner on the end side, the clinic's name at the start side."""
        c, p, pg, d = self.c, self.c.theme.palette, self.page, self.c.theme.direction
        canvas.saveState()
        band = self.band_height()
        canvas.setFillColor(HexColor(p.primary))
        canvas.rect(0, 0, pg.width, band, stroke=0, fill=1)
        canvas.setFillColor(HexColor(p.accent))
        canvas.rect(0, band, pg.width, 3, stroke=0, fill=1)
        top = pg.height - pg.top
        width = pg.width - pg.left - pg.right
        logo_w = 0.0
        if c.clinic.logo is not None:
            logo_w = self.draw_logo(canvas, pg.left + d.x(width, 0, width), top, width * 0.5, self.logo_height,
                                    d.end)
        if c.clinic.name:
            s = ParagraphStyle("clinic", parent=c.styles.label, textColor=HexColor(p.primary_text))
            para = c.literal(c.clinic.name, s)
            _, h = para.wrap(width - logo_w - 8, self.logo_height * 2)
            if h > self.logo_height + COVER_GAP:  # it would run into the title
                raise BookletError.at(c.clinic.field_locs.get("name", c.clinic.loc),
                                      "the clinic name is too long to fit on the cover",
                                      "shorten it to one or two lines")
            tagging.ensure(para).drawOn(canvas, pg.left + d.x(0, width - logo_w - 8, width), top - h)
        if self._audience is not None:
            para, h = self._audience
            if h + COVER_GAP > band + 0.01:  # even the tallest band is too short: it would run off the page
                raise BookletError.at(c.handout.field_locs.get("audience", c.handout.loc),
                                      "the audience is too long to fit on the cover", "shorten it to a sentence")
            with tagging.reading_last(canvas):  # drawn with the cover, read after the title
                tagging.ensure(para).drawOn(canvas, pg.left, (band - h) / 2)
        canvas.restoreState()

    def draw_logo(self, canvas: Canvas, x: float, top: float, max_w: float, max_h: float,
                  side: str = "right") -> float:
        """Draw the clinic logo with its top corner on `side` (its top-right corner, or top-left) at (x, top);
        returns its width."""
        path = self.c.clinic.logo
        assert path is not None
        info = probe(path)
        scale = min(max_w / info.width_px, max_h / info.height_px)
        if info.kind == "svg":
            from reportlab.graphics import renderPDF

            drawing = self.c.svg(path, max_w, max_h)
            right = x if side == "right" else x + drawing.width
            box = (right - drawing.width, top - drawing.height, drawing.width, drawing.height)
            with tagging.tag(canvas, "Figure", alt=self.c.clinic.logo_alt, bbox=box):
                renderPDF.draw(drawing, canvas, right - drawing.width, top - drawing.height)
            return drawing.width
        w, h = info.width_px * scale, info.height_px * scale
        right = x if side == "right" else x + w
        data, _, _ = raster_for_print(path, round(w, 1), round(h, 1))
        from reportlab.lib.utils import ImageReader

        with tagging.tag(canvas, "Figure", alt=self.c.clinic.logo_alt, bbox=(right - w, top - h, w, h)):
            canvas.drawImage(ImageReader(io.BytesIO(data)), right - w, top - h, w, h, mask="auto")
        return w

    # inner pages -------------------------------------------------------------------
    def number_width(self) -> float:
        """Room for the page number: the widest it can be ("Page 888"), so it never wraps."""
        s = self.c.styles.small
        return text_width(f"{self.c.words('page')} 888", s.fontName, s.fontSize, language=self.c.handout.language)

    def footer_label(self, width: float) -> AnyParagraph:
        """The running footer's title and reference on one line: a long title is shortened with an
        ellipsis (the cover has it whole). Made once: it is the same on every page."""
        if self._footer is None:
            c, s = self.c, self.c.styles.small
            title = " ".join(tx.plain(c.handout.title, c.values).split())
            reference = c.handout.reference

            def fits(text: str) -> bool:
                return text_width(text, s.fontName, s.fontSize, language=c.handout.language) <= width

            def label(shown: str) -> str:
                return " · ".join(filter(None, [shown, reference]))

            if not fits(reference):
                raise BookletError.at(c.handout.field_locs.get("reference", c.handout.loc),
                                      "the reference is too long for the page footer",
                                      "use a short code like ONC-014")
            shown = title
            while shown and not fits(label(shown if shown == title else shown + "…")):
                cut = shown[:-1].rstrip()
                words = cut.rsplit(" ", 1)  # prefer to cut at a word
                shown = words[0] if len(words) > 1 and len(words[0]) > len(cut) * 0.6 else cut
            text = label(shown if shown == title else (shown + "…" if shown else ""))
            self._footer = c.p(tx.escape_text(text), s)
        return self._footer

    def draw_label(self, canvas: Canvas, label: AnyParagraph, x: float, y: float) -> None:
        """Draw the footer label at (x, y). It is the same paragraph at the same place on every inner page, drawn
        the same way (between its own save and restore of the graphics state, as an artifact): the operators it
        wrote on the document's first inner page are written again. Kept on the canvas, as they hold the codes
        that document gave the label's characters (a layout drawn again is a new document)."""
        code = rl.code(canvas)
        known = canvas.__dict__.get("_booklet_label")
        if known is not None and known[0] == (x, y) and known[1] is label:
            code.extend(known[2])
            return
        start = len(code)
        label.drawOn(canvas, x, y)
        canvas._booklet_label = ((x, y), label, code[start:])  # type: ignore[attr-defined]

    def inner(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """The band at the top; the footer: the title and reference at the start side, the page number at the end."""
        c, p, pg, d = self.c, self.c.theme.palette, self.page, self.c.theme.direction
        canvas.saveState()
        canvas.setFillColor(HexColor(p.primary))
        canvas.rect(0, pg.height - 2.5 * MM, pg.width, 2.5 * MM, stroke=0, fill=1)
        s = c.styles
        width = pg.width - pg.left - pg.right
        number = c.p(tx.escape_text(f"{c.words('page')} {canvas.getPageNumber()}"), s.small_right)
        nw = self.number_width()
        baseline_top = pg.bottom * 0.62
        label_width = width - nw - s.small.fontSize
        label = self.footer_label(label_width)
        _, lh = label.wrap(label_width, pg.bottom)
        self.draw_label(canvas, label, pg.left + d.x(0, label_width, width), baseline_top - lh)
        _, nh = number.wrap(nw, pg.bottom)
        number.drawOn(canvas, pg.left + d.x(width - nw, nw, width), baseline_top - nh)
        if c.theme.footer_rule:
            canvas.setStrokeColor(HexColor(p.rule))
            canvas.setLineWidth(0.5)
            canvas.line(pg.left, baseline_top + 4, pg.left + width, baseline_top + 4)
        canvas.restoreState()

    def back(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        p, pg = self.c.theme.palette, self.page
        canvas.saveState()
        canvas.setFillColor(HexColor(p.primary))
        canvas.rect(0, 0, pg.width, pg.bottom * 0.55, stroke=0, fill=1)
        canvas.setFillColor(HexColor(p.accent))
        canvas.rect(0, pg.bottom * 0.55, pg.width, 3, stroke=0, fill=1)
        canvas.restoreState()


def compose_booklet(handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet,
                    values: dict[str, str]) -> DocumentSpec:
    page = Page.of(theme)
    x, _, w, h = page.frame
    c = Composer(handout, clinic, theme, fonts, values, w, h)
    furniture = Furniture(c, page)
    cover_top = page.height - page.top - furniture.logo_height - 10 * MM
    cover_bottom = furniture.band_height() + 10 * MM
    frames = {
        "cover": (x, cover_bottom, w, cover_top - cover_bottom),
        "inner": page.frame,
        "back": (x, page.bottom, w, page.height - page.top - page.bottom),
    }
    s = c.styles
    cover_height = cover_top - cover_bottom
    on_cover = [c.para(handout.title, s.title)] + ([c.para(handout.subtitle, s.subtitle)] if handout.subtitle else [])
    if sum(f.wrap(w, cover_height)[1] + f.getSpaceAfter() for f in on_cover) > cover_height * (1 - COVER_LEAD):
        raise BookletError.at(handout.field_locs.get("title", handout.loc),
                              "the title and subtitle are too long to fit on the cover",
                              "shorten them; details belong in the first section")

    back_width, back_height = frames["back"][2], frames["back"][3]
    # Composed and measured when a story first needs it: a personalised copy drawing its first pages never does.
    back_parts = functools.cache(lambda: split_back_matter(c, back_width, back_height))
    has_contents = len(handout.sections) >= CONTENTS_FROM

    def make_story(contents: bool, glance_page: bool) -> Story:
        def story(back_pages: int | None, part: int = 0) -> list[Flowable]:
            """Fresh flowables each time: ReportLab changes them as it lays them out. With `part`, the first
            sections only (every heading is still made: the contents page lists them all)."""
            c.headings = []
            sections: list[Flowable] = []
            for number, section in enumerate(handout.sections, 1):
                heading = c.heading(section.heading, f"s{number}")
                if part and number > part:
                    continue
                group: list[Flowable] = list(heading)
                if section.key_points:
                    # keepWithNext cannot hold a heading to a box that is itself kept together: group them.
                    group.append(c.key_points(section.key_points, keep=False))
                body = section_body(c, section, h)
                first = next((f for f in body if isinstance(f, StartNeeds)  # a lead-in: it and its list
                              or not isinstance(f, (Spacer, ActionFlowable))), None)
                sections.append(StartNeeds(group, first, h * 0.9))
                sections += [KeepTogether(group)] if len(group) > 1 else group
                sections += body
            out: list[Flowable] = [Spacer(1, cover_height * COVER_LEAD)]
            out.append(c.para(handout.title, s.title))
            if handout.subtitle:
                out.append(c.para(handout.subtitle, s.subtitle))
            out += [NextPageTemplate("inner"), PageBreak()]
            if contents:
                out += c.contents()
                out.append(PageBreak())
            if handout.summary:
                out += at_a_glance(c)
                if glance_page:
                    out.append(PageBreak())
            out += sections
            if part and part < len(handout.sections):
                return [*out, PartEnd()]
            inside, outside, measured = back_parts()
            out.append(PadTo(SADDLE_STITCH, measured if back_pages is None else back_pages,
                             lambda count: pad_pages(c, h, count)))
            if inside:
                out += [PageBreak(), *inside()]
            out += [NextPageTemplate("back"), PageBreak()]
            out += outside()
            return out

        return story

    def revise(outcome: Outcome) -> tuple[Story, bool] | None:
        """A better story after the first layout, if there is one (and whether it wins a tie).

        The contents page goes when every section would start within the two pages after it (they
        move up a page when it goes). At a glance shares its page with the first section when that
        (with the contents page gone) can save a whole sheet of four pages.
        """
        drop_contents = has_contents and max(outcome.headings.values(), default=0) <= CONTENTS_PAGE + 3
        savings = int(drop_contents) + int(bool(handout.summary))
        compact = bool(handout.summary) and 0 < outcome.padding and savings >= SADDLE_STITCH - outcome.padding
        if not drop_contents and not compact:
            return None
        return make_story(has_contents and not drop_contents, not compact), drop_contents

    return DocumentSpec(
        page=(page.width, page.height),
        frames=frames,
        decorate={"cover": furniture.cover, "inner": furniture.inner, "back": furniture.back},
        story=make_story(has_contents, True),
        revise=revise,
        metadata=metadata(handout, clinic, values),
        numbers=NumberStyle(fonts.regular, s.toc.fontSize, theme.palette.text, s.toc.fontSize * 2.6, s.toc.leading,
                            theme.direction.end),
        multiple_of=SADDLE_STITCH,
        source=handout.loc,
        warnings=c.warnings,
        right_to_left=theme.direction.rtl,
    )


#: Blocks a paragraph ending in ":" leads into, and is kept with.
LED_INTO = (m.Bullets, m.Steps, m.Table, m.Questions, m.Glossary)


def section_body(c: Composer, section: m.Section, frame_height: float) -> list[Flowable]:
    """A section's blocks; a paragraph that leads into a list or table ("like this:") starts a new page
    unless the start of the list fits under it."""
    blocks = [(block, c.block(block)) for block in section.body]
    out: list[Flowable] = []
    for i, (block, flowables) in enumerate(blocks):
        if (isinstance(block, m.Paragraph) and tx.plain(block.text, c.values).rstrip().endswith(":")
                and i + 1 < len(blocks) and isinstance(blocks[i + 1][0], LED_INTO)):
            following = next((f for f in blocks[i + 1][1] if not isinstance(f, (Spacer, ActionFlowable))), None)
            out.append(LeadIn(flowables, following, frame_height * 0.9))
        out += flowables
    return out


def pages_needed(flowables: list[Flowable], width: float, height: float) -> int:
    """A close estimate of the pages a run of flowables fills (render checks it after the build)."""
    from .render import scratch_canvas

    canvas = scratch_canvas()
    total = after = 0.0
    first = True
    for f in flowables:
        _, h = f.wrapOn(canvas, width, height)
        # KeepTogether answers 0xffffff to force a split; its content's own height is in _H.
        h = getattr(f, "_H", h) if isinstance(f, KeepTogether) else h
        total += h + (0.0 if first else max(f.getSpaceBefore(), after))  # frames merge the spaces between
        after = f.getSpaceAfter()
        first = False
    return max(1, -int(-total // height))


def metadata(handout: m.Handout, clinic: m.Clinic, values: dict[str, str]) -> Metadata:
    author = clinic.name or ", ".join(handout.authors)
    keywords = ", ".join(filter(None, [handout.reference, f"version {handout.version}" if handout.version else ""]))
    return Metadata(
        title=tx.plain(handout.title, values),
        author=author,
        subject=tx.plain(handout.subtitle, values),
        keywords=keywords,
        language=handout.language,
        creator=f"booklet {__version__}",
    )


def at_a_glance(c: Composer) -> list[Flowable]:
    style = ParagraphStyle("glance", parent=c.styles.item, spaceAfter=c.theme.space["paragraph"])
    return [
        *c.heading_plain(c.words("at_a_glance"), "glance"),
        c.list_of(c.handout.summary, numbered=False, style=style),
    ]


def pad_pages(c: Composer, frame_height: float, count: int) -> list[Flowable]:
    """Pages that make the booklet a multiple of four: one Notes page, then pages a patient fills in
    (their care team, their appointments), never a run of blank Notes pages."""
    makers = [notes_page, care_team_page, appointments_page]
    out: list[Flowable] = []
    for i in range(count):
        out += makers[min(i, len(makers) - 1)](c, frame_height)
    return out


def notes_page(c: Composer, frame_height: float) -> list[Flowable]:
    heading = c.literal(c.words("notes"), c.styles.h1)
    _, hh = heading.wrap(c.frame_width, frame_height)
    space = frame_height - hh - c.styles.h1.spaceAfter - 4
    lines = max(1, int(space // c.theme.note_gap))
    # A page to write on: its heading, like its lines, is an artifact (a screen reader has nothing to read there).
    return [PageBreak(), tagging.wrap(heading, tagging.ARTIFACT),
            WritingLines(lines, c.theme.note_gap, c.theme.palette.rule)]


def care_team_page(c: Composer, frame_height: float) -> list[Flowable]:
    return form_page(c, frame_height, "my_care_team", ("name", "role", "phone"), (0.38, 0.3, 0.32))


def appointments_page(c: Composer, frame_height: float) -> list[Flowable]:
    return form_page(c, frame_height, "my_appointments", ("date", "time", "place"), (0.25, 0.18, 0.57))


def form_page(c: Composer, frame_height: float, title: str, columns: tuple[str, ...],
              shares: tuple[float, ...]) -> list[Flowable]:
    """A page with a heading and a ruled table to fill in: labelled columns, empty rows to write in."""
    s, p = c.styles, c.theme.palette
    heading = c.literal(c.words(title), s.h1)
    _, hh = heading.wrap(c.frame_width, frame_height)
    head = [c.literal(c.words(col), s.cell_head) for col in columns]
    row_height = c.theme.note_gap * 1.6
    _, head_h = head[0].wrap(c.frame_width * min(shares), frame_height)
    pad = s.cell.fontSize * 0.4
    space = frame_height - hh - s.h1.spaceAfter - s.h1.spaceBefore - head_h - 2 * pad - 6
    rows = max(1, int(space // row_height))
    empty: list[list[Flowable]] = [[Spacer(0, 0) for _ in columns] for _ in range(rows)]
    # Only the header row is content: the empty rows are ruled space to write in, artifacts like writing lines.
    header, table_tag = tagging.table_cells([head], header_rows=1)
    data = [*header, *empty]
    widths = [c.frame_width * share for share in shares]
    table = c.grid(data, widths, [
        ("BACKGROUND", (0, 0), (-1, 0), HexColor(p.primary_tint)),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, HexColor(p.primary)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.6, HexColor(p.rule)),
        ("LINEAFTER", (0, 1), (-2, -1), 0.4, HexColor(p.rule)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, 0), pad), ("BOTTOMPADDING", (0, 0), (-1, 0), pad),
    ], rowHeights=[None] + [row_height] * rows)
    # The heading names the table to fill in: its Caption (a heading over empty cells reads as none).
    caption = tagging.wrap(heading, tagging.Tag("Caption", parent=table_tag))
    return [PageBreak(), caption, tagging.wrap(table, table_tag)]


def contact_part(c: Composer) -> list[Flowable]:
    """The clinic's name, address, phone, e-mail, website, hours and urgent advice."""
    cl, s = c.clinic, c.styles
    out: list[Flowable] = []
    if not cl.name:
        return out
    out.append(c.literal(cl.name, ParagraphStyle("clinic_name", parent=s.h2, spaceBefore=0)))
    if cl.address:
        out.append(c.literal(cl.address, s.body, cl.field_locs.get("address")))
    lines = [("phone", cl.phone), ("email", cl.email), ("website", cl.website), ("hours", cl.hours)]
    for key, value in lines:
        if value:
            para = c.p(c.linked(f"<b>{tx.escape_text(c.words(key))}:</b> {tx.escape_text(value)}"),
                       ParagraphStyle("contact", parent=s.body, spaceAfter=2))
            out.append(c.with_addresses(para, value, cl.field_locs.get(key, cl.loc)))
    if cl.urgent:
        color, background, symbol = c.theme.palette.callouts["urgent"]
        label = ParagraphStyle("urgent_label", parent=s.label, textColor=HexColor(color))
        out.append(Spacer(1, c.theme.space["paragraph"]))
        out.append(c.box([[c.literal(f"{symbol} {c.words('urgent_help')}", label)],
                          [c.literal(cl.urgent, s.body, cl.field_locs.get("urgent"))]], color, background))
    return out


def sources_part(c: Composer) -> list[Flowable]:
    h, s = c.handout, c.styles
    if not h.sources:
        return []
    return [c.literal(c.words("sources"), s.h2), c.list_of(h.sources, numbered=False, style=s.cell)]


def facts_part(c: Composer) -> list[Flowable]:
    """Reference, version, dates and authors: the governance line."""
    h, s = c.handout, c.styles
    facts = [(c.words("reference"), h.reference), (c.words("version"), h.version),
             (c.words("published"), format_date(h.published, h.language)),
             (c.words("review_by"), format_date(h.review_by, h.language)),
             (c.words("authors"), ", ".join(tx.plain(a, c.values) for a in h.authors))]
    shown = [f"<b>{tx.escape_text(label).replace(' ', '&nbsp;')}:</b> {tx.escape_text(value)}"
             for label, value in facts if value]
    if not shown:
        return []
    # One run of small print (it wraps), not a line per fact.
    return [c.p(" &nbsp;·&nbsp; ".join(shown), ParagraphStyle(
        "facts", parent=s.small, textColor=HexColor(c.theme.palette.text), hyphenationLang="",
        embeddedHyphenation=0, spaceBefore=c.theme.space["paragraph"],
        spaceAfter=c.theme.space["paragraph"]))]


def formats_part(c: Composer) -> list[Flowable]:
    cl = c.clinic
    if not cl.alternative_formats:
        return []
    text = c.literal(cl.alternative_formats, c.styles.body, cl.field_locs.get("alternative_formats"))
    return [c.box([[text]], c.theme.palette.primary, c.theme.palette.primary_tint)]


def back_matter(c: Composer) -> list[Flowable]:
    """Everything the back page says, in its order."""
    return [*contact_part(c), *sources_part(c), *facts_part(c), *formats_part(c)]


Parts = Callable[[], list[Flowable]]


def split_back_matter(c: Composer, width: float, height: float) -> tuple[Parts | None, Parts, int]:
    """(inside back cover, outside back cover, the pages they take): all on the outside back cover when
    it fits one page; else the sources, then the governance line, go inside, and the contacts and urgent
    advice stay on the outside, the last page."""
    if pages_needed(back_matter(c), width, height) <= 1:
        return None, lambda: back_matter(c), 1
    inside: Parts = lambda: sources_part(c)  # noqa: E731 - made again for each layout
    outside: Parts = lambda: [*contact_part(c), *facts_part(c), *formats_part(c)]  # noqa: E731
    pages = pages_needed(outside(), width, height)
    if pages > 1:
        inside = lambda: [*sources_part(c), *facts_part(c)]  # noqa: E731
        outside = lambda: [*contact_part(c), *formats_part(c)]  # noqa: E731
        pages = pages_needed(outside(), width, height)
    return inside, outside, pages_needed(inside(), width, height) + pages
