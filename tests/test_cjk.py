"""Chinese (Simplified and Traditional), Japanese and Korean end to end (issue #13): handouts in zh-Hans, zh-Hant,
ja and ko build as booklets and summaries, normal and large print, through the shaping stage, with the fonts of
the optional extra (`pip install 'booklet[cjk]'`, in the test extra, so CI runs these).

Checked from the PDF: pdftotext gives the text back in logical order with no private-use characters and the
phone number whole; /Lang is the handout's; every font is embedded, none of the standard 14; Han characters in
the face of the handout's language (Simplified Chinese, Traditional Chinese, Japanese, Korean), Latin words and
digits in DejaVu Sans; no printed line (pdfplumber) starts with closing punctuation or ends with opening
punctuation, and none breaks a Latin word or a number; large print has nothing under 16 pt; the --pdfua builds
pass page-validation and, where it is installed, veraPDF's PDF/UA-1 profile. Without the extra, a CJK handout is
refused at its line with the install command.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import (
    DATA,
    LANGUAGE_KINDS,
    PRIVATE_USE,
    RIVERSIDE,
    assert_pdfua,
    assert_reads_back,
    assert_verapdf_ua1,
    build_languages,
    language_fonts,
    pdftotext,
    texts_printed,
)
from conftest import (
    LANGUAGE_PHONE as PHONE,
)

from booklet import api, cjk, shaping
from booklet.errors import BookletError
from booklet.scripts import BREAK_RULES, script_of
from booklet.shaping import Run, shape

needs_fonts = pytest.mark.skipif(not cjk.installed(), reason="the CJK fonts are not installed: pip install "
                                 "'booklet[cjk]' (the test extra brings them)")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

LANGUAGES = ("zh-Hans", "zh-Hant", "ja", "ko")
FACE = {"zh-Hans": "NotoSansSC", "zh-Hant": "NotoSansTC", "ja": "NotoSansJP", "ko": "NotoSansKR"}
KINDS = LANGUAGE_KINDS
NO_START, NO_END = BREAK_RULES["no_start"], BREAK_RULES["no_end"]
LATIN_WORD = re.compile(r"[A-Za-z0-9]+")


def face_name(font: str) -> str:
    """A font's name in the PDF without its subset tag and, for a face made into the cache (not shipped), the
    digest of its file that booklet.fonts adds (NotoSansSC-Regular-37f57312: NotoSansSC-Regular)."""
    return re.sub(r"-[0-9a-f]{8}$", "", font.split("+")[-1])


def source(language: str) -> Path:
    return DATA / "cjk" / f"{language}.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(language, kind) -> the PDF built with the shipped Riverside clinic and --pdfua."""
    if not cjk.installed():
        pytest.skip("the CJK fonts are not installed: pip install 'booklet[cjk]'")
    return build_languages(tmp_path_factory.mktemp("cjk"), {language: source(language) for language in LANGUAGES})


def squeezed(text: str) -> str:
    """Without whitespace or the **bold** marks: a line break in Chinese or Japanese adds no space, and
    pdftotext puts a line break at every line end."""
    return re.sub(r"\s+", "", text.replace("**", ""))


def printed(language: str, kind: str) -> list[str]:
    return texts_printed(source(language), kind)


def printed_lines(path: Path) -> list[list[tuple[str, str, float]]]:
    """Every printed line (pdfplumber), as its characters (text, font, size); pieces of one line further apart
    than two characters (table columns, a label and its value) are lines of their own. Without spaces, and
    without the private-use codes of glyphs that have no character (Noto Sans KR draws a space and a full stop
    in Korean text with glyphs of their own): pdfplumber does not read /ActualText, which gives their text
    (pdftotext does: see test_the_text_reads_back_in_logical_order)."""
    import pdfplumber

    lines = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for line in page.extract_text_lines(return_chars=True, strip=True):
                current: list[tuple[str, str, float]] = []
                last = None
                for ch in line["chars"]:
                    if last is not None and ch["x0"] - last["x1"] > 2 * ch["size"]:
                        lines.append(current)
                        current = []
                    if ch["text"].strip() and not PRIVATE_USE.match(ch["text"]):
                        current.append((ch["text"], face_name(ch["fontname"]), ch["size"]))
                    last = ch
                lines.append(current)
    return [line for line in lines if line]


# -- the script table and the stage ---------------------------------------------------------------------------


def test_chinese_japanese_and_korean_are_shaped_with_fonts_of_the_extra() -> None:
    for ch, face in {"中": "SC", "あ": "JP", "ア": "JP", "한": "KR", "。": "SC", "（": "SC"}.items():
        script = script_of(ch)
        assert script is not None, ch
        assert (script.support, script.cjk_face) == ("shaped", face), ch
    # Chinese and Japanese break between characters; Korean at spaces, as Latin does
    assert [script_of(ch).breaks for ch in "中あ。한"] == ["chars", "chars", "chars", "words"]  # type: ignore[union-attr]


@needs_fonts
@pytest.mark.parametrize(("language", "face"), [("zh-Hans", "NotoSansSC"), ("zh-CN", "NotoSansSC"),
                                                ("zh-Hant", "NotoSansTC"), ("zh-TW", "NotoSansTC"),
                                                ("ja", "NotoSansJP"), ("ko", "NotoSansKR"), ("en", "NotoSansSC")])
def test_each_run_takes_a_font_that_has_it(language: str, face: str) -> None:
    """Han in the face of the handout's language; Latin words and digits in DejaVu Sans; kana always Japanese,
    Hangul always Korean; bold in the bold face; italic Han upright (the faces have no italics)."""
    def fonts(*runs: Run) -> dict[str, str]:
        shaped = shape(runs, False, language)
        return {shaped.text[i]: Path(item.font).name for item in shaped.items for i in range(item.start, item.end)}

    font_of = fonts(Run("医生MRI口，話 0207 946 0123。かな한글"))
    assert font_of["医"].startswith(f"{face}-Regular")
    assert font_of["。"].startswith(f"{face}-Regular")
    assert font_of["M"] == font_of["0"] == "DejaVuSans.ttf"
    assert font_of["か"].startswith("NotoSansJP-Regular")
    assert font_of["한"].startswith("NotoSansKR-Regular")
    assert fonts(Run("骨", bold=True))["骨"].startswith(f"{face}-Bold")
    assert fonts(Run("骨", italic=True))["骨"].startswith(f"{face}-Regular")
    assert fonts(Run("MRI", italic=True))["M"] == "DejaVuSans-Oblique.ttf"
    # a character the face lacks: the next face that has it (请 is simplified only; the TC, JP, KR faces lack it)
    assert fonts(Run("请"))["请"].startswith("NotoSansSC-Regular")


CHINESE = ("请使用经过认证的上臂式电子血压计。医生也可能安排您做磁共振成像（MRI）检查。如有疑问，请致电诊所："
           "0207 946 0123。测量时请保持安静，不要说话，“双脚”平放在地上。")
JAPANESE = "ご質問はクリニック（0207 946 0123）までお電話ください。「ちょっと待って」と思ったら、もう一度測りましょう。"


@needs_fonts
@pytest.mark.parametrize(("text", "language"), [(CHINESE, "zh-Hans"), (JAPANESE, "ja")])
def test_lines_break_between_characters_by_the_rules(text: str, language: str) -> None:
    """At every width from 4 to 30 em (narrower, "（MRI）" alone is wider than a line): no line starts with
    closing punctuation or small kana, none ends with opening punctuation, MRI and the phone number are never
    broken, and lines are full (a line ends where the next character would not fit, or where the rules forbid
    a break)."""
    shaped = shape([Run(text)], False, language)
    for tenths in range(40, 300, 5):
        width = tenths / 10
        lines = shaped.breaks(width)
        assert "".join(text[s:e] for s, e, _ in lines).replace(" ", "") == text.replace(" ", "")
        for s, e, _ in lines[1:]:
            assert text[s] not in NO_START, (width, text[s:e])
        for s, e, _ in lines[:-1]:
            assert text[e - 1] not in NO_END, (width, text[s:e])
        for s, e, _ in lines:
            line = text[s:e]
            assert not re.search(r"(^|[^A-Z])(M|MR|RI|I)($|[^A-Z])", line) or "MRI" in line, (width, line)
            assert not any(re.search(p, line) for p in (r"020$", r"0207$", r"^946", r"^0123", r"^7 ", r"^123")), \
                (width, line)
        breaks = shaped.char_breaks
        assert breaks is not None
        for (s, e, _), (n, _, _) in itertools.pairwise(lines):  # the next break would not have fitted
            later = next((k for k in range(n + 1, len(text))
                          if breaks[k] or (text[k] == " " and not shaped.keep[k - 1])), len(text))
            assert sum(shaped.advance[s:later]) > width, (width, text[s:e], text[s:later])


@needs_fonts
def test_korean_breaks_at_spaces() -> None:
    text = "위팔에 감는 인증된 자동 혈압계를 사용하세요. 의사가 MRI 검사를 할 수도 있습니다."
    shaped = shape([Run(text)], False, "ko")
    assert shaped.char_breaks is None  # Hangul breaks like Latin: the Chinese and Japanese rules are not run
    for width in (6, 9, 13):
        for s, e, _ in shaped.breaks(width)[:-1]:
            assert text[e] == " ", (width, text[s:e])
    # a word longer than the line ("사용하세요." is 5.3 em): broken between syllables, not run over
    assert ("사용하세", "요.") in [(text[s:e], text[e:e + 2]) for s, e, _ in shaped.breaks(4)]


def test_latin_text_is_not_given_character_breaks() -> None:
    assert shape([Run("Call 0207 946 0123 about your MRI scan.")]).char_breaks is None


# -- handouts end to end --------------------------------------------------------------------------------------


@needs_poppler
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_text_reads_back_in_logical_order(built: dict[tuple[str, str], Path], language: str, kind: str) -> None:
    assert_reads_back(built[language, kind], printed(language, kind), squeezed)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_language_and_fonts(built: dict[tuple[str, str], Path], language: str, kind: str) -> None:
    fonts = language_fonts(built[language, kind], language)
    names = {face_name(f.base_font) for f in fonts}
    assert {f"{FACE[language]}-Regular", f"{FACE[language]}-Bold"} <= names  # headings and **bold** in bold
    assert not {n for n in names if n.startswith("NotoSans") and not n.startswith(FACE[language])}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_printed_lines_keep_the_rules(built: dict[tuple[str, str], Path], language: str, kind: str) -> None:
    """No line starts with closing punctuation or ends with opening punctuation; no Latin word or number is
    broken across lines; Han, kana and Hangul in the language's face, Latin letters and digits in DejaVu Sans;
    large print nothing under 16 pt."""
    source_words = set(LATIN_WORD.findall(source(language).read_text(encoding="utf-8")))
    lines = printed_lines(built[language, kind])
    assert len(lines) > 10
    texts = ["".join(c[0] for c in line) for line in lines]
    assert [t for t in texts if t[0] in NO_START] == []
    assert [t for t in texts if t[-1] in NO_END] == []
    for before, after in itertools.pairwise(texts):
        end, start = re.search(r"[A-Za-z0-9]+$", before), re.match(r"[A-Za-z0-9]+", after)
        if end and start:
            assert end[0] + start[0] not in source_words, (before, after)
    for line in lines:
        for ch, font, _ in line:
            script = script_of(ch)
            if script is not None and script.cjk_face and script.name != "Chinese, Japanese or Korean":
                assert FACE[language] in font, (ch, font)
            elif ch.isascii() and ch.isalnum():
                assert "DejaVuSans" in font, (ch, font)
    if "large-print" in kind:
        assert min(size for line in lines for _, _, size in line) >= 16 - 0.01


@pytest.mark.parametrize("language", LANGUAGES)
def test_headings_and_bold_words_are_bold(built: dict[tuple[str, str], Path], language: str) -> None:
    """A heading's style is the bold face: its Han, kana or Hangul are drawn in the bold CJK face (as are the
    **bold** words of a table cell), running text in the regular one."""
    d = yaml.safe_load(source(language).read_text(encoding="utf-8"))
    fonts = {"".join(c[0] for c in line): {f.split("+")[-1] for _, f, _ in line}
             for line in printed_lines(built[language, "booklet"])}
    assert fonts[d["sections"][0]["heading"].replace(" ", "")] == {f"{FACE[language]}-Bold"}
    bold_word = re.search(r"\*\*(.+?)\*\*", source(language).read_text(encoding="utf-8"))[1]  # type: ignore[index]
    cell = next(line for line in fonts if bold_word in line)
    assert fonts[cell] == {f"{FACE[language]}-Regular", f"{FACE[language]}-Bold"} | (
        {"DejaVuSans"} if any(ch.isascii() and not ch.isspace() for ch in cell) else set())


def test_the_pdfua_builds_pass_page_validation(built: dict[tuple[str, str], Path]) -> None:
    assert_pdfua(built.values())


def test_the_pdfua_builds_pass_verapdf(built: dict[tuple[str, str], Path]) -> None:
    assert_verapdf_ua1(built.values())


@needs_fonts
def test_the_same_handout_gives_the_same_bytes(built: dict[tuple[str, str], Path]) -> None:
    handout, clinic = api.load(source("ja"), RIVERSIDE)
    again = api.render_prepared(api.prepare(handout, clinic, "booklet"), pdfua=True).pdf
    assert again == built["ja", "booklet"].read_bytes()


@needs_fonts
@needs_poppler
@pytest.mark.parametrize("command", [("build",), ("build", "--large-print"), ("summary",)])
def test_the_command_line_builds_them(run_cli, tmp_path: Path, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ja.pdf"
    code, _, err = run_cli(*command, source("ja"), "--clinic", RIVERSIDE, "-o", out)
    assert code == 0, err
    assert "error" not in err
    assert PHONE in pdftotext(out).replace("\u00a0", " ")


# -- without the extra ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "script"), [("zh-Hans", "Chinese (Han)"), ("ja", "Chinese (Han)"),
                                                  ("ko", "Korean (Hangul)")])
def test_without_the_fonts_a_handout_is_refused_with_the_install_command(
        run_cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, language: str, script: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cjk, "installed", lambda: False)
    out = tmp_path / "out.pdf"
    code, _, err = run_cli("build", source(language), "--clinic", RIVERSIDE, "-o", out)
    assert code == 2
    assert f"{source(language)}:3:8: error: this text is in the {script} script" in err, err
    assert "fonts booklet prints Chinese, Japanese and Korean with are not installed" in err
    assert "install them once with: pip install 'booklet[cjk]'" in err
    assert "Traceback" not in err
    assert not out.exists()
    with pytest.raises(BookletError) as caught:
        api.prepare(*api.load(source(language), RIVERSIDE), "summary")
    assert all(p.hint.endswith("pip install 'booklet[cjk]'") for p in caught.value.problems)


def test_an_unwritable_cache_is_an_error_naming_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The faces are made once into the cache folder; where it cannot be written, the error says where and what
    to do (not a traceback). Nothing is made: the folder is a file."""
    if not cjk.installed():
        pytest.skip("the CJK fonts are not installed")
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BOOKLET_CACHE_DIR", str(blocker))
    with pytest.raises(BookletError) as caught:
        cjk._instance(cjk.source("KR"), 400, cjk.cache_dir() / "x.ttf")
    problem = caught.value.problems[0]
    assert str(blocker / "fonts") in str(problem.loc)
    assert "BOOKLET_CACHE_DIR" in problem.hint


@needs_fonts
def test_the_command_line_says_when_a_face_is_being_made(run_cli, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    """A first build in a language makes its faces (a minute each): `build` says so rather than wait without a
    word. The making itself is stood in for by a copy of the already-made face."""
    made = {(face, bold): cjk.font_file(face, bold) for face in ("SC",) for bold in (False, True)}
    monkeypatch.setenv("BOOKLET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cjk, "_instance", lambda variable, weight, target: shutil.copyfile(
        made["SC", weight == 700], target))
    memos = (cjk.font_file, shaping._cjk_font, shaping._shape_cached)  # faces, fonts per character, shaped text
    for memo in memos:
        memo.cache_clear()
    try:
        code, _, err = run_cli("build", str(source("zh-Hans")), "--no-clinic", "-o", str(tmp_path / "out.pdf"))
    finally:
        for memo in memos:
            memo.cache_clear()
    assert code == 0, err
    assert "preparing the font NotoSansSC Regular for Chinese, Japanese and Korean text" in err
    assert str(tmp_path / "cache" / "fonts") in err
    made_here = sorted(p.name for p in (tmp_path / "cache" / "fonts").iterdir() if p.suffix in (".ttf", ".metrics"))
    # each face with its metrics (what ReportLab reads from it, so that later builds need not parse 10 MB again)
    assert made_here == sorted(f"{Path(made['SC', bold]).stem}{suffix}" for bold in (False, True)
                               for suffix in (".metrics", ".ttf"))
    # the same PDF as from the usual cache folder: where the faces are kept changes nothing
    again = api.build(source("zh-Hans"))
    monkeypatch.delenv("BOOKLET_CACHE_DIR")
    for memo in memos:
        memo.cache_clear()
    assert api.build(source("zh-Hans")).pdf == again.pdf
