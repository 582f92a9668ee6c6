"""Shared test fixtures and helpers. Names here are stable: other test files rely on them.

Fixtures
--------
``write_yaml`` (function scope)
    Factory ``write_yaml(text, name="handout.yaml") -> Path``: writes the
    dedented ``text`` as UTF-8 into ``tmp_path / name`` (creating folders) and
    returns the path.
``pdf_text`` (session scope)
    ``pdf_text(path_or_bytes, pages=None) -> str``: the PDF's text extracted with
    pypdf, NFKC-normalised, words broken by a line-end hyphen joined, and runs
    of whitespace collapsed to one space. ``pages`` is an iterable of 0-based
    page indexes (default: all pages). Also importable as ``conftest.extract_text``.
``page_texts`` (session scope)
    ``page_texts(path_or_bytes) -> list[str]``: the same normalised text, one
    string per page.
``run_cli`` (session scope)
    ``run_cli(*args, input=None, env=None) -> (exit_code, stdout, stderr)``: runs
    ``booklet.cli.main`` in-process with click's ``CliRunner`` (stderr kept
    separate, click >= 8.2). An exception other than ``SystemExit`` is a bug
    and is re-raised with its traceback, so tests fail loudly on it.
``pdf_fonts`` (session scope)
    ``pdf_fonts(path_or_bytes) -> list[FontInfo]``: every font dictionary in the
    file (pages, form XObjects, annotations, descendants of Type0 fonts), as
    ``FontInfo(base_font, subtype, embedded)``; ``embedded`` is true when the
    font (or its descendant) has a FontFile, FontFile2 or FontFile3 stream.

Helpers (plain functions, import with ``from conftest import ...``)
--------------------------------------------------------------------
``without_footers(pages, page_word="Page")``: page texts joined without the running footers.
``squash(text)``: text reduced for robust matching (NFKC, no whitespace, no hyphens).
``missing_words(texts, extracted)``: for each text, its words must occur in
order in ``extracted`` (each word close after the previous one); returns a list
of ``(text, word)`` for the first word of each text that was not found.
``printed_texts(handout, clinic=None, values=None)``: every text of the model a reader
sees printed (as ``booklet.text.plain`` gives it), block by block; image alt text,
which is not printed, is left out.
``page_chars(path)``: every character with size and box, page by page (pdfplumber, cached).
``STANDARD_14``: base names of PDF's standard-14 fonts.
"""

from __future__ import annotations

import functools
import io
import os
import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CONTENT = ROOT / "content"
EXAMPLE = CONTENT / "metastatic-breast-cancer.yaml"
RIVERSIDE = CONTENT / "clinics" / "riverside" / "clinic.yaml"
FONT_FILE = ROOT / "booklet" / "fonts" / "DejaVuSans.ttf"

STANDARD_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")

_HYPHENS = "\\-\u00ad\u2010\u2011"  # for use inside a [] character class
_SQUASH = re.compile(r"[\s" + _HYPHENS + r"]+")


# -- text ----------------------------------------------------------------------
def _reader(source: Path | str | bytes):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    if isinstance(source, (bytes, bytearray)):
        return PdfReader(io.BytesIO(source))
    return PdfReader(str(source))


def normalise(text: str) -> str:
    """NFKC, line-end hyphens joined, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(\w)[" + _HYPHENS + r"][ \t]*\n\s*(?=\w)", r"\1", text)
    return " ".join(text.split())


def page_texts_of(source: Path | str | bytes) -> list[str]:
    return [normalise(page.extract_text() or "") for page in _reader(source).pages]


def extract_text(source: Path | str | bytes, pages: Iterable[int] | None = None) -> str:
    reader = _reader(source)
    chosen = range(len(reader.pages)) if pages is None else pages
    raw = "\n".join(reader.pages[i].extract_text() or "" for i in chosen)
    return normalise(raw)


#: The running footer ends with "<page word> <number>" within this many characters of a page's start.
FOOTER_REACH = 400


def without_footers(pages: list[str], page_word: str = "Page") -> str:
    """Page texts (page_texts results) joined, each inner page's running footer cut off its start.

    The footer is drawn before the page's story, so it comes first in the page's text:
    cutting it lets a word or sentence that runs across a page break join up again.
    """
    out = []
    for number, text in enumerate(pages, 1):
        end = text.find(f"{page_word} {number}", 0, FOOTER_REACH)
        out.append(text[end + len(f"{page_word} {number}"):] if end != -1 else text)
    return " ".join(out)


def squash(text: str) -> str:
    """Text for matching: NFKC, without whitespace or hyphens (line breaks and hyphenation vary)."""
    return _SQUASH.sub("", unicodedata.normalize("NFKC", text))


#: How far (in squashed characters) the next word of a text may be from the previous one:
#: room for a page footer, a running header and a table's repeated header row in between.
MAX_WORD_GAP = 400


def missing_words(texts: Iterable[str], extracted: str, max_gap: int = MAX_WORD_GAP) -> list[tuple[str, str]]:
    """The texts whose words do not all appear, in order, in `extracted` (an extract_text result).

    Each text's words are looked for one after another, each within `max_gap`
    characters of the previous word; every occurrence of the first word is
    tried as a start. Returns (text, first word not found) pairs; [] means all present.
    """
    haystack = squash(extracted)
    missing = []
    for text in texts:
        words = [squash(w) for w in text.split()]
        words = [w for w in words if w]
        if not words:
            continue
        best_fail = words[0]
        found = False
        start = haystack.find(words[0])
        while start != -1 and not found:
            pos = start + len(words[0])
            for word in words[1:]:
                nxt = haystack.find(word, pos, pos + max_gap + len(word))
                if nxt == -1:
                    best_fail = word
                    break
                pos = nxt + len(word)
            else:
                found = True
            start = haystack.find(words[0], start + 1)
        if not found:
            missing.append((text, best_fail))
    return missing


def printed_texts(handout, clinic=None, values: dict[str, str] | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Every text of the model that is printed, as the reader sees it, in model order."""
    from booklet import model as m
    from booklet.text import plain
    from booklet.validate import block_texts, clinic_texts

    values = values or {}
    texts = [handout.title, handout.subtitle, handout.reference, handout.version, handout.audience,
             *handout.authors, *handout.sources, *handout.summary]
    for section in handout.sections:
        texts += [section.heading, *section.key_points]
        for block in section.body:
            # block_texts also yields an image's alt text, which is not printed.
            texts += [block.caption] if isinstance(block, m.Image) else list(block_texts(block))
    out = [plain(t, values) for t in texts if t]
    if clinic is not None:
        out += [text for text, _ in clinic_texts(clinic) if text]
    return out


@dataclass(frozen=True)
class PageChars:
    """One page's size and its characters as (text, size, x0, x1, top, bottom, fontname) tuples."""

    number: int
    width: float
    height: float
    chars: tuple[tuple[str, float, float, float, float, float, str], ...]


@functools.lru_cache(maxsize=16)
def _page_chars(path: str, mtime: float) -> tuple[PageChars, ...]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return tuple(
            PageChars(page.page_number, float(page.width), float(page.height),
                      tuple((c["text"], float(c["size"]), float(c["x0"]), float(c["x1"]), float(c["top"]),
                             float(c["bottom"]), str(c["fontname"])) for c in page.chars))
            for page in pdf.pages
        )


def page_chars(path: Path | str) -> tuple[PageChars, ...]:
    """Every drawn character with its size and box, page by page (pdfplumber; cached per file version)."""
    return _page_chars(str(path), Path(path).stat().st_mtime)


# -- fonts ---------------------------------------------------------------------
@dataclass(frozen=True)
class FontInfo:
    base_font: str
    subtype: str
    embedded: bool


def fonts_of(source: Path | str | bytes) -> list[FontInfo]:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
    found: dict[tuple, FontInfo] = {}

    def has_file(font) -> bool:  # type: ignore[no-untyped-def]
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            return True
        return any(has_file(d) for d in font.get("/DescendantFonts", []))

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/BaseFont" in obj:
            if obj.get("/Subtype") == "/CIDFontType2" or obj.get("/Subtype") == "/CIDFontType0":
                continue  # listed through its Type0 parent
            info = FontInfo(str(obj.BaseFont).lstrip("/"), str(obj.get("/Subtype", "")).lstrip("/"), has_file(obj))
            found[obj.objgen if obj.is_indirect else (id(obj),)] = info
    return list(found.values())


def is_standard_14(base_font: str) -> bool:
    name = base_font.split("+", 1)[-1]
    return name.startswith(STANDARD_14)


# -- fixtures ------------------------------------------------------------------
@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write_yaml(text, name="handout.yaml") -> Path of the dedented text written in tmp_path."""

    def write(text: str, name: str = "handout.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def pdf_text() -> Callable[..., str]:
    """pdf_text(path_or_bytes, pages=None) -> normalised text of the PDF (see module docstring)."""
    return extract_text


@pytest.fixture(scope="session")
def page_texts() -> Callable[..., list[str]]:
    """page_texts(path_or_bytes) -> list of normalised texts, one per page."""
    return page_texts_of


@pytest.fixture(scope="session")
def pdf_fonts() -> Callable[..., list[FontInfo]]:
    """pdf_fonts(path_or_bytes) -> [FontInfo(base_font, subtype, embedded), ...] for every font."""
    return fonts_of


def invoke_cli(*args: str | Path, input: str | bytes | None = None, env: dict[str, str] | None = None
               ) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from booklet.cli import main

    runner = CliRunner()  # click >= 8.2 keeps stderr apart from stdout
    result = runner.invoke(main, [str(a) for a in args], input=input, env=env, catch_exceptions=True,
                           prog_name="booklet")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception.with_traceback(result.exc_info[2] if result.exc_info else None)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., tuple[int, str, str]]:
    """run_cli(*args, input=None, env=None) -> (exit_code, stdout, stderr); bugs re-raise."""
    return invoke_cli


# -- the CJK fonts (booklet.cjk): made once, in the background, while the other tests run ----------------------
_CJK_LANGUAGES = ("zh-Hans", "zh-Hant", "zh-TW", "zh", "ja", "ko")


def _uses_cjk(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "cjk" in item.path.name or any(p in _CJK_LANGUAGES for p in params if isinstance(p, str))


def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Tests of Chinese, Japanese and Korean run last: a machine without the static CJK faces makes them (a minute
    or more each, `python -m booklet.cjk`, started here when such tests are selected) while the other tests run."""
    import subprocess
    import sys

    from booklet import cjk

    items.sort(key=_uses_cjk)  # stable: the order within each group is kept
    if not any(map(_uses_cjk, items)) or not cjk.installed() or cjk.all_made():
        return
    # cjk.font_file locks each face while it is made: a test that needs one before this is done waits for it.
    session.config._booklet_cjk = subprocess.Popen(  # type: ignore[attr-defined]
        [sys.executable, "-m", "booklet.cjk"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The faces a selected test needed were waited for by that test (under the face's lock): a maker still running
    now is making faces nobody asked for this run. It is stopped (a face half made is only a temporary file, and
    the next run that needs it makes it)."""
    process = getattr(session.config, "_booklet_cjk", None)
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


# -- the community-language handouts (tests/test_indic.py, test_rtl.py, test_cjk.py) ----------------------------
#: veraPDF (../shared/tools/verapdf, see its README), where it is here; the tests that need it skip elsewhere.
VERAPDF = next((p for p in (Path(os.environ.get("VERAPDF", "/nonexistent")),
                            ROOT.parent / "shared" / "tools" / "verapdf" / "verapdf.sh",
                            Path("/tmp/verapdf/verapdf.sh")) if p.exists()), None)


#: What each language handout is built as (tests/test_indic.py, test_rtl.py, test_cjk.py).
LANGUAGE_KINDS = ("booklet", "large-print", "summary", "large-print-summary")
#: The phone number each language handout prints (tests/data/{rtl,indic,cjk}/*.yaml).
LANGUAGE_PHONE = "0207 946 0123"
#: Private-use characters: what a glyph drawn without its Unicode would read back as.
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def assert_reads_back(path: Path, wanted: Iterable[str], normalise: Callable[[str], str]) -> None:
    """A language handout's text layer (pdftotext): no private-use character, its phone number and "MRI", and
    every text in `wanted` (both sides normalised by `normalise`)."""
    text = pdftotext(path)
    assert not PRIVATE_USE.findall(text)
    assert LANGUAGE_PHONE in text.replace("\u00a0", " ")
    assert "MRI" in text
    got = normalise(text)
    missing = [t for t in wanted if normalise(t) not in got]
    assert missing == []


def language_fonts(path: Path, language: str) -> list[FontInfo]:
    """The fonts of a language handout's PDF, having checked that its /Lang is `language`, that every font is
    embedded and that none is one of the standard 14."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == language
    fonts = fonts_of(path)
    assert all(f.embedded for f in fonts), fonts
    assert not [f for f in fonts if any(std in f.base_font for std in STANDARD_14)]
    return fonts


def build_languages(folder: Path, sources: dict[str, Path], kinds: Iterable[str] = LANGUAGE_KINDS,
                    ) -> dict[tuple[str, str], Path]:
    """(name, kind) -> each handout built in each kind, with the shipped Riverside clinic and --pdfua."""
    from booklet import api

    out = {}
    kinds = tuple(kinds)
    for name, source in sources.items():
        handout, clinic = api.load(source, RIVERSIDE)
        for kind in kinds:
            path = folder / f"{name}-{kind}.pdf"
            path.write_bytes(api.render_prepared(api.prepare(handout, clinic, kind), pdfua=True).pdf)
            out[name, kind] = path
    return out


def pdftotext(path: Path, *args: str) -> str:
    """poppler's text layer of a PDF (it reads /ActualText, which pypdf does not)."""
    import subprocess

    return subprocess.run(["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True).stdout


def texts_printed(source: Path, kind: str) -> list[str]:
    """The texts a short language handout's variant prints (`kind`: a summary prints the title, subtitle, summary
    and urgent callout), without their ** marks."""
    import yaml

    d = yaml.safe_load(source.read_text(encoding="utf-8"))
    texts = [d["title"], d["subtitle"], *d["summary"]]
    for section in d["sections"]:
        for block in section["body"]:
            if isinstance(block, dict) and "callout" in block:
                c = block["callout"]
                texts += [c["title"], c["text"], *c["bullets"]]
    if "summary" not in kind:
        texts.append(d["audience"])
        for section in d["sections"]:
            texts.append(section["heading"])
            for block in section["body"]:
                if isinstance(block, str):
                    texts.append(block)
                elif "bullets" in block:
                    texts += block["bullets"]
                elif "table" in block:
                    texts += block["table"]["columns"] + [cell for row in block["table"]["rows"] for cell in row]
    return [t.replace("**", "") for t in texts]


def assert_pdfua(paths: Iterable[Path]) -> None:
    """Each PDF passes page-validation's PDF/UA-1 profile."""
    page = pytest.importorskip("page", reason="page-validation is in the test extra: pip install '.[test]'")
    for path in paths:
        report = page.validate_pdf_bytes(path.read_bytes(), profile=page.ValidationProfile.PDF_UA_1)
        assert [f"{f.rule_id}: {f.message}" for f in report.failures] == [], path.name


def assert_verapdf_ua1(paths: Iterable[Path]) -> None:
    """Each PDF is COMPLIANT with veraPDF's PDF/UA-1 profile, with no failed rule."""
    import subprocess

    if VERAPDF is None:
        pytest.skip("veraPDF is not installed here")
    names = [str(p) for p in paths]
    report = subprocess.run(["bash", str(VERAPDF), "--profile", "ua1", *names], capture_output=True, text=True,
                            timeout=900, check=False).stdout
    for name in names:
        assert f"== {name}: COMPLIANT (PDFUA_1), " in report, report[-3000:]
    assert report.count(", 0 failed rules,") == len(names), report[-3000:]
