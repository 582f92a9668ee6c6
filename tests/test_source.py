"""Reading YAML safely: booklet.source turns bytes into positioned nodes or one clear error."""

from __future__ import annotations

import codecs
import time
import unicodedata
from pathlib import Path

import pytest

from booklet.errors import BookletError, Loc
from booklet.source import MAX_DEPTH, MAX_FILE_BYTES, Mapping, Scalar, Sequence, load, parse

SAVE_AS = "  hint: save it from your editor as 'UTF-8' text (in Word: Save As > Plain Text > UTF-8)"


def write_bytes(tmp_path: Path, data: bytes, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(BookletError) as info:
        load(path)
    return str(info.value)


def value(node: Mapping, key: str):  # type: ignore[no-untyped-def]
    for k, v in node.items:
        if k.text == key:
            return v
    raise KeyError(key)


# -- refused constructs, with the exact message and position ---------------------
REFUSED = [
    pytest.param(
        "title: &t Hello\nsubtitle: *t\n",
        "{p}:1:8: error: YAML anchors (&t) are not allowed in a handout\n"
        "  hint: remove the '&' name; write repeated text out in full",
        id="anchor",
    ),
    pytest.param(
        "title: Hello\nsubtitle: *t\n",
        "{p}:2:11: error: YAML aliases (*t) are not allowed in a handout\n"
        "  hint: write the text out in full where it is needed",
        id="alias",
    ),
    pytest.param(
        "title: !!python/object/apply:os.system [ls]\n",
        "{p}:1:8: error: YAML tags such as '!!python/object/apply:os.system' are not allowed\n"
        "  hint: remove the '!' tag",
        id="python-tag",
    ),
    pytest.param(
        "version: !!float 1.10\n",
        "{p}:1:10: error: YAML tags such as '!!float' are not allowed\n  hint: remove the '!' tag",
        id="float-tag",
    ),
    pytest.param(
        "title: !local x\n",
        "{p}:1:8: error: YAML tags such as '!local' are not allowed\n  hint: remove the '!' tag",
        id="local-tag",
    ),
    pytest.param(
        "title: One\n---\ntitle: Two\n",
        "{p}:2:1: error: the file holds more than one YAML document\n  hint: remove the '---' line",
        id="two-documents",
    ),
    pytest.param(
        "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
        # the top-level mapping is the first level, so the (MAX_DEPTH - 1)th bracket is one too many
        f"{{p}}:1:{3 + MAX_DEPTH}: error: the YAML is nested more than {MAX_DEPTH} levels deep\n"
        "  hint: a handout never needs this; check the indentation",
        id="deep-flow",
    ),
    pytest.param(
        "sections:\n\t- heading: x\n",
        "{p}:2:1: error: YAML syntax error: found character that cannot start any token "
        "(while scanning for the next token)\n"
        "  hint: YAML indentation must use spaces, not tabs: replace the tab with spaces",
        id="tab-indent",
    ),
    pytest.param(
        "title: Hello\nsubtitle: Note: this\n",
        "{p}:2:15: error: YAML syntax error: mapping values are not allowed in this context\n"
        "  hint: text containing ': ' must be put in quotes, like \"Note: this\"",
        id="colon-in-text",
    ),
    pytest.param(
        'title: "Hello\nsubtitle: x\n',
        "{p}:1:8: error: the text that starts with \" here is never closed with another \"\n"
        "  hint: end the text with \" on the same line: title: \"Hello\"",
        id="unclosed-quote",
    ),
    pytest.param(
        "title: ok\nsubtitle: caf\u00e9\x1b\n",
        "{p}:2:15: error: the file contains the control character U+001B, which YAML does not allow\n"
        "  hint: delete it (it often comes from text copied out of another program)",
        id="control-character",
    ),
    pytest.param(
        "[a]: b\n",
        "{p}:1:1: error: a key must be a plain word, not a list or mapping",
        id="list-as-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), REFUSED)
def test_refused_with_exact_message(tmp_path: Path, text: str, expected: str) -> None:
    path = write_bytes(tmp_path, text.encode("utf-8"))
    assert error_of(path) == expected.format(p=path)


def test_deep_block_nesting_is_refused_at_its_line(tmp_path: Path) -> None:
    lines = [" " * (2 * i) + f"k{i}:" for i in range(MAX_DEPTH + 2)] + [" " * (2 * MAX_DEPTH + 4) + "leaf"]
    path = write_bytes(tmp_path, ("\n".join(lines) + "\n").encode())
    message = error_of(path)
    assert message.startswith(f"{path}:{MAX_DEPTH + 1}:")
    assert f"nested more than {MAX_DEPTH} levels deep" in message


def test_nesting_the_format_needs_is_accepted() -> None:
    # handout > sections > section > body > table block > table > rows > row: 8 levels
    text = "sections:\n- body:\n  - table:\n      rows:\n      - [a, b]\n"
    root = parse(text, "ok.yaml")
    assert isinstance(root, Mapping)


def test_billion_laughs_is_refused_at_the_first_anchor_and_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = write_bytes(tmp_path, ("\n".join(lines) + "\n").encode())
    start = time.perf_counter()
    message = error_of(path)
    assert time.perf_counter() - start < 1
    assert message.startswith(f"{path}:1:4: error: YAML anchors (&a) are not allowed in a handout")


# -- size ------------------------------------------------------------------------
def test_file_over_5_mb_is_refused(tmp_path: Path) -> None:
    line = b"# " + b"x" * 1022 + b"\n"
    path = write_bytes(tmp_path, b"title: big\n" + line * (MAX_FILE_BYTES // len(line) + 1))
    assert error_of(path) == (f"{path}: error: the file is larger than 5 MB\n"
                              "  hint: a handout is text; split it or take out embedded data")


def test_file_of_exactly_the_limit_is_read_quickly(tmp_path: Path) -> None:
    head = b"title: big\nitems:\n"
    item = b"  - " + b"word " * 40 + b"\n"
    count = (MAX_FILE_BYTES - len(head)) // len(item)
    tail = MAX_FILE_BYTES - len(head) - count * len(item)
    path = write_bytes(tmp_path, head + item * count + b"#" * (tail - 1) + b"\n" if tail else head + item * count)
    assert MAX_FILE_BYTES == 5 * 1024 * 1024
    assert path.stat().st_size == MAX_FILE_BYTES
    start = time.perf_counter()
    root = load(path)
    assert time.perf_counter() - start < 2  # libyaml's parser: about 0.1 s (PyYAML's own takes ~4 s)
    assert len(value(root, "items").items) == count


# -- empty, binary, encodings ------------------------------------------------------
EMPTY = "  hint: write the handout in it, or pick another file"


@pytest.mark.parametrize("data", [b"", b"   \n\n\t\n  ", b"\xef\xbb\xbf", b"\r\n\r\n", b"# only a comment\n"],
                         ids=["empty", "whitespace", "bom-only", "crlf-only", "comment-only"])
def test_empty_files(tmp_path: Path, data: bytes) -> None:
    path = write_bytes(tmp_path, data)
    assert error_of(path) == f"{path}: error: the file is empty\n{EMPTY}"


def test_nul_bytes(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"title: x\nsubtitle: a\x00b\n")
    assert error_of(path) == f"{path}:2:1: error: the file contains NUL bytes: it is not a text file\n{SAVE_AS}"


def test_binary_file_is_refused_as_not_text(tmp_path: Path) -> None:
    png = (Path(__file__).resolve().parent.parent / "content" / "clinics" / "riverside" / "logo.png").read_bytes()
    path = write_bytes(tmp_path, png)
    message = error_of(path)
    assert message.startswith(f"{path}:1:")
    assert "not UTF-8 text (or is not a text file)" in message or "NUL bytes" in message


@pytest.mark.parametrize(("data", "loc"), [
    (b"title: x\nsubtitle: caf\xe9\n", "2:14"),          # Latin-1 e-acute
    ("title: \u00e9\u00e9".encode() + b"\xff\n", "1:10"),  # columns count characters, not bytes
    (b"\x80title: x\n", "1:1"),
])
def test_invalid_utf8_names_line_and_column(tmp_path: Path, data: bytes, loc: str) -> None:
    path = write_bytes(tmp_path, data)
    assert error_of(path) == f"{path}:{loc}: error: the file is not UTF-8 text (or is not a text file)\n{SAVE_AS}"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, codec: str) -> None:
    text = "title: Vi\u1ec7t Nam\nsubtitle: \u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435\n"
    bom = {"utf-16": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec]
    root = load(write_bytes(tmp_path, bom + text.encode(codec)))
    assert value(root, "title").text == "Vi\u1ec7t Nam"
    assert value(root, "subtitle").text == "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435"
    assert value(root, "subtitle").loc.line == 2


def test_broken_utf16_is_refused(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, codecs.BOM_UTF16_LE + "title: x".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    assert error_of(path) == f"{path}: error: the file says it is UTF-16 but is not valid UTF-16\n{SAVE_AS}"


def test_utf8_bom_is_skipped(tmp_path: Path) -> None:
    root = load(write_bytes(tmp_path, codecs.BOM_UTF8 + b"title: x\n"))
    assert isinstance(root, Mapping)
    key, _ = root.items[0]
    assert key.text == "title"
    assert key.loc == Loc(str(tmp_path / "in.yaml"), 1, 1)


def test_crlf_line_ends(tmp_path: Path) -> None:
    root = load(write_bytes(tmp_path, b"title: x\r\naddress: |\r\n  Line one\r\n  Line two\r\n"))
    address = value(root, "address")
    assert address.text == "Line one\nLine two\n"
    assert address.loc.line == 2


def test_nfd_text_becomes_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Vi\u1ec7t Nam, \u0142\u00f3d\u017a, \u00e9t\u00e9")
    assert nfd != unicodedata.normalize("NFC", nfd)
    root = load(write_bytes(tmp_path, f"title: {nfd}\n".encode()))
    assert value(root, "title").text == unicodedata.normalize("NFC", nfd)


def test_nfd_written_as_escapes_becomes_nfc_too(tmp_path: Path) -> None:
    root = load(write_bytes(tmp_path, b'title: "Vie\\u0323\\u0302t"\n'))
    assert value(root, "title").text == "Vi\u1ec7t"


# -- scalars keep what the author typed --------------------------------------------
def test_scalars_stay_text(tmp_path: Path) -> None:
    root = load(write_bytes(tmp_path, b"a: no\nb: 1.10\nc: 12:30\nd: yes\ne: 0x1F\nf: 1e3\ng: 2026-05-17\nh: ~\n"
                                      b"i: 'null'\nj: 007\n"))
    got = {k.text: (v.text, v.plain) for k, v in root.items}
    assert got == {
        "a": ("no", True), "b": ("1.10", True), "c": ("12:30", True), "d": ("yes", True), "e": ("0x1F", True),
        "f": ("1e3", True), "g": ("2026-05-17", True), "h": ("~", True), "i": ("null", False), "j": ("007", True),
    }
    assert value(root, "h").is_null
    assert not value(root, "i").is_null


def test_duplicate_keys_are_kept_for_validation_to_report(tmp_path: Path) -> None:
    root = load(write_bytes(tmp_path, b"title: one\ntitle: two\n"))
    assert [(k.text, v.text, k.loc.line) for k, v in root.items] == [("title", "one", 1), ("title", "two", 2)]


def test_every_node_knows_its_position(tmp_path: Path) -> None:
    root = load(write_bytes(tmp_path, b"sections:\n  - heading: H\n    body:\n      - Para\n      - [a, b]\n"))
    sections = value(root, "sections")
    assert isinstance(sections, Sequence)
    section = sections.items[0]
    assert section.loc.line == 2
    assert section.loc.col == 5
    body = value(section, "body")
    para, flow = body.items
    assert isinstance(para, Scalar)
    assert (para.text, para.loc.line, para.loc.col) == ("Para", 4, 9)
    assert isinstance(flow, Sequence)
    assert [(i.text, i.loc.col) for i in flow.items] == [("a", 10), ("b", 13)]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml") == (f"{tmp_path / 'nope.yaml'}: error: file not found\n"
                                                "  hint: check the file name and folder")
    assert error_of(tmp_path) == f"{tmp_path}: error: this is a folder, not a YAML file"
