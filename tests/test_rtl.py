"""Right to left end to end (issue #13): Arabic (ar), Urdu (ur, in Naskh style), Persian (fa) and Hebrew (he)
handouts build as booklets and summaries, normal and large print, through the shaping stage, on mirrored pages.

Checked from the PDF: poppler's pdftotext gives the text back in logical order, with no private-use characters
and the phone number's digits in their order; /Lang is the handout's and /ViewerPreferences /Direction /R2L says
the document reads right to left; lines are aligned right and words drawn right to left (the first letter of a
word at its right: pdfplumber's glyph positions); bullets, step numbers, checkboxes, a box's bar and a table's
first column stand on the right, the page number and the logo on the left; the booklet is imposed for binding on
the right; the --pdfua builds pass page-validation and, where it is installed, veraPDF's PDF/UA-1 profile.

pdftotext rebuilds the reading order from where glyphs stand (poppler's `reorderText`): in a right-to-left line it
takes a run of Latin letters and digits with the spaces and punctuation to its left (visually) as one left-to-right
run, so "MRI." followed by an Arabic word comes out as " .MRI" and the word, with no space between (Typst's PDF
of the same text reads back the same). The text is compared here word by word (`words`), punctuation and spaces
aside, and the drawn order of the words is compared with the Unicode bidi algorithm's (python-bidi's
`get_display`).
"""

from __future__ import annotations

import io
import re
import shutil
import statistics
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
import yaml
from conftest import (
    DATA,
    LANGUAGE_KINDS,
    PRIVATE_USE,
    RIVERSIDE,
    assert_pdfua,
    assert_verapdf_ua1,
    build_languages,
    language_fonts,
    pdftotext,
    texts_printed,
)
from conftest import (
    LANGUAGE_PHONE as PHONE,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booklet import api
from booklet.impose import impose_saddle_stitch, sheet_order
from booklet.scripts import script_of
from booklet.shaping import NUMBER_GROUPS
from booklet.theme import reads_right_to_left

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

LANGUAGES = ("ar", "ur", "fa", "he")
FONT = {"ar": "NotoNaskhArabic", "ur": "NotoNaskhArabic", "fa": "NotoNaskhArabic", "he": "NotoSansHebrew"}
KINDS = LANGUAGE_KINDS
#: Bidi formatting characters pdftotext writes around the runs it reorders (they are not text).
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MM = 72 / 25.4

def source(name: str) -> Path:
    return DATA / "rtl" / f"{name}.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(language, kind) -> the PDF built with the shipped Riverside clinic and --pdfua."""
    built = build_languages(tmp_path_factory.mktemp("rtl"), {language: source(language) for language in LANGUAGES})
    return built | build_languages(tmp_path_factory.mktemp("rtl"), {"ar-more": source("ar-more")}, ("booklet",))


def is_rtl_letter(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL") and ch.isalpha()


def words(text: str) -> list[str]:
    """The words of a text: runs of letters (and marks) or digits of one direction, without punctuation or
    spaces (see the module's description); presentation forms as their letters."""
    text = unicodedata.normalize("NFKC", BIDI_CONTROLS.sub("", text)).replace("\u200c", "")
    out: list[str] = []
    kind = None
    for ch in text:
        if unicodedata.category(ch)[0] == "M" and out and kind is not None:  # a mark stays with its letter
            out[-1] += ch
            continue
        k = "rtl" if is_rtl_letter(ch) else "ltr" if ch.isalpha() else "digit" if ch.isdigit() else None
        if k is not None and k == kind:
            out[-1] += ch
        elif k is not None:
            out.append(ch)
        kind = k
    return out


def printed(language: str, kind: str) -> list[str]:
    return texts_printed(source(language), kind)


def contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


# -- the script table and the page direction -------------------------------------------------------
def test_arabic_and_hebrew_are_shaped_and_other_right_to_left_scripts_still_refused() -> None:
    for ch in "אبپگٹ":  # Hebrew; Arabic, with Persian and Urdu letters
        script = script_of(ch)
        assert script is not None, ch
        assert script.support == "shaped", ch
        assert script.rtl, ch
    for ch in "\u0710\u0780\u07ca":  # Syriac, Thaana, N'Ko: no font yet
        assert script_of(ch).support == "refused", ch  # type: ignore[union-attr]


@pytest.mark.parametrize(("language", "texts", "rtl"), [
    ("ar", (), True), ("ur", (), True), ("fa-IR", (), True), ("he", (), True), ("pa-Arab", (), True),
    ("en", ("Call us on 0207 946 0123",), False), ("hi", ("घर पर",), False),
    ("und", ("قياس ضغط الدم في المنزل", "MRI"), True),  # mostly Arabic letters, whatever the tag says
    ("en", ("A word in Arabic: سلام, in a leaflet in English",), False),
    # Texts with no right-to-left letter count too: English (and accented Latin) after a short Arabic one.
    ("und", ("قياس ضغط", "Measure your blood pressure at home"), False),
    ("und", ("قياس ضغط", "Mesurez votre tension à domicile"), False),
    ("und", ("قياس ضغط الدم في المنزل", "à domicile"), True),
])
def test_the_page_direction_comes_from_the_language_or_the_text(language: str, texts: tuple[str, ...],
                                                               rtl: bool) -> None:
    assert reads_right_to_left(language, texts) is rtl


def test_a_latin_handout_is_not_marked_right_to_left(tmp_path: Path) -> None:
    import pikepdf

    pdf = api.build(DATA / "lang" / "es.yaml").pdf
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert "/ViewerPreferences" not in doc.Root or "/Direction" not in doc.Root.ViewerPreferences


# -- the text --------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_text_reads_back_in_logical_order(built: dict[tuple[str, str], Path], language: str, kind: str) -> None:
    text = pdftotext(built[language, kind])
    assert not PRIVATE_USE.findall(text)
    plain = BIDI_CONTROLS.sub("", text).replace("\u00a0", " ")
    assert PHONE in plain  # the digits of the phone number in their order, never "0123 946 0207"
    assert "0123 946 0207" not in plain
    assert "MRI" in plain
    got = words(text)
    missing = [t for t in printed(language, kind) if not contains(got, words(t))]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_direction_and_fonts(built: dict[tuple[str, str], Path], language: str) -> None:
    import pikepdf

    for kind in KINDS:
        with pikepdf.open(built[language, kind]) as pdf:
            assert pdf.Root.ViewerPreferences.Direction == "/R2L"
        fonts = language_fonts(built[language, kind], language)
        assert any(FONT[language] in f.base_font for f in fonts)
        if kind.startswith("large-print"):  # no italics in large print
            assert not [f for f in fonts if "Oblique" in f.base_font or "Italic" in f.base_font]


@pytest.mark.parametrize("kind", ["large-print", "large-print-summary"])
def test_large_print_has_no_glyph_under_16_pt(built: dict[tuple[str, str], Path], kind: str) -> None:
    for language in LANGUAGES:
        with pdfplumber.open(built[language, kind]) as pdf:
            sizes = {round(c["size"], 1) for page in pdf.pages for c in page.chars if c["text"].strip()}
        assert min(sizes) >= 16 - 0.05, (language, sorted(sizes)[:3])


def test_the_outline_and_the_contents_entries_are_logical_text(built: dict[tuple[str, str], Path]) -> None:
    from pypdf import PdfReader

    for language in LANGUAGES:
        d = yaml.safe_load(source(language).read_text(encoding="utf-8"))
        outline = [item.title for item in PdfReader(built[language, "booklet"]).outline]
        assert outline[1:] == [s["heading"] for s in d["sections"]], outline  # after "At a glance"


# -- the mirrored page -----------------------------------------------------------------------------
def lines_of(page: pdfplumber.page.Page | list[dict]) -> Iterator[list[dict]]:
    """A page's (or some glyphs') visible glyphs by line (top to bottom), each left to right."""
    found = page if isinstance(page, list) else page.chars
    def baseline(c: dict) -> float:  # (the glyph boxes of two fonts on one line differ; their baseline does not)
        return -c["matrix"][5]

    chars = sorted((c for c in found if c["text"].strip()), key=lambda c: (round(baseline(c)), c["x0"]))
    line: list[dict] = []
    for c in chars:
        if line and abs(baseline(c) - baseline(line[0])) > 3:
            yield sorted(line, key=lambda c: c["x0"])
            line = []
        line.append(c)
    if line:
        yield sorted(line, key=lambda c: c["x0"])


def drawn_text(char: dict) -> str:
    """A glyph's own text, a presentation form as its letter ("" for a space or a zero-width non-joiner)."""
    text = unicodedata.normalize("NFKC", char["text"])
    return "" if not text.strip() or unicodedata.category(text[0]) == "Cf" else text


def section_page(path: Path) -> pdfplumber.page.Page:
    """Page 3 of a booklet built from tests/data/rtl: the first section (heading, paragraph, bullets, table,
    callout)."""
    return pdfplumber.open(path).pages[2]


@pytest.mark.parametrize("language", LANGUAGES)
def test_lines_are_aligned_right(built: dict[tuple[str, str], Path], language: str) -> None:
    """The heading and the paragraph's lines end at the right margin; the paragraph's start where their words
    take them (ragged left), and the last one, short, starts well right of the left margin."""
    page = section_page(built[language, "booklet"])
    right = page.width - 13 * MM  # the booklet's side margin
    lines = list(lines_of(page))
    first_bullet = next(i for i, line in enumerate(lines) if line[-1]["text"] == "•")
    heading_and_paragraph = [ln for ln in lines[:first_bullet] if ln[0]["top"] > 20]  # below the top band
    assert len(heading_and_paragraph) >= 3
    for line in heading_and_paragraph:
        assert abs(line[-1]["x1"] - right) < 1.5, [c["text"] for c in line]
    assert heading_and_paragraph[-1][0]["x0"] > 13 * MM + 30


@pytest.mark.parametrize("language", LANGUAGES)
def test_words_are_drawn_right_to_left(built: dict[tuple[str, str], Path], language: str) -> None:
    """The title's glyphs read from right to left spell it: its first letter is drawn at the right."""
    title = yaml.safe_load(source(language).read_text(encoding="utf-8"))["title"]
    with pdfplumber.open(built[language, "booklet"]) as pdf:
        chars = [c for c in pdf.pages[0].chars if c["size"] > 20 and drawn_text(c)]  # the title (27 pt)
    drawn = "".join(drawn_text(c) for c in sorted(chars, key=lambda c: -c["x0"]))
    assert drawn == "".join(title.replace("\u200c", "").split())
    assert drawn_text(max(chars, key=lambda c: c["x0"])) == title[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_bullets_are_right_of_their_text(built: dict[tuple[str, str], Path], language: str) -> None:
    page = section_page(built[language, "booklet"])
    items = [line for line in lines_of(page) if line[-1]["text"] == "•"][:3]  # the bullets block (then the callout's)
    assert len(items) == 3
    for line in items:
        bullet, text = line[-1], line[:-1]
        assert bullet["x0"] > max(c["x1"] for c in text) + 4
        assert abs(bullet["x1"] - (page.width - 13 * MM)) < 1.5  # at the right margin


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_tables_first_column_is_at_the_right(built: dict[tuple[str, str], Path], language: str) -> None:
    """The header row starts at the right with the first column's heading and ends at the left with the last
    one's; the first column's numbers ("180/120") stand in the right half."""
    table = yaml.safe_load(source(language).read_text(encoding="utf-8"))["sections"][1]["body"][0]["table"]
    page = section_page(built[language, "booklet"])
    lines = list(lines_of(page))
    row = next(i for i, line in enumerate(lines) if "135/85" in "".join(c["text"] for c in line))
    header = [c for c in lines[row - 1] if drawn_text(c)]
    first, last = table["columns"][0], table["columns"][-1]
    assert drawn_text(header[-1])[0] == first[0]
    assert drawn_text(header[0])[-1] == last[-1]
    number = next(line for line in lines if "180/120" in "".join(c["text"] for c in line))
    digits = [c for c in number if c["text"].isdigit()]
    assert min(c["x0"] for c in digits) > page.width / 2


def test_the_box_bar_is_on_the_right(built: dict[tuple[str, str], Path]) -> None:
    """The urgent callout's coloured bar (a 4 pt line) stands at the right edge of the text."""
    page = section_page(built["ar", "booklet"])
    bars = [e for e in page.edges if e["orientation"] == "v" and e.get("linewidth", 0) >= 3.9]
    assert bars
    assert all(abs(e["x0"] - (page.width - 13 * MM)) < 3 for e in bars), [e["x0"] for e in bars]


def test_the_page_number_and_the_logo_are_on_the_left(built: dict[tuple[str, str], Path]) -> None:
    page = section_page(built["ar", "booklet"])
    footer = [line for line in lines_of(page) if line[0]["top"] > page.height - 17 * MM]
    assert footer
    digits = [c for line in footer for c in line if c["text"] == "3"]
    assert digits
    assert digits[0]["x0"] < page.width / 4
    reference = [c for line in footer for c in line if c["text"] in "BP"]
    assert min(c["x0"] for c in reference) > page.width / 2  # the title and reference at the right
    with pdfplumber.open(built["ar", "booklet"]) as pdf:
        cover = pdf.pages[0]
        assert cover.images or cover.curves or cover.rects
        logo = [o for o in (*cover.images, *cover.curves) if o["top"] < 60 * MM]
        assert logo
        assert max(o["x1"] for o in logo) < cover.width / 2


def test_steps_checkboxes_and_qr_code_are_mirrored(built: dict[tuple[str, str], Path]) -> None:
    path = built["ar-more", "booklet"]
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        numbered = [line for page in pages for line in lines_of(page) if line[-1]["text"] in "1234"
                    and len(line) > 3 and line[-2]["text"] == "."]
        assert len(numbered) == 4  # ".1" … ".4" at the right of each step
        for line in numbered:
            assert line[-1]["x0"] > max(c["x1"] for c in line[:-2])
        questions = next(p for p in pages if "؟" in "".join(c["text"] for c in p.chars))
        boxes = [r for r in questions.rects if abs(r["width"] - r["height"]) < 0.5 and 8 < r["width"] < 12]
        assert len(boxes) == 2
        assert all(r["x1"] > questions.width - 13 * MM - 1 for r in boxes)
        with_qr = next(p for p in pages if "https" in "".join(c["text"] for c in p.chars))
        qr = [r for r in with_qr.rects if r["width"] < 3 and r["height"] < 3]
        caption = next(line for line in lines_of(with_qr) if "https" in "".join(c["text"] for c in line))
        assert qr
        assert min(r["x0"] for r in qr) > max(c["x1"] for c in caption)


# -- imposition ------------------------------------------------------------------------------------
def test_sheet_order_for_a_right_to_left_booklet() -> None:
    assert sheet_order(8, right_to_left=True) == [(1, 8), (7, 2), (3, 6), (5, 4)]
    assert sheet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]


def test_a_right_to_left_booklet_is_imposed_to_open_the_other_way(built: dict[tuple[str, str], Path]) -> None:
    """The cover (page 1) is on the left of the outer sheet's front, the back cover on the right; page 2 is
    behind the cover: on the right of the back side."""
    title = yaml.safe_load(source("ar").read_text(encoding="utf-8"))["title"]
    sheets = pdfplumber.open(io.BytesIO(impose_saddle_stitch(built["ar", "booklet"].read_bytes())))
    assert len(sheets.pages) == 2
    front, back = sheets.pages
    half = front.width / 2

    def words_in(page: pdfplumber.page.Page, left: bool) -> list[str]:
        chars = [c for c in page.chars if (c["x0"] < half) == left and c["size"] > 20]  # a title (27 pt)
        return words("".join(drawn_text(c) for c in sorted(chars, key=lambda c: -c["x0"])))

    assert "".join(words(title)) in "".join(words_in(front, left=True))
    assert "Riverside" in "".join(c["text"] for c in front.chars if c["x0"] >= half)  # the back cover: contacts
    assert "2" in "".join(c["text"] for c in back.chars if c["x0"] >= half and c["top"] > back.height - 17 * MM)


# -- validation ------------------------------------------------------------------------------------
def test_the_pdfua_builds_pass_page_validation(built: dict[tuple[str, str], Path]) -> None:
    assert_pdfua(built.values())


def test_the_pdfua_builds_pass_verapdf(built: dict[tuple[str, str], Path]) -> None:
    assert_verapdf_ua1(built.values())


@pytest.mark.parametrize("command", [("build",), ("build", "--large-print"), ("summary",),
                                     ("summary", "--large-print")])
def test_the_command_line_builds_them(run_cli, tmp_path: Path, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ar.pdf"
    code, _, err = run_cli(*command, source("ar"), "--clinic", RIVERSIDE, "-o", out)
    assert code == 0, err
    assert "error" not in err
    assert PHONE in BIDI_CONTROLS.sub("", pdftotext(out)).replace("\u00a0", " ")


# -- the bidi property test ------------------------------------------------------------------------
ARABIC_WORDS = ("ضغط", "الدم", "طبيبك", "قياس", "المنزل", "دقائق", "عيادة", "פגישה", "רופא", "בדיקה", "מרפאה")
LATIN_WORDS = ("MRI", "CT", "NHS", "Ramipril", "GP", "ECG")
NUMBERS = ("5", "12", "0207 946 0123", "135/85", "09:30", "2026-05-17", "999")


@st.composite
def mixed_paragraphs(draw: st.DrawFn) -> str:
    """A paragraph of right-to-left words (most of its letters), Latin words and numbers, in any order."""
    rtl = draw(st.lists(st.sampled_from(ARABIC_WORDS), min_size=3, max_size=6))
    other = draw(st.lists(st.sampled_from(LATIN_WORDS + NUMBERS), min_size=1, max_size=3))
    tokens = draw(st.permutations(rtl + other))
    return " ".join(tokens)


def visual_words(line: list[dict]) -> list[str]:
    """A drawn line's glyphs left to right as words (right-to-left words with their letters reversed; the drawn
    spaces are not counted)."""
    return words("".join(c["text"] for c in line))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mixed_paragraphs())
def test_mixed_text_reads_back_in_logical_order_and_is_drawn_in_bidi_order(text: str) -> None:
    """Build a handout with one paragraph of mixed text: pdftotext gives back its right-to-left words in their
    order, each spelt right, and every Latin word and number (digits in their order); the words are drawn in
    the order the Unicode bidi algorithm gives (python-bidi's get_display, right to left, with phone numbers,
    dates and times isolated as booklet isolates them)."""
    from bidi import get_display

    handout = (f'title: "عنوان"\nlanguage: ar\nsections:\n  - heading: "قسم"\n    body:\n      - "{text}"\n')
    pdf = api.build("mixed.yaml", text=handout).pdf

    read = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode("utf-8")

    def rtl_words(found: list[str]) -> list[str]:
        return [w for w in found if is_rtl_letter(w[0])]

    assert contains(rtl_words(words(read)), rtl_words(words(text)))
    plain = BIDI_CONTROLS.sub("", read)
    for token in (t for t in NUMBER_GROUPS.sub(lambda m: m[0].replace(" ", "\u00a0"), text).split(" ")
                  if not is_rtl_letter(t[0])):
        assert token.replace("\u00a0", " ") in plain  # a Latin word, a number: whole, digits in their order
    isolated = NUMBER_GROUPS.sub(lambda m: f"\u2066{m[0]}\u2069", text)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        body = [line for line in lines_of(doc.pages[1]) if round(line[0]["size"]) == 12]
    if len(body) == 1:  # one line: its words are drawn in the bidi algorithm's order
        assert "".join(visual_words(body[0])) == "".join(words(get_display(isolated, base_dir="R")))


def test_table_cells_keep_their_reading_order_in_the_structure_tree(built: dict[tuple[str, str], Path]) -> None:
    """A right-to-left table is drawn from the left (its last column first), but its TH and TD elements stay in
    reading order: each row's first cell is the first column's, drawn last (the higher MCID)."""
    import pikepdf

    def first_mcid(elem: pikepdf.Object) -> int:
        k = elem.get("/K")
        while isinstance(k, pikepdf.Array):
            k = k[0]
        if isinstance(k, pikepdf.Dictionary):
            return first_mcid(k) if "/S" in k else int(k.MCID)
        return int(k)

    def tables(elem: pikepdf.Object) -> Iterator[pikepdf.Object]:
        if isinstance(elem, pikepdf.Dictionary) and elem.get("/S") == "/Table":
            yield elem
        kids = elem.get("/K") if isinstance(elem, pikepdf.Dictionary) else None
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary):
                yield from tables(kid)

    with pikepdf.open(built["ar", "booklet"]) as pdf:
        found = list(tables(pdf.Root.StructTreeRoot))
        assert found
        rows = [row for table in found for row in table.K if row.S == "/TR"]
        assert len(rows) == 3
        for row in rows:
            assert [str(cell.S) for cell in row.K] in (["/TH", "/TH"], ["/TD", "/TD"])
            first, second = (first_mcid(cell) for cell in row.K)
            assert first > second


def test_summary_columns_start_at_the_right() -> None:
    from booklet.compose_summary import Columns
    from booklet.theme import Direction

    frames = Columns(list, 2, 10, direction=Direction(rtl=True))._frames(210, 100)
    assert frames[0]._x1 == 110
    assert frames[1]._x1 == 0
    frames = Columns(list, 2, 10)._frames(210, 100)
    assert frames[0]._x1 == 0
    assert frames[1]._x1 == 110


@pytest.mark.parametrize("rtl", [False, True])
def test_a_justified_shaped_paragraph_fills_its_lines(rtl: bool) -> None:
    """Justified: every line but the last reaches both ends of the line; the last starts at the start side."""
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas

    from booklet.shaped import ShapedParagraph, justified
    from booklet.shaping import Run

    text = " ".join(["قياس ضغط الدم في المنزل يساعد طبيبك"] * 4) if rtl else " ".join(["घर पर रक्तचाप मापना"] * 6)
    para = ShapedParagraph([Run(text)], ParagraphStyle("j", fontSize=12, leading=15, alignment=TA_JUSTIFY), rtl)
    para.wrap(200, 1000)
    assert len(para.lines) >= 3
    for line in para.lines[:-1]:
        stretched = justified(line, 200 - line.width)
        assert abs(stretched.width - 200) < 1e-6
        visual = stretched.visual()
        assert visual[0].x == 0
        assert abs(visual[-1].x + visual[-1].width - 200) < 1e-6
    assert para.lines[-1].width < 200
    para.canv = Canvas(io.BytesIO())
    para.draw()  # draws, justified, without error


def test_the_contents_page_reads_from_the_right() -> None:
    """Enough sections for a contents page: its entries end at the right margin, their page numbers stand at the
    left margin, and pdftotext reads the entries in logical order."""
    paragraph = yaml.safe_load(source("ar").read_text(encoding="utf-8"))["sections"][0]["body"][0]
    sections = "".join(f'  - heading: "القسم رقم {i} عن ضغط الدم"\n    body:\n' + f'      - "{paragraph}"\n' * 12
                       for i in range(1, 7))
    pdf = api.build("contents.yaml", text=f'title: "قياس ضغط الدم"\nlanguage: ar\nsections:\n{sections}').pdf
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[1]
        entries = [line for line in lines_of(page) if len(line) > 10 and 40 < line[0]["top"] < page.height - 60]
        assert len(entries) >= 6
        for line in entries:
            number, entry = line[0], line[1:]
            assert number["text"].isdigit()
            assert abs(number["x0"] - 13 * MM) < 1.5  # the page number against the left margin
            assert abs(entry[-1]["x1"] - (page.width - 13 * MM)) < 1.5  # the entry against the right one
    read = words(subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-", "-"], input=pdf, capture_output=True,
                                check=True).stdout.decode("utf-8"))
    for i in range(1, 7):
        assert contains(read, words(f"القسم رقم {i} عن ضغط الدم"))


@pytest.mark.parametrize("language", ["he", "ar"])
def test_headings_are_bold_as_in_latin_handouts(built: dict[tuple[str, str], Path], language: str) -> None:
    """A heading's style is set in the bold face: its shaped letters are drawn from the script's bold font,
    body text from the regular one (a shaped paragraph picks faces per run, from the style as well)."""
    with pdfplumber.open(built[language, "booklet"]) as pdf:
        page = pdf.pages[2]  # the first section: its heading, then body text
        letters = [c for c in page.chars if is_rtl_letter(c["text"])]
    body = statistics.mode(round(c["size"], 1) for c in letters)
    heading = [c for c in letters if c["size"] > body + 2]
    assert heading, "no heading on page 3"
    assert {c["fontname"].split("+")[-1] for c in heading} == {f"{FONT[language]}-Bold"}
    assert f"{FONT[language]}-Regular" in {c["fontname"].split("+")[-1] for c in letters if round(c["size"], 1) == body}
