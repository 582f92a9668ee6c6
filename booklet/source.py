"""Reads YAML files safely into a tree of nodes that remember their file:line:col.

No Python objects are ever constructed and no implicit typing happens: every
scalar stays text until validation asks for a number, a date or a flag, so
`no`, `1.10` and `12:30` mean what the author typed.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import BookletError, Loc

#: A handout is a few pages of text; anything bigger is a mistake or an attack.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The content format nests at most about six levels (sections > body > callout > bullets).
MAX_DEPTH = 12

try:  # libyaml's parser is much faster where it is installed (5 MB in 0.1 s, not 4 s)
    from yaml.cyaml import CParser as _EventSource
except ImportError:  # pragma: no cover - depends on the PyYAML build

    class _EventSource(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


@dataclass
class Node:
    """A YAML value with its position."""

    loc: Loc


@dataclass
class Scalar(Node):
    text: str = ""
    #: True for plain (unquoted) scalars, which may stand for null, numbers or flags.
    plain: bool = True

    @property
    def is_null(self) -> bool:
        return self.plain and self.text in ("", "~", "null", "Null", "NULL")


@dataclass
class Sequence(Node):
    items: list[Node] = field(default_factory=list)


@dataclass
class Mapping(Node):
    items: list[tuple[Scalar, Node]] = field(default_factory=list)


def kind_of(node: Node) -> str:
    """The YAML kind of a node in words, for messages."""
    if isinstance(node, Mapping):
        return "a mapping (key: value lines)"
    if isinstance(node, Sequence):
        return "a list"
    if isinstance(node, Scalar) and node.is_null:
        return "nothing"
    return "text"


def read_text(path: Path, label: str | None = None) -> str:
    """The file's text as NFC Unicode with \\n line ends, or a BookletError saying why not."""
    name = label or str(path)
    try:
        if path.is_dir():
            raise BookletError.at(name, "this is a folder, not a YAML file")
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BookletError.at(name, "file not found", "check the file name and folder") from None
    except OSError as exc:
        raise BookletError.at(name, f"cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise BookletError.at(
            name,
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            "a handout is text; split it or take out embedded data",
        )
    return decode(data, name)


def decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise BookletError.at(
                name, "the file says it is UTF-16 but is not valid UTF-16", _SAVE_AS
            ) from None
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            line_start = data.rfind(b"\n", 0, exc.start) + 1
            # Columns count characters, as an editor shows them, not bytes.
            col = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
            raise BookletError.at(
                Loc(name, line, col), "the file is not UTF-8 text (or is not a text file)", _SAVE_AS
            ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise BookletError.at(
            Loc(name, line, 1), "the file contains NUL bytes: it is not a text file", _SAVE_AS
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BookletError.at(name, "the file is empty", "write the handout in it, or pick another file")
    return unicodedata.normalize("NFC", text)


_SAVE_AS = "save it from your editor as 'UTF-8' text (in Word: Save As > Plain Text > UTF-8)"


#: Events that carry nothing for the tree, and those that close a list or mapping.
_SKIPPED = frozenset({yaml.StreamStartEvent, yaml.DocumentEndEvent})
_ENDS = frozenset({yaml.SequenceEndEvent, yaml.MappingEndEvent})


def parse(text: str, name: str) -> Node:
    """Parse one YAML document into nodes. Anchors, aliases, tags and deep nesting are refused."""
    stack: list[Node] = []
    pending_key: list[Scalar | None] = []
    root: Node | None = None
    lines: list[str] | None = None  # the text's lines, split when a value spans several
    try:
        source = _EventSource(text)  # the pure-Python reader checks characters here already
        while True:
            event = source.get_event()
            kind = type(event)  # the parsers make the event classes themselves, never subclasses
            if kind is yaml.StreamEndEvent:
                break
            if kind in _SKIPPED:
                continue
            if kind in _ENDS:
                done = stack.pop()
                pending_key.pop()
                root = _attach(stack, pending_key, done, root)
                continue
            loc = _loc(name, event)
            if isinstance(event, yaml.DocumentStartEvent):
                if root is not None:
                    raise BookletError.at(
                        loc, "the file holds more than one YAML document", "remove the '---' line"
                    )
                continue
            if isinstance(event, yaml.AliasEvent):
                raise BookletError.at(
                    loc,
                    f"YAML aliases (*{event.anchor}) are not allowed in a handout",
                    "write the text out in full where it is needed",
                )
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                raise BookletError.at(
                    loc,
                    f"YAML anchors (&{anchor}) are not allowed in a handout",
                    "remove the '&' name; write repeated text out in full",
                )
            tag = getattr(event, "tag", None)
            if tag not in (None, "!", "tag:yaml.org,2002:str"):
                # Show the tag as it was typed: '!!int', not 'tag:yaml.org,2002:int'.
                shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
                raise BookletError.at(
                    loc, f"YAML tags such as '{shown}' are not allowed", "remove the '!' tag"
                )
            node: Node
            if isinstance(event, yaml.ScalarEvent):
                if not event.style and event.end_mark.line > event.start_mark.line:
                    lines = lines if lines is not None else text.split("\n")
                    _check_folded_lines(lines, name, event)
                # Escapes such as "e\u0301" bypass the file-level NFC: normalise each value too.
                value = unicodedata.normalize("NFC", event.value)
                node = Scalar(loc, value, plain=not event.style and tag is None)  # libyaml: '', PyYAML: None
            elif isinstance(event, yaml.SequenceStartEvent):
                node = Sequence(loc)
            elif isinstance(event, yaml.MappingStartEvent):
                node = Mapping(loc)
            else:  # pragma: no cover - PyYAML has no other events
                continue
            if isinstance(node, (Sequence, Mapping)):
                if len(stack) >= MAX_DEPTH:
                    raise BookletError.at(
                        loc,
                        f"the YAML is nested more than {MAX_DEPTH} levels deep",
                        "a handout never needs this; check the indentation",
                    )
                stack.append(node)
                pending_key.append(None)
            else:
                root = _attach(stack, pending_key, node, root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mistake = _likely_mistake(text, name, mark.line if mark else text.count("\n"))
        raise (mistake or _syntax_error(exc, name, text)) from None
    except yaml.reader.ReaderError as exc:
        raise _bad_character(exc, name, text) from None
    except yaml.YAMLError as exc:
        raise BookletError.at(name, f"YAML syntax error: {exc}") from None
    if root is None:
        raise BookletError.at(name, "the file is empty", "write the handout in it, or pick another file")
    return root


def _attach(stack: list[Node], pending_key: list[Scalar | None], node: Node, root: Node | None) -> Node | None:
    if not stack:
        return node
    parent = stack[-1]
    if isinstance(parent, Sequence):
        parent.items.append(node)
    elif isinstance(parent, Mapping):
        key = pending_key[-1]
        if key is None:
            if not isinstance(node, Scalar):
                raise BookletError.at(node.loc, "a key must be a plain word, not a list or mapping")
            pending_key[-1] = node
        else:
            parent.items.append((key, node))
            pending_key[-1] = None
    return root


def _loc(name: str, event: yaml.Event) -> Loc:
    mark = event.start_mark
    return Loc(name, mark.line + 1, mark.column + 1)


def _bad_character(exc: yaml.reader.ReaderError, name: str, text: str) -> BookletError:
    """A control character YAML does not allow, pointed at by line and column."""
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    # libyaml reports a byte offset, PyYAML a character offset: find the character itself.
    position = max(text.find(chr(code)), 0)
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    return BookletError.at(
        Loc(name, line, col),
        f"the file contains the control character U+{code:04X}, which YAML does not allow",
        "delete it (it often comes from text copied out of another program)",
    )


def _too_deep(name: str, line_number: int, line: str) -> BookletError:
    depth = 1 if re.match(r"\s*[^\s\[{-]", line) else 0  # a `key:` line is already one level down
    column = 0
    for column, ch in enumerate(line):  # noqa: B007 - `column` is where the loop stopped
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                break
        elif ch in "]}":
            depth -= 1
    return BookletError.at(Loc(name, line_number + 1, column + 1),
                           f"the YAML is nested more than {MAX_DEPTH} levels deep",
                           "a handout never needs this; check the indentation")


def _syntax_error(exc: yaml.MarkedYAMLError, name: str, text: str) -> BookletError:
    mark = exc.problem_mark or exc.context_mark
    loc = Loc(name, mark.line + 1, mark.column + 1) if mark else Loc(name)
    problem = exc.problem or "cannot be read"
    hint = ""
    # Hints match the wording of both libyaml and PyYAML's own parser.
    line = text.split("\n")[mark.line] if mark and mark.line < text.count("\n") + 1 else ""
    at = line[mark.column] if mark and mark.column < len(line) else ""
    if "nesting depth" in problem and mark:
        # Newer libyaml stops very deep [ { nesting itself, before our own depth check sees it:
        # say the same thing, at the bracket where the limit is passed.
        return _too_deep(name, mark.line, line)
    if "\t" in line or "tab" in problem:
        hint = "YAML indentation must use spaces, not tabs: replace the tab with spaces"
    elif "mapping values are not allowed" in problem:
        hint = "text containing ': ' must be put in quotes, like \"Note: this\""
    elif any(s in problem for s in ("could not find expected ':'", "expected <block end>",
                                    "did not find expected key")):
        hint = "check that this line is indented like the lines around it"
    elif at in ("@", "`") or "found character '@'" in problem or "found character '`'" in problem:
        hint = "put text that starts with @ or ` in quotes"
    elif "found undefined alias" in problem or "found unexpected end" in problem:
        hint = "check for a missing quote or bracket"
    elif "while scanning a quoted scalar" in str(exc.context or ""):
        hint = "a quote was opened and never closed"
    elif "expected ',' or ']'" in problem:
        hint = "a [list] is not closed, or a comma is missing"
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.context not in problem:
        message += f" ({exc.context})"
    return BookletError.at(loc, message, hint)


# -- the author's mistake behind a syntax error -----------------------------------
# YAML reports where its parser gave up, which is often a line or more after the mistake
# (an unclosed quote runs on to the end of the file). For the common mistakes, a line that
# looks like one is offered as the cause only when correcting it lets the file parse further.

#: A line's value after its indentation, list dashes and `key:` (group 3: the opening quote).
_QUOTED_VALUE = re.compile(r"(\s*(?:-\s+)*)((?:[^\s\"'#\-\[{][^#]*?|-[^\s#][^#]*?):\s+)?([\"'])")
#: A `key:` line (not a list item): group 1 the indentation, group 2 the key.
_KEY_LINE = re.compile(r"( *)([^\s#\"'\-\[{|>][^#]*?|-[^\s#][^#]*?):(?:\s|\Z)")
#: A `key: value` line with its value on the same line: group 1 indentation and dashes, group 2 the key.
_KEY_AND_VALUE = re.compile(r"( *(?:- +)*)([^\s#\"'\-\[{|>][^#]*?|-[^\s#][^#]*?):[ \t]+[^\s#|>&!]")
#: A list dash with no space after it: `-Keep it dry`.
_DASH_NO_SPACE = re.compile(r"( *)-([^\s\-\d])")
#: At most this many suspect lines are tried (each is one re-parse of the file, on the error path only).
MAX_SUSPECTS = 40
#: ... and only in a file of a handout's size (a re-parse of 5 MB takes about 0.1 s).
MAX_SUSPECT_BYTES = 512 * 1024


def _likely_mistake(text: str, name: str, error_line: int) -> BookletError | None:
    """The author's mistake behind a YAML syntax error at 0-based `error_line`, when it is a common one."""
    if len(text) > MAX_SUSPECT_BYTES:
        return None
    lines = text.split("\n")
    tried = 0
    for number in range(min(error_line, len(lines) - 1) + 1):
        for col, message, hint, fixed in _suspects(lines, number):
            tried += 1
            if tried > MAX_SUSPECTS:
                return None
            if _parses_further(lines, number, fixed, error_line):
                return BookletError.at(Loc(name, number + 1, col + 1), message, hint)
    return None


def _suspects(lines: list[str], number: int) -> list[tuple[int, str, str, str]]:
    """(0-based column, message, hint, the line corrected) for each common mistake the line may hold."""
    line = lines[number]
    found = []
    quoted = _QUOTED_VALUE.match(line)
    closing = _closing_quote(line, quoted.end()) if quoted else None
    if quoted and closing is None:
        quote = quoted.group(3)
        fixed = line.rstrip() + quote
        found.append((quoted.start(3), f"the text that starts with {quote} here is never closed with another {quote}",
                      f"end the text with {quote} on the same line: {fixed.strip()}", fixed))
    elif quoted and closing is not None and line[closing + 1:].strip()[:1] not in ("", "#"):
        # `'What it's about'` or `"The "best" way"`: the quote inside the text ends it early.
        quote = quoted.group(3)
        other = "'" if quote == '"' else '"'
        inner = line[quoted.end():].rstrip()
        inner = inner[:-1] if inner.endswith(quote) else inner
        if other not in inner:
            fixed = line[:quoted.start(3)] + other + inner + other
            kind = "double" if other == '"' else "single"
            found.append((closing, f"the text in {quote} quotes ends at this {quote}, but more text follows it",
                          f"put the whole text in {kind} quotes: {fixed.strip()}", fixed))
    dash = _DASH_NO_SPACE.match(line)
    if dash:
        fixed = line[:dash.end(1) + 1] + " " + line[dash.end(1) + 1:]
        found.append((dash.end(1), "there is no space after the '-' that starts this list item",
                      f"put a space after the dash: {fixed.strip()}", fixed))
    key = _KEY_LINE.match(line)
    above = _previous_line(lines, number)
    sibling = _KEY_AND_VALUE.match(lines[above]) if key and above is not None else None
    if key and sibling and above is not None and len(key.group(1)) != len(sibling.group(1)):
        extra = len(key.group(1)) - len(sibling.group(1))
        spaces = f"{abs(extra)} space{'s' if abs(extra) != 1 else ''}"
        fixed = " " * len(sibling.group(1)) + line.lstrip(" ")
        this, other = f"'{key.group(2)}:'", f"'{sibling.group(2)}:'"
        found.append((0, f"{this} is indented {spaces} {'more' if extra > 0 else 'less'} than {other} "
                         f"on line {above + 1}",
                      f"{'remove' if extra > 0 else 'add'} {spaces} before {this} so that it starts in the same "
                      f"column as {other}", fixed))
    return found


def _closing_quote(line: str, start: int) -> int | None:
    """Where the quoted text opened just before `start` ends on this line, or None."""
    quote = line[start - 1]
    i = start
    while i < len(line):
        ch = line[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and line[i + 1:i + 2] == "'":  # '' is a quote inside single quotes
                i += 2
                continue
            return i
        i += 1
    return None


def _previous_line(lines: list[str], number: int) -> int | None:
    """The nearest line above `number` with something on it other than a comment."""
    for above in range(number - 1, -1, -1):
        stripped = lines[above].strip()
        if stripped and not stripped.startswith("#"):
            return above
    return None


def _parses_further(lines: list[str], number: int, fixed: str, error_line: int) -> bool:
    """Whether the file with line `number` corrected parses without error, or gets past `error_line`."""
    source = _EventSource("\n".join([*lines[:number], fixed, *lines[number + 1:]]))
    try:
        while not isinstance(source.get_event(), yaml.StreamEndEvent):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark is not None and mark.line > error_line
    except yaml.YAMLError:
        return False
    return True


def _check_folded_lines(lines: list[str], name: str, event: yaml.ScalarEvent) -> None:
    """A plain text over several lines in which a line looks like a list item: the author meant a list.

    `-one` then `- two` under `summary:` is read as the one text "-one - two": no error from YAML,
    and a list item lost without a word."""
    first, last = event.start_mark.line, min(event.end_mark.line, len(lines) - 1)
    start_col = event.start_mark.column
    if _DASH_NO_SPACE.match(" " * start_col + lines[first][start_col:]) and any(
            lines[n].lstrip().startswith("-") for n in range(first + 1, last + 1)):
        fixed = lines[first][:start_col + 1] + " " + lines[first][start_col + 1:]
        raise BookletError.at(Loc(name, first + 1, start_col + 1),
                              "there is no space after the '-' that starts this list item",
                              f"put a space after the dash: {fixed.strip()}")
    for n in range(first + 1, last + 1):
        stripped = lines[n].lstrip()
        if stripped.startswith("- "):
            col = len(lines[n]) - len(stripped)
            raise BookletError.at(Loc(name, n + 1, col + 1),
                                  "this line is read as more of the text above, not as a new list item, "
                                  "because it is indented more than the '-' of the item above",
                                  "start its '-' in the same column as the '-' above")
        dash = _DASH_NO_SPACE.match(lines[n])
        if dash:
            fixed = lines[n][:dash.end(1) + 1] + " " + lines[n][dash.end(1) + 1:]
            raise BookletError.at(Loc(name, n + 1, dash.end(1) + 1),
                                  "there is no space after the '-' that starts this list item",
                                  f"put a space after the dash: {fixed.strip()}")


def load(path: Path, label: str | None = None, *, data: bytes | None = None) -> Node:
    """Read and parse a YAML file into nodes; `data`: its bytes, read elsewhere (standard input)."""
    name = label or str(path)
    if data is None:
        return parse(read_text(path, name), name)
    if len(data) > MAX_FILE_BYTES:
        raise BookletError.at(name, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                              "a handout is text; split it or take out embedded data")
    return parse(decode(data, name), name)
