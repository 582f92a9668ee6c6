"""The page-quality checker's own tests: every rule fails on a small PDF drawn to break it, and stays
quiet on one drawn to keep it. The PDFs are drawn with ReportLab's canvas directly (not with booklet),
in the shipped DejaVu Sans, on A5 pages laid out like a booklet's: a cover, inner pages with a footer
"title · reference ... Page N", and a back page with the clinic's phone number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pagecheck as pc
import pytest
from conftest import FONT_FILE

W, H = 419.53, 595.28  # A5 in points
LEFT, RIGHT = 37.0, 383.0
FOOT = 576.0  # footer baseline, from the top
TITLE = "Test handout"
PHONE = "0161 496 0732"

Op = Callable[..., None]


def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_FILE)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_FILE.with_name("DejaVuSans-Bold.ttf"))))


def text(s: str, top: float, x: float = LEFT, size: float = 12, bold: bool = False) -> Op:
    """Draw s with its baseline `top` points below the page's top edge."""

    def op(c, height: float) -> None:  # type: ignore[no-untyped-def]
        c.setFont("DejaVuSans-Bold" if bold else "DejaVuSans", size)
        c.drawString(x, height - top, s)

    return op


def rule_line(top: float, x0: float = LEFT, x1: float = RIGHT) -> Op:
    def op(c, height: float) -> None:  # type: ignore[no-untyped-def]
        c.line(x0, height - top, x1, height - top)

    return op


def para(lines: list[str], top: float, x: float = LEFT, size: float = 12, leading: float = 15.6) -> list[Op]:
    return [text(s, top + i * leading, x, size) for i, s in enumerate(lines)]


def heading(s: str, top: float) -> Op:
    return text(s, top, size=18, bold=True)


def footer(n: int, title: str = TITLE) -> list[Op]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    label = f"Page {n}"
    return [rule_line(FOOT - 15), text(f"{title} · T-1", FOOT, size=9),
            text(label, FOOT, x=RIGHT - stringWidth(label, "DejaVuSans", 9), size=9)]


FILLER = ["Most people feel well again within a few days of their ",
          "treatment. Rest when you need to, drink plenty of water ",
          "and take your medicines as your nurse has told you. "]


def full_page(first: str = "A full page of running text") -> list[Op]:
    """Text from the top to the foot of the text area."""
    return [text(first, 52), *para(FILLER * 10, 68)]


def make(path: Path, inner: list[list[Op]], *, back: list[Op] | None = None, with_footers: bool = True,
         size: tuple[float, float] = (W, H)) -> Path:
    """A booklet-like PDF: cover, the inner pages (each given its footer), back page."""
    from reportlab.pdfgen import canvas

    _fonts()
    c = canvas.Canvas(str(path), pagesize=size)
    cover = [text(TITLE, 180, size=27, bold=True), text("A booklet drawn for a test", 240, size=15)]
    if back is None:
        back = [text("Northgate Clinic", 50, size=13.5, bold=True), text(f"Phone: {PHONE}", 72)]
    pages = [cover, *[ops + (footer(n) if with_footers else []) for n, ops in enumerate(inner, 2)], back]
    for ops in pages:
        for op in ops:
            op(c, size[1])
        c.showPage()
    c.save()
    return path


K = pc.Knowledge(title=TITLE, clinic_phone=PHONE, phones=(PHONE,), words=pc.layout_words("en"), large_print=False)


def findings(path: Path, rule: str, knowledge: pc.Knowledge = K) -> list[pc.Finding]:
    return pc.check(path, knowledge, [rule])


@pytest.fixture
def pdf(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def build(inner: list[list[Op]], **kw) -> Path:  # type: ignore[no-untyped-def]
        return make(tmp_path / f"t{next(counter)}.pdf", inner, **kw)

    return build


# -- a well-made document is clean under every rule --------------------------------------------
def test_a_clean_booklet_has_no_findings(pdf: Callable[..., Path]) -> None:
    path = pdf([full_page(), [heading("Second section", 55), *para(FILLER * 10, 80)]])
    assert pc.check(path, K) == []
    path = pdf([full_page(), [heading("Second section", 55), *para(FILLER * 10, 80)], full_page(), full_page(),
                [*para(FILLER * 2, 52)], [heading("Notes", 55), *[rule_line(90 + 22 * i) for i in range(20)]]])
    assert pc.check(path, K) == []


def test_reading_finds_lines_segments_footer_and_sizes(pdf: Callable[..., Path]) -> None:
    path = pdf([[heading("A heading", 55), text("Left cell", 80), text("Right cell", 80, x=200),
                 *para(FILLER * 10, 100)], full_page()])
    doc = pc.read(path)
    page = doc.pages[1]
    assert doc.body_size == 12
    assert doc.heading_size == 18
    assert [ln.text for ln in page.footer] == [f"{TITLE} · T-1 Page 2"]
    assert [s.text for s in page.body[1].segments] == ["Left cell", "Right cell"]
    assert doc.is_heading(page.body[0])
    assert doc.back_start == 3


# -- 1. hyphenation ------------------------------------------------------------------------------
def test_hyphenated_line_end_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(["Your nurse will explain the treat-", "ment and its side effects."], 60),
                 *para(FILLER * 10, 100)]])
    (f,) = findings(path, "hyphenated-line-end")
    assert f.page == 2
    assert "treat-" in f.message


def test_soft_hyphen_and_across_pages_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 11, 52), text("It is also called sec\u00ad", 540)],
                [text("ondary breast cancer.", 52), *para(FILLER * 10, 68)]])
    (f,) = findings(path, "hyphenated-line-end")
    assert f.page == 2


def test_hyphen_not_a_cut_word(pdf: Callable[..., Path]) -> None:
    knowledge = replace(K, texts=("Go to your check-ups every year.",))
    path = pdf([[*para(["Go to your check-", "ups every year.",  # the author's own hyphen
                        "Your CT and PET-", "CT scans show it.",  # next line is not lowercase
                        "A list of items -"], 60),
                 text("a new paragraph far below", 200),  # not the next line: a gap
                 text("cut-", 260), text("off in another column", 275, x=250),  # no x-overlap
                 *para(FILLER * 6, 300)]])
    assert findings(path, "hyphenated-line-end", knowledge) == []


# -- 2. addresses whole --------------------------------------------------------------------------
URL = "https://northgate-health.example.org/diabetes"


def test_url_split_found(pdf: Callable[..., Path]) -> None:
    knowledge = replace(K, urls=(URL,))
    path = pdf([[*para(["Read more at https://northgate-health.", "example.org/diabetes or ask us."], 60),
                 text(f"Website: {URL}", 120), *para(FILLER * 9, 140)]])
    found = findings(path, "url-split", knowledge)
    assert [f.page for f in found] == [2]
    assert "broken over lines" in found[0].message


def test_url_never_whole_found_and_whole_url_passes(pdf: Callable[..., Path]) -> None:
    path = pdf([[text(f"Website: {URL}", 60), *para(FILLER * 10, 80)]])
    assert findings(path, "url-split", replace(K, urls=(URL,))) == []
    (f,) = findings(path, "url-split", replace(K, urls=(URL + "/missing",)))
    assert f.page == 0


def test_phone_split_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(["If you are worried, call us on 0161 496", "0732 in working hours."], 60),
                 *para(FILLER * 10, 100)]])
    (f,) = findings(path, "phone-split")
    assert f.page == 2
    clean = pdf([[text("Call us on 0161 496 0732 in working hours.", 60), *para(FILLER * 10, 80)]])
    assert findings(clean, "phone-split") == []


def test_contact_size_found(pdf: Callable[..., Path]) -> None:
    knowledge = replace(K, urls=(URL,))
    path = pdf([[text("Scan the code or go to:", 60), text(URL, 72, size=9), *para(FILLER * 10, 90)]])
    (f,) = findings(path, "contact-size", knowledge)
    assert "9 pt" in f.message
    clean = pdf([[text(f"Go to {URL}", 60), *para(FILLER * 10, 80)]])
    assert findings(clean, "contact-size", knowledge) == []


# -- 3. headings ---------------------------------------------------------------------------------
def test_heading_at_page_foot_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 10, 52), heading("When to get help", 545)],
                [text("Call us straight away if you feel very unwell.", 52), *para(FILLER * 10, 68)]])
    (f,) = findings(path, "heading-at-page-foot")
    assert f.page == 2
    assert "When to get help" in f.message


def test_heading_with_writing_lines_or_text_after_it_passes(pdf: Callable[..., Path]) -> None:
    path = pdf([[heading("Notes", 55), *[rule_line(90 + 22 * i) for i in range(20)]],
                [*para(FILLER * 9, 52), heading("Next steps", 490), *para(FILLER[:3], 515)]])
    assert findings(path, "heading-at-page-foot") == []


def test_heading_keep_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 10, 52), heading("Next steps", 515), text("Your nurse will call you.", 540)],
                [text("within a week, to talk about your results.", 52), *para(FILLER * 10, 68)]])
    (f,) = findings(path, "heading-keep")
    assert f.page == 2
    # two lines after it, or a section that simply ends there, are fine
    ok = pdf([[*para(FILLER * 9, 52), heading("Next steps", 500), *para(FILLER[:2], 525)],
              [*para(FILLER * 10, 52), heading("Short", 515), text("A single line.", 540)],
              [heading("Another section", 55), *para(FILLER * 10, 80)]])
    assert findings(ok, "heading-keep") == []


# -- 4. page fill --------------------------------------------------------------------------------
def test_underfilled_page_found(pdf: Callable[..., Path]) -> None:
    path = pdf([full_page(), [*para(FILLER * 3, 52)], [text("the text simply goes on here.", 52),
                                                        *para(FILLER * 10, 68)]])
    (f,) = findings(path, "underfilled-page")
    assert f.page == 3


def test_short_page_before_a_section_or_notes_or_back_page_passes(pdf: Callable[..., Path]) -> None:
    path = pdf([full_page(), [*para(FILLER * 3, 52)], [heading("A new section", 55), *para(FILLER * 10, 80)],
                [*para(FILLER * 2, 52)], [heading("Notes", 55), *[rule_line(90 + 22 * i) for i in range(20)]],
                [*para(FILLER, 52)]])
    assert findings(path, "underfilled-page") == []


def test_short_page_before_the_back_matter_passes(pdf: Callable[..., Path]) -> None:
    """Knowing the language, a page opening with the layout's "Where this information comes from" opens a part."""
    path = pdf([full_page(), [*para(FILLER * 2, 52)],
                [text("Where this information comes from", 55, size=13.5, bold=True), *para(FILLER * 9, 80)]])
    assert findings(path, "underfilled-page") == []
    assert findings(path, "underfilled-page", replace(K, words={})) != []


def test_page_filled_by_a_picture_passes(pdf: Callable[..., Path]) -> None:
    def picture(c, height: float) -> None:  # type: ignore[no-untyped-def]
        c.rect(LEFT, height - 520, 200, 400)

    path = pdf([full_page(), [*para(FILLER, 52), picture], [text("the text goes on.", 52), *para(FILLER * 10, 68)]])
    assert findings(path, "underfilled-page") == []


# -- 5. callouts and small blocks ----------------------------------------------------------------
CALLOUT = pc.Callout("urgent", "Get help straight away",
                     ("A temperature of 38°C or above", "New back pain with weak legs", "Bleeding that will not stop"))


def _callout_ops(top: float, items: tuple[str, ...]) -> list[Op]:
    return [text("✚ Urgent", top, x=47, size=13, bold=True), text(CALLOUT.title, top + 16, x=47, size=13, bold=True),
            *[text("• " + item, top + 34 + 18 * i, x=47) for i, item in enumerate(items)]]


def test_callout_split_found(pdf: Callable[..., Path]) -> None:
    knowledge = replace(K, callouts=(CALLOUT,))
    path = pdf([[*para(["Get help straight away if you are worried."], 52), *para(FILLER * 9, 70),
                 *_callout_ops(490, CALLOUT.texts[:2])],
                [text("• " + CALLOUT.texts[2], 52, x=47), *para(FILLER * 10, 75)]])
    (f,) = findings(path, "callout-split", knowledge)
    assert f.page == 2  # found at its title, not at the paragraph that starts with the same words
    assert "Bleeding" in f.message
    whole = pdf([[*_callout_ops(60, CALLOUT.texts), *para(FILLER * 8, 160)]])
    assert findings(whole, "callout-split", knowledge) == []


def test_small_block_split_found(pdf: Callable[..., Path]) -> None:
    items = ("Bring your blood test form.", "Wear a top with loose sleeves.", "Drink a glass of water.")
    knowledge = replace(K, small_blocks=(("list", items),))
    path = pdf([[*para(FILLER * 10, 52), *[text("• " + i, 520 + 18 * n) for n, i in enumerate(items[:2])]],
                [text("• " + items[2], 52), *para(FILLER * 10, 70)]])
    (f,) = findings(path, "small-block-split", knowledge)
    assert f.page == 2
    whole = pdf([[*[text("• " + i, 52 + 18 * n) for n, i in enumerate(items)], *para(FILLER * 9, 110)]])
    assert findings(whole, "small-block-split", knowledge) == []


# -- 6. notes, back page, page count, contents -------------------------------------------------------
def _notes() -> list[Op]:
    return [heading("Notes", 55), *[rule_line(90 + 22 * i) for i in range(20)]]


def test_notes_pages_found(pdf: Callable[..., Path]) -> None:
    path = pdf([full_page(), _notes(), _notes()])
    (f,) = findings(path, "notes-pages")
    assert f.page == 4
    assert findings(pdf([full_page(), full_page(), _notes()]), "notes-pages") == []


def test_last_page_phone_found(pdf: Callable[..., Path]) -> None:
    path = pdf([full_page(), full_page()], back=[text("Sources: a book", 60)])
    (f,) = findings(path, "last-page-phone")
    assert f.page == 4
    assert findings(pdf([full_page(), full_page()]), "last-page-phone") == []


def test_page_count_found(pdf: Callable[..., Path]) -> None:
    (f,) = findings(pdf([full_page()]), "page-count")  # 3 pages
    assert "multiple of 4" in f.message
    (f,) = findings(pdf([full_page(), full_page(), _notes(), _notes(), _notes(), _notes()]), "page-count")
    assert "would hold" in f.message
    assert findings(pdf([full_page(), full_page()]), "page-count") == []
    assert findings(pdf([full_page()]), "page-count", replace(K, large_print=True)) == []


def test_contents_page_found(pdf: Callable[..., Path]) -> None:
    def contents(numbers: list[int]) -> list[Op]:
        ops = [heading("Contents", 55)]
        for i, n in enumerate(numbers):
            ops += [text(f"Section {i + 1}", 84 + 24 * i), text(str(n), 83.4 + 24 * i, x=375)]
        return ops

    sections = [[heading(f"Section {i}", 55), *para(FILLER * 10, 80)] for i in (1, 2, 3)]
    (f,) = findings(pdf([contents([3, 4, 4]), *sections[:2]]), "contents-page")
    assert f.page == 2
    assert findings(pdf([contents([3, 4, 5]), *sections]), "contents-page") == []


# -- 7. lonely list items -------------------------------------------------------------------------
def _steps(first: int, count: int, top: float) -> list[Op]:
    return [op for i in range(count) for op in (text(f"{first + i}.", top + 18 * i),
                                                 text(f"Step number {first + i} of the list.", top + 18 * i, x=58))]


def test_lonely_item_at_foot_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 10, 52), *_steps(1, 1, 530)], [*_steps(2, 5, 52), *para(FILLER * 9, 150)]])
    (f,) = findings(path, "lonely-item")
    assert f.page == 2
    assert "foot" in f.message


def test_lonely_item_at_top_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 9, 52), *_steps(1, 4, 480)], [*_steps(5, 1, 52), *para(FILLER * 10, 80)]])
    (f,) = findings(path, "lonely-item")
    assert f.page == 3
    assert "top" in f.message


def test_list_split_two_and_two_passes(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 10, 52), *_steps(1, 2, 512)], [*_steps(3, 2, 52), *para(FILLER * 10, 100)]])
    assert findings(path, "lonely-item") == []


def test_lead_in_at_page_foot_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[*para(FILLER * 10, 52), text("The main types are:", 530)],
                [*_steps(1, 3, 52), *para(FILLER * 9, 120)]])
    (f,) = findings(path, "lead-in-at-page-foot")
    assert f.page == 2
    kept = pdf([[*para(FILLER * 9, 52), text("The main types are:", 490), *_steps(1, 2, 510)],
                [*_steps(3, 1, 52), *para(FILLER * 9, 90)]])
    assert findings(kept, "lead-in-at-page-foot") == []


# -- 8. drawing -----------------------------------------------------------------------------------
def test_crowded_lines_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[text("This line is drawn", 60), text("into this one below it", 70), *para(FILLER * 10, 100)]])
    (f,) = findings(path, "crowded-lines")
    assert "10.0 pt apart" in f.message


def test_lines_at_leading_or_in_other_columns_pass(pdf: Callable[..., Path]) -> None:
    path = pdf([[text("Left column", 60), text("Right column", 68, x=250), *para(FILLER * 10, 100)]])
    assert findings(path, "crowded-lines") == []
    title = pdf([[text("A big title", 60, size=26, bold=True), text("and its subtitle", 85.4, size=15),
                  *para(FILLER * 10, 110)]])
    assert findings(title, "crowded-lines") == []


def test_small_line_into_a_big_one_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[text("small print above", 60, size=9), text("A big heading", 80, size=26, bold=True),
                 *para(FILLER * 10, 110)]])
    (f,) = findings(path, "crowded-lines")
    assert "20.0 pt apart" in f.message


def test_step_number_over_its_text_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[text("10.", 60, bold=True), text("Wait for the result.", 60, x=52), *para(FILLER * 10, 90)]])
    assert [f.rule for f in findings(path, "overlapping-glyphs")] == ["overlapping-glyphs"]
    touching = pdf([[text("10.Wait for the result.", 60), *para(FILLER * 10, 90)]])
    (f,) = findings(touching, "overlapping-glyphs")
    assert "touches" in f.message
    clean = pdf([[*_steps(9, 3, 60), *para(FILLER * 9, 130)]])
    assert findings(clean, "overlapping-glyphs") == []


def test_tiny_text_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[text("Brain", 60, x=80, size=5.5), *para(FILLER * 10, 90)]])
    (f,) = findings(path, "tiny-text")
    assert "5.5" in f.message
    assert findings(pdf([[text("A caption", 60, size=9), *para(FILLER * 10, 90)]]), "tiny-text") == []
    large = replace(K, large_print=True)
    found = findings(pdf([[text("A caption", 60, size=14), *para(FILLER * 10, 90)]]), "tiny-text", large)
    assert [f.page for f in found] == [1, 2, 3]  # the 15 pt subtitle, the 14 pt caption, the 12 pt back page
    assert "under 16 pt (9, 12, 14 pt)" in found[1].message


def test_near_edge_found(pdf: Callable[..., Path]) -> None:
    path = pdf([[text("Too close", 60, x=8), *para(FILLER * 10, 90)]])
    (f,) = findings(path, "near-edge")
    assert f.page == 2
    assert findings(pdf([full_page()]), "near-edge") == []


def test_footer_on_two_lines_found(pdf: Callable[..., Path]) -> None:
    from reportlab.pdfgen import canvas  # noqa: F401 - the fonts must be registered by make()

    broken = [rule_line(FOOT - 26), text(f"{TITLE} · T-1", FOOT - 11, size=9), text("2", FOOT, x=RIGHT - 6, size=9)]
    path = pdf([[*para(FILLER * 9, 52), *broken]], with_footers=False)
    (f,) = findings(path, "footer")
    assert "2 lines" in f.message
    missing_title = pdf([[*para(FILLER * 9, 52), text("Page 2", FOOT, x=340, size=9)]], with_footers=False)
    (f,) = findings(missing_title, "footer")
    assert "title" in f.message


# -- running -----------------------------------------------------------------------------------------
def test_every_rule_is_tested() -> None:
    tested = {"hyphenated-line-end", "url-split", "phone-split", "contact-size", "heading-at-page-foot",
              "heading-keep", "underfilled-page", "callout-split", "small-block-split", "notes-pages",
              "last-page-phone", "page-count", "contents-page", "lonely-item", "lead-in-at-page-foot", "crowded-lines",
              "overlapping-glyphs", "tiny-text", "near-edge", "footer"}
    assert set(pc.RULES) == tested


def test_command_line(pdf: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    clean = pdf([full_page(), full_page()])
    assert pc.main([str(clean)]) == 0
    bad = pdf([full_page(), [text("Too close", 60, x=8), *para(FILLER * 10, 90)]])
    assert pc.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert "page 3: near-edge:" in out


def test_command_line_with_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import EXAMPLE, RIVERSIDE

    from booklet.api import build

    out = tmp_path / "example.pdf"
    build(EXAMPLE, clinic=RIVERSIDE, output=out)
    code = pc.main([str(out), "--content", str(EXAMPLE), "--clinic", str(RIVERSIDE), "--rule", "last-page-phone"])
    assert code == 0
    assert capsys.readouterr().out == ""
