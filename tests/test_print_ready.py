"""Issue #11, print-ready pages: the example and the print corpus (tests/data/print/, six languages),
built as booklets and in large print on A4 and Letter with a real clinic profile, measured page by page
from the PDF with the page-quality checker (tests/pagecheck.py).

Each test names one handout, one variant and one rule, so a failure says what broke where. Every
PDF is built once per session, in parallel, into a temporary folder; `pytest -k "wound-care"` or
`-k "url-split"` picks a slice. To look at a failure yourself:

    booklet build tests/data/print/X.yaml --clinic tests/data/print/clinic/clinic.yaml [--large-print] \\
        [--paper letter] -o /tmp/x.pdf
    python tests/pagecheck.py /tmp/x.pdf --content tests/data/print/X.yaml \\
        --clinic tests/data/print/clinic/clinic.yaml [--large-print]
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pagecheck as pc
import pytest
from conftest import DATA, EXAMPLE, RIVERSIDE

PRINT = DATA / "print"
CLINIC = PRINT / "clinic" / "clinic.yaml"
MULTILINGUAL_CLINIC = PRINT / "clinic" / "clinic-multilingual.yaml"

#: handout name -> (content file, clinic profile)
HANDOUTS: dict[str, tuple[Path, Path]] = {
    "example": (EXAMPLE, RIVERSIDE),
    **{p.stem: (p, CLINIC) for p in sorted(PRINT.glob("*.yaml"))},
}
#: variant name -> (booklet.api variant, paper)
VARIANTS: dict[str, tuple[str, str]] = {
    "booklet-a4": ("booklet", "a4"),
    "booklet-letter": ("booklet", "letter"),
    "large-print-a4": ("large-print", "a4"),
    "large-print-letter": ("large-print", "letter"),
}
#: Rules for things the issue does not promise (a lead-in sentence parted from its list): reported by one
#: test, as an expected failure with the list, so they inform without failing the suite.
EXTRA_RULES = ("lead-in-at-page-foot",)
RULES = [r for r in pc.RULES if r not in EXTRA_RULES]
#: The corpus as the issue asks for it: at least six languages.
LANGUAGES = {"en", "es", "pl", "vi", "ru", "el"}

Outcome = dict[str, list[str]] | str  # findings by rule, or the build's error


def _build_and_check(job: tuple[str, str, Path, Path, str, str, Path]) -> tuple[tuple[str, str], Outcome]:
    """In a worker: build one handout variant and run every rule on it."""
    from booklet.api import build
    from booklet.errors import BookletError

    handout, variant_name, content, clinic, variant, paper, out = job
    try:
        build(content, clinic=clinic, variant=variant, paper=paper, output=out)
    except BookletError as exc:
        return (handout, variant_name), f"the build failed: {exc}"
    knowledge = pc.Knowledge.load(content, clinic, large_print=variant == "large-print")
    findings: dict[str, list[str]] = {rule: [] for rule in pc.RULES}
    for finding in pc.check(out, knowledge):
        findings[finding.rule].append(str(finding))
    return (handout, variant_name), findings


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    """Every handout in every variant, built and checked once per session (on all cores)."""
    folder = tmp_path_factory.mktemp("print-ready")
    jobs = [(handout, name, content, clinic, variant, paper, folder / f"{handout}--{name}.pdf")
            for handout, (content, clinic) in HANDOUTS.items() for name, (variant, paper) in VARIANTS.items()]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), mp_context=context) as pool:
        return dict(pool.map(_build_and_check, jobs))


def _outcome(outcomes: dict[tuple[str, str], Outcome], handout: str, variant: str) -> dict[str, list[str]]:
    outcome = outcomes[(handout, variant)]
    if isinstance(outcome, str):
        pytest.fail(f"{handout} ({variant}): {outcome}")
    return outcome


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("handout", HANDOUTS)
def test_builds(outcomes: dict[tuple[str, str], Outcome], handout: str, variant: str) -> None:
    _outcome(outcomes, handout, variant)


#: Where two promises of the issue conflict and booklet keeps the other one, said here rather than hidden.
#: (handout, variant, rule) -> why.
CONFLICTS = {
    ("type-2-diabetes", "large-print-letter", "underfilled-page"):
        "page 15 ends 47% full: the three questions after it (kept whole: a list of up to 4 is never split) "
        "need 55% of a page, and nothing comes after them to fill page 15 instead",
}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("handout", HANDOUTS)
def test_page_quality(outcomes: dict[tuple[str, str], Outcome], handout: str, variant: str, rule: str,
                      request: pytest.FixtureRequest) -> None:
    conflict = CONFLICTS.get((handout, variant, rule))
    if conflict:
        request.applymarker(pytest.mark.xfail(reason=conflict, strict=True))
    found = _outcome(outcomes, handout, variant)[rule]
    shown = "\n  ".join(found[:8]) + (f"\n  ... and {len(found) - 8} more" if len(found) > 8 else "")
    assert not found, f"{handout} ({variant}), {rule}: {len(found)} finding(s):\n  {shown}\n" \
                      f"rule: {' '.join((pc.RULES[rule].__doc__ or '').split())}"


def test_beyond_the_issue(outcomes: dict[tuple[str, str], Outcome]) -> None:
    """Not acceptance criteria: shown as xfail with what was found, a pass when nothing is."""
    found = [f"{handout} ({variant}): {finding}" for (handout, variant), outcome in outcomes.items()
             if not isinstance(outcome, str) for rule in EXTRA_RULES for finding in outcome[rule]]
    if found:
        pytest.xfail(f"{len(found)} finding(s), e.g. " + "; ".join(found[:3]))


@pytest.mark.parametrize("variant", ["booklet-a4", "booklet-letter"])
def test_a_handout_that_fits_four_pages_is_four_pages(tmp_path: Path, variant: str) -> None:
    """blood-test has two short sections and no summary: cover, one or two pages of text, back page."""
    from booklet.api import build

    kind, paper = VARIANTS[variant]
    content, clinic = HANDOUTS["blood-test"]
    assert build(content, clinic=clinic, variant=kind, paper=paper, output=tmp_path / "x.pdf").pages == 4


def test_the_corpus_covers_what_the_issue_asks_for() -> None:
    """Six languages, two urgent callouts, a list of 25, a table of 20+ rows, 12+ steps, a tall figure,
    warning and urgent callouts of up to 10 items, 2- and 3-section handouts, a URL and an e-mail in the text."""
    from booklet import model as m
    from booklet.api import load

    loaded = {name: load(content, clinic)[0] for name, (content, clinic) in HANDOUTS.items()}
    blocks = [(name, b) for name, h in loaded.items() for s in h.sections for b in s.body]
    assert LANGUAGES <= {h.language for h in loaded.values()}
    urgent = [b for name, b in blocks if isinstance(b, m.Callout) and b.kind == "urgent" and name == "type-2-diabetes"]
    assert len(urgent) >= 2
    assert any(isinstance(b, m.Bullets) and len(b.items) >= 25 for _, b in blocks)
    assert any(isinstance(b, m.Table) and len(b.rows) >= 20 for _, b in blocks)
    assert any(isinstance(b, m.Steps) and len(b.items) >= 12 for _, b in blocks)
    assert any(isinstance(b, m.Image) and b.path.suffix == ".svg" for _, b in blocks)
    assert any(isinstance(b, m.Callout) and b.kind == "urgent" and len(b.bullets) == 10 for _, b in blocks)
    assert {len(h.sections) for h in loaded.values()} >= {2, 3}
    diabetes = " ".join(b.text for _, b in blocks if isinstance(b, m.Paragraph))
    assert "https://" in diabetes
    assert "@" in diabetes


def test_the_tall_figure_is_taller_than_half_a_page(tmp_path: Path) -> None:
    """The foot-check figure: its drawing (measured in the PDF) is taller than half the page's text area."""
    from booklet.api import build

    content, clinic = HANDOUTS["type-2-diabetes"]
    out = tmp_path / "diabetes.pdf"
    build(content, clinic=clinic, output=out)
    doc = pc.read(out)
    page = next(p for p in doc.pages if any(ln.text.startswith("Toes") for ln in p.lines))
    labels = [ln for ln in page.lines if ln.text in ("Toes", "Heel")]
    assert len(labels) == 2
    top, bottom = pc._text_area(doc)
    assert labels[1].bottom - labels[0].top > (bottom - top) / 2


def test_multilingual_clinic_texts_print_in_the_handouts_language(tmp_path: Path) -> None:
    """clinic-multilingual.yaml gives urgent, hours, address and alternative formats per language."""
    from booklet.api import build
    from booklet.errors import BookletError

    out = tmp_path / "es.pdf"
    try:
        build(PRINT / "cataract-surgery.es.yaml", clinic=MULTILINGUAL_CLINIC, output=out)
    except BookletError as exc:
        pytest.xfail(f"per-language clinic texts are not supported yet: {exc}")
    last = pc.squash(pc.read(out).pages[-1].text()).lower()
    assert pc.squash("Fuera de horario, llame al 111").lower() in last
    assert pc.squash("Out of hours").lower() not in last
