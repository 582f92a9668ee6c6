"""Print-ready pages (issue #11, parts 10 and 11): bleed, trim and bleed boxes, crop marks, nothing but
colour within 5 mm of the trim, imposition of a bled PDF, and a warning for an expired handout."""

from __future__ import annotations

import datetime as dt
import functools
import io
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import EXAMPLE, RIVERSIDE, assert_verapdf_ua1, page_texts_of
from test_tagging import marked_content_problems

from booklet import api
from booklet.bleed import MARK_LENGTH, PrintSetup, parse_bleed
from booklet.errors import BookletError
from booklet.impose import impose_saddle_stitch

MM = 72 / 25.4
BLEED = 3 * MM
VARIANTS = ("booklet", "large-print", "summary", "large-print-summary")
#: Trim sizes: the booklet folds A4 to A5 (Letter to half-letter); the rest are whole sheets.
TRIM = {("booklet", "a4"): (419.53, 595.28), ("booklet", "letter"): (396.0, 612.0),
        ("a4",): (595.28, 841.89), ("letter",): (612.0, 792.0)}


def trim_of(variant: str, paper: str) -> tuple[float, float]:
    return TRIM.get((variant, paper)) or TRIM[(paper,)]


@functools.cache
def built(variant: str = "booklet", paper: str = "a4", bleed: float = 0.0, marks: bool = False,
          pdfua: bool = False) -> bytes:
    handout, clinic = api.load(EXAMPLE, RIVERSIDE)
    prepared = api.prepare(handout, clinic, variant, paper)
    return api.render_prepared(prepared, bleed=bleed, marks=marks, pdfua=pdfua).pdf


def boxes(pdf: bytes) -> list[dict[str, list[float]]]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [{name: [round(float(v), 2) for v in page.obj[f"/{name}"]]
                 for name in ("MediaBox", "TrimBox", "BleedBox") if f"/{name}" in page.obj}
                for page in doc.pages]


def flat(rows) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(v) for row in rows for v in row]


def plumbed(pdf: bytes):  # type: ignore[no-untyped-def]
    import pdfplumber

    return pdfplumber.open(io.BytesIO(pdf))


# -- the option --------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "points"), [
    (None, 0.0), ("0", 0.0), ("0mm", 0.0), ("3mm", 3 * MM), ("0.125in", 9.0), ("9pt", 9.0), (" 3 mm ", 3 * MM),
    ("10mm", 10 * MM), ("1cm", 10 * MM),
])
def test_bleed_lengths(text: str | None, points: float) -> None:
    assert parse_bleed(text) == pytest.approx(points)


@pytest.mark.parametrize(("text", "expected"), [
    ("-3mm", "--bleed: error: the bleed cannot be negative ('-3mm')\n"
             "  hint: print shops usually ask for 3mm (0.125in)"),
    ("11mm", "--bleed: error: a bleed of 11mm is more than any print shop asks for (at most 10mm)\n"
             "  hint: print shops usually ask for 3mm (0.125in); check the number and the unit"),
    ("3in", "--bleed: error: a bleed of 3in is more than any print shop asks for (at most 10mm)\n"
            "  hint: print shops usually ask for 3mm (0.125in); check the number and the unit"),
    ("3", "--bleed: error: the bleed '3' has no unit\n  hint: write it with its unit, like 3mm, 0.125in or 9pt"),
    ("three", "--bleed: error: 'three' is not a length\n  hint: write it with its unit, like 3mm, 0.125in or 9pt"),
    ("3px", "--bleed: error: '3px' is not a length\n  hint: write it with its unit, like 3mm, 0.125in or 9pt"),
])
def test_silly_bleeds_are_refused(text: str, expected: str) -> None:
    with pytest.raises(BookletError) as info:
        parse_bleed(text)
    assert str(info.value) == expected


def test_a_refused_bleed_on_the_command_line_writes_nothing(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "b.pdf"
    code, stdout, err = run_cli("build", EXAMPLE, "--bleed", "30mm", "-o", out)
    assert (code, stdout) == (2, "")
    assert err.startswith("--bleed: error: a bleed of 30mm is more than any print shop asks for")
    assert not out.exists()


# -- boxes and the bleed ------------------------------------------------------------------------
def test_without_bleed_the_page_is_the_trim_and_has_no_print_boxes() -> None:
    w, h = trim_of("booklet", "a4")
    assert {tuple(map(tuple, b.items())) for b in map(lambda b: {k: tuple(v) for k, v in b.items()},
                                                               boxes(built()))} == {
        (("MediaBox", (0.0, 0.0, w, h)),)}


@pytest.mark.parametrize(("variant", "paper"), [("booklet", "a4"), ("summary", "letter")])
def test_bleed_makes_the_page_bigger_and_writes_trim_and_bleed_boxes(variant: str, paper: str) -> None:
    w, h = trim_of(variant, paper)
    b = round(BLEED, 2)
    found = boxes(built(variant, paper, bleed=BLEED))
    assert len(found) >= 1
    for page in found:
        assert page["MediaBox"] == pytest.approx([0, 0, w + 2 * BLEED, h + 2 * BLEED], abs=0.02)
        assert page["TrimBox"] == pytest.approx([b, b, b + w, b + h], abs=0.02)
        assert page["BleedBox"] == pytest.approx([0, 0, w + 2 * BLEED, h + 2 * BLEED], abs=0.02)


def test_marks_add_paper_outside_the_bleed_for_the_marks() -> None:
    m = PrintSetup(BLEED, marks=True).margin
    assert m == pytest.approx(BLEED + 2 * MM + MARK_LENGTH + 1 * MM)
    w, h = trim_of("booklet", "a4")
    for page in boxes(built(bleed=BLEED, marks=True)):
        assert page["MediaBox"] == pytest.approx([0, 0, w + 2 * m, h + 2 * m], abs=0.02)
        assert page["TrimBox"] == pytest.approx([m, m, m + w, m + h], abs=0.02)
        assert page["BleedBox"] == pytest.approx([m - BLEED, m - BLEED, m + w + BLEED, m + h + BLEED], abs=0.02)


def _filled(page) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    """Filled rectangles as (x0, y0, x1, y1), y up from the bottom of the paper."""
    return [(r["x0"], r["y0"], r["x1"], r["y1"]) for r in page.rects if r["fill"]]


@pytest.mark.parametrize(("variant", "page_index", "edges"), [
    ("booklet", 0, "left bottom right"),  # the cover's band
    ("booklet", 1, "left top right"),  # the strip at the top of an inner page
    ("booklet", -1, "left bottom right"),  # the back page's band
    ("summary", 0, "left top right"),  # the summary's strips
    ("summary", 0, "left bottom right"),
])
def test_colour_bands_run_into_the_bleed(variant: str, page_index: int, edges: str) -> None:
    w, h = trim_of(variant, "a4")
    m = BLEED
    with plumbed(built(variant, bleed=BLEED)) as bled, plumbed(built(variant)) as plain:
        in_bleed = _filled(bled.pages[page_index])
        at_trim = _filled(plain.pages[page_index])

    def reaches(rects, x0: float, x1: float, y0: float, y1: float, want: str) -> bool:  # type: ignore[no-untyped-def]
        tests = {"left": lambda r: abs(r[0] - x0) < 0.05, "right": lambda r: abs(r[2] - x1) < 0.05,
                 "bottom": lambda r: abs(r[1] - y0) < 0.05, "top": lambda r: abs(r[3] - y1) < 0.05}
        return any(all(tests[e](r) for e in want.split()) for r in rects)

    assert reaches(at_trim, 0, w, 0, h, edges)  # without bleed the band runs to the trim ...
    assert reaches(in_bleed, 0, w + 2 * m, 0, h + 2 * m, edges)  # ... with it, to the bleed's edge
    assert not reaches(in_bleed, m, m + w, m, m + h, edges)  # and no longer stops at the trim


def test_a_bled_page_draws_everything_else_where_it_was() -> None:
    with plumbed(built(bleed=BLEED, marks=True)) as bled, plumbed(built()) as plain:
        m = PrintSetup(BLEED, True).margin
        for a, b in zip(bled.pages, plain.pages, strict=True):
            assert [c["text"] for c in a.chars] == [c["text"] for c in b.chars]
            assert flat((c["x0"] - m, c["top"] - m) for c in a.chars) == pytest.approx(
                flat((c["x0"], c["top"]) for c in b.chars), abs=0.02)
            inside = [r for r in b.rects if r["fill"] and r["x0"] > 0.1 and r["x1"] < float(b.width) - 0.1]
            for r in inside:  # boxes, rules and table backgrounds away from the edges are not stretched
                assert any(abs(r["x0"] + m - q["x0"]) < 0.02 and abs(r["top"] + m - q["top"]) < 0.02
                           and abs(r["width"] - q["width"]) < 0.02 for q in a.rects), r
    assert page_texts_of(built(bleed=BLEED, marks=True)) == page_texts_of(built())


def test_links_and_figure_boxes_move_with_the_page() -> None:
    m = PrintSetup(BLEED, True).margin

    def annotations(pdf: bytes) -> list[list[float]]:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return [[round(float(v), 2) for v in a.Rect] for page in doc.pages for a in page.get("/Annots", [])]

    def figure_boxes(pdf: bytes) -> list[list[float]]:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return [[round(float(v), 2) for v in o.A.BBox] for o in doc.objects
                    if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Figure" and "/A" in o]

    for variant in ("summary", "booklet"):
        plain, bled = built(variant), built(variant, bleed=BLEED, marks=True)
        assert flat(annotations(bled)) == pytest.approx(flat([v + m for v in r] for r in annotations(plain)),
                                                        abs=0.02)
        assert figure_boxes(plain), "the logo is a Figure with a box"
        assert flat(figure_boxes(bled)) == pytest.approx(flat([v + m for v in r] for r in figure_boxes(plain)),
                                                         abs=0.02)
    assert annotations(built("summary")), "the summary's QR code is a link"


# -- crop marks ---------------------------------------------------------------------------------
def test_crop_marks_sit_outside_the_bleed_at_every_corner() -> None:
    setup = PrintSetup(BLEED, marks=True)
    m = setup.margin
    w, h = trim_of("booklet", "a4")
    with plumbed(built(bleed=BLEED, marks=True)) as pdf:
        for page in pdf.pages:
            lines = [(round(ln["x0"], 2), round(ln["y0"], 2), round(ln["x1"], 2), round(ln["y1"], 2))
                     for ln in page.lines]
            assert len(lines) >= 8
            marks = [ln for ln in lines
                     if not (m - BLEED < ln[0] < m + w + BLEED and m - BLEED < ln[1] < m + h + BLEED)]
            assert len(marks) == 8  # two at each corner; nothing else outside the bleed
            for x0, y0, x1, y1 in marks:
                on_trim_line = {round(m, 2), round(m + w, 2), round(m, 2), round(m + h, 2)}
                assert (x0 == x1 and x0 in on_trim_line) or (y0 == y1 and y0 in on_trim_line)
                length = abs(x1 - x0) + abs(y1 - y0)
                assert length == pytest.approx(MARK_LENGTH, abs=0.02)
                assert 0 < min(x0, x1) <= max(x0, x1) < w + 2 * m  # on the paper
                assert 0 < min(y0, y1) <= max(y0, y1) < h + 2 * m
    with plumbed(built(bleed=BLEED)) as pdf:  # no marks unless asked: nothing is drawn outside the trim
        assert [ln for p in pdf.pages for ln in p.lines if min(ln["x0"], ln["top"]) < BLEED - 0.01] == []


def test_crop_marks_are_in_registration_colour() -> None:
    with pikepdf.open(io.BytesIO(built(bleed=BLEED, marks=True))) as doc:
        spaces = doc.pages[0].Resources.ColorSpace
        assert any(list(cs)[:2] == ["/Separation", "/All"] for cs in spaces.values())


def test_marks_without_bleed_leave_the_colour_at_the_trim() -> None:
    w, h = trim_of("booklet", "a4")
    m = PrintSetup(0, marks=True).margin
    page = boxes(built(marks=True))[0]
    assert page["TrimBox"] == page["BleedBox"] == pytest.approx([m, m, m + w, m + h], abs=0.02)
    with plumbed(built(marks=True)) as pdf:
        assert min(r["x0"] for r in pdf.pages[0].rects if r["fill"]) == pytest.approx(m, abs=0.02)


@pytest.mark.parametrize("variant", VARIANTS)
def test_marks_and_bands_are_artifacts_in_a_tagged_pdf(variant: str) -> None:
    assert marked_content_problems(built(variant, bleed=BLEED, marks=True)) == []


def test_bled_tagged_pdfs_pass_verapdf_pdfua(tmp_path: Path) -> None:
    paths = []
    for variant in ("booklet", "summary"):
        paths.append(tmp_path / f"{variant}.pdf")
        paths[-1].write_bytes(built(variant, bleed=BLEED, marks=True, pdfua=True))
    assert_verapdf_ua1(paths)  # (conftest: skipped where veraPDF is not here)


def test_same_input_same_bytes_with_bleed_and_marks() -> None:
    handout, clinic = api.load(EXAMPLE, RIVERSIDE)
    again = api.render_prepared(api.prepare(handout, clinic), bleed=BLEED, marks=True).pdf
    assert again == built(bleed=BLEED, marks=True)
    assert built(bleed=BLEED, marks=True) != built(bleed=BLEED)


def test_bleed_and_marks_on_the_command_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for command in ("build", "summary"):
        out = tmp_path / f"{command}.pdf"
        code, _, err = run_cli(command, EXAMPLE, "--clinic", RIVERSIDE, "--bleed", "0.125in", "--marks", "-o", out)
        assert code == 0, err
        page = boxes(out.read_bytes())[0]
        trim = page["TrimBox"]
        assert [round(trim[0] - v, 2) for v in page["BleedBox"][:2]] == [9.0, 9.0]


# -- imposing a bled PDF --------------------------------------------------------------------------
def test_impose_places_pages_by_their_trim_box() -> None:
    plain = impose_saddle_stitch(built())
    bled = impose_saddle_stitch(built(bleed=BLEED, marks=True))
    assert boxes(bled) == boxes(plain)  # the standard sheet, not one grown by the bleed
    with plumbed(bled) as a, plumbed(plain) as b:
        for pa, pb in zip(a.pages, b.pages, strict=True):
            assert [c["text"] for c in pa.chars] == [c["text"] for c in pb.chars]
            assert flat((c["x0"], c["top"]) for c in pa.chars) == pytest.approx(
                flat((c["x0"], c["top"]) for c in pb.chars), abs=0.02)


# -- nothing but colour near the edge without bleed -----------------------------------------------------
@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_no_text_within_5mm_of_the_trim(variant: str, paper: str) -> None:
    """An office printer cannot print the outer 4 to 5 mm of a sheet: only colour that may be clipped (filled
    rectangles: bands) goes there; no character, picture, line or outline."""
    with plumbed(built(variant, paper)) as pdf:
        near = []
        for page in pdf.pages:
            w, h = float(page.width), float(page.height)
            assert (round(w, 2), round(h, 2)) == trim_of(variant, paper)
            drawn = [(repr(c["text"]), c) for c in page.chars] + [
                (kind, o) for kind, objects in (("a picture", page.images), ("a line", page.lines),
                                                ("a curve", page.curves),
                                                ("an outline", [r for r in page.rects if not r["fill"]]))
                for o in objects]
            for what, o in drawn:
                gap = min(o["x0"], w - o["x1"], o["top"], h - o["bottom"])
                if gap < 5 * MM:
                    near.append(f"page {page.page_number}: {what} {gap / MM:.1f} mm from the edge")
    assert near == []


# -- expired handouts ------------------------------------------------------------------------------
def _with_review_by(tmp_path: Path, date: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "review_by: 2028-05-17" in text
    path = tmp_path / "handout.yaml"
    path.write_text(text.replace("review_by: 2028-05-17", f"review_by: {date}"), encoding="utf-8")
    for image in ("images",):
        if (EXAMPLE.parent / image).exists():
            shutil.copytree(EXAMPLE.parent / image, tmp_path / image)
    return path


def test_an_expired_handout_builds_with_a_warning(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content = _with_review_by(tmp_path, "2020-01-31")
    line = content.read_text(encoding="utf-8").splitlines().index("review_by: 2020-01-31") + 1
    days = (dt.date.today() - dt.date(2020, 1, 31)).days
    out = tmp_path / "old.pdf"
    code, _, err = run_cli("build", content, "-o", out)
    assert code == 0
    assert (f"{content}:{line}:12: warning: the review date 2020-01-31 has passed ({days} days ago)\n"
            "  hint: check that everything is still right, then set a new review_by date "
            "(and a new version and published date if anything changed)\n") in err
    assert out.exists()
    out.unlink()
    code, _, err = run_cli("summary", content, "-o", out, "--strict")
    assert code == 2
    assert f"{content}:{line}:12: error: the review date 2020-01-31 has passed" in err
    assert not out.exists()


def test_the_review_date_is_checked_against_today(tmp_path: Path) -> None:
    content = _with_review_by(tmp_path, "2026-06-01")
    before = api.build(content, output=tmp_path / "a.pdf", today=dt.date(2026, 6, 1))
    assert before.warnings == ()
    after = api.build(content, output=tmp_path / "b.pdf", today=dt.date(2026, 6, 2))
    assert [(w.severity, w.message) for w in after.warnings] == [
        ("warning", "the review date 2026-06-01 has passed (1 day ago)")]
    with pytest.raises(BookletError):
        api.build(content, output=tmp_path / "c.pdf", today=dt.date(2027, 1, 1), strict=True)
    assert not (tmp_path / "c.pdf").exists()


def test_batch_takes_bleed_and_marks_but_not_with_impose(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    code, _, err = run_cli("batch", EXAMPLE, "--clinic", RIVERSIDE, "--variant", "summary", "--bleed", "3mm",
                           "--marks", "--out", out, "--jobs", "1")
    assert code == 0, err
    m = PrintSetup(BLEED, True).margin
    assert boxes((out / "metastatic-breast-cancer-summary.pdf").read_bytes())[0]["TrimBox"][:2] == \
        pytest.approx([m, m], abs=0.02)
    code, _, err = run_cli("batch", EXAMPLE, "--impose", "--bleed", "3mm", "--out", tmp_path / "imposed")
    assert code == 2
    assert err == ("--impose: error: --impose makes sheets for an office printer, which cut away the bleed and "
                   "crop marks\n  hint: leave out --bleed and --marks, or --impose for a print shop\n")
    assert not (tmp_path / "imposed").exists()


def test_an_untagged_pdf_gets_the_same_bleed_and_marks() -> None:
    handout, clinic = api.load(EXAMPLE, RIVERSIDE)
    untagged = api.render_prepared(api.prepare(handout, clinic, "summary"), tags=False, bleed=BLEED, marks=True).pdf
    assert boxes(untagged) == boxes(built("summary", bleed=BLEED, marks=True))
    with plumbed(untagged) as a, plumbed(built("summary", bleed=BLEED, marks=True)) as b:
        assert [len(p.lines) for p in a.pages] == [len(p.lines) for p in b.pages]
