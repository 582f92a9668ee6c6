"""Composes the summary sheet: clinic band, title, key points, when to get help, contact details.

A summary is one sheet of paper. It uses the front only when everything fits there
at a readable size: the body steps down from the theme's preferred size to its floor
in half points, in one column, then two where a column still holds a readable line.
When the front is not enough it continues on the back ("Please turn over" at the foot
of the front; the contact details move to the back). Large print keeps its preferred
body size on one side and turns over rather than stepping down. With `sides=1`
(`--one-side`) only the front is used. What does not fit is refused, saying how far over.

Urgent and warning callouts are never broken: each is laid out whole in one column
of one side, and the urgent ones always on the front. Fitting only wraps flowables
against frames (no PDF is built); the real render checks the page count again.
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
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, Spacer
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak, LayoutError, NextPageTemplate

from . import model as m
from . import tagging
from . import text as tx
from .compose import ALIGN, Composer
from .compose_booklet import Furniture, Page, format_date, metadata
from .errors import BookletError, Loc
from .flowables import Marker, QrCode
from .fonts import FontSet
from .render import DocumentSpec, NumberStyle
from .theme import LEFT_TO_RIGHT, Direction, Theme

if TYPE_CHECKING:
    from .api import Prepared
    from .flowables import AnyParagraph

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
#: After "Please turn over", where the clinic's font has it: pointing the way the page reads.
TURN_OVER_ARROW = {"ltr": "\u2192", "rtl": "\u2190"}
#: The orders the text is tried in (see SummaryPage).
POINTS_FIRST, URGENT_FIRST, HELP_FIRST = 0, 1, 2
#: Lowercase text of typical letter frequency, to find a font's average character width.
_SAMPLE = "when to get help straight away if you have a temperature of thirty eight degrees"


@dataclass(frozen=True)
class Fit:
    """Whether a summary fits, at which body size and how; `message` says it for people."""

    fits: bool
    body_size: float
    pages_needed: float
    message: str
    columns: int = 1
    loc: Loc = field(default_factory=lambda: Loc("<input>"))
    hint: str = ""
    #: 1: the front only; 2: the front and the back of the sheet.
    sides: int = 1
    #: POINTS_FIRST, URGENT_FIRST or HELP_FIRST (see SummaryPage).
    order: int = 0
    #: The last part of the text starts the back (see SummaryPage).
    to_back: bool = False

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
            handout.loc, "there is nothing to put on the summary: the handout has no `summary` "
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


#: How deep a split is followed to find what would start under a heading (list, item, paragraph).
_SPLIT_DEPTH = 4


def _strands(f: Flowable, following: Flowable, frame: Frame, canvas: Canvas) -> bool:
    """Would `f` (a heading: keep with next) end the frame with nothing of what follows it under it?"""
    if frame._atTop:  # type: ignore[attr-defined]  # nothing is gained by moving on
        return False
    width = frame._getAvailableWidth()  # type: ignore[attr-defined]
    room = frame._y - frame._y1p - max(f.getSpaceBefore() - frame._prevASpace, 0)  # type: ignore[attr-defined]
    _, h = f.wrapOn(canvas, width, room)
    room -= h + max(f.getSpaceAfter(), following.getSpaceBefore())
    if room <= 0:
        return True
    first = following
    for _ in range(_SPLIT_DEPTH):  # a list "splits" into its items first, whatever the room: look inside
        _, nh = first.wrapOn(canvas, width, room)
        if nh <= room:
            return False
        parts = first.splitOn(canvas, width, room)
        if not parts or isinstance(parts[0], ActionFlowable):
            return True
        first = parts[0]
    return True


class _Measured(Flowable):
    """A flowable laid out but not drawn: fitting only needs to know where things go."""

    def __init__(self, inner: Flowable) -> None:
        super().__init__()
        self.inner = inner

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width, self.height = self.inner.wrapOn(self.canv, avail_width, avail_height)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return [_measured(f) for f in self.inner.splitOn(self.canv, avail_width, avail_height)]

    def getSpaceBefore(self) -> float:
        return self.inner.getSpaceBefore()

    def getSpaceAfter(self) -> float:
        return self.inner.getSpaceAfter()

    def getKeepWithNext(self) -> bool:
        return bool(self.inner.getKeepWithNext())

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        pass


def _measured(f: Flowable) -> Flowable:
    return f if isinstance(f, (ActionFlowable, _Measured)) else _Measured(f)


def _inner(f: Flowable) -> Flowable:
    return f.inner if isinstance(f, _Measured) else f


class SideBreak(ActionFlowable):
    """Ends the side: what follows goes on the back."""

    def __init__(self) -> None:
        super().__init__(())


def flow(flowables: list[Flowable], frames: list[Frame], canvas: Canvas,
         draw: bool = True) -> tuple[list[Flowable], int]:
    """Lay flowables into frames in turn as ReportLab's document does; returns what is left and the last frame used.

    A flowable that keeps with the next (a heading) moves on to the next frame rather than end one.
    `draw=False` only measures (what is left is the same; nothing is drawn).
    """
    if not draw:
        left, last = flow([_measured(f) for f in flowables], frames, canvas)
        return [_inner(f) for f in left], last
    pending = list(flowables)
    peek = _Peek(frames)
    saved = getattr(canvas, "_doctemplate", None)
    canvas._doctemplate = peek  # type: ignore[attr-defined]
    try:
        for index, frame in enumerate(frames):
            peek.index = index
            while pending:
                f = pending[0]
                if isinstance(f, SideBreak):
                    return pending[1:], index
                if isinstance(f, ActionFlowable):
                    pending.pop(0)
                    if isinstance(f, type(FrameBreak)):
                        break
                    continue
                if len(pending) > 1 and f.getKeepWithNext() and _strands(f, pending[1], frame, canvas):
                    break
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


class Whole(Flowable):
    """Flowables stacked as one that never splits: an urgent or warning callout (with the heading over
    the first one) stays in one column of one side, so nobody reads half of it."""

    _booklet_tagged = True  # what it holds is tagged; it draws nothing of its own

    def __init__(self, parts: list[Flowable], kind: str = "") -> None:
        super().__init__()
        self.parts = [tagging.ensure(f) for f in parts]
        self.kind = kind
        self._heights: list[float] = []

    def _gaps(self) -> Iterator[float]:
        for before, after in zip(self.parts, self.parts[1:], strict=False):
            yield max(before.getSpaceAfter(), after.getSpaceBefore())

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        canvas = getattr(self, "canv", None)
        self._heights = []
        for f in self.parts:
            _, h = f.wrapOn(canvas, avail_width, 1e6) if canvas is not None else f.wrap(avail_width, 1e6)
            self._heights.append(h)
        self.width = avail_width
        self.height = sum(self._heights) + sum(self._gaps())
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return []

    def getSpaceBefore(self) -> float:
        return self.parts[0].getSpaceBefore()

    def getSpaceAfter(self) -> float:
        return self.parts[-1].getSpaceAfter()

    def draw(self) -> None:
        y = self.height
        gaps = [0.0, *self._gaps()]
        for f, h, gap in zip(self.parts, self._heights, gaps, strict=True):
            y -= gap + h
            f.drawOn(self.canv, 0, y)


class Columns(Flowable):
    """A run of flowables in `count` side-by-side columns of equal, balanced height, on one page.

    It never splits: when the text does not fit the space it is given, it says it is
    taller than that space (and how many such spaces it would need, `pages_needed`).
    With `carry`, it fills the whole space given and what does not fit is its `rest()`,
    for the columns on the back.
    """

    def __init__(self, make: Callable[[], list[Flowable]], count: int, gap: float, rule: str | None = None,
                 balance: bool = True, carry: bool = False, direction: Direction = LEFT_TO_RIGHT) -> None:
        super().__init__()
        self.make = make
        self.direction = direction  # the first column at the start side (the right of a right-to-left page)
        self.count = count
        self.gap = gap
        self.rule = rule
        self.balance = balance
        self.carry = carry
        self.pages_needed = 0.0
        self._scratch = Canvas(io.BytesIO())

    def column_width(self, avail_width: float) -> float:
        return (avail_width - self.gap * (self.count - 1)) / self.count

    def _frames(self, width: float, height: float, x0: float = 0, y0: float = 0) -> list[Frame]:
        cw = self.column_width(width)
        return [Frame(x0 + self.direction.x(i * (cw + self.gap), cw, width), y0, cw, height, leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0, showBoundary=0) for i in range(self.count)]

    def _fits(self, width: float, height: float) -> bool:
        left, _ = flow(self.make(), self._frames(width, height), self._scratch, draw=False)
        self._scratch = Canvas(io.BytesIO())  # drop what was drawn
        return not left

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        if self.carry:
            self.height = avail_height
            self.pages_needed = 1.0
            return self.width, self.height
        # How far over, as the text's own height against the room: the gaps a box
        # moved whole would leave are not text to cut. Text taller than all the
        # columns together cannot fit however it is broken: no need to lay it out.
        natural = natural_height(self.make(), self.column_width(avail_width))
        if natural > avail_height * self.count:
            left: list[Flowable] = [self]
        else:
            frames = self._frames(avail_width, avail_height)
            left, last = flow(self.make(), frames, self._scratch, draw=False)
        if left:
            self.pages_needed = max(natural / (avail_height * self.count), 1.0)
            self.height = avail_height * self.pages_needed + 1  # always more than there is: never drawn
        else:
            filled = sum(_used(f) for f in frames[:last]) + _used(frames[last])
            self.pages_needed = min(filled / (avail_height * self.count), 1.0)
            self.height = self._balanced(avail_width, avail_height, frames, last) if self.balance else avail_height
        self._scratch = Canvas(io.BytesIO())
        return self.width, self.height

    def rest(self) -> list[Flowable]:
        """What does not fit these columns (`carry`), laid out as `draw` lays it out (after `wrap`)."""
        left, _ = flow(self.make(), self._frames(self.width, self.height), Canvas(io.BytesIO()), draw=False)
        return left

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
        return []  # one page: never carried over by the document (the back has its own Columns)

    def draw(self) -> None:
        frames = self._frames(self.width, self.height)
        left, last = flow(self.make(), frames, self.canv)
        if left and not self.carry:  # wrap measured this very layout; a difference is a bug, never cut text
            raise AssertionError("the summary's columns did not hold the text they were measured to hold")
        if self.carry and [type(f) for f in left] != [type(f) for f in self.rest()]:  # the back starts where this ends
            raise AssertionError("the summary's front did not end where its back was measured to start")
        if self.rule and last > 0:
            self.canv.setStrokeColor(HexColor(self.rule))
            self.canv.setLineWidth(0.5)
            step = self.column_width(self.width) + self.gap
            for i in range(1, last + 1):  # in the middle of the gap before each column after the first
                x = self.direction.x(i * step - self.gap / 2, 0, self.width)
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
    """The summary at one body size and arrangement: geometry, furniture and story, on one or two sides.

    `sides=2` puts the text that does not fit the front on the back, with "Please turn
    over" at the foot of the front and the contact details on the back. `order`: the key
    points first (POINTS_FIRST), or the urgent callouts first (URGENT_FIRST, the warnings
    after the key points) or all of "When to get help" first (HELP_FIRST), so that the
    urgent callouts come on the front. `to_back`: the last part of the text (never an urgent
    callout) starts the back, so that the back is more than the contact details.
    """

    def __init__(self, handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet,
                 values: dict[str, str], content: SummaryContent, columns: int, sides: int = 1,
                 order: int = 0, to_back: bool = False) -> None:
        self.handout, self.clinic, self.theme, self.fonts, self.values = handout, clinic, theme, fonts, values
        self.content = content
        self.columns = columns
        self.sides = sides
        self.order = order
        self.to_back = to_back and sides == 2
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
        #: The front (one side), or the front and the back: (x, y, width, height) of the story's frame.
        self.frame = (pg.left, bottom, self.width, top - bottom)
        self.back_frame = self.frame
        if sides == 2:
            turn_over_top = pg.bottom + self._turn_over_height() + 4 * MM
            self.frame = (pg.left, turn_over_top, self.width, top - turn_over_top)
            back_top = pg.height - pg.top - self._running_head_height() - 3 * MM
            self.back_frame = (pg.left, bottom, self.width, back_top - bottom)

    # header: logo and clinic name -------------------------------------------------------
    def _clinic_name(self, width: float) -> AnyParagraph:
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
            lines.append(c.p(c.linked(f"<b>{tx.escape_text(c.words('hours'))}:</b> {tx.escape_text(cl.hours)}"),
                             ParagraphStyle("hours", parent=s.body, spaceAfter=1)))
        if cl.urgent:
            color, _, symbol = p.callouts["urgent"]
            lines.append(c.literal(f"{symbol} {cl.urgent}", ParagraphStyle(
                "clinic_urgent", parent=s.label, textColor=HexColor(color), spaceBefore=1, spaceAfter=1)))
        if cl.website:
            website = f"<b>{tx.escape_text(c.words('website'))}:</b> {tx.escape_text(cl.website)}"
            lines.append(c.p(c.linked(website), ParagraphStyle("website", parent=s.body, spaceAfter=1)))
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
            out.append(c.p(" · ".join(shown), ParagraphStyle("facts", parent=s.small)))
        return out

    def _footer_height(self) -> float:
        canvas = Canvas(io.BytesIO())
        total = 0.0
        for f in self._footer():
            _, fh = f.wrapOn(canvas, self.width, 1e6)
            total += fh
        return total

    # the turn-over line and the back's running head ---------------------------------------------
    def _turn_over(self) -> AnyParagraph:
        s, d = self.wide.styles, self.theme.direction
        style = ParagraphStyle("turn_over", parent=s.label, alignment=ALIGN[d.end], spaceAfter=0,
                               textColor=HexColor(self.theme.palette.primary_text))
        arrow = TURN_OVER_ARROW[d.name]
        arrow = f" {arrow}" if self.fonts.can_draw(arrow) else ""  # no empty box
        return self.wide.literal(f"{self.theme.word('turn_over')}{arrow}", style)

    def _turn_over_height(self) -> float:
        return self._turn_over().wrap(self.width, 1e6)[1]

    def _running_head(self) -> AnyParagraph:
        s = self.wide.styles
        text = f"{tx.plain(self.handout.title, self.values)} ({self.theme.word('continued')})"
        return self.wide.literal(text, ParagraphStyle("running_head", parent=s.small, spaceAfter=0))

    def _running_head_height(self) -> float:
        return self._running_head().wrap(self.width, 1e6)[1]

    # the story ------------------------------------------------------------------------
    def heading(self, text: str, color: str | None = None) -> AnyParagraph:
        s = self.col.styles
        size = max(min(s.h1.fontSize, s.body.fontSize * HEADING_SCALE), s.body.fontSize)
        style = ParagraphStyle("summary_heading", parent=s.h1, fontSize=size, leading=size * 1.2,
                               spaceBefore=self.theme.space["paragraph"] * 1.2,
                               spaceAfter=self.theme.space["paragraph"] * 0.5, keepWithNext=1,
                               textColor=HexColor(color or self.theme.palette.primary_text))
        return self.col.literal(text, style)

    def body(self) -> list[Flowable]:
        """The text that flows in the columns; fresh flowables each time (layout changes them).

        Tagged here: the document tags only what it lays out itself, and Columns lays these out.
        """
        groups: list[list[Flowable]]
        if self.order == POINTS_FIRST:
            groups = [self.points_part(), [*self.help_part()]]
        elif self.order == URGENT_FIRST:
            groups = [[*self.help_part(("urgent",))], self.points_part(),
                      [*self.help_part(tuple(k for k in HELP_KINDS if k != "urgent"), heading=False)]]
        else:
            groups = [[*self.help_part()], self.points_part()]
        groups = [g for g in groups if g]
        if self.to_back and self.can_move_to_back(groups):
            groups[-1].insert(0, SideBreak())
        return [tagging.ensure(f) for g in groups for f in g]

    @staticmethod
    def can_move_to_back(groups: list[list[Flowable]]) -> bool:
        """The last group may go to the back when something stays on the front and it holds no urgent callout."""
        return len(groups) > 1 and not any(isinstance(f, Whole) and f.kind == "urgent" for f in groups[-1])

    def points_part(self) -> list[Flowable]:
        c = self.col
        return [self.heading(c.words("key_points")), c.list_of(self.content.points, numbered=False)]

    def help_part(self, kinds: tuple[str, ...] = HELP_KINDS, heading: bool = True) -> list[Whole]:
        """Each callout of these kinds whole; the heading goes with the first (a heading never ends a column)."""
        out: list[Whole] = []
        for callout in self.content.help:
            if callout.kind not in kinds:
                continue
            box = self.callout(callout)
            if heading and not out:
                title = self.heading(self.col.words("urgent_help"), self.theme.palette.callouts["urgent"][0])
                box = Whole([title, *box.parts], callout.kind)
                box._booklet_loc = callout.loc  # type: ignore[attr-defined]
            out.append(box)
        return out

    def callout(self, b: m.Callout) -> Whole:
        """A callout as in the booklet, its kind word left out (the heading and colour already say it), whole."""
        c, s = self.col, self.col.styles
        color, background, symbol = self.theme.palette.callouts[b.kind]
        head = tx.markup(b.title, self.values, self.theme.emphasis) if b.title else tx.escape_text(c.words(b.kind))
        rows: list[list[Flowable]] = [[c.p(f"{tx.escape_text(symbol)} {head}", ParagraphStyle(
            "callout_head", parent=s.box_title, textColor=HexColor(color)))]]
        if b.text:
            rows.append([c.para(b.text, ParagraphStyle("callout_text", parent=s.body, spaceAfter=2))])
        if b.bullets:
            rows.append([c.list_of(b.bullets, numbered=False, color=color)])
        whole = Whole([c.box(rows, color, background, keep=False)], b.kind)
        whole._booklet_loc = b.loc  # type: ignore[attr-defined]
        return whole

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
        return Columns(self.body, self.columns, COLUMN_GAP, self.theme.palette.rule, balance,
                       carry=self.sides == 2, direction=self.theme.direction)

    def story(self, balance: bool = True) -> list[Flowable]:
        """The front's story: title and columns (with two sides, the front's columns carry the rest over)."""
        return [*self.title(), self.gap(), self.columns_flowable(balance)]

    def gap(self) -> Spacer:
        return Spacer(1, self.theme.space["block"] * 0.8)

    def back(self, front: Columns, balance: bool = True) -> Columns:
        """The back's columns: what the front's columns did not hold (known once the front is laid out)."""
        return Columns(front.rest, self.columns, COLUMN_GAP, self.theme.palette.rule, balance,
                       direction=self.theme.direction)

    def measure(self) -> tuple[bool, float]:
        """(fits, pages needed) by flowing the story into the frames; nothing is drawn for real.

        With two sides it fits only when every urgent callout stays on the front.
        """
        x, y, w, h = self.frame
        if h <= 0:
            return False, 1 + (-h) / self.page.height
        if self.sides == 2:  # text taller than both sides' columns together cannot fit, however it is broken
            natural = natural_height(self.body(), self.column_width)
            front = h - natural_height([*self.title(), self.gap()], self.width)
            back = self.back_frame[3]
            if natural > (front + back) * self.columns:
                return False, 1 + (natural - front * self.columns) / (back * self.columns)
        story = self.story(balance=False)
        left, _ = flow(story, [Frame(x, y, w, h, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)],
                       Canvas(io.BytesIO()), draw=False)
        columns = story[-1]
        assert isinstance(columns, Columns)
        if columns.pages_needed == 0.0:  # never reached: the title alone fills the page
            return False, float(self.sides) + 1
        if self.sides == 1:
            return not left, columns.pages_needed
        carried = columns.rest()
        if any(isinstance(f, Whole) and f.kind == "urgent" for f in carried):  # an urgent callout would go to the back
            return False, 1.0 + natural_height(carried, self.column_width) / (self.back_frame[3] * self.columns)
        if not carried:
            return True, 1.0
        back = self.back(columns, balance=False)
        _, bh = back.wrap(self.back_frame[2], self.back_frame[3])
        return bh <= self.back_frame[3], 1.0 + back.pages_needed

    # drawing ------------------------------------------------------------------------
    def check_sides(self, canvas: Canvas) -> None:
        """Drawn after the text: a page more than the fit said is refused, never printed."""
        if canvas.getPageNumber() > self.sides:
            raise BookletError.at(self.handout.field_locs.get("summary", self.handout.loc),
                                  f"the summary ran onto a {'second' if self.sides == 1 else 'third'} page",
                                  "shorten `summary` or the urgent and warning callouts")

    def strips(self, canvas: Canvas) -> None:
        p, pg = self.theme.palette, self.page
        canvas.setFillColor(HexColor(p.primary))
        canvas.rect(0, pg.height - self.strip, pg.width, self.strip, stroke=0, fill=1)
        canvas.rect(0, 0, pg.width, self.strip, stroke=0, fill=1)

    def decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """The front: strips, clinic header; the contact box (one side) or "Please turn over" (two)."""
        p, pg, d = self.theme.palette, self.page, self.theme.direction
        canvas.saveState()
        self.strips(canvas)
        top = pg.height - pg.top
        if self.header_height:  # the clinic's name at the start side, its logo at the end
            logo_w = 0.0
            if self.clinic.logo is not None:
                _, logo_h = self._logo_size()
                logo_w = self.furniture.draw_logo(canvas, pg.left + d.x(self.width, 0, self.width),
                                                  top - (self.header_height - logo_h) / 2,
                                                  self.width * 0.45, self.logo_height, d.end)
            if self.clinic.name:
                width = self.width - logo_w - 8 * MM
                name = self._clinic_name(width)
                _, nh = name.wrap(width, self.header_height)
                tagging.ensure(name).drawOn(canvas, pg.left + d.x(0, width, self.width),
                                            top - (self.header_height + nh) / 2)
            rule_y = top - self.header_height - 3 * MM
            canvas.setFillColor(HexColor(p.primary))
            canvas.rect(pg.left, rule_y, self.width, 2, stroke=0, fill=1)
            canvas.setFillColor(HexColor(p.accent))
            canvas.rect(pg.left + d.x(0, self.width * 0.25, self.width), rule_y - 1.5, self.width * 0.25, 1.5,
                        stroke=0, fill=1)
        if self.sides == 2:
            turn = self._turn_over()
            turn.wrap(self.width, 1e6)
            turn.drawOn(canvas, pg.left, pg.bottom)  # an artifact: the page says it, a reader needs not
        else:
            self.contact(canvas)
        canvas.restoreState()

    def decorate_back(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """The back: strips, the title as a running head, the contact box."""
        pg = self.page
        canvas.saveState()
        self.strips(canvas)
        head = self._running_head()
        _, hh = head.wrap(self.width, 1e6)
        head.drawOn(canvas, pg.left, pg.height - pg.top - hh)
        self.contact(canvas)
        canvas.restoreState()

    def contact(self, canvas: Canvas) -> None:
        pg = self.page
        y = pg.bottom + self.footer_height
        with tagging.reading_last(canvas):  # drawn with the page, read after the text
            for f in self._footer():
                _, fh = f.wrapOn(canvas, self.width, self.footer_height)
                tagging.ensure(f).drawOn(canvas, pg.left, y - fh)
                y -= fh

    def _story(self) -> list[Flowable]:
        story = self.story()
        if self.sides == 2:
            front = story[-1]
            assert isinstance(front, Columns)
            story += [NextPageTemplate("back"), PageBreak(), self.back(front)]
        return [*story, EndMarker(self.check_sides)]

    def spec(self) -> DocumentSpec:
        s = self.wide.styles
        frames = {"summary": self.frame}
        decorate: dict[str, Callable[[Canvas, BaseDocTemplate], None]] = {"summary": self.decorate}
        if self.sides == 2:
            frames["back"] = self.back_frame
            decorate["back"] = self.decorate_back
        return DocumentSpec(
            page=(self.page.width, self.page.height),
            frames=frames,
            decorate=decorate,
            story=lambda _back_pages, _part: self._story(),  # one sheet: never cut short
            metadata=metadata(self.handout, self.clinic, self.values),
            numbers=NumberStyle(self.fonts.regular, s.body.fontSize, self.theme.palette.text, 0, 0),
            source=self.handout.loc,
            warnings=[*self.wide.warnings, *self.col.warnings],
            right_to_left=self.theme.direction.rtl,
        )


# -- fitting ---------------------------------------------------------------------------
def body_sizes(theme: Theme) -> list[float]:
    """Preferred body size first, down to the floor in STEP steps (never below the floor)."""
    t = theme.type
    top = max(t.body, t.floor)
    count = round((top - t.floor) / STEP)
    return [top - i * STEP for i in range(count + 1)]


def arrangements(theme: Theme, fonts: FontSet, size: float) -> tuple[int, ...]:
    """Column counts to try at one size, best first: one; then two where a column still holds
    MIN_COLUMN_CHARS a line."""
    page = sheet(theme)
    width = page.width - page.left - page.right
    char = stringWidth(_SAMPLE, fonts.regular, size) / len(_SAMPLE)
    return (1, 2) if (width - COLUMN_GAP) / 2 >= MIN_COLUMN_CHARS * char else (1,)


def is_large_print(theme: Theme) -> bool:
    return "large-print" in theme.name.split("+")


def fit_summary(prepared: Prepared, values: dict[str, str] | None = None, sides: int = 2) -> Fit:
    """Does the handout's summary fit on one sheet (`sides` 2) or one side, and how? Builds no PDF.

    `prepared` is an `api.Prepared` for the "summary" or "large-print-summary" variant.
    Raises BookletError when there are no key points at all.
    """
    return fit(prepared.handout, prepared.clinic, prepared.theme, prepared.fonts, values or {}, sides)


def fit(handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet, values: dict[str, str],
        sides: int = 2) -> Fit:
    """The best layout that fits: the front alone at the largest body size that fits there, down to the
    floor (large print: only at its preferred size, unless `sides` is 1); else front and back, likewise.

    Each size is tried in every arrangement (one column, then two; the key points first, then the urgent
    callouts first, then all of "When to get help"). The floor is tried first: when nothing fits there,
    no larger size can fit either (text only grows with its size). Then the sizes are halved between the
    largest that fits and the smallest that does not.
    """
    content = summary_content(handout)
    sizes = body_sizes(theme)
    floor = theme.type.floor
    front_sizes = sizes[:1] if sides == 2 and is_large_print(theme) else sizes
    at_floor: list[tuple[float, SummaryPage]] = []  # pages needed and how, at the floor, on all the sides allowed

    def first_fit(size: float, n: int) -> Fit | None:
        orders = (POINTS_FIRST, URGENT_FIRST, HELP_FIRST) if n == 2 and content.help else (POINTS_FIRST,)
        for columns in arrangements(theme, fonts, size):
            for order in orders:
                page = SummaryPage(handout, clinic, theme.with_body(size), fonts, values, content, columns, n, order)
                fits, pages = page.measure()
                if not fits:
                    if size == floor and n == sides:
                        at_floor.append((pages, page))
                    continue
                to_back = False
                if n == 2 and pages <= 1.0:  # all on the front: a back with only the contact details reads oddly
                    moved = SummaryPage(handout, clinic, theme.with_body(size), fonts, values, content, columns, n,
                                        order, to_back=True)
                    to_back, pages_moved = moved.measure()
                    pages = pages_moved if to_back else pages
                where = "on one side" if n == 1 else "on the front and back of one sheet"
                return Fit(True, size, round(pages, 2), f"the summary fits {where} at {size:g} pt", columns,
                           content.points_loc, sides=n, order=order, to_back=to_back)
        return None

    for n, tried in ((1, front_sizes), (2, sizes if sides == 2 else [])):
        if not tried:
            continue
        best = first_fit(tried[-1], n)  # the smallest size (the floor, or large print's only one-side size)
        if best is None:
            continue
        fits, fails = len(tried) - 1, -1  # indexes into `tried` (largest size first)
        while fits - fails > 1:
            middle = (fits + fails) // 2
            found = first_fit(tried[middle], n)
            if found is None:
                fails = middle
            else:
                fits, best = middle, found
        return best
    pages, page = min(at_floor, key=lambda known: known[0])
    return _too_long(page, pages, floor)


def _callout_too_tall(page: SummaryPage, floor: float) -> Fit | None:
    """The refusal when one urgent or warning callout alone is taller than the side it must stand on,
    or the urgent callouts together are taller than the front (even at full width)."""
    wide = SummaryPage(page.handout, page.clinic, page.theme, page.fonts, page.values, page.content, 1,
                       page.sides, HELP_FIRST)
    title = natural_height([*wide.title(), wide.gap()], wide.width)
    front = wide.frame[3] - title
    name = "large-print summary" if is_large_print(page.theme) else "summary"
    hint = ("urgent and warning callouts are printed whole, never split, and the urgent ones on the front; keep "
            "to the few signs that mean getting help, a line each")
    for callout, box in zip(page.content.help, wide.help_part(), strict=True):
        room = front if callout.kind == "urgent" or page.sides == 1 else max(front, wide.back_frame[3])
        height = natural_height([box], wide.width)
        if height > room:
            message = (f"the {callout.kind} callout '{_short(callout, page.values)}' is too tall for one side of the "
                       f"{name} at {floor:g} pt, the smallest size allowed: it needs {height / room:.1f} sides")
            return Fit(False, floor, round(height / room, 2), message, 1, callout.loc, hint, page.sides)
    urgent = [c for c in page.content.help if c.kind == "urgent"]
    height = natural_height(wide.help_part(("urgent",)), wide.width)
    if len(urgent) > 1 and height > front:
        named = _join([f"'{_short(c, page.values)}' (line {c.loc.line})" for c in urgent], "and")
        message = (f"the urgent callouts {named} are too tall together for the front of the {name} at {floor:g} pt, "
                   f"the smallest size allowed: they need {height / front:.1f} fronts")
        return Fit(False, floor, round(height / front, 2), message, 1, urgent[0].loc, hint, page.sides)
    return None


def _short(callout: m.Callout, values: dict[str, str]) -> str:
    title = tx.plain(callout.title or callout.text, values)
    return title[:39].rstrip() + "…" if len(title) > 40 else title


def _too_long(page: SummaryPage, pages: float, floor: float) -> Fit:
    """The refusal, naming what takes the most room."""
    too_tall = _callout_too_tall(page, floor)
    if too_tall is not None:
        return too_tall
    content = page.content
    parts: list[tuple[float, str]] = []
    n = len(content.points)
    what = "`summary`" if content.points_field == "summary" else "the sections' `key_points`"
    parts.append((natural_height(page.points_part(), page.column_width), f"{what} ({n} point{'s' if n != 1 else ''}"))
    for callout, box in zip(content.help, _per_callout(page), strict=True):
        parts.append((natural_height([box], page.column_width),
                      f"the {callout.kind} callout '{_short(callout, page.values)}' (line {callout.loc.line}"))
    total = sum(h for h, _ in parts) or 1.0
    parts.sort(key=lambda part: -part[0])
    named = [f"{label}, {h / total:.0%} of the text)" for h, label in parts[:3]]
    shown = max(round(pages, 1), page.sides + 0.1)  # never "1.0 pages" for text that does not fit
    name = "large-print summary" if is_large_print(page.theme) else "summary"
    room = "one side" if page.sides == 1 else "two sides, the front and back of one sheet"
    message = (f"the {name} needs {shown:.1f} pages at {floor:g} pt, the smallest size allowed, and has {room}; "
               f"shorten {_join(named)}")
    hint = ("a summary is for the few things a patient must remember: keep each point to a line or "
            "two; the booklet can say the rest")
    return Fit(False, floor, round(pages, 2), message, page.columns, content.points_loc, hint, page.sides)


def _per_callout(page: SummaryPage) -> Iterator[Whole]:
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


def _join(items: list[str], word: str = "or") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def compose_summary(handout: m.Handout, clinic: m.Clinic, theme: Theme, fonts: FontSet,
                    values: dict[str, str], sides: int = 2) -> DocumentSpec:
    """The summary on one sheet (`sides` 2: front, and back when needed) or on one side only (`sides` 1)."""
    result = fit(handout, clinic, theme, fonts, values, sides)
    if not result.fits:
        raise result.error()
    page = SummaryPage(handout, clinic, theme.with_body(result.body_size), fonts, values,
                       summary_content(handout), result.columns, result.sides, result.order, result.to_back)
    return page.spec()
