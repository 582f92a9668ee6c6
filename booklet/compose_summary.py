"""Composes the one-page summary: clinic band, title, key points, when to get help, contact details.

The summary fits on one page or is refused. The body size steps down from the
theme's preferred size to its floor in half points; at each size one column is
tried, then two where a column still holds a readable line. Fitting only wraps
flowables against frames (no PDF is built); the real render checks the page
count again and refuses a second page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, Spacer
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak, LayoutError

from . import model as m
from . import rl_internals as rl
from . import tagging
from . import text as tx
from .compose import Composer
from .compose_booklet import Furniture, Page, format_date, metadata
from .errors import BookletError, Loc
from .flowables import Marker, Paragraph, QrCode
from .fonts import FontSet
from .render import DocumentSpec, NumberStyle
from .theme import Theme

if TYPE_CHECKING:
    from .api import Prepared

MM = 72 / 25.4
#: The body size steps down by this much while fitting.
STEP = 0.5
#: Two columns only where each still holds this many average characters a line
#: (shorter lines break too often to read comfortably; large print never gets there).
MIN_COLUMN_CHARS = 32
COLUMN_GAP = 7 * MM
#: A single sheet has no binding edge and no page footer: wider margins only take room from the text.
MAX_SHEET_MARGIN = {"top": 14 * MM, "bottom": 14 * MM, "side": 16 * MM}
#: Big enough to scan from paper (about 0.5 mm a module for a web address); it is not text, so it does not grow.
QR_SIZE = 20 * MM
#: Headings and the title keep these proportions to the body size as it steps down to fit.
TITLE_SCALE, SUBTITLE_SCALE, HEADING_SCALE = 2.0, 1.2, 1.3
#: Callout kinds that go under "When to get help", most urgent first.
HELP_KINDS = ("urgent", "warning")
#: Lowercase text of typical letter frequency, to find a font's average character width.
_SAMPLE = "when to get help straight away if you have a temperature of thirty eight degrees"


@dataclass(frozen=True)
class Fit:
    """Whether a summary fits on one page, and at which body size; `message` says it for people."""

    fits: bool
    body_size: float
    pages_needed: float
    message: str
    columns: int = 1
    #: Callout boxes may break between columns (tried only when whole boxes leave too much room unused).
    boxes_split: bool = False
    loc: Loc = field(default_factory=lambda: Loc("<input>"))
    hint: str = ""

    def error(self) -> BookletError:
        return BookletError.at(self.loc, self.message, self.hint)


@dataclass(frozen=True)
class SummaryContent:
    """What goes on the page, taken from the handout: nobody retypes anything."""

    points: tuple[str, ...]
    points_field: str  # "summary", or "key_points" when the sections' key points stand in
    points_loc: Loc
    help: tuple[m.Callout, ...]


def summary_content(handout: m.Handout) -> SummaryContent:
    """The key points (the handout's `summary`, else the sections' `key_points`) and the help callouts."""
    if handout.summary:
        points, field_name = handout.summary, "summary"
        loc = handout.field_locs.get("summary", handout.loc)
    else:
        points = tuple(p for s in handout.sections for p in s.key_points)
        field_name = "key_points"
        loc = next((s.loc for s in handout.sections if s.key_points), handout.loc)
    if not points:
        raise BookletError.at(
            handout.loc, "there is nothing to put on the one-page summary: the handout has no `summary` "
            "and none of its sections has `key_points`",
            f"add a `summary:` list to {handout.path.name} with the few things a patient most needs to "
            "remember (3 to 7 short points), or `key_points:` to its sections")
    callouts = [b for s in handout.sections for b in s.body if isinstance(b, m.Callout)]
    help_ = tuple(b for kind in HELP_KINDS for b in callouts if b.kind == kind)
    return SummaryContent(points, field_name, loc, help_)


# -- flowing text in columns ---------------------------------------------------------
class _Peek:
    """Stands in for the document while flowing inside Columns: KeepTogether asks it for the next frame."""

    def __init__(self, frames: list[Frame]) -> None:
        self.frames = frames
        self.index = 0

    def _peekNextFrame(self) -> Frame:
        return self.frames[min(self.index + 1, len(self.frames) - 1)]


def flow(flowables: list[Flowable], frames: list[Frame], canvas: Canvas) -> tuple[list[Flowable], int]:
    """Lay flowables into frames in turn as ReportLab's document does; returns what is left and the last frame used."""
    pending = list(flowables)
    peek = _Peek(frames)
    saved = getattr(canvas, "_doctemplate", None)
    canvas._doctemplate = peek  # type: ignore[attr-defined]
    try:
        for index, frame in enumerate(frames):
            peek.index = index
            while pending:
                f = pending[0]
                if isinstance(f, ActionFlowable):
                    pending.pop(0)
                    if isinstance(f, type(FrameBreak)):
                        break
                    continue
                if frame.add(f, canvas, trySplit=1):
                    pending.pop(0)
                    continue
                parts = frame.split(f, canvas)
                if not parts:
                    break
                if isinstance(parts[0], ActionFlowable):
                    pending[0:1] = parts
                    continue
                try:
                    placed = frame.add(parts[0], canvas, trySplit=0)
                except LayoutError:
                    placed = False
                if not placed:
                    break
                pending[0:1] = parts[1:]
            if not pending:
                return [], index
    finally:
        canvas._doctemplate = saved  # type: ignore[attr-defined]
    return pending, len(frames) - 1


def _used(frame: Frame) -> float:
    """How far down a frame has been filled (Frame keeps its current position only in private attributes)."""
    return frame._y2 - frame._topPadding - frame._y  # type: ignore[attr-defined]


class Columns(Flowable):
    """A run of flowables in `count` side-by-side columns of equal, balanced height, all on one page.

    It never splits: when the text does not fit the space it is given, it says it is
    taller than that space (and how many such spaces it would need, `pages_needed`).
    """

    def __init__(self, make: Callable[[], list[Flowable]], count: int, gap: float, rule: str | None = None,
                 balance: bool = True) -> None:
        super().__init__()
        self.make = make
        self.count = count
        self.gap = gap
        self.rule = rule
        self.balance = balance
        self.pages_needed = 0.0
        self._scratch = Canvas(io.BytesIO())

    def column_width(self, avail_width: float) -> float:
        return (avail_width - self.gap * (self.count - 1)) / self.count

    def _frames(self, width: float, height: float, x0: float = 0, y0: float = 0) -> list[Frame]:
        cw = self.column_width(width)
        return [Frame(x0 + i * (cw + self.gap), y0, cw, height, leftPadding=0, rightPadding=0, topPadding=0,
                      bottomPadding=0, showBoundary=0) for i in range(self.count)]

    def _fits(self, width: float, height: float) -> bool:
        left, _ = flow(self.make(), self._frames(width, height), self._scratch)
        self._scratch = Canvas(io.BytesIO())  # drop what was drawn
        return not left

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        # How far over, as the text's own height against the room: the gaps a box
        # moved whole would leave are not text to cut. Text taller than all the
        # columns together cannot fit however it is broken: no need to lay it out.
        natural = natural_height(self.make(), self.column_width(avail_width))
        if natural > avail_height * self.count:
            left: list[Flowable] = [self]
        else:
            frames = self._frames(avail_width, avail_height)
            left, last = flow(self.make(), frames, self._scratch)
        if left:
            self.pages_needed = max(natural / (avail_height * self.count), 1.0)
            self.height = avail_height * self.pages_needed + 1  # always more than there is: never drawn
        else:
            filled = sum(_used(f) for f in frames[:last]) + _used(frames[last])
            self.pages_needed = min(filled / (avail_height * self.count), 1.0)
            self.height = self._balanced(avail_width, avail_height, frames, last) if self.balance else avail_height
        self._scratch = Canvas(io.BytesIO())
        return self.width, self.height

    def _balanced(self, width: float, height: float, frames: list[Frame], last: int) -> float:
        """The shortest column height that still holds everything (columns end level).

        Every candidate is checked by flowing again: a KeepTogether asks for more room
        than it then fills, so the height used is not always a height that holds.
        """
        # (what a frame has used counts the last space after, which may reach past its foot)
        low = min(sum(_used(f) for f in frames[:last + 1]) / self.count, height)
        step = 2.0
        while low + step < height and not self._fits(width, low + step):  # usually a few points short
            low += step
            step *= 2
        high = min(low + step, height)
        if self._fits(width, low):
            return low
        while high - low > 0.5:
            mid = (low + high) / 2
            if self._fits(width, mid):
                high = mid
            else:
                low = mid
        return high

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return []  # one page: never carried over

    def draw(self) -> None:
        frames = self._frames(self.width, self.height)
        left, last = flow(self.make(), frames, self.canv)
        if left:  # wrap measured this very layout; a difference is a bug, never cut text
            raise AssertionError("the summary's columns did not hold the text they were measured to hold")
        if self.rule and last > 0:
            self.canv.setStrokeColor(HexColor(self.rule))
            self.canv.setLineWidth(0.5)
            for f in frames[1:last + 1]:
                x = f._x1 - self.gap / 2  # type: ignore[attr-defined]
                self.canv.line(x, 0, x, self.height)


class EndMarker(Marker):
    """A Marker that is drawn even on a full frame (it takes no room), so it sees the page the text ended on."""

    _ZEROSIZE = True


# -- the page -----------------------------------------------------------------------
def sheet(theme: Theme) -> Page:
    """The page and its margins, no wider than MAX_SHEET_MARGIN."""
    page = Page.of(theme)
    side = min(page.left, MAX_SHEET_MARGIN["side"])
    return Page(page.width, page.height, side, side, min(page.top, MAX_SHEET_MARGIN["top"]),
                min(page.bottom, MAX_SHEET_MARGIN["bottom"]))


class SummaryPage:
    """One summary page at one body size and column count: geometry, furniture and story."""

    def __init__(self, handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet,
                 values: dict[str, str], content: SummaryContent, columns: int, boxes_split: bool = False) -> None:
        self.handout, self.clinic, self.theme, self.fonts, self.values = handout, clinic, theme, fonts, values
        self.content = content
        self.columns = columns
        self.boxes_split = boxes_split
        pg = self.page = sheet(theme)
        self.width = pg.width - pg.left - pg.right
        height = pg.height - pg.top - pg.bottom
        #: Full-width composer (title, contact box) and one for the columns.
        self.wide = Composer(handout, clinic, theme, fonts, values, self.width, height)
        self.column_width = (self.width - COLUMN_GAP * (columns - 1)) / columns
        self.col = Composer(handout, clinic, theme, fonts, values, self.column_width, height)
        self.furniture = Furniture(self.wide, pg)
        t = theme.type
        self.strip = 3 * MM
        self.logo_height = max(14 * MM, t.size("h2") * 2)
        self.header_height = self._header_height()
        self.footer_height = self._footer_height()
        top = pg.height - pg.top - (self.header_height + 5.5 * MM if self.header_height else 0)
        bottom = pg.bottom + (self.footer_height + 4 * MM if self.footer_height else 0)
        self.frame = (pg.left, bottom, self.width, top - bottom)

    # header: logo and clinic name -------------------------------------------------------
    def _clinic_name(self, width: float) -> Paragraph:
        s = self.wide.styles
        style = ParagraphStyle("clinic", parent=s.label, fontSize=s.h2.fontSize, leading=s.h2.leading,
                               textColor=HexColor(self.theme.palette.primary_text))
        return self.wide.literal(self.clinic.name, style)

    def _logo_size(self) -> tuple[float, float]:
        from .images import probe

        if self.clinic.logo is None:
            return 0.0, 0.0
        info = probe(self.clinic.logo)
        scale = min(self.width * 0.45 / info.width_px, self.logo_height / info.height_px)
        return info.width_px * scale, info.height_px * scale

    def _header_height(self) -> float:
        logo_w, logo_h = self._logo_size()
        name_h = 0.0
        if self.clinic.name:
            _, name_h = self._clinic_name(self.width - logo_w - 8 * MM).wrap(self.width - logo_w - 8 * MM, 1e6)
        return max(logo_h, name_h)

    # footer: contact box and the handout's reference -----------------------------------------
    def _footer(self) -> list[Flowable]:
        """The clinic's phone, hours and urgent advice beside a QR code to its website; then the reference."""
        c, cl, h, p = self.wide, self.clinic, self.handout, self.theme.palette
        s = c.styles
        lines: list[Flowable] = []
        if cl.phone:
            phone = ParagraphStyle("phone", parent=s.label, fontSize=s.h2.fontSize, leading=s.h2.leading,
                                   textColor=HexColor(p.primary_text), spaceAfter=1)
            lines.append(c.literal(f"{c.words('phone')}: {cl.phone}", phone))
        if cl.hours:
            lines.append(Paragraph(f"<b>{tx.escape_text(c.words('hours'))}:</b> {tx.escape_text(cl.hours)}",
                                   ParagraphStyle("hours", parent=s.body, spaceAfter=1)))
        if cl.urgent:
            color, _, symbol = p.callouts["urgent"]
            lines.append(c.literal(f"{symbol} {cl.urgent}", ParagraphStyle(
                "clinic_urgent", parent=s.label, textColor=HexColor(color), spaceBefore=1, spaceAfter=1)))
        if cl.website:
            lines.append(Paragraph(f"<b>{tx.escape_text(c.words('website'))}:</b> {tx.escape_text(cl.website)}",
                                   ParagraphStyle("website", parent=s.body, spaceAfter=1)))
        out: list[Flowable] = []
        if lines:
            pad = s.body.fontSize * 0.7
            if cl.website:
                cells: list[list[object]] = [[lines, tagging.ensure(QrCode(cl.website, QR_SIZE))]]
                widths = [self.width - QR_SIZE - pad, QR_SIZE + pad]
            else:
                cells, widths = [[lines]], [self.width]
            out.append(c.grid(cells, widths, [
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(p.primary_tint)),
                ("LINEBEFORE", (0, 0), (0, -1), 4, HexColor(p.primary)),
                ("LEFTPADDING", (0, 0), (0, -1), pad + 2),
                ("LEFTPADDING", (1, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.6),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]))
        facts = [(c.words("reference"), h.reference), (c.words("version"), h.version),
                 (c.words("review_by"), format_date(h.review_by, h.language))]
        shown = [f"{tx.escape_text(label)}: {tx.escape_text(value)}" for label, value in facts if value]
        if shown:
            out.append(Spacer(1, 4))
            out.append(Paragraph(" · ".join(shown), ParagraphStyle("facts", parent=s.small)))
        return out

    def _footer_height(self) -> float:
        canvas = Canvas(io.BytesIO())
        total = 0.0
        for f in self._footer():
            _, fh = f.wrapOn(canvas, self.width, 1e6)
            total += fh
        return total

    # the story ------------------------------------------------------------------------
    def heading(self, text: str, color: str | None = None) -> Paragraph:
        s = self.col.styles
        size = max(min(s.h1.fontSize, s.body.fontSize * HEADING_SCALE), s.body.fontSize)
        style = ParagraphStyle("summary_heading", parent=s.h1, fontSize=size, leading=size * 1.2,
                               spaceBefore=self.theme.space["paragraph"] * 1.2,
                               spaceAfter=self.theme.space["paragraph"] * 0.5,
                               textColor=HexColor(color or self.theme.palette.primary_text))
        return self.col.literal(text, style)

    def body(self) -> list[Flowable]:
        """The text that flows in the columns; fresh flowables each time (layout changes them).

        Tagged here: the document tags only what it lays out itself, and Columns lays these out.
        """
        return [tagging.ensure(f) for f in (*self.points_part(), *self.help_part())]

    def points_part(self) -> list[Flowable]:
        c = self.col
        return [self.heading(c.words("key_points")), c.list_of(self.content.points, numbered=False)]

    def help_part(self) -> list[Flowable]:
        if not self.content.help:
            return []
        out: list[Flowable] = [self.heading(self.col.words("urgent_help"), self.theme.palette.callouts["urgent"][0])]
        for callout in self.content.help:
            out += self.callout(callout)
        return out

    def callout(self, b: m.Callout) -> list[Flowable]:
        """A callout as in the booklet, its kind word left out: the heading and colour already say it."""
        c, s = self.col, self.col.styles
        color, background, symbol = self.theme.palette.callouts[b.kind]
        head = tx.markup(b.title, self.values, self.theme.emphasis) if b.title else tx.escape_text(c.words(b.kind))
        rows: list[list[Flowable]] = [[Paragraph(f"{tx.escape_text(symbol)} {head}", ParagraphStyle(
            "callout_head", parent=s.box_title, textColor=HexColor(color)))]]
        if b.text:
            rows.append([c.para(b.text, ParagraphStyle("callout_text", parent=s.body, spaceAfter=2))])
        if b.bullets:
            rows.append([c.list_of(b.bullets, numbered=False, color=color)])
        box = c.box(rows, color, background)
        flowables = list(rl.container_content(box)) if self.boxes_split and isinstance(box, KeepTogether) else [box]
        for f in flowables:
            f._booklet_loc = b.loc  # type: ignore[attr-defined]
        return flowables

    def title(self) -> list[Flowable]:
        c, s, h = self.wide, self.wide.styles, self.handout
        size = max(min(s.title.fontSize, s.body.fontSize * TITLE_SCALE), s.h1.fontSize)
        out: list[Flowable] = [c.para(h.title, ParagraphStyle("summary_title", parent=s.title, fontSize=size,
                                                               leading=size * 1.15, spaceAfter=size * 0.25))]
        if h.subtitle:
            size = max(min(s.subtitle.fontSize, s.body.fontSize * SUBTITLE_SCALE), s.body.fontSize)
            out.append(c.para(h.subtitle, ParagraphStyle("summary_subtitle", parent=s.subtitle, fontSize=size,
                                                         leading=size * 1.3, spaceAfter=0)))
        return out

    def columns_flowable(self, balance: bool = True) -> Columns:
        return Columns(self.body, self.columns, COLUMN_GAP, self.theme.palette.rule, balance)

    def story(self, balance: bool = True) -> list[Flowable]:
        return [*self.title(), Spacer(1, self.theme.space["block"] * 0.8), self.columns_flowable(balance)]

    def measure(self) -> tuple[bool, float]:
        """(fits, pages needed) by flowing the story into the page's frame; nothing is drawn for real."""
        x, y, w, h = self.frame
        if h <= 0:
            return False, 1 + (-h) / self.page.height
        story = self.story(balance=False)
        left, _ = flow(story, [Frame(x, y, w, h, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)],
                       Canvas(io.BytesIO()))
        columns = story[-1]
        assert isinstance(columns, Columns)
        if columns.pages_needed == 0.0:  # never reached: the title alone fills the page
            return False, 2.0
        return not left, columns.pages_needed

    # drawing ------------------------------------------------------------------------
    def check_one_page(self, canvas: Canvas) -> None:
        """Drawn after the text: a second page is refused, never printed (the fit said one page)."""
        if canvas.getPageNumber() > 1:
            raise BookletError.at(self.handout.field_locs.get("summary", self.handout.loc),
                                  "the summary ran onto a second page",
                                  "shorten `summary` or the urgent and warning callouts")

    def decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        p, pg = self.theme.palette, self.page
        canvas.saveState()
        canvas.setFillColor(HexColor(p.primary))
        canvas.rect(0, pg.height - self.strip, pg.width, self.strip, stroke=0, fill=1)
        canvas.rect(0, 0, pg.width, self.strip, stroke=0, fill=1)
        top = pg.height - pg.top
        if self.header_height:
            logo_w = 0.0
            if self.clinic.logo is not None:
                _, logo_h = self._logo_size()
                logo_w = self.furniture.draw_logo(canvas, pg.left + self.width, top - (self.header_height - logo_h) / 2,
                                                  self.width * 0.45, self.logo_height)
            if self.clinic.name:
                width = self.width - logo_w - 8 * MM
                name = self._clinic_name(width)
                _, nh = name.wrap(width, self.header_height)
                tagging.ensure(name).drawOn(canvas, pg.left, top - (self.header_height + nh) / 2)
            rule_y = top - self.header_height - 3 * MM
            canvas.setFillColor(HexColor(p.primary))
            canvas.rect(pg.left, rule_y, self.width, 2, stroke=0, fill=1)
            canvas.setFillColor(HexColor(p.accent))
            canvas.rect(pg.left, rule_y - 1.5, self.width * 0.25, 1.5, stroke=0, fill=1)
        y = pg.bottom + self.footer_height
        with tagging.reading_last(canvas):  # drawn with the page, read after the text
            for f in self._footer():
                _, fh = f.wrapOn(canvas, self.width, self.footer_height)
                tagging.ensure(f).drawOn(canvas, pg.left, y - fh)
                y -= fh
        canvas.restoreState()

    def spec(self) -> DocumentSpec:
        s = self.wide.styles
        return DocumentSpec(
            page=(self.page.width, self.page.height),
            frames={"summary": self.frame},
            decorate={"summary": self.decorate},
            story=lambda _back_pages: [*self.story(), EndMarker(self.check_one_page)],
            metadata=metadata(self.handout, self.clinic, self.values),
            numbers=NumberStyle(self.fonts.regular, s.body.fontSize, self.theme.palette.text, 0, 0),
            source=self.handout.loc,
        )


# -- fitting ---------------------------------------------------------------------------
def body_sizes(theme: Theme) -> list[float]:
    """Preferred body size first, down to the floor in STEP steps (never below the floor)."""
    t = theme.type
    top = max(t.body, t.floor)
    count = round((top - t.floor) / STEP)
    return [top - i * STEP for i in range(count + 1)]


def arrangements(theme: Theme, fonts: FontSet, size: float) -> tuple[tuple[int, bool], ...]:
    """(columns, boxes split) to try at one size, best first: one column; then two where a column
    still holds MIN_COLUMN_CHARS a line, with callout boxes whole, then free to break between columns."""
    page = sheet(theme)
    width = page.width - page.left - page.right
    char = stringWidth(_SAMPLE, fonts.regular, size) / len(_SAMPLE)
    if (width - COLUMN_GAP) / 2 >= MIN_COLUMN_CHARS * char:
        return (1, False), (2, False), (2, True)
    return ((1, False),)


def fit_summary(prepared: Prepared, values: dict[str, str] | None = None) -> Fit:
    """Does the handout's summary fit on one page, and at which body size? Builds no PDF.

    `prepared` is an `api.Prepared` for the "summary" or "large-print-summary" variant.
    Raises BookletError when there are no key points at all.
    """
    return fit(prepared.handout, prepared.clinic, prepared.theme, prepared.fonts, values or {})


def fit(handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet, values: dict[str, str]) -> Fit:
    content = summary_content(handout)
    best: tuple[float, int, bool] | None = None  # (pages needed, columns, boxes split) at the floor
    for size in body_sizes(theme):
        sized = theme.with_body(size)
        for columns, split in arrangements(sized, fonts, size):
            page = SummaryPage(handout, clinic, sized, fonts, values, content, columns, split)
            fits, pages = page.measure()
            if fits:
                return Fit(True, size, round(pages, 2), f"the summary fits on one page at {size:g} pt",
                           columns, split, content.points_loc)
            if size == theme.type.floor and (best is None or pages < best[0]):
                best = (pages, columns, split)
    assert best is not None
    floor = theme.type.floor
    page = SummaryPage(handout, clinic, theme.with_body(floor), fonts, values, content, best[1], best[2])
    return _too_long(page, best[0], floor)


def _too_long(page: SummaryPage, pages: float, floor: float) -> Fit:
    """The refusal, naming what takes the most room."""
    content = page.content
    parts: list[tuple[float, str]] = []
    n = len(content.points)
    what = "`summary`" if content.points_field == "summary" else "the sections' `key_points`"
    parts.append((natural_height(page.points_part(), page.column_width), f"{what} ({n} point{'s' if n != 1 else ''}"))
    for callout, flowables in zip(content.help, _per_callout(page), strict=True):
        title = tx.plain(callout.title or callout.text, page.values)
        if len(title) > 40:
            title = title[:39].rstrip() + "…"
        parts.append((natural_height(flowables, page.column_width),
                      f"the {callout.kind} callout '{title}' (line {callout.loc.line}"))
    total = sum(h for h, _ in parts) or 1.0
    parts.sort(key=lambda part: -part[0])
    named = [f"{label}, {h / total:.0%} of the text)" for h, label in parts[:3]]
    shown = max(round(pages, 1), 1.1)  # never "1.0 pages" for text that does not fit
    message = (f"the summary needs {shown:.1f} pages at {floor:g} pt, the smallest size allowed; "
               f"shorten {_join(named)}")
    hint = ("a one-page summary is for the few things a patient must remember: keep each point to a line or "
            "two; the booklet can say the rest")
    return Fit(False, floor, round(pages, 2), message, page.columns, page.boxes_split, content.points_loc, hint)


def _per_callout(page: SummaryPage) -> Iterator[list[Flowable]]:
    for callout in page.content.help:
        yield page.callout(callout)


def natural_height(flowables: list[Flowable], width: float) -> float:
    """The height a run of flowables takes at this width with no breaks, spaces merged as frames merge them."""
    canvas = Canvas(io.BytesIO())
    total = after = 0.0
    first = True
    for f in flowables:
        if isinstance(f, ActionFlowable):
            continue
        _, h = f.wrapOn(canvas, width, 1e6)
        if h >= 0xFFFFFF:  # KeepTogether answers "split me" and keeps its real height aside
            h = getattr(f, "_H", 0.0)
        total += h + (0.0 if first else max(f.getSpaceBefore(), after))
        after = f.getSpaceAfter()
        first = False
    return total


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def compose_summary(handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet,
                    values: dict[str, str]) -> DocumentSpec:
    result = fit(handout, clinic, theme, fonts, values)
    if not result.fits:
        raise result.error()
    page = SummaryPage(handout, clinic, theme.with_body(result.body_size), fonts, values,
                       summary_content(handout), result.columns, result.boxes_split)
    return page.spec()
