"""Building booklets end to end (issue 2): page geometry, every word present, fonts, metadata, outputs."""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from conftest import (
    DATA,
    EXAMPLE,
    RIVERSIDE,
    fonts_of,
    invoke_cli,
    is_standard_14,
    missing_words,
    page_chars,
    page_texts_of,
    printed_texts,
    squash,
    without_footers,
)
from pypdf import PdfReader

from booklet import __version__, api
from booklet.text import plain

A5 = (419.5, 595.3)
HALF_LETTER = (396.0, 612.0)
LANGUAGES = ("es", "pl", "vi", "ru", "el")


#: What each build printed on stderr, by output path.
REPORTS: dict[Path, str] = {}


def build_cli(out: Path, content: Path = EXAMPLE, *extra: str | Path) -> Path:
    code, stdout, stderr = invoke_cli("build", content, *extra, "-o", out)
    assert code == 0, stderr
    assert stdout == ""
    assert out.is_file()
    REPORTS[out] = stderr
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="module")
def example(folder: Path) -> tuple[Path, Path]:
    """A snapshot of content/ (the example and its clinic), so the module sees one version of it."""
    shutil.copytree(EXAMPLE.parent, folder / "content")
    return folder / "content" / EXAMPLE.name, folder / "content" / RIVERSIDE.relative_to(EXAMPLE.parent)


@pytest.fixture(scope="module")
def example_pdf(folder: Path, example: tuple[Path, Path]) -> Path:
    return build_cli(folder / "example.pdf", example[0], "--clinic", example[1])


@pytest.fixture(scope="module")
def example_letter_pdf(folder: Path, example: tuple[Path, Path]) -> Path:
    return build_cli(folder / "example-letter.pdf", example[0], "--clinic", example[1], "--paper", "letter")


@pytest.fixture(scope="module")
def example_model(example: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    return api.load(*example)


@pytest.fixture(scope="module")
def example_text(example_pdf: Path, example_model) -> str:  # type: ignore[no-untyped-def]
    return without_furniture(page_texts_of(example_pdf), *example_model)


def without_furniture(pages: list[str], handout, clinic=None) -> str:  # type: ignore[no-untyped-def]
    """The pages' text without the running footer, so that a word hyphenated across a page break joins up."""
    page_word = api.prepare(handout, clinic or api.read_clinic(None)).theme.word("page")
    return without_footers(pages, page_word)


# -- geometry --------------------------------------------------------------------
@pytest.mark.parametrize(("fixture", "size"), [("example_pdf", A5), ("example_letter_pdf", HALF_LETTER)])
def test_page_size_and_count(request: pytest.FixtureRequest, fixture: str, size: tuple[float, float]) -> None:
    reader = PdfReader(request.getfixturevalue(fixture))
    assert len(reader.pages) % 4 == 0
    assert len(reader.pages) >= 8
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == size


def test_cli_reports_what_it_wrote(example_pdf: Path) -> None:
    pages = len(PdfReader(example_pdf).pages)
    assert REPORTS[example_pdf] == f"wrote {example_pdf} ({pages} pages)\n"


def test_default_output_is_stem_in_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = DATA / "lang" / "es.yaml"
    monkeypatch.chdir(tmp_path)
    code, _, stderr = invoke_cli("build", source)
    assert code == 0, stderr
    assert (tmp_path / "es.pdf").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["es.pdf"]


# -- every word --------------------------------------------------------------------
def test_every_word_of_the_example_is_in_the_pdf(example_model, example_text: str) -> None:  # type: ignore[no-untyped-def]
    handout, clinic = example_model
    texts = printed_texts(handout, clinic)
    assert len(texts) > 100
    assert missing_words(texts, example_text) == []


def test_every_word_in_the_letter_variant(example_model, example_letter_pdf: Path) -> None:  # type: ignore[no-untyped-def]
    handout, clinic = example_model
    text = without_furniture(page_texts_of(example_letter_pdf), handout, clinic)
    assert missing_words(printed_texts(handout, clinic), text) == []


def test_word_check_finds_a_missing_word(example_text: str) -> None:
    """The helper itself must be able to fail."""
    assert missing_words(["metastatic breast cancer"], example_text) == []
    missing = missing_words(["metastatic xylophone cancer"], example_text)
    assert missing == [("metastatic xylophone cancer", "xylophone")]
    assert missing_words(["cancer metastatic zebra"], "cancer metastatic") == [("cancer metastatic zebra", "zebra")]


def test_no_empty_boxes_or_replacement_characters(example_pdf: Path) -> None:
    raw = "".join(page.extract_text() for page in PdfReader(example_pdf).pages)
    assert "\x00" not in raw
    assert "\ufffd" not in raw


def off_page(path: Path) -> list[tuple[int, str]]:
    return [(page.number, text) for page in page_chars(path) for text, _, x0, x1, top, bottom, _ in page.chars
            if x0 < -0.5 or x1 > page.width + 0.5 or top < -0.5 or bottom > page.height + 0.5]


def test_nothing_is_drawn_off_the_page(example_pdf: Path) -> None:
    assert off_page(example_pdf) == []


def test_body_text_is_at_least_12_pt(example_pdf: Path) -> None:
    sizes = [round(size, 1) for page in page_chars(example_pdf)[2:-1] for text, size, *_ in page.chars if text.strip()]
    most_common = max(set(sizes), key=sizes.count)
    assert most_common >= 12


# -- fonts -------------------------------------------------------------------------
def assert_fonts_embedded(path: Path) -> None:
    fonts = fonts_of(path)
    assert fonts, "no fonts found"
    assert [f for f in fonts if not f.embedded] == []
    assert [f.base_font for f in fonts if is_standard_14(f.base_font)] == []


def test_fonts_are_embedded_and_none_is_standard_14(example_pdf: Path, example_letter_pdf: Path) -> None:
    assert_fonts_embedded(example_pdf)
    assert_fonts_embedded(example_letter_pdf)
    names = {f.base_font.split("+", 1)[-1] for f in fonts_of(example_pdf)}
    assert names == {"DejaVuSans", "DejaVuSans-Bold"} or names >= {"DejaVuSans", "DejaVuSans-Bold"}


def test_build_without_clinic_has_no_standard_14_font_either(folder: Path, example: tuple[Path, Path]) -> None:
    assert_fonts_embedded(build_cli(folder / "neutral.pdf", example[0]))


# -- metadata and navigation ---------------------------------------------------------
def test_metadata(example_pdf: Path, example_model) -> None:  # type: ignore[no-untyped-def]
    handout, clinic = example_model
    reader = PdfReader(example_pdf)
    meta = reader.metadata
    assert meta.title == plain(handout.title)
    assert meta.author == clinic.name
    assert meta.subject == plain(handout.subtitle)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == handout.language
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True


def test_one_bookmark_per_section(example_pdf: Path, example_model) -> None:  # type: ignore[no-untyped-def]
    handout, clinic = example_model
    reader = PdfReader(example_pdf)
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert all(not isinstance(item, list) for item in reader.outline)  # one level
    glance = api.prepare(handout, clinic).theme.word("at_a_glance")
    assert [t for t in titles if t != glance] == [plain(s.heading) for s in handout.sections]
    # each bookmark opens the page its heading is on
    for item in reader.outline:
        page = reader.get_destination_page_number(item)
        assert squash(item.title) in squash(reader.pages[page].extract_text())


def heading_pages(path: Path, min_size: float) -> list[str]:
    """The text drawn at heading size or larger, page by page."""
    return [squash("".join(text for text, size, *_ in page.chars if size >= min_size)) for page in page_chars(path)]


def test_contents_page_numbers_match_the_headings(example_pdf: Path, example_model) -> None:  # type: ignore[no-untyped-def]
    handout, clinic = example_model
    assert len(handout.sections) >= 3
    theme = api.prepare(handout, clinic).theme
    pages = page_texts_of(example_pdf)
    contents = squash(pages[1])
    assert squash(theme.word("contents")) in contents
    big = heading_pages(example_pdf, theme.type.size("h1") - 0.5)
    for section in handout.sections:
        heading = squash(plain(section.heading))
        match = re.search(re.escape(heading) + r"(\d+)", contents)
        assert match, f"{section.heading!r} is not on the contents page"
        number = int(match.group(1))
        assert heading in big[number - 1], f"{section.heading!r} is not at heading size on page {number}"
        # it starts on that page: the page before does not already show it as a heading
        assert number < 3 or heading not in big[number - 2]


def test_footer_shows_page_number_title_and_reference(example_pdf: Path, example_model) -> None:  # type: ignore[no-untyped-def]
    handout, _ = example_model
    pages = page_texts_of(example_pdf)
    for number, text in enumerate(pages[1:-1], 2):
        assert f"Page {number}" in text
        assert squash(f"{plain(handout.title)} · {handout.reference}") in squash(text)


# -- reproducible, atomic output -----------------------------------------------------
def test_same_input_same_bytes(example_pdf: Path, folder: Path, example: tuple[Path, Path]) -> None:
    again = build_cli(folder / "again.pdf", example[0], "--clinic", example[1])
    assert again.read_bytes() == example_pdf.read_bytes()


def test_existing_output_is_replaced_by_a_complete_file(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old contents")
    build_cli(out, DATA / "lang" / "es.yaml")
    assert out.read_bytes().startswith(b"%PDF-")
    assert out.read_bytes().rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_failing_build_leaves_the_old_output_and_no_temp_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nsections:\n  - heading: H\n    body:\n      - tabel: x\n", encoding="utf-8")
    out = tmp_path / "out.pdf"
    out.write_bytes(b"previous booklet")
    code, stdout, stderr = invoke_cli("build", bad, "-o", out)
    assert (code, stdout) == (2, "")
    assert stderr == f"{bad}:5:9: error: unknown block 'tabel'\n  hint: did you mean 'table'?\n"
    assert out.read_bytes() == b"previous booklet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "out.pdf"]


def test_output_path_that_is_a_folder(tmp_path: Path) -> None:
    code, stdout, stderr = invoke_cli("build", DATA / "lang" / "es.yaml", "-o", tmp_path)
    assert (code, stdout) == (2, "")
    assert stderr == f"{tmp_path}: error: the output path is a folder\n  hint: give a file name ending in .pdf\n"
    assert list(tmp_path.iterdir()) == []


# -- command line ----------------------------------------------------------------------
def test_version() -> None:
    assert invoke_cli("--version") == (0, f"booklet, version {__version__}\n", "")


def test_help() -> None:
    code, stdout, _ = invoke_cli("--help")
    assert code == 0
    assert "build" in stdout
    assert "Usage: booklet" in stdout


def test_build_help_has_an_example() -> None:
    code, stdout, _ = invoke_cli("build", "--help")
    assert code == 0
    assert "Example:" in stdout
    assert "booklet build content/metastatic-breast-cancer.yaml" in stdout
    for option in ("--clinic", "--paper", "--set", "-o, --output"):
        assert option in stdout


@pytest.mark.parametrize("args", [["build"], ["build", "x.yaml", "--paper", "a3"], ["frobnicate"], ["build", "--nope"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, stdout, stderr = invoke_cli(*args)
    assert code == 2
    assert stdout == ""
    assert stderr.startswith("Usage: booklet")
    assert "Traceback" not in stderr


def test_missing_content_file_exits_2(tmp_path: Path) -> None:
    code, _, stderr = invoke_cli("build", tmp_path / "nope.yaml", "-o", tmp_path / "x.pdf")
    assert code == 2
    assert stderr == f"{tmp_path / 'nope.yaml'}: error: file not found\n  hint: check the file name and folder\n"


# -- languages -----------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_languages_build_with_every_character_drawn(folder: Path, language: str) -> None:
    source = DATA / "lang" / f"{language}.yaml"
    out = build_cli(folder / f"{language}.pdf", source)
    handout, clinic = api.load(source)
    assert handout.language == language
    texts = printed_texts(handout, clinic)
    raw = unicodedata.normalize("NFC", "".join(page.extract_text() for page in PdfReader(out).pages))
    assert "\x00" not in raw
    assert "\ufffd" not in raw
    wanted = {ch for t in texts for ch in t if not ch.isspace()}
    assert wanted - set(raw) == set()
    assert any(ord(ch) > 0x7F for ch in wanted)  # the test would be empty for ASCII text
    assert missing_words(texts, without_furniture(page_texts_of(out), handout, clinic)) == []
    assert_fonts_embedded(out)
    assert PdfReader(out).trailer["/Root"]["/Lang"] == language


# -- a long handout ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def long_pdf(folder: Path) -> tuple[Path, float]:
    start = time.perf_counter()
    out = build_cli(folder / "long.pdf", DATA / "long.yaml")
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def long_text(long_pdf: tuple[Path, float]) -> list[str]:
    return page_texts_of(long_pdf[0])


def test_long_handout_builds_with_every_word(long_pdf: tuple[Path, float], long_text: list[str]) -> None:
    seconds = long_pdf[1]
    assert seconds < 30
    handout, clinic = api.load(DATA / "long.yaml")
    assert len(handout.sections) == 60
    tables = [b for s in handout.sections for b in s.body if type(b).__name__ == "Table"]
    assert len(tables[0].rows) == 300
    text = without_furniture(long_text, handout, clinic)
    assert missing_words(printed_texts(handout, clinic), text) == []
    long_word = max((w for t in printed_texts(handout) for w in t.split()), key=len)
    assert len(long_word) == 2000
    assert long_word in squash(text)  # split across lines, but all there and in order
    paragraph = max(printed_texts(handout), key=len)
    assert len(paragraph) >= 4900
    assert squash(paragraph) in squash(text)


def test_long_handout_draws_nothing_off_the_page(long_pdf: tuple[Path, float]) -> None:
    assert off_page(long_pdf[0]) == []


def test_long_table_repeats_its_header_on_every_page(long_text: list[str]) -> None:
    pages = [t for t in long_text if "rownote" in t]
    assert len(pages) >= 5
    for text in pages:
        header = text.find("Medicine Dose schedule Notes")
        assert header != -1
        assert header < text.find("rownote")
    rows = sorted({int(n) for t in pages for n in re.findall(r"rownote(\d{3})", t)})
    assert rows == list(range(1, 301))


def test_long_handout_has_a_page_count_multiple_of_4_and_a_full_contents(long_pdf: tuple[Path, float]) -> None:
    reader = PdfReader(long_pdf[0])
    assert len(reader.pages) % 4 == 0
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert [t for t in titles if t.startswith("Section ")] == [t for t in titles if t != "At a glance"]
    assert len([t for t in titles if t.startswith("Section ")]) == 60


def test_a_heading_and_its_key_points_box_share_the_page_they_fit_on(write_yaml, tmp_path: Path, page_texts) -> None:
    """Heading + key points are kept together without pushing short sections onto pages of their own."""
    source = write_yaml("""
        title: Short sections
        sections:
          - heading: First part
            key_points: [One thing to remember]
            body: [A short paragraph.]
          - heading: Second part
            key_points: [Another thing to remember]
            body: [Another short paragraph.]
          - heading: Third part
            key_points: [A last thing to remember]
            body: [A last short paragraph.]
    """)
    out = tmp_path / "short.pdf"
    code, _, stderr = invoke_cli("build", source, "-o", out)
    assert code == 0, stderr
    pages = page_texts(out)
    holding = [i for i, text in enumerate(pages) if "First part" in text and "Contents" not in text]
    assert len(holding) == 1
    page = pages[holding[0]]
    assert "Second part" in page
    assert "Third part" in page
    assert "A last thing to remember" in page


def test_work_reused_within_a_process_gives_the_bytes_of_a_fresh_process(tmp_path: Path) -> None:
    """Parsed paragraphs, hyphenation dictionaries and font metrics are reused within a process
    (a batch worker renders the same handout for every row): the output must not change."""
    import subprocess
    import sys

    from booklet import flowables

    fresh = tmp_path / "fresh.pdf"
    subprocess.run([sys.executable, "-m", "booklet", "build", str(EXAMPLE), "--clinic", str(RIVERSIDE),
                    "-o", str(fresh)], check=True, capture_output=True)
    handout, clinic = api.load(EXAMPLE, RIVERSIDE)
    first = api.render_prepared(api.prepare(handout, clinic)).pdf
    parsed = len(flowables._parsed)
    second = api.render_prepared(api.prepare(handout, clinic)).pdf
    assert parsed > 100
    assert len(flowables._parsed) == parsed
    assert first == second == fresh.read_bytes()


@pytest.mark.parametrize("variant", ["booklet", "large-print"])
def test_a_200_character_name_in_the_audience_line_fits_the_cover(tmp_path: Path, variant: str) -> None:
    """A personalised cover ("Prepared for {{ patient_name }}") with a very long name: the band grows
    to hold the whole line, below the title, on the page."""
    name = ("Bartholomew-Featherstonehaugh " * 10)[:200]
    handout = tmp_path / "h.yaml"
    handout.write_text("title: Your chemotherapy\naudience: Prepared for {{ patient_name }} "
                       "(hospital number {{ patient_id }})\nsections:\n  - heading: H\n    body: [Hello]\n",
                       encoding="utf-8")
    out = tmp_path / "out.pdf"
    extra = ["--large-print"] if variant == "large-print" else []
    code, _, err = invoke_cli("build", handout, *extra, "--set", f"patient_name={name}",
                              "--set", "patient_id=P00042", "-o", out)
    assert code == 0, err
    cover = page_chars(out)[0]
    text = squash("".join(ch for ch, *_ in cover.chars))
    assert squash(f"Prepared for {name} (hospital number P00042)") in text
    title_bottom = max(bottom for ch, size, x0, x1, top, bottom, font in cover.chars if size >= 20)
    audience = [c for c in cover.chars if c[1] < 20]
    assert min(top for ch, size, x0, x1, top, bottom, font in audience) > title_bottom
    for ch, _size, x0, x1, top, bottom, _font in cover.chars:
        assert 0 <= x0 <= x1 <= cover.width, ch
        assert 0 <= top <= bottom <= cover.height, ch


def test_copies_with_different_values_reuse_line_breaks_without_changing_a_byte(tmp_path: Path) -> None:
    """Rows of a batch reuse the line breaks of paragraphs their values do not touch, even where a
    longer value moves such a paragraph's page break (a split changes the split word in place)."""
    import subprocess
    import sys

    from booklet import flowables

    story = " ".join(f"Sentence {i} explains how the treatment works and what to expect afterwards."
                     for i in range(60))
    mixed = " ".join(f"Line {i} says **what matters most** and *why* it helps." for i in range(80))  # several styles
    handout = tmp_path / "h.yaml"
    handout.write_text("title: T\nsections:\n  - heading: H\n    body:\n      - \"Dear {{ name }},\"\n"
                       f"      - {story}\n      - \"{mixed}\"\n", encoding="utf-8")
    names = ["Ann", ("Bartholomew Featherstonehaugh " * 7).strip()]

    def fresh(name: str) -> bytes:
        out = tmp_path / "fresh.pdf"
        subprocess.run([sys.executable, "-m", "booklet", "build", str(handout), "--set", f"name={name}",
                        "-o", str(out)], check=True, capture_output=True)
        return out.read_bytes()

    expected = {name: fresh(name) for name in names}
    assert expected[names[0]] != expected[names[1]]
    handout_model, clinic = api.load(handout)
    prepared = api.prepare(handout_model, clinic)
    flowables._broken.clear()  # a cache: start this test with nothing remembered
    for name in names:
        assert api.render_prepared(prepared, {"name": name}).pdf == expected[name], name
    remembered = len(flowables._broken)
    for name in names[::-1]:  # both again, in the other order: all from memory
        assert api.render_prepared(prepared, {"name": name}).pdf == expected[name], name
    assert remembered > 0
    assert len(flowables._broken) == remembered
