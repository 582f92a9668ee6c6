"""Clinic texts per language (issue #11, part 9): the urgent line, hours, address and alternative
formats in the handout's language, or a warning naming the field and the language; never a silent
English sentence under translated headings."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE, squash

from booklet import api
from booklet import model as m
from booklet.check import check as check_handouts
from booklet.errors import BookletError, Loc
from booklet.validate import clinic_for_language, clinic_texts, match_language, read_clinic

SPANISH = DATA / "lang" / "es.yaml"
MULTILINGUAL = DATA / "print" / "clinic" / "clinic-multilingual.yaml"
ENGLISH_ONLY = DATA / "print" / "clinic" / "clinic.yaml"
URGENT_EN = "Out of hours, call NHS 111. In an emergency, call 999."
URGENT_ES = "Fuera de horario, llame al 111. En una emergencia, llame al 999."

CLINIC = """\
name: Test clinic
language: en
urgent:
  en: Call 111 out of hours.
  es: Fuera de horario, llame al 111.
hours: Monday to Friday
address:
  en: |
    1 Example Street
    Exampletown
  pl: |
    ul. Przykładowa 1
    Miasto
"""


@pytest.fixture
def multilingual(tmp_path: Path) -> Path:
    """The multilingual test clinic with a short web address (the long one is another test's subject)."""
    folder = tmp_path / "clinic"
    folder.mkdir()
    shutil.copy(MULTILINGUAL.parent / "logo.svg", folder / "logo.svg")
    text = re.sub(r"(?m)^website: .*$", "website: https://northgate.example.org", MULTILINGUAL.read_text("utf-8"))
    path = folder / "clinic.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "clinic.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(BookletError) as info:
        read_clinic(path)
    return [str(p).replace(str(path), "clinic.yaml") for p in info.value.problems]


# -- reading the profile -------------------------------------------------------------------
def test_texts_per_language_and_plain_texts_are_both_read(tmp_path: Path) -> None:
    clinic = read_clinic(write(tmp_path, CLINIC))
    assert clinic.language == "en"
    assert clinic.urgent == "Call 111 out of hours."  # the clinic's own language
    assert clinic.hours == "Monday to Friday"
    assert clinic.address == "1 Example Street\nExampletown"  # an address keeps its lines in every language
    assert clinic.translations == {
        "urgent": {"en": "Call 111 out of hours.", "es": "Fuera de horario, llame al 111."},
        "address": {"en": "1 Example Street\nExampletown", "pl": "ul. Przykładowa 1\nMiasto"},
    }


def test_language_defaults_to_english_and_a_profile_without_translations_is_unchanged() -> None:
    clinic = read_clinic(ENGLISH_ONLY)
    assert clinic.language == "en"
    assert clinic.translations == {}
    assert clinic.urgent == URGENT_EN


@pytest.mark.parametrize(("text", "expected"), [
    ("name: X\nurgent: [Call 111, Call 999]\n",
     ["clinic.yaml:2:9: error: 'urgent' should be text, or one text per language, but it is a list\n"
      "  hint: write the text after 'urgent:', or one 'en: ...' line per language indented under it"]),
    ("name: X\nurgent: {}\n",
     ["clinic.yaml:2:9: error: 'urgent' gives no text\n"
      "  hint: write the text after 'urgent:', or one 'en: ...' line per language indented under it"]),
    ("name: X\nurgent:\n  en: Call 111.\n  spanish: Llame al 111.\n",
     ["clinic.yaml:4:3: error: unknown language 'spanish' in 'urgent'\n"
      "  hint: give each text under a language code like en, es, pl or en-GB"]),
    ("name: X\nhours:\n  en: Monday\n  es:\n",
     ["clinic.yaml:4:6: error: the 'es' text of 'hours' is empty\n"
      "  hint: write the text after 'es:', or remove the line"]),
    ("name: X\nhours:\n  en: Monday\n  EN: Tuesday\n",
     ["clinic.yaml:4:3: error: 'hours' gives a 'EN' text twice\n  hint: keep one of them"]),
    ("name: X\nhours:\n  en: Monday\n  es: [lunes, martes]\n",
     ["clinic.yaml:4:7: error: expected text, but found a list\n"
      "  hint: put text containing ': ' or '- ' in quotes"]),
    ("name: X\nurgent:\n  es: Llame al 111.\n  pl: Zadzwoń pod 111.\n",
     ["clinic.yaml:3:3: error: 'urgent' has no 'en' text, the clinic's language\n"
      "  hint: add a line 'en: ...' under 'urgent' (printed when a handout's language has no text of its own), "
      "or set 'language:' to the language the clinic works in"]),
    ("name: X\nlanguage: Spanish!\n",
     ["clinic.yaml:2:11: error: 'Spanish!' is not a language tag\n"
      "  hint: the language the clinic's texts are written in, as a code like en, es, pl or en-GB"]),
    ("name: X\nphone: {en: '0123'}\n",
     ["clinic.yaml:2:8: error: 'phone' should be text, but it is a mapping (key: value lines)\n"
      "  hint: put the whole text on one line after the colon, in quotes if it contains ': '"]),
])
def test_bad_shapes_are_errors_with_file_line_and_hint(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert problems(write(tmp_path, text)) == expected


def test_a_profile_in_another_language_needs_its_own_language_text(tmp_path: Path) -> None:
    clinic = read_clinic(write(tmp_path, "name: X\nlanguage: es\nurgent:\n  en: Call 111.\n  es: Llame al 111.\n"))
    assert clinic.urgent == "Llame al 111."


# -- choosing the language -------------------------------------------------------------------
@pytest.mark.parametrize(("wanted", "available", "found"), [
    ("es", ["en", "es"], "es"),
    ("es-MX", ["en", "es"], "es"),  # the primary subtag
    ("es-MX", ["en", "es", "es-mx"], "es-mx"),  # the exact tag first, whatever its case
    ("es", ["en", "es-MX"], "es-MX"),  # another variety of the same language
    ("pt-BR", ["pt-PT", "pt"], "pt"),
    ("fr", ["en", "es"], None),
])
def test_language_match(wanted: str, available: list[str], found: str | None) -> None:
    assert match_language(wanted, available) == found


def test_the_handouts_language_is_chosen_without_warnings(tmp_path: Path) -> None:
    clinic = read_clinic(write(tmp_path, CLINIC.replace("hours: Monday to Friday\n", "")))
    spanish, warnings = clinic_for_language(clinic, "es-MX")
    assert spanish.urgent == "Fuera de horario, llame al 111."
    assert [w.message for w in warnings] == [
        "the clinic's 'address' has no 'es' text for this handout in 'es-MX': the 'en' text is printed instead"]
    assert warnings[0].severity == "warning"
    assert warnings[0].loc == clinic.field_locs["address"]
    assert warnings[0].hint == "add a line 'es: ...' with the translation under 'address' in the clinic profile"
    assert spanish.address == "1 Example Street\nExampletown"  # the clinic's language, said so above
    polish, warnings = clinic_for_language(clinic, "pl")
    assert polish.address == "ul. Przykładowa 1\nMiasto"
    assert [w.message.split(":")[0] for w in warnings] == [
        "the clinic's 'urgent' has no 'pl' text for this handout in 'pl'"]
    english, warnings = clinic_for_language(clinic, "en-GB")
    assert (english, warnings) == (clinic, [])


def test_a_plain_text_warns_only_for_a_handout_in_another_language(tmp_path: Path) -> None:
    clinic = read_clinic(ENGLISH_ONLY)
    assert clinic_for_language(clinic, "en-US") == (clinic, [])
    same, warnings = clinic_for_language(clinic, "es")
    assert same == clinic
    assert [(w.loc.line, w.message) for w in warnings] == [
        (9, "the clinic's 'address' is written in 'en' only, but this handout is in 'es': it is printed untranslated"),
        (15, "the clinic's 'hours' is written in 'en' only, but this handout is in 'es': it is printed untranslated"),
        (16, "the clinic's 'urgent' is written in 'en' only, but this handout is in 'es': it is printed untranslated"),
        (17, "the clinic's 'alternative_formats' is written in 'en' only, but this handout is in 'es': "
             "it is printed untranslated"),
    ]
    assert warnings[2].hint == ("give it per language: a line 'en: ...' and a line 'es: ...' indented under "
                                "'urgent'; or, if the clinic profile is written in 'es', add 'language: es' to it")
    spanish_clinic = read_clinic(write(tmp_path, "name: X\nlanguage: es\nurgent: Llame al 111.\n"))
    assert clinic_for_language(spanish_clinic, "es-ES")[1] == []
    assert [w.message for w in clinic_for_language(spanish_clinic, "en")[1]] == [
        "the clinic's 'urgent' is written in 'es' only, but this handout is in 'en': it is printed untranslated"]


def test_the_built_in_clinic_has_nothing_to_translate() -> None:
    clinic = m.Clinic(name="", logo=None, logo_alt="", colors=m.Colors("#000000", "#000000"))
    assert clinic_for_language(clinic, "vi") == (clinic, [])


def test_the_glyph_check_sees_every_language(tmp_path: Path) -> None:
    texts = [t for t, _ in clinic_texts(read_clinic(MULTILINGUAL))]
    assert URGENT_ES in texts
    assert "\u0412 нерабочее время звоните 111." in " ".join(texts)  # Russian, from the same profile
    clinic = write(tmp_path, "name: X\nurgent:\n  en: Call 111.\n  am: \u1200 111.\n")  # Ethiopic: no font has it
    with pytest.raises(BookletError) as info:  # even for an English handout: the profile must work for all
        api.build(EXAMPLE, clinic=clinic, output=tmp_path / "out.pdf")
    assert str(info.value).startswith(f"{clinic}:3:3: error: the font DejaVu Sans cannot draw ")
    assert "'\u1200' (U+1200)" in str(info.value)
    assert not (tmp_path / "out.pdf").exists()


# -- in the PDF ------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["booklet", "summary"])
def test_a_spanish_handout_prints_the_spanish_urgent_line(tmp_path: Path, pdf_text, multilingual: Path,  # type: ignore[no-untyped-def]
                                                         variant: str) -> None:
    result = api.build(SPANISH, clinic=multilingual, variant=variant, output=tmp_path / "es.pdf")
    text = squash(pdf_text(result.pdf))
    assert squash(URGENT_ES) in text
    assert squash(URGENT_EN) not in text
    assert squash("De lunes a viernes, de 8.30 a 18.00") in text
    assert squash("Monday to Friday") not in text
    assert result.warnings == ()
    english = api.build(EXAMPLE, clinic=multilingual, variant=variant, output=tmp_path / "en.pdf")
    assert squash(URGENT_EN) in squash(pdf_text(english.pdf))
    assert english.warnings == ()


def test_a_handout_without_a_translation_warns_at_build_and_strict_refuses(tmp_path: Path, run_cli, pdf_text,  # type: ignore[no-untyped-def]
                                                                           multilingual: Path) -> None:
    french = tmp_path / "fr.yaml"
    french.write_text(SPANISH.read_text(encoding="utf-8").replace("language: es", "language: fr-CA"),
                      encoding="utf-8")
    out = tmp_path / "fr.pdf"
    code, _, err = run_cli("build", french, "--clinic", multilingual, "-o", out)
    assert code == 0, err
    line = multilingual.read_text(encoding="utf-8").splitlines().index("urgent:") + 1
    assert (f"{multilingual}:{line + 1}:3: warning: the clinic's 'urgent' has no 'fr' text for this handout "
            f"in 'fr-CA': the 'en' text is printed instead\n"
            f"  hint: add a line 'fr: ...' with the translation under 'urgent' in the clinic profile\n") in err
    assert err.count("warning:") == 4  # address, hours, urgent and alternative formats
    assert squash(URGENT_EN) in squash(pdf_text(out))  # the fallback is the clinic's language
    out.unlink()
    code, _, err = run_cli("build", french, "--clinic", multilingual, "-o", out, "--strict")
    assert code == 2
    assert f"{multilingual}:{line + 1}:3: error: the clinic's 'urgent' has no 'fr' text" in err
    assert not out.exists()


def test_an_english_only_clinic_warns_for_a_spanish_handout(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("summary", SPANISH, "--clinic", ENGLISH_ONLY, "-o", tmp_path / "s.pdf")
    assert code == 0
    assert (f"{ENGLISH_ONLY}:16:9: warning: the clinic's 'urgent' is written in 'en' only, but this handout is in "
            "'es': it is printed untranslated\n") in err
    assert "Traceback" not in err


def test_check_reports_the_same_warning_once() -> None:
    """check lays the handout out as build does (check.builds) and reports what build would warn about."""
    findings = check_handouts([SPANISH], ENGLISH_ONLY)
    language = [f for f in findings if "is printed untranslated" in f.message]
    assert [(f.path, f.line, f.severity, f.rule) for f in language] == [
        (str(ENGLISH_ONLY), 9, "warning", "build"), (str(ENGLISH_ONLY), 15, "warning", "build"),
        (str(ENGLISH_ONLY), 16, "warning", "build"), (str(ENGLISH_ONLY), 17, "warning", "build")]
    handout, clinic = api.load(SPANISH, ENGLISH_ONLY)
    built = api.prepare(handout, clinic).warnings
    assert [(f.message, f.hint) for f in language] == [(w.message, w.hint) for w in built]
    assert not [f for f in check_handouts([SPANISH], MULTILINGUAL) if "clinic's" in f.message]


def test_warnings_point_into_the_clinic_profile() -> None:
    handout, clinic = api.load(SPANISH, ENGLISH_ONLY)
    for w in api.prepare(handout, clinic, "summary").warnings:
        assert isinstance(w.loc, Loc)
        assert (w.loc.path, w.loc.line > 0) == (str(ENGLISH_ONLY), True)
