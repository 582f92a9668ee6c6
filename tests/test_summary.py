"""The summary sheet: the front only where it fits, else front and back; what goes on it; red flags whole;
fitting by stepping the body size down; refusing what needs more than the sheet."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from conftest import DATA, EXAMPLE, RIVERSIDE, extract_text, missing_words, squash
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from booklet import api
from booklet import model as m
from booklet import text as tx
from booklet.compose_summary import Fit, fit_summary, summary_content
from booklet.fonts import font_set

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)

HANDOUT = """\
    title: Taking your blood pressure at home
    subtitle: A simple guide to readings you can trust
    reference: BP-HOME
    version: "1.3"
    review_by: 2028-05-17
    summary:
      - Checking your blood pressure at home helps your doctor see whether your treatment works.
      - Sit quietly for **five minutes** before each reading.
      - Write down every reading and bring them to your next appointment.
    sections:
      - heading: Before you start
        key_points: [Use a validated upper-arm monitor.]
        body:
          - Ask your pharmacist or nurse to show you how to use the monitor.
          - callout:
              kind: info
              title: Good to know
              text: This tip is not about getting help.
          - callout:
              kind: warning
              title: Call us the same day if you have
              bullets: [a reading of 180/120 or more twice, a bad headache that will not go away]
      - heading: When to get help
        body:
          - callout:
              kind: urgent
              title: Call 999 straight away if you have
              text: Do not wait for your next appointment.
              bullets: [chest pain, sudden weakness in your face, arm or leg]
    """

HELP_TEXTS = ["Call 999 straight away if you have", "Do not wait for your next appointment.", "chest pain",
              "Call us the same day if you have", "a reading of 180/120 or more twice",
              "a bad headache that will not go away"]
CLINIC_TEXTS = ["01234 567 890", "Monday to Friday, 9am to 5pm", "Out of hours, call 111 or go to A&E"]


def long_summary(points: int, long: bool = False) -> str:
    """A handout whose summary has `points` points of about two lines each (`long`: about five)."""
    more = (" Keep a list of every medicine you take, bring it to each appointment, and ask your pharmacist "
            "before you buy any medicine, vitamin or herbal remedy from a shop.") if long else ""
    items = "\n".join(f"  - Point {i} is to keep taking your tablets every morning with food, and to tell your "
                      f"nurse about any new side effect.{more}" for i in range(1, points + 1))
    return f"title: A long summary\nreference: LONG-1\nsummary:\n{items}\nsections:\n" \
           "  - heading: One\n    body: [Some text.]\n"


def write(folder: Path, text: str, name: str = "handout.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def body_sizes(pdf: Path) -> set[float]:
    with pdfplumber.open(pdf) as doc:
        return {round(c["size"], 2) for page in doc.pages for c in page.chars}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., api.Result]:
    """build(text_or_path, paper="a4", clinic=RIVERSIDE) -> Result, each built once per module."""
    folder = tmp_path_factory.mktemp("summary")
    cache: dict[tuple, api.Result] = {}

    def build(source: str | Path = HANDOUT, paper: str = "a4", clinic: Path | None = RIVERSIDE,
              variant: str = "summary") -> api.Result:
        key = (source, paper, clinic, variant)
        if key not in cache:
            content = source if isinstance(source, Path) else write(folder, source, f"h{len(cache)}.yaml")
            cache[key] = api.build(content, clinic=clinic, variant=variant, paper=paper,
                                   output=folder / f"out{len(cache)}.pdf")
        return cache[key]

    return build


# -- one page, both papers -----------------------------------------------------------------
@pytest.mark.parametrize(("paper", "size"), [("a4", A4), ("letter", LETTER)])
def test_summary_is_exactly_one_page_of_the_paper(built: Callable[..., api.Result], paper: str,
                                                  size: tuple[float, float]) -> None:
    result = built(paper=paper)
    assert result.pages == 1
    pages = PdfReader(result.output).pages
    assert len(pages) == 1
    box = pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.1)


def test_default_output_name() -> None:
    assert api.default_output(Path("content/asthma.yaml"), "summary") == Path("asthma-summary.pdf")
    assert api.default_output(Path("asthma.yaml"), "large-print-summary") == Path("asthma-large-print-summary.pdf")


# -- what is on the page ---------------------------------------------------------------------
def test_summary_has_title_key_points_help_and_clinic_details(built: Callable[..., api.Result]) -> None:
    text = extract_text(built().output)
    wanted = ["Taking your blood pressure at home", "A simple guide to readings you can trust",
              "Key points", "Checking your blood pressure at home helps your doctor see whether your treatment works.",
              "Sit quietly for five minutes before each reading.",
              "Write down every reading and bring them to your next appointment.",
              "When to get help", *HELP_TEXTS, *CLINIC_TEXTS, "Riverside Breast Care Unit",
              "Reference: BP-HOME", "Version: 1.3", "Review date: 17 May 2028"]
    assert missing_words(wanted, text) == []


def test_only_urgent_and_warning_callouts_go_under_when_to_get_help(built: Callable[..., api.Result]) -> None:
    text = extract_text(built().output)
    assert "This tip is not about getting help" not in text
    assert "Use a validated upper-arm monitor" not in text  # a summary is given: key points stay in the booklet
    # most urgent first, whatever order the booklet has them in
    assert text.index("Call 999 straight away") < text.index("Call us the same day")


def test_qr_code_links_to_the_clinic_website(built: Callable[..., api.Result]) -> None:
    page = PdfReader(built().output).pages[0]
    uris = [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", []) if "/A" in a.get_object()]
    # the QR code, and the website and phone number printed beside it (live links too)
    assert sorted(uris) == ["https://riverside.example/breastcare"] * 2 + ["tel:01234567890"]


def test_no_qr_code_without_a_website(built: Callable[..., api.Result]) -> None:
    page = PdfReader(built(clinic=None).output).pages[0]
    assert not page.get("/Annots")


def test_the_sections_key_points_stand_in_for_a_missing_summary(write_yaml: Callable[..., Path],
                                                                tmp_path: Path) -> None:
    path = write_yaml("""\
        title: No summary
        sections:
          - heading: One
            key_points: [First key point of section one., Second key point of section one.]
            body: [Text.]
          - heading: Two
            key_points: [The key point of section two.]
            body: [More text.]
        """)
    result = api.build(path, output=tmp_path / "out.pdf", variant="summary")
    text = extract_text(result.output)
    assert missing_words(["First key point of section one.", "Second key point of section one.",
                          "The key point of section two."], text) == []
    assert "When to get help" not in text  # no urgent or warning callouts: no empty heading


def test_no_summary_and_no_key_points_is_a_clear_error(run_cli: Callable[..., tuple[int, str, str]],
                                                       write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    path = write_yaml("""\
        title: Nothing to summarise
        sections:
          - heading: One
            body: [Text.]
        """)
    out = tmp_path / "out.pdf"
    code, _, err = run_cli("summary", path, "-o", out)
    assert code == 2
    assert err.startswith(f"{path}:1:1: error: there is nothing to put on the summary: the handout has "
                          "no `summary` and none of its sections has `key_points`\n")
    assert f"hint: add a `summary:` list to {path.name}" in err
    assert not out.exists()


# -- fitting -------------------------------------------------------------------------------
def prepared(path: Path, variant: str = "summary", clinic: Path | None = RIVERSIDE) -> api.Prepared:
    handout, clinic_model = api.load(path, clinic)
    return api.prepare(handout, clinic_model, variant)


def test_a_short_summary_keeps_the_preferred_body_size(built: Callable[..., api.Result]) -> None:
    assert 13.0 in body_sizes(built().output)


def test_a_longer_summary_steps_the_body_down_but_not_below_the_floor(
        built: Callable[..., api.Result], tmp_path: Path) -> None:
    fit = fit_summary(prepared(write(tmp_path, long_summary(18))))
    assert fit.fits
    assert 11 <= fit.body_size < 13
    assert fit.body_size * 2 == int(fit.body_size * 2)  # half-point steps
    result = built(long_summary(18))
    assert result.pages == 1
    sizes = body_sizes(result.output)
    assert fit.body_size in sizes
    assert min(sizes) >= 9  # only the reference line is small print (the theme's `small`)
    text = extract_text(result.output)
    assert missing_words([f"Point {i} is to keep taking your tablets" for i in range(1, 19)], text) == []


def test_fit_summary_measures_without_writing_a_pdf(tmp_path: Path) -> None:
    fit = fit_summary(prepared(write(tmp_path, HANDOUT)))
    assert fit == Fit(True, 13.0, fit.pages_needed, "the summary fits on one side at 13 pt", 1, fit.loc)
    assert 0 < fit.pages_needed <= 1
    assert list(tmp_path.glob("*.pdf")) == []


def test_fit_summary_for_a_summary_too_long_for_one_page(tmp_path: Path) -> None:
    path = write(tmp_path, long_summary(40))
    fit = fit_summary(prepared(path), sides=1)
    assert not fit.fits
    assert fit.body_size == 11
    assert 1.3 < fit.pages_needed < 2.5
    assert str(fit.loc) == f"{path}:4:3"  # the `summary` list
    assert re.fullmatch(r"the summary needs \d\.\d pages at 11 pt, the smallest size allowed, and has one side; "
                        r"shorten `summary` \(40 points, \d+% of the text\)", fit.message)
    both = fit_summary(prepared(path))  # the same points fit the front and back of the sheet
    assert (both.fits, both.sides) == (True, 2)


@pytest.mark.parametrize(("variant", "floor", "name"), [("summary", 11, "summary"),
                                                         ("large-print-summary", 16, "large-print summary")])
def test_40_long_points_exit_2_and_write_nothing(run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path,
                                                 variant: str, floor: int, name: str) -> None:
    path = write(tmp_path, long_summary(40, long=True))
    out = tmp_path / "summary.pdf"
    code, _, err = run_cli("summary", path, "--clinic", RIVERSIDE, "-o", out,
                           *(["--large-print"] if variant != "summary" else []))
    assert code == 2
    first = err.splitlines()[0]
    assert re.fullmatch(rf"{re.escape(str(path))}:4:3: error: the {name} needs (\d\.\d) pages at {floor} pt, the "
                        r"smallest size allowed, and has two sides, the front and back of one sheet; "
                        r"shorten `summary` \(40 points, \d+% of the text\)", first), first
    assert float(re.search(r"needs (\d\.\d) pages", first).group(1)) > 2  # type: ignore[union-attr]
    assert "hint: a summary is for the few things a patient must remember" in err
    assert not out.exists()
    assert list(tmp_path.glob("*.pdf")) == []


def test_a_callout_too_tall_for_a_side_is_the_refusal(tmp_path: Path) -> None:
    bullets = "\n".join(f"            - Symptom number {i} that means you should call us straight away today"
                        for i in range(40))
    path = write(tmp_path, f"""\
title: Long callout
summary: [One short point.]
sections:
  - heading: One
    body:
      - callout:
          kind: urgent
          title: Call us straight away if you have
          bullets:
{bullets}
""")
    fit = fit_summary(prepared(path))
    assert not fit.fits
    assert str(fit.loc) == f"{path}:6:9"  # the callout itself
    assert re.fullmatch(r"the urgent callout 'Call us straight away if you have' is too tall for one side of the "
                        r"summary at 11 pt, the smallest size allowed: it needs \d\.\d sides", fit.message)
    assert fit.hint.startswith("urgent and warning callouts are printed whole, never split, and the urgent ones "
                               "on the front")


def test_a_pre_existing_output_survives_a_refusal(run_cli: Callable[..., tuple[int, str, str]],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "summary.pdf"
    out.write_bytes(b"old")
    code, _, _ = run_cli("summary", write(tmp_path, long_summary(40)), "-o", out, "--one-side")
    assert code == 2
    assert out.read_bytes() == b"old"


def test_summary_content_puts_urgent_before_warning(tmp_path: Path) -> None:
    handout, _ = api.load(write(tmp_path, HANDOUT))
    content = summary_content(handout)
    assert [c.kind for c in content.help] == ["urgent", "warning"]
    assert content.points_field == "summary"


# -- every example and test handout: one sheet, red flags whole, nothing crowded ----------------------
SUMMARY_DATA = DATA / "summary"
DIABETES = SUMMARY_DATA / "type-2-diabetes.yaml"
LONG_ADDRESS = SUMMARY_DATA / "long-address-clinic.yaml"
#: (handout, clinic): the example, a type 2 diabetes handout with two urgent callouts and a clinic with a
#: long address, and the test handouts in Spanish, Polish, Vietnamese, Russian and Greek.
SHEETS = [(EXAMPLE, RIVERSIDE), (DIABETES, LONG_ADDRESS),
          *((path, RIVERSIDE) for path in sorted((DATA / "lang").glob("*.yaml")))]
#: Lines closer than this times their size draw into each other.
MIN_LINE_GAP = 1.1


@dataclass(frozen=True)
class Sheet:
    prepared: api.Prepared
    result: api.Result
    one_side_fits: bool


@pytest.fixture(scope="module")
def sheet() -> Callable[[Path, Path, str], Sheet]:
    cache: dict[tuple[Path, Path, str], Sheet] = {}

    def make(content: Path, clinic: Path, variant: str) -> Sheet:
        if (content, clinic, variant) not in cache:
            p = prepared(content, variant, clinic)
            cache[content, clinic, variant] = Sheet(p, api.render_prepared(p), fit_summary(p, sides=1).fits)
        return cache[content, clinic, variant]

    return make


def words_by_page(pdf: bytes) -> list[list[dict]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_words(extra_attrs=["size"], use_text_flow=True) for page in doc.pages]


def text_lines(pdf: bytes) -> list[list[tuple[float, float, float, float]]]:
    """Per page, each run of words on one baseline as (x0, x1, baseline, size): a line of one column or box."""
    out = []
    for words in words_by_page(pdf):
        runs: list[list[float]] = []
        for w in sorted(words, key=lambda w: (round(w["bottom"], 1), w["x0"])):
            last = runs[-1] if runs else None
            if last and abs(last[2] - w["bottom"]) < 0.5 and w["x0"] - last[1] < 2 * w["size"]:
                last[1], last[3] = w["x1"], max(last[3], w["size"])
            else:
                runs.append([w["x0"], w["x1"], w["bottom"], w["size"]])
        out.append([(a, b, c, d) for a, b, c, d in runs])
    return out


def crowded(pdf: bytes) -> list[str]:
    """Lines that overlap across and stand closer than MIN_LINE_GAP times their (mean) size."""
    found = []
    for number, lines in enumerate(text_lines(pdf), 1):
        for i, (x0, x1, y, size) in enumerate(lines):
            for ox0, ox1, oy, osize in lines[i + 1:]:
                if oy - y > 3 * max(size, osize):
                    break
                if ox0 < x1 and x0 < ox1 and abs(oy - y) < MIN_LINE_GAP * (size + osize) / 2:
                    found.append(f"page {number}: lines at {y:.1f} and {oy:.1f} ({size:g}/{osize:g} pt)")
    return found


def position(words_on_pages: list[list[dict]], text: str) -> tuple[int, float, float]:
    """(page, top, x0) of the first place all the words of `text` stand in order (as drawn) on one page."""
    want = [squash(w) for w in text.split() if squash(w)]
    for page, words in enumerate(words_on_pages):
        got = [squash(w["text"]) for w in words]
        for i in range(len(got) - len(want) + 1):
            if all(g.startswith(x) or x.startswith(g) for g, x in zip(got[i:i + len(want)], want, strict=True)):
                return page, words[i]["top"], words[i]["x0"]
    raise AssertionError(f"not found in the PDF: {text!r}")


def callout_texts(callout: m.Callout) -> list[str]:
    return [tx.plain(t, {}) for t in (callout.title, callout.text, *callout.bullets) if t]


@pytest.mark.parametrize("variant", ["summary", "large-print-summary"])
@pytest.mark.parametrize(("content", "clinic"), SHEETS, ids=lambda p: p.stem)
def test_every_handout_gives_a_summary_on_one_sheet(sheet: Callable[..., Sheet], content: Path, clinic: Path,
                                                    variant: str) -> None:
    s = sheet(content, clinic, variant)
    pdf = s.result.pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert s.result.pages == len(reader.pages)
    if variant == "summary":  # the front only whenever it fits there
        assert s.result.pages == (1 if s.one_side_fits else 2)
    else:
        assert s.result.pages in (1, 2)
    text = extract_text(pdf)
    if s.result.pages == 2:
        assert "→" in text
        assert missing_words([s.prepared.theme.word("turn_over")], extract_text(pdf, pages=[0])) == []
    content_ = summary_content(s.prepared.handout)
    phone = s.prepared.clinic.phone
    wanted = [tx.plain(p, {}) for p in content_.points] + [t for c in content_.help for t in callout_texts(c)]
    assert missing_words([*wanted, phone], text) == []
    # each heading stands over the start of what it heads (never alone at the foot of a column or side)
    words = words_by_page(pdf)
    theme = s.prepared.theme
    pairs = [(theme.word("key_points"), tx.plain(content_.points[0], {}))]
    if content_.help:
        pairs.append((theme.word("urgent_help"), " ".join(callout_texts(content_.help[0])[:2])))
    for heading, first in pairs:
        (hpage, htop, hx), (fpage, ftop, fx) = position(words, heading), position(words, first)
        assert hpage == fpage, (heading, first)
        assert 0 < ftop - htop < 4 * theme.type.h1, (heading, first)
        assert abs(fx - hx) < 50, (heading, first)  # the same column (a box's padding and symbol apart)


@pytest.mark.parametrize("variant", ["summary", "large-print-summary"])
@pytest.mark.parametrize(("content", "clinic"), SHEETS, ids=lambda p: p.stem)
def test_sizes_and_no_crowded_lines(sheet: Callable[..., Sheet], content: Path, clinic: Path, variant: str) -> None:
    s = sheet(content, clinic, variant)
    with pdfplumber.open(io.BytesIO(s.result.pdf)) as doc:
        sizes = [round(c["size"], 2) for page in doc.pages for c in page.chars]
    body = max(set(sizes), key=sizes.count)  # the size most characters are set in
    assert body == fit_summary(s.prepared).body_size
    if variant == "large-print-summary":
        assert min(sizes) >= 16 - 0.01
        assert 16 <= body <= 18
    else:
        assert min(sizes) >= s.prepared.theme.type.small - 0.01
        assert 11 <= body <= 13
    assert crowded(s.result.pdf) == []


@pytest.mark.parametrize("variant", ["summary", "large-print-summary"])
@pytest.mark.parametrize(("content", "clinic"), SHEETS, ids=lambda p: p.stem)
def test_urgent_and_warning_callouts_stand_whole_in_one_column_of_one_side(
        sheet: Callable[..., Sheet], content: Path, clinic: Path, variant: str) -> None:
    s = sheet(content, clinic, variant)
    words = words_by_page(s.result.pdf)
    for callout in summary_content(s.prepared.handout).help:
        places = [position(words, t) for t in callout_texts(callout)]
        pages = {page for page, _, _ in places}
        assert len(pages) == 1, (callout.title, places)
        if callout.kind == "urgent":
            assert pages == {0}, callout.title  # on the front
        tops = [top for _, top, _ in places]
        assert tops == sorted(tops), (callout.title, places)  # read down one column, never back up another
        lefts = [x for _, _, x in places]
        assert max(lefts) - min(lefts) <= 30, (callout.title, places)  # one column: bullets indent, no more


def test_crowded_lines_are_found() -> None:
    """The crowding test can fail: two lines 12 pt apart at 11.5 pt (the Spanish summary's old box) are found."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont(font_set().regular, 11.5)
    canvas.drawString(72, 700, "Llame al 112 de inmediato")
    canvas.drawString(72, 688, "dolor en el pecho")
    canvas.drawString(300, 676, "in another column")
    canvas.save()
    assert crowded(buffer.getvalue()) == ["page 1: lines at 144.7 and 156.7 (11.5/11.5 pt)"]


def test_one_side_keeps_the_front_only(run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    out = tmp_path / "front.pdf"
    code, _, err = run_cli("summary", EXAMPLE, "--clinic", RIVERSIDE, "--large-print", "--one-side", "-o", out)
    assert code == 2
    assert re.search(r"error: the large-print summary needs \d\.\d pages at 16 pt, the smallest size allowed, "
                     r"and has one side; shorten ", err), err
    assert not out.exists()
    code, _, err = run_cli("summary", EXAMPLE, "--clinic", RIVERSIDE, "--large-print", "-o", out)
    assert code == 0, err
    assert err.splitlines()[-1] == f"wrote {out} (2 pages)"


@pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")), reason="needs zbarimg and pdftoppm")
def test_the_qr_code_scans(built: Callable[..., api.Result], tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(built().output), str(tmp_path / "page")],
                   check=True)
    scanned = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert scanned.stdout.split() == ["https://riverside.example/breastcare"]


def test_a_batch_of_ordinary_handouts_writes_every_summary(run_cli: Callable[..., tuple[int, str, str]],
                                                           tmp_path: Path) -> None:
    contents = [path for path, clinic in SHEETS if clinic == RIVERSIDE]
    out = tmp_path / "out"
    code, _, err = run_cli("batch", *contents, "--clinic", RIVERSIDE, "--variant", "summary", "--variant",
                           "large-print-summary", "--jobs", "2", "--out", out)
    assert code == 0, err
    assert f"{2 * len(contents)} written, 0 failed" in err
    written = sorted(p.name for p in out.glob("*.pdf"))
    assert written == sorted(f"{p.stem}{suffix}.pdf" for p in contents
                             for suffix in ("-summary", "-large-print-summary"))


def test_a_batch_with_one_side_refuses_a_summary_that_needs_the_back(run_cli: Callable[..., tuple[int, str, str]],
                                                                     tmp_path: Path) -> None:
    code, _, err = run_cli("batch", EXAMPLE, "--clinic", RIVERSIDE, "--variant", "summary", "--one-side",
                           "--jobs", "1", "--out", tmp_path)
    assert code == 1
    assert "0 written, 1 failed" in err
    assert "error: the summary needs 1.1 pages at 11 pt, the smallest size allowed, and has one side; " in err
    assert list(tmp_path.glob("*.pdf")) == []


def test_urgent_callouts_too_tall_together_for_the_front_are_the_refusal(tmp_path: Path) -> None:
    def urgent(title: str, n: int) -> str:
        bullets = "\n".join(f"            - sign number {i} that means you call us straight away" for i in range(n))
        return f"      - callout:\n          kind: urgent\n          title: {title}\n          bullets:\n{bullets}\n"

    path = write(tmp_path, "title: Two long red flags\nsummary: [One short point.]\nsections:\n  - heading: One\n"
                 "    body:\n" + urgent("Call 999 if you have", 24) + urgent("Go to A&E if you have", 24))
    fit = fit_summary(prepared(path))
    assert not fit.fits
    assert str(fit.loc) == f"{path}:6:9"  # the first urgent callout
    assert re.fullmatch(r"the urgent callouts 'Call 999 if you have' \(line 6\) and 'Go to A&E if you have' "
                        r"\(line 34\) are too tall together for the front of the summary at 11 pt, the smallest "
                        r"size allowed: they need 1\.\d fronts", fit.message), fit.message
