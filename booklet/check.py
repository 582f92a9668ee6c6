"""Turns handouts into findings: the quality checks a clinic is audited on, without writing a PDF.

    findings = check([Path("content/asthma.yaml")], clinic=Path("clinic.yaml"))

Every handout is validated first (a problem there is an error finding with the
rule `validation`, and the other checks skip that file); then each rule below
looks at the model, and the summaries and booklets (standard and large print) are
laid out as `summary` and `build` lay them out, in memory (BUILDS): what those
commands would refuse is an error here, with their message and line, so that after
`check` reports no error they all succeed. A finding has a place (path, line, column), a severity
(`error`, `warning` or `info`), a rule, a message and a hint. Each is reported
once, at the line it is about: the first use of a word, the block holding a
long sentence, the `review_by` line, the clinic colour's line.

Rules
-----
validation       the file cannot be used as it is (same messages as `booklet build`)
reading-level    a section or the whole handout reads above `max_grade` (SMOG, English) or below
                 55 on the INFLESZ scale (Spanish); an info with the handout's level otherwise, or
                 saying that the language has no formula
long-sentence    a sentence of more than 25 words
long-paragraph   a paragraph of more than 120 words
jargon           a medical word from `data/jargon-<language>.txt` that no glossary block explains
                 (reported at its first use only)
missing-field    no reference, version, published or review_by
review-date      review_by has passed (warning) or is within 90 days (info)
sources          no sources named
image-resolution an image prints below 150 dpi at the size it is placed
alt-text         an image's alt text is only its file name
colour-contrast  a clinic colour used for text is below 4.5:1 against white (WCAG AA)
summary-fit      `summary` or `summary --large-print` would refuse the handout: the summary needs more
                 than one sheet, an urgent or warning callout is taller than a side, or there is nothing
                 to summarise (error; the same message and line as the command's)
print-fit        `build` or `build --large-print` would refuse the handout (error; the command's message)
build            what `build` and `summary` would warn about (warning; the command's message)
placeholder      a {{ placeholder }} that needs a value when the handout is built (info)
skipped          a content file that is the clinic profile given with --clinic (a `*.yaml` in a clinic
                 folder) is not checked as a handout (info, at the file, no line)

JSON output (`booklet check --format json`), version 1
------------------------------------------------------
::

    {
      "version": 1,
      "findings": [
        {"path": "content/asthma.yaml", "line": 14, "column": 7, "severity": "warning",
         "rule": "jargon", "message": "...", "hint": "..."}
      ],
      "summary": {"error": 0, "warning": 1, "info": 0}
    }

- `path` is the file as it was named on the command line (the clinic profile
  for clinic findings).
- `line` and `column` count from 1; both are null for a finding about a whole
  file that has no line (a file that cannot be read).
- `severity` is "error", "warning" or "info"; `rule` is one of the rules above
  (lower-case words joined by "-"); `hint` is "" when there is none.
- Findings come file by file (the clinic profile first, then the handouts in
  the order given), then by line and column.
- `summary` counts every severity, zeros included.
- `version` changes only when a field is removed or changes meaning. New rules
  and new fields may appear within version 1.

The JSON Schema is `booklet/data/check-findings.schema.json`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import model as m
from . import plain_language as pl
from . import text as tx
from .errors import BookletError, Loc
from .theme import MIN_TEXT_CONTRAST, Theme, contrast, readable_shade

JSON_VERSION = 1
#: The rule of the note for a content file that is the clinic profile in use (not checked as a handout).
SKIPPED = "skipped"
SEVERITIES = ("error", "warning", "info")
#: SMOG grade 8 is the usual ceiling for patient information (a reading age of about 13).
DEFAULT_MAX_GRADE = 8.0
#: Within this many days of review_by, a note says the review is coming.
REVIEW_SOON_DAYS = 90
GOVERNANCE_FIELDS = ("reference", "version", "published", "review_by")
#: Clinic colours that layouts draw as text (headings, titles, bullets). The accent colour
#: is drawn only as bands and rules, so its contrast with white does not matter for reading.
TEXT_COLOUR_ROLES = ("primary",)
PAPER = "#FFFFFF"
_IMAGE_FILE = re.compile(r".*\.(png|jpe?g|svg|gif|webp|tiff?)\Z", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One thing to look at in one file, said so that a nurse can act on it."""

    path: str
    line: int  # 1-based; 0 when the finding has no line
    col: int
    severity: str
    rule: str
    message: str
    hint: str = ""

    @classmethod
    def at(cls, loc: Loc, severity: str, rule: str, message: str, hint: str = "") -> Finding:
        return cls(loc.path, loc.line, (loc.col or 1) if loc.line else 0, severity, rule, message, hint)

    @property
    def where(self) -> str:
        return str(Loc(self.path, self.line, self.col))

    def __str__(self) -> str:
        text = f"{self.where}: {self.severity}: {self.message} [{self.rule}]"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line or None,
            "column": self.col if self.line else None,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
        }


def check(paths: Sequence[Path], clinic: Path | None = None, today: dt.date | None = None,
          max_grade: float = DEFAULT_MAX_GRADE, *, assets: tuple[Path, ...] = (), paper: str = "a4") -> list[Finding]:
    """Findings for every handout in `paths` (and the clinic profile), in report order, the variants laid out on
    `paper` (a4, letter). Never raises BookletError."""
    from .batch import is_clinic_profile, skipped_clinic
    from .validate import DEFAULT_CLINIC, read_clinic

    today = today or dt.date.today()
    found: list[Finding] = []
    clinic_model = DEFAULT_CLINIC
    try:
        clinic_model = read_clinic(clinic, assets=assets)
    except BookletError as exc:
        found += _problems(exc)
    else:
        if clinic is not None:
            found += clinic_colours(clinic_model, clinic)
    for path in paths:
        if is_clinic_profile(path, clinic):
            # `booklet check *.yaml --clinic clinic.yaml` in a clinic folder: checked as the clinic, above.
            note = skipped_clinic(path)
            found.append(Finding.at(note.loc, note.severity, SKIPPED, note.message, note.hint))
            continue
        found += check_handout(path, clinic_model, today, max_grade, assets=assets, paper=paper)
    return _in_report_order(found)


def check_handout(path: Path, clinic: m.Clinic, today: dt.date, max_grade: float = DEFAULT_MAX_GRADE, *,
                  assets: tuple[Path, ...] = (), paper: str = "a4") -> list[Finding]:
    from .api import prepare
    from .validate import read_handout

    try:
        handout = read_handout(path, assets=assets)
        prepared = prepare(handout, clinic, "booklet", paper)
    except BookletError as exc:
        return _problems(exc)
    places = Places(path)
    return [
        *reading_level(handout, max_grade),
        *lengths(handout, places),
        *jargon(handout, places),
        *governance(handout, today),
        *images(handout, prepared.theme),
        *builds(handout, clinic, paper),
        *placeholders(handout),
    ]


def _problems(exc: BookletError) -> list[Finding]:
    return [Finding.at(p.loc, p.severity, "validation", p.message, p.hint) for p in exc.problems]


def _in_report_order(findings: list[Finding]) -> list[Finding]:
    """File by file in the order first met, then by line and column; each finding once."""
    files: dict[str, int] = {}
    unique: dict[tuple[str, int, int, str, str], Finding] = {}
    for f in findings:
        files.setdefault(f.path, len(files))
        unique.setdefault((f.path, f.line, f.col, f.rule, f.message), f)
    return sorted(unique.values(), key=lambda f: (files[f.path], f.line, f.col))


# -- plain language -------------------------------------------------------------------
def reading_level(handout: m.Handout, max_grade: float) -> Iterator[Finding]:
    if not pl.measured(handout.language):
        yield Finding.at(
            handout.field_locs.get("language", handout.loc), "info", "reading-level",
            f"the reading level is not measured for language '{handout.language}': booklet's formulas are "
            "made for English (SMOG, Flesch-Kincaid) and Spanish (INFLESZ)",
            "ask someone who reads the language to check that it is plain: short sentences, everyday words")
        return
    for section in handout.sections:
        level = pl.reading_level(pl.section_prose(section), handout.language)
        if level and level.sentences >= pl.MIN_GRADED_SENTENCES and level.too_hard(max_grade):
            yield Finding.at(section.loc, "warning", "reading-level",
                             f"the section '{tx.plain(section.heading)}' reads at {level.describe()}, "
                             f"{_limit(level, max_grade)}", _easier(level))
    everything = [*handout.summary, *(item for s in handout.sections for item in pl.section_prose(s))]
    whole = pl.reading_level(everything, handout.language)
    if whole is None:
        return
    if whole.too_hard(max_grade):
        yield Finding.at(handout.loc, "warning", "reading-level",
                         f"the handout as a whole reads at {whole.describe()}, {_limit(whole, max_grade)}",
                         _easier(whole))
    else:
        yield Finding.at(handout.loc, "info", "reading-level", f"the handout reads at {whole.describe()}")


def _limit(level: pl.Level, max_grade: float) -> str:
    if level.formula == "smog":
        return f"above grade {max_grade:g}"
    return f"below {pl.MIN_INFLESZ:g} ('normal')"


def _easier(level: pl.Level) -> str:
    if level.formula == "smog":
        hint = "shorter sentences and shorter, everyday words lower the grade"
        if level.hard_words:
            hint += "; the long words used most here: " + ", ".join(level.hard_words)
        return hint
    return "frases más cortas y palabras más sencillas (shorter sentences, simpler words) make it easier"


class Places:
    """Where each item of a list was written. The model keeps one place per block; the YAML nodes keep them all."""

    def __init__(self, path: Path) -> None:
        from .source import Mapping, Node, Sequence, load

        self.nodes: dict[Loc, Node] = {}
        self.values: dict[Loc, Node] = {}  # a mapping key's place -> its value
        stack: list[Node] = [load(path)]
        while stack:
            node = stack.pop()
            self.nodes.setdefault(node.loc, node)
            if isinstance(node, Mapping):
                for key, value in node.items:
                    self.values[key.loc] = value
                    stack.append(value)
            elif isinstance(node, Sequence):
                stack.extend(node.items)

    def field(self, node_loc: Loc, name: str) -> Any:
        from .source import Mapping

        node = self.nodes.get(node_loc)
        if isinstance(node, Mapping):
            return next((v for k, v in node.items if k.text == name), None)
        return None

    def items(self, node: Any, texts: Sequence[str], fallback: Loc) -> list[tuple[str, Loc]]:
        """Each text of a list with the place of its own item (the list's place if they do not line up)."""
        from .source import Scalar
        from .source import Sequence as Seq

        if isinstance(node, Scalar):
            locs = [node.loc]
        elif isinstance(node, Seq):
            locs = [item.loc for item in node.items if not (isinstance(item, Scalar) and item.is_null)]
        else:
            locs = []
        if len(locs) != len(texts):
            locs = [fallback] * len(texts)
        return list(zip(texts, locs, strict=True))


def _located(handout: m.Handout, places: Places) -> Iterator[tuple[str, str, Loc]]:
    """Every text a patient reads, in reading order, as (role, text, place of its own line).

    Roles: title, summary, heading, key-point, prose (paragraphs, list items, callouts,
    captions), column, cell, term and meaning (glossary).
    """
    for name in ("title", "subtitle", "audience"):
        if getattr(handout, name):
            yield "title", getattr(handout, name), handout.field_locs.get(name, handout.loc)
    summary_loc = handout.field_locs.get("summary", handout.loc)
    for text, loc in places.items(places.nodes.get(summary_loc), handout.summary, summary_loc):
        yield "summary", text, loc
    for section in handout.sections:
        yield "heading", section.heading, section.loc
        points = places.items(places.field(section.loc, "key_points"), section.key_points, section.loc)
        yield from (("key-point", text, loc) for text, loc in points)
        for block in section.body:
            yield from _block_texts(block, places)


def _block_texts(block: m.Block, places: Places) -> Iterator[tuple[str, str, Loc]]:
    value = places.values.get(block.loc)
    value_loc = value.loc if value is not None else block.loc

    def field(name: str) -> Any:
        return places.field(value_loc, name)

    def at(name: str) -> Loc:
        node = field(name)
        return node.loc if node is not None else block.loc

    if isinstance(block, m.Paragraph):
        yield "prose", block.text, block.loc
    elif isinstance(block, (m.Bullets, m.Steps, m.Questions)):
        yield from (("prose", text, loc) for text, loc in places.items(value, block.items, block.loc))
    elif isinstance(block, m.Callout):
        if block.title:
            yield "prose", block.title, at("title")
        if block.text:
            yield "prose", block.text, at("text")
        yield from (("prose", text, loc) for text, loc in places.items(field("bullets"), block.bullets, block.loc))
    elif isinstance(block, m.Table):
        yield from (("column", text, loc) for text, loc in places.items(field("columns"), block.columns, block.loc))
        rows = field("rows")
        row_nodes = getattr(rows, "items", [])
        for i, row in enumerate(block.rows):
            node = row_nodes[i] if len(row_nodes) == len(block.rows) else None
            yield from (("cell", text, loc) for text, loc in places.items(node, row, block.loc))
    elif isinstance(block, m.Glossary):
        entries = getattr(value, "items", [])
        for i, (term, meaning) in enumerate(block.entries):
            key, node = entries[i] if len(entries) == len(block.entries) else (None, None)
            yield "term", term, key.loc if key is not None else block.loc
            yield "meaning", meaning, node.loc if node is not None else block.loc
    elif isinstance(block, (m.Image, m.Qr)) and block.caption:
        yield "prose", block.caption, at("caption")


#: Roles whose text is read as sentences (titles, headings and table headers are labels).
SENTENCE_ROLES = frozenset({"summary", "key-point", "prose", "cell", "meaning"})
#: Roles where a hard word counts as used (a glossary term defines it instead).
USE_ROLES = frozenset({"title", "summary", "heading", "key-point", "prose", "column", "cell"})


def lengths(handout: m.Handout, places: Places) -> Iterator[Finding]:
    for role, text, loc in _located(handout, places):
        if role not in SENTENCE_ROLES:
            continue
        for long in pl.long_sentences(text, handout.language):
            yield Finding.at(loc, "warning", "long-sentence",
                             f"a sentence of {long.words} words: '{long.start}'",
                             f"split it: at most {pl.MAX_SENTENCE_WORDS} words a sentence, "
                             "15 to 20 on average, is easiest to follow")
    for section in handout.sections:
        for block in section.body:
            if isinstance(block, m.Paragraph):
                text, loc = block.text, block.loc
            elif isinstance(block, m.Callout) and block.text:
                value = places.values.get(block.loc)
                node = places.field(value.loc, "text") if value is not None else None
                text, loc = block.text, node.loc if node is not None else block.loc
            else:
                continue
            paragraph = pl.long_paragraph(text, handout.language)
            if paragraph:
                yield Finding.at(loc, "warning", "long-paragraph",
                                 f"a paragraph of {paragraph.words} words: '{paragraph.start}'",
                                 f"split it into paragraphs of at most {pl.MAX_PARAGRAPH_WORDS} words, "
                                 "or turn it into a list")


def jargon(handout: m.Handout, places: Places) -> Iterator[Finding]:
    words = pl.jargon_for(handout.language)
    if words is None:
        return
    defined = pl.defined_concepts(handout, words)
    reported: set[int] = set()
    for role, text, loc in _located(handout, places):
        if role not in USE_ROLES:
            continue
        for concept, written in words.find(pl.reader_text(text)):
            if concept in defined or concept in reported:
                continue
            reported.add(concept)
            headword = words.headword(concept)
            everyday = words.everyday(concept)
            yield Finding.at(loc, "warning", "jargon",
                             f"'{written}' is a medical word many patients do not know, and no glossary explains it",
                             f"add '{headword[0].upper() + headword[1:]}: what it means' to a glossary block, "
                             "or say it in everyday words" + (f": {everyday}" if everyday else ""))


# -- governance --------------------------------------------------------------------------
def governance(handout: m.Handout, today: dt.date) -> Iterator[Finding]:
    from .starter import REVIEW_AFTER_YEARS, years_later

    review_by = years_later(today, REVIEW_AFTER_YEARS)
    hints = {
        "reference": "add a line 'reference: ...' with the code your clinic files this leaflet under",
        "version": "add a line 'version: \"1.0\"' and raise it with every change",
        "published": f"add a line 'published: {today.isoformat()}' with the date this version was approved",
        "review_by": f"add a line 'review_by: {review_by.isoformat()}': when it must be checked again "
                     "(often 2 or 3 years after publishing)",
    }
    for name in GOVERNANCE_FIELDS:
        if not getattr(handout, name):
            yield Finding.at(handout.field_locs.get(name, handout.loc), "warning", "missing-field",
                             f"the handout has no '{name}'", hints[name])
    due = handout.review_by
    if due is not None:
        loc = handout.field_locs.get("review_by", handout.loc)
        days = (due - today).days
        if days < 0:
            yield Finding.at(loc, "warning", "review-date",
                             f"the review date {due.isoformat()} has passed "
                             f"({-days} day{'s' if days != -1 else ''} ago)",
                             "check that everything is still right, then set a new review_by date "
                             "(and a new version and published date if anything changed)")
        elif days <= REVIEW_SOON_DAYS:
            yield Finding.at(loc, "info", "review-date",
                             f"the handout is due for review on {due.isoformat()}, "
                             f"in {days} day{'s' if days != 1 else ''}",
                             "plan the review now so the handout stays in date")
    if not handout.sources:
        yield Finding.at(handout.field_locs.get("sources", handout.loc), "warning", "sources",
                         "the handout names no sources",
                         "add a 'sources:' list: the guidelines and references its information comes from")


# -- accessibility -------------------------------------------------------------------------
def images(handout: m.Handout, theme: Theme) -> Iterator[Finding]:
    """Alt text that is only a file name, and pictures too small for their place on the booklet page."""
    from .compose import MIN_PRINT_DPI
    from .compose_booklet import Page
    from .images import probe

    _, _, frame_width, frame_height = Page.of(theme).frame
    for section in handout.sections:
        for block in section.body:
            if not isinstance(block, m.Image):
                continue
            if _is_file_name(block.alt, block.src):
                yield Finding.at(block.loc, "warning", "alt-text",
                                 f"the alt text of '{block.src}' is just its file name",
                                 "describe what the picture shows for someone who cannot see it, "
                                 "in a sentence or two")
            info = probe(block.path)
            if info.kind == "svg":
                continue  # drawn as lines and text: sharp at any size
            # Placed as compose places it: a share of the text width, no taller than 80% of the frame.
            width = frame_width * block.width
            if width * info.height_px / info.width_px > frame_height * 0.8:
                width = frame_height * 0.8 * info.width_px / info.height_px
            dpi = info.width_px / (width / 72)
            if dpi < MIN_PRINT_DPI:
                shown = min(width, info.width_px / MIN_PRINT_DPI * 72)
                yield Finding.at(
                    block.loc, "warning", "image-resolution",
                    f"the image '{block.src}' is {info.width_px} x {info.height_px} pixels: at {block.width:.0%} "
                    f"of the text width ({_mm(width)}) it would print at {dpi:.0f} dpi, below {MIN_PRINT_DPI}; "
                    f"it is printed {_mm(shown)} wide instead, so it stays sharp",
                    f"use a version at least {math.ceil(width / 72 * MIN_PRINT_DPI)} pixels wide, "
                    "or give it a smaller width")


def _mm(points: float) -> str:
    return f"{points / 72 * 25.4:.0f} mm"


def _is_file_name(alt: str, src: str) -> bool:
    said = " ".join(alt.lower().split())
    name = Path(src).name.lower()
    stem = Path(src).stem.lower()
    return bool(_IMAGE_FILE.match(said)) or said in {src.lower(), name, stem, re.sub(r"[-_.]+", " ", stem).strip()}


def clinic_colours(clinic: m.Clinic, path: Path) -> Iterator[Finding]:
    """Clinic colours used for text that do not reach WCAG AA contrast on white paper."""
    locs = _colour_locs(path)
    for role in TEXT_COLOUR_ROLES:
        color = getattr(clinic.colors, role)
        ratio = contrast(color, PAPER)
        if ratio >= MIN_TEXT_CONTRAST:
            continue
        shade = readable_shade(color, PAPER)
        yield Finding.at(
            locs.get(role, clinic.field_locs.get("colors", clinic.loc)), "warning", "colour-contrast",
            f"the {role} colour {color} has a contrast of {ratio:.1f}:1 against white paper; "
            f"text needs at least {MIN_TEXT_CONTRAST:g}:1 (WCAG AA)",
            f"use {shade} (or darker) for {role}; until then headings are printed in {shade} "
            f"and {color} is kept for bands and lines")


def _colour_locs(path: Path) -> dict[str, Loc]:
    from .source import Mapping, load

    root = load(path)
    colors = next((v for k, v in root.items if k.text == "colors"), None) if isinstance(root, Mapping) else None
    if not isinstance(colors, Mapping):
        return {}
    return {key.text: value.loc for key, value in colors.items}


# -- printing ----------------------------------------------------------------------------------
#: What `check` lays out for real (no file is written), and the rule its refusals are reported under:
#: after `check` reports no error, `build`, `build --large-print`, `summary` and `summary --large-print` succeed.
BUILDS = (("summary", "summary-fit"), ("large-print-summary", "summary-fit"), ("large-print", "print-fit"),
          ("booklet", "print-fit"))


def builds(handout: m.Handout, clinic: m.Clinic, paper: str = "a4") -> Iterator[Finding]:
    """Each variant laid out as `build` and `summary` lay it out (untagged; nothing is written): what they
    would refuse is an error with their message and line, what they would warn about a warning."""
    from .api import prepare, render_prepared

    # A placeholder's value is not known yet: its name stands in for it (about as long as a value).
    values = {name: name.replace("_", " ") for name in handout.placeholders}
    for variant, rule in BUILDS:
        try:
            result = render_prepared(prepare(handout, clinic, variant, paper), values, tags=False)
        except BookletError as exc:
            for p in exc.problems:
                yield Finding.at(p.loc, "error", rule, p.message, p.hint)
            continue
        for w in result.warnings:
            yield Finding.at(w.loc, "warning", "build", w.message, w.hint)


def placeholders(handout: m.Handout) -> Iterator[Finding]:
    for name, loc in handout.placeholders.items():
        yield Finding.at(loc, "info", "placeholder",
                         f"{{{{ {name} }}}} is filled in only when the handout is built",
                         f"give it a value: --set {name}=... with build or summary, or a '{name}' column "
                         "in a batch --data file")


# -- reports --------------------------------------------------------------------------------
def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        out[f.severity] += 1
    return out


def as_json(findings: Sequence[Finding]) -> dict[str, Any]:
    """The documented JSON shape (see the module docstring)."""
    return {"version": JSON_VERSION, "findings": [f.to_json() for f in findings], "summary": counts(findings)}


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps(as_json(findings), ensure_ascii=False, indent=2)


def render_text(findings: Sequence[Finding], handouts: int) -> str:
    """One `path:line:col: severity: message [rule]` entry per finding, then a count line."""
    n = counts(findings)
    handouts -= sum(f.rule == SKIPPED for f in findings)  # the clinic profile among the content files
    checked = f"checked {handouts} handout{'s' if handouts != 1 else ''}"
    if not findings:
        return f"{checked}: nothing to report"
    tally = ", ".join(f"{n[s]} {s}{'s' if n[s] != 1 and s != 'info' else ''}" for s in SEVERITIES)
    return "\n".join([*(str(f) for f in findings), f"{checked}: {tally}"])
