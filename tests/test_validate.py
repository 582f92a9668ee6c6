"""Validation: every bad input gives the exact message a nurse reads, with file:line:col and a hint."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from booklet import model as m
from booklet.errors import MAX_PROBLEMS, BookletError
from booklet.validate import read_clinic, read_handout

HEAD = """\
title: Test handout
sections:
  - heading: One
    body:
"""


def handout_with(*blocks: str) -> str:
    """A valid handout whose first section's body holds `blocks` (each written at body-item indent)."""
    return HEAD + "".join(textwrap.indent(textwrap.dedent(b).strip("\n"), " " * 6) + "\n" for b in blocks)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """tmp_path with images/ok.png, a symlink pointing out of the folder, and a file outside it."""
    (tmp_path / "content" / "images").mkdir(parents=True)
    Image.new("RGB", (120, 80), "white").save(tmp_path / "content" / "images" / "ok.png")
    Image.new("RGB", (120, 80), "white").save(tmp_path / "outside.png")
    os.symlink(tmp_path / "outside.png", tmp_path / "content" / "images" / "link.png")
    return tmp_path / "content"


def error_for(folder: Path, text: str, name: str = "handout.yaml") -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BookletError) as info:
        read_handout(path)
    return str(info.value)


CASES = [
    pytest.param(
        "title: T\nsubtitel: x\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:1: error: unknown key 'subtitel' in the handout\n  hint: did you mean 'subtitle'?",
        id="unknown-key-did-you-mean",
    ),
    pytest.param(
        "title: T\ncolour: red\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:1: error: unknown key 'colour' in the handout\n  hint: expected one of: title, subtitle, reference, "
        "version, language, published, review_by, audience, authors, sources, summary, sections",
        id="unknown-key-lists-the-keys",
    ),
    pytest.param(
        "title: T\nsections:\n  - heading: H\n    bdy: [p]\n",
        "{p}:3:5: error: a section is missing 'body'\n  hint: add a line 'body: ...'\n"
        "{p}:4:5: error: unknown key 'bdy' in a section\n  hint: did you mean 'body'?",
        id="unknown-section-key",
    ),
    pytest.param(
        "title: T\ntitle: U\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:1: error: 'title' is given twice in the handout\n  hint: keep one of them",
        id="duplicate-key",
    ),
    pytest.param(
        handout_with("- tabel:\n    columns: [a]\n    rows: [[b]]"),
        "{p}:5:9: error: unknown block 'tabel'\n  hint: did you mean 'table'?",
        id="unknown-block-kind",
    ),
    pytest.param(
        handout_with("- Note: take this with food"),
        "{p}:5:9: error: unknown block 'Note'\n"
        "  hint: did you mean 'notes'?; or, if this is a paragraph containing ': ', put it in quotes",
        id="unquoted-colon-paragraph",
    ),
    pytest.param(
        handout_with("- kind: warning\n  text: x"),
        "{p}:5:9: error: a block should have exactly one kind, but this one has: kind, text\n"
        "  hint: the callout's fields go indented under '- callout:'",
        id="callout-fields-not-indented",
    ),
    pytest.param(
        "title: [a, b]\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:1:8: error: 'title' should be text, but it is a list\n"
        "  hint: put the whole text on one line after the colon, in quotes if it contains ': '",
        id="title-is-a-list",
    ),
    pytest.param(
        "title: T\nsections: Read this first\n",
        "{p}:2:11: error: 'sections' should be a list, but it is text\n"
        "  hint: write it as a list: one '- item' per line, or [item, item]",
        id="sections-is-text",
    ),
    pytest.param(
        handout_with("- bullets: just one line"),
        "{p}:5:18: error: 'bullets' should be a list, but it is text\n"
        "  hint: write one '- item' per line, or [item, item]",
        id="bullets-is-text",
    ),
    pytest.param(
        handout_with("- glossary: [Stage, Grade]"),
        "{p}:5:19: error: 'glossary' should be a mapping of word: meaning, but it is a list\n"
        "  hint: write one 'Word: what it means' per line, indented under glossary",
        id="glossary-is-a-list",
    ),
    pytest.param(
        handout_with("- notes: lots"),
        "{p}:5:16: error: 'notes' should be a number of lines from 1 to 60\n  hint: for example 'notes: 6'",
        id="notes-not-a-number",
    ),
    pytest.param(
        handout_with("- page_break: no"),
        "{p}:5:21: error: write 'page_break: true' to start a new page here",
        id="page-break-no",
    ),
    pytest.param(
        "- just\n- a list\n",
        "{p}:1:1: error: the handout should be a mapping (key: value lines), but it is a list",
        id="top-level-list",
    ),
    pytest.param(
        "---\n",
        "{p}:2:1: error: the handout should be a mapping (key: value lines), but it is nothing",
        id="document-marker-only",
    ),
    pytest.param(
        "sections:\n  - heading: H\n    body: [p]\n",
        "{p}:1:1: error: the handout is missing 'title'\n  hint: add a line 'title: ...'",
        id="missing-title",
    ),
    pytest.param(
        "title:\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:1:7: error: 'title' is empty\n  hint: write a value after the colon",
        id="empty-title",
    ),
    pytest.param(
        "title: T\n",
        "{p}:1:1: error: the handout is missing 'sections'\n  hint: add a line 'sections: ...'",
        id="missing-sections",
    ),
    pytest.param(
        "title: T\nsections:\n  - body: [p]\n",
        "{p}:3:5: error: a section is missing 'heading'\n  hint: add a line 'heading: ...'",
        id="missing-heading",
    ),
    pytest.param(
        "title: T\nsections:\n  - heading: H\n    body: []\n",
        "{p}:4:11: error: the section's 'body' is empty\n  hint: add at least one paragraph",
        id="empty-body",
    ),
    pytest.param(
        "title: T\npublished: 2026-02-30\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:12: error: '2026-02-30' is not a real date\n  hint: check the month and the day",
        id="impossible-date",
    ),
    pytest.param(
        "title: T\nreview_by: 17/05/2028\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:12: error: 'review_by' should be a date written as YYYY-MM-DD, not '17/05/2028'\n"
        "  hint: for example 2026-05-17",
        id="date-format",
    ),
    pytest.param(
        "title: T\nreference: " + "R" * 41 + "\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:12: error: the reference is 41 characters long; at most 40 fit in the page footer\n"
        "  hint: use a short code like ONC-014",
        id="reference-too-long",
    ),
    pytest.param(
        "title: T\nlanguage: English!\nsections:\n  - heading: H\n    body: [p]\n",
        "{p}:2:11: error: 'English!' is not a language tag\n  hint: use a code like en, es, pl or en-GB",
        id="language-tag",
    ),
    pytest.param(
        handout_with("- callout:\n    kind: danger\n    text: Call us"),
        "{p}:6:17: error: unknown callout kind 'danger'\n  hint: use one of: info, tip, warning, urgent",
        id="unknown-callout-kind",
    ),
    pytest.param(
        handout_with("- callout:\n    kind: tip"),
        "{p}:5:9: error: the callout has no title, text or bullets\n  hint: add a 'text:' line",
        id="empty-callout",
    ),
    pytest.param(
        handout_with("- table:\n    columns: [Side effect, What helps]\n    rows:\n"
                     "      - [Tiredness, feeling sick, rest]"),
        "{p}:8:15: error: table row 1 has 3 cells but the table has 2 columns\n"
        "  hint: a comma inside [a, b, c] starts a new cell: put a cell that contains a comma in quotes, "
        "like \"Tiredness, feeling sick\"",
        id="row-with-unquoted-comma",
    ),
    pytest.param(
        handout_with("- table:\n    columns: [Side effect, What helps]\n    rows:\n      - [Tiredness]"),
        "{p}:8:15: error: table row 1 has 1 cell but the table has 2 columns\n  hint: give one cell per column",
        id="row-too-short",
    ),
    pytest.param(
        handout_with("- table:\n    columns: [A, B]\n    rows: []"),
        "{p}:7:17: error: the table has no rows",
        id="table-without-rows",
    ),
    pytest.param(
        handout_with("- image:\n    src: images/missing.png\n    alt: A picture"),
        "{p}:6:16: error: image 'images/missing.png' was not found\n  hint: looked in {d}",
        id="image-missing",
    ),
    pytest.param(
        handout_with("- image:\n    src: https://example.org/body.png\n    alt: A picture"),
        "{p}:6:16: error: image 'https://example.org/body.png' is a URL; only local files can be used\n"
        "  hint: download the file, save it next to the YAML file and give its name",
        id="image-url",
    ),
    pytest.param(
        handout_with("- image:\n    src: ../outside.png\n    alt: A picture"),
        "{p}:6:16: error: image '../outside.png' is outside the folder of handout.yaml\n"
        "  hint: put the file in {d} (or a folder inside it) and give its path relative to handout.yaml",
        id="image-dotdot",
    ),
    pytest.param(
        handout_with("- image:\n    src: images/../../outside.png\n    alt: A picture"),
        "{p}:6:16: error: image 'images/../../outside.png' is outside the folder of handout.yaml\n"
        "  hint: put the file in {d} (or a folder inside it) and give its path relative to handout.yaml",
        id="image-dotdot-inside-path",
    ),
    pytest.param(
        handout_with("- image:\n    src: /etc/hosts.png\n    alt: A picture"),
        "{p}:6:16: error: image '/etc/hosts.png' is an absolute path; give a path relative to handout.yaml\n"
        "  hint: put the file in {d} (or a folder inside it) and give its path relative to handout.yaml",
        id="image-absolute",
    ),
    pytest.param(
        handout_with("- image:\n    src: images/link.png\n    alt: A picture"),
        "{p}:6:16: error: image 'images/link.png' is outside the folder of handout.yaml\n"
        "  hint: put the file in {d} (or a folder inside it) and give its path relative to handout.yaml",
        id="image-symlink-out",
    ),
    pytest.param(
        handout_with("- image:\n    src: images/ok.gif\n    alt: A picture"),
        "{p}:6:16: error: image 'images/ok.gif' is not a PNG, JPG, JPEG, SVG file",
        id="image-wrong-kind",
    ),
    pytest.param(
        handout_with("- image:\n    src: images/ok.png"),
        "{p}:6:11: error: the image is missing 'alt'\n  hint: add a line 'alt: ...'",
        id="image-without-alt",
    ),
    pytest.param(
        handout_with("- image:\n    src: images/ok.png\n    alt: A picture\n    width: 120%"),
        "{p}:8:18: error: image width '120%' should be a percentage of the text width\n  hint: for example 60%",
        id="image-width",
    ),
    pytest.param(
        handout_with("- qr:\n    url: javascript:alert(1)"),
        "{p}:6:16: error: 'javascript:alert(1)' is not a web address\n  hint: start it with https://",
        id="qr-not-a-web-address",
    ),
    pytest.param(
        handout_with("- \"Dear {{ patient name }}\""),
        "{p}:5:9: error: '{{{{ patient name }}}}' is not a valid placeholder\n"
        "  hint: placeholder names are letters, digits and _ like {{{{ patient_name }}}}",
        id="bad-placeholder-name",
    ),
    pytest.param(
        "title: T\nsubtitel: x\npublished: 2026-13-01\nsections:\n  - heading: H\n    body:\n      - tabel: x\n"
        "      - callout:\n          kind: danger\n          text: x\n      - table:\n          columns: [A, B]\n"
        "          rows: [[a, b, c]]\n",
        "{p}:2:1: error: unknown key 'subtitel' in the handout\n  hint: did you mean 'subtitle'?\n"
        "{p}:3:12: error: '2026-13-01' is not a real date\n  hint: check the month and the day\n"
        "{p}:7:9: error: unknown block 'tabel'\n  hint: did you mean 'table'?\n"
        "{p}:9:17: error: unknown callout kind 'danger'\n  hint: use one of: info, tip, warning, urgent\n"
        "{p}:13:18: error: table row 1 has 3 cells but the table has 2 columns\n"
        "  hint: a comma inside [a, b, c] starts a new cell: put a cell that contains a comma in quotes, "
        "like \"Tiredness, feeling sick\"",
        id="several-problems-one-error",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_bad_handout_gives_exact_error(folder: Path, text: str, expected: str) -> None:
    path = folder / "handout.yaml"
    assert error_for(folder, text) == expected.format(p=path, d=folder.resolve())


def test_problems_are_capped_with_a_count(folder: Path) -> None:
    extra = 5
    keys = "".join(f"bad{i:02d}: x\n" for i in range(MAX_PROBLEMS + extra))
    message = error_for(folder, "title: T\n" + keys + "sections:\n  - heading: H\n    body: [p]\n")
    lines = [line for line in message.splitlines() if ": error: " in line]
    assert len(lines) == MAX_PROBLEMS
    assert message.endswith(f"\n... and {extra} more problems")


CLINIC_CASES = [
    pytest.param(
        "name: C\nlogo: https://example.org/logo.png\n",
        "{p}:2:7: error: logo 'https://example.org/logo.png' is a URL; only local files can be used\n"
        "  hint: download the file, save it next to the YAML file and give its name",
        id="logo-url",
    ),
    pytest.param(
        "name: C\nlogo: ../outside.png\n",
        "{p}:2:7: error: logo '../outside.png' is outside the folder of clinic.yaml\n"
        "  hint: put the file in {d} (or a folder inside it) and give its path relative to clinic.yaml",
        id="logo-dotdot",
    ),
    pytest.param(
        "name: C\ncolors: {primary: blue, acent: \"#000000\"}\n",
        "{p}:2:19: error: colour 'blue' should be written as #RRGGBB\n  hint: for example \"#1F4E79\" (in quotes)\n"
        "{p}:2:25: error: unknown key 'acent' in 'colors'\n  hint: did you mean 'accent'?",
        id="colours",
    ),
    pytest.param(
        "name: C\nfonts: {regular: fonts/House.ttf}\n",
        "{p}:2:8: error: 'fonts' is missing 'bold'\n  hint: add a line 'bold: ...'\n"
        "{p}:2:18: error: regular font 'fonts/House.ttf' was not found\n  hint: looked in {d}",
        id="fonts",
    ),
    pytest.param(
        "name: \"{{ clinic }}\"\n",
        "{p}:1:7: error: placeholders like {{{{ name }}}} cannot be used in a clinic profile\n"
        "  hint: write the clinic's details out in full",
        id="placeholder-in-clinic",
    ),
    pytest.param(
        "nam: C\n",
        "{p}:1:1: error: unknown key 'nam' in the clinic profile\n  hint: did you mean 'name'?\n"
        "{p}:1:1: error: the clinic profile is missing 'name'\n  hint: add a line 'name: ...'",
        id="clinic-name-typo",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CLINIC_CASES)
def test_bad_clinic_gives_exact_error(folder: Path, text: str, expected: str) -> None:
    path = folder / "clinic.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BookletError) as info:
        read_clinic(path)
    assert str(info.value) == expected.format(p=path, d=folder.resolve())


# -- through the command line: placeholders and glyphs are checked at build time ----
def test_unfilled_placeholder_names_it(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = folder / "handout.yaml"
    path.write_text(handout_with('- "Dear {{ name }}, your nurse is {{ nurse }}. Bye {{ name }}."'), encoding="utf-8")
    out = folder / "out.pdf"
    code, stdout, stderr = run_cli("build", path, "--set", "name=Ana", "-o", out)
    assert (code, stdout) == (2, "")
    assert stderr == (f"{path}:5:9: error: the placeholder {{{{ nurse }}}} has no value\n"
                      "  hint: give one with --set nurse=...\n")
    assert not out.exists()


def test_characters_the_font_cannot_draw_are_named_with_their_line(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = folder / "handout.yaml"  # Ethiopic and Cherokee: alphabets DejaVu Sans has no glyphs for
    path.write_text(handout_with("- Plain line", "- \u1200\u13a0 in a paragraph"), encoding="utf-8")
    out = folder / "out.pdf"
    code, _, stderr = run_cli("build", path, "-o", out)
    assert code == 2
    assert stderr == (f"{path}:6:9: error: the font DejaVu Sans cannot draw '\u1200' (U+1200) '\u13a0' (U+13A0)\n"
                      "  hint: replace or remove these characters, or name a clinic font that has them\n")
    assert not out.exists()


def test_every_text_with_a_character_the_font_cannot_draw_is_named(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Characters found drawable are not checked again in later texts; one that is not is named in each."""
    path = folder / "handout.yaml"
    path.write_text(handout_with("- \u1200 here", "- Plain line", "- and \u1200 again, with \u13a0"), encoding="utf-8")
    code, _, stderr = run_cli("build", path, "-o", folder / "out.pdf")
    assert code == 2
    hint = "  hint: replace or remove these characters, or name a clinic font that has them\n"
    error = "error: the font DejaVu Sans cannot draw '\u1200' (U+1200)"
    assert stderr == f"{path}:5:9: {error}\n{hint}{path}:7:9: {error} '\u13a0' (U+13A0)\n{hint}"


@pytest.mark.parametrize(("text", "script", "first"), [
    ("\u0710\u0720\u0721\u0710", "Syriac", "\u0710"),  # Arabic and Hebrew are shaped now
    ("\u078b\u07a8\u0788\u07ac\u0780\u07a8", "Thaana", "\u078b"),
    ("\u0c30\u0c15\u0c4d\u0c24\u0c2a\u0c4b\u0c1f\u0c41", "Telugu", "\u0c30"),  # Devanagari is shaped now
    ("\u0e04\u0e27\u0e32\u0e21\u0e14\u0e31\u0e19", "Thai", "\u0e04"),
])
def test_a_script_booklet_cannot_set_is_refused_naming_it(folder: Path, run_cli, text: str, script: str,  # type: ignore[no-untyped-def]
                                                          first: str) -> None:
    path = folder / "handout.yaml"
    path.write_text(handout_with("- Plain line", f"- MRI {text} 0207 946 0123"), encoding="utf-8")
    out = folder / "out.pdf"
    code, _, stderr = run_cli("build", path, "-o", out)
    assert code == 2
    assert stderr.startswith(f"{path}:6:9: error: this text is in the {script} script ('{first}', "
                             f"U+{ord(first):04X}), which booklet cannot yet print correctly: ")
    assert "hint: booklet prints the Latin, Greek and Cyrillic scripts today" in stderr
    assert not out.exists()
    code, out_text, _ = run_cli("check", path)
    assert code == 2
    assert f"this text is in the {script} script" in out_text


def test_latin_greek_and_cyrillic_are_not_refused(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = folder / "handout.yaml"
    path.write_text(handout_with("- \u00c5ngstr\u00f6m, \u0141\u00f3d\u017a, Nguy\u1ec5n, \u03b1\u03b9\u03bc\u03b1, "
                                 "\u043a\u0440\u043e\u0432\u044c, \u0531\u0580\u0561\u0574"), encoding="utf-8")
    code, _, stderr = run_cli("build", path, "-o", folder / "out.pdf")
    assert code == 0, stderr


def test_invisible_characters_are_named_by_code_only(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = folder / "handout.yaml"
    path.write_text(handout_with('- "bell \\a here"'), encoding="utf-8")
    code, _, stderr = run_cli("build", path, "-o", folder / "out.pdf")
    assert code == 2
    assert stderr == (f"{path}:5:9: error: the font DejaVu Sans cannot draw U+0007\n"
                      "  hint: replace or remove these characters, or name a clinic font that has them\n")


def test_characters_beyond_the_bmp_are_refused(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    # DejaVu Sans draws U+1F600, but ReportLab 5.1 would put a broken ToUnicode entry in the PDF for it
    path = folder / "handout.yaml"
    path.write_text(handout_with("- Smile \U0001F600 and \U0001D400"), encoding="utf-8")
    code, _, stderr = run_cli("build", path, "-o", folder / "out.pdf")
    assert code == 2
    assert stderr == (f"{path}:5:9: error: characters beyond U+FFFF such as emoji cannot be used: "
                      "'\U0001D400' (U+1D400) '\U0001F600' (U+1F600)\n"
                      "  hint: the PDF's text would not copy or read aloud correctly; replace or remove them\n")


def test_set_value_the_font_cannot_draw(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = folder / "handout.yaml"
    path.write_text(handout_with('- "Dear {{ name }}"'), encoding="utf-8")
    code, _, stderr = run_cli("build", path, "--set", "name=\u1200\u13a0", "-o", folder / "out.pdf")
    assert code == 2
    assert stderr == ("--set name: error: the font DejaVu Sans cannot draw '\u1200' (U+1200) '\u13a0' (U+13A0)\n"
                      "  hint: replace or remove these characters, or name a clinic font that has them\n")
    code, _, stderr = run_cli("build", path, "--set", "name=\u0e2a\u0e21", "-o", folder / "out.pdf")
    assert code == 2
    assert stderr.startswith("--set name: error: this text is in the Thai script ('\u0e2a', U+0E2A)")


def test_malformed_set_option(folder: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = folder / "handout.yaml"
    path.write_text(handout_with("- Hello"), encoding="utf-8")
    code, _, stderr = run_cli("build", path, "--set", "name", "-o", folder / "out.pdf")
    assert code == 2
    assert stderr == ("--set: error: 'name' should be written as name=value\n"
                      "  hint: for example --set patient_name=Ana\n")


# -- what the model keeps --------------------------------------------------------
def test_text_that_yaml_would_retype_stays_text(folder: Path) -> None:
    text = ("title: no\nversion: 1.10\nreference: 0012\npublished: 2026-05-17\nsections:\n"
            "  - heading: yes\n    body:\n      - 12:30\n      - bullets: [on, off, 1e3, 0x1F]\n"
            "      - table:\n          columns: [Time, Dose]\n          rows: [[8:00, 1.50]]\n")
    path = folder / "handout.yaml"
    path.write_text(text, encoding="utf-8")
    h = read_handout(path)
    assert (h.title, h.version, h.reference, h.published) == ("no", "1.10", "0012", dt.date(2026, 5, 17))
    heading = h.sections[0].heading
    para, bullets, table = h.sections[0].body
    assert heading == "yes"
    assert para == m.Paragraph("12:30", para.loc)
    assert bullets.items == ("on", "off", "1e3", "0x1F")
    assert table.rows == (("8:00", "1.50"),)


def test_locations_point_at_the_blocks(folder: Path) -> None:
    path = folder / "handout.yaml"
    path.write_text(handout_with("- First", "- bullets: [a]"), encoding="utf-8")
    body = read_handout(path).sections[0].body
    assert [(b.loc.line, b.loc.col) for b in body] == [(5, 9), (6, 9)]
    assert all(b.loc.path == str(path) for b in body)


# -- the error type itself -------------------------------------------------------------
def test_booklet_error_survives_reportlab_re_raising_it() -> None:
    """ReportLab re-raises errors from its callbacks as type(exc)(annotated text): the problems must survive."""
    from reportlab.lib.utils import annotateException

    from booklet.errors import Loc

    original = BookletError.at(Loc("h.yaml", 2, 11), "the audience is too long", "shorten it")

    def callback() -> None:  # what ReportLab's doctemplate does around onPage and flowable callbacks
        try:
            raise original
        except BookletError:
            annotateException("\nhandle_pageBegin args=()")

    with pytest.raises(BookletError) as info:
        callback()
    assert info.value is not original
    assert info.value.problems == original.problems
    assert str(info.value) == "h.yaml:2:11: error: the audience is too long\n  hint: shorten it"


def test_booklet_error_pickles_with_its_problems() -> None:
    import pickle

    from booklet.errors import Loc, Problem

    error = BookletError([Problem(Loc("a.yaml", 1, 2), "one", "fix it"), Problem(Loc("a.yaml", 3, 4), "two")])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems
    assert str(copy) == str(error) == "a.yaml:1:2: error: one\n  hint: fix it\na.yaml:3:4: error: two"


def test_a_clinic_profile_given_as_the_handout_says_so(write_yaml) -> None:
    clinic = write_yaml("""
        name: Riverside Breast Care Unit
        phone: "01234 567 890"
    """, "clinic.yaml")
    with pytest.raises(BookletError) as caught:
        read_handout(clinic)
    assert str(caught.value) == (f"{clinic}:1:1: error: this looks like a clinic profile, not a handout\n"
                                 "  hint: give it with --clinic clinic.yaml, and the handout file as the content")
