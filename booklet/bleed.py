"""Turns trim-size pages into pages for a print shop: colour into the bleed, TrimBox and BleedBox, crop marks.

Layout code keeps drawing on the finished (trim) page from (0, 0). When a bleed
or crop marks are asked for, `PrintCanvas` makes each page bigger by a margin on
every side, moves the origin to the trim's corner, and

- extends every filled rectangle that touches a trim edge (colour bands, page
  backgrounds) out to the bleed edge, so a slightly off cut leaves no white line;
- writes `/TrimBox` (the finished page) and `/BleedBox` (trim plus bleed) on every
  page, and a `/MediaBox` around both and the marks;
- draws crop marks at the corners, outside the trim and the bleed, in
  registration colour (every printing plate), as artifacts of a tagged PDF.

Only rectangles drawn in page coordinates are extended (decorations drawn by the
page templates): a table's background inside the text frame never touches the trim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import CMYKColorSep
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from . import tagging
from .errors import BookletError
from .theme import length

#: More than this is not a bleed a print shop asks for (3 mm or 1/8 in is usual): most likely a typing slip.
MAX_BLEED = 10 * mm
#: Crop marks start this far from the trim at least, and this far beyond the bleed's edge, so that neither
#: a cut nor the colour in the bleed ever meets them.
MARK_GAP = 3 * mm
MARK_CLEAR = 2 * mm
MARK_LENGTH = 5 * mm
MARK_WIDTH = 0.25  # points: a hairline, as print shops expect
#: Paper beyond the marks, so that no mark touches the edge of the sheet.
SLUG = 1 * mm
#: Registration colour: the separation named All prints on every plate, so the marks show on each.
REGISTRATION = CMYKColorSep(1, 1, 1, 1, spotName="All", density=1)
_EDGE = 0.01  # points: a rectangle this close to a trim edge touches it


def parse_bleed(text: str | None, option: str = "--bleed") -> float:
    """A bleed written like 3mm, 0.125in or 9pt, in points; 0 for none. Refuses what no print shop means."""
    if text is None:
        return 0.0
    raw = text.strip()
    example = "write it with its unit, like 3mm, 0.125in or 9pt"
    if not re.fullmatch(r"-?\d+(\.\d+)?\s*(mm|cm|in|pt)?", raw):
        raise BookletError.at(option, f"'{text}' is not a length", example)
    value = length(raw)
    if value < 0:
        raise BookletError.at(option, f"the bleed cannot be negative ('{text}')",
                              "print shops usually ask for 3mm (0.125in)")
    if value and not re.search(r"[a-z]\Z", raw):
        raise BookletError.at(option, f"the bleed '{text}' has no unit", example)
    if value > MAX_BLEED + 1e-6:
        raise BookletError.at(option, f"a bleed of {text} is more than any print shop asks for (at most 10mm)",
                              "print shops usually ask for 3mm (0.125in); check the number and the unit")
    return value


@dataclass(frozen=True)
class PrintSetup:
    """How far colour runs past the trim (points) and whether crop marks are drawn."""

    bleed: float = 0.0
    marks: bool = False

    @property
    def mark_gap(self) -> float:
        return max(MARK_GAP, self.bleed + MARK_CLEAR)

    @property
    def margin(self) -> float:
        """Paper added on each side of the trim."""
        return self.mark_gap + MARK_LENGTH + SLUG if self.marks else self.bleed


class PrintCanvas(Canvas):
    """A canvas mix-in (first among render's canvas bases) that draws trim-size pages on bigger paper."""

    print_setup: PrintSetup = PrintSetup()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._trim: tuple[float, float] = kwargs.get("pagesize") or (0.0, 0.0)
        super().__init__(*args, **kwargs)
        if self._trim != (0.0, 0.0):
            self.setPageSize(self._trim)

    @property
    def _page_origin(self) -> tuple[float, float, float, float, float, float]:
        m = self.print_setup.margin
        return (1.0, 0.0, 0.0, 1.0, m, m)

    def setPageSize(self, size: tuple[float, float]) -> None:
        """`size` is the trim; the paper is bigger by the margin on each side."""
        w, h = self._trim = (float(size[0]), float(size[1]))
        m, b = self.print_setup.margin, self.print_setup.bleed
        super().setPageSize((w + 2 * m, h + 2 * m))
        self.setTrimBox((m, m, m + w, m + h))
        self.setBleedBox((m - b, m - b, m + w + b, m + h + b))

    def init_graphics_state(self) -> None:
        super().init_graphics_state()
        self._currentMatrix = self._page_origin  # the page's own coordinates start at the trim's corner

    def beginForm(self, *args: Any, **kwargs: Any) -> None:
        super().beginForm(*args, **kwargs)
        self._currentMatrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)  # a form has its own coordinates

    def _absRect(self, rect: Any, relative: int = 0) -> Any:
        """Annotation rectangles given in page coordinates are moved with the page (relative ones already
        are, through the current matrix)."""
        r = super()._absRect(rect, relative)
        if rect and not relative:
            m = self.print_setup.margin
            r = (r[0] + m, r[1] + m, r[2] + m, r[3] + m)
        return r

    def rect(self, x: float, y: float, width: float, height: float, stroke: int = 1, fill: int = 0) -> None:
        b = self.print_setup.bleed
        if fill and b and self._currentMatrix == self._page_origin:
            w, h = self._trim
            x0, x1 = sorted((x, x + width))
            y0, y1 = sorted((y, y + height))
            x0 = x0 - b if x0 <= _EDGE else x0
            y0 = y0 - b if y0 <= _EDGE else y0
            x1 = x1 + b if x1 >= w - _EDGE else x1
            y1 = y1 + b if y1 >= h - _EDGE else y1
            x, y, width, height = x0, y0, x1 - x0, y1 - y0
        super().rect(x, y, width, height, stroke=stroke, fill=fill)

    def showPage(self) -> None:
        if self.print_setup.marks:
            self._crop_marks()
        m = self.print_setup.margin
        # The move to the trim's corner comes first in the page's stream, before anything drawn on it.
        self._code.insert(0, f"1 0 0 1 {_number(m)} {_number(m)} cm")
        super().showPage()

    def _crop_marks(self) -> None:
        w, h = self._trim
        gap, end = self.print_setup.mark_gap, self.print_setup.mark_gap + MARK_LENGTH
        tagger = tagging.tagger_of(self)
        if tagger is not None:
            tagger.enter(tagging.ARTIFACT)
        self.saveState()
        self.setStrokeColor(REGISTRATION)
        self.setLineWidth(MARK_WIDTH)
        lines = []
        for cx, sx in ((0.0, -1), (w, 1)):
            for cy, sy in ((0.0, -1), (h, 1)):
                lines.append((cx + sx * gap, cy, cx + sx * end, cy))  # along the horizontal trim edge
                lines.append((cx, cy + sy * gap, cx, cy + sy * end))  # along the vertical one
        self.lines(lines)
        self.restoreState()
        if tagger is not None:
            tagger.leave()


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"
