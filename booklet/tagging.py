"""Turns a composed story into a tagged PDF: marked content on every page and a structure tree.

How it fits together:

- Compose time: `Tag` says what a piece of the story is (role, alt text,
  attributes, and optionally a parent `Tag`, so table cells know their row and
  list labels their item). `Tagged` wraps a flowable with its tag, transparently
  (in the manner of platypus' `DDIndenter`), and keeps the tag on every part its
  flowable splits into, so a paragraph or table split across pages stays one
  element. `TaggedList` tags list items, `TABLE_ARTIFACTS` (a `Table` renderCB)
  marks table backgrounds and rules as artifacts, `ensure` gives any untagged
  flowable a role (paragraphs) or marks it as an artifact (rules, writing lines).
- Draw time: on a `TaggingCanvas`, a `Tagger` turns tags into structure
  elements (in drawing order, which is the story's order) and brackets every
  drawing in `/Role <</MCID n>> BDC ... EMC` or `/Artifact BMC ... EMC`,
  never nested, never across a page. A paragraph with links (`link_marks`: an
  address booklet made live) opens its sequences inside its text object instead,
  so each link's text is a sequence of its own, in a Link element that also holds
  the annotation (an OBJR). On any other canvas the wrappers only draw:
  the untagged PDF is the same drawing without the marks.
- Save time: the tree is written into ReportLab's own PDFDocument (pdfdoc
  objects and references; the elements themselves as a lean PDFObject that
  formats to bytes): StructTreeRoot with one Document element, a ParentTree,
  /StructParents and /Tabs /S on every page, /MarkInfo, XMP metadata (title,
  language; the PDF/UA-1 identifier only on request).

The ReportLab internals this needs are named in `booklet.rl_internals`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, ListFlowable, Paragraph, Spacer
from reportlab.platypus.doctemplate import ActionFlowable
from reportlab.platypus.flowables import UseUpSpace

from . import rl_internals as rl
from .flowables import QrCode
from .text import escape, unescape

#: PDF 1.7 (ISO 32000-1): /Tabs needs 1.5; PDF/UA-1 is built on 1.7.
PDF_VERSION = (1, 7)
#: The attribute a tagging canvas keeps its Tagger in (absent on any other canvas).
TAGGER = "_booklet_tagger"

#: Paragraph styles (by name, or a parent's name) whose paragraphs are headings; see booklet.compose.Styles.
#: The title is the one H1; sections (and contents, at a glance, notes) are H2; box titles and
#: back-page headings H3, so heading levels never skip.
#: An untitled callout's label ("✚ When to get help") and the back page's urgent box label head their
#: boxes like a box title. The cover's subtitle is the heading under the title (WCAG checkers read a P
#: in that type as a heading; in the H1 it made the title a heading of two styles).
ROLE_BY_STYLE = {"title": "H1", "h1": "H2", "h2": "H3", "box_title": "H3", "callout_label": "H3",
                 "urgent_label": "H3", "subtitle": "H2"}

#: Roles whose empty elements are kept (a table keeps its grid even where a cell is empty).
KEEP_EMPTY = frozenset({"TR", "TH", "TD"})

#: Content-stream operators that paint: path painting, XObjects, shadings, inline images (text: see _paints).
_PAINT_OPS = frozenset({"f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "Do", "sh", "EI"})


def _paints(entry: str) -> bool:
    """Does one of the canvas's content-stream entries paint? (Each entry ends with its painting operator:
    paths with f/S/..., images with Do; text is one BT ... ET entry showing text with Tj/TJ.)"""
    last = entry[entry.rfind(" ", 0, len(entry) - 1) + 1:].strip()
    if last in _PAINT_OPS:
        return True
    return last == "ET" and ("Tj" in entry or "TJ" in entry or "' " in entry or '" ' in entry)


#: Last characters of entries that do not paint, whatever comes before (letters, so never stripped as
#: whitespace, and no painting operator or ET ends in one): q, Q, cm, rg, RG, w, gs, ... answered without _paints.
_NOT_PAINTING_LAST = frozenset("qQmgGwjJdiMnWkKcvyle")


#: The named canvas callback (`<onDraw name=... label=...>` in paragraph markup) that marks where a link's
#: text starts (label: its target) and ends (label: LINK_END) inside a paragraph's text object.
LINK_CALLBACK = "_booklet_link"
LINK_END = "-"
_A_START = re.compile(r'<a href="([^"]*)">')


def link_marks(markup: str) -> str:
    """Paragraph markup whose links (`<a href>`, only ever made by booklet: author text is escaped) say where
    their text starts and ends, so a tagging canvas can put that text in the link's Link element."""
    if "<a " not in markup:
        return markup
    markup = _A_START.sub(lambda m: f'<onDraw name="{LINK_CALLBACK}" label="{m.group(1)}"/>{m.group(0)}', markup)
    return markup.replace("</a>", f'</a><onDraw name="{LINK_CALLBACK}" label="{LINK_END}"/>')


def link_callback(canvas: Canvas, kind: str, label: str | None) -> None:
    """`LINK_CALLBACK`: a link's text starts or ends (does nothing on an untagged canvas)."""
    tagger = tagger_of(canvas)
    if tagger is not None:
        tagger.link_mark(label or LINK_END)


def _draws_links(flowable: Any) -> bool:
    """Does a (wrapped) paragraph's text, as broken into lines, hold link marks?"""
    lines = getattr(getattr(flowable, "blPara", None), "lines", None)
    if not lines or getattr(flowable.blPara, "kind", 0) != 1:
        return False
    return any(getattr(getattr(w, "cbDefn", None), "name", None) == LINK_CALLBACK
               for line in lines for w in getattr(line, "words", ()))


def _link_contents(target: str) -> str:
    """A link annotation's /Contents: the address it leads to, without its scheme (a description, not a URL:
    WCAG checkers refuse a /Contents that parses as one)."""
    for scheme in ("mailto:", "tel:", "https://", "http://"):
        if target.startswith(scheme):
            return target[len(scheme):]
    return target


class TaggingError(AssertionError):
    """The drawing broke the marked-content rules (a bug in booklet, never bad input)."""


@dataclass(eq=False)
class Tag:
    """What a piece of the story is. One Tag is one structure element, however many parts it is drawn in.

    `group` tags hold other elements and mark their own drawing (rules,
    backgrounds, checkboxes) as artifacts; other tags mark their drawing as
    their content. `parent` places the element under another tag's element;
    without it the element goes under whatever element is being drawn.
    """

    role: str
    parent: Tag | None = None
    alt: str = ""
    group: bool = False
    attributes: tuple[tuple[str, str], ...] = ()
    #: Join the parent only when the page ends (decorations drawn before the page's story).
    deferred: bool = False
    #: A Link's annotations' /Contents (what the link does, for assistive technology); default: `alt`.
    contents: str = ""
    #: Its place among its parent's elements, for what is drawn out of reading order (a right-to-left
    #: table's cells are drawn from the left: its last column first); None: the order it is drawn in.
    order: int | None = None

    def __deepcopy__(self, memo: dict) -> Tag:  # platypus deep-copies flowables to try splits
        return self

    def __copy__(self) -> Tag:
        return self


#: Drawing that is not content: page furniture, rules, writing lines, repeated table headers.
ARTIFACT = Tag("Artifact", group=True)


def tagger_of(canvas: Canvas) -> Tagger | None:
    return getattr(canvas, TAGGER, None)


# -- the structure tree ------------------------------------------------------------
#: A marked-content reference: (page index, MCID).
MarkedContent = tuple[int, int]


class AnnotationRef:
    """An annotation (a link) on a page, as a kid of its Link element (an OBJR)."""

    __slots__ = ("page", "ref")

    def __init__(self, page: int, ref: Any) -> None:
        self.page = page
        self.ref = ref  # PDFObjectReference


class StructElem:
    """One element of the structure tree; `kids` are elements, (page, MCID) pairs and annotations, in order."""

    __slots__ = ("alt", "attributes", "bbox", "contents", "kids", "order", "parent", "ref", "role")

    def __init__(self, role: str, parent: StructElem | None, alt: str = "",
                 attributes: tuple[tuple[str, str], ...] = (), contents: str = "") -> None:
        self.role = role
        self.parent = parent
        self.alt = alt
        self.contents = contents
        self.attributes = attributes
        self.kids: list[StructElem | MarkedContent | AnnotationRef] = []
        self.bbox: tuple[float, float, float, float] | None = None
        self.ref = b""  # its reference, when written (b"12 0 R")
        self.order: int | None = None  # see Tag.order

    def is_empty(self) -> bool:
        return not self.kids and self.role not in KEEP_EMPTY

    def __repr__(self) -> str:
        return f"StructElem({self.role}, {len(self.kids)} kids)"


_NONE = object()  # no open context: nothing may be drawn
_ART = object()  # the artifact sink
_TEXT = object()  # the element's marked content goes inside its paragraph's text object (a paragraph with links)


class Tagger:
    """Numbers marked content per page and builds the structure tree while a document is drawn."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.root = StructElem("Document", None)
        self._elems: dict[int, tuple[Tag, StructElem]] = {}
        self._stack: list[tuple[object, StructElem | None]] = []  # (sink, container)
        self._seq: tuple[list[str], int, MarkedContent | None, StructElem | None] | None = None
        self._page: list[StructElem] = []  # this page's elements, by MCID
        self.pages: list[list[StructElem]] = []
        self.links: list[tuple[StructElem, Any, str]] = []  # (Link element, annotation, where it leads)
        self._deferred: list[StructElem] = []
        self._drawn: set[int] = set()
        self.reading_last = 0  # > 0: new top-level elements are read after the page's story
        #: A paragraph with links being drawn: its element, text object, open sequence (element, mark,
        #: index in the text object's code) and its links by target (for their annotations).
        self._text_elem: StructElem | None = None
        self._text: Any = None
        self._text_seq: tuple[StructElem, MarkedContent, int] | None = None
        self._text_links: dict[str, StructElem] = {}
        self._keep: list[object] = []  # what _drawn and _elems hold ids of stays alive
        self._written: list[StructElem] = []  # the tree's elements, as written

    # elements ----------------------------------------------------------------------
    def container(self) -> StructElem:
        for _, container in reversed(self._stack):
            if container is not None:
                return container
        return self.root

    def elem(self, tag: Tag) -> StructElem:
        hit = self._elems.get(id(tag))
        if hit is not None:
            return hit[1]
        parent = self.elem(tag.parent) if tag.parent is not None else self.container()
        e = StructElem(tag.role, parent, tag.alt, tag.attributes, tag.contents)
        if tag.deferred or (self.reading_last and tag.parent is None and parent is self.root):
            self._deferred.append(e)
        elif tag.order is not None:  # before the siblings drawn already that come after it in reading order
            e.order = place = tag.order
            i = len(parent.kids)
            while i and isinstance(kid := parent.kids[i - 1], StructElem) and (kid.order or 0) > place:
                i -= 1
            parent.kids.insert(i, e)
        else:
            parent.kids.append(e)
        self._elems[id(tag)] = (tag, e)
        return e

    # contexts ----------------------------------------------------------------------
    def enter(self, tag: Tag) -> StructElem | None:
        if tag is ARTIFACT:
            self._push(_ART, None)
            return None
        e = self.elem(tag)
        self._push(_ART if tag.group else e, e)
        return e

    def leave(self) -> None:
        sink, _ = self._stack.pop()
        new = self._stack[-1][0] if self._stack else _NONE
        if new is not sink:
            self._close()
            if new is not _NONE:
                self._open(new)

    def _push(self, sink: object, container: StructElem | None) -> None:
        old = self._stack[-1][0] if self._stack else _NONE
        self._stack.append((sink, container))
        if sink is not old:
            self._close()
            self._open(sink)

    def _open(self, sink: object) -> None:
        if sink is _TEXT:  # opened inside the text object (text_object)
            return
        code = rl.code(self.canvas)  # the operators go in as Canvas.addLiteral puts them: appended to it
        if sink is _ART:
            code.append("/Artifact BMC")
            self._seq = (code, len(code) - 1, None, None)
            return
        assert isinstance(sink, StructElem)
        mcid = len(self._page)
        self._page.append(sink)
        mark = (len(self.pages), mcid)
        sink.kids.append(mark)
        code.append(f"/{sink.role} <</MCID {mcid}>> BDC")
        self._seq = (code, len(code) - 1, mark, sink)

    def _close(self) -> None:
        if self._seq is None:
            return
        code, start, mark, elem = self._seq
        self._seq = None
        if code is not rl.code(self.canvas):
            raise TaggingError("a marked-content sequence was left open across a page or form")
        not_painting = _NOT_PAINTING_LAST
        for i in range(start + 1, len(code)):
            entry = code[i]
            if entry[-1:] not in not_painting and _paints(entry):
                code.append("EMC")  # (Canvas.addLiteral)
                return
        # Nothing was drawn in it (only state changes): take the empty sequence back out.
        del code[start]
        if mark is not None and elem is not None:
            self._page.pop()
            for i in range(len(elem.kids) - 1, -1, -1):
                if elem.kids[i] is mark:
                    del elem.kids[i]
                    break

    # drawing -----------------------------------------------------------------------
    def draw(self, wrapper: Tagged, canvas: Canvas, x: float, y: float, sW: float) -> None:
        tag = wrapper._tag
        key = id(wrapper)
        if key in self._drawn:
            tag = ARTIFACT  # the same part drawn again: a table's repeated header row
        else:
            self._drawn.add(key)
            self._keep.append(wrapper)
        if tag is not ARTIFACT and not tag.group and _draws_links(wrapper._flowable):
            self._draw_with_links(wrapper, canvas, x, y, sW)
            return
        e = self.enter(tag)
        if e is not None and tag.role == "Figure" and e.bbox is None:
            inner = wrapper._flowable
            e.bbox = page_box(canvas, _aligned_x(inner, x, sW), y, wrapper.width, wrapper.height)
        wrapper._flowable.drawOn(canvas, x, y, sW)
        self.leave()

    def _draw_with_links(self, wrapper: Tagged, canvas: Canvas, x: float, y: float, sW: float) -> None:
        """A paragraph with links: its marked content is opened inside its text object (BT ... ET), where
        each link's text gets a sequence of its own, in a Link element between the paragraph's sequences
        (`/P <</MCID 0>> BDC ... EMC /Link <</MCID 1>> BDC ... EMC /P <</MCID 2>> BDC ... EMC`). A paragraph
        draws nothing outside its text object; the marked-content walker in the tests checks that."""
        e = self.elem(wrapper._tag)
        self._push(_TEXT, e)
        self._text_elem = e
        try:
            wrapper._flowable.drawOn(canvas, x, y, sW)
        finally:
            self._text_elem = self._text = None
            self._text_links = {}
        self.leave()

    def text_object(self, tx: Any) -> None:
        """A text object was begun: the paragraph with links being drawn opens its first sequence in it."""
        if self._text_elem is None or self._text is not None or not self._stack or self._stack[-1][0] is not _TEXT:
            return
        self._text = tx
        self._text_open(self._text_elem)

    def text_drawn(self, tx: Any) -> None:
        """A text object is about to be added to the page: close its open sequence inside it."""
        if tx is self._text and self._text is not None:
            self._text_close()

    def link_mark(self, label: str) -> None:
        """A link's text starts (label: its target) or ends (LINK_END) in the paragraph being drawn."""
        if self._text is None or self._text_elem is None:
            return
        self._text_close()
        if label == LINK_END:
            self._text_open(self._text_elem)
            return
        target = unescape(label)
        link = StructElem("Link", self._text_elem, contents=_link_contents(target))
        self._text_elem.kids.append(link)
        self._text_links[target] = link
        self._text_open(link)

    def _text_open(self, e: StructElem) -> None:
        code = rl.text_code(self._text)
        mcid = len(self._page)
        self._page.append(e)
        mark = (len(self.pages), mcid)
        e.kids.append(mark)
        code.append(f"/{e.role} <</MCID {mcid}>> BDC")
        self._text_seq = (e, mark, len(code) - 1)

    def _text_close(self) -> None:
        if self._text_seq is None:
            return
        e, mark, start = self._text_seq
        self._text_seq = None
        code = rl.text_code(self._text)
        if any("Tj" in entry or "TJ" in entry for entry in code[start + 1:]):
            code.append("EMC")
            return
        del code[start]  # nothing shown in it: take the empty sequence back out
        self._page.pop()
        e.kids.remove(mark)

    def annotation(self, ref: Any, target: str = "") -> None:
        """Put a link annotation just added to the page under the Link element being drawn.
        `target` (a URL) is its /Contents when the Link element says nothing."""
        e: StructElem | None = self._text_links.get(target)  # a link in a paragraph's text
        if e is None:
            e = self._stack[-1][1] if self._stack else None
        while e is not None and e.role != "Link":
            e = e.parent
        if e is None:  # drawn by something not tagged as a link: the annotation gets a Link of its own
            e = self.elem(Tag("Link"))
        e.kids.append(AnnotationRef(len(self.pages), ref))
        self.links.append((e, ref, target))

    def end_page(self) -> None:
        if self._stack or self._seq is not None:
            raise TaggingError("marked content is still open at the end of a page")
        for e in self._deferred:
            assert e.parent is not None
            e.parent.kids.append(e)
        self._deferred = []
        self.pages.append(self._page)
        self._page = []

    # writing -----------------------------------------------------------------------
    def write(self, canvas: Canvas, options: Any) -> None:
        """Write the structure tree, ParentTree, page entries, MarkInfo and XMP into the document."""
        doc = rl.document(canvas)
        pages = rl.page_objects(doc)
        if len(pages) != len(self.pages):
            raise TaggingError(f"{len(pages)} pages written but {len(self.pages)} tagged")
        page_refs = rl.register(doc, pages)  # (registered already, as each page was added)
        elems: list[StructElem] = []
        _prune(self.root, elems)
        tree_root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        root_ref = rl.register(doc, [tree_root])[0]
        for e, ref in zip(elems, rl.register(doc, [_StructElemObject(e, page_refs, root_ref) for e in elems]),
                          strict=True):
            e.ref = ref
        nums: list[object] = []
        for i, page_elems in enumerate(self.pages):
            nums += [i, PDFArray([e.ref for e in page_elems])]
            rl.add_page_entries(pages[i], StructParents=i, Tabs=PDFName("S"))
        for j, (link, ref, target) in enumerate(self.links):
            key = len(self.pages) + j
            nums += [key, link.ref]
            contents = link.contents or link.alt or target
            entries: dict[str, object] = {"StructParent": key}
            if contents:
                entries["Contents"] = contents
            rl.set_annotation_entries(rl.object_named(doc, ref), **entries)
        tree_root["K"] = self.root.ref
        tree_root["ParentTree"] = doc.Reference(PDFDictionary({"Nums": PDFArray(nums)}))
        tree_root["ParentTreeNextKey"] = len(self.pages) + len(self.links)
        canvas.setCatalogEntry("StructTreeRoot", tree_root)
        canvas.setCatalogEntry("MarkInfo", {"Marked": "true"})
        canvas.setCatalogEntry("Metadata", PDFStream(
            PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
            content=xmp_packet(options).encode("utf-8")))
        self._written = elems

    def unlink(self) -> None:
        """Once the tree is formatted: each element and its parent refer to each other, so the tree would be
        freed only by a garbage collection; without the parent links it goes with the document."""
        for e in self._written:
            e.parent = None


class _StructElemObject(rl.IndirectObject):
    """One structure element, formatted straight to bytes.

    A document has hundreds of them, and a PDFDictionary re-encodes every key
    name and sorts its keys each time it is formatted: most of what tagging cost.
    References are the bytes they format to (`rl.register`, made when the tree is
    written) and alt text is a PDFString (escaping, UTF-16 where needed); pdfdoc
    still writes the object, xref and all.
    """

    def __init__(self, elem: StructElem, page_refs: list[bytes], root_ref: bytes) -> None:
        self.elem = elem
        self.page_refs = page_refs
        self.root_ref = root_ref

    def format(self, document: Any) -> bytes:
        e, pages = self.elem, self.page_refs
        parent = e.parent.ref if e.parent is not None else self.root_ref
        out = [b"<< /S /" + e.role.encode("ascii") + b" /P " + parent]
        first = None  # the page of the first marked content: /Pg, which its MCIDs need not repeat
        kids: list[bytes] = []
        for k in e.kids:
            kind = type(k)
            if kind is tuple:
                page, mcid = k  # type: ignore[misc]
                if first is None:
                    first = page
                    out.append(b"/Pg " + pages[page])
                if page == first:
                    kids.append(b"%d" % mcid)
                else:
                    kids.append(b"<< /Type /MCR /Pg " + pages[page] + b" /MCID %d >>" % mcid)
            elif kind is StructElem:
                kids.append(k.ref)  # type: ignore[union-attr]
            else:
                assert isinstance(k, AnnotationRef)
                kids.append(b"<< /Type /OBJR /Obj " + b"%d %d R" % rl.object_numbers(document)[k.ref.name]
                            + b" /Pg " + pages[k.page] + b" >>")
        if kids:
            out.append(b"/K [ " + b" ".join(kids) + b" ]")
        if e.alt:
            out.append(b"/Alt " + PDFString(e.alt).format(document))
        attributes = [b"/%s /%s" % (name.encode("ascii"), value.encode("ascii")) for name, value in e.attributes]
        if e.bbox is not None:
            attributes.append(b"/O /Layout /BBox [ " + b" ".join(rl.number(round(v, 2)) for v in e.bbox) + b" ]")
        if attributes:
            out.append(b"/A << " + b" ".join(attributes) + b" >>")
        return b"\n".join(out) + b"\n>>"


def _prune(e: StructElem, kept_elements: list[StructElem]) -> None:
    """Drop elements that received no content (an empty paragraph, a heading drawn elsewhere); the elements
    kept (`e` and those under it) go into `kept_elements` in document order, each before those under it."""
    kept_elements.append(e)
    kept: list[StructElem | MarkedContent | AnnotationRef] = []
    for k in e.kids:
        if type(k) is StructElem:
            _prune(k, kept_elements)
            if k.is_empty():  # so no element under it was kept: it is the last one listed
                del kept_elements[-1]
                continue
        kept.append(k)
    e.kids = kept


def page_box(canvas: Canvas, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    """A local rectangle in page coordinates (the smallest upright box around it)."""
    a, b, c, d, e, f = rl.ctm(canvas)
    xs, ys = [], []
    for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        xs.append(a * px + c * py + e)
        ys.append(b * px + d * py + f)
    return min(xs), min(ys), max(xs), max(ys)


def _aligned_x(f: Flowable, x: float, sW: float) -> float:
    """Where Flowable.drawOn puts a flowable's left edge for its hAlign."""
    align = str(getattr(f, "hAlign", "LEFT")).upper()
    if sW and align in ("CENTER", "CENTRE", "1"):
        return x + sW / 2
    if sW and align in ("RIGHT", "2"):
        return x + sW
    return x


def xmp_packet(options: Any) -> str:
    """XMP metadata matching the Info dictionary: title and language always; PDF/UA-1 only when asked."""
    def text(value: str) -> str:
        return escape(value)

    parts = [
        "<dc:format>application/pdf</dc:format>",
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text(options.title)}</rdf:li></rdf:Alt></dc:title>',
    ]
    if options.language:
        parts.append(f"<dc:language><rdf:Bag><rdf:li>{text(options.language)}</rdf:li></rdf:Bag></dc:language>")
    if options.author:
        parts.append(f"<dc:creator><rdf:Seq><rdf:li>{text(options.author)}</rdf:li></rdf:Seq></dc:creator>")
    if options.subject:
        parts.append(f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text(options.subject)}</rdf:li>'
                     "</rdf:Alt></dc:description>")
    if options.keywords:
        parts.append(f"<pdf:Keywords>{text(options.keywords)}</pdf:Keywords>")
    parts.append(f"<pdf:Producer>{text(options.creator)}</pdf:Producer>")
    parts.append(f"<xmp:CreatorTool>{text(options.creator)}</xmp:CreatorTool>")
    ua_ns = ""
    if getattr(options, "pdfua", False):
        ua_ns = ' xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'
        parts.append("<pdfuaid:part>1</pdfuaid:part>")
    body = "\n   ".join(parts)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        f"{ua_ns}>\n   {body}\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )


@dataclass(frozen=True)
class TagOptions:
    """What the XMP metadata says (the same values as the Info dictionary)."""

    title: str
    language: str
    author: str = ""
    subject: str = ""
    keywords: str = ""
    creator: str = ""
    pdfua: bool = False


class TaggingCanvas(Canvas):
    """A canvas that draws marked content and writes the structure tree when saved.

    Used as a base of render's canvas class (before it in the MRO), so that the
    tree is written after the last page and before the document is formatted.
    """

    tag_options: TagOptions = TagOptions("", "")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        rl.check_version()
        kwargs["pdfVersion"] = PDF_VERSION
        super().__init__(*args, **kwargs)
        setattr(self, TAGGER, Tagger(self))

    # Text objects matter to the tagger only while it draws a paragraph with links: checked here, as every text
    # object on a page (a paragraph line, a label) begins and is drawn through these.
    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> Any:
        tx = super().beginText(x, y, direction)
        tagger = getattr(self, TAGGER)
        if tagger._text_elem is not None:
            tagger.text_object(tx)
        return tx

    def drawText(self, aTextObject: Any) -> None:
        tagger = getattr(self, TAGGER)
        if tagger._text is not None:
            tagger.text_drawn(aTextObject)
        super().drawText(aTextObject)

    def showPage(self) -> None:
        getattr(self, TAGGER).end_page()
        super().showPage()

    def linkURL(self, url: str, rect: Any, *args: Any, **kwargs: Any) -> None:
        super().linkURL(url, rect, *args, **kwargs)
        getattr(self, TAGGER).annotation(rl.last_annotation(self), url)

    def linkRect(self, contents: str, destinationname: str, *args: Any, **kwargs: Any) -> None:
        super().linkRect(contents, destinationname, *args, **kwargs)
        getattr(self, TAGGER).annotation(rl.last_annotation(self), contents)

    def save(self) -> None:
        if rl.code(self):
            self.showPage()
        tagger = getattr(self, TAGGER)
        tagger.write(self, self.tag_options)
        super().save()
        delattr(self, TAGGER)  # the tagger refers to the canvas: freed with it, without a garbage collection
        tagger.unlink()


# -- flowables ---------------------------------------------------------------------
#: A Tagged wrapper's own attributes (everything else is the wrapped flowable's).
_OWN = frozenset({"_flowable", "_tag", "width", "height", "keepWithNext"})
_FIND_SPLIT = rl.FIND_SPLIT


class _Inner:
    """A Tagged wrapper's attribute that is the wrapped flowable's (AttributeError where it has none)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, wrapper: Any, owner: type | None = None) -> Any:
        if wrapper is None:
            return self
        return getattr(wrapper.__dict__["_flowable"], self.name)


class _InnerFlag(_Inner):
    """A wrapped flowable's flag, None where it has none (for names only ever read as flags)."""

    def __get__(self, wrapper: Any, owner: type | None = None) -> Any:
        if wrapper is None:
            return self
        return getattr(wrapper.__dict__["_flowable"], self.name, None)


class Tagged(Flowable):
    """Draws the wrapped flowable inside its structure element; transparent in every other way.

    Attribute reads and writes go to the wrapped flowable (like platypus'
    DDIndenter), so layout code sees the same flowable it would without tags.
    """

    _booklet_tagged = True
    _OWN = _OWN

    # What platypus asks every flowable for, thousands of times a document, read from the wrapped flowable
    # without the cost of __getattr__ (which Python calls only after failing to find the name here).
    style = _Inner()
    spaceBefore = _Inner()  # noqa: N815 - platypus' name
    spaceAfter = _Inner()  # noqa: N815 - platypus' name
    canv = _Inner()
    _frame = _Inner()
    # Read only as flags (`getattr(f, name, False)`, or `hasattr(f, name) and f.name == 1`): the wrapped
    # flowable's value, or a false one where it has none, so a missing name costs no exception.
    _SPACETRANSFER = _InnerFlag()
    _ZEROSIZE = _InnerFlag()
    pageBreakBefore = _InnerFlag()  # noqa: N815 - platypus' name
    frameBreakBefore = _InnerFlag()  # noqa: N815 - platypus' name
    locChanger = _InnerFlag()  # noqa: N815 - platypus' name
    _booklet_float = _InnerFlag()
    #: platypus' table splitting asks cells for it; a dunder name is never the wrapped flowable's (see __getattr__).
    __split_only__ = None

    def __init__(self, flowable: Flowable, tag: Tag) -> None:
        d = self.__dict__
        d["_flowable"] = flowable
        d["_tag"] = tag
        d["width"] = getattr(flowable, "width", 0)
        d["height"] = getattr(flowable, "height", 0)

    # layout: all the wrapped flowable's --------------------------------------------
    def wrap(self, aW: float, aH: float) -> tuple[float, float]:
        w, h = self._flowable.wrap(aW, aH)
        self.__dict__.update(width=w, height=h)
        return w, h

    def wrapOn(self, canv: Canvas, aW: float, aH: float) -> tuple[float, float]:
        w, h = self._flowable.wrapOn(canv, aW, aH)
        self.__dict__.update(width=w, height=h)
        return w, h

    def split(self, aW: float, aH: float) -> list[Flowable]:
        return [self._part(s) for s in self._flowable.split(aW, aH)]

    def splitOn(self, canv: Canvas, aW: float, aH: float) -> list[Flowable]:
        return [self._part(s) for s in self._flowable.splitOn(canv, aW, aH)]

    def _part(self, part: Flowable) -> Flowable:
        if isinstance(part, ActionFlowable) or getattr(part, "_booklet_tagged", False):
            return part
        return wrap(part, self._tag)

    def getSpaceBefore(self) -> float:
        return self._flowable.getSpaceBefore()

    def getSpaceAfter(self) -> float:
        return self._flowable.getSpaceAfter()

    def getKeepWithNext(self) -> bool:
        if "keepWithNext" in self.__dict__:  # set by BaseDocTemplate.handle_keepWithNext
            return self.__dict__["keepWithNext"]
        return self._flowable.getKeepWithNext()

    def minWidth(self) -> float:
        return self._flowable.minWidth()

    def identity(self, maxLen: int | None = None) -> str:
        return self._flowable.identity(maxLen)

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        if is_blank(canvas):
            plain = getattr(self._flowable, "getPlainText", None)  # a paragraph (or part of one): its words
            note_layout(canvas, x, y, self.width, self.height, plain() if callable(plain) else None)
            return
        tagger = tagger_of(canvas)
        if tagger is None:
            self._flowable.drawOn(canvas, x, y, _sW)
        else:
            tagger.draw(self, canvas, x, y, _sW)

    # transparency ------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        if name in _OWN or name in _READ_THROUGH or name[:2] == "__" or "_flowable" not in d:
            raise AttributeError(name)
        inner = d["_flowable"]
        if name == _FIND_SPLIT:
            find_split = getattr(inner, name)

            def tagged_find_split(*args: Any, **kwargs: Any) -> tuple:
                w, h, first, rest = find_split(*args, **kwargs)
                return w, h, [self._part(s) for s in first], [self._part(s) for s in rest]

            return tagged_find_split
        return getattr(inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN:
            self.__dict__[name] = value
        else:
            setattr(self._flowable, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._OWN:
            del self.__dict__[name]
        else:
            delattr(self._flowable, name)

    def __repr__(self) -> str:
        return f"Tagged({self._tag.role}, {self._flowable!r})"


#: The names Tagged reads through an `_Inner` descriptor: Python calls __getattr__ for one only when the descriptor
#: found the wrapped flowable without it (asking again would raise a second AttributeError).
_READ_THROUGH = frozenset(name for name, value in vars(Tagged).items() if type(value) is _Inner)


class TaggedIndenter(Tagged, rl.Indenter):
    """A Tagged list part: still a DDIndenter, as the doc template treats those specially when splitting."""


def wrap(flowable: Flowable, tag: Tag) -> Tagged:
    return TaggedIndenter(flowable, tag) if isinstance(flowable, rl.Indenter) else Tagged(flowable, tag)


class _TaggedBullet:
    """A list bullet (`BulletDrawer`) drawn as the item's Lbl."""

    def __init__(self, bullet: Any, tag: Tag) -> None:
        self.__dict__.update(_bullet=bullet, _tag=tag)

    def drawOn(self, indenter: Any, canv: Canvas, x: float, y: float, _sW: float = 0) -> None:
        if is_blank(canv):
            note_layout(canv, x, y)
            return
        tagger = tagger_of(canv)
        if tagger is None:
            self._bullet.drawOn(indenter, canv, x, y, _sW)
            return
        tagger.enter(self._tag)
        self._bullet.drawOn(indenter, canv, x, y, _sW)
        tagger.leave()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "_bullet" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__["_bullet"], name)


class TaggedList(ListFlowable):
    """A ListFlowable drawn as L > LI > (Lbl, LBody), however it splits."""

    _booklet_tagged = True

    def __init__(self, flowables: list, tag: Tag | None = None, **kwargs: Any) -> None:
        super().__init__(flowables, **kwargs)
        self._list_tag = tag or Tag("L")
        self._item: tuple[Tag, Tag] | None = None

    def _makeLIIndenter(self, flowable: Flowable, bullet: Any, params: Any = None) -> Any:
        if bullet is not None or self._item is None:  # a bullet starts the next item
            item = Tag("LI", parent=self._list_tag, group=True)
            self._item = (Tag("Lbl", parent=item), Tag("LBody", parent=item))
        label, body = self._item
        if bullet is not None:
            bullet = _TaggedBullet(bullet, label)
        return rl.make_list_item_indenter(self, wrap(flowable, body), bullet, params)


class _TableArtifacts:
    """A Table renderCB: backgrounds and rules are artifacts; cells are drawn in whatever they are tagged as."""

    def __call__(self, table: Any, command: str, *args: Any) -> None:
        if command in ("startBG", "startLines"):
            tagger = tagger_of(table.canv)
            if tagger is not None:
                tagger.enter(ARTIFACT)
        elif command in ("endBG", "endLines"):
            tagger = tagger_of(table.canv)
            if tagger is not None:
                tagger.leave()


TABLE_ARTIFACTS = _TableArtifacts()


def role_for_style(style: Any) -> str:
    while style is not None:
        role = ROLE_BY_STYLE.get(getattr(style, "name", ""))
        if role:
            return role
        style = getattr(style, "parent", None)
    return "P"


def ensure(flowable: Any) -> Any:
    """The flowable, tagged: a paragraph as P (or a heading, by its style), other drawing as an artifact.

    Already tagged flowables, and those that draw nothing (actions, spacers,
    page breaks), come back unchanged; containers (KeepTogether) get their
    contents tagged in place.
    """
    if flowable is None or isinstance(flowable, (ActionFlowable, Spacer, UseUpSpace)):
        return flowable
    if getattr(flowable, "_booklet_tagged", False):
        return flowable
    if isinstance(flowable, rl.ContainerSpace):
        content = rl.container_content(flowable)
        content[:] = [ensure(f) for f in content]
        return flowable
    if isinstance(flowable, Paragraph) or getattr(flowable, "is_paragraph", False):  # or a ShapedParagraph
        return wrap(flowable, Tag(role_for_style(flowable.style)))
    if isinstance(flowable, QrCode):
        return qr_code(flowable)
    return wrap(flowable, ARTIFACT)


def qr_code(code: QrCode) -> Tagged:
    """A QR code as a Figure inside a Link (whose OBJR is its link annotation); the alt says where it leads."""
    alt = f"QR code linking to {code.data}"
    return wrap(code, Tag("Figure", parent=Tag("Link", alt=alt), alt=alt))


def ensure_cell(value: Any) -> Any:
    """A table cell's content (one flowable or a list of them), tagged by `ensure`."""
    if isinstance(value, (list, tuple)):
        return [ensure(v) for v in value]
    if isinstance(value, Flowable):
        return ensure(value)
    return value


def tagged(flowable: Flowable, role: str, *, parent: Tag | None = None, alt: str = "",
           group: bool = False, attributes: tuple[tuple[str, str], ...] = ()) -> Tagged:
    """Shorthand: `flowable` wrapped with a new Tag."""
    return wrap(flowable, Tag(role, parent=parent, alt=alt, group=group, attributes=attributes))


# -- drawing straight on the canvas (page decorations) -----------------------------
@contextmanager
def tag(canvas: Canvas, role: str, *, alt: str = "", bbox: tuple[float, float, float, float] | None = None,
        deferred: bool = False) -> Iterator[None]:
    """Mark what is drawn inside the `with` as one element (e.g. a logo on the cover as a Figure).

    `bbox` is (x, y, width, height) in the current coordinates; `deferred`
    puts the element after the page's story in reading order (drawn first,
    read last: the audience line in the cover band). No-op on an untagged canvas.
    """
    tagger = tagger_of(canvas)
    if tagger is None:
        yield
        return
    e = tagger.enter(Tag(role, alt=alt, deferred=deferred))
    if e is not None and bbox is not None:
        e.bbox = page_box(canvas, *bbox)
    yield
    tagger.leave()


@contextmanager
def reading_last(canvas: Canvas) -> Iterator[None]:
    """Elements drawn inside the `with` (at the top level) are read after the page's story: a page footer
    that carries content, drawn with the page decoration before the story."""
    tagger = tagger_of(canvas)
    if tagger is not None:
        tagger.reading_last += 1
    yield
    if tagger is not None:
        tagger.reading_last -= 1


def is_blank(canvas: Canvas) -> bool:
    """Whether the canvas's page is one to lay out but not draw (booklet.render.DocumentSpec.blank_pages)."""
    blank: frozenset[int] | None = getattr(canvas, "blank_pages", None)
    return bool(blank) and canvas.getPageNumber() in blank  # type: ignore[operator]


def note_layout(canvas: Canvas, *what: object) -> None:
    """On a blank page, instead of drawing: a note in its content (a PDF comment) of what went where (never
    written out: a copy has its template's page)."""
    rl.code(canvas).append("% " + " ".join(map(repr, what)))


def decoration(draw: Callable[[Canvas, Any], None] | None) -> Callable[[Canvas, Any], None] | None:
    """A page template's onPage, with everything it draws as an artifact unless it tags it with `tag()`."""
    if draw is None:
        return None

    def decorate(canvas: Canvas, doc: Any) -> None:
        if is_blank(canvas):
            return
        tagger = tagger_of(canvas)
        if tagger is None:
            draw(canvas, doc)
            return
        tagger.enter(ARTIFACT)
        draw(canvas, doc)
        tagger.leave()

    return decorate


def table_cells(data: list[list[Any]], header_rows: int = 1) -> tuple[list[list[Any]], Tag]:
    """A data table's cells tagged as Table > TR > TH (the header rows, /Scope /Column) or TD.

    Returns the cells and the Table tag (wrap the Table flowable with it).
    """
    table = Tag("Table", group=True)
    rows: list[list[Any]] = []
    for r, row in enumerate(data):
        tr = Tag("TR", parent=table, group=True)
        head = r < header_rows
        role, attributes = ("TH", (("O", "Table"), ("Scope", "Column"))) if head else ("TD", ())
        cells = []
        for c, value in enumerate(row):
            cell = Tag(role, parent=tr, attributes=attributes, order=c)  # in reading order however it is laid out
            if isinstance(value, (list, tuple)):
                cells.append([wrap(v, cell) for v in value])
            else:
                cells.append(wrap(value, cell))
        rows.append(cells)
    return rows, table
