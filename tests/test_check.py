"""`booklet check` and `booklet init`: each problem found once, at its line; JSON in its documented shape."""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from conftest import CONTENT, DATA, EXAMPLE, RIVERSIDE

from booklet import plain_language as pl
from booklet.check import Finding, check
from booklet.theme import contrast, readable_shade

TODAY = dt.date(2026, 5, 17)
SUNNY = CONTENT / "clinics" / "sunny" / "clinic.yaml"

#: A short handout that passes every check: nothing above info.
CLEAN = """\
title: Looking after your stitches
subtitle: How to care for your wound at home
reference: WOUND-01
version: "1.0"
language: en
published: 2026-01-10
review_by: 2028-01-10
audience: People going home with stitches
sources:
  - "NHS: Cuts and grazes (nhs.uk, 2025)"
summary:
  - Keep the wound clean and dry for two days.
  - Call us if it gets red, hot or swollen.
sections:
  - heading: Caring for your wound
    key_points:
      - Keep it clean and dry.
    body:
      - Keep the dressing on for two days. Then you can take it off and have a shower.
      - Pat the skin dry with a clean towel. Do not rub it. Do not use creams unless we say so.
      - Most wounds heal in one or two weeks. A small scar is normal.
      - callout:
          kind: warning
          title: Call us if
          bullets:
            - the skin around it gets red, hot or swollen
            - you have a high temperature
  - heading: Getting your stitches out
    body:
      - A nurse takes the stitches out after about a week. It does not hurt much. It takes a few minutes.
      - Bring your letter with you. Wear clothes that make the wound easy to reach.
"""


def findings(path: Path, clinic: Path | None = None, **kw: object) -> list[Finding]:
    return check([path], clinic, TODAY, **kw)  # type: ignore[arg-type]


def above_info(found: list[Finding]) -> list[str]:
    return [str(f) for f in found if f.severity != "info"]


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing `needle`."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[nth - 1]


def only(found: list[Finding], rule: str) -> Finding:
    matching = [f for f in found if f.rule == rule]
    assert len(matching) == 1, [str(f) for f in found]
    return matching[0]


@pytest.fixture
def clean(write_yaml: Callable[..., Path]) -> Path:
    return write_yaml(CLEAN)


def with_section(body: str) -> str:
    """CLEAN with one more section whose body lines are `body` (indented by the caller's dedent)."""
    return CLEAN + "  - heading: More\n    body:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 6) + "\n"


# -- a clean handout --------------------------------------------------------------------
def test_clean_handout_reports_nothing_above_info(clean: Path) -> None:
    found = findings(clean)
    assert above_info(found) == []
    assert [(f.rule, f.where) for f in found] == [("reading-level", f"{clean}:1:1")]
    assert found[0].message.startswith("the handout reads at grade ")


# -- governance ---------------------------------------------------------------------------
def test_expired_review_date_is_reported_once_at_its_line(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(CLEAN.replace("review_by: 2028-01-10", "review_by: 2026-02-01"))
    f = only(findings(path), "review-date")
    assert str(f) == (
        f"{path}:{line_of(path, 'review_by:')}:12: warning: the review date 2026-02-01 has passed "
        "(105 days ago) [review-date]\n"
        "  hint: check that everything is still right, then set a new review_by date "
        "(and a new version and published date if anything changed)"
    )
    assert above_info(findings(path)) == [str(f)]


def test_review_date_within_90_days_is_an_info(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(CLEAN.replace("review_by: 2028-01-10", "review_by: 2026-06-01"))
    f = only(findings(path), "review-date")
    assert (f.severity, f.line, f.message) == (
        "info", line_of(path, "review_by:"), "the handout is due for review on 2026-06-01, in 15 days")


def test_missing_governance_fields_and_sources(write_yaml: Callable[..., Path]) -> None:
    text = CLEAN
    for line in ("reference: WOUND-01\n", 'version: "1.0"\n', "published: 2026-01-10\n",
                 "review_by: 2028-01-10\n", "sources:\n", '  - "NHS: Cuts and grazes (nhs.uk, 2025)"\n'):
        text = text.replace(line, "")
    path = write_yaml(text)
    got = [(f.where, f.severity, f.rule, f.message) for f in findings(path) if f.severity != "info"]
    assert got == [
        (f"{path}:1:1", "warning", "missing-field", "the handout has no 'reference'"),
        (f"{path}:1:1", "warning", "missing-field", "the handout has no 'version'"),
        (f"{path}:1:1", "warning", "missing-field", "the handout has no 'published'"),
        (f"{path}:1:1", "warning", "missing-field", "the handout has no 'review_by'"),
        (f"{path}:1:1", "warning", "sources", "the handout names no sources"),
    ]


# -- plain language -------------------------------------------------------------------------
def test_jargon_without_a_glossary_is_reported_once_at_its_first_use(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("""
        - You will see an oncologist. Bring your letter.
        - bullets:
            - The oncologist will talk with you.
            - Ask the Oncologists any question.
    """))
    f = only(findings(path), "jargon")
    assert str(f) == (
        f"{path}:{line_of(path, 'You will see an oncologist')}:9: warning: 'oncologist' is a medical word "
        "many patients do not know, and no glossary explains it [jargon]\n"
        "  hint: add 'Oncologist: what it means' to a glossary block, or say it in everyday words: "
        "cancer doctor; cancer care"
    )


def test_jargon_points_at_the_list_item_that_uses_it(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("""
        - bullets:
            - You can bring a friend.
            - A biopsy takes a few minutes.
    """))
    f = only(findings(path), "jargon")
    assert (f.line, f.col) == (line_of(path, "A biopsy"), 13)


def test_a_glossary_entry_explains_every_form_of_the_word(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("""
        - The cancer is metastatic. The metastases are small. Lymph nodes can be checked.
        - glossary:
            Metastasis: Cancer that has spread from where it started.
            Lymph node: A small gland that helps fight infection.
    """))
    assert [f for f in findings(path) if f.rule == "jargon"] == []


def test_glossary_terms_are_not_uses(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("""
        - glossary:
            Palliative care: Care that eases symptoms.
    """))
    assert [f for f in findings(path) if f.rule == "jargon"] == []


def test_long_sentence_and_long_paragraph(write_yaml: Callable[..., Path]) -> None:
    long_sentence = " ".join(["word"] * 30) + "."
    paragraph = " ".join(["Short words here."] * 41)  # 123 words in sentences of three
    path = write_yaml(with_section(f"""
        - {long_sentence}
        - {paragraph}
    """))
    found = findings(path)
    sentence, para = only(found, "long-sentence"), only(found, "long-paragraph")
    assert (sentence.where, sentence.message) == (
        f"{path}:{line_of(path, 'word word')}:9", "a sentence of 30 words: 'word word word word word word …'")
    assert (para.where, para.message) == (
        f"{path}:{line_of(path, 'Short words')}:9", "a paragraph of 123 words: 'Short words here. Short words here. …'")


def test_hard_section_is_above_the_grade_and_max_grade_is_configurable(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("""
        - Chemotherapy administration necessitates comprehensive haematological evaluation.
        - Medication adherence considerably influences therapeutic effectiveness.
        - Physiotherapy interventions facilitate postoperative rehabilitation.
        - Nutritional supplementation occasionally ameliorates debilitating fatigue.
        - Psychological consultation provides invaluable emotional reassurance.
    """))
    found = [f for f in findings(path) if f.rule == "reading-level"]
    section = [f for f in found if f.line == line_of(path, "heading: More")]
    assert [f.severity for f in section] == ["warning"]
    assert section[0].message.startswith("the section 'More' reads at grade ")
    assert section[0].message.endswith(", above grade 8")
    assert section[0].hint.startswith("shorter sentences and shorter, everyday words lower the grade; "
                                      "the long words used most here: ")
    relaxed = [f for f in findings(path, max_grade=30) if f.rule == "reading-level"]
    assert [f.severity for f in relaxed] == ["info"]


def test_language_without_a_formula_gets_an_info_not_a_number(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(CLEAN.replace("language: en", "language: pl"))
    f = only(findings(path), "reading-level")
    assert (f.where, f.severity) == (f"{path}:5:11", "info")
    assert f.message == ("the reading level is not measured for language 'pl': booklet's formulas are made for "
                         "English (SMOG, Flesch-Kincaid) and Spanish (INFLESZ)")


def test_spanish_uses_the_inflesz_scale() -> None:
    f = only(findings(Path(__file__).parent / "data" / "lang" / "es.yaml"), "reading-level")
    assert f.severity == "info"
    assert f.message.startswith("the handout reads at ")
    assert "on the INFLESZ scale" in f.message


def test_placeholder_is_an_info_at_its_first_use(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("""
        - Your appointment is on {{ appointment_date }}. Please come on time.
        - We will see you on {{ appointment_date }}.
    """))
    f = only(findings(path), "placeholder")
    assert (f.where, f.severity, f.message) == (
        f"{path}:{line_of(path, 'Your appointment')}:9", "info",
        "{{ appointment_date }} is filled in only when the handout is built")


# -- accessibility -----------------------------------------------------------------------------
def test_pale_clinic_colour_is_reported_once_at_its_line(clean: Path) -> None:
    f = only(findings(clean, SUNNY), "colour-contrast")
    ratio = contrast("#F2D94E", "#FFFFFF")
    shade = readable_shade("#F2D94E")
    assert f.where == f"{SUNNY}:{line_of(SUNNY, 'primary:')}:12"
    assert f.message == (f"the primary colour #F2D94E has a contrast of {ratio:.1f}:1 against white paper; "
                         "text needs at least 4.5:1 (WCAG AA)")
    assert f.hint == (f"use {shade} (or darker) for primary; until then headings are printed in {shade} "
                      "and #F2D94E is kept for bands and lines")
    assert above_info(findings(clean, SUNNY)) == [str(f)]


def test_clinic_findings_come_once_for_many_handouts(clean: Path, write_yaml: Callable[..., Path]) -> None:
    other = write_yaml(CLEAN, name="other.yaml")
    found = check([clean, other], SUNNY, TODAY)
    assert [f.path for f in found if f.rule == "colour-contrast"] == [str(SUNNY)]
    assert found[0].path == str(SUNNY)


MM = 72 / 25.4


def text_width() -> float:
    """The booklet's text width on A4-folded pages, in points (as compose places images)."""
    from booklet.compose_booklet import Page
    from booklet.theme import build_theme

    theme = build_theme(("booklet",), "a4", ("#1F5F8B", "#3A8FB7"), "en")
    return Page.of(theme).frame[2]


def png(path: Path, width: int, height: int) -> Path:
    from PIL import Image

    Image.new("RGB", (width, height), (200, 60, 60)).save(path)
    return path


def test_low_resolution_image_is_reported_once_at_its_block(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    png(tmp_path / "tiny.png", 120, 90)
    path = write_yaml(with_section("""
        - Here is a picture of a dressing.
        - image:
            src: tiny.png
            alt: A square white dressing over a short cut on a forearm.
            width: 100%
    """))
    f = only(findings(path), "image-resolution")
    width = text_width()  # points
    assert f.where == f"{path}:{line_of(path, '- image:')}:9"
    assert f.message == (f"the image 'tiny.png' is 120 x 90 pixels: at 100% of the text width ({width / MM:.0f} mm) "
                         f"it would print at {120 / (width / 72):.0f} dpi, below 150; it is printed 20 mm wide "
                         "instead, so it stays sharp")
    assert f.hint == f"use a version at least {math.ceil(width / 72 * 150)} pixels wide, or give it a smaller width"


def test_sharp_image_and_file_name_alt_text(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    png(tmp_path / "wound-care.png", 1400, 1000)
    path = write_yaml(with_section("""
        - image:
            src: wound-care.png
            alt: wound care
            width: 100%
    """))
    found = findings(path)
    assert [f for f in found if f.rule == "image-resolution"] == []
    f = only(found, "alt-text")
    assert (f.where, f.message) == (f"{path}:{line_of(path, '- image:')}:9",
                                    "the alt text of 'wound-care.png' is just its file name")


# -- printing ---------------------------------------------------------------------------------
def long_points(count: int = 40) -> str:
    point = ("Keep the wound clean and dry, and change the dressing each day with clean hands and a fresh pad. "
             "Wash your hands before and after, put the old dressing in a bag in the bin, and never touch the "
             "wound itself, even when it itches.")
    return CLEAN.replace("  - Keep the wound clean and dry for two days.\n", f"  - {point}\n" * count)


def test_summary_too_long_for_the_sheet_is_an_error_with_the_summary_commands_message(
        write_yaml: Callable[..., Path], run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_yaml(long_points())
    found = [f for f in findings(path) if f.rule == "summary-fit"]
    # one for the standard summary and one for large print, at the `summary` list (its first item's dash)
    assert [(f.where, f.severity) for f in found] == [(f"{path}:{line_of(path, 'Keep the wound')}:3", "error")] * 2
    for f, options in zip(found, ([], ["--large-print"]), strict=True):
        code, _, err = run_cli("summary", path, "-o", tmp_path / "s.pdf", *options)
        assert code == 2
        assert err.splitlines()[:2] == [f"{f.where}: error: {f.message}", f"  hint: {f.hint}"]
    assert found[0].message.startswith("the summary needs ")
    assert found[1].message.startswith("the large-print summary needs ")
    assert "shorten `summary` (41 points, " in found[0].message
    code, out, _ = run_cli("check", path, "--today", "2026-05-17")
    assert code == 2
    assert [line for line in out.splitlines() if line.endswith("[summary-fit]")] == [
        f"{f.where}: error: {f.message} [summary-fit]" for f in found]


def test_handout_with_nothing_for_a_summary_is_an_error(write_yaml: Callable[..., Path]) -> None:
    text = CLEAN.replace("summary:\n  - Keep the wound clean and dry for two days.\n  - Call us if it gets red, hot or "
                         "swollen.\n", "").replace("    key_points:\n      - Keep it clean and dry.\n", "")
    path = write_yaml(text)
    f = only(findings(path), "summary-fit")
    assert (f.where, f.severity) == (f"{path}:1:1", "error")
    assert f.message.startswith("there is nothing to put on the summary")


def test_what_build_would_warn_about_is_a_warning(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(CLEAN.replace("language: en", "language: es"))
    found = [f for f in findings(path, RIVERSIDE) if f.rule == "build"]
    assert found
    assert {(f.path, f.severity) for f in found} == {(str(RIVERSIDE), "warning")}
    assert "the clinic's 'hours' is written in 'en' only, but this handout is in 'es': it is printed untranslated" \
        in [f.message for f in found]


@pytest.mark.parametrize(("content", "clinic"), [
    (EXAMPLE, RIVERSIDE), (DATA / "summary" / "type-2-diabetes.yaml", DATA / "summary" / "long-address-clinic.yaml"),
    (DATA / "lang" / "pl.yaml", RIVERSIDE)], ids=lambda p: p.stem)
def test_after_check_passes_every_build_succeeds(run_cli, content: Path, clinic: Path,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    code, out, _ = run_cli("check", content, "--clinic", clinic)
    assert code in (0, 1), out
    assert ": error: " not in out
    for command in (["build"], ["build", "--large-print"], ["summary"], ["summary", "--large-print"]):
        target = tmp_path / f"{'-'.join(command)}.pdf"
        code, _, err = run_cli(*command, content, "--clinic", clinic, "-o", target)
        assert code == 0, (command, err)
        assert target.exists()


# -- validation --------------------------------------------------------------------------------
def test_validation_problems_are_error_findings_and_other_checks_skip_the_file(
        write_yaml: Callable[..., Path]) -> None:
    path = write_yaml(with_section("- tabel: [a, b]"))
    found = findings(path)
    assert [(f.where, f.severity, f.rule, f.message, f.hint) for f in found] == [
        (f"{path}:{line_of(path, 'tabel')}:9", "error", "validation", "unknown block 'tabel'", "did you mean 'table'?"),
    ]


def test_broken_clinic_is_reported_and_handouts_are_still_checked(write_yaml: Callable[..., Path],
                                                                   clean: Path) -> None:
    clinic = write_yaml("name: Us\ncolors:\n  primary: yellow\n", name="clinic.yaml")
    found = findings(clean, clinic)
    assert [(f.where, f.severity, f.rule, f.message) for f in found] == [
        (f"{clinic}:3:12", "error", "validation", "colour 'yellow' should be written as #RRGGBB"),
        (f"{clean}:1:1", "info", "reading-level", found[-1].message),
    ]


def test_missing_file_is_an_error_without_a_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    f = only(findings(missing), "validation")
    assert (f.line, f.col, f.to_json()["line"], f.to_json()["column"]) == (0, 0, None, None)
    assert str(f) == f"{missing}: error: file not found [validation]\n  hint: check the file name and folder"


# -- the command --------------------------------------------------------------------------------
def schema() -> dict:
    return json.loads(resources.files("booklet").joinpath("data", "check-findings.schema.json").read_text())


def test_json_output_validates_against_the_schema(run_cli, write_yaml: Callable[..., Path], tmp_path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    bad = write_yaml(CLEAN.replace("review_by: 2028-01-10", "review_by: 2020-01-01"), name="old.yaml")
    broken = write_yaml("title: [\n", name="broken.yaml")
    code, out, err = run_cli("check", bad, broken, tmp_path / "missing.yaml", "--clinic", SUNNY,
                             "--format", "json", "--today", "2026-05-17")
    assert (code, err) == (2, "")
    report = json.loads(out)
    jsonschema.Draft202012Validator(schema()).validate(report)
    assert report["version"] == 1
    severities = [f["severity"] for f in report["findings"]]
    assert report["summary"] == {s: severities.count(s) for s in ("error", "warning", "info")}
    assert [f["path"] for f in report["findings"]][:1] == [str(SUNNY)]
    first_old = next(f for f in report["findings"] if f["rule"] == "review-date")
    assert first_old == {"path": str(bad), "line": 7, "column": 12, "severity": "warning", "rule": "review-date",
                         "message": "the review date 2020-01-01 has passed (2328 days ago)",
                         "hint": first_old["hint"]}
    assert {f["rule"] for f in report["findings"] if f["severity"] == "error"} == {"validation"}


def test_text_output_and_exit_codes(run_cli, write_yaml: Callable[..., Path], clean: Path) -> None:
    old = write_yaml(CLEAN.replace("review_by: 2028-01-10", "review_by: 2026-02-01"), name="old.yaml")
    code, out, err = run_cli("check", old, "--today", "2026-05-17")
    lines = out.splitlines()
    assert (code, err) == (0, "")
    assert lines[1:4] == [
        f"{old}:7:12: warning: the review date 2026-02-01 has passed (105 days ago) [review-date]",
        "  hint: check that everything is still right, then set a new review_by date "
        "(and a new version and published date if anything changed)",
        "checked 1 handout: 0 errors, 1 warning, 1 info",
    ]
    assert run_cli("check", old, "--strict", "--today", "2026-05-17")[0] == 1
    assert run_cli("check", clean, "--strict", "--today", "2026-05-17")[0] == 0
    broken = write_yaml("title: x\nsections: nope\n", name="broken.yaml")
    code, out, _ = run_cli("check", broken, clean, "--today", "2026-05-17")
    assert code == 2
    assert out.splitlines()[-1] == "checked 2 handouts: 1 error, 0 warnings, 1 info"


def test_check_help_lists_its_options(run_cli) -> None:
    code, out, _ = run_cli("check", "--help")
    assert code == 0
    for option in ("--clinic", "--format", "--strict", "--max-grade", "--assets"):
        assert option in out
    assert "--today" not in out


# -- init -----------------------------------------------------------------------------------------
def test_init_then_check_then_build(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("init", "my-clinic")
    assert code == 0, err
    folder = tmp_path / "my-clinic"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "blood-test.yaml", "clinic.yaml", "logo.svg"]
    handout = (folder / "blood-test.yaml").read_text(encoding="utf-8")
    today = dt.date.today()
    assert f"published: {today.isoformat()}" in handout
    leap_day = (today.month, today.day) == (2, 29)
    review_by = dt.date(today.year + 2, 2, 28) if leap_day else today.replace(year=today.year + 2)
    assert f"review_by: {review_by.isoformat()}" in handout
    monkeypatch.chdir(folder)
    code, out, err = run_cli("check", "blood-test.yaml", "--clinic", "clinic.yaml", "--strict")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "checked 1 handout: 0 errors, 0 warnings, 1 info"
    code, _, err = run_cli("build", "blood-test.yaml", "--clinic", "clinic.yaml")
    assert code == 0, err
    assert err.splitlines() == ["wrote blood-test.pdf (8 pages)"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for command in ("booklet build", "booklet summary", "--large-print", "booklet impose", "booklet batch",
                    "booklet check"):
        assert command in readme


def test_init_refuses_to_overwrite_and_writes_nothing(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "clinic.yaml").write_text("name: Mine\n", encoding="utf-8")
    code, out, err = run_cli("init", folder)
    assert (code, out) == (2, "")
    assert err == (f"{folder / 'clinic.yaml'}: error: the file already exists, and booklet init never overwrites "
                   "a file\n  hint: choose a new folder, or move the file out of the way first\n")
    assert [p.name for p in folder.iterdir()] == ["clinic.yaml"]
    assert (folder / "clinic.yaml").read_text(encoding="utf-8") == "name: Mine\n"


# -- the bundled example and the word list ------------------------------------------------------------
def test_bundled_example_has_no_errors_and_no_unexplained_jargon() -> None:
    found = findings(EXAMPLE, RIVERSIDE)
    assert [str(f) for f in found if f.severity == "error" or f.rule == "jargon"] == []


def test_jargon_list_is_well_formed() -> None:
    words = pl.jargon_for("en")
    assert words is not None
    assert len(words.concepts) >= 80
    forms = [form.lower() for concept in words.concepts for form in concept]
    assert len(forms) == len(set(forms)), "a form is listed twice"
    for concept in words.concepts:
        for form in concept:
            assert [c for c, _ in words.find(f"The {form} here.")] == [words.concepts.index(concept)], form


def test_check_lays_out_on_the_paper_it_is_given(write_yaml, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Half-letter pages are narrower than A5: an address that fits an A5 booklet's line (122 mm) does not fit
    a half-letter one (114 mm), and `check --paper letter` says so where `check` (A4) does not, as
    `build --paper letter` refuses it and `build` does not."""
    url = "https://www.riverside.example/" + "a" * 20
    path = write_yaml(f"""\
        title: Test
        reference: T-1
        version: "1"
        language: en
        published: 2026-05-17
        review_by: 2028-05-17
        summary:
          - Rest.
        sections:
          - heading: More
            body:
              - "Read more at {url} today."
        """)
    found = {paper: [f for f in check([path], None, dt.date(2026, 6, 1), paper=paper)
                     if "too long to print on one line at 12 pt" in f.message] for paper in ("a4", "letter")}
    assert found["a4"] == []
    assert [(f.severity, f.rule, f.line) for f in found["letter"]] == [("error", "print-fit", 12)]
    code, out, _ = run_cli("check", str(path), "--no-clinic", "--paper", "letter")
    assert code == 2
    assert "at 12 pt (118 mm; the line is 114 mm)" in out
    for paper, refused in (("a4", False), ("letter", True)):
        code, _, err = run_cli("build", str(path), "--no-clinic", "--paper", paper, "-o", str(path.with_suffix(".pdf")))
        assert (code == 2 and "too long to print" in err) is refused, (paper, err)
