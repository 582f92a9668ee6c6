"""The library's front door: load, validate, compose and render a handout in one call.

    result = build(Path("content/asthma.yaml"), clinic=Path("clinic.yaml"), variant="large-print")

Nothing here prints or exits; bad input raises BookletError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import model as m
from .errors import BookletError, Loc, Problem
from .fonts import BUILT_IN, FontSet, font_set
from .output import write_atomic
from .render import DocumentSpec, render
from .scripts import check_scripts
from .theme import Theme, theme_for
from .validate import (
    check_glyphs,
    check_values,
    clinic_for_language,
    clinic_texts,
    handout_texts,
    read_clinic,
    read_handout,
    review_overdue,
)

PAPERS = ("a4", "letter")


@dataclass(frozen=True)
class Variant:
    name: str
    layouts: tuple[str, ...]
    suffix: str
    compose: Callable[..., DocumentSpec]


def _booklet(*args):  # type: ignore[no-untyped-def]
    from .compose_booklet import compose_booklet

    return compose_booklet(*args)


def _summary(*args, **options):  # type: ignore[no-untyped-def]
    from .compose_summary import compose_summary

    return compose_summary(*args, **options)


VARIANTS: dict[str, Variant] = {
    v.name: v for v in (
        Variant("booklet", ("booklet",), "", _booklet),
        Variant("summary", ("booklet", "summary"), "-summary", _summary),
        Variant("large-print", ("booklet", "large-print"), "-large-print", _booklet),
        Variant("large-print-summary", ("booklet", "summary", "large-print", "large-print-summary"),
                "-large-print-summary", _summary),
    )
}


@dataclass(frozen=True)
class Result:
    pdf: bytes
    pages: int
    notices: tuple[str, ...]
    output: Path | None = None
    #: Things a person should look at before printing (severity "warning"), each with its file and line:
    #: an expired review date, a clinic text not translated into the handout's language, figure text that
    #: prints small. `strict=True` on `build` refuses them as errors instead.
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """Everything about one handout in one variant that does not depend on placeholder values."""

    handout: m.Handout
    clinic: m.Clinic
    variant: Variant
    theme: Theme
    fonts: FontSet
    #: Warnings that hold for every copy: a clinic text not translated into the handout's language.
    warnings: tuple[Problem, ...] = ()


def load(content: Path, clinic: Path | None = None, *, assets: tuple[Path, ...] = ()) -> tuple[m.Handout, m.Clinic]:
    """Read and validate the content file and the clinic profile (both are checked before failing)."""
    errors: list[BookletError] = []
    handout = clinic_model = None
    try:
        handout = read_handout(content, assets=assets)
    except BookletError as exc:
        errors.append(exc)
    try:
        clinic_model = read_clinic(clinic, assets=assets)
    except BookletError as exc:
        errors.append(exc)
    if errors:
        raise BookletError([p for e in errors for p in e.problems])
    assert handout is not None
    assert clinic_model is not None
    return handout, clinic_model


def prepare(handout: m.Handout, clinic: m.Clinic, variant: str = "booklet", paper: str = "a4") -> Prepared:
    if variant not in VARIANTS:
        raise BookletError.at("--variant", f"unknown variant '{variant}'", "use one of: " + ", ".join(VARIANTS))
    if paper not in PAPERS:
        raise BookletError.at("--paper", f"unknown paper '{paper}'", "use a4 or letter")
    v = VARIANTS[variant]
    fonts = font_set(clinic.fonts or BUILT_IN)
    theme = theme_for(v.layouts, paper, clinic, handout.language)
    printed, warnings = clinic_for_language(clinic, handout.language)  # compose sees the handout's language only
    # Scripts before glyphs ("Arabic cannot be printed correctly yet", not "no glyph"), for what is printed:
    # a clinic's translations into other languages are not.
    check_scripts(_all_texts(handout, printed, theme, translations=False))
    check_glyphs(_all_texts(handout, clinic, theme), fonts.can_draw, fonts.label)
    return Prepared(handout, printed, v, theme, fonts, tuple(warnings))


def _all_texts(handout: m.Handout, clinic: m.Clinic, theme: Theme, translations: bool = True):  # type: ignore[no-untyped-def]
    yield from handout_texts(handout)
    yield from clinic_texts(clinic, translations)
    where = clinic.field_locs.get("fonts", clinic.loc)
    for word in theme.words.values():
        yield word, where
    for _, _, symbol in theme.palette.callouts.values():
        yield symbol, where


def render_prepared(p: Prepared, values: dict[str, str] | None = None, *, values_source: str = "--set",
                    tags: bool = True, pdfua: bool = False, bleed: float = 0.0, marks: bool = False,
                    one_side: bool = False) -> Result:
    """Render one copy; `values` fill the placeholders. `tags=False`: the same pages as an untagged PDF;
    `one_side`: a summary on the front of the sheet only (refused when it needs the back);
    `pdfua`: claim PDF/UA-1 in the metadata (unvalidated); `bleed` (points, see bleed.parse_bleed) and
    `marks`: pages for a print shop, with colour into the bleed, TrimBox/BleedBox and crop marks."""
    values = values or {}
    check_values(p.handout, values, values_source)
    check_scripts((v, Loc(f"{values_source} {k}")) for k, v in values.items())
    check_glyphs(((v, Loc(f"{values_source} {k}")) for k, v in values.items()), p.fonts.can_draw, p.fonts.label)
    options = {"sides": 1} if one_side and p.variant.compose is _summary else {}
    spec = p.variant.compose(p.handout, p.clinic, p.theme, p.fonts, values, **options)
    spec.tags, spec.pdfua = tags, pdfua
    spec.bleed, spec.marks = bleed, marks
    pdf, pages = render(spec)
    return Result(pdf, pages, p.theme.notices, warnings=(*p.warnings, *spec.warnings))


def default_output(content: Path, variant: str = "booklet") -> Path:
    """`<stem><suffix>.pdf` in the current folder, as the single commands name their files."""
    return Path(f"{content.stem}{VARIANTS[variant].suffix}.pdf")


def build(content: Path, *, clinic: Path | None = None, variant: str = "booklet", paper: str = "a4",
          values: dict[str, str] | None = None, output: Path | None = None,
          assets: tuple[Path, ...] = (), tags: bool = True, pdfua: bool = False, strict: bool = False,
          bleed: float = 0.0, marks: bool = False, today: dt.date | None = None, one_side: bool = False) -> Result:
    """Validate, render and write one handout variant atomically. Returns what was written.

    `strict`: warnings are refused as errors (nothing is written). `today`: the date the review date is
    checked against (default: today)."""
    target = output or default_output(content, variant)
    for source in (content, clinic):  # `-o handout.yaml` must not replace the handout with a PDF
        if source is not None and target.exists() and source.exists() and target.samefile(source):
            raise BookletError.at(str(target), f"the output would overwrite the input file {source}",
                                  "give the PDF its own name, ending in .pdf")
    handout, clinic_model = load(content, clinic, assets=assets)
    prepared = prepare(handout, clinic_model, variant, paper)
    result = render_prepared(prepared, values, tags=tags, pdfua=pdfua, bleed=bleed, marks=marks, one_side=one_side)
    overdue = review_overdue(handout, today or dt.date.today())
    warnings = (overdue, *result.warnings) if overdue else result.warnings
    if strict and warnings:
        raise BookletError([Problem(w.loc, w.message, w.hint) for w in warnings])
    write_atomic(target, result.pdf)
    return Result(result.pdf, result.pages, result.notices, target, warnings)
