"""Turns the author's text into safe ReportLab paragraph markup.

Every character the author typed is escaped; only the content format's own
`**bold**` and `*italic*` become tags, and `{{ placeholder }}` values are
inserted as escaped plain text. Nothing from the input can ever form a tag.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_TOKEN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}|\*\*|\*")

#: Web addresses, e-mail addresses and phone numbers: printed whole, never broken inside.
_URL = r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'\u2019\u201d]"  # not ending in punctuation or quotes
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
#: Digit groups joined by single spaces or hyphens, 6 digits or more in all (0207 946 0123, +44 20 7946 0123).
_PHONE = r"(?<![\w+])\+?(?:\(\d{1,5}\)|\d{1,5})(?:[ \u00a0-]\(?\d{1,5}\)?)+(?![\w])"
ADDRESS = re.compile(f"{_URL}|{_EMAIL}|{_PHONE}")
NBSP = "\u00a0"


def addresses(text: str) -> list[str]:
    """The web addresses, e-mail addresses and phone numbers in plain text, as printed (spaces kept)."""
    return [m.group(0) for m in ADDRESS.finditer(text) if _is_address(m.group(0))]


def _is_address(token: str) -> bool:
    if "@" in token or "://" in token or token.startswith("www."):
        return True
    return sum(ch.isdigit() for ch in token) >= 6 and " " in token.replace(NBSP, " ")


def keep_whole(text: str) -> str:
    """Spaces inside a phone number become no-break spaces, so the number is never split over two lines."""
    if not any(ch.isdigit() for ch in text):
        return text
    return ADDRESS.sub(lambda m: m.group(0).replace(" ", NBSP) if _is_address(m.group(0)) else m.group(0), text)


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
            out.append(escape(keep_whole(value)))
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


_BOLD, _END_BOLD = "<b>", "</b>"


def _open(bold: bool, italic: bool, emphasis: str) -> str:
    if emphasis == "bold":
        return _BOLD if bold or italic else ""
    return (_BOLD if bold else "") + ("<i>" if italic else "")


def _close(bold: bool, italic: bool, emphasis: str) -> str:
    if emphasis == "bold":
        return _END_BOLD if bold or italic else ""
    return ("</i>" if italic else "") + (_END_BOLD if bold else "")


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


def no_hyphens_in_bold(markup: str) -> str:
    """Bold terms never hyphenated, in a layout that hyphenates running text: ReportLab's `<nobr>`
    turns hyphenation off for the words inside it and changes nothing else."""
    return markup.replace("<b>", "<b><nobr>").replace("</b>", "</nobr></b>")


def escape_text(text: str) -> str:
    """Layout words and clinic text: escaped, no emphasis marks, line breaks kept, phone numbers kept whole."""
    return escape(keep_whole(text)).replace("\n", "<br/>")


def fill_plain(text: str, values: dict[str, str]) -> str:
    """Placeholders filled, nothing else changed (for URLs)."""
    return _TOKEN.sub(lambda mt: values.get(mt.group(1), mt.group(0)) if mt.group(1) else mt.group(0), text)
