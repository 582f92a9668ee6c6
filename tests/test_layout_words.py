"""The layout's own words in every community language (issue #13, item 6; issue #14): Contents, Page,
Phone, callout labels, "Please turn over" ... from layouts/strings.yaml, found for a handout's BCP 47 tag
(zh-TW finds zh-Hant); a language without them is a warning naming it, never silent English."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, ROOT, squash

from booklet import api, cjk, theme
from booklet.check import check as check_handouts
from booklet.errors import BookletError
from booklet.fonts import BUILT_IN, font_set
from booklet.scripts import refused_scripts, script_of
from booklet.theme import words_for, words_language, words_warnings
from booklet.validate import DEFAULT_CLINIC, check_glyphs, read_handout

STRINGS = ROOT / "layouts" / "strings.yaml"
#: Languages whose scripts the shaping stage sets (issue #13), and the scripts their words are in.
SHAPED = {"bn": {"Bengali"}, "hi": {"Devanagari"}, "pa": {"Gurmukhi"}, "gu": {"Gujarati"}, "ta": {"Tamil"},
          "ar": {"Arabic"}, "ur": {"Arabic"}, "fa": {"Arabic"}, "he": {"Hebrew"},
          # with the fonts of the cjk extra (in the test extra)
          "zh-Hans": {"Chinese (Han)"}, "zh-Hant": {"Chinese (Han)"},
          "ja": {"Chinese (Han)", "Japanese (kana)", "Chinese, Japanese or Korean"},  # 、 is a CJK punctuation mark
          "ko": {"Korean (Hangul)"}}
#: Languages with words in a script of their own (every one of them shaped now: no language with layout
#: words is in a script booklet refuses).
OWN_SCRIPT = SHAPED
#: Languages booklet prints today (Latin and Cyrillic scripts), as issue #13 lists them.
PRINTED = ("fr", "de", "it", "pt", "pt-PT", "ro", "tr", "so", "uk", "lt")
SHIPPED_BEFORE = ("en", "es", "pl", "vi", "ru", "el")


def table() -> dict[str, dict[str, str]]:
    return yaml.safe_load(STRINGS.read_text(encoding="utf-8"))


def handout(write_yaml, language: str, title: str = "Home blood pressure", name: str = "handout.yaml") -> Path:  # type: ignore[no-untyped-def]
    return write_yaml(f"""
        title: {title}
        reference: BP-1
        language: {language}
        summary: [Sit still for five minutes before each reading.]
        sections:
          - heading: Before you start
            key_points: [Use a checked machine.]
            body:
              - Use an automatic machine that goes on your upper arm.
              - callout:
                  kind: urgent
                  title: Call 999 straight away
                  bullets: [chest pain, a very bad headache]
        """, name)


# -- the table ------------------------------------------------------------------------------
def test_every_language_of_the_issue_has_words() -> None:
    assert set(OWN_SCRIPT) | set(PRINTED) | set(SHIPPED_BEFORE) <= set(table())


@pytest.mark.parametrize("language", sorted(table()))
def test_every_block_has_every_word_of_english_and_nothing_else(language: str) -> None:
    en, block = table()["en"], table()[language]
    assert set(block) == set(en), f"{language}: missing {sorted(set(en) - set(block))}, " \
                                  f"unknown {sorted(set(block) - set(en))}"
    for key, word in block.items():
        assert isinstance(word, str), (language, key)
        assert word, (language, key)
        assert word == word.strip(), (language, key, word)
        assert "  " not in word, (language, key, word)
        assert unicodedata.normalize("NFC", word) == word, (language, key, word)
        assert not re.search(r"[\x00-\x1f<>&]", word), (language, key, word)  # printed as layout text


def test_the_file_is_nfc_and_each_language_once() -> None:
    text = STRINGS.read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text
    tags = re.findall(r"(?m)^([A-Za-z-]+):\s*$", text)
    assert len(tags) == len(set(t.lower() for t in tags)), "a language block is written twice"


@pytest.mark.parametrize("language", PRINTED + SHIPPED_BEFORE)
def test_the_printed_languages_are_in_the_font_and_in_a_script_booklet_sets(language: str) -> None:
    fonts = font_set(BUILT_IN)
    for key, word in table()[language].items():
        assert not list(refused_scripts(word)), (language, key, word)
        assert all(fonts.can_draw(ch) for ch in word), (language, key, word)


@pytest.mark.parametrize("language", sorted(SHAPED))
def test_the_shaped_languages_are_in_their_script_fonts_and_not_refused(language: str) -> None:
    fonts = font_set(BUILT_IN)
    for key, word in table()[language].items():
        assert not list(refused_scripts(word)), (language, key, word)
        assert all(fonts.can_draw(ch) for ch in word), (language, key, word)


@pytest.mark.parametrize("language", sorted(OWN_SCRIPT))
def test_the_other_languages_are_written_in_their_own_script(language: str) -> None:
    """Each word is in the language's script (Latin letters only as in 'QR'), so that the shaping stage
    has the right text; and, for the scripts it does not set yet, the script check refuses it."""
    for key, word in table()[language].items():
        scripts = {s.name for s in map(script_of, word) if s is not None}
        assert scripts, (language, key, word)
        assert scripts <= OWN_SCRIPT[language], (language, key, word, scripts)
        assert all(ch.isascii() or script_of(ch) is not None or not ch.isalpha() for ch in word), (language, key)


def test_persian_and_urdu_use_their_own_letters_not_the_arabic_ones() -> None:
    arabic_yeh_kaf = {"\u064a", "\u0643"}  # ي ك: Persian and Urdu write ی (U+06CC) and ک (U+06A9)
    for language in ("fa", "ur"):
        text = "".join(table()[language].values())
        assert not arabic_yeh_kaf & set(text), language
        assert "\u06cc" in text, language
    assert "\u06cc" not in "".join(table()["ar"].values())  # and Arabic writes ي


def test_simplified_and_traditional_chinese_are_distinct() -> None:
    """Simplified words only use characters of GB 2312, traditional ones only those of Big5: a
    traditional character (錄) in the simplified block or a simplified one (录) in the traditional fails."""
    hans, hant = table()["zh-Hans"], table()["zh-Hant"]
    for word in hans.values():
        word.encode("gb2312")
    for word in hant.values():
        word.encode("big5")
    with pytest.raises(UnicodeEncodeError):
        "目錄".encode("gb2312")
    with pytest.raises(UnicodeEncodeError):
        "目录".encode("big5")
    assert (hans["contents"], hant["contents"]) == ("目录", "目錄")
    assert sum(hans[k] != hant[k] for k in hans) >= 15


# -- finding the words for a tag --------------------------------------------------------------
@pytest.mark.parametrize(("tag", "block"), [
    ("fr", "fr"), ("FR", "fr"), ("fr-CA", "fr"), ("de-AT", "de"), ("uk-UA", "uk"), ("so-SO", "so"),
    ("en", "en"), ("en-GB", "en"), ("en-US", "en"), ("es-MX", "es"),
    ("zh", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("zh-hans", "zh-Hans"), ("ZH-HANS-CN", "zh-Hans"),
    ("zh-CN", "zh-Hans"), ("zh-SG", "zh-Hans"), ("zh-Hant", "zh-Hant"), ("zh-hant", "zh-Hant"),
    ("zh-Hant-TW", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-tw", "zh-Hant"), ("zh-HK", "zh-Hant"),
    ("zh-MO", "zh-Hant"), ("zh_TW", "zh-Hant"), ("yue", "zh-Hant"),
    ("pt", "pt"), ("pt-BR", "pt"), ("pt-PT", "pt-PT"), ("pt-pt", "pt-PT"), ("pt-AO", "pt-PT"), ("pt-MZ", "pt-PT"),
    ("nl", None), ("nl-BE", None), ("cy", None), ("", None), ("frr", None),
])
def test_the_lookup_tries_the_whole_tag_then_its_language(tag: str, block: str | None) -> None:
    assert words_language(tag) == block


def test_words_for_a_tag() -> None:
    assert words_for("fr")["contents"] == "Sommaire"
    assert words_for("zh-TW")["contents"] == "目錄"
    assert words_for("zh")["contents"] == "目录"
    assert words_for("pt-BR")["my_care_team"] != words_for("pt-PT")["my_care_team"]
    assert words_for("nl") == words_for("en") == table()["en"]


# -- the warning ------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["nl", "cy-GB"])
def test_a_language_without_words_warns_at_its_language_line(write_yaml, language: str) -> None:  # type: ignore[no-untyped-def]
    path = handout(write_yaml, language)
    model = read_handout(path)
    warnings = api.prepare(model, DEFAULT_CLINIC, "booklet").warnings
    assert len(warnings) == 1
    (w,) = warnings
    assert (w.loc.path, w.loc.line, w.severity) == (str(path), 3, "warning")
    assert f"'{language}'" in w.message
    assert "English" in w.message
    assert "layouts/strings.yaml" in w.hint
    assert f"'{language.split('-')[0]}:'" in w.hint
    assert "ask" in w.hint


@pytest.mark.parametrize("language", ["en", "en-GB", "en-US", "EN-gb", *PRINTED, "pt-BR", "fr-CA", "es", "ru"])
def test_languages_with_words_do_not_warn(write_yaml, language: str) -> None:  # type: ignore[no-untyped-def]
    model = read_handout(handout(write_yaml, language))
    assert words_warnings(model) == []
    assert api.prepare(model, DEFAULT_CLINIC, "summary").warnings == ()


@pytest.mark.parametrize("language", sorted(OWN_SCRIPT))
def test_the_refused_languages_have_words_so_no_warning(write_yaml, language: str) -> None:  # type: ignore[no-untyped-def]
    assert words_warnings(read_handout(handout(write_yaml, language))) == []


@pytest.mark.parametrize("command", ["build", "summary"])
def test_build_and_summary_print_the_warning_and_strict_refuses(write_yaml, run_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                               command: str) -> None:
    path = handout(write_yaml, "nl")
    out = tmp_path / "out.pdf"
    code, _, err = run_cli(command, path, "-o", out)
    assert code == 0, err
    assert f"{path}:3:11: warning: booklet has no layout words in 'nl': " in err
    assert "hint: they can be added to layouts/strings.yaml in booklet" in err
    assert err.count("warning:") == 1
    assert out.exists()
    out.unlink()
    code, _, err = run_cli(command, path, "-o", out, "--strict")
    assert code == 2
    assert f"{path}:3:11: error: booklet has no layout words in 'nl'" in err
    assert not out.exists()


def test_the_result_carries_the_warning(write_yaml, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = api.build(handout(write_yaml, "nl"), output=tmp_path / "nl.pdf")
    assert [w.message for w in result.warnings if "layout words" in w.message] == [
        "booklet has no layout words in 'nl': the words the layout prints itself (Contents, At a glance, "
        "Key points, Page, Phone, Please turn over …) print in English"]
    with pytest.raises(BookletError, match="no layout words in 'nl'"):
        api.build(handout(write_yaml, "nl"), output=tmp_path / "nl2.pdf", strict=True)
    assert not (tmp_path / "nl2.pdf").exists()


def test_check_reports_the_warning_once(write_yaml) -> None:  # type: ignore[no-untyped-def]
    """check lays out four variants (check.builds): the same warning from each is one finding."""
    path = handout(write_yaml, "nl")
    found = [f for f in check_handouts([path], None) if "layout words" in f.message]
    assert [(f.path, f.line, f.col, f.severity, f.rule) for f in found] == [(str(path), 3, 11, "warning", "build")]
    assert not [f for f in check_handouts([handout(write_yaml, "fr", name="fr.yaml")], None)
                if "layout words" in f.message]


# -- scripts and glyphs -----------------------------------------------------------------------
def test_an_english_handout_is_not_refused_for_words_it_does_not_print(tmp_path: Path) -> None:
    """Arabic, Hindi, Chinese ... words are in strings.yaml, but only the handout's own language is checked."""
    assert set(OWN_SCRIPT) <= set(table())
    model, clinic = api.load(EXAMPLE)
    prepared = api.prepare(model, clinic, "booklet")
    assert [s for word in prepared.theme.words.values() for s in refused_scripts(word)] == []
    assert api.build(EXAMPLE, output=tmp_path / "en.pdf").pages >= 4


@pytest.mark.parametrize("language", sorted(SHAPED))
def test_a_handout_in_a_shaped_script_language_builds_with_its_layout_words(write_yaml, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                            language: str) -> None:
    """English text, the layout's own words in the language's script: set by the shaping stage."""
    result = api.build(handout(write_yaml, language), output=tmp_path / "out.pdf")
    assert result.pages >= 2


def test_a_right_to_left_script_without_a_font_is_refused_as_before(write_yaml, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = handout(write_yaml, "dv", title="\u078b\u07a8\u0788\u07ac\u0780\u07a8")  # Dhivehi, in Thaana
    with pytest.raises(BookletError) as info:
        api.build(path, output=tmp_path / "out.pdf")
    assert [p.loc.line for p in info.value.problems] == [1]
    assert all("Thaana script" in p.message for p in info.value.problems)


def test_the_glyph_check_sees_only_the_handouts_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """DejaVu Sans lacks Japanese (without the cjk extra, nothing has it): were every language's words checked,
    every handout would be refused."""
    monkeypatch.setattr(cjk, "installed", lambda: False)
    fonts = font_set(BUILT_IN)
    with pytest.raises(BookletError, match="cannot draw"):
        check_glyphs(iter([(" ".join(words_for("ja").values()), DEFAULT_CLINIC.loc)]), fonts.can_draw, fonts.label)
    for language in PRINTED:
        check_glyphs(iter([(" ".join(words_for(language).values()), DEFAULT_CLINIC.loc)]), fonts.can_draw,
                     fonts.label)


# -- in the PDF -------------------------------------------------------------------------------
#: Body text in the language, so that an English word on the page can only be the layout's.
BODY = {
    "fr": "Asseyez-vous au calme cinq minutes avant chaque mesure.",
    "de": "Sitzen Sie vor jeder Messung fünf Minuten ruhig.",
    "tr": "Her ölçümden önce beş dakika sakin oturun.",
    "uk": "Посидьте спокійно п\u2019ять хвилин перед кожним вимірюванням.",
    "lt": "Prieš kiekvieną matavimą penkias minutes ramiai pasėdėkite.",
}


def english_words_left(text: str, language: str) -> list[str]:
    """English layout words in the text that the language's own words do not also contain."""
    own = " ".join(words_for(language).values())
    return [w for k, w in table()["en"].items() if w not in own and re.search(rf"\b{re.escape(w)}\b", text)]


def in_language(write_yaml, language: str, summary: bool = True, page_breaks: int = 0) -> Path:  # type: ignore[no-untyped-def]
    """A handout written in the language, with every kind of callout."""
    body = BODY[language]
    more = "".join(f'\n      - page_break: true\n      - "{body}"' for _ in range(page_breaks))
    return write_yaml(f"""\
title: "{body[:30]}"
reference: BP-1
version: "1.0"
language: {language}
sources: ["{body}"]
{f'summary: ["{body}"]' if summary else ""}
sections:
  - heading: "{body[:20]}"
    key_points: ["{body}"]
    body:
      - "{body}"
      - callout: {{kind: info, text: "{body}"}}
      - callout: {{kind: tip, text: "{body}"}}
      - callout: {{kind: warning, text: "{body}"}}
      - callout: {{kind: urgent, text: "{body}"}}{more}
""")


def assert_printed(text: str, language: str, keys: tuple[str, ...]) -> None:
    assert english_words_left(text, language) == []
    words = words_for(language)
    for key in keys:
        assert squash(words[key]) in squash(text), (language, key, words[key])


@pytest.mark.parametrize("language", sorted(BODY))
def test_a_booklet_prints_its_languages_words_and_no_english_ones(write_yaml, tmp_path: Path, pdf_text,  # type: ignore[no-untyped-def]
                                                                  language: str) -> None:
    result = api.build(in_language(write_yaml, language), output=tmp_path / "out.pdf")
    assert (result.pages, result.warnings) == (4, ())
    assert_printed(pdf_text(result.pdf), language, (
        "at_a_glance", "key_points", "info", "tip", "warning", "urgent", "page", "sources", "reference", "version"))
    # Three pages of text: a Notes page and both pages to fill in.
    result = api.build(in_language(write_yaml, language, summary=False, page_breaks=2), output=tmp_path / "out.pdf")
    assert (result.pages, result.warnings) == (8, ())
    assert_printed(pdf_text(result.pdf), language, (
        "notes", "my_care_team", "name", "role", "phone", "my_appointments", "date", "time", "place"))


@pytest.mark.parametrize("language", sorted(BODY))
@pytest.mark.parametrize("variant", ["summary", "large-print-summary"])
def test_a_summary_prints_its_languages_words_and_no_english_ones(write_yaml, tmp_path: Path, pdf_text,  # type: ignore[no-untyped-def]
                                                                  language: str, variant: str) -> None:
    result = api.build(in_language(write_yaml, language), variant=variant, output=tmp_path / "out.pdf")
    assert result.warnings == ()
    assert_printed(pdf_text(result.pdf), language, ("key_points", "warning", "urgent", "urgent_help"))


def test_the_english_word_check_can_fail() -> None:
    assert english_words_left("Contents · Page 2 · Phone: 1 · Key points", "de") == [
        "Contents", "Key points", "Page", "Phone"]
    assert english_words_left("Contents · Page 2 · Phone: 1 · Key points", "fr") == [  # Page is French too
        "Contents", "Key points", "Phone"]


@pytest.mark.parametrize("language", sorted(BODY))
def test_a_two_sided_summary_says_please_turn_over_in_its_language(write_yaml, tmp_path: Path, pdf_text,  # type: ignore[no-untyped-def]
                                                                   language: str) -> None:
    path = in_language(write_yaml, language)
    body = BODY[language]
    path.write_text(path.read_text(encoding="utf-8").replace(f'summary: ["{body}"]', "summary: [" + ", ".join(
        f'"{n}. {body}"' for n in range(1, 21)) + "]"), encoding="utf-8")
    result = api.build(path, variant="large-print-summary", output=tmp_path / "out.pdf")
    assert (result.pages, result.warnings) == (2, ())
    assert_printed(pdf_text(result.pdf), language, ("turn_over", "continued", "key_points"))


@pytest.mark.parametrize("layout", sorted(path.stem for path in (ROOT / "layouts").glob("*.yaml")))
def test_the_parsed_layouts_say_what_the_yaml_says(layout: str) -> None:
    """layouts/parsed.json, read instead of the YAML (faster), has each layout as its YAML reads, in its order."""
    text = (ROOT / "layouts" / f"{layout}.yaml").read_text(encoding="utf-8")
    parsed = json.loads((ROOT / "layouts" / theme.PARSED_LAYOUTS).read_text(encoding="utf-8"))
    assert parsed.get(layout, {}).get("sha256") == hashlib.sha256(text.encode("utf-8")).hexdigest(), \
        f"layouts/{theme.PARSED_LAYOUTS} is out of date: run python -m booklet.theme"
    assert json.dumps(parsed[layout]["data"]) == json.dumps(yaml.safe_load(text))  # the same values, types and order


def test_a_layout_edited_since_it_was_parsed_is_read_from_its_yaml(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    layouts = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", layouts)
    edited = STRINGS.read_text(encoding="utf-8").replace("  contents: Contents\n", "  contents: In this booklet\n")
    (layouts / "strings.yaml").write_text(edited, encoding="utf-8")
    caches = (theme._layout_file, theme._parsed_layouts, theme.build_theme)
    monkeypatch.setattr(theme, "layouts_dir", lambda: layouts)
    try:
        for cached in caches:
            cached.cache_clear()
        assert words_for("en")["contents"] == "In this booklet"
        assert words_for("es")["contents"] == "Contenido"
    finally:
        for cached in caches:
            cached.cache_clear()
