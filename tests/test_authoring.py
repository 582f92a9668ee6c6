"""Authoring comfort (#14): every silent mistake of the issue gets a message with its line, column and what to type.

Each test runs the command a nurse would run and checks the exact text printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from booklet import plain_language as pl
from booklet.errors import BookletError
from booklet.source import parse

HANDOUT = """\
title: After your operation
sections:
  - heading: Your wound
    body:
{body}summary: [Keep the wound clean.]
"""


def handout(folder: Path, *body: str, name: str = "handout.yaml") -> Path:
    """A handout in `folder` whose first section holds `body` (paragraph lines, at body-item indent)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HANDOUT.format(body="".join(f"      - {line}\n" for line in body)), encoding="utf-8")
    return path


# -- an unquoted colour is a comment ------------------------------------------------------------
def test_unquoted_colour_is_an_error_saying_to_quote_it(tmp_path: Path, run_cli: Callable[..., tuple]) -> None:
    clinic = tmp_path / "clinic" / "clinic.yaml"
    clinic.parent.mkdir()
    clinic.write_text("name: Riverside\ncolors:\n  primary: #0B6E4F\n  accent: \"#00796B\"\n", encoding="utf-8")
    content = handout(tmp_path / "content", "Keep the wound dry.")
    expected = (f"{clinic}:3:12: error: 'primary' has no value: #0B6E4F is read as a comment, because a # after "
                "a space starts a comment in YAML")
    hint = '  hint: quote it: primary: "#0B6E4F"'
    code, out, _ = run_cli("check", content, "--clinic", clinic)
    assert code == 2
    assert f"{expected} [validation]\n{hint}\n" in out
    code, _, err = run_cli("build", content, "--clinic", clinic, "-o", tmp_path / "out.pdf")
    assert code == 2
    assert f"{expected}\n{hint}\n" in err
    assert not (tmp_path / "out.pdf").exists()


def test_a_key_left_empty_on_purpose_with_a_comment_is_fine(tmp_path: Path, run_cli: Callable[..., tuple]) -> None:
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text("name: Riverside\ncolors:\n  primary: \"#1F5F8B\"\n  accent:   # fill in later\n",
                      encoding="utf-8")
    code, _, err = run_cli("check", handout(tmp_path / "content", "Keep the wound dry."), "--clinic", clinic)
    assert code == 0, err


# -- unbalanced {{ }}, ** and * -------------------------------------------------------------------
UNBALANCED = [
    pytest.param(
        "Your operation is on {{ surgery_date }.", 30,
        "the placeholder '{{ surgery_date }' is not closed, so it would print as typed",
        "end it with two braces: {{ surgery_date }}", id="unclosed-placeholder"),
    pytest.param(
        "Call us on {{ phone }} }} if it bleeds.", 32,
        "'}}' closes a placeholder that was never opened",
        "a placeholder is written {{ name }}, with two braces on each side; or remove the braces",
        id="stray-closing-braces"),
    pytest.param(
        "Do **not rub it.", 12,
        "'**' starts bold text that is never closed: it would print as two asterisks",
        "put ** after the last word in bold, like: **not** rub it.", id="unclosed-bold"),
    pytest.param(
        "Do not rub it** at all.", 22,
        "'**' ends bold text that was never started: it would print as two asterisks",
        "put ** before the first word in bold, like: Do not rub **it**; or remove it", id="unopened-bold"),
    pytest.param(
        '"Keep it *dry for two days."', 18,
        "'*' starts italic text that is never closed: it would print as an asterisk",
        "put * after the last word in italics, like: *dry* for two days.; or, to print an asterisk, "
        "put a space after it", id="unclosed-italic-in-quotes"),
]


@pytest.mark.parametrize(("line", "column", "message", "hint"), UNBALANCED)
def test_unbalanced_marks_are_errors_at_the_mark(tmp_path: Path, run_cli: Callable[..., tuple], line: str,
                                                 column: int, message: str, hint: str) -> None:
    content = handout(tmp_path, "Keep the wound clean.", line)
    where = f"{content}:6:{column}"
    code, out, _ = run_cli("check", content)
    assert code == 2
    assert f"{where}: error: {message} [validation]\n  hint: {hint}\n" in out
    code, _, err = run_cli("build", content, "-o", tmp_path / "out.pdf")
    assert code == 2
    assert err.endswith(f"{where}: error: {message}\n  hint: {hint}\n")


def test_an_unclosed_mark_in_a_text_over_several_lines_is_found_on_its_line(
        tmp_path: Path, run_cli: Callable[..., tuple]) -> None:
    content = handout(tmp_path, "Keep the wound clean and dry\n        for two days, and **do not\n"
                      "        rub it.")
    code, out, _ = run_cli("check", content)
    assert code == 2
    assert f"{content}:6:27: error: '**' starts bold text that is never closed" in out


def test_asterisks_meant_as_asterisks_print_as_typed(tmp_path: Path, run_cli: Callable[..., tuple],
                                                     pdf_text: Callable[..., str]) -> None:
    literal = ["Take 2 * 3 tablets a day.", "Costs* are shown.", "Your code is ****.", "A 2*3 grid.",
               "See the note (*).", "*** end ***"]
    content = handout(tmp_path, *(f'"{text}"' for text in literal))
    code, _, err = run_cli("build", content, "-o", tmp_path / "out.pdf")
    assert code == 0, err
    text = pdf_text(tmp_path / "out.pdf")
    for line in literal:
        assert line in text


# -- YAML syntax errors name the author's line -------------------------------------------------
def _numbered(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


#: A handout of 40 lines like the one in the issue: the mistakes go on lines 11, 2 and 33.
LONG = [
    "title: After your operation",          # 1
    "subtitle: Looking after your wound",   # 2
    "reference: SURG-007",                  # 3
    'version: "1.0"',                       # 4
    "language: en",                         # 5
    "sections:",                            # 6
    "  - heading: Your wound",              # 7
    "    body:",                            # 8
    "      - Keep the wound clean.",        # 9
    "      - Keep it dry for two days.",    # 10
    "      - Your nurse will check it.",    # 11
    *[f"      - Line {n} of the text." for n in range(12, 30)],
    "      - bullets:",                     # 30
    "          - Rest",                     # 31
    "          - Drink water",              # 32
    "          - Keep warm",                # 33
    "          - Eat well",                 # 34
    "  - heading: Questions",               # 35
    "    body:",                            # 36
    "      - questions:",                   # 37
    "          - When can I shower?",       # 38
    "          - When can I drive?",        # 39
    "          - When can I work?",         # 40
]


def _with(line_number: int, text: str) -> list[str]:
    lines = list(LONG)
    lines[line_number - 1] = text
    return lines


SYNTAX = [
    pytest.param(
        _with(11, '      - "Your nurse will check it.'), 11, 9,
        'the text that starts with " here is never closed with another "',
        'end the text with " on the same line: - "Your nurse will check it."', id="unclosed-quote-line-11"),
    pytest.param(
        _with(2, " subtitle: Looking after your wound"), 2, 1,
        "'subtitle:' is indented 1 space more than 'title:' on line 1",
        "remove 1 space before 'subtitle:' so that it starts in the same column as 'title:'",
        id="space-before-subtitle"),
    pytest.param(
        _with(33, "          -Keep warm"), 33, 11,
        "there is no space after the '-' that starts this list item",
        "put a space after the dash: - Keep warm", id="dash-without-space-line-33"),
    pytest.param(
        _with(8, "   body:"), 8, 1,
        "'body:' is indented 1 space less than 'heading:' on line 7",
        "add 1 space before 'body:' so that it starts in the same column as 'heading:'", id="key-indented-less"),
    pytest.param(
        _with(2, "subtitle: 'What it's about'"), 2, 19,
        "the text in ' quotes ends at this ', but more text follows it",
        "put the whole text in double quotes: subtitle: \"What it's about\"", id="apostrophe-in-single-quotes"),
    pytest.param(
        _with(9, '      - "Keep the "wound" clean."'), 9, 19,
        'the text in " quotes ends at this ", but more text follows it',
        "put the whole text in single quotes: - 'Keep the \"wound\" clean.'", id="quotes-in-double-quotes"),
    pytest.param(
        [*LONG[:37], "          -When can I shower?", *LONG[38:]], 38, 11,
        "there is no space after the '-' that starts this list item",
        "put a space after the dash: - When can I shower?", id="dash-without-space-read-as-text"),
]


@pytest.mark.parametrize(("lines", "line", "column", "message", "hint"), SYNTAX)
def test_yaml_syntax_errors_point_at_the_authors_mistake(tmp_path: Path, run_cli: Callable[..., tuple],
                                                         lines: list[str], line: int, column: int, message: str,
                                                         hint: str) -> None:
    path = tmp_path / "handout.yaml"
    path.write_text(_numbered(lines), encoding="utf-8")
    code, _, err = run_cli("build", path, "-o", tmp_path / "out.pdf")
    assert code == 2
    assert err.endswith(f"{path}:{line}:{column}: error: {message}\n  hint: {hint}\n")
    code, out, _ = run_cli("check", path)
    assert code == 2
    assert f"{path}:{line}:{column}: error: {message} [validation]\n  hint: {hint}\n" in out


def test_the_long_handout_itself_is_fine(tmp_path: Path) -> None:
    parse(_numbered(LONG), "ok.yaml")


def test_an_item_indented_under_the_one_above_is_not_silently_joined_to_it() -> None:
    with pytest.raises(BookletError) as info:
        parse("title: T\nsummary:\n  - Rest\n    - Drink water\nsections: []\n", "h.yaml")
    assert str(info.value) == (
        "h.yaml:4:5: error: this line is read as more of the text above, not as a new list item, because it is "
        "indented more than the '-' of the item above\n"
        "  hint: start its '-' in the same column as the '-' above")


def test_text_over_several_lines_with_a_dash_inside_is_fine() -> None:
    parse("title: T\nsummary:\n  - Rest for a day or two -\n    -5 degrees is too cold - stay in.\n", "h.yaml")


# -- a folder made by booklet init ------------------------------------------------------------------
@pytest.fixture
def clinic_folder(tmp_path: Path, run_cli: Callable[..., tuple], monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "myclinic"
    code, _, err = run_cli("init", folder)
    assert code == 0, err
    monkeypatch.chdir(folder)
    return folder


def _star_yaml(folder: Path) -> list[str]:
    """What the shell makes of `*.yaml` in the folder."""
    return sorted(p.name for p in folder.glob("*.yaml"))


def test_check_of_every_yaml_in_a_new_clinic_folder_passes(clinic_folder: Path,
                                                           run_cli: Callable[..., tuple]) -> None:
    code, out, err = run_cli("check", *_star_yaml(clinic_folder), "--clinic", "clinic.yaml")
    assert code == 0, out + err
    assert ("clinic.yaml: info: skipped: this is the clinic profile in use, not a handout [skipped]\n"
            in out)
    assert out.endswith("checked 1 handout: 0 errors, 0 warnings, 2 info\n")


def test_the_skipped_clinic_profile_in_json_has_no_line_and_fits_the_schema(
        clinic_folder: Path, run_cli: Callable[..., tuple]) -> None:
    import json
    from importlib import resources

    code, out, _ = run_cli("check", *_star_yaml(clinic_folder), "--clinic", "clinic.yaml", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert {"path": "clinic.yaml", "line": None, "column": None, "severity": "info", "rule": "skipped",
            "message": "skipped: this is the clinic profile in use, not a handout", "hint": ""} in report["findings"]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resources.files("booklet").joinpath("data", "check-findings.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)


def test_batch_of_every_yaml_in_a_new_clinic_folder_writes_them_all(clinic_folder: Path,
                                                                    run_cli: Callable[..., tuple]) -> None:
    code, _, err = run_cli("batch", *_star_yaml(clinic_folder), "--clinic", "clinic.yaml", "--variant", "booklet",
                           "--variant", "summary", "--impose", "--jobs", "1")
    assert code == 0, err
    assert "clinic.yaml: info: skipped: this is the clinic profile in use, not a handout\n" in err
    assert err.count("skipped") == 1  # said once
    assert "2 written, 0 failed" in err
    assert sorted(p.name for p in (clinic_folder / "out").iterdir()) == ["blood-test-summary.pdf", "blood-test.pdf"]


def test_batch_of_only_the_clinic_profile_says_what_to_give(clinic_folder: Path,
                                                            run_cli: Callable[..., tuple]) -> None:
    code, _, err = run_cli("batch", "clinic.yaml", "--clinic", "clinic.yaml")
    assert code == 2
    assert "CONTENT: error: the only content file given is the clinic profile\n" in err


def test_the_starter_names_only_files_that_exist(clinic_folder: Path) -> None:
    named: set[str] = set()
    for path in clinic_folder.iterdir():
        if path.suffix in (".yaml", ".md"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".yaml":  # only the comments: what the file tells its reader to run
                text = "\n".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)
            named.update(re.findall(r"[\w*./-]+\.(?:yaml|svg)\b", text))
    assert named, "the starter names its files"
    missing = {name for name in named if "*" not in name and not (clinic_folder / name).exists()}
    assert missing == set()


# -- plain language: the words a new user found missing ---------------------------------------------
@pytest.mark.parametrize(("word", "everyday"), [
    ("erythema", "redness"),
    ("dehiscence", "the wound opening up"),
    ("exudate", "fluid leaking from a wound"),
    ("pyrexia", "fever; high temperature"),
    ("pruritus", "itching"),
    ("haematuria", "blood in the urine"),
    ("sutures", "stitches; stitched"),
    ("cellulitis", "a skin infection"),
])
def test_common_clinical_words_are_flagged_with_everyday_words(tmp_path: Path, run_cli: Callable[..., tuple],
                                                               word: str, everyday: str) -> None:
    content = handout(tmp_path, "Keep the wound clean.", f"Tell us about any {word} around the wound.")
    code, out, _ = run_cli("check", content)
    assert code == 0
    headword = pl.jargon_for("en").headword(  # type: ignore[union-attr]
        next(c for c, _ in pl.jargon_for("en").find(word)))  # type: ignore[union-attr]
    assert (f"{content}:6:9: warning: '{word}' is a medical word many patients do not know, and no glossary "
            f"explains it [jargon]\n  hint: add '{headword.capitalize()}: what it means' to a glossary block, "
            f"or say it in everyday words: {everyday}\n") in out


def test_the_word_list_covers_a_few_hundred_concepts_each_with_everyday_words() -> None:
    words = pl.jargon_for("en")
    assert words is not None
    assert len(words.concepts) >= 300
    assert [words.headword(i) for i in range(len(words.concepts)) if not words.everyday(i)] == []
