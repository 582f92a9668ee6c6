"""Large print (RNIB / UKAAF clear and large print): nothing under 16 pt, no italics, A4 pages, readable colours."""

from __future__ import annotations

import io
import itertools
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from conftest import CONTENT, DATA, EXAMPLE, RIVERSIDE, extract_text, missing_words

from booklet import api
from booklet.compose import Styles
from booklet.errors import BookletError
from booklet.fonts import font_set
from booklet.theme import contrast, theme_for
from booklet.validate import DEFAULT_CLINIC

SUNNY = CONTENT / "clinics" / "sunny" / "clinic.yaml"
CLINICS = {"riverside": RIVERSIDE, "sunny": SUNNY}
HANDOUTS = [EXAMPLE, *sorted((DATA / "lang").glob("*.yaml"))]
A4 = (595.3, 841.9)
LETTER = (612.0, 792.0)
#: RNIB / UKAAF: nothing on a large-print page is smaller than this.
MIN_SIZE = 16.0

#: Every kind of block, emphasis in italics, a table too wide for 18 pt, a picture with text in it.
EVERYTHING = """\
title: Living with a stoma
subtitle: Everything in one handout
reference: LP-ALL
version: "3.1"
review_by: 2027-03-01
summary:
  - A stoma is an opening on your tummy that lets poo or wee leave your body.
  - Change your bag *whenever it is a third full*.
sections:
  - heading: Looking after your stoma
    key_points: [Check the skin around your stoma every day.]
    body:
      - This paragraph has *italic words* and **bold words** in it.
      - bullets: [Wash with warm water, Dry gently]
      - steps: [Empty the bag, Peel it off slowly, Fit a new one]
      - callout:
          kind: urgent
          title: Call 999 if you have
          bullets: [heavy bleeding from the stoma, severe tummy pain]
      - callout:
          kind: warning
          title: Call us the same day if
          text: your stoma turns *dark red or black*.
      - table:
          columns: [Medicine, Morning, Afternoon, Evening]
          rows:
            - [Hydroxychloroquine, 200 milligrams, Nothing, 200 milligrams]
            - [Loperamide, 2 milligrams, 2 milligrams, Nothing]
      - table:
          columns: [Problem, What to do]
          rows:
            - [Sore skin, Use a barrier film and tell your nurse]
      - image:
          src: images/spread-map.svg
          alt: A body outline with labelled dots.
          caption: A picture with labels in it
          width: 40%
      - questions: [How often should I change my bag?, Who do I call at night?]
      - notes: 3
      - glossary: {Stoma: an opening on the tummy}
      - qr: {url: "https://example.org/stoma", caption: Watch the video}
"""


@dataclass(frozen=True)
class Output:
    """What a test needs to know about one PDF, read once."""

    pdf: bytes
    pages: int
    sizes: tuple[tuple[float, float], ...]
    min_size: float
    fonts: frozenset[str]

    @property
    def paper(self) -> set[tuple[float, float]]:
        return {(round(w, 1), round(h, 1)) for w, h in self.sizes}


def hex_of(colour: object) -> str:
    if not colour:
        return "#000000"
    values = tuple(colour) if isinstance(colour, (tuple, list)) else (colour,)  # type: ignore[arg-type]
    if len(values) == 1:
        values = values * 3
    return "#" + "".join(f"{round(float(v) * 255):02X}" for v in values[:3])


def read(pdf: bytes) -> Output:
    fonts, sizes, smallest = set(), [], 1000.0
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            sizes.append((float(page.width), float(page.height)))
            for c in page.chars:
                if c["text"].strip():
                    smallest = min(smallest, round(c["size"], 3))  # pdfplumber's matrix arithmetic: 15.99999...
                    fonts.add(c["fontname"])
        return Output(pdf, len(doc.pages), tuple(sizes), smallest, frozenset(fonts))


def colours(pdf: bytes) -> set[tuple[int, str, str]]:
    """(page, text colour, background colour) of every character; the background is the smallest filled
    rectangle under the character's centre (box, table row, band), else the white paper."""
    out = set()
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for number, page in enumerate(doc.pages, 1):
            fills = [r for r in page.rects if r.get("fill")]
            for c in page.chars:
                if not c["text"].strip():
                    continue
                x, y = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
                under = [r for r in fills if r["x0"] <= x <= r["x1"] and r["top"] <= y <= r["bottom"]]
                back = min(under, key=lambda r: r["width"] * r["height"])["non_stroking_color"] if under else (1,)
                out.add((number, hex_of(c["non_stroking_color"]), hex_of(back)))
    return out


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("everything")
    (folder / "images").mkdir()
    shutil.copy(CONTENT / "images" / "spread-map.svg", folder / "images")
    path = folder / "stoma.yaml"
    path.write_text(EVERYTHING, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def render() -> Callable[..., Output | BookletError]:
    """render(content, clinic, variant, paper="a4") -> Output, or the BookletError; each rendered once."""
    cache: dict[tuple, Output | BookletError] = {}

    def run(content: Path, clinic: Path | None, variant: str, paper: str = "a4") -> Output | BookletError:
        key = (content, clinic, variant, paper)
        if key not in cache:
            handout, clinic_model = api.load(content, clinic)
            try:
                result = api.render_prepared(api.prepare(handout, clinic_model, variant, paper))
            except BookletError as exc:
                cache[key] = exc
            else:
                cache[key] = read(result.pdf)
        return cache[key]

    return run


def no_italics(out: Output) -> None:
    assert not [f for f in out.fonts if "Oblique" in f or "Italic" in f], out.fonts


# -- every example and test handout, both clinics ---------------------------------------------------
@pytest.mark.parametrize("clinic", CLINICS, ids=str)
@pytest.mark.parametrize("content", HANDOUTS, ids=lambda p: p.stem)
def test_large_print_booklet(render: Callable[..., Output], content: Path, clinic: str) -> None:
    out = render(content, CLINICS[clinic], "large-print")
    assert isinstance(out, Output)
    assert out.min_size >= MIN_SIZE
    assert out.pages % 4 == 0
    assert out.paper == {A4}
    no_italics(out)


@pytest.mark.parametrize("clinic", CLINICS, ids=str)
@pytest.mark.parametrize("content", HANDOUTS, ids=lambda p: p.stem)
def test_large_print_summary_is_one_sheet_or_the_clear_error(render: Callable[..., Output], content: Path,
                                                             clinic: str) -> None:
    out = render(content, CLINICS[clinic], "large-print-summary")
    if isinstance(out, BookletError):
        assert len(out.problems) == 1
        assert out.problems[0].message.startswith("the large-print summary needs ")
        assert " pages at 16 pt, the smallest size allowed, and has two sides" in out.problems[0].message
        return
    assert out.pages in (1, 2)  # the front, and the back when the front is not enough
    assert out.min_size >= MIN_SIZE
    assert out.paper == {A4}
    no_italics(out)


def test_some_test_handouts_fit_a_large_print_summary(render: Callable[..., Output]) -> None:
    assert isinstance(render(DATA / "lang" / "vi.yaml", SUNNY, "large-print-summary"), Output)
    assert isinstance(render(DATA / "lang" / "vi.yaml", RIVERSIDE, "large-print-summary"), Output)


# -- one handout with every kind of block ---------------------------------------------------------
@pytest.mark.parametrize("variant", ["large-print", "large-print-summary"])
def test_every_element_is_at_least_16_pt(render: Callable[..., Output], everything: Path, variant: str) -> None:
    out = render(everything, SUNNY, variant)
    assert isinstance(out, Output)
    assert out.min_size >= MIN_SIZE
    no_italics(out)


def test_italics_become_bold_in_large_print(render: Callable[..., Output], everything: Path) -> None:
    standard = render(everything, SUNNY, "booklet")
    assert any("Oblique" in f for f in standard.fonts)  # the handout does use italics
    large = render(everything, SUNNY, "large-print")
    with pdfplumber.open(io.BytesIO(large.pdf)) as doc:
        words = [w for page in doc.pages for w in page.extract_words(extra_attrs=["fontname"])]
    fonts = {w["text"]: w["fontname"] for w in words}
    assert fonts["italic"].endswith("DejaVuSans-Bold")
    assert fonts["whenever"].endswith("DejaVuSans-Bold")


def test_text_is_not_put_in_capitals(render: Callable[..., Output], everything: Path) -> None:
    text = extract_text(render(everything, SUNNY, "large-print").pdf)
    assert missing_words(["Looking after your stoma", "Key points", "Call 999 if you have", "Urgent",
                          "How often should I change my bag?"], text) == []
    assert "URGENT" not in text
    assert "KEY POINTS" not in text


def test_a_wide_table_reflows_into_rows_rather_than_breaking_words(render: Callable[..., Output],
                                                                   everything: Path) -> None:
    text = extract_text(render(everything, SUNNY, "large-print").pdf)
    assert missing_words(["Medicine: Hydroxychloroquine Morning: 200 milligrams", "Afternoon: Nothing"], text) == []
    # a narrow table keeps its columns
    assert missing_words(["Problem What to do Sore skin"], text) == []


def test_checkboxes_and_writing_lines_are_bigger(render: Callable[..., Output], everything: Path) -> None:
    def boxes_and_gaps(pdf: bytes) -> tuple[set[float], set[float]]:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            boxes = {round(r["width"]) for p in doc.pages for r in p.rects
                     if not r.get("fill") and abs(r["width"] - r["height"]) < 0.5}
            gaps = set()
            for p in doc.pages:
                ys = sorted({round(line["top"], 1) for line in p.lines if line["width"] > 100})
                gaps |= {round(b - a) for a, b in itertools.pairwise(ys)}
        return boxes, gaps

    small_boxes, small_gaps = boxes_and_gaps(render(everything, SUNNY, "booklet").pdf)
    large_boxes, large_gaps = boxes_and_gaps(render(everything, SUNNY, "large-print").pdf)
    assert (small_boxes, large_boxes) == ({10}, {18})  # the layouts' checkbox sizes
    assert 22 in small_gaps
    assert 38 in large_gaps  # the layouts' note_gap


def test_pictures_with_text_grow_until_their_text_is_16_pt(render: Callable[..., Output], everything: Path) -> None:
    out = render(everything, SUNNY, "large-print")
    with pdfplumber.open(io.BytesIO(out.pdf)) as doc:
        labels = [w for page in doc.pages for w in page.extract_words(extra_attrs=["size"])
                  if w["text"] in ("Brain", "Lungs", "Liver", "Ribs", "Spine")]
    assert len(labels) == 5
    assert min(w["size"] for w in labels) >= MIN_SIZE


def test_large_print_booklet_on_letter_paper(render: Callable[..., Output], everything: Path) -> None:
    out = render(everything, RIVERSIDE, "large-print", "letter")
    assert out.pages % 4 == 0
    assert out.paper == {LETTER}
    assert out.min_size >= MIN_SIZE


# -- colour ----------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["large-print", "large-print-summary"])
def test_pale_clinic_text_reaches_4_5_to_1_on_its_background(render: Callable[..., Output], everything: Path,
                                                             variant: str) -> None:
    found = colours(render(everything, SUNNY, variant).pdf)
    low = {(page, text, back, round(contrast(text, back), 2)) for page, text, back in found
           if contrast(text, back) < 4.5}
    assert low == set()
    assert "#F2D94E" not in {text for _, text, _ in found}  # the pale brand colour is not used for text


def test_pale_clinic_notice_on_stderr(run_cli: Callable[..., tuple[int, str, str]], everything: Path,
                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("summary", everything, "--clinic", SUNNY, "--large-print")
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert notes[0].startswith("note: the clinic's primary colour #F2D94E is too light for text")
    assert re.search(r"text uses the darker shade #[0-9A-F]{6} and #F2D94E is kept for decoration$", notes[0])
    assert (tmp_path / "stoma-large-print-summary.pdf").exists()
    code, _, err = run_cli("summary", everything, "--clinic", RIVERSIDE, "--large-print", "-o", "r.pdf")
    assert code == 0
    assert "note:" not in err


# -- the layout itself -----------------------------------------------------------------------
def test_large_print_styles_are_large_left_aligned_and_unhyphenated() -> None:
    theme = theme_for(("booklet", "large-print"), "a4", DEFAULT_CLINIC, "en")
    assert (theme.type.body, theme.type.min) == (18, MIN_SIZE)
    assert (theme.emphasis, theme.hyphenate) == ("bold", False)
    styles = Styles(theme, font_set(), "en")
    for name, style in vars(styles).items():
        if not hasattr(style, "fontSize"):
            continue
        assert style.fontSize >= MIN_SIZE, name
        assert style.hyphenationLang == "", name
        assert "Oblique" not in style.fontName, name
        assert style.alignment == (2 if name == "small_right" else 0), name  # page numbers sit right
        assert style.leading >= style.fontSize * 1.15, name
    assert styles.body.fontSize == 18
    assert styles.body.leading / styles.body.fontSize >= 1.4  # generous line spacing
