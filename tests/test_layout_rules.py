"""Print-ready pages (#11): the layout promises, measured from the PDF (pdfplumber positions and text).

Each test builds a small handout written to provoke one rule (a phone number at a line end, a title
too long for the footer, twelve steps, a callout taller than a page...) and reads the result back.
The corpus-wide checks of the same promises are in test_print_ready.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest
from conftest import RIVERSIDE, extract_text

from booklet import api, theme
from booklet.errors import BookletError

HEADER = """\
title: {title}
reference: LR-1
version: "1.0"
language: {language}
published: 2026-01-10
review_by: 2099-01-10
audience: People testing layout rules
sources: ["A source"]
"""


def handout(body: str, title: str = "Layout rules", language: str = "en", summary: str = "") -> str:
    return HEADER.format(title=title, language=language) + summary + body


def build(path: Path, variant: str = "booklet", paper: str = "a4") -> api.Result:
    return api.build(path, clinic=RIVERSIDE, variant=variant, paper=paper, output=path.with_suffix(f".{variant}.pdf"))


def lines_of(pdf: bytes, page_index: int) -> list[list[dict]]:
    """The characters of a page grouped into lines (same baseline), each sorted left to right."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = [c for c in doc.pages[page_index].chars if c["text"].strip() or c["text"] == " "]
    lines: dict[float, list[dict]] = {}
    for c in chars:
        lines.setdefault(round(c["bottom"], 0), []).append(c)
    return [sorted(cs, key=lambda c: c["x0"]) for _, cs in sorted(lines.items())]


def line_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        count = len(doc.pages)
    return ["".join(c["text"] for c in line).replace("\u00a0", " ").strip()
            for i in range(count) for line in lines_of(pdf, i)]


# -- words and addresses -----------------------------------------------------------------------------
def test_phone_numbers_and_addresses_are_never_split_over_two_lines(write_yaml: Callable[..., Path]) -> None:
    # The number starts a little further along in each paragraph: with breakable spaces, some would
    # fall across a line end.
    paras = "\n".join(f'      - "{"Ring " + "the team " * i}on 0207 946 0123 or write to help@riverside.example '
                      f'or see https://riverside.example/help today."' for i in range(14))
    path = write_yaml(handout(f"sections:\n  - heading: Contacts\n    body:\n{paras}\n"))
    for variant in ("booklet", "large-print"):
        lines = line_texts(build(path, variant).pdf)
        assert sum("0207 946 0123" in line for line in lines) == 14, variant
        assert sum("help@riverside.example" in line for line in lines) == 14, variant
        assert sum("https://riverside.example/help" in line for line in lines) == 14, variant


def test_no_line_ends_in_a_hyphen_by_default(write_yaml: Callable[..., Path]) -> None:
    long_words = " ".join(["Physiotherapy rehabilitation appointments concerning musculoskeletal"] * 30)
    path = write_yaml(handout(f"sections:\n  - heading: Long words\n    body:\n      - {long_words}\n"))
    for variant in ("booklet", "large-print"):
        assert not [line for line in line_texts(build(path, variant).pdf) if re.search(r"\w-$", line)], variant


def test_a_layout_may_opt_in_to_hyphenating_running_text_only(write_yaml: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    original = theme._layout_file

    def layout(name: str) -> dict:
        data = dict(original(name))
        if name == "booklet":
            data["hyphenate"] = True
        return data

    monkeypatch.setattr(theme, "_layout_file", layout)
    theme.build_theme.cache_clear()
    try:
        words = " ".join(["Physiotherapy rehabilitation appointments concerning musculoskeletal"] * 30)
        bold = " ".join(["**Physiotherapy rehabilitation musculoskeletal**"] * 40)
        path = write_yaml(handout(f"sections:\n  - heading: Long words\n    body:\n      - {words}\n"
                                  f'      - "{bold}"\n'))
        lines = line_texts(build(path).pdf)
    finally:
        theme.build_theme.cache_clear()
    hyphenated = [line for line in lines if re.search(r"\w-$", line)]
    assert hyphenated, "running text is hyphenated where the layout opts in"
    # Bold terms never are: every piece of a bold word is whole.
    assert all(line.split()[-1].rstrip("-") in {"Physiotherapy", "rehabilitation", "appointments", "concerning",
                                                "musculoskeletal"} or not line.startswith("Physiotherapy rehab")
               for line in hyphenated)
    whole = {"Physiotherapy", "rehabilitation", "musculoskeletal"}
    bold_lines = [line for line in lines if line.split() and set(line.split()) <= whole]
    assert bold_lines
    assert not any(line.endswith("-") for line in bold_lines)


def test_an_address_too_long_for_its_line_is_refused_with_its_line(write_yaml: Callable[..., Path]) -> None:
    url = "https://riverside.example/" + "very-long-path/" * 12 + "page"
    path = write_yaml(handout(f"sections:\n  - heading: Website\n    body:\n      - Read more at {url} today.\n"))
    with pytest.raises(BookletError) as caught:
        build(path)
    problem = caught.value.problems[0]
    assert problem.loc.line == 12
    assert "web address" in problem.message
    assert "too long to print on one line" in problem.message
    assert "shorter" in problem.hint
    assert not path.with_suffix(".booklet.pdf").exists()


def test_the_web_address_beside_a_qr_code_is_printed_whole_at_body_size(write_yaml: Callable[..., Path]) -> None:
    url = "https://riverside.example/breastcare/video"  # too wide beside the code, not for the page
    path = write_yaml(handout(f"sections:\n  - heading: Film\n    body:\n      - qr:\n          url: {url}\n"
                              "          caption: Watch our film\n"))
    for variant, body in (("booklet", 12), ("large-print", 18)):
        pdf = build(path, variant).pdf
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for page in doc.pages:
                for line in lines_of(pdf, page.page_number - 1):
                    text = "".join(c["text"] for c in line)
                    if "riverside.example/breastcare" in text:
                        assert url in text, variant
                        assert min(c["size"] for c in line) >= body - 0.01, variant
                        break
                else:
                    continue
                break
            else:
                pytest.fail(f"{variant}: the address is not on any line")


# -- furniture ------------------------------------------------------------------------------------
def test_the_footer_is_one_line_and_a_long_title_is_shortened(write_yaml: Callable[..., Path]) -> None:
    title = "Как измерять артериальное давление дома правильно и без ошибок"
    body = "\n".join(f"      - Пункт номер {i}, измеряйте давление утром и вечером, записывайте результаты." for i in
                     range(40))
    path = write_yaml(handout(f"sections:\n  - heading: Раздел\n    body:\n{body}\n", title=title, language="ru"))
    pdf = build(path).pdf
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        inner = doc.pages[1:-1]
        assert inner
        for page in inner:
            footer = [c for c in page.chars if c["top"] > page.height - 40 and c["text"].strip()]
            assert footer, page.page_number
            assert len({round(c["bottom"]) for c in footer}) == 1, f"page {page.page_number}: footer wraps"
            text = "".join(c["text"] for c in sorted(footer, key=lambda c: c["x0"]))
            assert text.endswith(f"Страница{page.page_number}"), text
            assert "…" in text or title.replace(" ", "") in text


def test_step_numbers_of_two_digits_leave_their_text_alone(write_yaml: Callable[..., Path]) -> None:
    steps = "\n".join(f"          - Step {i} of the routine" for i in range(1, 13))
    path = write_yaml(handout(f"sections:\n  - heading: Routine\n    body:\n      - steps:\n{steps}\n"))
    for variant in ("booklet", "large-print"):
        pdf = build(path, variant).pdf
        found = 0
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for index in range(len(doc.pages)):
                for line in lines_of(pdf, index):
                    text = "".join(c["text"] for c in line)
                    match = re.match(r"(\d+)\.Step", text)
                    if not match:
                        continue
                    found += 1
                    number_end = line[len(match.group(1))]["x1"]  # the dot after the number
                    text_start = line[len(match.group(1)) + 1]["x0"]
                    assert text_start - number_end >= line[0]["size"] * 0.2, (variant, text)
        assert found == 12, variant


# -- keeping things together ----------------------------------------------------------------------
def test_a_callout_taller_than_a_page_repeats_its_title_as_continued(write_yaml: Callable[..., Path]) -> None:
    bullets = "\n".join(f"            - Warning sign number {i} that needs a call" for i in range(70))
    path = write_yaml(handout("sections:\n  - heading: Signs\n    body:\n      - callout:\n          kind: urgent\n"
                              f"          title: Call us now\n          bullets:\n{bullets}\n"))
    pdf = build(path).pdf
    pages = [extract_text(pdf, [i]) for i in range(len(pdfplumber.open(io.BytesIO(pdf)).pages))]
    first = next(i for i, t in enumerate(pages) if "Call us now" in t)
    assert "Call us now (continued)" in pages[first + 1]
    assert "Warning sign number 69" in extract_text(pdf)


def test_an_urgent_callout_that_fits_a_page_is_never_split(write_yaml: Callable[..., Path]) -> None:
    filler = "\n".join(f"      - Paragraph {i} about the treatment, its aims and what to expect from it." for i in
                       range(9))
    bullets = "\n".join(f"            - Sign {i}" for i in range(10))
    path = write_yaml(handout(f"sections:\n  - heading: Signs\n    body:\n{filler}\n      - callout:\n"
                              f"          kind: urgent\n          title: Get help now\n          bullets:\n{bullets}\n"
                              "      - After the box.\n"))
    for variant in ("booklet", "large-print"):
        pdf = build(path, variant).pdf
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            pages = [p.extract_text() or "" for p in doc.pages]
        holding = [i for i, t in enumerate(pages) if "Get help now" in t or re.search(r"Sign \d\b", t)]
        assert len(holding) == 1, (variant, holding)
        assert all(f"Sign {i}" in pages[holding[0]] for i in range(10)), variant


def test_a_short_list_or_table_is_never_split_and_a_long_one_leaves_two(write_yaml: Callable[..., Path]) -> None:
    filler = "\n".join(f"      - Paragraph {i} about the treatment, its aims and what to expect from it, and who to "
                       "ask when something is not clear." for i in range(7))
    rows = "\n".join(f'            - ["Row {i}", "What row {i} says"]' for i in range(4))
    items = "\n".join(f"          - Item {i} of the long list" for i in range(25))
    path = write_yaml(handout(f"sections:\n  - heading: Lists\n    body:\n{filler}\n      - table:\n"
                              f"          columns: [Name, Meaning]\n          rows:\n{rows}\n{filler}\n"
                              f"      - bullets:\n{items}\n"))
    for variant in ("booklet", "large-print"):
        pdf = build(path, variant).pdf
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            pages = [p.extract_text() or "" for p in doc.pages]
        rows_on = {i for i, t in enumerate(pages) for r in range(4) if f"Row {r}" in t}
        assert len(rows_on) == 1, variant
        for i, text in enumerate(pages):
            count = len(re.findall(r"Item \d+ of the long list", text))
            assert count == 0 or count >= 2, (variant, i, count)


def test_a_heading_keeps_its_key_points_and_two_lines_of_its_text(write_yaml: Callable[..., Path]) -> None:
    sections = []
    for n in range(6):
        paras = "\n".join(f"      - Section {n} paragraph {i}, what happens at the clinic, who you will meet and how "
                          "long it takes, so that you can plan your day and bring what you need." for i in range(n + 2))
        sections.append(f"  - heading: Heading {n}\n    key_points: [Point {n}a, Point {n}b]\n    body:\n{paras}")
    path = write_yaml(handout("sections:\n" + "\n".join(sections) + "\n"))
    for variant in ("booklet", "large-print"):
        pdf = build(path, variant).pdf
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            pages = [p.extract_text() or "" for p in doc.pages]
        for n in range(6):
            page = next(i for i, t in enumerate(pages) if f"Heading {n}" in t and not t.startswith("Contents"))
            after = pages[page].split(f"Heading {n}", 1)[1]
            assert f"Point {n}b" in after, (variant, n)
            body = after.split(f"Point {n}b", 1)[1]
            assert body.count("\n") >= 2, (variant, n)
            assert f"Section {n} paragraph 0" in body, (variant, n)


# -- the size of the booklet ------------------------------------------------------------------------
def test_a_short_handout_is_a_four_page_leaflet(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(handout("sections:\n  - heading: One\n    body:\n      - Short.\n"
                              "  - heading: Two\n    body:\n      - Short too.\n"
                              "  - heading: Three\n    body:\n      - And short.\n",
                              summary="summary:\n  - A point.\n  - Another point.\n"))
    result = build(path)
    assert result.pages == 4
    text = extract_text(result.pdf)
    assert "Contents" not in text
    assert "01234 567 890" in extract_text(result.pdf, [3])  # the back page is the last page


def test_padding_is_one_notes_page_then_pages_to_fill_in(write_yaml: Callable[..., Path]) -> None:
    texts = []
    for n in range(1, 9):
        paras = "\n".join(f"      - Paragraph {i} about the treatment, its aims and what to expect from it, and who "
                          "to ask when something is not clear." for i in range(n * 3))
        path = write_yaml(handout(f"sections:\n  - heading: Only\n    body:\n{paras}\n"), name=f"h{n}.yaml")
        result = build(path)
        assert result.pages % 4 == 0
        with pdfplumber.open(io.BytesIO(result.pdf)) as doc:
            pages = [p.extract_text() or "" for p in doc.pages]
        notes = [t for t in pages if t.startswith("Notes")]
        assert len(notes) <= 1, n
        texts.append(pages)
    # Some lengths need two or three pages of padding: they get the pages a patient fills in.
    assert any(any(t.startswith("My care team") for t in pages) for pages in texts)
    assert any(any(t.startswith("My appointments") for t in pages) for pages in texts)


def test_small_text_in_a_figure_is_enlarged_or_warned_about(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="200" viewBox="0 0 600 200">'
           '<rect x="10" y="10" width="580" height="180" fill="#ddeeff"/>'
           '<text x="20" y="100" font-size="{size}">Label</text></svg>')
    (tmp_path / "big.svg").write_text(svg.format(size=14))
    (tmp_path / "tiny.svg").write_text(svg.format(size=3))
    body = ("sections:\n  - heading: Pictures\n    body:\n"
            "      - image: {src: big.svg, alt: A label, width: 50%}\n"
            "      - image: {src: tiny.svg, alt: A tiny label, width: 50%}\n")
    path = write_yaml(handout(body))
    result = build(path)
    warnings = [w for w in result.warnings if "tiny.svg" in w.message]
    assert len(warnings) == 1
    assert warnings[0].loc.line == 13
    assert "would print at" in warnings[0].message
    with pdfplumber.open(io.BytesIO(result.pdf)) as doc:
        labels = [c for p in doc.pages for c in p.chars if c["text"] == "L"]
    sizes = sorted(round(c["size"], 1) for c in labels)
    assert sizes[-1] >= 9.0  # the 14 px label, enlarged from 50% of the width to reach 9 pt


def test_a_lead_in_stays_with_its_list_and_its_heading_with_both(write_yaml: Callable[..., Path]) -> None:
    sections = []
    for n in range(7):
        paras = "\n".join(f"      - Section {n} paragraph {i}, what happens at the clinic, who you will meet and how "
                          "long it takes, so that you can plan your day." for i in range(n % 4 + 1))
        steps = "\n".join(f"          - Step {n}.{i} of the visit, in the order it happens" for i in range(1, 5))
        sections.append(f"  - heading: Heading {n}\n    key_points: [Point {n}a, Point {n}b]\n    body:\n"
                        f"      - \"Section {n} goes like this:\"\n      - steps:\n{steps}\n{paras}")
    path = write_yaml(handout("sections:\n" + "\n".join(sections) + "\n"))
    for variant in ("booklet", "large-print"):
        pdf = build(path, variant).pdf
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            pages = [p.extract_text() or "" for p in doc.pages]
        for n in range(7):
            lead = next(i for i, t in enumerate(pages) if f"Section {n} goes like this:" in t)
            assert f"Step {n}.1" in pages[lead], (variant, n)  # the lead-in and its list
            assert f"Heading {n}" in pages[lead], (variant, n)  # and the heading over both
