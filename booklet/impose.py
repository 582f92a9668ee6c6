"""Imposes booklet pages onto printer sheets for saddle-stitch binding.

Each sheet is landscape, two booklet pages wide and one page high (A5 pages
go on A4, half-letter on Letter, A4 on A3, Letter on 17x11 in). Pages are
placed unscaled, edge to edge, so the printed sheets fold in the middle to
give a booklet of the original page size. A page pair up to 3 mm smaller
than a standard sheet is centred on that sheet, so that printers get a size
they stock: two A5 pages are 296 x 210 mm, A4 is 297 x 210 mm.

Duplex orientation: print the sheets double-sided with "flip on short edge".
Seen in landscape, the short edges are the left and right ones, so the sheet
turns over about a vertical axis. That keeps top at top and swaps left with
right: the back of the front's right half is the back side's left half. So
the back side needs no 180-degree rotation, and the page printed behind page
1 (front, right) is page 2 (back, left), which is the 8|1 then 2|7 pairing
used here. (With "flip on long edge" the sheet turns about a horizontal axis
and every back side would come out upside down.)

A booklet that reads right to left (Arabic, Hebrew, Persian, Urdu: its PDF says
/ViewerPreferences /Direction /R2L, as `booklet build` writes for those) is bound
on the right: it opens the other way, so each sheet side has its halves swapped
(the cover on the left of the outer sheet's front, 1|8, then 7|2 behind it).

Only a booklet is imposed: upright pages of a size `booklet build` makes (A5 or
half-letter; A4 or Letter for large print) and a multiple of 4 of them, so that
the back cover is on the outside. Anything else (a one-page summary, sheets
already imposed) is refused with a message saying what is expected.

Marks: pages meet at the fold with no bleed or margin beyond the page, so
crop and corner marks are not possible; `marks=True` draws only short grey
fold ticks at the top and bottom of the centre line.

Pages are placed by their TrimBox (the MediaBox when there is none) and
clipped to it. So a PDF made for a print shop (`booklet build --bleed 3mm
--marks`) imposes exactly like the same booklet without them: the bleed and
the crop marks are cut away, and the sheets are the standard size.

Output is deterministic: the same input bytes give the same output bytes
(no /ID, no new dates); the input's document info (Title etc.) is kept.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A3, A4, A5, TABLOID, landscape, legal, letter
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from booklet.errors import BookletError
from booklet.output import write_atomic

_TICK = 5 * mm  # length of the fold ticks
_SAME_SIZE = 0.5  # points of tolerance when comparing page sizes
_TEXT_OPS = {b"BT", b"ET", b"Tf", b"TL"}
#: Standard landscape sheets. A page pair up to _SNAP smaller than one of them
#: is centred on it: two A5 pages are 296 mm wide but A4 is 297 mm.
_SHEETS = [landscape(size) for size in (A5, A4, A3, letter, legal, TABLOID)]
_SNAP = 3 * mm
HALF_LETTER = (letter[1] / 2, letter[0])
#: The page sizes `booklet build` makes: A5 and half-letter, A4 and Letter in large print (on A3 / tabloid).
BOOKLET_PAGES = (A5, HALF_LETTER, A4, letter)
_PAPER_NAMES = {"A5": A5, "half-letter": HALF_LETTER, "A4": A4, "Letter": letter, "A3": A3, "Legal": legal,
                "Tabloid": TABLOID}


def impose_saddle_stitch(pdf: bytes, *, marks: bool = False) -> bytes:
    """Return a PDF of printer sheet sides (front, back, front, ...) for `pdf`."""
    return _impose(_read(pdf, "<input PDF>"), marks, "<input PDF>")


def impose_file(src: Path, dst: Path, *, marks: bool = False) -> None:
    """Impose the booklet in `src` and write the sheets to `dst` atomically."""
    src = Path(src)
    try:
        data = src.read_bytes()
    except FileNotFoundError:
        raise BookletError.at(src, "the file does not exist", "check the file name and folder") from None
    except IsADirectoryError:
        raise BookletError.at(src, "this is a folder, not a PDF file", "give the path of the booklet PDF") from None
    except OSError as exc:
        raise BookletError.at(src, f"cannot read the file: {exc.strerror or exc}",
                              "check that you may read it") from None
    write_atomic(Path(dst), _impose(_read(data, src), marks, src))


def combine(pdfs: list[bytes]) -> bytes:
    """Concatenate PDFs so that each one starts on a new sheet.

    Imposed PDFs always have an even number of sheet sides. A plain booklet
    with an odd page count gets one blank page after it, so the next copy
    starts on the front of a new sheet when printed duplex.
    """
    if not pdfs:
        raise BookletError.at("<input PDFs>", "there are no PDFs to combine", "give at least one PDF")
    readers = [_read(data, f"<input PDF {i}>") for i, data in enumerate(pdfs, 1)]
    writer = PdfWriter()
    for i, reader in enumerate(readers):
        for page in reader.pages:
            writer.add_page(page)
        if len(reader.pages) % 2 and i < len(readers) - 1:
            last = reader.pages[-1].mediabox
            writer.add_blank_page(width=last.width, height=last.height)
    _keep_info(reader=readers[0], writer=writer)
    return _write(writer)


def sheet_order(n: int, right_to_left: bool = False) -> list[tuple[int, int]]:
    """1-based (left, right) page pairs per sheet side; `n` is a multiple of 4. A right-to-left booklet is
    bound on the right: the same pairs, each the other way round."""
    sides = []
    for s in range(n // 4):
        sides.append((n - 2 * s, 2 * s + 1))  # front
        sides.append((2 * s + 2, n - 2 * s - 1))  # back
    return [(right, left) for left, right in sides] if right_to_left else sides


def reads_right_to_left(reader: PdfReader) -> bool:
    """The document says it reads right to left (/ViewerPreferences /Direction /R2L)."""
    try:
        preferences = reader.root_object.get("/ViewerPreferences")
        return preferences is not None and preferences.get_object().get("/Direction") == "/R2L"
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _read(data: bytes, name: str | Path) -> PdfReader:
    if b"%PDF-" not in data[:1024]:
        raise BookletError.at(name, "this is not a PDF file", "give the booklet PDF, not another kind of file")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BookletError.at(name, "the PDF is encrypted", "save a copy without a password or restrictions")
        if len(reader.pages) == 0:
            raise BookletError.at(name, "the PDF has no pages", "give a booklet with at least one page")
        for page in reader.pages:  # touch every page so damage shows up here
            _ = page.trimbox
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BookletError.at(name, f"the PDF is damaged and cannot be read ({exc})",
                              "make the booklet PDF again") from None
    return reader


def _impose(reader: PdfReader, marks: bool, name: str | Path) -> bytes:
    pages = list(reader.pages)
    if any(page.rotation for page in pages):  # make /Rotate part of the content
        pages = list(PdfWriter(clone_from=reader).pages)
        for page in pages:
            page.transfer_rotation_to_content()
    width, height = float(pages[0].trimbox.width), float(pages[0].trimbox.height)
    for number, page in enumerate(pages, 1):
        box = page.trimbox
        if abs(float(box.width) - width) > _SAME_SIZE or abs(float(box.height) - height) > _SAME_SIZE:
            raise BookletError.at(
                name,
                f"page {number} is {float(box.width):.0f}x{float(box.height):.0f} pt, "
                f"page 1 is {width:.0f}x{height:.0f} pt",
                "every page of a booklet must have the same size",
            )
    _check_booklet(len(pages), width, height, name)
    n = len(pages)
    sheet_w, sheet_h = _sheet_size(2 * width, height)
    dx, dy = (sheet_w - 2 * width) / 2, (sheet_h - height) / 2
    overlay = _fold_ticks(sheet_w, sheet_h) if marks else None
    writer = PdfWriter()
    for left, right in sheet_order(n, reads_right_to_left(reader)):
        sheet = writer.add_blank_page(width=sheet_w, height=sheet_h)
        placed = DictionaryObject()
        drawing = []
        for number, x in ((left, dx), (right, dx + width)):
            if number <= len(pages):  # beyond that: a blank padding page
                page = pages[number - 1]
                box = page.trimbox
                tx, ty = x - float(box.left), dy - float(box.bottom)
                form = NameObject(f"/Page{number}")
                placed[form] = _as_form(writer, page)
                drawing.append(f"q 1 0 0 1 {_number(tx)} {_number(ty)} cm {form} Do Q")
                _move_annotations(writer, page, sheet, Transformation().translate(tx, ty))
        sheet[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): placed})
        sheet[NameObject("/Contents")] = _stream(writer, "\n".join(drawing).encode("ascii"))
        if overlay is not None:
            sheet.merge_page(overlay)
    _keep_info(reader=reader, writer=writer)
    return _write(writer)


def _check_booklet(count: int, width: float, height: float, name: str | Path) -> None:
    """Only a booklet is imposed: a summary or sheets already imposed would come out as nonsense."""
    if not any(abs(width - w) <= _SAME_SIZE * 2 and abs(height - h) <= _SAME_SIZE * 2 for w, h in BOOKLET_PAGES):
        raise BookletError.at(
            name, f"the pages are {_size_name(width, height)}, but booklet pages are A5 or half-letter "
                  "(A4 or Letter in large print), upright", _NOT_A_BOOKLET)
    if count % 4:
        raise BookletError.at(
            name, f"the PDF has {count} page{'s' if count != 1 else ''}, but a booklet has a multiple of 4 "
                  "(4, 8, 12, ...): it is folded from sheets printed on both sides", _NOT_A_BOOKLET)


_NOT_A_BOOKLET = ("impose only a booklet made by 'booklet build'; print a summary, a page already "
                  "imposed and any other PDF as it is")


def _size_name(width: float, height: float) -> str:
    """A page size in words, for messages: '210 x 297 mm (A4)'."""
    shown = f"{width / mm:.0f} x {height / mm:.0f} mm"
    for label, (w, h) in _PAPER_NAMES.items():
        if abs(width - w) <= 2 and abs(height - h) <= 2:
            return f"{shown} ({label})"
        if abs(width - h) <= 2 and abs(height - w) <= 2:
            return f"{shown} ({label} landscape)"
    return shown


# Each booklet page is placed as a form XObject: its content stream is copied as it is,
# with its own resources, clipped to its trim box. Merging page content instead
# (pypdf's merge_transformed_page) parses and rewrites every content stream to rename
# resources, which took ten times as long as rendering the booklet.
def _as_form(writer: PdfWriter, page: PageObject) -> IndirectObject:
    box = page.trimbox
    contents = page.get_contents()
    form = DecodedStreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in (box.left, box.bottom, box.right, box.top))
    resources = page.get("/Resources")
    if resources is not None:
        form[NameObject("/Resources")] = resources.get_object().clone(writer)
    return writer._add_object(form.flate_encode())  # pypdf has no public way to add a new stream


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream.flate_encode())


def _move_annotations(writer: PdfWriter, page: PageObject, sheet: PageObject, move: Transformation) -> None:
    """Copy the page's annotations (links) onto the sheet, moved with the page."""
    annotations = page.get("/Annots")
    if annotations is None or not isinstance(annotations.get_object(), ArrayObject):
        return
    on_sheet = sheet.get("/Annots")
    if on_sheet is None:
        on_sheet = sheet[NameObject("/Annots")] = ArrayObject()
    for annotation in annotations.get_object():
        original = annotation.get_object()
        copy = original.clone(writer, ignore_fields=("/P", "/StructParent", "/Parent"), force_duplicate=True)
        x0, y0, x1, y1 = (float(v) for v in original["/Rect"])
        (a, b), (c, d) = move.apply_on((x0, y0)), move.apply_on((x1, y1))
        copy[NameObject("/Rect")] = ArrayObject(FloatObject(v) for v in (min(a, c), min(b, d), max(a, c), max(b, d)))
        copy[NameObject("/P")] = sheet.indirect_reference
        on_sheet.append(copy.indirect_reference or writer._add_object(copy))


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _sheet_size(width: float, height: float) -> tuple[float, float]:
    """The standard sheet that a page pair fits with under _SNAP to spare, else the pair itself."""
    for w, h in _SHEETS:
        if -_SAME_SIZE <= w - width <= _SNAP and -_SAME_SIZE <= h - height <= _SNAP:
            return w, h
    return width, height


def _fold_ticks(width: float, height: float) -> PageObject:
    """A page with short grey dashed ticks at the centre of the top and bottom edges."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height), invariant=1)
    c.setLineWidth(0.3)
    c.setStrokeGray(0.5)
    c.setDash(2, 1.5)
    c.line(width / 2, 0, width / 2, _TICK)
    c.line(width / 2, height - _TICK, width / 2, height)
    c.showPage()
    c.save()
    page = PdfWriter(clone_from=io.BytesIO(buf.getvalue())).pages[0]
    # ReportLab always selects Helvetica (BT /F1 12 Tf ET) and lists it as a
    # resource; the ticks use no text, so drop both and no font gets merged.
    content = ContentStream(page.get_contents(), page.pdf)
    content.operations = [op for op in content.operations if op[1] not in _TEXT_OPS]
    page.replace_contents(content)
    resources: Any = page["/Resources"].get_object()
    if "/Font" in resources:
        del resources[NameObject("/Font")]
    return page


def _keep_info(*, reader: PdfReader, writer: PdfWriter) -> None:
    info: Any = reader.metadata or {}
    text = {k: v for k, v in info.items() if k != "/Producer" and isinstance(v.get_object(), TextStringObject)}
    if text:
        writer.add_metadata(text)


def _write(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
