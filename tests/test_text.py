"""booklet.text: author text becomes safe paragraph markup; only **bold** and *italic* become tags."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from conftest import _reader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from booklet.fonts import font_set
from booklet.text import escape_text, fill_plain, markup, plain, unbalanced

# -- escaping and emphasis ---------------------------------------------------------
MARKUP = [
    ("AT&T & you", "AT&amp;T &amp; you"),
    ("<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"),
    ("</para>", "&lt;/para&gt;"),
    ('<img src="/etc/passwd"/>', '&lt;img src="/etc/passwd"/&gt;'),
    ("&nbsp; &amp; &#60;", "&amp;nbsp; &amp;amp; &amp;#60;"),
    ("**bold** and *italic*", "<b>bold</b> and <i>italic</i>"),
    ("**bold *both* bold**", "<b>bold </b><b><i>both</i></b><b> bold</b>"),
    ("a**b**c", "a<b>b</b>c"),
    ("2 * 3 * 4", "2 * 3 * 4"),
    ("x ** y ** z", "x ** y ** z"),
    ("**unclosed", "**unclosed"),
    ("unopened**", "unopened**"),
    ("*", "*"),
    ("**", "**"),
    ("***", "***"),
    ("****", "****"),
    ("** **", "** **"),
    ("**a** ****", "<b>a</b> ****"),
    ("**<b>**", "<b>&lt;b&gt;</b>"),
    ("*a **b* c**", "<i>a </i><b><i>b</i></b><b> c</b>"),
    ("line one\nline two", "line one<br/>line two"),
    ("snake_case and __dunder__", "snake_case and __dunder__"),
]


@pytest.mark.parametrize(("text", "expected"), MARKUP)
def test_markup(text: str, expected: str) -> None:
    assert markup(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("**bold** and *italic*", "<b>bold</b> and <b>italic</b>"),
    ("**bold *both* bold**", "<b>bold </b><b>both</b><b> bold</b>"),
])
def test_large_print_draws_italic_as_bold(text: str, expected: str) -> None:
    assert markup(text, emphasis="bold") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("**bold** and *italic*", "bold and italic"),
    ("****", "****"),
    ("2 * 3 * 4", "2 * 3 * 4"),
    ("AT&T <b>", "AT&T <b>"),
])
def test_plain_is_what_the_reader_sees(text: str, expected: str) -> None:
    assert plain(text) == expected


HOSTILE_VALUES = [
    "<b>bold?</b>",
    "**not bold**",
    "*not italic*",
    "</para><para>",
    '<a href="javascript:alert(1)">x</a>',
    "&nbsp;&amp;",
    "{{ other }}",
    "<font color=\"[[[getattr(pow, Word('__globals__'))['os'].system('id')]]] and 'red'\">x</font>",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_placeholder_values_are_plain_text_never_markup(value: str) -> None:
    values = {"name": value, "other": "EXPANDED"}
    from xml.sax.saxutils import escape

    assert markup("Dear {{ name }}.", values) == f"Dear {escape(value)}."
    assert markup("**Dear {{name}}**", values) == f"<b>Dear {escape(value)}</b>"
    assert plain("Dear {{ name }}", values) == f"Dear {value}"
    assert "EXPANDED" not in markup("{{ name }}", values)


def test_placeholder_value_markers_do_not_pair_with_the_text() -> None:
    # '*' in a value must not close an emphasis opened by the author, nor open one.
    assert markup("*a {{ v }} b*", {"v": "*"}) == "<i>a * b</i>"
    assert markup("x {{ v }} y*", {"v": "*x"}) == "x *x y*"


def test_unknown_placeholder_stays_as_written() -> None:
    assert markup("Hi {{ who }}") == "Hi {{ who }}"


def test_escape_text_keeps_marks_and_lines() -> None:
    assert escape_text("**A&E** <now>\nline") == "**A&amp;E** &lt;now&gt;<br/>line"


def test_fill_plain_fills_only_placeholders() -> None:
    assert fill_plain("https://x.example/{{ id }}?a=**b**", {"id": "42"}) == "https://x.example/42?a=**b**"


# -- properties ----------------------------------------------------------------------
def _dejavu_alphabet() -> str:
    """Characters DejaVu Sans draws that extract back as themselves (no whitespace, marks or controls)."""
    fonts = font_set()
    ranges = [(0x21, 0x7E), (0xA1, 0xFF), (0x100, 0x17F), (0x391, 0x3C9), (0x400, 0x45F), (0x1EA0, 0x1EF9),
              (0x2013, 0x2014), (0x2018, 0x201D), (0x20AC, 0x20AC), (0x2610, 0x2611), (0x2713, 0x2713)]
    chars = []
    for lo, hi in ranges:
        for code in range(lo, hi + 1):
            ch = chr(code)
            if (fonts.can_draw(ch) and unicodedata.category(ch)[0] in "LNPS" and ch != "\u00ad"
                    and unicodedata.normalize("NFKC", ch) == ch):
                chars.append(ch)
    return "".join(chars)


ALPHABET = _dejavu_alphabet()
#: Words of these characters plus the format's own marks, separated by spaces and line breaks.
TEXTS = st.lists(
    st.one_of(st.text(alphabet=ALPHABET, min_size=1, max_size=12),
              st.sampled_from(["**", "*", "<b>", "</para>", "&amp;", "&", "<", ">", "{{ v }}", "{{ x }}"])),
    min_size=1, max_size=30,
).flatmap(lambda words: st.lists(st.sampled_from([" ", "", "\n"]), min_size=len(words), max_size=len(words))
          .map(lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True)).strip()))


def _render(marked: str) -> bytes:
    fonts = font_set()
    style = ParagraphStyle("t", fontName=fonts.regular, fontSize=11, leading=14, splitLongWords=1)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, invariant=1, initialFontName=fonts.regular)
    doc.build([Paragraph(marked, style)])
    return buffer.getvalue()


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_any_text_survives_markup_paragraph_and_pdf(text: str) -> None:
    values = {"v": "<i>&x</i> **v**"}
    reader = _reader(_render(markup(text, values)))
    extracted = "".join(page.extract_text() for page in reader.pages)
    assert _no_space(extracted) == _no_space(plain(text, values))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_markup_of_any_text_is_accepted_by_paragraph(text: str) -> None:
    style = ParagraphStyle("t", fontName=font_set().regular)
    para = Paragraph(markup(text), style)  # raises ValueError on malformed markup
    para.wrap(300, 1000)
    tags = re.findall(r"</?[a-z]+/?>", markup(text))
    assert set(tags) <= {"<b>", "</b>", "<i>", "</i>", "<br/>"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.integers(min_value=60, max_value=300))
def test_any_text_reads_back_as_the_same_words_at_any_width(text: str, width: int) -> None:
    """booklet's Paragraph, in narrow columns: the characters as drawn, in order, make exactly the
    words the reader sees. A line break between words reads as a space, and one inside a word
    too long for the line (split) reads as nothing."""
    import pdfplumber

    from booklet.flowables import Paragraph as BookletParagraph

    fonts = font_set()
    style = ParagraphStyle("t", fontName=fonts.regular, fontSize=11, leading=14, splitLongWords=1)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, invariant=1, initialFontName=fonts.regular, pagesize=(width + 72, 842),
                            leftMargin=36, rightMargin=36)  # a column `width` points wide
    values = {"v": "<i>&x</i> **v**"}
    doc.build([BookletParagraph(markup(text, values), style)])
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as pdf:
        drawn = "".join(ch["text"] for page in pdf.pages for ch in page.chars)
    assert unicodedata.normalize("NFKC", drawn).split() == unicodedata.normalize("NFKC", plain(text, values)).split()


# -- marks without a partner (#14): which asterisks are the author's unclosed emphasis -----------
@pytest.mark.parametrize(("text", "expected"), [
    ("Do **not rub it.", [(3, "**", True)]),
    ("Do not rub it** at all.", [(13, "**", False)]),
    ("See *note", [(4, "*", True)]),
    ("*Only for adults", [(0, "*", True)]),
    ("**a **b**", [(0, "**", True)]),
    ("{{ surgery_date }", [(0, "{{", True)]),
    ("{{ a }} }}", [(8, "}}", False)]),
    ("{{ x }} and {{ y", [(12, "{{", True)]),
    # literal asterisks and braces: not reported
    ("2 * 3 * 4", []), ("x ** y", []), ("***", []), ("****", []), ("**a** ****", []), ("2*3", []),
    ("(*)", []), ("Costs* apply", []), ("word*.", []), ("* item", []), ("{ one } and { two }", []),
    ("**bold** and *italic*", []), ("***both***", []), ("un*bel*ievable", []), ("*a **b* c**", []),
])
def test_unbalanced_marks(text: str, expected: list[tuple[int, str, bool]]) -> None:
    assert [(u.offset, u.mark, u.opening) for u in unbalanced(text)] == expected
