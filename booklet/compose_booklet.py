"""Composes the folded patient booklet: cover, contents, at a glance, sections, notes, back page."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, KeepTogether, NextPageTemplate, PageBreak, Spacer

from . import __version__, tagging
from . import model as m
from . import text as tx
from .compose import Composer
from .errors import BookletError
from .flowables import Paragraph, WritingLines
from .fonts import FontSet
from .images import probe, raster_for_print
from .render import DocumentSpec, Metadata, NumberStyle, PadTo
from .theme import Theme

MM = 72 / 25.4
#: Pages in a saddle-stitched booklet come in fours (one folded sheet is four pages).
SADDLE_STITCH = 4
#: Sections needed before a contents page helps.
CONTENTS_FROM = 3
#: Space kept clear between the cover's logo, title and band (points).
COVER_GAP = 8 * MM
#: The cover band's share of the page height, and the most it may grow to for a long audience line.
BAND_SHARE = 0.2
MAX_BAND_SHARE = 0.4
#: Share of the cover frame left empty above the title.
COVER_LEAD = 0.12


def format_date(date: dt.date | None, language: str) -> str:
    if date is None:
        return ""
    if language.split("-")[0] == "en":
        return f"{date.day} {date.strftime('%B')} {date.year}"
    return date.isoformat()


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
        self._footer: tuple[Paragraph, float] | None = None
        self._audience: tuple[Paragraph, float] | None = None
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
        c, p, pg = self.c, self.c.theme.palette, self.page
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
            logo_w = self.draw_logo(canvas, pg.width - pg.right, top, width * 0.5, self.logo_height)
        if c.clinic.name:
            s = ParagraphStyle("clinic", parent=c.styles.label, textColor=HexColor(p.primary_text))
            para = c.literal(c.clinic.name, s)
            _, h = para.wrap(width - logo_w - 8, self.logo_height * 2)
            if h > self.logo_height + COVER_GAP:  # it would run into the title
                raise BookletError.at(c.clinic.field_locs.get("name", c.clinic.loc),
                                      "the clinic name is too long to fit on the cover",
                                      "shorten it to one or two lines")
            tagging.ensure(para).drawOn(canvas, pg.left, top - h)
        if self._audience is not None:
            para, h = self._audience
            if h + COVER_GAP > band + 0.01:  # even the tallest band is too short: it would run off the page
                raise BookletError.at(c.handout.field_locs.get("audience", c.handout.loc),
                                      "the audience is too long to fit on the cover", "shorten it to a sentence")
            with tagging.reading_last(canvas):  # drawn with the cover, read after the title
                tagging.ensure(para).drawOn(canvas, pg.left, (band - h) / 2)
        canvas.restoreState()

    def draw_logo(self, canvas: Canvas, right: float, top: float, max_w: float, max_h: float) -> float:
        """Draw the clinic logo with its top-right corner at (right, top); returns its width."""
        path = self.c.clinic.logo
        assert path is not None
        info = probe(path)
        scale = min(max_w / info.width_px, max_h / info.height_px)
        if info.kind == "svg":
            from reportlab.graphics import renderPDF

            drawing = self.c.svg(path, max_w, max_h)
            box = (right - drawing.width, top - drawing.height, drawing.width, drawing.height)
            with tagging.tag(canvas, "Figure", alt=self.c.clinic.logo_alt, bbox=box):
                renderPDF.draw(drawing, canvas, right - drawing.width, top - drawing.height)
            return drawing.width
        w, h = info.width_px * scale, info.height_px * scale
        data, _, _ = raster_for_print(path, round(w, 1), round(h, 1))
        from reportlab.lib.utils import ImageReader

        with tagging.tag(canvas, "Figure", alt=self.c.clinic.logo_alt, bbox=(right - w, top - h, w, h)):
            canvas.drawImage(ImageReader(io.BytesIO(data)), right - w, top - h, w, h, mask="auto")
        return w

    # inner pages -------------------------------------------------------------------
    def footer_label(self, width: float, height: float) -> tuple[Paragraph, float]:
        """The running footer's title and reference, and its height: the same on every page, so made once."""
        if self._footer is None:
            c, s = self.c, self.c.styles
            words = tx.plain(c.handout.title, c.values).split()
            shown = len(words)
            while True:  # a long title is shortened here (the cover has it whole), never run off the page
                parts = [" ".join(words[:shown]) + ("..." if shown < len(words) else "")]
                if c.handout.reference:
                    parts.append(c.handout.reference)
                label = c.literal(" · ".join(parts), s.small)
                _, lh = label.wrap(width, self.page.bottom)
                if lh <= height:
                    break
                if shown == 0:
                    raise BookletError.at(c.handout.field_locs.get("reference", c.handout.loc),
                                          "the reference is too long for the page footer",
                                          "use a short code like ONC-014")
                shown -= 1
            self._footer = (label, lh)
        return self._footer

    def inner(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        c, p, pg = self.c, self.c.theme.palette, self.page
        canvas.saveState()
        canvas.setFillColor(HexColor(p.primary))
        canvas.rect(0, pg.height - 2.5 * MM, pg.width, 2.5 * MM, stroke=0, fill=1)
        s = c.styles
        width = pg.width - pg.left - pg.right
        number = Paragraph(tx.escape_text(f"{c.words('page')} {canvas.getPageNumber()}"), s.small_right)
        nw = s.small.fontSize * 6
        baseline_top = pg.bottom * 0.62
        label, lh = self.footer_label(width - nw, baseline_top)
        label.drawOn(canvas, pg.left, baseline_top - lh)
        _, nh = number.wrap(nw, pg.bottom)
        number.drawOn(canvas, pg.left + width - nw, baseline_top - nh)
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

    def story(back_pages: int) -> list[Flowable]:
        """Fresh flowables each time: ReportLab changes them as it lays them out."""
        c.headings = []
        sections: list[Flowable] = []
        for number, section in enumerate(handout.sections, 1):
            heading = c.heading(section.heading, f"s{number}")
            if section.key_points:
                # keepWithNext cannot hold a heading to a box that is itself kept together: group them.
                heading[-1:] = [KeepTogether([heading[-1], c.key_points(section.key_points, keep=False)])]
            sections += heading
            for block in section.body:
                sections += c.block(block)
        out: list[Flowable] = [Spacer(1, cover_height * COVER_LEAD)]
        out.append(c.para(handout.title, s.title))
        if handout.subtitle:
            out.append(c.para(handout.subtitle, s.subtitle))
        out += [NextPageTemplate("inner"), PageBreak()]
        if len(handout.sections) >= CONTENTS_FROM:
            out += c.contents()
            out.append(PageBreak())
        if handout.summary:
            out += at_a_glance(c)
            out.append(PageBreak())
        out += sections
        out.append(PadTo(SADDLE_STITCH, back_pages, lambda: notes_page(c, h)))
        out += [NextPageTemplate("back"), PageBreak()]
        out += back_matter(c)
        return out

    return DocumentSpec(
        page=(page.width, page.height),
        frames=frames,
        decorate={"cover": furniture.cover, "inner": furniture.inner, "back": furniture.back},
        story=story,
        metadata=metadata(handout, clinic, values),
        numbers=NumberStyle(fonts.regular, s.toc.fontSize, theme.palette.text, s.toc.fontSize * 2.6, s.toc.leading),
        multiple_of=SADDLE_STITCH,
        pages_after_pad=pages_needed(back_matter(c), frames["back"][2], frames["back"][3]),
        source=handout.loc,
    )


def pages_needed(flowables: list[Flowable], width: float, height: float) -> int:
    """A close estimate of the pages a run of flowables fills (render checks it after the build)."""
    from .render import scratch_canvas

    canvas = scratch_canvas()
    total = 0.0
    for f in flowables:
        _, h = f.wrapOn(canvas, width, height)
        # KeepTogether answers 0xffffff to force a split; its content's own height is in _H.
        h = getattr(f, "_H", h) if isinstance(f, KeepTogether) else h
        total += h + f.getSpaceBefore() + f.getSpaceAfter()
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


def notes_page(c: Composer, frame_height: float) -> list[Flowable]:
    heading = c.literal(c.words("notes"), c.styles.h1)
    _, hh = heading.wrap(c.frame_width, frame_height)
    space = frame_height - hh - c.styles.h1.spaceAfter - 4
    lines = max(1, int(space // c.theme.note_gap))
    return [PageBreak(), heading, WritingLines(lines, c.theme.note_gap, c.theme.palette.rule)]


def back_matter(c: Composer) -> list[Flowable]:
    h, cl, s = c.handout, c.clinic, c.styles
    out: list[Flowable] = []
    if cl.name:
        out.append(c.literal(cl.name, ParagraphStyle("clinic_name", parent=s.h2, spaceBefore=0)))
        if cl.address:
            out.append(c.literal(cl.address, s.body))
        lines = [(c.words("phone"), cl.phone), (c.words("email"), cl.email),
                 (c.words("website"), cl.website), (c.words("hours"), cl.hours)]
        for label, value in lines:
            if value:
                out.append(Paragraph(f"<b>{tx.escape_text(label)}:</b> {tx.escape_text(value)}",
                                     ParagraphStyle("contact", parent=s.body, spaceAfter=2)))
        if cl.urgent:
            color, background, symbol = c.theme.palette.callouts["urgent"]
            label = ParagraphStyle("urgent_label", parent=s.label, textColor=HexColor(color))
            out.append(Spacer(1, c.theme.space["paragraph"]))
            out.append(c.box([[c.literal(f"{symbol} {c.words('urgent_help')}", label)],
                              [c.literal(cl.urgent, s.body)]], color, background))
    if h.sources:
        out.append(c.literal(c.words("sources"), s.h2))
        out.append(c.list_of(h.sources, numbered=False, style=s.cell))
    facts = [(c.words("reference"), h.reference), (c.words("version"), h.version),
             (c.words("published"), format_date(h.published, h.language)),
             (c.words("review_by"), format_date(h.review_by, h.language)),
             (c.words("authors"), ", ".join(tx.plain(a, c.values) for a in h.authors))]
    shown = [f"<b>{tx.escape_text(label).replace(' ', '&nbsp;')}:</b> {tx.escape_text(value)}"
             for label, value in facts if value]
    if shown:
        # One run of small print (it wraps), not a line per fact: the back page is one page.
        out.append(Paragraph(" &nbsp;·&nbsp; ".join(shown), ParagraphStyle(
            "facts", parent=s.small, textColor=HexColor(c.theme.palette.text), hyphenationLang="",
            embeddedHyphenation=0, spaceBefore=c.theme.space["paragraph"],
            spaceAfter=c.theme.space["paragraph"])))
    if cl.alternative_formats:
        out.append(c.box([[c.literal(cl.alternative_formats, s.body)]], c.theme.palette.primary,
                         c.theme.palette.primary_tint))
    return out
