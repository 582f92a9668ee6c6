"""Turns YAML nodes into the handout and clinic model, collecting every problem first."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from . import model as m
from .errors import BookletError, Loc, Problem, Problems
from .source import Mapping, Node, Scalar, Sequence, kind_of, load, read_text
from .text import Unbalanced, unbalanced

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PLACEHOLDER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}\Z")
#: `primary: #0B6E4F` unquoted: YAML reads the colour as a comment and the key as empty.
COLOR_COMMENT = re.compile(r"\s*:\s+(#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3}))(?![\w])")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")
#: A QR code beyond this many characters gets too dense to scan from paper.
MAX_QR_CHARS = 400
MAX_NOTE_LINES = 60
#: Pointing inside a value looks this many lines past its start at most (a long block of text).
MAX_VALUE_LINES = 500
#: A leaflet reference is a short code (ONC-014) printed in every page footer beside the title.
MAX_REFERENCE_CHARS = 40

TEXT, LIST, MAP, DATE, ANY = "text", "list", "map", "date", "any"
#: Text, or a mapping of language tag to text (`urgent: {en: "...", es: "..."}`).
LOCALIZED = "localized"

HANDOUT_FIELDS = {
    "title": (TEXT, True), "subtitle": (TEXT, False), "reference": (TEXT, False),
    "version": (TEXT, False), "language": (TEXT, False), "published": (DATE, False),
    "review_by": (DATE, False), "audience": (TEXT, False), "authors": (LIST, False),
    "sources": (LIST, False), "summary": (LIST, False), "sections": (LIST, True),
}
SECTION_FIELDS = {"heading": (TEXT, True), "key_points": (LIST, False), "body": (LIST, True)}
CALLOUT_FIELDS = {"kind": (TEXT, True), "title": (TEXT, False), "text": (TEXT, False), "bullets": (LIST, False)}
TABLE_FIELDS = {"columns": (LIST, True), "rows": (LIST, True)}
IMAGE_FIELDS = {"src": (TEXT, True), "alt": (TEXT, True), "caption": (TEXT, False), "width": (TEXT, False)}
QR_FIELDS = {"url": (TEXT, True), "caption": (TEXT, False)}
CLINIC_FIELDS = {
    "name": (TEXT, True), "language": (TEXT, False), "logo": (TEXT, False), "logo_alt": (TEXT, False),
    "colors": (MAP, False), "address": (LOCALIZED, False), "phone": (TEXT, False), "email": (TEXT, False),
    "website": (TEXT, False), "hours": (LOCALIZED, False), "urgent": (LOCALIZED, False),
    "alternative_formats": (LOCALIZED, False), "fonts": (MAP, False),
}
COLOR_FIELDS = {"primary": (TEXT, False), "accent": (TEXT, False)}
FONT_FIELDS = {"regular": (TEXT, True), "bold": (TEXT, True), "italic": (TEXT, False), "bold_italic": (TEXT, False)}
BLOCK_KINDS = (
    "bullets", "steps", "callout", "table", "image", "questions", "notes", "glossary", "qr", "page_break",
)

#: The neutral profile used without --clinic: no logo, a calm blue palette.
# Both colours pass the 4.5:1 text contrast, so a build without --clinic prints no colour notice.
DEFAULT_CLINIC = m.Clinic(name="", logo=None, logo_alt="", colors=m.Colors("#1F5F8B", "#337EA1"))


class _Reader:
    """Reads one file's nodes into model values, noting problems instead of stopping."""

    def __init__(self, path: Path, root_dir: Path, assets: tuple[Path, ...] = (), *, formatted: bool = False) -> None:
        self.path = path
        self.root_dir = root_dir
        self.assets = assets
        self.problems = Problems()
        self.placeholders: dict[str, Loc] = {}
        #: Handout text may hold **bold**, *italic* and {{ placeholders }}: their marks must balance.
        self.formatted = formatted
        self._marks_checked: set[Loc] = set()
        self._lines: list[str] | None = None

    # -- places within a value ----------------------------------------------
    def source_line(self, line: int) -> str:
        """The file's line `line` (1-based) as written, for pointing inside a value."""
        if self._lines is None:
            try:
                self._lines = read_text(self.path, str(self.path)).split("\n")
            except BookletError:
                self._lines = []
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def place_of(self, node: Scalar, value: str, offset: int) -> Loc:
        """Where the character at `offset` of a value is in the file: the same occurrence of that
        character counted from where the value starts (the model's text is the value with its
        spaces tidied, so counting a character is exact where columns are not)."""
        char = value[offset]
        wanted = value.count(char, 0, offset) + 1
        line, start = node.loc.line, node.loc.col - 1
        self.source_line(line)  # reads the file
        while 0 < line <= len(self._lines or []) and line < node.loc.line + MAX_VALUE_LINES:
            text = self.source_line(line)
            for i in range(max(start, 0), len(text)):
                if text[i] == char:
                    wanted -= 1
                    if wanted == 0:
                        return Loc(node.loc.path, line, i + 1)
            line, start = line + 1, 0
        return node.loc

    def note_marks(self, node: Scalar, value: str, emphasis: bool) -> None:
        """Unbalanced **, *, {{ and }}: errors at the mark, never asterisks or braces printed by mistake."""
        if node.loc in self._marks_checked:
            return
        self._marks_checked.add(node.loc)
        for mark in unbalanced(value):
            if mark.mark in ("{{", "}}") or (self.formatted and emphasis):
                self.problems.add(self.place_of(node, value, mark.offset), *_mark_message(value, mark))

    # -- structure ---------------------------------------------------------
    def fields(self, node: Node, spec: dict[str, tuple[str, bool]], what: str) -> dict[str, Node]:
        if not isinstance(node, Mapping):
            self.problems.add(node.loc, f"{what} should be {kind_of(Mapping(node.loc))}, but it is {kind_of(node)}")
            return {}
        found: dict[str, Node] = {}
        for key, value in node.items:
            name = key.text
            if name in found:
                self.problems.add(key.loc, f"'{name}' is given twice in {what}", "keep one of them")
                continue
            if name not in spec:
                self.problems.add(key.loc, f"unknown key '{name}' in {what}", _did_you_mean(name, spec))
                continue
            kind = spec[name][0]
            if isinstance(value, Scalar) and value.is_null:
                colour = COLOR_COMMENT.match(self.source_line(key.loc.line), key.loc.col - 1 + len(name))
                if colour and value.text == "":
                    self.problems.add(Loc(key.loc.path, key.loc.line, colour.start(1) + 1),
                                      f"'{name}' has no value: {colour.group(1)} is read as a comment, "
                                      "because a # after a space starts a comment in YAML",
                                      f"quote it: {name}: \"{colour.group(1)}\"")
                    continue
                if spec[name][1]:
                    self.problems.add(value.loc, f"'{name}' is empty", "write a value after the colon")
                continue
            found[name] = value
            if kind == LIST and not isinstance(value, Sequence):
                hint = "write it as a list: one '- item' per line, or [item, item]"
                self.problems.add(value.loc, f"'{name}' should be a list, but it is {kind_of(value)}", hint)
                del found[name]
            elif kind == MAP and not isinstance(value, Mapping):
                self.problems.add(value.loc,
                                  f"'{name}' should be {kind_of(Mapping(value.loc))}, but it is {kind_of(value)}")
                del found[name]
            elif kind in (TEXT, DATE) and not isinstance(value, Scalar):
                hint = "put the whole text on one line after the colon, in quotes if it contains ': '"
                self.problems.add(value.loc, f"'{name}' should be text, but it is {kind_of(value)}", hint)
                del found[name]
            elif kind == LOCALIZED and not isinstance(value, (Scalar, Mapping)):
                self.problems.add(value.loc, f"'{name}' should be text, or one text per language, "
                                  f"but it is {kind_of(value)}",
                                  f"write the text after '{name}:', or one 'en: ...' line per language "
                                  f"indented under it")
                del found[name]
        for name, (_, required) in spec.items():
            if required and name not in found and not any(k.text == name for k, _ in node.items):
                self.problems.add(node.loc, f"{what} is missing '{name}'", f"add a line '{name}: ...'")
        return found

    def text(self, node: Node | None, *, keep_lines: bool = False, emphasis: bool = True) -> str:
        """The text of a value, spaces tidied. `emphasis=False` for values that are not printed as
        formatted text (addresses), where an asterisk is just a character."""
        if node is None:
            return ""
        if not isinstance(node, Scalar):
            self.problems.add(node.loc, f"expected text, but found {kind_of(node)}",
                              "put text containing ': ' or '- ' in quotes")
            return ""
        if node.is_null:
            return ""
        value = node.text.strip()
        if not keep_lines:
            value = " ".join(value.split())
        else:
            value = "\n".join(" ".join(line.split()) for line in value.split("\n")).strip()
        self.note_placeholders(value, node.loc)
        self.note_marks(node, value, emphasis)
        return value

    def texts(self, node: Node | None, what: str) -> tuple[str, ...]:
        if node is None:
            return ()
        if isinstance(node, Scalar):
            # A single item written without a dash is a list of one.
            return (self.text(node),) if not node.is_null else ()
        if not isinstance(node, Sequence):
            self.problems.add(node.loc, f"{what} should be a list of text, but it is {kind_of(node)}")
            return ()
        out = []
        for item in node.items:
            value = self.text(item)
            if isinstance(item, Scalar) and not value:
                self.problems.add(item.loc, f"an item in {what} is empty", "remove the empty '-' line")
            elif value:
                out.append(value)
        return tuple(out)

    def note_placeholders(self, value: str, loc: Loc) -> None:
        for match in PLACEHOLDER.finditer(value):
            name = match.group(1)
            if not PLACEHOLDER_NAME.match(name):
                self.problems.add(loc, f"'{match.group(0)}' is not a valid placeholder",
                                  "placeholder names are letters, digits and _ like {{ patient_name }}")
            else:
                self.placeholders.setdefault(name, loc)

    def date(self, node: Node | None, name: str) -> dt.date | None:
        if node is None or not isinstance(node, Scalar):
            return None
        raw = node.text.strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            self.problems.add(node.loc, f"'{name}' should be a date written as YYYY-MM-DD, not '{raw}'",
                              "for example 2026-05-17")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.problems.add(node.loc, f"'{raw}' is not a real date", "check the month and the day")
            return None

    def file(self, node: Node, what: str, suffixes: tuple[str, ...]) -> Path | None:
        """A local file inside the allowed folders, or a problem naming the src."""
        src = node.text.strip() if isinstance(node, Scalar) else ""
        if not src:
            return None
        hint = f"put the file in {self.root_dir} (or a folder inside it) and give its path relative to {self.path.name}"
        if URL_SCHEME.match(src) and not re.match(r"[A-Za-z]:[\\/]", src):
            self.problems.add(node.loc, f"{what} '{src}' is a URL; only local files can be used",
                              "download the file, save it next to the YAML file and give its name")
            return None
        candidate = Path(src)
        if candidate.is_absolute() or src.startswith(("\\", "~")) or re.match(r"[A-Za-z]:", src):
            self.problems.add(node.loc,
                              f"{what} '{src}' is an absolute path; give a path relative to {self.path.name}", hint)
            return None
        roots = (self.root_dir, *self.assets)
        for root in roots:
            full = (root / candidate)
            try:
                resolved = full.resolve()
                inside = resolved.is_relative_to(root.resolve())
            except (OSError, RuntimeError):
                inside = False
            if not inside:
                continue
            if resolved.suffix.lower() not in suffixes:
                kinds = ", ".join(s.lstrip(".").upper() for s in suffixes)
                self.problems.add(node.loc, f"{what} '{src}' is not a {kinds} file")
                return None
            if resolved.is_file():
                return resolved
        if ".." in candidate.parts or any(not (r / candidate).resolve().is_relative_to(r.resolve()) for r in roots):
            self.problems.add(node.loc, f"{what} '{src}' is outside the folder of {self.path.name}", hint)
        else:
            self.problems.add(node.loc, f"{what} '{src}' was not found", f"looked in {self.root_dir}")
        return None


#: How much of the author's text a hint repeats to show where a closing mark goes.
_EXAMPLE_WORDS = 6


def _mark_message(value: str, mark: Unbalanced) -> tuple[str, str]:
    """The message and hint for a mark without its partner (booklet.text.unbalanced)."""
    after = value[mark.offset + len(mark.mark):]
    if mark.mark == "{{":
        inside = after.split("}", 1)[0].strip() if "}" in after else " ".join(after.split()[:1])
        name = inside if PLACEHOLDER_NAME.match(inside) else "name"
        shown = "{{" + after[:after.index("}") + 1] if "}" in after else "{{" + after
        return (f"the placeholder '{_shorten(shown)}' is not closed, so it would print as typed",
                f"end it with two braces: {{{{ {name} }}}}")
    if mark.mark == "}}":
        return ("'}}' closes a placeholder that was never opened",
                "a placeholder is written {{ name }}, with two braces on each side; or remove the braces")
    what, printed = ("bold", "two asterisks") if mark.mark == "**" else ("italic", "an asterisk")
    if mark.mark == "**":
        words = "the last word in bold" if mark.opening else "the first word in bold"
    else:
        words = "the last word in italics" if mark.opening else "the first word in italics"
    if mark.opening:
        after_words = after.split()
        example = mark.mark + after_words[0] + mark.mark + " ".join(["", *after_words[1:_EXAMPLE_WORDS]])
        hint = f"put {mark.mark} after {words}, like: {example}"
        if mark.mark == "*":
            hint += "; or, to print an asterisk, put a space after it"
        return f"'{mark.mark}' starts {what} text that is never closed: it would print as {printed}", hint
    before_words = value[:mark.offset].split()
    example = " ".join([*before_words[-_EXAMPLE_WORDS:-1], mark.mark + before_words[-1] + mark.mark])
    return (f"'{mark.mark}' ends {what} text that was never started: it would print as {printed}",
            f"put {mark.mark} before {words}, like: {example}; or remove it")


def _shorten(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _did_you_mean(name: str, choices: object) -> str:
    import difflib  # only for a handout with a mistake: not imported by every build

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)  # type: ignore[call-overload]
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices)  # type: ignore[arg-type]


# -- handout -----------------------------------------------------------------
def read_handout(path: Path, *, assets: tuple[Path, ...] = (), data: bytes | None = None) -> m.Handout:
    """Load and validate a content file (`data`: its bytes, read elsewhere, e.g. from standard input; images
    are then found from the folder of `path`). Raises BookletError listing every problem."""
    root = load(path, data=data)
    if isinstance(root, Mapping):
        keys = {k.text for k, _ in root.items}
        if "name" in keys and not keys & {"title", "sections"}:
            raise BookletError.at(root.loc, "this looks like a clinic profile, not a handout",
                                  f"give it with --clinic {path.name}, and the handout file as the content")
    r = _Reader(path, path.resolve().parent, assets, formatted=True)
    f = r.fields(root, HANDOUT_FIELDS, "the handout")
    language = r.text(f.get("language")) or "en"
    if not LANGUAGE_TAG.match(language):
        r.problems.add(f["language"].loc, f"'{language}' is not a language tag", "use a code like en, es, pl or en-GB")
    sections = []
    seq = f.get("sections")
    if isinstance(seq, Sequence):
        if not seq.items:
            r.problems.add(seq.loc, "'sections' is empty", "add at least one section with a heading and a body")
        for node in seq.items:
            section = _section(r, node)
            if section:
                sections.append(section)
    handout = m.Handout(
        path=path,
        title=r.text(f.get("title")),
        subtitle=r.text(f.get("subtitle")),
        reference=r.text(f.get("reference")),
        version=r.text(f.get("version")),
        language=language,
        published=r.date(f.get("published"), "published"),
        review_by=r.date(f.get("review_by"), "review_by"),
        audience=r.text(f.get("audience")),
        authors=r.texts(f.get("authors"), "authors"),
        sources=r.texts(f.get("sources"), "sources"),
        summary=r.texts(f.get("summary"), "summary"),
        sections=tuple(sections),
        loc=root.loc,
        placeholders=r.placeholders,
        field_locs={name: node.loc for name, node in f.items()},
    )
    if "title" in f and not handout.title:
        r.problems.add(f["title"].loc, "'title' is empty", "write the handout's title")
    if len(handout.reference) > MAX_REFERENCE_CHARS:
        r.problems.add(f["reference"].loc, f"the reference is {len(handout.reference)} characters long; "
                       f"at most {MAX_REFERENCE_CHARS} fit in the page footer", "use a short code like ONC-014")
    r.problems.raise_if_any()
    return handout


def review_overdue(handout: m.Handout, today: dt.date) -> Problem | None:
    """A warning when the handout's review date has passed: it may no longer be right."""
    due = handout.review_by
    if due is None or due >= today:
        return None
    days = (today - due).days
    return Problem(handout.field_locs.get("review_by", handout.loc),
                   f"the review date {due.isoformat()} has passed ({days} day{'s' if days != 1 else ''} ago)",
                   "check that everything is still right, then set a new review_by date "
                   "(and a new version and published date if anything changed)", severity="warning")


def _section(r: _Reader, node: Node) -> m.Section | None:
    f = r.fields(node, SECTION_FIELDS, "a section")
    if not f.get("heading") and not f.get("body"):
        return None
    body_node = f.get("body")
    blocks: list[m.Block] = []
    if isinstance(body_node, Sequence):
        if not body_node.items:
            r.problems.add(body_node.loc, "the section's 'body' is empty", "add at least one paragraph")
        for item in body_node.items:
            block = _block(r, item)
            if block is not None:
                blocks.append(block)
    return m.Section(
        heading=r.text(f.get("heading")),
        key_points=r.texts(f.get("key_points"), "key_points"),
        body=tuple(blocks),
        loc=node.loc,
    )


def _block(r: _Reader, node: Node) -> m.Block | None:
    if isinstance(node, Scalar):
        text = r.text(node)
        if not text:
            r.problems.add(node.loc, "an empty paragraph", "remove the empty '-' line")
            return None
        return m.Paragraph(text, node.loc)
    if isinstance(node, Sequence):
        r.problems.add(node.loc, "a block should be a paragraph of text or one 'kind: ...' entry, not a list",
                       "to make a list write '- bullets: [first, second]'")
        return None
    assert isinstance(node, Mapping)
    if len(node.items) != 1:
        keys = ", ".join(k.text for k, _ in node.items)
        hint = "start each block with its own '- ' line"
        if any(k.text in CALLOUT_FIELDS and k.text != "title" for k, _ in node.items):
            hint = "the callout's fields go indented under '- callout:'"
        r.problems.add(node.loc, f"a block should have exactly one kind, but this one has: {keys}", hint)
        return None
    key, value = node.items[0]
    kind = key.text
    builder = _BLOCKS.get(kind)
    if builder is None:
        hint = _did_you_mean(kind, BLOCK_KINDS)
        if not re.fullmatch(r"[a-z_]+", kind):  # looks like prose, not a misspelt kind
            hint += "; or, if this is a paragraph containing ': ', put it in quotes"
        r.problems.add(key.loc, f"unknown block '{kind}'", hint)
        return None
    return builder(r, value, key.loc)


def _list_block(cls: type) -> Callable[[_Reader, Node, Loc], m.Block | None]:
    def build(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
        if not isinstance(value, Sequence):
            r.problems.add(value.loc, f"'{cls.__name__.lower()}' should be a list, but it is {kind_of(value)}",
                           "write one '- item' per line, or [item, item]")
            return None
        items = r.texts(value, cls.__name__.lower())
        if not value.items:
            r.problems.add(value.loc, f"'{cls.__name__.lower()}' has no items")
            return None
        return cls(items, loc)
    return build


def _callout(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    f = r.fields(value, CALLOUT_FIELDS, "the callout")
    kind = r.text(f.get("kind"))
    if kind and kind not in m.CALLOUT_KINDS:
        r.problems.add(f["kind"].loc, f"unknown callout kind '{kind}'",
                       "use one of: " + ", ".join(m.CALLOUT_KINDS))
    callout = m.Callout(kind or "info", r.text(f.get("title")), r.text(f.get("text")),
                        r.texts(f.get("bullets"), "the callout's bullets"), loc)
    if not (callout.title or callout.text or callout.bullets) and isinstance(value, Mapping):
        r.problems.add(loc, "the callout has no title, text or bullets", "add a 'text:' line")
    return callout


def _table(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    f = r.fields(value, TABLE_FIELDS, "the table")
    columns = r.texts(f.get("columns"), "columns")
    rows: list[tuple[str, ...]] = []
    rows_node = f.get("rows")
    if isinstance(rows_node, Sequence):
        if not rows_node.items:
            r.problems.add(rows_node.loc, "the table has no rows")
        for number, row in enumerate(rows_node.items, 1):
            if not isinstance(row, Sequence):
                r.problems.add(row.loc, f"table row {number} should be a list of cells like [a, b]")
                continue
            cells = tuple(r.text(c) for c in row.items)
            if columns and len(cells) != len(columns):
                hint = "give one cell per column"
                if len(cells) > len(columns):
                    hint = ("a comma inside [a, b, c] starts a new cell: put a cell that contains a comma "
                            "in quotes, like \"Tiredness, feeling sick\"")
                r.problems.add(row.loc, f"table row {number} has {_count(len(cells), 'cell')} but the table has "
                               f"{_count(len(columns), 'column')}", hint)
            rows.append(cells)
    if not columns or not rows:
        return None
    return m.Table(columns, tuple(rows), loc)


def _image(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    f = r.fields(value, IMAGE_FIELDS, "the image")
    src_node = f.get("src")
    path = r.file(src_node, "image", IMAGE_SUFFIXES) if src_node is not None else None
    alt = r.text(f.get("alt"))
    if "alt" in f and not alt:
        r.problems.add(f["alt"].loc, "the image's 'alt' text is empty",
                       "describe the picture for someone who cannot see it")
    width = 1.0
    if "width" in f:
        raw = r.text(f["width"])
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", raw)
        if match and 0 < float(match.group(1)) <= 100:
            width = float(match.group(1)) / 100
        else:
            r.problems.add(f["width"].loc, f"image width '{raw}' should be a percentage of the text width",
                           "for example 60%")
    if path is None:
        return None
    from .images import probe

    try:
        probe(path)
    except BookletError as exc:
        for p in exc.problems:
            r.problems.add(src_node.loc if src_node else loc,
                           f"image '{r.text(src_node, emphasis=False)}' cannot be used: {p.message}", p.hint)
        return None
    return m.Image(r.text(src_node, emphasis=False), path, alt, r.text(f.get("caption")), width, loc)


def _notes(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    raw = value.text.strip() if isinstance(value, Scalar) else ""
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_NOTE_LINES:
        r.problems.add(value.loc, f"'notes' should be a number of lines from 1 to {MAX_NOTE_LINES}",
                       "for example 'notes: 6'")
        return None
    return m.Notes(int(raw), loc)


def _glossary(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    if not isinstance(value, Mapping):
        r.problems.add(value.loc, f"'glossary' should be a mapping of word: meaning, but it is {kind_of(value)}",
                       "write one 'Word: what it means' per line, indented under glossary")
        return None
    entries = []
    seen: set[str] = set()
    for key, definition in value.items:
        term = r.text(key)
        if term in seen:
            r.problems.add(key.loc, f"'{term}' is defined twice in the glossary", "keep one of them")
            continue
        seen.add(term)
        meaning = r.text(definition)
        if not meaning:
            r.problems.add(definition.loc, f"the glossary gives no meaning for '{term}'")
        entries.append((term, meaning))
    if not entries:
        r.problems.add(value.loc, "the glossary is empty")
        return None
    return m.Glossary(tuple(entries), loc)


def _qr(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    f = r.fields(value, QR_FIELDS, "the QR code")
    url = r.text(f.get("url"), emphasis=False)
    # A placeholder may fill part of the address (`{{ id }}` has spaces), never its scheme.
    if url and not re.match(r"(https?://|tel:|mailto:)\S+\Z", PLACEHOLDER.sub("x", url)):
        r.problems.add(f["url"].loc, f"'{url}' is not a web address", "start it with https://")
    elif len(url) > MAX_QR_CHARS:
        r.problems.add(f["url"].loc, f"the QR address is {len(url)} characters; at most {MAX_QR_CHARS} scan reliably",
                       "use a shorter address")
    if not url:
        return None
    return m.Qr(url, r.text(f.get("caption")), loc)


def _page_break(r: _Reader, value: Node, loc: Loc) -> m.Block | None:
    raw = value.text.strip().lower() if isinstance(value, Scalar) else ""
    if raw not in ("true", "yes"):
        r.problems.add(value.loc, "write 'page_break: true' to start a new page here")
        return None
    return m.PageBreak(loc)


_BLOCKS: dict[str, Callable[[_Reader, Node, Loc], m.Block | None]] = {
    "bullets": _list_block(m.Bullets),
    "steps": _list_block(m.Steps),
    "questions": _list_block(m.Questions),
    "callout": _callout,
    "table": _table,
    "image": _image,
    "notes": _notes,
    "glossary": _glossary,
    "qr": _qr,
    "page_break": _page_break,
}


# -- clinic ------------------------------------------------------------------
def read_clinic(path: Path | None, *, assets: tuple[Path, ...] = ()) -> m.Clinic:
    """Load and validate a clinic profile; None gives the neutral built-in profile."""
    if path is None:
        return DEFAULT_CLINIC
    root = load(path)
    r = _Reader(path, path.resolve().parent, assets)
    f = r.fields(root, CLINIC_FIELDS, "the clinic profile")
    colors = DEFAULT_CLINIC.colors
    if "colors" in f:
        cf = r.fields(f["colors"], COLOR_FIELDS, "'colors'")
        values = {}
        for key, node in cf.items():
            value = r.text(node)
            if not HEX_COLOR.match(value):
                r.problems.add(node.loc, f"colour '{value}' should be written as #RRGGBB",
                               "for example \"#1F4E79\" (in quotes)")
            else:
                values[key] = value.upper()
        primary = values.get("primary", colors.primary)
        colors = m.Colors(primary, values.get("accent", primary))
    fonts = None
    if "fonts" in f:
        ff = r.fields(f["fonts"], FONT_FIELDS, "'fonts'")
        paths = {k: r.file(node, f"{k} font", (".ttf",)) for k, node in ff.items()}
        if paths.get("regular") and paths.get("bold"):
            fonts = m.FontFiles(paths["regular"], paths["bold"], paths.get("italic"), paths.get("bold_italic"))  # type: ignore[arg-type]
    logo = r.file(f["logo"], "logo", IMAGE_SUFFIXES) if "logo" in f else None
    if logo is not None:
        from .images import probe

        try:
            probe(logo)
        except BookletError as exc:
            for p in exc.problems:
                r.problems.add(f["logo"].loc, f"logo '{r.text(f['logo'])}' cannot be used: {p.message}", p.hint)
    name = r.text(f.get("name"))
    language = r.text(f.get("language")) or "en"
    if not LANGUAGE_TAG.match(language):
        r.problems.add(f["language"].loc, f"'{language}' is not a language tag",
                       "the language the clinic's texts are written in, as a code like en, es, pl or en-GB")
    texts: dict[str, str] = {}
    translations: dict[str, dict[str, str]] = {}
    for field_name in m.TRANSLATABLE_CLINIC_TEXTS:
        text, per_language = _localized(r, f.get(field_name), field_name, language)
        texts[field_name] = text
        if per_language:
            translations[field_name] = per_language
    if r.placeholders:
        first = next(iter(r.placeholders.values()))
        r.problems.add(first, "placeholders like {{ name }} cannot be used in a clinic profile",
                       "write the clinic's details out in full")
    clinic = m.Clinic(
        name=name,
        logo=logo,
        logo_alt=r.text(f.get("logo_alt")) or (f"{name} logo" if name else "Clinic logo"),
        colors=colors,
        phone=r.text(f.get("phone")),
        email=r.text(f.get("email")),
        website=r.text(f.get("website")),
        address=texts["address"],
        hours=texts["hours"],
        urgent=texts["urgent"],
        alternative_formats=texts["alternative_formats"],
        fonts=fonts,
        path=path,
        loc=root.loc,
        field_locs={name: node.loc for name, node in f.items()},
        language=language,
        translations=translations,
    )
    r.problems.raise_if_any()
    return clinic


def _localized(r: _Reader, node: Node | None, name: str, language: str) -> tuple[str, dict[str, str]]:
    """A clinic text given plainly or per language: (the text in the clinic's `language`, {tag: text})."""
    keep_lines = name == "address"  # an address keeps its line breaks
    if not isinstance(node, Mapping):
        return r.text(node, keep_lines=keep_lines), {}
    if not node.items:
        r.problems.add(node.loc, f"'{name}' gives no text",
                       f"write the text after '{name}:', or one 'en: ...' line per language indented under it")
        return "", {}
    texts: dict[str, str] = {}
    for key, value in node.items:
        tag = key.text.strip()
        if not LANGUAGE_TAG.match(tag):
            r.problems.add(key.loc, f"unknown language '{tag}' in '{name}'",
                           "give each text under a language code like en, es, pl or en-GB")
            continue
        if tag.lower() in texts:
            r.problems.add(key.loc, f"'{name}' gives a '{tag}' text twice", "keep one of them")
            continue
        if isinstance(value, Scalar) and value.is_null:
            r.problems.add(value.loc, f"the '{tag}' text of '{name}' is empty",
                           f"write the text after '{tag}:', or remove the line")
            continue
        text = r.text(value, keep_lines=keep_lines)
        if text:
            texts[tag.lower()] = text
        elif isinstance(value, Scalar):
            r.problems.add(value.loc, f"the '{tag}' text of '{name}' is empty",
                           f"write the text after '{tag}:', or remove the line")
    own = match_language(language, texts)
    if texts and own is None:
        r.problems.add(node.loc, f"'{name}' has no '{language}' text, the clinic's language",
                       f"add a line '{language}: ...' under '{name}' (printed when a handout's language has no "
                       f"text of its own), or set 'language:' to the language the clinic works in")
        return "", {}
    return (texts[own] if own else ""), texts


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def match_language(wanted: str, available: Iterable[str]) -> str | None:
    """The tag in `available` for a text in `wanted`: the same tag, else its language (es-MX finds es),
    else another variety of that language (es finds es-MX). None when there is none. Case does not matter."""
    tags = list(available)
    lower = {t.lower(): t for t in tags}
    for candidate in (wanted.lower(), _primary(wanted)):
        if candidate in lower:
            return lower[candidate]
    return next((t for t in tags if _primary(t) == _primary(wanted)), None)


def clinic_for_language(clinic: m.Clinic, language: str) -> tuple[m.Clinic, list[Problem]]:
    """The clinic with its texts in `language` (a handout's), and a warning for each text that has none.

    A text given per language falls back to the clinic's own language; a plain text is in the clinic's
    language. Either way a handout in another language would print it untranslated, so the warning names
    the field (at its line in the clinic profile) and the language: never a silent English sentence."""
    texts: dict[str, str] = {}
    warnings: list[Problem] = []
    want = _primary(language)
    for name in m.TRANSLATABLE_CLINIC_TEXTS:
        if not getattr(clinic, name):
            continue
        loc = clinic.field_locs.get(name, clinic.loc)
        per_language = clinic.translations.get(name)
        if per_language is not None:
            tag = match_language(language, per_language)
            if tag is not None:
                texts[name] = per_language[tag]
                continue
            warnings.append(Problem(
                loc, f"the clinic's '{name}' has no '{want}' text for this handout in '{language}': "
                     f"the '{clinic.language}' text is printed instead",
                f"add a line '{want}: ...' with the translation under '{name}' in the clinic profile",
                severity="warning"))
        elif _primary(clinic.language) != want:
            warnings.append(Problem(
                loc, f"the clinic's '{name}' is written in '{clinic.language}' only, but this handout is in "
                     f"'{language}': it is printed untranslated",
                f"give it per language: a line '{clinic.language}: ...' and a line '{want}: ...' indented under "
                f"'{name}'; or, if the clinic profile is written in '{want}', add 'language: {want}' to it",
                severity="warning"))
    if texts:
        clinic = replace(clinic, address=texts.get("address", clinic.address), hours=texts.get("hours", clinic.hours),
                         urgent=texts.get("urgent", clinic.urgent),
                         alternative_formats=texts.get("alternative_formats", clinic.alternative_formats))
    return clinic, warnings


# -- placeholders and glyphs ---------------------------------------------------
def parse_set_options(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--set KEY=VALUE` options as a dict; values are plain text."""
    values: dict[str, str] = {}
    problems = Problems()
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not PLACEHOLDER_NAME.match(key):
            problems.add(Loc("--set"), f"'{pair}' should be written as name=value",
                         "for example --set patient_name=Ana")
            continue
        values[key] = value
    problems.raise_if_any()
    return values


def check_values(handout: m.Handout, values: dict[str, str], where: str = "--set") -> None:
    """Every placeholder the handout uses must have a value."""
    problems = Problems()
    for name, loc in handout.placeholders.items():
        if name not in values:
            problems.add(loc, f"the placeholder {{{{ {name} }}}} has no value",
                         f"give one with {where} {name}=..." if where == "--set"
                         else f"add a '{name}' column to {where}")
    problems.raise_if_any()


def handout_texts(h: m.Handout) -> Iterator[tuple[str, Loc]]:
    """Every piece of text in a handout with the best place known for it."""
    for name in ("title", "subtitle", "reference", "version", "audience"):
        yield getattr(h, name), h.field_locs.get(name, h.loc)
    for name in ("authors", "sources", "summary"):
        for item in getattr(h, name):
            yield item, h.field_locs.get(name, h.loc)
    for section in h.sections:
        yield section.heading, section.loc
        for point in section.key_points:
            yield point, section.loc
        for block in section.body:
            for text in block_texts(block):
                yield text, block.loc


def block_texts(block: m.Block) -> Iterator[str]:
    if isinstance(block, m.Paragraph):
        yield block.text
    elif isinstance(block, (m.Bullets, m.Steps, m.Questions)):
        yield from block.items
    elif isinstance(block, m.Callout):
        yield block.title
        yield block.text
        yield from block.bullets
    elif isinstance(block, m.Table):
        yield from block.columns
        for row in block.rows:
            yield from row
    elif isinstance(block, m.Image):
        yield block.caption
        yield block.alt
    elif isinstance(block, m.Glossary):
        for term, meaning in block.entries:
            yield term
            yield meaning
    elif isinstance(block, m.Qr):
        yield block.caption
        yield block.url


def clinic_texts(c: m.Clinic, translations: bool = True) -> Iterator[tuple[str, Loc]]:
    """Every clinic text, in every language it is given in (`translations=False`: the texts in use only)."""
    for name in ("name", "address", "phone", "email", "website", "hours", "urgent", "alternative_formats"):
        yield getattr(c, name), c.field_locs.get(name, c.loc)
    for name, per_language in (c.translations.items() if translations else ()):
        for text in per_language.values():
            yield text, c.field_locs.get(name, c.loc)


def _show_char(ch: str) -> str:
    """A character for a message: itself and its code, or only the code when it is invisible."""
    if unicodedata.category(ch).startswith("C"):  # control, format, surrogate, private, unassigned
        return f"U+{ord(ch):04X}"
    return f"'{ch}' (U+{ord(ch):04X})"


def check_glyphs(texts: Iterator[tuple[str, Loc]], can_draw: Callable[[str], bool], font_name: str) -> None:
    """Every character must be in the font: a missing glyph is an error, never an empty box."""
    problems = Problems()
    fine: set[str] = set()  # characters checked already and found drawable (most recur in every text)
    for text, loc in texts:
        chars = set(text) - fine  # each distinct character once
        # ReportLab 5.1 writes a broken ToUnicode entry (<01> <1F600>) for characters beyond the
        # Basic Multilingual Plane: drawn, but copied, searched and read aloud as something else.
        astral = sorted(ch for ch in chars if ord(ch) > 0xFFFF)
        if astral:
            shown = " ".join(_show_char(ch) for ch in astral[:8])
            problems.add(loc, f"characters beyond U+FFFF such as emoji cannot be used: {shown}",
                         "the PDF's text would not copy or read aloud correctly; replace or remove them")
        missing = sorted(ch for ch in chars if ord(ch) <= 0xFFFF and not can_draw(ch))
        if missing:
            shown = " ".join(_show_char(ch) for ch in missing[:8])
            problems.add(loc, f"the font {font_name} cannot draw {shown}",
                         "replace or remove these characters, or name a clinic font that has them")
        fine.update(chars.difference(astral, missing))
    problems.raise_if_any()
