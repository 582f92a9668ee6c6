"""The library's front door: load, validate, compose and render a handout in one call.

    result = build("content/asthma.yaml", clinic="clinic.yaml", variant="large-print")
    result.pdf, result.pages          # nothing is written unless output= is given

`booklet/__init__.py` re-exports `build`, `check` and `find_clinic`. Nothing here prints or exits;
bad input raises BookletError.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import model as m
from .errors import BookletError, Loc, Problem
from .fonts import BUILT_IN, NO_GLYPH, FontSet, font_set
from .output import write_atomic
from .render import DocumentSpec, SubsetSeed, collecting_less, render
from .scripts import check_scripts
from .theme import Theme, reads_right_to_left, theme_for, words_warnings
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

if TYPE_CHECKING:
    from .check import Finding

PAPERS = ("a4", "letter")
#: The clinic profile's file name that `find_clinic` looks for (the name `booklet init` writes).
CLINIC_FILE = "clinic.yaml"
#: How messages name a handout read from standard input (`booklet build -`); its images are found from the
#: current folder.
STDIN = Path("<stdin>")

#: A file name as the library accepts it: a str or any path object.
PathLike = str | os.PathLike[str]


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
    #: The files the PDF was made from: the handout, the clinic profile, images, the logo and house fonts
    #: (what `booklet watch` watches).
    inputs: tuple[Path, ...] = ()


#: Characters the layouts print besides the handout's, clinic's and layout's words: list bullets, the
#: separator in footers and fact lines, the ellipsis of a shortened title, a summary's turn-over arrow.
LAYOUT_CHARACTERS = "\u2022\u00b7\u2026\u2192"


@dataclass(frozen=True)
class Prepared:
    """Everything about one handout in one variant that does not depend on placeholder values."""

    handout: m.Handout
    clinic: m.Clinic
    variant: Variant
    theme: Theme
    fonts: FontSet
    #: Warnings that hold for every copy: a clinic text not translated into the handout's language, a
    #: language without the layout's own words (layouts/strings.yaml).
    warnings: tuple[Problem, ...] = ()

    @functools.cached_property
    def subset_seed(self) -> SubsetSeed:
        """The characters every copy of a handout with placeholders numbers first in each font's subsets
        (render.seed_subsets): all that the handout, the clinic profile and the layout's words can print,
        beyond ASCII, in code point order. The same for every copy and for `build --set`, so a copy's pages
        that do not show a value are the same bytes in every copy (booklet/reuse.py writes them once).
        A handout without placeholders has one copy: no seed, and its bytes are as they were."""
        if not self.handout.placeholders:
            return ()
        texts = (text for text, _ in _all_texts(self.handout, self.clinic, self.theme, translations=False))
        chars = {ch for text in (*texts, LAYOUT_CHARACTERS) for ch in text if ch > "\x7f"} - NO_GLYPH
        text = "".join(sorted(chars))
        faces = dict.fromkeys((self.fonts.regular, self.fonts.bold, self.fonts.italic, self.fonts.bold_italic))
        return tuple((face, text) for face in faces)


def load(content: Path, clinic: Path | None = None, *, assets: tuple[Path, ...] = (),
         data: bytes | None = None) -> tuple[m.Handout, m.Clinic]:
    """Read and validate the content file and the clinic profile (both are checked before failing).
    `data`: the content file's bytes, read elsewhere (standard input)."""
    errors: list[BookletError] = []
    handout = clinic_model = None
    try:
        handout = read_handout(content, assets=assets, data=data)
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
    rtl = reads_right_to_left(handout.language, (text for text, _ in handout_texts(handout)))
    theme = theme_for(v.layouts, paper, clinic, handout.language, rtl)  # right to left: the layout mirrored
    printed, warnings = clinic_for_language(clinic, handout.language)  # compose sees the handout's language only
    # Scripts before glyphs ("Arabic cannot be printed correctly yet", not "no glyph"), for what is printed:
    # a clinic's translations into other languages are not.
    check_scripts(_all_texts(handout, printed, theme, translations=False,
                             words_at=handout.field_locs.get("language", handout.loc)))
    check_glyphs(_all_texts(handout, clinic, theme), fonts.can_draw, fonts.label)
    # The layout's own words in English under a handout in another language: never without a word.
    return Prepared(handout, printed, v, theme, fonts, (*words_warnings(handout), *warnings))


def _all_texts(handout: m.Handout, clinic: m.Clinic, theme: Theme, translations: bool = True,  # type: ignore[no-untyped-def]
               words_at: Loc | None = None):
    yield from handout_texts(handout)
    yield from clinic_texts(clinic, translations)
    where = clinic.field_locs.get("fonts", clinic.loc)
    # The layout's own words in the handout's language, as one text: one problem, not one per word
    # (`words_at`: where to point, e.g. the handout's `language:` line for a script booklet cannot set).
    yield " ".join(theme.words.values()), words_at or where
    for _, _, symbol in theme.palette.callouts.values():
        yield symbol, where


def render_prepared(p: Prepared, values: dict[str, str] | None = None, *, values_source: str = "--set",
                    tags: bool = True, pdfua: bool = False, bleed: float = 0.0, marks: bool = False,
                    one_side: bool = False) -> Result:
    """Render one copy; `values` fill the placeholders. `tags=False`: the same pages as an untagged PDF;
    `one_side`: a summary on the front of the sheet only (refused when it needs the back);
    `pdfua`: claim PDF/UA-1 in the metadata (unvalidated); `bleed` (points, see bleed.parse_bleed) and
    `marks`: pages for a print shop, with colour into the bleed, TrimBox/BleedBox and crop marks."""
    spec = compose_prepared(p, values, values_source=values_source, tags=tags, pdfua=pdfua, bleed=bleed,
                            marks=marks, one_side=one_side)
    pdf, pages = render(spec)
    return Result(pdf, pages, p.theme.notices, warnings=(*p.warnings, *spec.warnings))


def compose_prepared(p: Prepared, values: dict[str, str] | None = None, *, values_source: str = "--set",
                     tags: bool = True, pdfua: bool = False, bleed: float = 0.0, marks: bool = False,
                     one_side: bool = False) -> DocumentSpec:
    """What `render_prepared` renders: the values checked and the copy composed, not yet laid out."""
    values = values or {}
    check_values(p.handout, values, values_source)
    check_scripts((v, Loc(f"{values_source} {k}")) for k, v in values.items())
    check_glyphs(((v, Loc(f"{values_source} {k}")) for k, v in values.items()), p.fonts.can_draw, p.fonts.label)
    options = {"sides": 1} if one_side and p.variant.compose is _summary else {}
    spec = p.variant.compose(p.handout, p.clinic, p.theme, p.fonts, values, **options)
    spec.tags, spec.pdfua = tags, pdfua
    spec.bleed, spec.marks = bleed, marks
    spec.subset_seed = p.subset_seed
    return spec


def default_output(content: Path, variant: str = "booklet") -> Path:
    """`<stem><suffix>.pdf` (a web page: `<stem><suffix>.html`) in the current folder, as the single commands
    name their files."""
    if variant in HTML_VARIANTS:
        return Path(f"{content.stem}{HTML_VARIANTS[variant].suffix}.html")
    return Path(f"{content.stem}{VARIANTS[variant].suffix}.pdf")


# -- the web edition ------------------------------------------------------------------
@dataclass(frozen=True)
class HtmlVariant:
    name: str
    layouts: tuple[str, ...]  # the theme's layouts: type sizes, emphasis, colours, the layout's words
    suffix: str


#: The web page (`booklet html`), standard and large print: not PDFs, so not in VARIANTS.
HTML_VARIANTS: dict[str, HtmlVariant] = {
    v.name: v for v in (
        HtmlVariant("html", ("booklet",), ""),
        HtmlVariant("large-print-html", ("booklet", "large-print"), "-large-print"),
    )
}


@dataclass(frozen=True)
class HtmlResult:
    html: str
    notices: tuple[str, ...]
    output: Path | None = None
    #: As Result.warnings: an expired review date, clinic texts or layout words not in the handout's language.
    warnings: tuple[Problem, ...] = ()
    inputs: tuple[Path, ...] = ()


def render_html(handout: m.Handout, clinic: m.Clinic, *, large_print: bool = False,
                values: dict[str, str] | None = None, values_source: str = "--set") -> HtmlResult:
    """One handout as a self-contained web page (booklet/html.py); `values` fill the placeholders. Writes nothing.

    The browser sets the text, so the PDF's font and script checks do not apply (a handout in Arabic or
    Hebrew is a page with `dir="rtl"`)."""
    from .html import compose_html

    values = values or {}
    check_values(handout, values, values_source)
    variant = HTML_VARIANTS["large-print-html" if large_print else "html"]
    theme = theme_for(variant.layouts, PAPERS[0], clinic, handout.language)
    printed, warnings = clinic_for_language(clinic, handout.language)
    page = compose_html(handout, printed, theme, values, large_print=large_print)
    return HtmlResult(page, theme.notices, warnings=(*words_warnings(handout), *warnings))


@dataclass(frozen=True)
class _Loaded:
    """A handout and its clinic read for `build` or `html`, and where the output goes."""

    handout: m.Handout
    clinic: m.Clinic
    target: Path | None
    from_text: bool

    def inputs(self) -> tuple[Path, ...]:
        files = input_files(self.handout, self.clinic)
        return files[1:] if self.from_text else files  # YAML given as text is no file to watch


def _load_for(content: PathLike, clinic: PathLike | None, output: PathLike | None, assets: Iterable[PathLike],
              text: str | bytes | None, what: str, suffix: str) -> _Loaded:
    """Read and validate the input of `build` or `html`; `-o handout.yaml` never replaces the handout."""
    content, clinic_path = Path(content), None if clinic is None else Path(clinic)
    target = None if output is None else Path(output)
    sources = (clinic_path,) if text is not None else (content, clinic_path)
    for source in sources:
        if source is not None and target is not None and target.exists() and source.exists() \
                and target.samefile(source):
            raise BookletError.at(str(target), f"the output would overwrite the input file {source}",
                                  f"give the {what} its own name, ending in {suffix}")
    data = text.encode("utf-8") if isinstance(text, str) else text
    handout, clinic_model = load(content, clinic_path, assets=tuple(Path(a) for a in assets), data=data)
    return _Loaded(handout, clinic_model, target, data is not None)


def warnings_with_review(handout: m.Handout, found: tuple[Problem, ...], today: dt.date | None = None,
                         strict: bool = False) -> tuple[Problem, ...]:
    """A result's warnings with an overdue review date first; `strict` refuses them all as errors."""
    overdue = review_overdue(handout, today or dt.date.today())
    warnings = (overdue, *found) if overdue else found
    if strict and warnings:
        raise BookletError([Problem(w.loc, w.message, w.hint) for w in warnings])
    return warnings


def html(content: PathLike, *, clinic: PathLike | None = None, large_print: bool = False,
         values: Mapping[str, str] | None = None, output: PathLike | None = None, assets: Iterable[PathLike] = (),
         strict: bool = False, today: dt.date | None = None, text: str | bytes | None = None) -> HtmlResult:
    """The handout as one self-contained, accessible web page: `result.html` (text). Writes nothing unless
    `output` is given, then writes it atomically (UTF-8). Options as for `build`; bad input raises BookletError."""
    loaded = _load_for(content, clinic, output, assets, text, "web page", ".html")
    result = render_html(loaded.handout, loaded.clinic, large_print=large_print, values=dict(values or {}))
    warnings = warnings_with_review(loaded.handout, result.warnings, today, strict)
    if loaded.target is not None:
        write_atomic(loaded.target, result.html.encode("utf-8"))
    return HtmlResult(result.html, result.notices, loaded.target, warnings, loaded.inputs())


def build(content: PathLike, *, clinic: PathLike | None = None, variant: str = "booklet", paper: str = "a4",
          values: Mapping[str, str] | None = None, output: PathLike | None = None,
          assets: Iterable[PathLike] = (), tags: bool = True, pdfua: bool = False, strict: bool = False,
          bleed: float = 0.0, marks: bool = False, today: dt.date | None = None, one_side: bool = False,
          text: str | bytes | None = None) -> Result:
    """Validate and render one handout variant: the PDF's bytes and page count. Writes nothing unless `output`
    is given, then writes it atomically (a failed build leaves an existing file untouched).

    `clinic`: the clinic profile (None: the neutral one; `find_clinic` finds the one a handout's folder has).
    `values`: the {{ placeholder }} values. `strict`: warnings are refused as errors (nothing is written).
    `today`: the date the review date is checked against (default: today). `text`: the handout's YAML itself,
    read from elsewhere (standard input, a database); `content` then only names it in messages, and its
    folder is where images are found. Bad input raises BookletError, and nothing else does."""
    # The collector held off for the whole build, not only its layout (booklet.render.collecting_less): reading
    # the handout and the fonts' tables makes tens of thousands of objects that live until the PDF is made.
    with collecting_less():
        loaded = _load_for(content, clinic, output, assets, text, "PDF", ".pdf")
        prepared = prepare(loaded.handout, loaded.clinic, variant, paper)
        result = render_prepared(prepared, dict(values or {}), tags=tags, pdfua=pdfua, bleed=bleed, marks=marks,
                                 one_side=one_side)
    warnings = warnings_with_review(loaded.handout, result.warnings, today, strict)
    if loaded.target is not None:
        write_atomic(loaded.target, result.pdf)
    return Result(result.pdf, result.pages, result.notices, loaded.target, warnings, loaded.inputs())


def input_files(handout: m.Handout, clinic: m.Clinic) -> tuple[Path, ...]:
    """The files a handout's PDF is made from, the handout first: a change to any of them changes the PDF."""
    files = [handout.path]
    if clinic.path is not None:
        files.append(clinic.path)
    files += [block.path for section in handout.sections for block in section.body if isinstance(block, m.Image)]
    if clinic.logo is not None:
        files.append(clinic.logo)
    if clinic.fonts is not None:
        f = clinic.fonts
        files += [p for p in (f.regular, f.bold, f.italic, f.bold_italic) if p is not None]
    return tuple(dict.fromkeys(files))


def find_clinic(content: PathLike) -> Path | None:
    """The clinic profile for a handout when none is named: `clinic.yaml` in the handout's folder or in its
    nearest parent folder that has one (for `STDIN`, from the current folder); None when there is none.
    The path is relative to the current folder when it lies inside it."""
    folder = Path(content).absolute().parent
    for candidate in (d / CLINIC_FILE for d in (folder, *folder.parents)):
        try:
            found = candidate.is_file()
        except OSError:  # a folder above that may not be looked into
            continue
        if found:
            try:
                return candidate.relative_to(Path.cwd())
            except ValueError:
                return candidate
    return None


def check(content: PathLike | Sequence[PathLike], *, clinic: PathLike | None = None, today: dt.date | None = None,
          max_grade: float | None = None, assets: Iterable[PathLike] = (), paper: str = "a4") -> list[Finding]:
    """What `booklet check` reports, as `booklet.check.Finding`s in report order (each has path, line, col,
    severity, rule, message, hint): one handout or a list of them, laid out on `paper` (a4, letter). Writes
    nothing; a handout that cannot be used is an error finding (rule `validation`), not an exception."""
    # `from .check import`, not `from . import check`: the package's name `check` is this function.
    from .check import DEFAULT_MAX_GRADE
    from .check import check as check_handouts

    paths = [Path(content)] if isinstance(content, (str, os.PathLike)) else [Path(c) for c in content]
    return check_handouts(paths, None if clinic is None else Path(clinic), today,
                          DEFAULT_MAX_GRADE if max_grade is None else max_grade, assets=tuple(Path(a) for a in assets),
                          paper=paper)
