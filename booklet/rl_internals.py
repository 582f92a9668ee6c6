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
from typing import Any

import reportlab
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import paragraph
from reportlab.platypus.flowables import DDIndenter, LIIndenter, ListFlowable, _ContainerSpace

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
    """`ListFlowable._makeLIIndenter`: the one place a list wraps an item and its bullet.

    booklet's tagged list overrides it to put each item's label (`BulletDrawer`)
    and body in Lbl and LBody elements; the bullet is drawn by
    `LIIndenter.drawOn` as `bullet.drawOn(indenter, canv, x, y, 0)`.
    """
    return ListFlowable._makeLIIndenter(lst, flowable, bullet, params)


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
    `extractInfo`; `tests/test_fonts.py` checks that every attribute matches a parsed font.
    """
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTEncoding, TTFNameBytes, TTFont, TTFontFace, TTFontParser

    face = TTFontFace.__new__(TTFontFace)
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
    items = iter(arrays)
    for key, _, second in FACE_ARRAYS:
        if key == "hmetricsInt":
            continue
        first = next(items).tolist()
        if not second:
            setattr(face, key, first)
        elif key == "hmetrics":
            advances, sides, ints = first, next(items).tolist(), next(items).tolist()
            setattr(face, key, [(int(a) if i else a, b) for a, b, i in zip(advances, sides, ints, strict=False)])
        elif key == "glyphToChar":
            glyphs: dict[int, list[int]] = {}
            for glyph, char in zip(first, next(items).tolist(), strict=False):
                glyphs.setdefault(glyph, []).append(char)
            setattr(face, key, glyphs)
        else:
            setattr(face, key, dict(zip(first, next(items).tolist(), strict=False)))
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
    """Let `reportlab.platypus.paragraph` (which imported `stringWidth` as a module global) measure
    through a bounded cache. The width of a string in a registered font at a size never changes:
    booklet registers each font file under a name derived from its contents."""
    from functools import lru_cache

    from reportlab.pdfbase import pdfmetrics

    if not hasattr(paragraph.stringWidth, "cache_info"):
        paragraph.stringWidth = lru_cache(maxsize=WIDTH_MEMO_SIZE)(pdfmetrics.stringWidth)


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
