"""The Indic scripts end to end (issue #13): Devanagari (hi), Bengali (bn), Gurmukhi (pa), Gujarati (gu) and
Tamil (ta) handouts build as booklets and summaries, normal and large print, through the shaping stage.

Checked from the PDF: poppler's pdftotext gives the text back in logical order, with no private-use characters
and the phone number whole; /Lang is the handout's; every font is embedded (no standard-14); the --pdfua builds
pass page-validation and, where it is installed, veraPDF's PDF/UA-1 profile. Latin handouts still take
ReportLab's Paragraph (their output is unchanged: the byte-for-byte tests elsewhere hold).
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import (
    DATA,
    LANGUAGE_KINDS,
    RIVERSIDE,
    assert_pdfua,
    assert_reads_back,
    assert_verapdf_ua1,
    build_languages,
    language_fonts,
    pdftotext,
    texts_printed,
)
from conftest import (
    LANGUAGE_PHONE as PHONE,
)

from booklet.flowables import Paragraph, paragraph
from booklet.scripts import script_of
from booklet.shaped import MarkedShapedParagraph, ShapedParagraph
from booklet.shaping import Run, runs_from_markup, shape

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

LANGUAGES = ("hi", "bn", "pa", "gu", "ta")
SCRIPT = {"hi": "Devanagari", "bn": "Bengali", "pa": "Gurmukhi", "gu": "Gujarati", "ta": "Tamil"}
KINDS = LANGUAGE_KINDS

def source(language: str) -> Path:
    return DATA / "indic" / f"{language}.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(language, kind) -> the PDF built with the shipped Riverside clinic and --pdfua."""
    return build_languages(tmp_path_factory.mktemp("indic"), {language: source(language) for language in LANGUAGES})


def flat(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.replace("\u00a0", " ").split()))


def printed(language: str, kind: str) -> list[str]:
    return texts_printed(source(language), kind)


def test_the_five_scripts_are_shaped_and_the_others_still_refused() -> None:
    assert {script_of(ch).name: script_of(ch).support for ch in "कবਕકக"} == {  # type: ignore[union-attr]
        "Devanagari": "shaped", "Bengali": "shaped", "Gurmukhi": "shaped", "Gujarati": "shaped", "Tamil": "shaped"}
    for ch in "\u0710ก":  # Syriac, Thai: refused as before (Arabic, Hebrew: test_rtl; CJK: test_cjk)
        assert script_of(ch).support == "refused", ch  # type: ignore[union-attr]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_text_reads_back_in_logical_order(built: dict[tuple[str, str], Path], language: str, kind: str) -> None:
    assert_reads_back(built[language, kind], printed(language, kind), flat)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_language_and_fonts(built: dict[tuple[str, str], Path], language: str, kind: str) -> None:
    fonts = language_fonts(built[language, kind], language)
    assert fonts
    noto = f"NotoSans{SCRIPT[language]}"
    assert any(noto in f.base_font for f in fonts)


def test_the_pdfua_builds_pass_page_validation(built: dict[tuple[str, str], Path]) -> None:
    assert_pdfua(built.values())


def test_the_pdfua_builds_pass_verapdf(built: dict[tuple[str, str], Path]) -> None:
    assert_verapdf_ua1(built.values())


@pytest.mark.parametrize("command", [("build",), ("build", "--large-print"), ("summary",),
                                     ("summary", "--large-print")])
def test_the_command_line_builds_them(run_cli, tmp_path: Path, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "hi.pdf"
    code, _, err = run_cli(*command, source("hi"), "--clinic", RIVERSIDE, "-o", out)
    assert code == 0, err
    assert "error" not in err
    assert PHONE in pdftotext(out).replace("\u00a0", " ")


def test_footers_are_one_line(built: dict[tuple[str, str], Path]) -> None:
    """The running footer (title · reference, and the page word with its number) is one line on every page."""
    for language in LANGUAGES:
        pages = pdftotext(built[language, "booklet"]).split("\f")
        reference = f"BP-HOME-{language.upper()}"
        inner = [p for p in pages if reference in p and "·" in p]
        assert inner
        for page in inner:
            lines = [line for line in page.splitlines() if reference in line and " · " in line]
            assert lines, page


def test_conjuncts_are_formed() -> None:
    """प्रश्न (pra-shna): HarfBuzz forms the conjuncts, so fewer glyphs are drawn than there are characters."""
    for word in ("प्रश्न", "ক্লিনিক", "ਪ੍ਰਸ਼ਨ", "પ્રશ્ન", "க்ஷ"):
        shaped = shape([Run(word)], False, "")
        glyphs = [g for item in shaped.items for g in item.glyphs]
        assert len(glyphs) < len(word), word


def test_latin_text_keeps_reportlabs_paragraph_and_indic_text_is_shaped() -> None:
    from reportlab.lib.styles import ParagraphStyle

    style = ParagraphStyle("x")
    assert type(paragraph("Call <b>0207</b>", style)) is Paragraph
    shaped = paragraph("घर पर <b>माप</b>", style, "hi")
    assert isinstance(shaped, ShapedParagraph)
    assert shaped.language == "hi"
    assert isinstance(paragraph("घर", style, "hi", on_draw=print), MarkedShapedParagraph)


def test_live_link_marks_are_skipped_and_the_link_text_kept() -> None:
    """Links inside shaped paragraphs are not live yet: their text is kept, plain."""
    from booklet import tagging
    from booklet import text as tx

    markup = tagging.link_marks(tx.with_links(tx.escape_text(f"फ़ोन {PHONE} करें")))
    assert "<onDraw" in markup
    assert "".join(r.text for r in runs_from_markup(markup)).replace("\u00a0", " ") == f"फ़ोन {PHONE} करें"
