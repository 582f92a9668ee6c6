"""Turns the author's text into safe ReportLab paragraph markup.

Every character the author typed is escaped; only the content format's own
`**bold**` and `*italic*` become tags, and `{{ placeholder }}` values are
inserted as escaped plain text. Nothing from the input can ever form a tag.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}|\*\*|\*")
#: Anything between {{ and }} (validation names the ones that are not valid placeholders).
_PLACEHOLDER_ANY = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

#: Web addresses, e-mail addresses and phone numbers: printed whole, never broken inside.
_URL = r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'\u2019\u201d]"  # not ending in punctuation or quotes
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
#: Digit groups joined by single spaces or hyphens, 6 digits or more in all (0207 946 0123, +44 20 7946 0123).
_PHONE = r"(?<![\w+])\+?(?:\(\d{1,5}\)|\d{1,5})(?:[ \u00a0-]\(?\d{1,5}\)?)+(?![\w])"
ADDRESS = re.compile(f"{_URL}|{_EMAIL}|{_PHONE}")
NBSP = "\u00a0"


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """`xml.sax.saxutils.escape`: &, < and > as entities, then each of `entities` (e.g. {'"': "&quot;"}).

    Written out (three replacements) because importing xml.sax.saxutils imports urllib.request, and with it
    http.client, email, socket and ssl, which a build (it never opens a URL) does not otherwise import."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


def unescape(markup: str) -> str:
    """`xml.sax.saxutils.unescape`: the text `escape` made markup of (&lt;, &gt;, then &amp;)."""
    return markup.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


#: A decimal digit, as `\d` in ADDRESS's phone numbers matches it.
_DIGIT = re.compile(r"\d")


def address_spans(text: str) -> list[tuple[int, int]]:
    """Where the web addresses, e-mail addresses and phone numbers are in plain text: (start, end) offsets."""
    web = "://" in text or "www." in text
    email = "@" in text
    if not web and not email and len(_DIGIT.findall(text)) < 6:
        return []  # only phone numbers could match, and none has its 6 digits (most paragraphs)
    return [m.span() for m in _address_search(web, email).finditer(text) if _is_address(m.group(0))]


@functools.cache
def _address_search(web: bool, email: bool) -> re.Pattern[str]:
    """ADDRESS without the alternatives that cannot match a text: a web address needs `://` or `www.`, an
    e-mail address `@`. Tried at every character they are most of the search's time (the e-mail one scans
    each word to its end from each of its letters), and one that never matches changes nothing it finds."""
    return re.compile("|".join([*([_URL] if web else []), *([_EMAIL] if email else []), _PHONE]))


def addresses(text: str) -> list[str]:
    """The web addresses, e-mail addresses and phone numbers in plain text, as printed (spaces kept)."""
    return [text[start:end] for start, end in address_spans(text)]


def _is_address(token: str) -> bool:
    if "@" in token or "://" in token or token.startswith("www."):
        return True
    return sum(ch.isdigit() for ch in token) >= 6 and " " in token.replace(NBSP, " ")


def keep_whole(text: str) -> str:
    """Spaces inside a phone number become no-break spaces, so the number is never split over two lines."""
    if not _DIGIT.search(text):  # no phone number (and web and e-mail addresses have no spaces)
        return text
    return rewrite_addresses(text, lambda address: address.replace(" ", NBSP), lambda between: between)


#: Texts remembered per process by `markup`, `plain` and `with_links` (pure functions of their text): a personalised
#: batch composes the same handout for every row, and most of its texts have no placeholder.
MEMO_SIZE = 4096


def markup(text: str, values: dict[str, str] | None = None, emphasis: str = "italic") -> str:
    """Paragraph markup for `text`: escaped, with bold/italic tags and placeholders filled.

    With emphasis "bold" (large print has no italics) `*italic*` is drawn bold.
    """
    if "{{" not in text:  # no placeholder: the same markup whatever the values
        return _markup_without_values(text, emphasis)
    return _markup(text, values or {}, emphasis)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _markup_without_values(text: str, emphasis: str) -> str:
    return _markup(text, {}, emphasis)


def _markup(text: str, values: dict[str, str], emphasis: str) -> str:
    if "*" not in text and "{{" not in text:  # one run of text (most texts): no tag to open or close
        return escape(keep_whole(text)).replace("\n", "<br/>") if text else ""
    return _markup_runs(text, values, emphasis)


def _markup_runs(text: str, values: dict[str, str], emphasis: str) -> str:
    out: list[str] = []
    bold = italic = False
    for kind, value, _ in _paired(text, values):
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
    if "{{" not in text:  # no placeholder: the same text whatever the values
        return _plain_without_values(text)
    return _plain(text, values or {})


@functools.lru_cache(maxsize=MEMO_SIZE)
def _plain_without_values(text: str) -> str:
    return _plain(text, {})  # (asked for more than once a text: for its paragraph, its column's widest word, ...)


def _plain(text: str, values: dict[str, str]) -> str:
    if "*" not in text and "{{" not in text:  # no mark and no placeholder: the text as it is
        return text
    return _plain_runs(text, values)


def _plain_runs(text: str, values: dict[str, str]) -> str:
    return "".join(value for kind, value, _ in _paired(text, values) if kind == "text")


def _paired(text: str, values: dict[str, str]) -> list[tuple[str, str, int]]:
    """`_tokens` with the emphasis marks paired (`_pair`): text runs, and the marks that open or close emphasis."""
    tokens = _tokens(text, values)
    _pair(tokens, "**")
    _pair(tokens, "*")
    return tokens


def _tokens(text: str, values: dict[str, str]) -> list[tuple[str, str, int]]:
    """(kind, value, offset): text runs, and the emphasis marks still to be paired ('?**', '?*') with the
    characters just before and after them as their value."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            tokens.append(("text", text[pos:match.start()], pos))
        name = match.group(1)
        if name is not None:
            tokens.append(("text", values.get(name, match.group(0)), match.start()))
        else:
            before = text[match.start() - 1] if match.start() else " "
            after = text[match.end()] if match.end() < len(text) else " "
            tokens.append(("?" + match.group(0), before + after, match.start()))
        pos = match.end()
    if pos < len(text):
        tokens.append(("text", text[pos:], pos))
    return tokens


def _pair(tokens: list[tuple[str, str, int]], mark: str) -> list[tuple[int, bool]]:
    """Turn matched emphasis marks into tokens of their own; unmatched ones stay text.

    Returns the unmatched marks as (index, opening): `opening` when the mark was followed by a
    character that is not a space (it would have started emphasis), else it could only have closed it.
    """
    unmatched: list[tuple[int, bool]] = []
    opener: int | None = None
    for i, (kind, around, offset) in enumerate(tokens):
        if kind != "?" + mark:
            continue
        before, after = around[0], around[1]
        # A pair must enclose something: '****' is four asterisks, not an empty bold.
        if opener is not None and not before.isspace() and i - opener > 1:
            tokens[opener] = (mark, "", tokens[opener][2])
            tokens[i] = (mark, "", offset)
            opener = None
        elif not after.isspace():
            if opener is not None:
                tokens[opener] = ("text", mark, tokens[opener][2])
                unmatched.append((opener, True))
            opener = i
        else:
            tokens[i] = ("text", mark, offset)
            unmatched.append((i, False))
    if opener is not None:
        tokens[opener] = ("text", mark, tokens[opener][2])
        unmatched.append((opener, True))
    if mark == "*":  # anything still unresolved is literal text
        for i, (kind, _, offset) in enumerate(tokens):
            if kind.startswith("?"):
                tokens[i] = ("text", kind[1:], offset)
    return unmatched


@dataclass(frozen=True)
class Unbalanced:
    """A formatting mark without its partner: `**`, `*`, `{{` or `}}` at `offset` in the text."""

    offset: int
    mark: str
    opening: bool  # True: it opens (bold, italic, a placeholder) and is never closed


#: Characters after which a lone `*` or `**` does not touch a word: punctuation that ends a phrase.
_ENDS_PHRASE = frozenset(".,;:!?)]}\u2019\u201d")


def unbalanced(text: str) -> list[Unbalanced]:
    """The marks in the author's text that have no partner and touch a word, in order.

    These would print as literal asterisks or braces where the author meant formatting
    (`**do not rub it.`, `{{ surgery_date }`). Literal asterisks that are clearly meant are
    not reported: one with a space (or nothing) on both sides (`5 * 3`, `***`), a run of four
    or more (`****`), one between letters or digits (`2*3`), and a single `*` at the end of a
    word (a footnote mark: `Costs*`). See "Formatting marks" in the README.
    """
    if "*" not in text and "{" not in text and "}" not in text:
        return []  # no mark to pair (most texts): nothing to look for
    return _unbalanced_marks(text)


def _unbalanced_marks(text: str) -> list[Unbalanced]:
    found: list[Unbalanced] = []
    covered = [m.span() for m in _PLACEHOLDER_ANY.finditer(text)]
    for brace in re.finditer(r"\{\{|\}\}", text):
        if not any(start <= brace.start() < end for start, end in covered):
            found.append(Unbalanced(brace.start(), brace.group(0), brace.group(0) == "{{"))
    tokens = _tokens(text, {})
    for mark in ("**", "*"):
        for index, opening in _pair(tokens, mark):
            offset = tokens[index][2]
            start, end = offset, offset + len(mark)
            while start > 0 and text[start - 1] == "*":
                start -= 1
            while end < len(text) and text[end] == "*":
                end += 1
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if (before.isspace() and (after.isspace() or after in _ENDS_PHRASE)) or end - start >= 4:
                continue  # a literal run of asterisks: '5 * 3', '***', '****'
            if opening:
                if after in _ENDS_PHRASE:
                    continue  # '(*)' touches no word on its right
                if mark == "*" and text[offset - 1:offset].isalnum():
                    continue  # '2*3': between letters or digits
            elif mark == "*":
                continue  # 'Costs*': a footnote mark at the end of a word
            found.append(Unbalanced(offset, mark, opening))
    return sorted(found, key=lambda u: u.offset)


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


#: A tag in paragraph markup (everything else in markup is escaped text).
_MARKUP_TAG = re.compile(r"<[^>]*>")


@functools.lru_cache(maxsize=MEMO_SIZE)
def with_links(markup: str) -> str:
    """Paragraph markup (from `markup` or `escape_text`) with each web address, e-mail address and phone
    number in its text made a link: `<a href="TARGET">address</a>`.

    The target is built here from the address as matched in the unescaped text, never taken from the
    author's markup: `https:` for web addresses (`www.` ones get `https://`), `mailto:` for e-mail
    addresses, and `tel:` with only the digits and `+` of a phone number; it is escaped for the attribute.
    An address interrupted by a tag (`**bold**` inside it) stays plain text.
    """
    out: list[str] = []
    pos = 0
    for tag in [*_MARKUP_TAG.finditer(markup), None]:
        end = tag.start() if tag is not None else len(markup)
        out.append(_linked(unescape(markup[pos:end])) if end > pos else "")
        if tag is not None:
            out.append(tag.group(0))
            pos = tag.end()
    return "".join(out)


def _linked(text: str) -> str:
    """Plain text as escaped markup, its addresses as links."""
    return rewrite_addresses(text, lambda address: f'<a href="{escape(link_target(address), {chr(34): "&quot;"})}">'
                         f"{escape(address)}</a>", escape)


def rewrite_addresses(text: str, address: Callable[[str], str], between: Callable[[str], str]) -> str:
    """The text with each address (see `address_spans`) and each stretch between them rewritten."""
    out: list[str] = []
    pos = 0
    for start, end in address_spans(text):
        out += [between(text[pos:start]), address(text[start:end])]
        pos = end
    out.append(between(text[pos:]))
    return "".join(out)


def link_target(address: str) -> str:
    """Where a printed address leads: a web address itself (`www.` with `https://`), `mailto:` an e-mail
    address, `tel:` a phone number's digits (ASCII) and `+`."""
    import unicodedata

    if "://" in address:
        return address
    if address.startswith("www."):
        return "https://" + address
    if "@" in address:
        return "mailto:" + address
    return "tel:" + "".join("+" if ch == "+" else str(unicodedata.decimal(ch)) for ch in address
                            if ch == "+" or ch.isdecimal())


def runs(text: str, values: dict[str, str] | None = None) -> list[tuple[str, bool, bool]]:
    """The author's text as (plain text, bold, italic) runs: placeholders filled, the content format's own
    marks turned into the flags and dropped, everything else kept as typed (for outputs other than paragraph
    markup, such as booklet.html, which escape it their own way)."""
    out: list[tuple[str, bool, bool]] = []
    bold = italic = False
    for kind, value, _ in _paired(text, values or {}):
        if kind == "text":
            if out and out[-1][1:] == (bold, italic):
                out[-1] = (out[-1][0] + value, bold, italic)
            elif value:
                out.append((value, bold, italic))
        elif kind == "**":
            bold = not bold
        else:
            italic = not italic
    return out

