"""Tests for saddle-stitch imposition, combining and atomic output."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A3, A4, A5, landscape, letter
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from booklet import impose, output
from booklet.errors import BookletError
from booklet.impose import combine, impose_file, impose_saddle_stitch, sheet_order
from booklet.output import write_atomic

FONT = Path(__file__).resolve().parent.parent / "booklet" / "fonts" / "DejaVuSans.ttf"
HALF_LETTER = (5.5 * 72, 8.5 * 72)


def make_booklet(n: int, size: tuple[float, float] = A5, title: str = "Test booklet") -> bytes:
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT)))
    buf = io.BytesIO()
    # initialFontName keeps ReportLab from listing an unused Helvetica
    c = canvas.Canvas(buf, pagesize=size, invariant=1, initialFontName="DejaVuSans")
    c.setTitle(title)
    for i in range(1, n + 1):
        c.setFont("DejaVuSans", 14)
        c.drawCentredString(size[0] / 2, size[1] / 2, f"Page {i}")
        c.showPage()
    c.save()
    return buf.getvalue()


def halves(pdf: bytes) -> list[tuple[str, str]]:
    """Text of the left and right half of every sheet side."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            w, h = page.width, page.height
            left = page.within_bbox((0, 0, w / 2, h)).extract_text() or ""
            right = page.within_bbox((w / 2, 0, w, h)).extract_text() or ""
            out.append((left.strip(), right.strip()))
    return out


def expected(n: int, real: int) -> list[tuple[str, str]]:
    name = lambda p: f"Page {p}" if p <= real else ""  # noqa: E731
    return [(name(a), name(b)) for a, b in sheet_order(n)]


def fonts(pdf: bytes) -> set[str]:
    """Fonts used by every page, including those of the form XObjects imposed pages are placed as."""
    names = set()

    def walk(resources) -> None:  # type: ignore[no-untyped-def]
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return names


def test_sheet_order_for_8_pages():
    assert sheet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]


@pytest.mark.parametrize(("pages", "padded"), [(8, 8), (4, 4), (12, 12)])
def test_a5_pages_land_on_a4_landscape_in_saddle_order(pages, padded):
    out = impose_saddle_stitch(make_booklet(pages))
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == padded // 2
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(842, abs=1)
        assert float(page.mediabox.height) == pytest.approx(595, abs=1)
        assert page.rotation == 0
    assert halves(out) == expected(padded, pages)


def test_half_letter_gives_letter_landscape():
    out = impose_saddle_stitch(make_booklet(8, HALF_LETTER))
    page = PdfReader(io.BytesIO(out)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(letter[::-1])
    assert halves(out) == expected(8, 8)


def test_a5_pair_is_centred_on_a4_with_the_seam_at_the_fold():
    out = impose_saddle_stitch(make_booklet(4))
    with pdfplumber.open(io.BytesIO(out)) as doc:
        page = doc.pages[0]
        assert (page.width, page.height) == pytest.approx(landscape(A4))
        fold = page.width / 2
        # "Page N" is centred on its own page: a quarter of a page width from the fold
        left = [ch for ch in page.chars if ch["x1"] <= fold]
        right = [ch for ch in page.chars if ch["x0"] >= fold]
        mid = lambda chars: (min(c["x0"] for c in chars) + max(c["x1"] for c in chars)) / 2  # noqa: E731
        assert fold - mid(left) == pytest.approx(A5[0] / 2, abs=0.5)
        assert mid(right) - fold == pytest.approx(A5[0] / 2, abs=0.5)


def test_a4_pages_land_on_a3_landscape():
    out = impose_saddle_stitch(make_booklet(4, A4))
    page = PdfReader(io.BytesIO(out)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(landscape(A3))
    assert halves(out) == expected(4, 4)


def test_output_is_deterministic_and_keeps_title():
    src = make_booklet(8)
    first, second = impose_saddle_stitch(src), impose_saddle_stitch(src)
    assert first == second
    assert impose_saddle_stitch(src, marks=True) == impose_saddle_stitch(src, marks=True)
    assert PdfReader(io.BytesIO(first)).metadata.title == "Test booklet"


def test_marks_draw_fold_ticks_without_new_fonts():
    src = make_booklet(8)
    plain, marked = impose_saddle_stitch(src), impose_saddle_stitch(src, marks=True)
    assert fonts(marked) == fonts(src) == fonts(plain)
    assert not any("Helvetica" in f for f in fonts(marked))
    with pdfplumber.open(io.BytesIO(marked)) as doc:
        for page in doc.pages:
            ticks = [ln for ln in page.lines if ln["x0"] == pytest.approx(page.width / 2, abs=0.1)]
            assert len(ticks) == 2
            assert sorted(round(t["top"], 1) for t in ticks) == [0, round(page.height - impose._TICK, 1)]
    with pdfplumber.open(io.BytesIO(plain)) as doc:
        assert not doc.pages[0].lines
    assert halves(marked) == expected(8, 8)


def test_combine_two_plain_six_page_booklets():
    out = combine([make_booklet(6), make_booklet(6)])
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == 12
    texts = [(p.extract_text() or "").strip() for p in reader.pages]
    assert texts == [f"Page {i}" for i in range(1, 7)] * 2


def test_combine_odd_booklets_start_each_copy_on_a_new_sheet():
    out = combine([make_booklet(3), make_booklet(3)])
    texts = [(p.extract_text() or "").strip() for p in PdfReader(io.BytesIO(out)).pages]
    assert texts == ["Page 1", "Page 2", "Page 3", "", "Page 1", "Page 2", "Page 3"]


def test_combine_imposed_copies():
    one = impose_saddle_stitch(make_booklet(8))
    out = combine([one, one])
    assert halves(out) == expected(8, 8) * 2


def test_write_atomic_writes_and_replaces(tmp_path):
    dst = tmp_path / "out.pdf"
    write_atomic(dst, b"first")
    assert dst.read_bytes() == b"first"
    write_atomic(dst, b"second")
    assert dst.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_write_atomic_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    dst = tmp_path / "out.pdf"
    dst.write_bytes(b"old")

    def broken_replace(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    with pytest.raises(BookletError) as err:
        write_atomic(dst, b"new")
    assert str(dst) in str(err.value)
    assert dst.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_write_atomic_to_a_folder(tmp_path):
    with pytest.raises(BookletError, match="the output path is a folder") as err:
        write_atomic(tmp_path, b"x")
    assert str(tmp_path) in str(err.value)


def test_write_atomic_missing_parent(tmp_path):
    dst = tmp_path / "nowhere" / "out.pdf"
    with pytest.raises(BookletError, match="does not exist") as err:
        write_atomic(dst, b"x")
    assert str(dst) in str(err.value)
    assert not dst.parent.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_write_atomic_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(BookletError, match="permission denied"):
            write_atomic(folder / "out.pdf", b"x")
    finally:
        folder.chmod(0o755)


def test_write_atomic_permission_denied_names_the_path(tmp_path, monkeypatch):
    def denied(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkstemp", denied)
    dst = tmp_path / "out.pdf"
    with pytest.raises(BookletError, match="permission denied") as err:
        write_atomic(dst, b"x")
    assert str(dst) in str(err.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_write_atomic_new_file_gets_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out.pdf", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.pdf").stat().st_mode & 0o777 == 0o644


def test_impose_file_round_trip(tmp_path):
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(make_booklet(4))
    impose_file(src, dst, marks=True)
    assert halves(dst.read_bytes()) == expected(4, 4)


def test_impose_file_not_a_pdf(tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("not a pdf at all\n")
    with pytest.raises(BookletError, match="not a PDF") as err:
        impose_file(src, tmp_path / "out.pdf")
    assert str(src) in str(err.value)
    assert not (tmp_path / "out.pdf").exists()


def test_impose_file_missing(tmp_path):
    src = tmp_path / "missing.pdf"
    with pytest.raises(BookletError, match="does not exist") as err:
        impose_file(src, tmp_path / "out.pdf")
    assert str(src) in str(err.value)


def test_impose_file_encrypted(tmp_path):
    writer = PdfWriter(clone_from=io.BytesIO(make_booklet(4)))
    writer.encrypt("secret")
    src = tmp_path / "locked.pdf"
    with src.open("wb") as f:
        writer.write(f)
    with pytest.raises(BookletError, match="encrypted") as err:
        impose_file(src, tmp_path / "out.pdf")
    assert str(src) in str(err.value)


def test_mixed_page_sizes_are_refused():
    writer = PdfWriter(clone_from=io.BytesIO(make_booklet(2)))
    writer.add_blank_page(width=100, height=100)
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(BookletError, match="page 3"):
        impose_saddle_stitch(buf.getvalue())


def test_rotated_pages_are_imposed_as_displayed():
    writer = PdfWriter(clone_from=io.BytesIO(make_booklet(4, landscape(A5))))
    for page in writer.pages:
        page.rotate(90)  # shown portrait, like an A5 page
    buf = io.BytesIO()
    writer.write(buf)
    out = impose_saddle_stitch(buf.getvalue())
    page = PdfReader(io.BytesIO(out)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(landscape(A4))
    squash = lambda sides: [tuple("".join(t.split()) for t in side) for side in sides]  # noqa: E731
    assert squash(halves(out)) == squash(expected(4, 4))


# -- only a booklet is imposed (#14) ---------------------------------------------------
NOT_A_BOOKLET = ("  hint: impose only a booklet made by 'booklet build'; print a summary, a page already imposed "
                 "and any other PDF as it is")


@pytest.mark.parametrize(("count", "size", "message"), [
    pytest.param(1, A4, "the PDF has 1 page, but a booklet has a multiple of 4 (4, 8, 12, ...): it is folded "
                 "from sheets printed on both sides", id="one-page-a4-summary"),
    pytest.param(6, A5, "the PDF has 6 pages, but a booklet has a multiple of 4 (4, 8, 12, ...): it is folded "
                 "from sheets printed on both sides", id="six-a5-pages"),
    pytest.param(4, landscape(A4), "the pages are 297 x 210 mm (A4 landscape), but booklet pages are A5 or "
                 "half-letter (A4 or Letter in large print), upright", id="sheets-already-imposed"),
    pytest.param(4, A3, "the pages are 297 x 420 mm (A3), but booklet pages are A5 or half-letter "
                 "(A4 or Letter in large print), upright", id="a3-pages"),
    pytest.param(4, (100 * mm, 100 * mm), "the pages are 100 x 100 mm, but booklet pages are A5 or half-letter "
                 "(A4 or Letter in large print), upright", id="odd-size"),
])
def test_impose_refuses_a_pdf_that_is_not_a_booklet(tmp_path, run_cli, count, size, message):
    src = tmp_path / "summary.pdf"
    src.write_bytes(make_booklet(count, size))
    code, _, err = run_cli("impose", src, "-o", tmp_path / "sheets.pdf")
    assert code == 2
    assert err == f"{src}: error: {message}\n{NOT_A_BOOKLET}\n"
    assert not (tmp_path / "sheets.pdf").exists()


def test_impose_takes_a_large_print_booklet_onto_a3(tmp_path, run_cli):
    src = tmp_path / "large-print.pdf"
    src.write_bytes(make_booklet(8, A4))
    code, _, _ = run_cli("impose", src, "-o", tmp_path / "sheets.pdf")
    assert code == 0
    assert len(PdfReader(tmp_path / "sheets.pdf").pages) == 4
