"""Every private ReportLab attribute or function booklet relies on, named in one place.

ReportLab's public API has no hooks for marked content, page dictionary entries
or structure trees, so `booklet.tagging` reaches into a few internals. Each one
is wrapped here with a comment saying what it is and why it is needed, so a
ReportLab upgrade means re-checking this file (and `tests/test_tagging.py`)
rather than hunting through the code. pyproject pins reportlab to the 5.1
series for the same reason; `check_version()` fails loudly on anything else.

Public API used elsewhere (not listed as internals): `Canvas.addLiteral`,
`Canvas.setCatalogEntry`, `Canvas.linkURL`, `Canvas.linkRect`, `Canvas.beginText`, `Table(renderCB=...)` with the
`TableRenderCB` command protocol, `BaseDocTemplate.filterFlowables`, the
`pdfdoc` object classes (`PDFDictionary`, `PDFArray`, `PDFName`, `PDFString`,
`PDFStream`) and `PDFDocument.Reference`.
"""

from __future__ import annotations

import io
import itertools
import operator
import re
import threading
from typing import Any

import reportlab
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.rl_accel import escapePDF, fp_str, sameFrag
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import _fonts, getFont
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, TTFontFace
from reportlab.pdfgen import canvas as canvas_module
from reportlab.pdfgen.canvas import Canvas, ExtGState
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import paragraph
from reportlab.platypus.flowables import DDIndenter, Flowable, LIIndenter, ListFlowable, _ContainerSpace
from reportlab.platypus.paraparser import ParaFrag

#: The ReportLab series these internals were checked against.
SERIES = "5.1."


def check_version() -> None:
    """Refuse to tag with a ReportLab whose internals have not been checked."""
    if not reportlab.Version.startswith(SERIES):
        raise RuntimeError(f"booklet's tagged PDF needs reportlab {SERIES}x (found {reportlab.Version}); "
                           "see booklet/rl_internals.py")


# -- canvas ------------------------------------------------------------------------
def code(canvas: Canvas) -> list[str]:
    """`Canvas._code`: the list of content-stream operator strings of the current page.

    Marked-content operators go in through the public `addLiteral`; reading the
    list's length and deleting one just-emitted `BDC`/`BMC` entry (when the
    sequence it opened received no drawing) keeps streams free of empty sequences.
    """
    return canvas._code


def text_code(text: Any) -> list[str]:
    """`PDFTextObject._code`: the operators of a text object being built (BT first, ET added when drawn).

    A paragraph with links gets its marked-content operators here, between the lines and words it
    shows, so that a link's text can be a sequence of its own (inside BT ... ET, as PDF allows).
    """
    return text._code


def ctm(canvas: Canvas) -> tuple[float, float, float, float, float, float]:
    """`Canvas._currentMatrix`: the current transformation, tracked by translate/scale/transform.

    Needed to turn a flowable's local position into the page-space /BBox of a Figure.
    """
    return canvas._currentMatrix


def last_annotation(canvas: Canvas) -> pdfdoc.PDFObjectReference:
    """`Canvas._annotationrefs[-1]`: the reference to the annotation `linkURL` or `linkRect` just added to the page.

    A link annotation must name its structure element (/StructParent) and be
    named by it (an OBJR); `linkURL` returns nothing, so the reference is read here.
    """
    return canvas._annotationrefs[-1]


def set_annotation_entries(annotation: Any, **entries: object) -> None:
    """Add keys (/StructParent, /Contents) to a link annotation made by the canvas.

    `Canvas.linkURL` makes a plain `PDFDictionary`. `Canvas.linkRect` (a paragraph's `<a href="#name">`)
    makes a `pdfdoc.LinkAnnotation`, which builds its dictionary only when written: from its
    `Contents` attribute and its `otherkw` dict, refusing any name not in its `permitted` tuple
    (which has no /StructParent); an instance-level copy of that tuple lets it write the extra keys.
    String values are plain `str` (made PDF strings here or by the annotation itself).
    """
    if isinstance(annotation, pdfdoc.PDFDictionary):
        for key, value in entries.items():
            annotation[key] = pdfdoc.PDFString(value) if isinstance(value, str) else value
        return
    for key, value in entries.items():
        if key == "Contents":
            annotation.Contents = value
        else:
            annotation.otherkw[key] = value
    annotation.permitted = tuple(annotation.permitted) + tuple(k for k in entries if k not in annotation.permitted)


# -- document ----------------------------------------------------------------------
def document(canvas: Canvas) -> pdfdoc.PDFDocument:
    """`Canvas._doc`: the PDFDocument the canvas writes into (its pages, objects and Reference())."""
    return canvas._doc


def page_objects(doc: pdfdoc.PDFDocument) -> list[pdfdoc.PDFPage]:
    """`PDFDocument.Pages.pages`: the page dictionaries written so far, in order."""
    return doc.Pages.pages


def object_named(doc: pdfdoc.PDFDocument, ref: pdfdoc.PDFObjectReference) -> Any:
    """`PDFDocument.idToObject[ref.name]`: the object behind a reference (here: an annotation dictionary)."""
    return doc.idToObject[ref.name]


def object_numbers(doc: pdfdoc.PDFDocument) -> dict[str, tuple[int, int]]:
    """`PDFDocument.idToObjectNumberAndVersion`: object name -> (number, generation), complete while formatting.

    Structure elements format their references from it directly (`PDFObjectReference.format`
    goes through the slow pdfdoc text codec, hundreds of times per document).
    """
    return doc.idToObjectNumberAndVersion


def resolve_destinations_to_first_page(canvas: Canvas) -> int:
    """Point every link destination not yet defined (`Canvas._destinations`, a `pdfdoc.Destination` per name,
    unbound until `bookmarkPage` is called for it) at the first page, so that the pages drawn so far can be
    saved: `Destination.format` raises for an unbound one. Returns how many there were.

    For booklet/reuse.py, which saves the first pages of a copy on their own: the contents page links to
    headings on pages not drawn yet.
    """
    unbound = [d for d in canvas._destinations.values() if d.fmt is None or d.page is None]
    for destination in unbound:
        destination.fit()
        destination.setPage(pdfdoc.PDFObjectReference("Page1"))
    return len(unbound)


def undefined_forms(canvas: Canvas) -> list[str]:
    """The names of the forms (`Canvas.doForm`) the pages drawn so far use and the document does not define
    yet: each page's `XObjects` resource dictionary (`PDFDocument.xobjDict`) names them as
    `pdfdoc.xObjectName(name)`, and a defined form is in `PDFDocument.idToObject` under that name."""
    doc = document(canvas)
    prefix = pdfdoc.xObjectName("")
    names: dict[str, None] = {}
    for page in page_objects(doc):
        resources = getattr(page, "XObjects", None)
        for internal in getattr(resources, "dict", {}):
            if internal.startswith(prefix) and internal not in doc.idToObject:
                names[internal[len(prefix):]] = None
    return list(names)


def register(doc: pdfdoc.PDFDocument, objects: list[pdfdoc.PDFObject]) -> list[bytes]:
    """`[doc.Reference(o) for o in objects]` for objects new to the document (the same object numbers and names),
    each as what its reference formats to (`PDFObjectReference.format`: b"12 0 R").

    `Reference` does this for a new object that has no name: the next number, the name "R<number>", three
    tables; done here without its checks (an object it has seen, a name taken), which go to `Reference`.
    """
    id_to_object, numbers, number_to_id = doc.idToObject, doc.idToObjectNumberAndVersion, doc.numberToId
    refs = []
    for obj in objects:
        number = doc.objectcounter + 1
        name = f"R{number}"
        if name in id_to_object or hasattr(obj, "__InternalName__") or not isinstance(obj, pdfdoc.PDFObject):
            refs.append(b"%d %d R" % numbers[doc.Reference(obj).name])
            continue
        doc.objectcounter = number
        obj.__InternalName__ = name
        numbers[name] = (number, 0)
        number_to_id[number] = name
        id_to_object[name] = obj
        refs.append(b"%d 0 R" % number)
    return refs


def add_page_entries(page: pdfdoc.PDFPage, **entries: object) -> None:
    """Add keys to one page dictionary.

    `PDFPage.format` writes only the attributes named in its class-level
    `__NoDefault__` list, which has no /StructParents or /Tabs; an instance-level
    copy of the list with the extra names added makes the page write them.
    """
    names = list(type(page).__dict__.get("__NoDefault__", pdfdoc.PDFPage.__NoDefault__))
    for key, value in entries.items():
        if key not in names:
            names.append(key)
        setattr(page, key, value)
    page.__dict__["__NoDefault__"] = names


class IndirectObject(pdfdoc.PDFObject):
    """Base for a pdfdoc object that formats itself to bytes and is always written as an indirect object.

    `__RefOnly__` is pdfdoc's own marker (read by `pdfdoc.format`) for objects that must
    never be inlined; structure elements are referenced from the ParentTree, so they
    must be indirect objects.
    """

    __RefOnly__ = 1


def number(value: float) -> bytes:
    """A number as pdfdoc writes it: `reportlab.lib.rl_accel.fp_str`, the formatter behind every
    coordinate in a ReportLab PDF (C-accelerated with rl-accel)."""
    return fp_str(value).encode("ascii")


def unlink_document_template(doc: Any) -> None:
    """Empty `BaseDocTemplate._nameSpace` (`dict(doc=self)`, for `DocExec`/`DocAssign` flowables) once the
    document is built: the template refers to itself through it, so the template, its canvas and everything
    drawn would otherwise be freed only by a garbage collection."""
    doc._nameSpace.clear()


def unlink_text_object(text: Any) -> None:
    """Drop `PDFTextObject._do_line` once the text object is drawn (its code is copied into the page).

    `Paragraph.drawPara` binds that method to the text object of every paragraph with links, underlines or more
    than one style: a reference cycle, through the text object's canvas, to the whole document."""
    text.__dict__.pop("_do_line", None)


# -- flowables ---------------------------------------------------------------------
def container_content(flowable: _ContainerSpace) -> list:
    """`KeepTogether._content` (any `_ContainerSpace`): the flowables held inside, tagged in place."""
    return flowable._content


#: `platypus.flowables._ContainerSpace`: base of KeepTogether and friends. `doctemplate._ktAllow`
#: refuses these inside keep-with-next groups by class, so they are never wrapped, only their content.
ContainerSpace = _ContainerSpace

#: `DDIndenter`: `BaseDocTemplate.handle_flowable` puts split parts that are DDIndenters (list items)
#: back on the story instead of drawing the first one at once; a wrapper around one must stay one.
Indenter = DDIndenter


def make_list_item_indenter(lst: ListFlowable, flowable: Any, bullet: Any, params: Any) -> LIIndenter:
    """`ListFlowable._makeLIIndenter`: the one place a list wraps an item and its bullet (here as a
    `ListItemIndenter`, made as it makes an `LIIndenter`, from the list's `_leftIndent` and `_rightIndent`
    and the item's `params`).

    booklet's tagged list overrides it to put each item's label (`BulletDrawer`)
    and body in Lbl and LBody elements; the bullet is drawn by
    `LIIndenter.drawOn` as `bullet.drawOn(indenter, canv, x, y, 0)`.
    """
    if params:
        return ListItemIndenter(flowable, params.get("leftIndent", lst._leftIndent),
                                params.get("rightIndent", lst._rightIndent), bullet,
                                spaceBefore=params.get("spaceBefore"), spaceAfter=params.get("spaceAfter"))
    return ListItemIndenter(flowable, lst._leftIndent, lst._rightIndent, bullet)


class ListItemIndenter(LIIndenter):
    """An `LIIndenter` that reads its item's space before and after from the item itself.

    `Flowable.getSpaceBefore` on an indenter asks for `spaceBefore` and `style`, which it does not have:
    `DDIndenter.__getattr__` forwards each to the item after a KeyError, and the item (a tagged wrapper)
    raises an AttributeError for the first, about 9 µs a call, hundreds of calls a document. The answer is
    the same: the indenter's own value (set from `params`), else what `Flowable.getSpaceBefore` finds on
    the item, which is what those forwarded reads return.
    """

    def getSpaceBefore(self) -> float:
        own = self.__dict__
        return own["spaceBefore"] if "spaceBefore" in own else Flowable.getSpaceBefore(own["_flowable"])

    def getSpaceAfter(self) -> float:
        own = self.__dict__
        return own["spaceAfter"] if "spaceAfter" in own else Flowable.getSpaceAfter(own["_flowable"])


#: `_FindSplitterMixin._findSplit`: `Table._splitCell` (in-row splits) calls it on any cell flowable that
#: has it, bypassing `split()`; a wrapper must expose it and wrap the parts it returns.
FIND_SPLIT = "_findSplit"


# -- fonts -------------------------------------------------------------------------
#: `TTFontFace` attributes that `TTFontFile.extractInfo` computes from the font's tables
#: (its name, metrics, cmap and glyph widths). Parsing them in Python takes about 30 ms a
#: face; for the fonts booklet ships they are read from a small file made once instead
#: (`booklet/fonts/*.metrics`, written by `python -m booklet.fonts`).
FACE_SCALARS = ("name", "familyName", "styleName", "fullName", "uniqueFontID", "fontRevision", "unitsPerEm",
                "bbox", "ascent", "descent", "capHeight", "italicAngle", "stemV", "flags", "underlinePosition",
                "underlineThickness", "numGlyphs", "defaultWidth", "_full_font", "_pos")
#: The large fields, as (field, array type codes): dicts are stored as parallel key and value arrays.
FACE_ARRAYS = (("charToGlyph", "I", "I"), ("glyphToChar", "I", "I"), ("charWidths", "I", "d"),
               ("hmetrics", "d", "i"), ("hmetricsInt", "B", ""),
               ("glyphPos", "I", ""))
_NAMES = ("name", "familyName", "styleName", "fullName", "uniqueFontID")


def face_metrics(font: Any) -> tuple[dict[str, Any], list[Any]]:
    """The extracted fields of a parsed `TTFont`'s face: JSON-able scalars and typed arrays."""
    from array import array

    face = font.face
    scalars: dict[str, Any] = {}
    for key in FACE_SCALARS:
        value = getattr(face, key)
        scalars[key] = value.ustr if key in _NAMES else list(value) if isinstance(value, tuple) else value
    arrays = []
    for key, first, second in FACE_ARRAYS:
        if key == "hmetricsInt":  # advance widths are ints or floats: keep which
            arrays.append(array(first, [isinstance(m[0], int) for m in face.hmetrics]))
            continue
        value = getattr(face, key)
        pairs: Any = list(value.items()) if isinstance(value, dict) else value
        if key == "glyphToChar":  # a glyph maps to a list of characters: one pair per character
            pairs = [(glyph, char) for glyph, chars in pairs for char in chars]
        if second:
            arrays += [array(first, [p[0] for p in pairs]), array(second, [p[1] for p in pairs])]
        else:
            arrays.append(array(first, pairs))
    return scalars, arrays


def ttfont_from_metrics(name: str, path: str, data: bytes, scalars: dict[str, Any], arrays: list[Any]) -> Any:
    """A `TTFont` equal to `TTFont(name, path)`, with the face's fields taken from `face_metrics`' output
    and its bytes (`data`, the file at `path`, already read to check it) not read again.

    Mirrors `TTFont.__init__` and `TTFontFace.__init__` (reportlab 5.1) except for the call to
    `extractInfo`; `tests/test_fonts.py` checks that every attribute matches a parsed font. The large fields
    (FACE_ARRAYS) are made from `arrays` when first read (`StoredFace`).
    """
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTEncoding, TTFNameBytes, TTFont, TTFontParser

    face = StoredFace.__new__(StoredFace)
    pdfmetrics.TypeFace.__init__(face, None)
    source = io.BytesIO(data)
    source.name = path  # TTFontParser keeps a file object's name as the face's filename
    TTFontParser.__init__(face, source, validate=0, subfontIndex=0)
    for key in FACE_SCALARS:
        value = scalars[key]
        if key in _NAMES:
            value = TTFNameBytes(value.encode("utf-8"))
        elif key == "fontRevision":
            value = tuple(value)
        setattr(face, key, value)
    stored: dict[str, tuple[Any, ...]] = {}
    items = iter(arrays)
    for key, _, second in FACE_ARRAYS:
        if key == "hmetricsInt":
            stored["hmetrics"] += (next(items),)
        else:
            stored[key] = (next(items), next(items)) if second else (next(items),)
    face._stored = stored
    scale = 1000 / face.unitsPerEm
    face._pdfScale = (lambda x: x) if face.unitsPerEm == 1000 else (lambda x: x * scale)
    font = TTFont.__new__(TTFont)
    font.fontName = name
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(name, glob) for glob in rl_config.unShapedFontGlob)
    return font


def _stored_field(key: str, arrays: tuple[Any, ...], units_per_em: int) -> Any:
    """A face's field (FACE_ARRAYS) as `TTFontFile.extractInfo` makes it, from its stored arrays."""
    first = arrays[0].tolist()
    if len(arrays) == 1:
        return first
    if key == "hmetrics":
        advances, sides, ints = first, arrays[1].tolist(), arrays[2].tolist()
        # Advances are integers but for a few (kept as stored): converted in one pass in C, then those few.
        whole: list[Any] = list(map(int, advances))
        for i in itertools.compress(range(len(ints)), map(operator.not_, ints)):
            whole[i] = advances[i]
        return list(zip(whole, sides, strict=False))
    second = arrays[1].tolist()
    if key == "glyphToChar":
        glyphs: dict[int, list[int]] = dict(zip(first, [[char] for char in second], strict=False))
        if len(glyphs) < len(first):  # a glyph that draws several characters: their lists in order
            glyphs = {}
            for glyph, char in zip(first, second, strict=False):
                glyphs.setdefault(glyph, []).append(char)
        return glyphs
    if key == "charWidths" and units_per_em == 1000:
        # widths are the font's own integers (stored as doubles), as ReportLab reads them
        return dict(zip(first, map(int, second), strict=False))
    return dict(zip(first, second, strict=False))


class StoredFace(TTFontFace):
    """A `TTFontFace` made by `ttfont_from_metrics`, whose large fields (the cmap both ways, the widths, the
    glyphs' metrics and positions) are made from the stored arrays the first time something reads them.

    Making them all took about 5 ms a face; a document reads only some: a face it never draws in needs none of
    them (a shipped family's bold italic, say), and `glyphToChar` (the cmap inverted) is read only by shaping.
    After the first read a field is a plain attribute, as on a parsed face. Concurrent first reads (threads)
    may both make it; the first one stored is the one every reader gets (ReportLab adds to some of them)."""

    _stored: dict[str, tuple[Any, ...]]

    def __getattr__(self, name: str) -> Any:
        stored: dict[str, tuple[Any, ...]] = self.__dict__.get("_stored") or {}
        arrays = stored.get(name)
        if arrays is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = self.__dict__.setdefault(name, _stored_field(name, arrays, self.__dict__["unitsPerEm"]))
        stored.pop(name, None)
        if not stored:
            self.__dict__.pop("_stored", None)
        return value


#: Code points a ToUnicode CMap must never map a code to (PDF/UA-1 via ISO 32000-1 9.10.2; page-validation's
#: FONT-UNICODE-VALUE-001): U+0000, and the byte order marks U+FEFF and U+FFFE.
NO_UNICODE = frozenset({0x0000, 0xFEFF, 0xFFFE})
#: At most 100 mappings between one `beginbfchar` and its `endbfchar` (Adobe Technical Note 5411).
_BFCHAR_BLOCK = 100


def to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """`ttfonts.makeToUnicodeCMap` without entries for codes that map to nothing.

    ReportLab writes an entry for every code of a subset (a list of code points, one per
    code), and its first subset of a font reserves codes 0x00-0x1F, filled in only as
    characters outside ASCII are used; the rest, and every subset's code 0 (.notdef), stay
    U+0000. Such codes are never drawn (booklet refuses characters the font lacks), so
    they get no entry at all; every code that is drawn keeps its character.
    """
    entries = [f"<{code:02X}> <{value:04X}>" for code, value in enumerate(subset) if value not in NO_UNICODE]
    blocks: list[str] = []
    for start in range(0, len(entries), _BFCHAR_BLOCK):
        chunk = entries[start:start + _BFCHAR_BLOCK]
        blocks += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        *blocks,
        "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])


def use_clean_to_unicode_maps() -> None:
    """Make `TTFont.addObjects` (which calls the module-level `ttfonts.makeToUnicodeCMap` by name when it
    writes each subset's /ToUnicode stream) use `to_unicode_cmap`. Only unused codes lose their entry."""
    from reportlab.pdfbase import ttfonts

    ttfonts.makeToUnicodeCMap = to_unicode_cmap


# -- paragraph lines --------------------------------------------------------------------
#: What `Paragraph.wrap` sets besides `blPara` (the broken lines): `booklet.flowables.Paragraph`
#: restores these with a copy of remembered lines. After breaking a mixed-style paragraph's
#: lines, ReportLab also replaces its `frags` by its words, each line starting at word `.sFW`.
WRAP_STATE = ("width", "height", "_wrapWidths", "_width_max", "_hyphenations", "_splitLongWordCount")

#: How ReportLab marks where a word ends, used to tell a line that ends between two words from
#: one that ends inside a word. Single-style lines hold strings: a piece of a word split across
#: lines is a `_SplitWord`, its last piece a `_SplitWordEnd`. Mixed-style paragraphs' words are
#: lists: one followed by a space is a `_HSFrag` ("hanging space"), a split word's pieces are not.
WORD_BEFORE_SPACE = paragraph._HSFrag
WORD_PIECE = paragraph._SplitWord
WORD_LAST_PIECE = paragraph._SplitWordEnd


# -- paragraph measuring --------------------------------------------------------------
#: Distinct (text, font, size) widths remembered per process. Line breaking measures every word of
#: every paragraph, and the same words recur across paragraphs, sizes tried and copies of a handout.
WIDTH_MEMO_SIZE = 1 << 16


def memoise_string_widths() -> None:
    """Let `reportlab.platypus.paragraph` (which imported `stringWidth` and `getAscentDescent` as module
    globals) measure through bounded caches. The width of a string in a registered font at a size never
    changes, nor do the font's ascent and descent at a size: booklet registers each font file under a name
    derived from its contents. (`getAscentDescent` asks a TrueType font for an attribute it does not have
    and catches the error, for every line of every paragraph.)"""
    from functools import lru_cache

    from reportlab.pdfbase import pdfmetrics

    if not hasattr(paragraph.stringWidth, "cache_info"):
        paragraph.stringWidth = lru_cache(maxsize=WIDTH_MEMO_SIZE)(pdfmetrics.stringWidth)
    if not hasattr(paragraph.getAscentDescent, "cache_info"):
        paragraph.getAscentDescent = lru_cache(maxsize=1024)(pdfmetrics.getAscentDescent)


#: The attributes `_rl_accel.sameFrag` compares, in its order; the two whose mere presence makes fragments differ.
SAME_FRAG_ATTRIBUTES = ("fontName", "fontSize", "textColor", "rise", "us_lines", "link", "backColor", "nobr")
_NEVER_SAME = ("cbDefn", "lineBreak")
_ABSENT = object()


def same_frag(f: Any, g: Any) -> bool:
    """`sameFrag(f, g)` of `_rl_accel` (whether two paragraph fragments can share one run of text when a line
    is broken), the same answer without its cost: the C function looks up twelve attributes by C string, most
    of them absent, each raising and clearing an AttributeError (about 9 us a call, 1,100 calls a handout).

    For two `ParaFrag`s (whose class and `ABag` define none of these names, so an attribute is in the instance
    `__dict__` or absent) it reads the dictionaries: never the same if either has `cbDefn` or `lineBreak`;
    else the same when each attribute is absent from both or present in both and not `!=` (an absent one
    against a present one differs, as in C, where both lookups failing is the only 'equal' for absence).
    Anything else goes to the C function."""
    if type(f) is not ParaFrag or type(g) is not ParaFrag:
        return bool(sameFrag(f, g))
    a, b = f.__dict__, g.__dict__
    for name in _NEVER_SAME:
        if name in a or name in b:
            return False
    for name in SAME_FRAG_ATTRIBUTES:
        x, y = a.get(name, _ABSENT), b.get(name, _ABSENT)
        if x is y:
            continue
        if x is _ABSENT or y is _ABSENT or x != y:
            return False
    return True


def faster_same_frag() -> None:
    """`reportlab.platypus.paragraph.sameFrag` (a module global, read by `breakLines` and `_getFragWords` at each
    call) replaced by `same_frag`: about 7% of a distinct handout's CPU (tests/test_floor.py pins the answers)."""
    class_names = {name for cls in ParaFrag.__mro__ for name in vars(cls)}
    if class_names.isdisjoint((*SAME_FRAG_ATTRIBUTES, *_NEVER_SAME)):  # else a ReportLab unlike 5.1: keep C's
        paragraph.sameFrag = same_frag


def _clone(self: Any, **attr: Any) -> Any:
    """`ABag.clone` (`self.__class__(**self.__dict__)`, then the new attributes) without passing every attribute
    as a keyword: a new instance of the class with a copy of the attributes, in their order. For the classes
    `faster_clone` gives it to, whose instances `ABag.__init__` makes (it only updates `__dict__`)."""
    new = object.__new__(type(self))
    d = new.__dict__
    d.update(self.__dict__)
    if attr:
        d.update(attr)
    return new


#: The ABag classes whose clone is `_clone`: paragraph fragments and broken lines, copied for every run of text
#: on every line when lines are broken and when remembered lines are reused (about 1% of a distinct handout).
CLONED = (ParaFrag, paragraph.ParaLines, paragraph.FragLine)


def faster_clone() -> None:
    """`clone` of `CLONED` replaced by `_clone`, where a class makes its instances as ABag does (tests/test_floor.py
    pins the copies)."""
    from reportlab.lib.abag import ABag

    for cls in CLONED:
        if cls.clone is ABag.clone and cls.__init__ is ABag.__init__ and cls.__new__ is object.__new__:
            cls.clone = _clone  # type: ignore[method-assign]


# -- text drawing ------------------------------------------------------------------------
def split_string(font: Any, text: Any, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
    """`TTFont.splitString(text, doc)`: the text as (subset, codes) runs of the font's subsets in this
    document, giving each character it has not met before the next free code. Every line drawn goes
    through it, character by character in Python (about 14 us a line).

    A character's code, once given, never changes (`State.assignments` only grows), so when every
    character of the text has one below 256 the answer is the one run `(0, codes)`, made here in C:
    printable ASCII text, where the subset keeps ASCII's own codes (`asciiReadable`, checked once per
    document state: 32-126 each assigned itself) is its own codes; other text is looked up code by code
    (a no-break space is drawn as a space, as ReportLab does). Anything else (a character not met yet, a
    code above 255, no state yet) goes to ReportLab's own, which gives codes as before."""
    state = font.state.get(doc) if type(text) is str else None
    if state is not None:
        if not text:
            return []
        if text.isascii() and text.isprintable():
            readable = state.__dict__.get("_booklet_readable")
            if readable is None:
                assigned = state.assignments
                readable = state._booklet_readable = all(assigned.get(n) == n for n in range(32, 127))
            if readable:
                return [(0, text.encode("ascii"))]
        try:
            return [(0, bytes(map(state.assignments.__getitem__, map(ord, text.replace("\xa0", " ")))))]
        except (KeyError, ValueError):  # a character without a code yet, or a code in a later subset
            pass
    return REPORTLAB_SPLIT_STRING(font, text, doc, encoding)


REPORTLAB_SPLIT_STRING = TTFont.splitString


def faster_split_string() -> None:
    """`TTFont.splitString` replaced by `split_string` (tests/test_floor.py pins its answers)."""
    if TTFont.splitString is REPORTLAB_SPLIT_STRING:
        TTFont.splitString = split_string


# -- drawing (render's canvas) ----------------------------------------------------------
#: `Canvas.STATE_ATTRIBUTES`: what `saveState` saves (from the canvas's `__dict__`) and `restoreState` puts back.
STATE_ATTRIBUTES = tuple(Canvas.STATE_ATTRIBUTES)
_state_of = operator.itemgetter(*STATE_ATTRIBUTES)


class LeanCanvas(Canvas):
    """A `Canvas` whose graphics-state bookkeeping and text objects cost less, writing the same operators.

    Every flowable is drawn between `saveState` and `restoreState` with a `translate` (`Flowable.drawOn`),
    about 800 times a handout, and every line of text goes through `PDFTextObject._formatText`:

    - `push_state_stack`/`pop_state_stack` (used by `saveState`/`restoreState` and `beginForm`/`endForm`): the
      saved state is the tuple of the `STATE_ATTRIBUTES` values (one `itemgetter` call), not a dict built name by
      name; restoring puts the same values back. Only these two methods read `state_stack`;
    - `translate(dx, dy)` is `transform(1, 0, 0, 1, dx, dy)` with ReportLab's arithmetic written out (the
      same floats, signed zeros included); after a ' cm' (which ReportLab merges into it) it is ReportLab's;
    - `setFillColor(color)`: see there;
    - `stringWidth` through the widths paragraphs are measured with;
    - `beginText` makes a `LeanTextObject`.

    tests/test_floor.py pins each against ReportLab's (and every build of its BUILDS against ReportLab's own).
    """

    _currentMatrix: tuple[float, float, float, float, float, float]  # noqa: N815 - ReportLab's name

    def push_state_stack(self) -> None:
        d = self.__dict__
        self.state_stack.append(_state_of(d))
        d["_extgstate"] = d["_extgstate"].pushCopy()

    def pop_state_stack(self) -> None:
        self.__dict__.update(zip(STATE_ATTRIBUTES, self.state_stack.pop(), strict=False))

    def translate(self, dx: float, dy: float) -> None:
        code = self._code
        if (code and code[-1][-3:] == " cm") or not canvas_module.ENABLE_TRACKING \
                or type(self).transform is not _TRANSFORM:
            Canvas.translate(self, dx, dy)
            return
        a0, b0, c0, d0, e0, f0 = self._currentMatrix
        # Canvas.transform(a=1, b=0, c=0, d=1, e=dx, f=dy), term by term
        self._currentMatrix = (a0 * 1 + c0 * 0, b0 * 1 + d0 * 0, a0 * 0 + c0 * 1, b0 * 0 + d0 * 1,
                               a0 * dx + c0 * dy + e0, b0 * dx + d0 * dy + f0)
        code.append(f"{fp_str(1, 0, 0, 1, dx, dy)} cm")

    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> Any:
        return LeanTextObject(self, x, y, direction=direction)

    def stringWidth(self, text: Any, fontName: Any = None, fontSize: Any = None) -> float:
        # Canvas.stringWidth (the widths of the words of a paragraph with several styles, as it is drawn) through
        # the widths paragraphs are measured with (`memoise_string_widths`: the same answers, remembered).
        return paragraph.stringWidth(text, fontName or self._fontname, (fontSize, self._fontsize)[fontSize is None])

    def setFillColor(self, aColor: Any, alpha: Any = None) -> None:
        # `_PDFColorSetter.setFillColor` for a plain `Color` (every paragraph sets its text's): the same ' rg'
        # operator; then, as `setFillAlpha(color.alpha)` does for an alpha it would not change (the colour's
        # usual 1): the document's version raised for transparency, no ' gs' operator. Anything else: ReportLab's.
        if type(aColor) is not Color or alpha is not None or self._enforceColorSpace:
            super().setFillColor(aColor, alpha)
            return
        self._fillColorObj = aColor
        self._code.append(f"{fp_str((aColor.red, aColor.green, aColor.blue))} rg")
        a = getattr(aColor, "alpha", None)
        if a is None:
            return
        ext = self._extgstate
        if (type(a) is int or type(a) is float) and 0 <= a <= 1 and type(ext) is ExtGState \
                and a == ext._d.get("ca", ExtGState.defaults["ca"]) and type(self)._setFillAlpha is _SET_FILL_ALPHA:
            self._doc.ensureMinPdfVersion("transparency")
        else:
            self.setFillAlpha(a)


class LeanTextObject(PDFTextObject):
    """A `PDFTextObject` that formats text in a TrueType font without shaping more cheaply: the same operators.

    `_formatText` for such a font (every line booklet draws through ReportLab) is ReportLab's loop over
    `font.splitString`: a font and size operator for each run in a subset other than the current one, then the
    run, escaped, shown with Tj; ReportLab's own work around it (saving and restoring the object's code and
    position, which that loop never changes) is left out. Any other text or font goes to ReportLab's."""

    _curSubset: int  # noqa: N815 - ReportLab's name

    def _formatText(self, text: Any) -> str:
        font = _fonts.get(self._fontname) or getFont(self._fontname)
        if not font._dynamicFont or (isinstance(text, ShapedStr) and font.shapable):
            return PDFTextObject._formatText(self, text)
        canv = self._canvas
        doc = canv._doc
        escape = escapePDF if type(canv)._escape is _CANVAS_ESCAPE else canv._escape
        runs = font.splitString(text, doc)
        if len(runs) == 1 and runs[0][0] == self._curSubset:
            return f"({escape(runs[0][1])}) Tj"
        parts = []
        for subset, t in runs:
            if subset != self._curSubset:
                parts.append(_font_operator(canv, font, subset, self._fontsize, self._leading))
                self._curSubset = subset
            parts.append(f"({escape(t)}) Tj")
        return " ".join(parts)

    def _textOut(self, text: Any, TStar: int = 0) -> None:
        self._code.append(self._formatText(text) + " T*" if TStar else self._formatText(text))


#: ReportLab's own methods, which the lean ones stand for only where a class has not replaced them.
_CANVAS_ESCAPE = Canvas._escape
_SET_FILL_ALPHA = Canvas._setFillAlpha
_TRANSFORM = Canvas.transform


def _font_operator(canvas: Any, font: Any, subset: int, size: float, leading: float) -> str:
    """What `PDFTextObject._formatText` writes to switch to a subset of a TrueType font at a size and leading:
    `font.getSubsetInternalName(subset, doc)` (the first time, for a document, it names the font), then
    `fp_str` of the size and of the leading. Remembered per canvas (one document): the name of a subset never
    changes once given, and equal numbers are written alike."""
    known = canvas.__dict__.get("_booklet_font_operators")
    if known is None:
        known = canvas._booklet_font_operators = {}
    key = (font, subset, size, leading)
    op = known.get(key)
    if op is None:
        op = known[key] = f"{font.getSubsetInternalName(subset, canvas._doc)} {fp_str(size)} Tf {fp_str(leading)} TL"
    return op


def draw_left_aligned(para: Any) -> bool:
    """`Paragraph.drawPara()` for the common case, drawn as ReportLab draws it: a paragraph aligned left, without
    bullet, background, border, line offsets or right-to-left wrapping, in a class not named 'preformatted'.
    Returns False, having drawn nothing, for any other paragraph (then ReportLab's `drawPara` draws it).

    ReportLab's looks up all of the paragraph's options, then draws each line:

    - one style (`blPara.kind` 0: each line is (extra space, [words])), without underline or link:
      `_leftDrawParaLine` moves the cursor by the line's offset and back (no move when it is 0) and shows the
      words joined by spaces; here a line with no offset and no negative extra space (which sets word spacing)
      is shown directly;
    - several styles (kind 1: each line has its fragments as `words`): `_leftDrawParaLineX` and `_putFragLine`
      set each fragment's font, colour and rise where they change and show its text, and measure the fragments
      for what they draw after the text (underlines, link areas, backgrounds, trailing dots), which
      `_do_post_text` draws after each line; here a line with no offset and no negative extra space whose
      fragments have no callback, underline, link or background (and a paragraph with no trailing dots or
      'min'/'max' leading) has its fragments set and shown directly, nothing measured.

    Any other line goes to ReportLab's functions, with everything they read set up as `drawPara` sets it."""
    style = para.style
    bl = para.blPara
    kind = bl.kind
    if kind not in (0, 1) or style.alignment != TA_LEFT or para.bulletText or style.backColor \
            or (getattr(style, "borderColor", None) and getattr(style, "borderWidth", None)) \
            or style.wordWrap == "RTL" or hasattr(para, "_offsets") or "preformatted" in type(para).__name__.lower():
        return False
    lines = bl.lines
    if not lines:
        return True
    if kind == 0 and (bl.us_lines or bl.link):  # (ReportLab's reads them only when there are lines)
        return False
    canvas = para.canv
    leading = style.leading
    auto_leading = getattr(para, "autoLeading", getattr(style, "autoLeading", ""))
    offset = style.firstLineIndent + 0  # + _offsets[0], as ReportLab adds it
    canvas.saveState()
    if kind == 0:
        if auto_leading == "max":
            leading = max(leading, bl.ascent - bl.descent)
        elif auto_leading == "min":
            leading = bl.ascent - bl.descent
        cur_y = para.height - (bl.fontSize if paragraph.paraFontSizeHeightOffset
                               else getattr(bl, "ascent", bl.fontSize))
        canvas.setFillColor(bl.textColor)
        tx = para.beginText(style.leftIndent, cur_y)
        tx.preformatted = False
        word_wrap = style.wordWrap
        tx.direction = word_wrap + "-handled" if word_wrap == "LTR" else word_wrap
        tx.setFont(bl.fontName, bl.fontSize, leading)
        text_out = tx._textOut
        for extra, words in lines:
            if offset == 0 and extra > -1e-8:
                text_out(" ".join(words), 1)
            else:
                paragraph._leftDrawParaLine(tx, offset, extra, words)
            offset = 0
    else:
        tx = _draw_fragment_lines(para, canvas, style, lines, auto_leading, offset)
    canvas.drawText(tx)
    canvas.restoreState()
    return True


def _draw_fragment_lines(para: Any, canvas: Any, style: Any, lines: list[Any], auto_leading: Any,
                         offset: float) -> Any:
    """The lines of a paragraph of several styles (`draw_left_aligned`), in a text object set up as
    `Paragraph.drawPara` sets it up for them (returned, to be drawn)."""
    from types import MethodType

    from reportlab.lib.abag import ABag

    f = lines[0]
    cur_y = para.height - (f.fontSize if paragraph.paraFontSizeHeightOffset else getattr(f, "ascent", f.fontSize))
    tx = para.beginText(style.leftIndent, cur_y)
    tx.preformatted = False
    paragraph._setTXLineProps(tx, canvas, style)
    tx._do_line = MethodType(paragraph._do_line, tx)
    tx.direction = style.wordWrap
    xs = tx.XtraState = ABag()
    xs.textColor = None
    xs.backColor = None
    xs.rise = 0
    xs.backColors = []
    xs.us_lines = {}
    xs.links = {}
    xs.link = {}
    xs.leading = style.leading
    xs.leftIndent = style.leftIndent
    tx._leading = None
    tx._olb = None
    xs.cur_y = cur_y
    xs.f = f
    xs.style = style
    xs.autoLeading = auto_leading
    xs.paraWidth = para.width
    tx._fontname, tx._fontsize = None, None
    lean = auto_leading not in ("min", "max") and not getattr(style, "endDots", None)
    leading = xs.leading
    no_justify_last = not getattr(para, "_JustifyLast", False)
    last_words = style.justifyLastLine
    lim = len(lines) - 1
    for i, line in enumerate(lines):
        words = line.words
        if lean and offset == 0 and line.extraSpace > -1e-8 and not xs.backColor and all(
                not hasattr(w, "cbDefn") and not w.us_lines and not w.link and not getattr(w, "backColor", None)
                for w in words):
            # _leftDrawParaLineX(tx, 0, line) and _putFragLine for such a line: what they change, no more
            tx._x_offset = offset
            if tx._leading != leading:
                tx.setLeading(leading)
            for w in words:
                size = w.fontSize
                if (tx._fontname, tx._fontsize) != (w.fontName, size):
                    tx._setFont(w.fontName, size)
                color = w.textColor
                if xs.textColor != color:
                    xs.textColor = color
                    tx.setFillColor(color)
                rise = w.rise
                if xs.rise != rise:
                    xs.rise = rise
                    tx.setRise(rise)
                tx._textOut(w.text, w is words[-1])
            if xs.backColors or xs.links or xs.us_lines:
                paragraph._do_post_text(tx)
            else:  # what _do_post_text does with nothing to draw (and neither 'min' nor 'max' leading)
                xs.links = {}
                xs.cur_y -= xs.style.leading
        else:
            last = no_justify_last and i == lim
            if last and last_words and line.wordCount > last_words:
                last = False
            paragraph._leftDrawParaLineX(tx, offset, line, last)
            paragraph._do_post_text(tx)
        offset = 0
    return tx


# -- QR codes (booklet.flowables.QrCode) --------------------------------------------------
def qr_encoder() -> Any:
    """`reportlab.graphics.barcode.qrencoder`, ReportLab's QR encoder, loaded from its file on its own.

    Importing it the usual way runs its package's `__init__`, which imports every barcode widget and
    ReportLab's graphics library (shapes, widgets, a Data Matrix encoder): most of the cost of a first QR
    code. The encoder itself imports only `re` and `itertools`.
    """
    import importlib.util
    import sys
    from pathlib import Path

    name = "reportlab.graphics.barcode.qrencoder"
    module = sys.modules.get(name) or _QR_ENCODER.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(
            name, Path(reportlab.__file__).parent / "graphics" / "barcode" / "qrencoder.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _QR_ENCODER[name] = module
    return module


_QR_ENCODER: dict[str, Any] = {}


def qr_add_data(code: Any, data: str) -> None:
    """`code.addData(data)`: the first of ReportLab's encodings that takes the text (digits, upper-case letters
    and a few signs, Kanji, bytes). ASCII text is never Kanji (it encodes to single bytes in Shift JIS, which
    `QRKanji` refuses), so for it that encoding is not tried: trying it loads the Shift JIS codec (about 1 ms)."""
    if data.isascii():
        qrencoder = qr_encoder()
        for kind in (qrencoder.QRNumber, qrencoder.QRAlphaNum):
            try:
                code.addData(kind(data))
                return
            except ValueError:
                continue
        code.addData(qrencoder.QR8bitByte(data))
        return
    code.addData(data)


def qr_make(code: Any) -> None:
    """`QRCode.make()` (reportlab 5.1 `qrencoder`), the same matrix, with each mask pattern's penalty counted by
    `qr_lost_point` instead of `QRUtil.getLostPoint`, which walks the modules in Python (about three quarters of
    a QR code's time). `tests/test_floor.py` checks the two agree, and the matrices."""
    if code.version is None:
        code.version = code.calculate_version()
    best = lowest = 0
    for mask in range(8):  # as `QRCode.getBestMaskPattern`: the first mask with the lowest penalty
        code.makeImpl(True, mask)
        lost = qr_lost_point(code.modules)
        if mask == 0 or lowest > lost:
            lowest, best = lost, mask
    code.makeImpl(False, best)


#: Runs of five or more modules of one colour (rule 1), and the finder-like pattern of rule 3.
_QR_RUN = re.compile(rb"\x00{5,}|\x01{5,}")
_QR_FINDER_LIKE = bytes([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0])
_QR_BITS = bytes.maketrans(b"\x00\x01", b"01")


def qr_lost_point(modules: list[list[bool]]) -> int:
    """`QRUtil.getLostPoint(code)` for a code with these modules (rows of booleans), as ReportLab counts it:
    rule 1, each run of five or more alike in a row or a column, its length less 2; rule 2, 3 for each 2 x 2
    block alike; rule 3, 40 for each dark-light-dark-dark-dark-light-dark-light-light-light-light in a row (not
    in the last possible place), and none in a column (ReportLab compares a column's tuple with a list); rule 4,
    10 for each 5 % the dark share is away from half."""
    n = len(modules)
    rows = [bytes(row) for row in modules]
    columns = [bytes(column) for column in zip(*modules, strict=True)]
    runs = _QR_RUN.findall(b"\x02".join(rows + columns))
    lost = sum(map(len, runs)) - 2 * len(runs)
    bits = [int(row.translate(_QR_BITS), 2) for row in rows]
    pairs = (1 << (n - 1)) - 1  # the n - 1 places where a module and the next are side by side
    for upper, lower in itertools.pairwise(bits):
        alike = ~(upper ^ lower)  # each module is as the one below it
        lost += 3 * (alike & (alike >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    lost += 40 * sum(row[:n - 1].count(_QR_FINDER_LIKE) for row in rows)
    dark = sum(row.count(1) for row in rows)
    return lost + 10 * (abs(100 * dark // (n * n) - 50) // 5)


# -- shaped text (booklet.shaped) -------------------------------------------------------
def glyph_chars(font: Any) -> dict[int, list[int]]:
    """`TTFontFace.glyphToChar`: glyph id -> the character codes that draw it (the font's cmap, inverted)."""
    return font.face.glyphToChar


def add_glyph_code(font: Any, code: int, glyph: int, width: float) -> None:
    """Make character `code` draw `glyph` of a `TTFont`, `width` (1/1000 em) wide in the PDF's /Widths.

    ReportLab subsets and draws TrueType fonts by character only (`TTFont.splitString`; `makeSubset` reads
    `charToGlyph`, /Widths read `charWidths`, the ToUnicode map writes the code), with no public way to draw a
    glyph that has no character (ligatures, conjuncts, contextual forms). Its own shaping does the same
    (`TTFont.hbAddPrivate`, set up only inside `TTFont.hbFont`).
    """
    face = font.face
    face.charToGlyph[code] = glyph
    face.glyphToChar.setdefault(glyph, []).append(code)
    face.charWidths[code] = width


# -- per-process memos (booklet.memos) ----------------------------------------------------
#: The hooks below only ever return what ReportLab itself would compute from the same bytes; a memo is
#: anything with `get(key)` and `put(key, value, size)` (booklet.memos.BoundedMemo).
_MEMOISED: set[str] = set()


class _MemoZlib:
    """What `pdfdoc` sees as its `zlib` module: `compress(data)` of large data through a memo, the rest zlib's.

    `pdfdoc` compresses with `zlib.compress(data)` in two places: every stream with a /FlateDecode
    filter (`PDFStreamFilterZCompress.encode`: page contents, font programs, ToUnicode maps, forms) and
    a picture's pixels (`PDFImageXObject.loadImageFromSRC`). zlib gives the same bytes for the same input.
    """

    def __init__(self, memo: Any, min_size: int) -> None:
        import zlib

        self._zlib = zlib
        self._memo = memo
        self._min_size = min_size

    def compress(self, data: Any, *args: Any, **kwargs: Any) -> bytes:
        if args or kwargs or type(data) is not bytes or len(data) < self._min_size:
            return self._zlib.compress(data, *args, **kwargs)
        hit = self._memo.get(data)
        if hit is None:
            hit = self._memo.put(data, self._zlib.compress(data), len(data) * 2)
        return hit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zlib, name)


def faster_formatting() -> None:
    """`pdfdoc`'s formatting of PDF objects, which every object of every document goes through, without the
    work it repeats; the same bytes (tests/test_floor.py):

    - `format(element, document)`: the exact types it is mostly given (bytes, str, int, float) are told
      apart by one type check, not a chain of isinstance calls; anything else goes to ReportLab's own;
    - `pdfdocEnc(text)`: ASCII text encoded as ASCII, which is what the 'extpdfdoc' codec makes of it (but
      for the control characters it refuses), anything else by the codec's encoder, called directly;
    - `PDFName(name)`: a pure function of its text (dictionaries use the same few dozen keys), remembered;
    - `PDFIndirectObject` (what `PDFDocument.format` wraps each object in to write it: `12 0 obj ... endobj`):
      its header made as bytes, not as text sent through the codec (a tagged document has hundreds of objects).

    A personalised copy spends a third of its time saving its first pages: this takes 5% off a copy.
    """
    import codecs
    import functools

    if "formatting" in _MEMOISED:
        return
    format_any, codec_encode = pdfdoc.format, codecs.lookup("extpdfdoc").encode
    # The codec (a character map, about 50 ns a character) gives ASCII's bytes for ASCII text, but for the
    # control characters 0x18 to 0x1F, which it refuses: those, and anything not ASCII, go to it.
    refused = re.compile("[\x18-\x1f]").search

    def encode(x: str) -> bytes:
        if x.isascii() and refused(x) is None:
            return x.encode("ascii")
        return codec_encode(x)[0]  # type: ignore[no-any-return]

    def pdfdoc_enc(x: Any) -> Any:
        return encode(x) if isinstance(x, str) else x

    def format_element(element: Any, document: Any, toplevel: int = 0) -> Any:
        kind = type(element)
        if kind is bytes:
            return element
        if kind is str:
            return encode(element)
        if kind is int or kind is float:
            return encode(fp_str(element))
        return format_any(element, document, toplevel)

    class PDFIndirectObject(pdfdoc.PDFIndirectObject):
        def format(self, document: Any) -> bytes:
            n, v = document.idToObjectNumberAndVersion[self.name]  # (ints, from PDFDocument.Reference)
            document.encrypt.register(n, v)
            content = format_element(self.content, document, toplevel=1)
            return b"%d %d obj\n" % (n, v) + content + (b"" if content.endswith(b"\n") else b"\n") + b"endobj\n"

    REPORTLAB_FORMATTING.update(pdfdocEnc=pdfdoc.pdfdocEnc, format=format_any, PDFName=pdfdoc.PDFName,
                                PDFIndirectObject=pdfdoc.PDFIndirectObject)
    pdfdoc.pdfdocEnc = pdfdoc_enc
    pdfdoc.format = format_element
    pdfdoc.PDFName = functools.lru_cache(maxsize=4096)(pdfdoc.PDFName)
    pdfdoc.PDFIndirectObject = PDFIndirectObject  # type: ignore[misc]
    _MEMOISED.add("formatting")


#: ReportLab's own `pdfdoc` functions that `faster_formatting` replaced, by name (for the tests).
REPORTLAB_FORMATTING: dict[str, Any] = {}


def memoise_compression(memo: Any, min_size: int) -> None:
    """`pdfdoc.zlib` (the module `pdfdoc` compresses with) replaced by a `_MemoZlib`."""
    if "compression" not in _MEMOISED:
        pdfdoc.zlib = _MemoZlib(memo, min_size)  # type: ignore[assignment]
        _MEMOISED.add("compression")


def memoise_decoded_pictures(memo: Any) -> None:
    """`ImageReader.getRGBData` (decodes the picture: `Canvas.drawImage` names a picture by a digest of its
    pixels and `PDFImageXObject` compresses them, in every document) through a memo keyed by the encoded
    bytes the reader read (`ImageReader.fp`, a BytesIO holding the file or the bytes booklet gave it).
    Readers made from a Pillow image (which may have been changed since it was read) are left alone, and
    only pictures without an alpha channel are remembered (`_dataA`, a second reader, is then None):
    booklet flattens every picture onto white before it reaches ReportLab."""
    from reportlab.lib.utils import ImageReader, _isPILImage
    from reportlab.pdfgen import canvas as canvas_module

    if "pictures" in _MEMOISED:
        return
    init, decode, digester = ImageReader.__init__, ImageReader.getRGBData, canvas_module._digester
    #: The pixels a remembered picture's reader gave last (in this thread), and the digests of them with
    #: what `drawImage` puts after them (the mask's name), kept with the picture in the memo.
    last = threading.local()

    def __init__(self: Any, fileName: Any, ident: Any = None) -> None:  # noqa: N807 - the method it replaces
        init(self, fileName, ident)
        if not isinstance(fileName, ImageReader):  # (a reader made from a reader shares its __dict__)
            self._booklet_read = not _isPILImage(fileName)

    def getRGBData(self: Any) -> Any:
        fp = self.__dict__.get("fp")
        if self._data is not None or not self.__dict__.get("_booklet_read") or not isinstance(fp, io.BytesIO):
            return decode(self)
        key = fp.getvalue()
        hit = memo.get(key)
        if hit is not None:
            self.mode, self._data, digests = hit
            self._dataA = None
            last.pixels = self._data, digests
            return self._data
        data = decode(self)
        if self._dataA is None:
            digests = {}
            memo.put(key, (self.mode, data, digests), len(key) + len(data))
            last.pixels = data, digests
        return data

    def _digester(s: Any) -> str:
        """`drawImage` names a picture by the MD5 of its pixels and the mask's name, for every drawing of it
        (about 0.6 ms for a 400 KB logo): remembered for the pixels a remembered picture just gave."""
        found: tuple[bytes, dict[bytes, str]] | None = getattr(last, "pixels", None)
        if found is None or type(s) is not bytes or len(s) <= len(found[0]) or not s.startswith(found[0]):
            return digester(s)
        pixels, digests = found
        after = s[len(pixels):]
        digest = digests.get(after)
        if digest is None:
            digest = digests[after] = digester(s)
        return digest

    ImageReader.__init__ = __init__
    ImageReader.getRGBData = getRGBData
    canvas_module._digester = _digester
    _MEMOISED.add("pictures")


def memoise_subsets(memo: Any) -> None:
    """`TTFontFile.makeSubset(subset)` (the font program of one subset, cut again for every document) through a
    memo keyed by the face and the subset's characters in code order. Its result depends on those alone: the
    private-use codes `booklet.fonts.glyph_code` adds to a face always draw the same glyph."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    if "subsets" in _MEMOISED:
        return
    make = TTFontFile.makeSubset

    def makeSubset(self: Any, subset: Any) -> bytes:
        key = (self, tuple(subset))
        hit = memo.get(key)
        if hit is None:
            made = make(self, subset)
            hit = memo.put(key, made, len(made))
        return hit

    TTFontFile.makeSubset = makeSubset
    _MEMOISED.add("subsets")


# -- paragraph parsing ------------------------------------------------------------------
#: Markup the template path understands: a tag booklet makes (`<b>`, `<i>`, `<br/>`, `<font ...>`, `<a ...>`,
#: `<onDraw .../>`, their ends) or an entity; between them, text without '<' or '&'.
_MARKUP_TOKEN = re.compile(r"(<(?:/?(?:b|i|font|a)\b[^<>]*|br/|onDraw\b[^<>]*/)>|&#?\w+;)")
#: Private-use characters (plane 15) standing in for the texts of a skeleton, one per text.
_PLACEHOLDER = 0xF0000
NO_TEMPLATE = ("no template",)


def paragraph_skeleton(text: str) -> tuple[str, list[str]] | None:
    """Paragraph markup (cleaned as ReportLab cleans it) split into its skeleton, the markup with the n-th text
    between tags and entities replaced by one placeholder character, and those texts; None for markup with a
    tag booklet does not make, or a '<' or '&' that is not part of a tag or entity."""
    parts = _MARKUP_TOKEN.split(text)
    skeleton = []
    runs: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:
            skeleton.append(part)
        elif part:
            if "<" in part or "&" in part:
                return None
            skeleton.append(chr(_PLACEHOLDER + len(runs)))
            runs.append(part)
    return "".join(skeleton), runs


def parse_skeleton(skeleton: str, style: Any) -> Any:
    """ReportLab's parse of a skeleton (`paragraph_skeleton`) in a style, as a template: its fragments and, for
    each, the index of the text it carries (None: a fragment with text of its own, a `<br/>`'s or an entity's).
    `NO_TEMPLATE` when the parse is not one a template can stand for (an error, a bullet, a style changed by
    the markup, a placeholder not carried by exactly one fragment as its whole text)."""
    from reportlab.platypus.paraparser import ParaParser

    parser = ParaParser()
    parser.caseSensitive = 1  # as Paragraph._setup sets it from Paragraph(caseSensitive=1)
    try:
        parsed_style, frags, bullet_frags = parser.parse(skeleton, style)
    except Exception:  # the real parse raises it again, for the real text
        return NO_TEMPLATE
    if frags is None or bullet_frags or parsed_style is not style or any(type(f) is not ParaFrag for f in frags):
        return NO_TEMPLATE
    count = sum(1 for c in skeleton if ord(c) >= _PLACEHOLDER)
    slots = []
    for frag in frags:
        text = frag.__dict__.get("text")
        slot = ord(text) - _PLACEHOLDER if isinstance(text, str) and len(text) == 1 \
            and _PLACEHOLDER <= ord(text) < _PLACEHOLDER + count else None
        if slot is None and isinstance(text, str) and any(ord(c) >= _PLACEHOLDER for c in text):
            return NO_TEMPLATE
        slots.append(slot)
    if sorted(s for s in slots if s is not None) != list(range(count)):
        return NO_TEMPLATE
    return frags, slots


def fragments_from_template(template: Any, runs: list[str], style: Any) -> list[Any]:
    """The fragments ReportLab's parser makes for the markup `runs` came from: the template's, each a new
    `ParaFrag` with the same attributes (in the same order) and its text, then the style's text transform."""
    frags, slots = template
    made = [_clone(frag) if slot is None else _clone(frag, text=runs[slot])
            for frag, slot in zip(frags, slots, strict=True)]
    paragraph.textTransformFrags(made, style)
    return made


def clean_paragraph_text(text: str) -> str:
    """`cleanBlockQuotedText`: the text `Paragraph` parses (each line stripped, blank lines dropped, joined)."""
    return paragraph.cleanBlockQuotedText(text)
