"""Lays a composed story out on pages and returns the PDF bytes: invariant, fonts embedded."""

from __future__ import annotations

import copy
import functools
import gc
import io
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate
from reportlab.platypus.doctemplate import LayoutError

from . import bleed, memos, tagging
from . import rl_internals as rl
from .errors import BookletError, Loc, Problem

rl_config.useA85 = 0  # binary streams: ASCII85 only makes files 25% bigger
rl_config.trustedHosts = None  # never fetch anything from the network
# What ReportLab may *open* (images, fonts): local files only. Link targets (`https:`, `mailto:`, `tel:`, and
# `#name` inside the document) are only written into annotations, never opened, whatever this list says.
rl_config.trustedSchemes = ["file"]
rl.use_clean_to_unicode_maps()  # no ToUnicode entry maps an unused code to U+0000
memos.install()  # pictures decoded, font subsets cut and streams compressed once per process

#: Annotation flags (ISO 32000-1 12.5.3): Print, so a link's area prints like the text under it (PDF/UA-1 and
#: WCAG checkers ask for it on every annotation that is not hidden).
PRINT_FLAG = 4


@dataclass(frozen=True)
class Metadata:
    title: str
    author: str
    subject: str
    keywords: str
    language: str
    creator: str


@dataclass(frozen=True)
class NumberStyle:
    """How page numbers on the contents page are drawn once they are known."""

    font: str
    size: float
    color: str
    width: float
    height: float
    #: The side of its box the number stands against ("left" on a right-to-left page).
    side: str = "right"


#: Font name -> the characters given their subset codes first (see `seed_subsets`).
SubsetSeed = tuple[tuple[str, str], ...]


@dataclass
class DocumentSpec:
    """Everything render needs: page geometry, decorations per template, and the story."""

    page: tuple[float, float]
    frames: dict[str, tuple[float, float, float, float]]  # template -> (x, y, width, height)
    decorate: dict[str, Callable[[Canvas, BaseDocTemplate], None]]
    story: Story
    metadata: Metadata
    numbers: NumberStyle
    multiple_of: int = 1
    source: Loc = field(default_factory=lambda: Loc("<input>"))
    #: A tagged PDF (structure tree, marked content); False draws the same pages untagged.
    tags: bool = True
    #: Claim PDF/UA-1 in the XMP metadata (unvalidated: only on request).
    pdfua: bool = False
    #: After a layout, a better story to lay out instead (fewer pages: no contents page that points
    #: at the next two pages, ...) and whether it wins a tie, or None to keep this one. Render keeps
    #: the one with fewer pages.
    revise: Callable[[Outcome], tuple[Story, bool] | None] | None = None
    #: Warnings found while composing (severity "warning"); the build goes on, `--strict` refuses them.
    warnings: list[Problem] = field(default_factory=list)
    #: Print production (booklet/bleed.py): colour this far (points) past the trim, and crop marks.
    bleed: float = 0.0
    marks: bool = False
    #: The document reads right to left: /ViewerPreferences /Direction /R2L (viewers show facing pages and
    #: `booklet.impose` binds the booklet on the right).
    right_to_left: bool = False
    #: Characters each font's subsets number first, in this order, before anything is drawn (`seed_subsets`).
    subset_seed: SubsetSeed = ()
    #: > 0: lay out and draw only this many pages, then raise `Stopped` (booklet/reuse.py draws only the
    #: pages of a personalised copy that show the row's values) ...
    stop_after: int = 0
    #: ... leaving here the canvas with those pages (not saved).
    stopped: Canvas | None = None
    #: Of those pages, these (numbered from 1) are laid out but not drawn: a personalised copy's pages between
    #: the ones that show its values, which it takes from its template. Such a page's content is only a note of
    #: where the flowables placed on it went (`tagging.note_layout`), so two layouts that differ there still
    #: give different pages.
    blank_pages: frozenset[int] = frozenset()
    #: > 0: a story that can (a booklet's) composes only its first this many sections, ends with `PartEnd`,
    #: and leaves out what comes after them: for `stop_after`, when those sections fill the pages drawn.
    sections_only: int = 0
    #: How many times the story was laid out (counted by `_build`: one layout, or two when revised, and
    #: one more for each time the padding was tried again).
    layouts: int = 0


def seed_subsets(canvas: Canvas, seed: SubsetSeed) -> None:
    """Give `seed`'s characters their codes in each font's subsets first, in the order given.

    ReportLab numbers a TrueType subset's characters in the order the document first draws
    them (ASCII keeps its own codes). Without a seed, one new character early on (an accented
    patient name on the cover) renumbers every later character, and every later page's content
    stream changes with it; with the handout's characters numbered first, in a fixed order, the
    pages that do not show the new character stay byte-identical from copy to copy. A seeded font
    that is never drawn is not embedded; characters a font lacks are skipped.
    """
    from reportlab.pdfbase.pdfmetrics import getFont

    doc = rl.document(canvas)
    for font, chars in seed:
        getFont(font).splitString(chars, doc)


class Stopped(Exception):  # noqa: N818 - not an error: the pages asked for are drawn
    """Raised when `DocumentSpec.stop_after` pages are drawn (`DocumentSpec.stopped` holds them).
    Platypus may raise it again as a new instance with a message added, so it carries nothing itself."""


@functools.lru_cache(maxsize=1)
def scratch_canvas() -> Canvas:
    """A canvas to measure flowables on before the real build (nothing is ever saved from it)."""
    return Canvas(io.BytesIO())


class PadTo(Flowable):
    """Marks where pages go so the page count becomes a multiple of N: `make_pages(n)` makes n of them,
    each starting with a page break."""

    def __init__(self, multiple: int, pages_after: int, make_pages: Callable[[int], list[Flowable]]) -> None:
        super().__init__()
        self.multiple = multiple
        self.pages_after = pages_after
        self.make_pages = make_pages


class PartEnded(Exception):  # noqa: N818 - not an error: the story ran short of the pages asked for
    """Raised when a story composed in part (`DocumentSpec.sections_only`) reaches its end: the sections
    composed did not fill the pages to be drawn (or something measured past them)."""


class PartEnd(Flowable):
    """The end of a story composed in part: reaching it, or measuring it, raises PartEnded, so a page
    is never laid out from a story that is missing what comes next."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        raise PartEnded

    def draw(self) -> None:
        raise PartEnded


@dataclass(frozen=True)
class Outcome:
    """What one layout of a story came to: pages in all, pages added by PadTo, and the page each
    recorded heading (contents entry) landed on."""

    pages: int
    padding: int
    headings: dict[str, int]


#: A story maker: takes the number of pages the matter after the padding point needs, or None for as many as
#: the composer measures (the layout checks it, and lays the story out again when it ran longer).
#: Its second argument is `DocumentSpec.sections_only` (0: the whole story; a story that cannot be cut ignores it).
Story = Callable[[int | None, int], list[Flowable]]


def is_float(flowable: Flowable) -> bool:
    """A figure or box that may wait for the next page while the text after it fills this one."""
    return bool(getattr(flowable, "_booklet_float", False))

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class _Canvas(rl.LeanCanvas):
    """Records where headings land and draws the contents page numbers at the end (drawing what a Canvas
    draws at less cost: `rl_internals.LeanCanvas`)."""

    numbers: NumberStyle
    subset_seed: SubsetSeed = ()
    #: DocumentSpec.blank_pages (read by tagging.Tagged and tagging.decoration, which draw nothing on them).
    blank_pages: frozenset[int] = frozenset()

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        seed_subsets(self, self.subset_seed)
        self._page_numbers: dict[str, int] = {}
        # Paragraphs with links call it where a link's text starts and ends (it marks nothing untagged).
        self.setNamedCB(tagging.LINK_CALLBACK, tagging.link_callback)

    def linkURL(self, url: str, rect, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("F", PRINT_FLAG)
        super().linkURL(url, rect, *args, **kwargs)

    def linkRect(self, contents: str, destinationname: str, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("F", PRINT_FLAG)
        super().linkRect(contents, destinationname, *args, **kwargs)

    def drawText(self, aTextObject) -> None:  # type: ignore[no-untyped-def]
        super().drawText(aTextObject)
        rl.unlink_text_object(aTextObject)  # see `_build`: freed at once

    def record_page_number(self, form: str) -> None:
        self._page_numbers[form] = self.getPageNumber()

    def save(self) -> None:
        s = self.numbers
        for form, page in self._page_numbers.items():
            self.beginForm(form, 0, 0, s.width, s.height)
            self.setFillColor(HexColor(s.color))
            self.setFont(s.font, s.size)
            if s.side == "left":
                self.drawString(0, s.height - s.size * 0.95, str(page))
            else:
                self.drawRightString(s.width, s.height - s.size * 0.95, str(page))
            self.endForm()
        super().save()


class _Doc(BaseDocTemplate):
    def __init__(self, buffer: io.BytesIO, spec: DocumentSpec, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(buffer, **kw)
        self.spec = spec
        self.current: Flowable | None = None
        self.pad_page = 0
        self.pad_inserted = 0
        #: Figures and boxes waiting for the next page (see `is_float`).
        self.floats: list[Flowable] = []
        #: How many times `handle_flowable` was called: where in the story the layout is (for blank pages).
        self.handled = 0

    def handle_flowable(self, flowables: list[Flowable]) -> None:
        first = flowables[0]
        self.handled += 1
        if tagging.is_blank(self.canv):
            tagging.note_layout(self.canv, self.handled, type(first).__name__)
        if isinstance(first, PartEnd):
            raise PartEnded
        frame = getattr(self, "frame", None)
        if self.floats and frame is not None and (_ends_flow(first) or frame._atTop or (
                getattr(first, "_booklet_section_start", False) and _used(frame) >= 0.5)):
            # (a figure stays in its own section unless that would leave this page less than half full)
            # The figures and boxes that waited go first on the new page (or before a break in the flow).
            flowables[0:0] = self.floats
            self.floats = []
            first = flowables[0]
        if isinstance(first, PadTo):
            flowables.pop(0)
            self.pad_page = self.page
            missing = -(self.page + first.pages_after) % first.multiple
            self.pad_inserted = missing
            if missing:
                flowables[0:0] = first.make_pages(missing)
            return
        if is_float(first) and not getattr(first, "_booklet_placed", False) and self._should_wait(first):
            flowables.pop(0)
            first._booklet_placed = True
            self.floats.append(first)
            return
        self.current = first
        super().handle_flowable(flowables)

    def _should_wait(self, flowable: Flowable) -> bool:
        """Whether a figure or box that does not fit the rest of the page should let the text after it
        fill the page: only when moving it would leave the page less than half full."""
        from reportlab.platypus.flowables import _listWrapOn

        frame = getattr(self, "frame", None)
        if frame is None or frame._atTop:
            return False
        left = frame._y - frame._y1p
        content = getattr(flowable, "_content", None)
        height = (_listWrapOn(content, frame._aW, self.canv)[1] if content is not None
                  else flowable.wrapOn(self.canv, frame._aW, frame._aH)[1])
        return left < height <= frame._aH and _used(frame) < 0.5

    def handle_pageEnd(self) -> None:
        super().handle_pageEnd()
        if self.spec.stop_after and self.page >= self.spec.stop_after:
            self.spec.stopped = self.canv
            raise Stopped

    def filterFlowables(self, flowables: list[Flowable]) -> None:
        """What reaches the page untagged is tagged here: paragraphs by their style, other drawing as artifacts."""
        if flowables and flowables[0] is not None:
            flowables[0] = tagging.ensure(flowables[0])


class _Frame(Frame):
    """A Frame that deep-copies fast: platypus copies the page's frame (`copy.deepcopy`) each time it measures
    a group of flowables (a list, a KeepTogether), and deepcopy dispatched on each of its fifty-odd attributes.
    The copy is the same: numbers and text are shared (deepcopy returns them as they are), anything else is
    deep-copied."""

    def __deepcopy__(self, memo: dict[int, object]) -> _Frame:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update({name: value if type(value) in _SHARED else copy.deepcopy(value, memo)
                               for name, value in self.__dict__.items()})
        return clone


#: Types `copy.deepcopy` returns as they are (the ones a frame holds; any other value goes through deepcopy).
_SHARED = frozenset({int, float, bool, str, type(None)})


def _used(frame: Frame) -> float:
    """How much of a frame's height is filled (0 to 1)."""
    return (frame._y2 - frame._topPadding - frame._y) / frame._aH


def _ends_flow(flowable: Flowable) -> bool:
    """A page break, a change of page template or the padding: what waits must be placed before it."""
    from reportlab.platypus import NextPageTemplate, PageBreak

    return isinstance(flowable, (PadTo, PageBreak, NextPageTemplate))


def render(spec: DocumentSpec) -> tuple[bytes, int]:
    """Build the document; returns the PDF bytes and the page count.

    With `spec.revise`, the first layout may be followed by a better story (see DocumentSpec.revise);
    the one with fewer pages is kept (the first on a tie)."""
    with collecting_less():
        found, kept, _ = layouts(spec)
        _, pdf, pages = found[kept]
        return pdf, pages


def layouts(spec: DocumentSpec) -> tuple[list[tuple[Story, bytes, int]], int, Outcome]:
    """Every layout `render` makes: [(story, PDF, pages)] for the first story and, when `spec.revise` offers
    one, the better story; the index of the one kept (fewer pages; the better one on a tie when it says it wins
    ties); and the first layout's outcome. (booklet.reuse keeps them all.)"""
    pdf, pages, outcome = _laid_out(spec, spec.story)
    found = [(spec.story, pdf, pages)]
    kept = 0
    better = spec.revise(outcome) if spec.revise is not None else None
    if better is not None:
        story, wins_tie = better
        pdf2, pages2, _ = _laid_out(spec, story)
        found.append((story, pdf2, pages2))
        kept = int(pages2 < pages or (wins_tie and pages2 == pages))
    return found, kept, outcome


def _laid_out(spec: DocumentSpec, story: Story) -> tuple[bytes, int, Outcome]:
    """One story laid out, padded to a multiple of `spec.multiple_of` pages."""
    back_pages: int | None = None
    for _ in range(3):
        pdf, pages, actual_back_pages, outcome = _build(spec, back_pages, story)
        if spec.multiple_of == 1 or pages % spec.multiple_of == 0:
            return pdf, pages, outcome
        back_pages = actual_back_pages  # the back matter ran longer than guessed: pad again
    raise AssertionError(f"page count {pages} is not a multiple of {spec.multiple_of}")


def _build(spec: DocumentSpec, back_pages: int | None, story: Story) -> tuple[bytes, int, int, Outcome]:
    spec.layouts += 1
    buffer = io.BytesIO()
    md = spec.metadata
    doc = _Doc(
        buffer, spec, pagesize=spec.page, invariant=1, pageCompression=1,
        title=md.title, author=md.author, subject=md.subject, keywords=md.keywords,
        creator=md.creator, producer=md.creator, lang=md.language, displayDocTitle=1,
        initialFontName=spec.numbers.font, showBoundary=0, direction="R2L" if spec.right_to_left else None,
        leftMargin=0, rightMargin=0, topMargin=0, bottomMargin=0,
    )
    templates = []
    for name, (x, y, w, h) in spec.frames.items():
        frame = _Frame(x, y, w, h, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id=name)
        templates.append(PageTemplate(id=name, frames=[frame], onPage=tagging.decoration(spec.decorate.get(name)),
                                      pagesize=spec.page))
    doc.addPageTemplates(templates)
    bases: tuple[type, ...] = (tagging.TaggingCanvas, _Canvas) if spec.tags else (_Canvas,)
    if spec.bleed or spec.marks:
        bases = (bleed.PrintCanvas, *bases)
    canvas_class = type("BookletCanvas", bases, {"numbers": spec.numbers, "subset_seed": spec.subset_seed,
                                                 "tag_options": tagging.TagOptions(
        md.title, md.language, md.author, md.subject, md.keywords, md.creator, spec.pdfua),
        "print_setup": bleed.PrintSetup(spec.bleed, spec.marks), "blank_pages": spec.blank_pages})
    try:
        doc.build(story(back_pages, spec.sections_only), canvasmaker=canvas_class)
    except LayoutError as exc:
        loc = getattr(doc.current, "_booklet_loc", spec.source)
        raise BookletError.at(loc, "this block is too large to fit on a page",
                              "split it into smaller parts (a long table into two, a big picture smaller)") from exc
    except (Stopped, PartEnded) as exc:
        _forget_frames(exc)
        raise
    finally:
        # Without reference cycles the document's objects are freed with it, not by the garbage collection
        # after `collecting_less`, which walks everything still alive first (7 ms a booklet when the whole
        # document was); also when the build stopped early (Stopped: a personalised copy's first pages).
        rl.unlink_document_template(doc)
    total = doc.page
    outcome = Outcome(total, doc.pad_inserted, dict(doc.canv._page_numbers))
    return buffer.getvalue(), total, total - doc.pad_page - doc.pad_inserted, outcome


def _forget_frames(exc: BaseException) -> None:
    """Clear the local variables of the finished frames a layout-stopping exception went through (and those
    of the one it was raised while handling): platypus keeps the exception it annotates in such a frame, a
    reference cycle through the traceback that would keep the whole document until a garbage collection."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        traceback.clear_frames(e.__traceback__)
        todo += [e.__context__, e.__cause__]


# -- garbage collection while a document is built ------------------------------------------
#: The collector's thresholds while a document is built. Laying out a booklet makes tens of thousands of
#: objects that live until it is saved; with Python's default (700, 10, 10) that is about 20 young
#: collections a document and a full one every five or so, finding almost nothing (for the benchmark
#: handout: 25 ms of CPU a document of about 240, and a full collection's 60 to 120 ms). High thresholds hold
#: collection off until the document is done; the old thresholds come back after it, so the next allocation
#: collects the document's leftovers and memory stays flat (kept high for a worker's life, it grew threefold).
#: The leftovers are few: `_build` undoes the reference cycles that held the whole document until a collection.
BUILD_GC_THRESHOLDS = (100_000, 50, 1_000)
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def collecting_less() -> Iterator[None]:
    """Collect garbage rarely inside the `with` (BUILD_GC_THRESHOLDS), and as before after it. Nested and
    concurrent uses (threads) share one raise: the thresholds come back when the last one ends."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*BUILD_GC_THRESHOLDS)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None
