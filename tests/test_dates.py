# ruff: noqa: RUF001  (Cyrillic letters in Russian dates are meant)
"""Dates print as the handout's language writes them (layouts/dates.yaml, from CLDR), never as ISO codes a
patient must decode: on the back page, the summary and the web page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import DATA, ROOT, squash

from booklet.theme import long_date, words_language

DAY = dt.date(2026, 5, 17)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "17 May 2026"), ("en-GB", "17 May 2026"), ("en-US", "May 17, 2026"),
    ("es", "17 de mayo de 2026"), ("es-MX", "17 de mayo de 2026"), ("fr", "17 mai 2026"),
    ("de", "17. Mai 2026"), ("pl", "17 maja 2026"), ("ru", "17 мая 2026\u202fг."), ("el", "17 Μαΐου 2026"),
    ("lt", "2026 m. gegužės 17 d."), ("zh-Hans", "2026年5月17日"), ("zh-TW", "2026年5月17日"),
    ("ja", "2026年5月17日"), ("ko", "2026년 5월 17일"), ("he", "17 במאי 2026"), ("ar", "17 مايو 2026"),
])
def test_a_date_in_each_language(language: str, expected: str) -> None:
    assert long_date(DAY, language) == expected


def test_a_language_without_a_date_form_falls_back_to_iso() -> None:
    assert long_date(DAY, "xx") == "2026-05-17"


def test_every_language_with_layout_words_has_a_date_form() -> None:
    strings = yaml.safe_load((ROOT / "layouts" / "strings.yaml").read_text(encoding="utf-8"))
    for language in strings:
        assert words_language(language, "dates") == language, language
        assert long_date(DAY, language) != DAY.isoformat(), language


def test_every_month_has_its_name() -> None:
    dates = yaml.safe_load((ROOT / "layouts" / "dates.yaml").read_text(encoding="utf-8"))
    for language, way in dates.items():
        assert len(set(way["months"])) == len(way["months"]) == 12, language
        assert {"{year}", "{day}"} <= set(re.findall(r"\{\w+\}", way["pattern"])), language


@pytest.mark.parametrize(("language", "printed", "review"), [
    ("es", "17 de mayo de 2026", "17 de mayo de 2028"), ("pl", "17 maja 2026", "17 maja 2028"),
    ("ru", "17 мая 2026\u202fг.", "17 мая 2028\u202fг.")])
def test_the_booklet_summary_and_web_page_print_the_dates_in_the_language(
        run_cli, pdf_text, tmp_path: Path, language: str, printed: str, review: str,
) -> None:  # type: ignore[no-untyped-def]
    """The booklet's back page gives both dates; the summary, the review date."""
    source = DATA / "lang" / f"{language}.yaml"
    for command, name, dates in (("build", "b.pdf", (printed, review)), ("summary", "s.pdf", (review,))):
        code, _, err = run_cli(command, str(source), "-o", str(tmp_path / name))
        assert code == 0, err
        text = pdf_text(tmp_path / name)
        for date in dates:
            assert squash(date) in squash(text), (command, date)
        assert "2026-05-17" not in text
        assert "2028-05-17" not in text
    code, _, err = run_cli("html", str(source), "-o", str(tmp_path / "p.html"))
    assert code == 0, err
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert f'<time datetime="2026-05-17">{printed}</time>' in page
