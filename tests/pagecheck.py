"""Page-quality checker for booklet PDFs: measures a printed page the way a reader or printer sees it.

Everything is measured from the PDF (pdfplumber character positions, sizes and font names,
and the boxes of drawn graphics), never from booklet's layout objects. Optional knowledge
from the handout's YAML (``Knowledge.load(content, clinic)``) tells the checker *what* to look
for: the section headings' texts, the callouts' items, the URLs, e-mails and phone numbers,
the handout's title and language, and which variant was built.

Use from a test::

    from pagecheck import Knowledge, check
    findings = check(pdf_path, Knowledge.load(content, clinic, large_print=False))

or from the command line on any PDF (exit 1 when there are findings)::

    python tests/pagecheck.py FILE.pdf [--content X.yaml --clinic C.yaml] [--large-print]

Terms used below
----------------
*line*: the characters sharing one baseline (within 0.3 pt), sorted by x.
*segment*: a run of a line without a horizontal gap wider than 0.4 x the font size between two
characters (a word space is a drawn space character, so running text is one segment; a table's
cells, a footer's left and right parts and a list's marker and text are separate segments).
*same column*: two segments whose x-ranges overlap.
*body size*: the most common character size on the inner pages.
*heading line*: a bold line at least 1.3 x the body size (section headings, "Contents", "Notes");
*subheading*: a bold line between body size + 0.5 pt and that (box and callout titles).
*footer*: on an inner page, the line in the bottom 15% of the page that ends with the page number.
*text area*: from the highest first line to the lowest text of any inner page (the fullest page).
*inner page*: every page but the first (cover) and the last (back page).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

MM = 72 / 25.4
EDGE = 5 * MM  # no character within 5 mm of the page edge
BASELINE_TOLERANCE = 0.3  # pt: characters this close in baseline share a line
SEGMENT_GAP = 0.4  # x font size: a wider gap without a space character starts a new segment
CROWDED = 1.1  # baselines closer than this x the larger size are drawn into each other
HEADING_RATIO = 1.3  # a heading line is bold and at least this x the body size
BOOKLET_MIN = 9.0  # booklet: nothing under 9 pt (footers, captions, text inside figures)
LARGE_PRINT_MIN = 16.0  # large print: every glyph at least 16 pt
CALLOUT_MAX_ITEMS = 10  # urgent and warning callouts of up to this many items stay whole
SMALL_BLOCK = 4  # lists of up to 4 items and tables of up to 4 rows are never split
HYPHENS = "-\u00ad\u2010"
ITEM_MARKER = re.compile(r"^\s*(?:[\u2022\u25aa\u25e6\u2023\u2013]|\d{1,3}\.)")  # bullets, en dash, "12."
_SQUASH = re.compile(r"[\s\-\u00ad\u2010\u2011]+")


def squash(text: str) -> str:
    """Text for matching: NFKC, without whitespace or hyphens (line breaks and hyphenation vary)."""
    return _SQUASH.sub("", unicodedata.normalize("NFKC", text))


# -- what the PDF holds ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Char:
    text: str
    size: float
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float  # from the top of the page, like top and bottom
    bold: bool


@dataclass
class Segment:
    chars: list[Char]

    @cached_property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @cached_property
    def x0(self) -> float:
        return min(c.x0 for c in self.chars)

    @cached_property
    def x1(self) -> float:
        return max(c.x1 for c in self.chars)

    @cached_property
    def top(self) -> float:
        return min(c.top for c in self.chars)

    @cached_property
    def bottom(self) -> float:
        return max(c.bottom for c in self.chars)

    @cached_property
    def baseline(self) -> float:
        return self.chars[0].baseline

    @cached_property
    def size(self) -> float:
        return max(c.size for c in self.chars)

    @cached_property
    def bold(self) -> bool:
        inked = [c for c in self.chars if not c.text.isspace()]
        return bool(inked) and sum(c.bold for c in inked) * 2 > len(inked)

    @cached_property
    def squashed(self) -> str:
        return squash(self.text).lower()

    def overlaps(self, other: Segment) -> bool:
        return self.x0 < other.x1 - 0.5 and other.x0 < self.x1 - 0.5


@dataclass
class Line:
    segments: list[Segment]

    @property
    def chars(self) -> list[Char]:
        return [c for s in self.segments for c in s.chars]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments)

    @property
    def baseline(self) -> float:
        return self.segments[0].baseline

    @property
    def size(self) -> float:
        return max(s.size for s in self.segments)

    @property
    def top(self) -> float:
        return min(s.top for s in self.segments)

    @property
    def bottom(self) -> float:
        return max(s.bottom for s in self.segments)

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def bold(self) -> bool:
        inked = [c for c in self.chars if not c.text.isspace()]
        return bool(inked) and sum(c.bold for c in inked) * 2 > len(inked)


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    lines: list[Line]  # every line, top to bottom
    graphics: list[tuple[float, float, float, float]]  # (x0, top, x1, bottom) of rects, lines, curves, images
    footer: list[Line] = field(default_factory=list)

    # Cached: read() sets `footer` before anything asks for these.
    @cached_property
    def body(self) -> list[Line]:
        return [ln for ln in self.lines if not any(ln is f for f in self.footer)]

    @cached_property
    def segments(self) -> list[Segment]:
        return [s for ln in self.body for s in ln.segments]

    @cached_property
    def squashed(self) -> str:
        return squash(self.text()).lower()

    def text(self) -> str:
        return "\n".join(ln.text for ln in self.body)


@dataclass
class Document:
    path: Path
    pages: list[Page]
    body_size: float
    heading_size: float
    #: index of the first page of the back matter: the trailing pages without a footer (at least the last page)
    back_start: int = 0
    next_cache: dict[int, tuple[Page, Segment] | None] = field(default_factory=dict, repr=False)

    def inner(self) -> list[Page]:
        """Pages between the cover and the back matter."""
        return self.pages[1:self.back_start]

    def is_heading(self, line: Line) -> bool:
        return line.bold and line.size >= self.heading_size - 0.05

    def is_subheading(self, line: Line) -> bool:
        return line.bold and self.body_size + 0.5 <= line.size < self.heading_size - 0.05


def _lines_of(chars: list[Char]) -> list[Line]:
    chars = sorted(chars, key=lambda c: (c.baseline, c.x0))
    groups: list[list[Char]] = []
    for ch in chars:
        if groups and abs(ch.baseline - groups[-1][0].baseline) <= BASELINE_TOLERANCE:
            groups[-1].append(ch)
        else:
            groups.append([ch])
    lines = []
    for group in groups:
        group.sort(key=lambda c: c.x0)
        segments = [Segment([group[0]])]
        for ch in group[1:]:
            prev = segments[-1].chars[-1]
            if ch.x0 - prev.x1 > SEGMENT_GAP * max(ch.size, prev.size) and not prev.text.isspace():
                segments.append(Segment([ch]))
            else:
                segments[-1].chars.append(ch)
        segments = [s for s in segments if s.text.strip()]
        if segments:
            lines.append(Line(segments))
    return lines


def read(path: Path | str) -> Document:
    """The PDF's pages as lines of characters and graphic boxes (pdfplumber)."""
    import pdfplumber

    pages = []
    with pdfplumber.open(str(path)) as pdf:
        for p in pdf.pages:
            height = float(p.height)
            chars = [Char(c["text"], round(float(c["size"]), 2), float(c["x0"]), float(c["x1"]), float(c["top"]),
                          float(c["bottom"]), round(height - float(c["matrix"][5]), 2),
                          "bold" in str(c["fontname"]).lower())
                     for c in p.chars if c.get("upright", True)]
            graphics = [(float(o["x0"]), float(o["top"]), float(o["x1"]), float(o["bottom"]))
                        for kind in ("rects", "lines", "curves", "images") for o in getattr(p, kind)]
            pages.append(Page(p.page_number, float(p.width), height, _lines_of(chars), graphics))
    for page in pages[1:-1]:
        page.footer = _footer(page)
    back = len(pages) - 1
    while back > 1 and not pages[back - 1].footer:
        back -= 1
    sizes: Counter[float] = Counter()
    for page in pages[1:-1] or pages:
        for line in page.body:
            for ch in line.chars:
                if not ch.text.isspace():
                    sizes[ch.size] += 1
    body = sizes.most_common(1)[0][0] if sizes else 12.0
    big_bold = [ln.size for pg in pages[1:-1] for ln in pg.body if ln.bold and ln.size >= body * HEADING_RATIO]
    return Document(Path(path), pages, body, min(big_bold) if big_bold else body * 1.5, max(back, 1))


def _footer(page: Page) -> list[Line]:
    """The footer line (ends with the page number, bottom 15%) and footer-sized lines just above it."""
    number = re.compile(rf"(?<!\d){page.number}\s*$")
    found = [ln for ln in page.lines if ln.top > page.height * 0.85 and number.search(ln.text)]
    if not found:
        return []
    foot = found[-1]
    out = [foot]
    for line in reversed(page.lines):  # a wrapped footer: same small size, right above
        if line.baseline < foot.baseline and out[-1].baseline - line.baseline <= 1.8 * line.size \
                and abs(line.size - foot.size) < 0.05 and line.top > page.height * 0.8:
            out.append(line)
    return out


# -- what the YAML tells us to look for ------------------------------------------------------------
@dataclass(frozen=True)
class Callout:
    kind: str
    title: str
    texts: tuple[str, ...]  # the text and the items, as printed


@dataclass(frozen=True)
class Knowledge:
    title: str = ""
    language: str = "en"
    headings: tuple[str, ...] = ()
    callouts: tuple[Callout, ...] = ()
    small_blocks: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, first texts of items or rows)
    urls: tuple[str, ...] = ()  # web and e-mail addresses
    phones: tuple[str, ...] = ()
    clinic_phone: str = ""
    texts: tuple[str, ...] = ()  # every printed text, for telling written hyphens from hyphenation
    words: dict[str, str] = field(default_factory=dict)  # the layout's own words in the language
    large_print: bool | None = None  # None: decide from the page size

    @classmethod
    def load(cls, content: Path, clinic: Path | None = None, *, large_print: bool | None = None) -> Knowledge:
        from booklet import model as m
        from booklet.api import load
        from booklet.text import plain
        from booklet.validate import clinic_texts, handout_texts

        handout, clin = load(Path(content), Path(clinic) if clinic else None)
        alts = {b.alt for s in handout.sections for b in s.body if isinstance(b, m.Image)}  # not printed
        texts = [plain(t) for t, _ in handout_texts(handout) if t and t not in alts]
        texts += [t for t, _ in clinic_texts(clin) if t]
        callouts, small = [], []
        for section in handout.sections:
            for block in section.body:
                if isinstance(block, m.Callout):
                    callouts.append(Callout(block.kind, plain(block.title),
                                            tuple(plain(t) for t in (block.text, *block.bullets) if t)))
                elif isinstance(block, (m.Bullets, m.Steps)) and len(block.items) <= SMALL_BLOCK:
                    small.append(("list", tuple(plain(t) for t in block.items)))
                elif isinstance(block, m.Table) and len(block.rows) <= SMALL_BLOCK:
                    small.append(("table", tuple(plain(r[0]) for r in block.rows)))
                elif isinstance(block, m.Qr):
                    texts.append(block.url)
        found = [a for t in texts for a in addresses(t)]
        urls = [a.rstrip(".") for a in found if "@" in a or "://" in a or a.startswith("www.")]
        phones = [a for a in found if a not in urls and not ("@" in a or "://" in a)]
        return cls(title=plain(handout.title), language=handout.language or "en",
                   headings=tuple(plain(s.heading) for s in handout.sections), callouts=tuple(callouts),
                   small_blocks=tuple(small), urls=tuple(dict.fromkeys(urls)), phones=tuple(dict.fromkeys(phones)),
                   clinic_phone=clin.phone, texts=tuple(texts), words=layout_words(handout.language or "en"),
                   large_print=large_print)


def layout_words(language: str) -> dict[str, str]:
    """The words booklet prints itself ("Notes", "Contents", "Page"), from layouts/strings.yaml."""
    import yaml

    path = Path(__file__).resolve().parent.parent / "layouts" / "strings.yaml"
    try:
        table = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        return {}
    return {**table.get("en", {}), **table.get(language.split("-")[0].lower(), {})}


#: Web and e-mail addresses and phone numbers in the content (the checker's own patterns, not booklet's).
_URL = r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'\u2019\u201d]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE = r"(?<![\w+])\+?(?:\(\d{1,5}\)|\d{1,5})(?:[ \u00a0-]\(?\d{1,5}\)?)+(?!\w)"
_ADDRESS = re.compile(f"{_URL}|{_EMAIL}|{_PHONE}")


def addresses(text: str) -> list[str]:
    """The web and e-mail addresses and phone numbers (6 digits or more, in groups) in a text."""
    out = []
    for m in _ADDRESS.finditer(text):
        token = m.group(0)
        if "@" in token or "://" in token or token.startswith("www.") or \
                (sum(ch.isdigit() for ch in token) >= 6 and " " in token.replace("\u00a0", " ")):
            out.append(token)
    return out


# -- findings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    page: int  # 1-based; 0 for the whole document
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"page {self.page}" if self.page else "document"
        return f"{where}: {self.rule}: {self.message}"


Rule = Callable[[Document, Knowledge], Iterable[Finding]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _is_large_print(doc: Document, k: Knowledge) -> bool:
    if k.large_print is not None:
        return k.large_print
    # A4/Letter pages with body text of 16 pt or more: large print (an A4 summary or imposed sheet is not)
    return bool(doc.pages) and doc.pages[0].width > 500 and doc.body_size >= LARGE_PRINT_MIN


def _next_in_column(doc: Document, page: Page, seg: Segment) -> tuple[Page, Segment] | None:
    """The segment below `seg` in its column (on this page, or the first of the next page's body)."""
    key = id(seg)
    if key not in doc.next_cache:
        doc.next_cache[key] = _find_next_in_column(doc, page, seg)
    return doc.next_cache[key]


def _find_next_in_column(doc: Document, page: Page, seg: Segment) -> tuple[Page, Segment] | None:
    below = [s for s in page.segments if s.baseline > seg.baseline + BASELINE_TOLERANCE and s.overlaps(seg)]
    if below:
        nxt = min(below, key=lambda s: (s.baseline, s.x0))
        # a new paragraph further down is not the continuation of this line
        return (page, nxt) if nxt.baseline - seg.baseline <= 2.2 * seg.size else None
    last = page.body[-1].baseline if page.body else seg.baseline
    if page.number < len(doc.pages) - 1 and seg.baseline >= last - 2.2 * seg.size:  # near the page's foot
        following = doc.pages[page.number]
        cands = [s for s in following.segments if s.overlaps(seg)]
        if cands:
            return following, min(cands, key=lambda s: (s.baseline, s.x0))
    return None


# 1. hyphenation
@rule("hyphenated-line-end")
def hyphenated_line_ends(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """A segment ends in a hyphen after a letter and the line below in its column starts with a lowercase
    letter: a word was cut. Not counted: the break falls at a hyphen the author wrote ("check-ups"),
    known when the content's texts contain head-tail."""
    written_pairs = {m.group(0).lower() for t in k.texts for m in re.finditer(r"\w+-\w+", t)}
    for page in doc.pages:
        for seg in page.segments:
            text = seg.text.rstrip()
            if len(text) < 2 or text[-1] not in HYPHENS or not text[-2].isalpha():
                continue
            nxt = _next_in_column(doc, page, seg)
            if nxt is None:
                continue
            tail = nxt[1].text.lstrip()
            if not tail or not tail[0].islower():
                continue
            head = re.findall(r"\w+$", text[:-1])
            word = re.findall(r"^\w+", tail)
            if head and word and text[-1] == "-" and f"{head[0]}-{word[0]}".lower() in written_pairs:
                continue  # broken at the author's own hyphen
            yield Finding(page.number, "hyphenated-line-end",
                          f"'{_short(text[-25:], 25)}' / '{_short(tail, 20)}' (word cut at the line end)")


# 2. addresses whole on one line
def _split_occurrences(doc: Document, needle: str) -> Iterable[tuple[Page, str]]:
    target = squash(needle).lower()
    for page in doc.pages:
        for seg in page.segments:
            chain, here, cur = [seg.squashed], page, seg
            for _ in range(2):
                nxt = _next_in_column(doc, here, cur)
                if nxt is None:
                    break
                here, cur = nxt
                chain.append(cur.squashed)
            first = chain[0]
            joined = "".join(chain)
            start = joined.find(target)
            while start != -1:
                if start < len(first) < start + len(target):
                    yield page, f"{seg.text.strip()[-30:]} / {chain[1][:30] if len(chain) > 1 else ''}"
                start = joined.find(target, start + 1)


def _whole_lines(doc: Document, needle: str) -> list[tuple[Page, Segment, int]]:
    out = []
    for page in doc.pages:
        for seg in page.segments:
            i = seg.text.replace("\u00a0", " ").find(needle.replace("\u00a0", " "))
            if i != -1:
                out.append((page, seg, i))
    return out


@rule("url-split")
def urls_whole(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """Every web and e-mail address of the content and clinic profile appears whole in one segment
    (one line of one column), and no printed occurrence is broken over lines."""
    for url in k.urls:
        seen = set()
        for page, where in _split_occurrences(doc, url):
            if (page.number, where) not in seen:
                seen.add((page.number, where))
                yield Finding(page.number, "url-split", f"{url} broken over lines: '{where}'")
        if not _whole_lines(doc, url) and not seen:
            yield Finding(0, "url-split", f"{url} does not appear whole on any line")


@rule("phone-split")
def phones_whole(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """Every phone number of the content and clinic profile is printed on one line."""
    for phone in k.phones:
        for page, where in _split_occurrences(doc, phone):
            yield Finding(page.number, "phone-split", f"{phone} broken over lines: '{where}'")


@rule("contact-size")
def contacts_at_body_size(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """URLs, e-mails and phone numbers print at body size or more."""
    for needle in (*k.urls, *k.phones):
        for page, seg, i in _whole_lines(doc, needle):
            chars = [c for c in seg.chars[i: i + len(needle)] if not c.text.isspace()]
            small = min((c.size for c in chars), default=doc.body_size)
            if small < doc.body_size - 0.05:
                yield Finding(page.number, "contact-size",
                              f"{needle} printed at {small:g} pt, under the body size {doc.body_size:g} pt")


# 3. headings
def _heading_blocks(doc: Document, page: Page, k: Knowledge, sub: bool = True) -> list[tuple[int, int]]:
    """(first, last) indexes into page.body of each heading (a heading may wrap over lines)."""
    body = page.body
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(body):
        line = body[i]
        kind = doc.is_heading(line) or (sub and doc.is_subheading(line))
        if not kind:
            i += 1
            continue
        j = i
        while j + 1 < len(body) and body[j + 1].size == line.size and body[j + 1].bold \
                and body[j + 1].baseline - body[j].baseline <= 1.6 * line.size:
            j += 1
        out.append((i, j))
        i = j + 1
    return out


def _content_graphics(page: Page) -> list[tuple[float, float, float, float]]:
    """Drawn boxes that are content: not page-wide bands, not the footer's rule (within 1 footer size of it)."""
    limit = min((f.top - f.size for f in page.footer), default=page.height)
    return [g for g in page.graphics if g[3] < limit and g[2] - g[0] < page.width * 0.9]


def _content_below(page: Page, y: float) -> bool:
    """Anything drawn below y that is not the footer (a picture, a box, writing lines)."""
    return any(y + 1 < g[1] for g in _content_graphics(page))


@rule("heading-at-page-foot")
def heading_last_line(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """A heading (or box title) with nothing after it on its page: the last text line before the footer."""
    for page in doc.pages[1:]:
        body = page.body
        for first, last in _heading_blocks(doc, page, k):
            if last == len(body) - 1 and not _content_below(page, body[last].bottom):
                yield Finding(page.number, "heading-at-page-foot",
                              f"'{_short(' '.join(body[n].text for n in range(first, last + 1)))}' is the last line")


@rule("heading-keep")
def heading_keeps_two_lines(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """A heading has at least two lines of text (or a picture) after it on its page."""
    for page in doc.pages[1:]:
        body = page.body
        for first, last in _heading_blocks(doc, page, k):
            after = len(body) - 1 - last
            if after == 0 or after >= 2:
                continue  # nothing after it is heading-at-page-foot's finding
            if _content_below(page, body[-1].bottom + 2):
                continue  # a picture or a box follows
            if page.number >= doc.back_start or _opens_section(doc, doc.pages[page.number], k):
                continue  # the section (or document) simply ends here
            yield Finding(page.number, "heading-keep",
                          f"'{_short(body[first].text)}' has only {after} line after it on the page")


#: The layout's own words that head a part of the document (with the YAML: a page opening with one opens a section).
PART_WORDS = ("contents", "at_a_glance", "notes", "sources", "contact", "questions_notes", "my_care_team",
              "my_appointments", "summary")


def _opens_section(doc: Document, page: Page, k: Knowledge | None = None) -> bool:
    """The page's first line is a section heading: bold at heading size, or (knowing the language) a bold
    heading whose text is one of the layout's part headings, such as "Where this information comes from"."""
    body = page.body
    if not body:
        return False
    if doc.is_heading(body[0]):
        return True
    if k is None or not doc.is_subheading(body[0]):
        return False
    first = squash(body[0].text).lower()
    return any(first == squash(k.words[w]).lower() for w in PART_WORDS if w in k.words)


# 4. page fill
def _is_notes_page(doc: Document, page: Page, k: Knowledge) -> bool:
    """A bare Notes page: one heading line (the language's "Notes" word when known) and writing lines."""
    body = page.body
    if len(body) != 1 or not doc.is_heading(body[0]):
        return False
    word = k.words.get("notes")
    return squash(body[0].text).lower() == squash(word).lower() if word else True


def _text_area(doc: Document) -> tuple[float, float]:
    tops = [pg.body[0].top for pg in doc.inner() if pg.body]
    bottoms = [pg.body[-1].bottom for pg in doc.inner() if pg.body]
    if not tops:
        return 0.0, 0.0
    return min(tops), max(bottoms)


@rule("underfilled-page")
def underfilled_pages(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """An inner page (not a Notes page) whose text and pictures end above the middle of the text area,
    when the next page does not open a section (its first line is not a heading)."""
    top, bottom = _text_area(doc)
    middle = (top + bottom) / 2
    for page in doc.inner():
        following = doc.pages[page.number]
        if _is_notes_page(doc, page, k) or page.number >= doc.back_start:
            continue  # the back matter always starts on its own page
        if _opens_section(doc, following, k):
            continue
        lowest = max([ln.bottom for ln in page.body] + [g[3] for g in _content_graphics(page)] + [0.0])
        if lowest < middle:
            fill = (lowest - top) / (bottom - top) if bottom > top else 0
            yield Finding(page.number, "underfilled-page",
                          f"filled {fill:.0%} of the text area; page {following.number} starts with "
                          f"'{_short(following.body[0].text if following.body else '', 40)}'")


# 5. callouts and small blocks whole
def _find_on_pages(doc: Document, text: str, start_page: int = 1) -> list[tuple[int, int]]:
    """(page index, position in the page's squashed text) of each occurrence of text."""
    target = squash(text).lower()
    out = []
    for idx in range(start_page, len(doc.pages)):
        hay = doc.pages[idx].squashed
        pos = hay.find(target)
        while pos != -1:
            out.append((idx, pos))
            pos = hay.find(target, pos + 1)
    return out


def _find_title(doc: Document, k: Knowledge, title: str) -> list[tuple[int, int]]:
    """(page index, position in the page's squashed text) of each bold heading or box title that is `title`."""
    target = squash(title).lower()
    out = []
    for idx, page in enumerate(doc.pages[1:], 1):
        hay = page.squashed
        for first, last in _heading_blocks(doc, page, k):
            block = squash("".join(page.body[n].text for n in range(first, last + 1))).lower()
            if target and target in block:
                start = hay.find(squash(page.body[first].text).lower())
                pos = hay.find(target, max(start, 0))
                if pos != -1:
                    out.append((idx, pos))
    return out


@rule("callout-split")
def callouts_whole(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """An urgent or warning callout of up to 10 items prints whole on one page: its title, text and items."""
    for callout in k.callouts:
        if callout.kind not in ("urgent", "warning") or len(callout.texts) > CALLOUT_MAX_ITEMS + 1:
            continue
        places = _find_title(doc, k, callout.title) or _find_on_pages(doc, callout.title)
        if not places:
            yield Finding(0, "callout-split", f"callout '{_short(callout.title)}' not found in the text")
            continue
        idx, pos = places[0]
        hay = doc.pages[idx].squashed
        missing = [t for t in callout.texts if squash(t).lower() not in hay[pos:]]
        if missing:
            yield Finding(idx + 1, "callout-split",
                          f"{callout.kind} callout '{_short(callout.title, 40)}' split: "
                          f"'{_short(missing[0], 40)}' is not on its page")


@rule("small-block-split")
def small_blocks_whole(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """Lists of up to 4 items and tables of up to 4 rows are never split across pages."""
    for kind, items in k.small_blocks:
        keys = [squash(t).lower()[:40] for t in items if squash(t)]
        if not keys:
            continue
        pages_of = [{i for i, _ in _find_on_pages(doc, key, 1)} for key in keys]
        if any(not p for p in pages_of):
            continue  # not found (stacked table, repeated text): nothing measured
        common = set.intersection(*pages_of)
        if not common:
            first = min(pages_of[0]) + 1
            yield Finding(first, "small-block-split",
                          f"{kind} of {len(items)} starting '{_short(items[0], 40)}' is split across pages")


# 6. notes pages, back page, page count, contents
@rule("notes-pages")
def notes_pages(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """At most one bare Notes page."""
    notes = [pg.number for pg in doc.inner() if _is_notes_page(doc, pg, k)]
    if len(notes) > 1:
        yield Finding(notes[1], "notes-pages", f"{len(notes)} bare Notes pages: {notes}")


@rule("last-page-phone")
def last_page_phone(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """The last page holds the clinic's phone number."""
    if not k.clinic_phone or not doc.pages:
        return
    digits = re.sub(r"\D", "", k.clinic_phone)
    last = doc.pages[-1]
    if digits not in re.sub(r"\D", "", last.text()):
        yield Finding(last.number, "last-page-phone", f"the clinic's phone {k.clinic_phone} is not on the last page")


@rule("page-count")
def page_count(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """A booklet has a multiple of 4 pages and no 4 pages it could lose (bare Notes or empty pages)."""
    if _is_large_print(doc, k) or not doc.pages or doc.pages[0].width > 500:
        return  # only folded booklets (A5, half-letter pages) come in sheets of 4 pages
    n = len(doc.pages)
    if n % 4:
        yield Finding(0, "page-count", f"{n} pages, not a multiple of 4")
    filler = [pg.number for pg in doc.pages[1:-1] if not pg.lines or _is_notes_page(doc, pg, k)]
    filler += [f.page for f in needless_contents(doc, k)]
    if len(filler) >= 4:
        yield Finding(0, "page-count", f"{n} pages of which {len(filler)} are empty, bare Notes or needless contents "
                                       f"pages {sorted(filler)}: {n - 4} would hold the content")


@rule("contents-page")
def needless_contents(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """No contents page when every section it lists starts within the next two pages."""
    word = squash(k.words.get("contents", "Contents")).lower()
    for page in doc.pages[1:3]:
        body = page.body
        if not body or squash(body[0].text).lower() != word:
            continue
        # the entries' page numbers: digit-only segments right of the entry texts (often on their own baseline)
        numbers = [int(s.text.strip()) for ln in body[1:] for s in ln.segments
                   if s.text.strip().isdigit() and s.x0 > page.width / 2]
        if numbers and max(numbers) <= page.number + 2:
            yield Finding(page.number, "contents-page",
                          f"every section starts by page {max(numbers)}, within two pages of the contents")


# 7. list items alone at a page's top or foot
def _items(page: Page) -> list[tuple[int, float]]:
    """(index in body, marker x) of each list item start (a bullet or 'N.' at the start of a line)."""
    return [(i, ln.x0) for i, ln in enumerate(page.body) if ITEM_MARKER.match(ln.segments[0].text)]


def _item_end(page: Page, start: int, x: float) -> int:
    """Index of the last line of the item starting at `start` (its lines are indented past the marker)."""
    body = page.body
    end = start
    while end + 1 < len(body) and not ITEM_MARKER.match(body[end + 1].segments[0].text) \
            and body[end + 1].x0 > x + 1 and body[end + 1].baseline - body[end].baseline <= 1.6 * body[end].size:
        end += 1
    return end


@rule("lonely-item")
def lonely_items(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """No single step or bullet alone at the foot of a page (its list going on overleaf) or alone at the
    top of a page (its list begun on the page before)."""
    for prev, page in itertools.pairwise(doc.inner()):
        a, b = _items(prev), _items(page)
        if not a or not b or not prev.body or not page.body:
            continue
        last_start, x = a[-1]
        continues = b[0][0] == 0 and abs(b[0][1] - x) < 1 and _item_end(prev, last_start, x) == len(prev.body) - 1
        if not continues:
            continue
        foot_alone = len(a) == 1 or a[-2][0] != last_start - 1 - (_item_end(prev, a[-2][0], x) - a[-2][0]) \
            or abs(a[-2][1] - x) > 1
        if foot_alone:
            yield Finding(prev.number, "lonely-item",
                          f"'{_short(prev.body[last_start].text, 40)}' alone at the foot; its list goes on overleaf")
        end = _item_end(page, 0, x)
        top_alone = len(b) == 1 or b[1][0] != end + 1 or abs(b[1][1] - x) > 1
        if top_alone:
            yield Finding(page.number, "lonely-item",
                          f"'{_short(page.body[0].text, 40)}' alone at the top; its list began overleaf")


@rule("lead-in-at-page-foot")
def lead_in_at_foot(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """A sentence that introduces what follows ("The main types are:") is not the last line of a page, parted
    from its list or table overleaf. Not among the issue's criteria: reported apart by the tests."""
    for page in doc.inner():
        body = page.body
        if body and body[-1].text.rstrip().endswith(":") and not _content_below(page, body[-1].bottom):
            yield Finding(page.number, "lead-in-at-page-foot",
                          f"'{_short(body[-1].text[-50:], 50)}' ends the page; what it introduces is overleaf")


# 8. drawing: crowding, overlaps, sizes, edges, footers
@rule("crowded-lines")
def crowded(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """Two segments in the same column (x-ranges overlapping) with baselines closer than 1.1 x the larger font
    size, where either the gap is under 1.1 x the lower line's size or their glyph boxes touch."""
    for page in doc.pages:
        segs = sorted((s for ln in page.lines for s in ln.segments), key=lambda s: s.baseline)
        for i, a in enumerate(segs):
            for b in segs[i + 1:]:
                gap = b.baseline - a.baseline
                if gap >= CROWDED * max(a.size, b.size):
                    break
                # Leading belongs to the lower line: a 15 pt subtitle 25 pt under a 26 pt title is not crowded
                # unless their glyph boxes (ascent to descent) touch. Equal sizes: 1.1 x the size, as the issue says.
                if gap > BASELINE_TOLERANCE and a.overlaps(b) and (gap < CROWDED * b.size or a.bottom > b.top):
                    yield Finding(page.number, "crowded-lines",
                                  f"'{_short(a.text, 30)}' ({a.size:g} pt) and '{_short(b.text, 30)}' "
                                  f"({b.size:g} pt): baselines {gap:.1f} pt apart")


@rule("overlapping-glyphs")
def overlapping_glyphs(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """On one baseline, a glyph drawn over the next (a step number "10." over its text, say), or a
    step number at a line's start touching its text (a gap under 0.15 x the size: no visible space)."""
    for page in doc.pages:
        for line in page.lines:
            inked = [c for c in line.chars if not c.text.isspace() and unicodedata.category(c.text[0]) != "Mn"]
            inked.sort(key=lambda c: c.x0)
            for a, b in itertools.pairwise(inked):
                width = min(a.x1 - a.x0, b.x1 - b.x0)
                if width > 0 and a.x1 - b.x0 > 0.3 * width:
                    yield Finding(page.number, "overlapping-glyphs",
                                  f"'{a.text}' and '{b.text}' drawn over each other in '{_short(line.text, 40)}'")
                    break
            number = re.match(r"\d{1,3}\.", "".join(c.text for c in inked[:4]))
            if number and len(inked) > len(number.group(0)):
                dot, nxt = inked[len(number.group(0)) - 1], inked[len(number.group(0))]
                if nxt.x0 - dot.x1 < 0.15 * line.size:
                    yield Finding(page.number, "overlapping-glyphs",
                                  f"step number touches its text ({nxt.x0 - dot.x1:.1f} pt apart) in "
                                  f"'{_short(line.text, 40)}'")


@rule("tiny-text")
def tiny_text(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """No glyph under the variant's minimum: 9 pt in a booklet (footers, captions, text in figures),
    16 pt in large print."""
    floor = LARGE_PRINT_MIN if _is_large_print(doc, k) else BOOKLET_MIN
    for page in doc.pages:
        small = [(ln, c) for ln in page.lines for c in ln.chars if not c.text.isspace() and c.size < floor - 0.05]
        if small:
            sizes = sorted({c.size for _, c in small})
            lines = list(dict.fromkeys(_short(ln.text, 30) for ln, _ in small))
            yield Finding(page.number, "tiny-text",
                          f"{len(small)} characters under {floor:g} pt ({', '.join(f'{s:g}' for s in sizes)} pt): "
                          + "; ".join(f"'{t}'" for t in lines[:3]))


@rule("near-edge")
def near_edge(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """No character within 5 mm of the page edge (a printer's trim and grip)."""
    for page in doc.pages:
        for line in page.lines:
            bad = [c for c in line.chars if not c.text.isspace() and
                   (c.x0 < EDGE or c.x1 > page.width - EDGE or c.top < EDGE or c.bottom > page.height - EDGE)]
            if bad:
                c = bad[0]
                dist = min(c.x0, page.width - c.x1, c.top, page.height - c.bottom) / MM
                yield Finding(page.number, "near-edge", f"'{_short(line.text, 40)}' {dist:.1f} mm from the edge")


@rule("footer")
def footers(doc: Document, k: Knowledge) -> Iterable[Finding]:
    """An inner page's footer is one line: the page number on the same baseline as the title."""
    title = squash(k.title).lower()[:15]
    for page in doc.inner():
        if _is_blank(page):
            continue
        if not page.footer:
            yield Finding(page.number, "footer", "no footer line ending with the page number")
            continue
        if len(page.footer) > 1:
            yield Finding(page.number, "footer", f"footer wraps over {len(page.footer)} lines: "
                          + " / ".join(f"'{_short(f.text, 30)}'" for f in reversed(page.footer)))
        elif title and title not in squash(page.footer[0].text).lower():
            yield Finding(page.number, "footer",
                          f"the title is not on the page number's line '{_short(page.footer[0].text)}'")


def _is_blank(page: Page) -> bool:
    return not page.lines


# -- running ----------------------------------------------------------------------------------------
def check(pdf: Path | str | Document, knowledge: Knowledge | None = None,
          rules: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the chosen rules (default: all) on the PDF."""
    doc = pdf if isinstance(pdf, Document) else read(pdf)
    k = knowledge or Knowledge()
    out: list[Finding] = []
    for name in rules or RULES:
        out.extend(RULES[name](doc, k))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a booklet PDF's pages for print quality.")
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--content", type=Path, help="the handout YAML the PDF was built from")
    parser.add_argument("--clinic", type=Path, help="the clinic profile it was built with")
    parser.add_argument("--large-print", action="store_true", default=None,
                        help="large print (default: decided from the page size)")
    parser.add_argument("--rule", action="append", choices=sorted(RULES), help="only this rule (repeatable)")
    args = parser.parse_args(argv)
    if args.content:
        knowledge = Knowledge.load(args.content, args.clinic, large_print=args.large_print)
    else:
        knowledge = Knowledge(large_print=args.large_print, words=layout_words("en"))
    findings = check(args.pdf, knowledge, args.rule)
    for finding in findings:
        print(finding)  # noqa: T201
    print(f"{len(findings)} finding(s) in {args.pdf}", file=sys.stderr)  # noqa: T201
    return 1 if findings else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
