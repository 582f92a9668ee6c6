"""Turns the author's text into safe ReportLab paragraph markup.

Every character the author typed is escaped; only the content format's own
`**bold**` and `*italic*` become tags, and `{{ placeholder }}` values are
inserted as escaped plain text. Nothing from the input can ever form a tag.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_TOKEN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}|\*\*|\*")


def markup(text: str, values: dict[str, str] | None = None, emphasis: str = "italic") -> str:
    """Paragraph markup for `text`: escaped, with bold/italic tags and placeholders filled.

    With emphasis "bold" (large print has no italics) `*italic*` is drawn bold.
    """
    tokens = _tokens(text, values or {})
    _pair(tokens, "**")
    _pair(tokens, "*")
    out: list[str] = []
    bold = italic = False
    for kind, value in tokens:
        if kind == "text":
            out.append(escape(value))
            continue
        # Close what is open and reopen in the new state: always well nested.
        out.append(_close(bold, italic, emphasis))
        if kind == "**":
            bold = not bold
        else:
            italic = not italic
        out.append(_open(bold, italic, emphasis))
    out.append(_close(bold, italic, emphasis))
    return "".join(out).replace("\n", "<br/>")


def _open(bold: bool, italic: bool, emphasis: str) -> str:
    if emphasis == "bold":
        return "<b>" if bold or italic else ""
    return ("<b>" if bold else "") + ("<i>" if italic else "")


def _close(bold: bool, italic: bool, emphasis: str) -> str:
    if emphasis == "bold":
        return "</b>" if bold or italic else ""
    return ("</i>" if italic else "") + ("</b>" if bold else "")


def plain(text: str, values: dict[str, str] | None = None) -> str:
    """The text as a reader sees it: marks removed, placeholders filled (for bookmarks, metadata)."""
    tokens = _tokens(text, values or {})
    _pair(tokens, "**")
    _pair(tokens, "*")
    return "".join(value for kind, value in tokens if kind == "text")


def _tokens(text: str, values: dict[str, str]) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            tokens.append(("text", text[pos:match.start()]))
        name = match.group(1)
        if name is not None:
            tokens.append(("text", values.get(name, match.group(0))))
        else:
            before = text[match.start() - 1] if match.start() else " "
            after = text[match.end()] if match.end() < len(text) else " "
            tokens.append(("?" + match.group(0), before + after))
        pos = match.end()
    if pos < len(text):
        tokens.append(("text", text[pos:]))
    return tokens


def _pair(tokens: list[tuple[str, str]], mark: str) -> None:
    """Turn matched emphasis marks into tokens of their own; unmatched ones stay text."""
    opener: int | None = None
    for i, (kind, around) in enumerate(tokens):
        if kind != "?" + mark:
            continue
        before, after = around[0], around[1]
        # A pair must enclose something: '****' is four asterisks, not an empty bold.
        if opener is not None and not before.isspace() and i - opener > 1:
            tokens[opener] = (mark, "")
            tokens[i] = (mark, "")
            opener = None
        elif not after.isspace():
            if opener is not None:
                tokens[opener] = ("text", mark)
            opener = i
        else:
            tokens[i] = ("text", mark)
    if opener is not None:
        tokens[opener] = ("text", mark)
    if mark == "*":  # anything still unresolved is literal text
        for i, (kind, _) in enumerate(tokens):
            if kind.startswith("?"):
                tokens[i] = ("text", kind[1:])


def escape_text(text: str) -> str:
    """Layout words and clinic text: escaped, no emphasis marks, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


def fill_plain(text: str, values: dict[str, str]) -> str:
    """Placeholders filled, nothing else changed (for URLs)."""
    return _TOKEN.sub(lambda mt: values.get(mt.group(1), mt.group(0)) if mt.group(1) else mt.group(0), text)
