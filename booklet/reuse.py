"""Personalised copies written from a template: only the pages that show a row's values are drawn.

    result = render_copy(prepared, {"patient_name": "Zoë O'Brien"})   # == api.render_prepared(...), bytes and all

A batch with `--data` makes one copy of the same handout per row, and most of a copy does not depend
on the row. With the font subsets seeded (render.seed_subsets), a page that does not show a value is
the same bytes in every copy, and so is every PDF object but the pages' content streams and the font
subsets. So each process makes a `Template` of a prepared handout once: the copy rendered with stand-in
values, the pages those values are printed on, and the first pages drawn again on their own. A copy
then lays out its pages up to the last one that shows a value, and one more (the check page), draws
those that show a value and the check page, and is written as the template's objects with the row's
content streams and font subsets put in, under the template's object numbers: the same bytes as a full
render of the row.

The pages in between (a contents page between a name on the cover and one in the first section) are
laid out but not drawn (`render.DocumentSpec.blank_pages`): a copy has the template's. Such a page's
content is a note of each flowable placed on it (where in the story, where on the page, how big, a
paragraph's words), and a copy's notes must be the template's: the same flowables in the same places, and
none of them shows a value (the two sets of stand-ins drew these pages alike), so a full render draws the
template's page. (The check page is drawn, not noted: its bytes are the proof that the flow goes on as in
the template.)

That holds only while the row's values leave the rest of the document as it is, and every step checks
it; when a check fails the copy is rendered in full (never a copy that differs from `booklet build`):

- the template: the stand-in values (digits of one width, two sets) change only page content streams
  and lead to the same layouts (a document is laid out once, or twice when its story is revised: each
  layout has its own template; a layout padded twice has none); the pages drawn on their own are the
  same bytes as in the whole document, and so are the font subsets (nothing but the handout's characters
  and the values is drawn: all of those are seeded);
- a copy, in every layout: its first pages, drawn on their own, give the same PDF objects as the
  template's first pages (structure elements, links, bookmarks, pictures, forms, the font list, the blank
  pages' notes) except the content streams of the pages that show a value and the font subsets, and the
  check page itself is the same bytes. So each layout flows as the template's did, comes to the same outcome (pages,
  padding, where the headings are) and `render` keeps the same one. A value that changes the page flow
  (a long name pushing text onto the next page) changes the check page or the structure elements, and
  that copy is rendered in full.

What a copy costs: composing the sections its first pages show (or those and the next; `DocumentSpec.sections_only`:
the template checks that this part draws the same first pages as the whole story, and a part that runs out
before the check page is full raises PartEnded, so that copy is rendered in full), laying out the first
pages of each layout and drawing those not blank, and saving those pages on their own (their fonts subset
again). The back matter is not composed at all. Composing gives the same warnings for any values (the template checks it
with both sets of stand-ins), so a copy reports the template's.
"""

from __future__ import annotations

import os
import pickle
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from reportlab.pdfgen.canvas import Canvas

from . import api
from . import render as rendering
from . import rl_internals as rl
from .errors import BookletError, Problem
from .render import DocumentSpec, Outcome, PartEnded, Stopped, Story

#: Stand-in values for the template: digits, which a font draws at one width, so the two sets lay out
#: alike and differ only on the pages that print them; no spaces, so no phone number or address is seen.
STAND_INS = ("0" * 12, "1" * 12)
#: Templates kept per process (one per prepared handout and set of options).
CACHED_TEMPLATES = 16

_REF = re.compile(rb"(\d+) 0 R\b")
_XREF = re.compile(rb"xref\n0 (\d+)\n")
T = TypeVar("T")


# -- reading ReportLab's output -------------------------------------------------------
class _Pdf:
    """A PDF as ReportLab writes it (a classic xref table, objects 1..n in order): each object's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.xref = data.rindex(b"\nxref\n") + 1
        match = _XREF.match(data, self.xref)
        if match is None:
            raise ValueError("no xref table")
        size = int(match.group(1))
        table = match.end()
        self.starts = [int(data[table + 20 * i:table + 20 * i + 10]) for i in range(size)]
        self.starts.append(self.xref)  # the end of the last object
        self.count = size - 1
        if any(self.starts[i] >= self.starts[i + 1] for i in range(1, size)):
            raise ValueError("objects are not in order")

    def obj(self, number: int) -> bytes:
        """'N 0 obj ... endobj' of object `number`, as written."""
        return self.data[self.starts[number]:self.starts[number + 1]]

    def body(self, number: int) -> bytes:
        """The object without its 'N 0 obj' line."""
        raw = self.obj(number)
        return raw[raw.index(b"\n") + 1:]

    def ref(self, number: int, key: bytes) -> int:
        """The object number that entry `key` (e.g. b'/Contents') of a dictionary object refers to."""
        match = re.search(re.escape(key) + rb" (\d+) 0 R", self.body(number))
        if match is None:
            raise ValueError(f"no {key!r} in object {number}")
        return int(match.group(1))

    def trailer_ref(self, key: bytes) -> int:
        match = re.search(re.escape(key) + rb" (\d+) 0 R", self.data[self.data.rindex(b"trailer"):])
        if match is None:
            raise ValueError(f"no {key!r} in the trailer")
        return int(match.group(1))

    def page_objects(self) -> list[int]:
        """Each page's dictionary object, in page order."""
        pages = self.ref(self.trailer_ref(b"/Root"), b"/Pages")
        kids = re.search(rb"/Kids \[([^\]]*)\]", self.body(pages))
        if kids is None:
            raise ValueError("no page list")
        return [int(n) for n in _REF.findall(kids.group(1))]

    def page_contents(self) -> list[int]:
        """The content stream object of each page, in page order."""
        return [self.ref(page, b"/Contents") for page in self.page_objects()]

    def fonts(self) -> dict[bytes, dict[str, int]]:
        """Each font subset (by its /BaseFont) -> its objects: the font, descriptor, file and ToUnicode map.
        ReportLab gives every page the same font resources: the document's fonts."""
        page = self.page_objects()[0]
        fonts: dict[bytes, dict[str, int]] = {}
        if b"/Font " not in self.body(page):
            return fonts
        for n in _REF.findall(self.body(self.ref(page, b"/Font"))):
            font = int(n)
            base = re.search(rb"/BaseFont /(\S+)", self.body(font))
            if base is None:
                raise ValueError(f"object {font} is not a font")
            descriptor = self.ref(font, b"/FontDescriptor")
            fonts[base.group(1)] = {"font": font, "descriptor": descriptor,
                                    "file": self.ref(descriptor, b"/FontFile2"),
                                    "to_unicode": self.ref(font, b"/ToUnicode")}
        return fonts


def _renumbered(body: bytes, numbers: Mapping[int, int]) -> bytes | None:
    """An object's body with the references in its dictionary renumbered (never inside a stream's data,
    where the same bytes can occur by chance); None when one has no new number."""
    end = body.find(b">>\nstream\n")
    if end >= 0:
        head = _renumbered(body[:end], numbers)
        return None if head is None else head + body[end:]
    missing = False

    def new(match: re.Match[bytes]) -> bytes:
        nonlocal missing
        n = numbers.get(int(match.group(1)))
        if n is None:
            missing = True
            return match.group(0)
        return b"%d 0 R" % n

    out = _REF.sub(new, body)
    return None if missing else out


def _assemble(base: _Pdf, replaced: Mapping[int, bytes]) -> bytes:
    """`base` with some objects' bodies replaced, written as ReportLab writes a document (same xref, trailer)."""
    data = base.data
    parts = [data[:base.starts[1]]]
    offsets = []
    position = len(parts[0])
    for number in range(1, base.count + 1):
        body = replaced.get(number)
        obj = base.obj(number) if body is None else b"%d 0 obj\n" % number + body
        offsets.append(position)
        parts.append(obj)
        position += len(obj)
    parts.append(b"xref\n0 %d\n0000000000 65535 f \n" % (base.count + 1))
    parts.append(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    trailer = data[data.rindex(b"trailer\n"):data.rindex(b"startxref\n")]
    parts.append(trailer + b"startxref\n%d\n%%%%EOF\n" % position)
    return b"".join(parts)


# -- the template ------------------------------------------------------------------------
class NoTemplate(Exception):  # noqa: N818 - a reason, not an error: copies are then rendered in full
    """Why a prepared handout's copies are rendered in full."""


@dataclass(frozen=True)
class Options:
    """The options of `api.render_prepared` that change the PDF besides the values."""

    tags: bool = True
    pdfua: bool = False
    bleed: float = 0.0
    marks: bool = False
    one_side: bool = False


@dataclass(frozen=True)
class Layout:
    """One layout of the template (see `render.render`: a document is laid out once, or twice when its
    story is revised), and what a copy may change in it."""

    whole: _Pdf
    pages: int
    #: How many pages a copy draws: up to the last page that shows a value, and the check page after it.
    stop: int
    #: Those pages drawn on their own (with the stand-in values).
    first: _Pdf
    #: Objects of `first` that a copy may change -> the same object in `whole`: the content streams of the
    #: pages before the check page and the font subsets' objects.
    changeable: dict[int, int]
    #: The /BaseFont of each font object in `first` (a copy's must be the same).
    base_fonts: dict[int, bytes]
    #: How many sections a copy composes (`DocumentSpec.sections_only`: those whose headings the first pages
    #: show, or those and the next); 0: all of them (the first pages were not the same from those alone).
    sections: int = 0
    #: The pages before the check page that show no value (numbered from 1): laid out but not drawn
    #: (`DocumentSpec.blank_pages`), in `first` and in a copy's first pages; a copy has the template's.
    blank: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Template:
    """A prepared handout rendered with stand-in values: its layouts, and the one `render` keeps."""

    layouts: tuple[Layout, ...]
    kept: int
    #: What the first layout came to (pages, padding, where the headings landed): what `revise` is given.
    outcome: Outcome
    #: The warnings composing the document gave (a picture whose text prints small): a copy composes only
    #: its first sections, and these do not depend on the values (both sets of stand-ins give the same).
    warnings: tuple[Problem, ...] = ()

    @property
    def pages(self) -> int:
        return self.layouts[self.kept].pages


def _spec(p: api.Prepared, values: dict[str, str], options: Options, values_source: str = "--set") -> DocumentSpec:
    return api.compose_prepared(p, values, values_source=values_source, tags=options.tags, pdfua=options.pdfua,
                                bleed=options.bleed, marks=options.marks, one_side=options.one_side)


def _layouts(spec: DocumentSpec) -> tuple[list[tuple[Story, bytes, int]], int, Outcome]:
    """`render.layouts(spec)`: each layout render makes, kept. NoTemplate when a layout needed a second padding
    try."""
    found, kept, outcome = rendering.layouts(spec)
    if spec.layouts != len(found):
        raise NoTemplate("a layout was padded twice (the back matter ran longer than guessed)")
    return found, kept, outcome


def _first_pages(spec: DocumentSpec, story: Story, stop: int, sections: int = 0,
                 blank: frozenset[int] = frozenset()) -> tuple[bytes, int] | None:
    """The first `stop` pages of one layout of `story` (composed up to section `sections`, 0: all; the pages
    in `blank` laid out but not drawn), saved on their own, and how many sections' headings they show; None if
    the document (or the part of it composed) is shorter."""
    spec.stop_after, spec.stopped, spec.sections_only, spec.blank_pages = stop, None, sections, blank
    try:
        rendering._laid_out(spec, story)
    except Stopped:
        assert spec.stopped is not None
        headings = len(spec.stopped._page_numbers)  # render._Canvas: a form per section heading drawn
        return _save_as_drawn(spec.stopped), headings
    except PartEnded:
        return None
    finally:
        spec.stop_after = spec.sections_only = 0
        spec.blank_pages = frozenset()
    return None


def _save_as_drawn(canvas: Canvas) -> bytes:
    """Save the pages drawn so far: links and contents page numbers that point at pages not drawn yet
    point at the first page and show 0 (the same in the template's first pages and a copy's)."""
    rl.resolve_destinations_to_first_page(canvas)
    numbers = canvas._page_numbers  # render._Canvas: the contents page numbers it draws when saved
    for form in rl.undefined_forms(canvas):
        numbers.setdefault(form, 0)
    canvas.save()
    return canvas._filename.getvalue()  # the BytesIO render gave the document


def _stories(spec: DocumentSpec, count: int, outcome: Outcome) -> list[Story]:
    """The story of each layout: the first, and the revised one `revise` gives for `outcome`."""
    stories = [spec.story]
    if count > 1:
        better = spec.revise(outcome) if spec.revise is not None else None
        if better is None:
            raise NoTemplate("the story is not revised as it was")
        stories.append(better[0])
    return stories


def make_template(p: api.Prepared, options: Options = Options(), *, two_cores: bool = False) -> Template:
    """The template of a prepared handout; NoTemplate says why its copies cannot be written from one.
    `two_cores`: the second set of stand-ins is rendered at the same time in a child process (forked, where
    the system can), which takes about a third off the time it takes; the same template."""
    names = sorted(p.handout.placeholders)
    if not names:
        raise NoTemplate("no placeholders")
    stand_ins = [{name: value for name in names} for value in STAND_INS]
    other_layouts = _in_a_child(lambda: _rendered(p, stand_ins[1], options)) if two_cores else None
    try:
        spec = _spec(p, stand_ins[0], options)
        found, kept, outcome = _layouts(spec)
    finally:
        from_child = other_layouts() if other_layouts is not None else None
    warnings = tuple(spec.warnings)
    other, other_kept, other_warnings = from_child or _rendered(p, stand_ins[1], options)
    if len(other) != len(found) or other_kept != kept:
        raise NoTemplate("the stand-in values change how the document is laid out")
    if other_warnings != warnings:
        raise NoTemplate("the stand-in values change the warnings")
    layouts = tuple(_layout(spec, story, pdf, other_pdf)
                    for (story, pdf, _), other_pdf in zip(found, other, strict=True))
    return Template(layouts, kept, outcome, warnings)


def _rendered(p: api.Prepared, values: dict[str, str],
              options: Options) -> tuple[list[bytes], int, tuple[Problem, ...]]:
    """Each layout's PDF of a copy with these values, the one kept, and the warnings."""
    spec = _spec(p, values, options)
    found, kept, _ = _layouts(spec)
    return [pdf for _, pdf, _ in found], kept, tuple(spec.warnings)


def _in_a_child(work: Callable[[], T]) -> Callable[[], T | None]:
    """Start `work` in a forked child process; the function returned waits for its result: None when it
    failed in any way (the caller then does the work itself, and meets the error, if any, itself)."""
    if not hasattr(os, "fork"):
        return lambda: None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the work, its result down the pipe, and out, running nothing of the parent's
        status = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(write)

    def result() -> T | None:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0:
            return None
        try:
            return pickle.loads(data)  # from the child this process forked, through its own pipe
        except Exception:  # cut short: the work is done here instead
            return None

    return result


def _layout(spec: DocumentSpec, story: Story, pdf: bytes, other_pdf: bytes) -> Layout:
    """One layout's template from its whole document with each set of stand-in values."""
    whole, other = _Pdf(pdf), _Pdf(other_pdf)
    contents = whole.page_contents()
    if other.count != whole.count or other.page_contents() != contents:
        raise NoTemplate("the stand-in values change the object count or pages")
    page_of = {number: i for i, number in enumerate(contents)}
    shown: set[int] = set()
    for number in range(1, whole.count + 1):
        if whole.obj(number) != other.obj(number):
            if number not in page_of:
                raise NoTemplate("a value is printed somewhere else too (a bookmark, the structure, the metadata)")
            shown.add(page_of[number])
    stop = max(shown, default=-1) + 2
    if stop >= len(contents):
        raise NoTemplate("the values are shown on the last pages: nothing after the check page to reuse")
    blank = frozenset(i + 1 for i in range(stop - 1) if i not in shown)
    drawn = _first_pages(spec, story, stop, 0, blank)
    if drawn is None:
        raise NoTemplate("the document ended before the check page")
    first_pdf, headings = drawn
    # A copy composes the sections these pages show (or those and the next one), if that draws the same pages:
    # whatever a copy's values, its part runs short of its check page (PartEnded) only where its pages differ
    # from these (and the copy would be rendered in full anyway).
    sections = next((n for n in (headings, headings + 1) if _first_pages(spec, story, stop, n, blank) == drawn), 0)
    first = _Pdf(first_pdf)
    first_contents = first.page_contents()
    if len(first_contents) != stop:
        raise NoTemplate("the first pages drawn on their own are not as many as asked")
    changeable = {first_contents[i]: contents[i] for i in range(stop - 1) if i + 1 not in blank}
    base_fonts: dict[int, bytes] = {}
    whole_fonts = whole.fonts()
    for base, objects in first.fonts().items():
        if base not in whole_fonts:
            raise NoTemplate("a font of the first pages is not in the whole document")
        for role, number in objects.items():
            changeable[number] = whole_fonts[base][role]
        base_fonts[objects["font"]] = base
    # The pages drawn on their own, and their fonts, are what the whole document has.
    for i in range(stop):
        if i + 1 not in blank and first.body(first_contents[i]) != whole.body(contents[i]):
            raise NoTemplate("the first pages drawn on their own differ from the whole document's")
    for number, in_whole in changeable.items():
        if _renumbered(first.body(number), changeable) != whole.body(in_whole):
            raise NoTemplate("a font subset differs from the whole document's (a character drawn later is not seeded)")
    return Layout(whole, len(contents), stop, first, changeable, base_fonts, sections, blank)


def _changes(layout: Layout, first: _Pdf) -> dict[int, bytes] | None:
    """The objects of the layout's whole document that a copy's first pages (drawn on their own) replace:
    object number -> new body; None when the first pages do not fit the template."""
    reference = layout.first
    if first.count != reference.count:
        return None
    replaced: dict[int, bytes] = {}
    for number in range(1, first.count + 1):
        obj = first.obj(number)
        if obj == reference.obj(number):
            continue
        in_whole = layout.changeable.get(number)
        if in_whole is None:
            return None  # the row changed something else: the page flow, the structure, a link
        body = first.body(number)
        base = layout.base_fonts.get(number)
        if base is not None and not body.startswith(b"<<\n/BaseFont /" + base + b" "):
            return None
        renumbered = _renumbered(body, layout.changeable)
        if renumbered is None:
            return None
        replaced[in_whole] = renumbered
    return replaced


def _copy(template: Template, spec: DocumentSpec) -> bytes | None:
    """The copy of a composed row from its first pages in each layout; None when it must be rendered in full."""
    try:
        stories = _stories(spec, len(template.layouts), template.outcome)
    except NoTemplate:
        return None
    copy = None
    for i, (layout, story) in enumerate(zip(template.layouts, stories, strict=True)):
        drawn = _first_pages(spec, story, layout.stop, layout.sections, layout.blank)
        if drawn is None:
            return None
        replaced = _changes(layout, _Pdf(drawn[0]))
        if replaced is None:
            return None
        if i == template.kept:
            copy = _assemble(layout.whole, replaced)
    return copy


# -- copies -----------------------------------------------------------------------------
#: Templates by (prepared handout, options); the prepared handout is kept with its template so its id stays.
_TEMPLATES: OrderedDict[tuple[int, Options], tuple[api.Prepared, Template | None]] = OrderedDict()


def template_for(p: api.Prepared, options: Options, *, two_cores: bool = False) -> Template | None:
    """The template for a prepared handout's copies (made once per process), or None: render them in full.
    `two_cores`: see `make_template`."""
    key = (id(p), options)
    hit = _TEMPLATES.get(key)
    if hit is not None and hit[0] is p:
        _TEMPLATES.move_to_end(key)
        return hit[1]
    try:
        template: Template | None = make_template(p, options, two_cores=two_cores)
    except (NoTemplate, BookletError, ValueError):  # a stand-in value refused, a PDF not as expected
        template = None
    _TEMPLATES[key] = (p, template)
    if len(_TEMPLATES) > CACHED_TEMPLATES:
        _TEMPLATES.popitem(last=False)
    return template


def render_copy(p: api.Prepared, values: dict[str, str] | None, *, values_source: str = "--set",
                tags: bool = True, pdfua: bool = False, bleed: float = 0.0, marks: bool = False,
                one_side: bool = False) -> api.Result:
    """`api.render_prepared`, the same bytes, drawing only the pages that show the values when it can."""
    with rendering.collecting_less():  # as render does: a copy (and a template) is laid out with rare collections
        return _render_copy(p, values, values_source, Options(tags, pdfua, bleed, marks, one_side))


def _render_copy(p: api.Prepared, values: dict[str, str] | None, values_source: str, options: Options) -> api.Result:
    template = template_for(p, options) if values and p.handout.placeholders else None
    if template is not None:
        spec = _spec(p, dict(values or {}), options, values_source)  # bad values fail here, as in a full render
        try:
            copy = _copy(template, spec)
        except (BookletError, ValueError):  # the full render below says what is wrong, or does it right
            copy = None
        if copy is not None:
            return api.Result(copy, template.pages, p.theme.notices, warnings=(*p.warnings, *template.warnings))
    return api.render_prepared(p, values, values_source=values_source, tags=options.tags, pdfua=options.pdfua,
                               bleed=options.bleed, marks=options.marks, one_side=options.one_side)
