"""The handout and clinic as plain data: what validation produces and layout consumes.

No ReportLab here. Text fields hold the author's text with its `**bold**`,
`*italic*` and `{{ placeholder }}` marks still in it; `booklet.text` turns them
into safe paragraph markup at compose time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Loc


@dataclass(frozen=True)
class Paragraph:
    text: str
    loc: Loc


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class Steps:
    items: tuple[str, ...]
    loc: Loc


CALLOUT_KINDS = ("info", "tip", "warning", "urgent")


@dataclass(frozen=True)
class Callout:
    kind: str
    title: str
    text: str
    bullets: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    loc: Loc


@dataclass(frozen=True)
class Image:
    src: str
    path: Path
    alt: str
    caption: str
    width: float  # fraction of the text width, 0 < width <= 1
    loc: Loc


@dataclass(frozen=True)
class Questions:
    items: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class Notes:
    lines: int
    loc: Loc


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[str, str], ...]
    loc: Loc


@dataclass(frozen=True)
class Qr:
    url: str
    caption: str
    loc: Loc


@dataclass(frozen=True)
class PageBreak:
    loc: Loc


Block = Paragraph | Bullets | Steps | Callout | Table | Image | Questions | Notes | Glossary | Qr | PageBreak


@dataclass(frozen=True)
class Section:
    heading: str
    key_points: tuple[str, ...]
    body: tuple[Block, ...]
    loc: Loc


@dataclass(frozen=True)
class Handout:
    path: Path
    title: str
    subtitle: str
    reference: str
    version: str
    language: str
    published: dt.date | None
    review_by: dt.date | None
    audience: str
    authors: tuple[str, ...]
    sources: tuple[str, ...]
    summary: tuple[str, ...]
    sections: tuple[Section, ...]
    loc: Loc
    #: Every `{{ name }}` used, with where it is first used.
    placeholders: dict[str, Loc] = field(default_factory=dict)
    #: Where each top-level field was written, for checks that point at it.
    field_locs: dict[str, Loc] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Colors:
    primary: str
    accent: str


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path
    italic: Path | None = None
    bold_italic: Path | None = None


#: Clinic texts that may be given per language (`urgent: {en: "...", es: "..."}`) as well as plainly.
TRANSLATABLE_CLINIC_TEXTS = ("address", "hours", "urgent", "alternative_formats")


@dataclass(frozen=True)
class Clinic:
    """A clinic profile. Each text field holds the text in the clinic's `language`; the pipeline swaps in
    the handout's language from `translations` once (validate.clinic_for_language), so layout code only
    ever sees plain strings."""

    name: str
    logo: Path | None
    logo_alt: str
    colors: Colors
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    hours: str = ""
    urgent: str = ""
    alternative_formats: str = ""
    fonts: FontFiles | None = None
    path: Path | None = None
    loc: Loc = Loc("<built-in clinic>")  # noqa: RUF009 - Loc is frozen: one shared value is safe
    field_locs: dict[str, Loc] = field(default_factory=dict)
    #: The language (BCP 47 tag) of the plain texts, and of the text printed when a handout's has none.
    language: str = "en"
    #: Texts given per language: field name -> {lower-case language tag: text}, in the order written.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
