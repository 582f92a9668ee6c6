"""Every variant, built with --pdfua, passes an external PDF/UA-1 validator: page-validation (PyPI, MIT).

page-validation ("page", a Rust PDF/A and PDF/UA validator) judged veraPDF's whole PDF/UA-1 test
corpus right, and is stricter than veraPDF on one point booklet once failed: no ToUnicode entry may
map a code to U+0000, U+FEFF or U+FFFE (FONT-UNICODE-VALUE-001). The variant set is built once per
session: four kinds x two papers x two clinics x two languages.
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pikepdf
import pytest
from conftest import DATA, EXAMPLE, RIVERSIDE, ROOT

from booklet import api

page = pytest.importorskip("page", reason="page-validation is in the test extra: pip install '.[test]'")

KINDS = ("booklet", "summary", "large-print", "large-print-summary")
PAPERS = ("a4", "letter")
CLINICS = {"riverside": RIVERSIDE, "sunny": ROOT / "content" / "clinics" / "sunny" / "clinic.yaml"}
LANGUAGES = {"en": EXAMPLE, "es": DATA / "lang" / "es.yaml"}
VARIANTS = [f"{lang}-{clinic}-{kind}-{paper}"
            for lang, clinic, kind, paper in itertools.product(LANGUAGES, CLINICS, KINDS, PAPERS)]


@pytest.fixture(scope="session")
def variant_set() -> dict[str, bytes]:
    """name -> the PDF, as `booklet build/summary [--large-print] --pdfua` makes it."""
    out = {}
    for lang, clinic, kind, paper in itertools.product(LANGUAGES, CLINICS, KINDS, PAPERS):
        handout, profile = api.load(LANGUAGES[lang], CLINICS[clinic])
        prepared = api.prepare(handout, profile, kind, paper)
        out[f"{lang}-{clinic}-{kind}-{paper}"] = api.render_prepared(prepared, pdfua=True).pdf
    return out


def failures(pdf: bytes) -> list[str]:
    report = page.validate_pdf_bytes(pdf, profile=page.ValidationProfile.PDF_UA_1)
    found = [f"{f.rule_id}: {f.message}" for f in report.failures]
    assert bool(found) == (not report.is_compliant)
    return found


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_passes_page_validation(variant_set: dict[str, bytes], name: str) -> None:
    assert failures(variant_set[name]) == []


def test_the_validator_catches_what_it_should(variant_set: dict[str, bytes]) -> None:
    """A copy without its language, and one without tags, fail: the check above is not vacuous."""
    pdf = pikepdf.open(io.BytesIO(variant_set["en-riverside-booklet-a4"]))
    del pdf.Root.Lang
    no_language = io.BytesIO()
    pdf.save(no_language)
    assert failures(no_language.getvalue())
    handout, profile = api.load(EXAMPLE, RIVERSIDE)
    untagged = api.render_prepared(api.prepare(handout, profile, "summary"), tags=False, pdfua=True).pdf
    assert failures(untagged)


_ENTRY = re.compile(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]+)>")


def test_no_tounicode_entry_maps_to_nothing(variant_set: dict[str, bytes]) -> None:
    """FONT-UNICODE-VALUE-001: ReportLab's first subset of a font leaves codes 1-31 (and every subset code 0)
    mapped to U+0000; booklet writes no entry for them. Every code a page shows still has its character."""
    for name in ("en-riverside-booklet-a4", "es-sunny-large-print-summary-letter"):
        pdf = pikepdf.open(io.BytesIO(variant_set[name]))
        fonts = 0
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/ToUnicode" in obj:
                fonts += 1
                cmap = obj.ToUnicode.read_bytes()
                values = {int(value, 16) for _, value in _ENTRY.findall(cmap)}
                assert not values & {0x0000, 0xFEFF, 0xFFFE}, (name, str(obj.BaseFont))
                for count, block in re.findall(rb"(\d+) beginbfchar(.*?)endbfchar", cmap, re.S):
                    assert int(count) == len(_ENTRY.findall(block)) <= 100
        assert fonts >= 2


def test_the_variant_set_is_every_variant(variant_set: dict[str, bytes]) -> None:
    assert len(variant_set) == len(KINDS) * len(PAPERS) * len(CLINICS) * len(LANGUAGES) == 32
    assert all(pdf.startswith(b"%PDF-1.7") for pdf in variant_set.values())
    assert Path(LANGUAGES["es"]).exists()
