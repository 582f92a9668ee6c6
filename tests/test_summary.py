"""The one-page summary: exactly one page, what goes on it, fitting by stepping the body size down, refusing."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest
from conftest import DATA, EXAMPLE, RIVERSIDE, extract_text, missing_words
from pypdf import PdfReader

from booklet import api
from booklet.compose_summary import Fit, fit_summary, summary_content
from booklet.errors import BookletError

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


def long_summary(points: int) -> str:
    """A handout whose summary has `points` points of about two lines each."""
    items = "\n".join(f"  - Point {i} is to keep taking your tablets every morning with food, and to tell your "
                      "nurse about any new side effect." for i in range(1, points + 1))
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
    assert uris == ["https://riverside.example/breastcare"]


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
    assert err.startswith(f"{path}:1:1: error: there is nothing to put on the one-page summary: the handout has "
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
    assert fit == Fit(True, 13.0, fit.pages_needed, "the summary fits on one page at 13 pt", 1, False, fit.loc)
    assert 0 < fit.pages_needed <= 1
    assert list(tmp_path.glob("*.pdf")) == []


def test_fit_summary_for_a_summary_too_long_for_one_page(tmp_path: Path) -> None:
    path = write(tmp_path, long_summary(40))
    fit = fit_summary(prepared(path))
    assert not fit.fits
    assert fit.body_size == 11
    assert 1.3 < fit.pages_needed < 2.5
    assert str(fit.loc) == f"{path}:4:3"  # the `summary` list
    assert re.fullmatch(r"the summary needs \d\.\d pages at 11 pt, the smallest size allowed; shorten `summary` "
                        r"\(40 points, \d+% of the text\)", fit.message)


def test_a_40_point_summary_exits_2_and_writes_nothing(run_cli: Callable[..., tuple[int, str, str]],
                                                       tmp_path: Path) -> None:
    path = write(tmp_path, long_summary(40))
    out = tmp_path / "summary.pdf"
    code, _, err = run_cli("summary", path, "--clinic", RIVERSIDE, "-o", out)
    assert code == 2
    first = err.splitlines()[0]
    assert re.fullmatch(rf"{re.escape(str(path))}:4:3: error: the summary needs (\d\.\d) pages at 11 pt, the "
                        r"smallest size allowed; shorten `summary` \(40 points, \d+% of the text\)", first), first
    assert float(re.search(r"needs (\d\.\d) pages", first).group(1)) > 1  # type: ignore[union-attr]
    assert "hint: a one-page summary is for the few things a patient must remember" in err
    assert not out.exists()
    assert list(tmp_path.glob("*.pdf")) == []


def test_the_refusal_names_the_biggest_callout(tmp_path: Path) -> None:
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
    assert "shorten the urgent callout 'Call us straight away if you have' (line 6, " in fit.message
    assert fit.message.index("urgent callout") < fit.message.index("`summary` (1 point,")


def test_a_pre_existing_output_survives_a_refusal(run_cli: Callable[..., tuple[int, str, str]],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "summary.pdf"
    out.write_bytes(b"old")
    code, _, _ = run_cli("summary", write(tmp_path, long_summary(40)), "-o", out)
    assert code == 2
    assert out.read_bytes() == b"old"


def test_summary_content_puts_urgent_before_warning(tmp_path: Path) -> None:
    handout, _ = api.load(write(tmp_path, HANDOUT))
    content = summary_content(handout)
    assert [c.kind for c in content.help] == ["urgent", "warning"]
    assert content.points_field == "summary"


# -- every example and test handout ------------------------------------------------------------
@pytest.mark.parametrize("content", [EXAMPLE, *sorted((DATA / "lang").glob("*.yaml"))], ids=lambda p: p.stem)
def test_every_handout_gives_a_one_page_summary_or_the_clear_error(content: Path) -> None:
    p = prepared(content)
    fit = fit_summary(p)
    if not fit.fits:
        assert fit.message.startswith("the summary needs ")
        with pytest.raises(BookletError, match="the summary needs "):
            api.render_prepared(p)
        return
    result = api.render_prepared(p)
    assert result.pages == 1
    with pdfplumber.open(io.BytesIO(result.pdf)) as doc:
        assert len(doc.pages) == 1
        assert min(c["size"] for c in doc.pages[0].chars) >= p.theme.type.small - 0.01


@pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")), reason="needs zbarimg and pdftoppm")
def test_the_qr_code_scans(built: Callable[..., api.Result], tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(built().output), str(tmp_path / "page")],
                   check=True)
    scanned = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert scanned.stdout.split() == ["https://riverside.example/breastcare"]
