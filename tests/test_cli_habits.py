"""Command-line habits (issue 14): standard input and output, -q/-v, colour, -V, --paper A4, the clinic.yaml
found beside a handout, and batch --set."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE, RIVERSIDE, invoke_cli
from pypdf import PdfReader

from booklet.cli import main

SMALL = """
    title: Your blood test
    sections:
      - heading: Before the test
        body:
          - Drink plenty of water.
"""
EXPIRED = SMALL + "    review_by: 2020-01-01\n"
NOTE_BESIDE = ("note: using the clinic profile clinic.yaml from the handout's folder "
               "(--clinic FILE or --no-clinic to choose another)\n")


def run_bytes(*args: str | Path, input: bytes | None = None,
              env: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    """Like conftest.invoke_cli, but stdout as bytes (a PDF written with -o -)."""
    result = CliRunner().invoke(main, [str(a) for a in args], input=input, env=env, prog_name="booklet")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture
def small(write_yaml: Callable[..., Path]) -> Path:
    return write_yaml(SMALL, "small/handout.yaml")


@pytest.fixture
def clinic_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder made by `booklet init`, as the current folder."""
    code, _, stderr = invoke_cli("init", tmp_path / "clinic")
    assert code == 0, stderr
    monkeypatch.chdir(tmp_path / "clinic")
    return tmp_path / "clinic"


def clinic_name(folder: Path) -> str:
    return re.search(r"^name: *(.+?) *(#.*)?$", (folder / "clinic.yaml").read_text(encoding="utf-8"), re.M)[1]


# -- standard input and output ---------------------------------------------------------------------
def test_a_pipe_in_and_a_pipe_out(small: Path, tmp_path: Path) -> None:
    """`cat handout.yaml | booklet build - -o - > out.pdf` in a real process: stdout is the PDF, nothing else."""
    out = tmp_path / "out.pdf"
    with small.open("rb") as stdin, out.open("wb") as stdout:
        done = subprocess.run([sys.executable, "-m", "booklet", "build", "-", "-o", "-", "--no-clinic"],
                              stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, cwd=tmp_path, timeout=120,
                              check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode() == "wrote the PDF to standard output (4 pages)\n"
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(PdfReader(out).pages) == 4
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".pdf"] == ["out.pdf"]


def test_standard_output_gets_the_same_bytes_as_a_file(small: Path, tmp_path: Path) -> None:
    code, stdout, _ = run_bytes("build", small, "-o", "-", "--no-clinic")
    assert code == 0
    code, _, stderr = run_bytes("build", small, "-o", tmp_path / "file.pdf", "--no-clinic")
    assert code == 0, stderr
    assert stdout == (tmp_path / "file.pdf").read_bytes()


def test_standard_input_is_named_stdin_in_errors() -> None:
    code, stdout, stderr = run_bytes("build", "-", "-o", "-", "--no-clinic",
                                     input=b"title: x\nsections: [{heading: a, body: [b]}]\ntitel: y\n")
    assert code == 2
    assert stdout == b""
    assert stderr.startswith("<stdin>:3:1: error: unknown key 'titel' in the handout\n  hint: did you mean 'title'?")


def test_standard_input_needs_an_output_name(small: Path) -> None:
    code, stdout, stderr = run_bytes("summary", "-", "--no-clinic", input=small.read_bytes())
    assert (code, stdout) == (2, b"")
    assert stderr == ("-o: error: a handout read from standard input has no file name to name the PDF after\n"
                      "  hint: give -o FILE.pdf, or -o - to write the PDF to standard output\n")


def test_images_of_a_piped_handout_come_from_the_current_folder(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "arm.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="60"><rect width="100" height="60"/></svg>',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    handout = SMALL.replace("          - Drink plenty of water.",
                            "          - image: {src: pictures/arm.svg, alt: An arm}")
    code, _, stderr = run_bytes("build", "-", "-o", "x.pdf", "--no-clinic", input=handout.encode())
    assert code == 0, stderr
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF-")


# -- quiet, verbose, colour, version, paper --------------------------------------------------------------
@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_says_nothing_on_success(small: Path, tmp_path: Path, where: str) -> None:
    args = ["build", small, "-o", tmp_path / "q.pdf"]
    code, stdout, stderr = invoke_cli(*(["-q", *args] if where == "before" else [*args, "--quiet"]))
    assert (code, stdout, stderr) == (0, "", "")


def test_quiet_still_says_warnings_and_errors(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    expired = write_yaml(EXPIRED, "expired.yaml")
    code, _, stderr = invoke_cli("build", expired, "-o", tmp_path / "e.pdf", "-q")
    assert code == 0
    assert stderr.startswith(f"{expired}:6:12: warning: the review date 2020-01-01 has passed")
    assert "wrote" not in stderr
    code, _, stderr = invoke_cli("build", tmp_path / "missing.yaml", "-q")
    assert code == 2
    assert "error: file not found" in stderr


def test_verbose_adds_the_time_taken(small: Path, tmp_path: Path) -> None:
    code, _, stderr = invoke_cli("-v", "build", small, "-o", tmp_path / "v.pdf")
    assert code == 0
    assert re.fullmatch(rf"wrote {re.escape(str(tmp_path / 'v.pdf'))} \(4 pages\)\ntook \d+\.\d\d s\n", stderr)


def test_quiet_and_verbose_together_is_a_usage_error(small: Path) -> None:
    code, _, stderr = invoke_cli("build", small, "-q", "-v")
    assert code == 2
    assert "give -q (quiet) or -v (verbose), not both" in stderr


BAD = "title: x\nsections: [{heading: a, body: [b]}]\ntitel: y\n"
RED = "\x1b[31m"


@pytest.mark.parametrize(("args", "env", "coloured"), [
    ((), {}, False),  # not a terminal
    (("--color",), {}, True),
    (("--no-color",), {}, False),
    (("--color",), {"NO_COLOR": "1"}, True),  # asked for on the command line: the later, narrower choice
    ((), {"NO_COLOR": "1"}, False),
])
def test_colour(write_yaml: Callable[..., Path], args: tuple[str, ...], env: dict[str, str], coloured: bool) -> None:
    bad = write_yaml(BAD, "bad.yaml")
    code, _, stderr = invoke_cli("build", bad, "--no-clinic", *args, env=env)
    assert code == 2
    assert (RED in stderr) is coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", stderr).startswith(f"{bad}:3:1: error: unknown key 'titel'")


def test_colour_never_reaches_a_pdf_or_json(small: Path) -> None:
    code, stdout, _ = run_bytes("--color", "build", small, "-o", "-", "--no-clinic")
    assert code == 0
    assert stdout.startswith(b"%PDF-")
    code, text, _ = invoke_cli("check", small, "--format", "json", "--color", "--no-clinic")
    assert "\x1b[" not in text


def test_short_and_long_version() -> None:
    assert invoke_cli("-V")[:2] == invoke_cli("--version")[:2] == (0, invoke_cli("--version")[1])
    assert invoke_cli("-V")[1].startswith("booklet, version ")


@pytest.mark.parametrize(("given", "width"), [("A4", 419.5), ("Letter", 396.0), ("LETTER", 396.0)])
def test_paper_in_any_case(small: Path, tmp_path: Path, given: str, width: float) -> None:
    out = tmp_path / "p.pdf"
    code, _, stderr = invoke_cli("build", small, "--paper", given, "-o", out, "--no-clinic")
    assert code == 0, stderr
    assert round(float(PdfReader(out).pages[0].mediabox.width), 1) == width


# -- the clinic.yaml beside the handout ----------------------------------------------------------------------
def test_build_in_a_clinic_folder_uses_its_clinic_yaml(clinic_folder: Path, pdf_text: Callable[..., str]) -> None:
    code, _, stderr = invoke_cli("build", "blood-test.yaml")
    assert code == 0, stderr
    assert stderr.startswith(NOTE_BESIDE)
    assert re.fullmatch(r"wrote blood-test\.pdf \(\d+ pages\)\n", stderr[len(NOTE_BESIDE):])
    assert clinic_name(clinic_folder) in pdf_text(clinic_folder / "blood-test.pdf")


def test_no_clinic_gives_the_neutral_profile(clinic_folder: Path, pdf_text: Callable[..., str]) -> None:
    code, _, stderr = invoke_cli("build", "blood-test.yaml", "--no-clinic", "-o", "neutral.pdf")
    assert code == 0, stderr
    assert "note:" not in stderr
    assert clinic_name(clinic_folder) not in pdf_text(clinic_folder / "neutral.pdf")


def test_a_clinic_yaml_in_a_folder_above(clinic_folder: Path) -> None:
    (clinic_folder / "leaflets").mkdir()
    (clinic_folder / "blood-test.yaml").rename(clinic_folder / "leaflets" / "blood-test.yaml")
    code, _, stderr = invoke_cli("summary", "leaflets/blood-test.yaml", "-o", "s.pdf")
    assert code == 0, stderr
    assert stderr.startswith("note: using the clinic profile clinic.yaml from a folder above the handout's folder")


def test_clinic_and_no_clinic_together(clinic_folder: Path) -> None:
    code, _, stderr = invoke_cli("build", "blood-test.yaml", "--clinic", "clinic.yaml", "--no-clinic")
    assert code == 2
    assert stderr == "--no-clinic: error: --clinic and --no-clinic cannot both be given\n  hint: keep one of them\n"


def test_quiet_leaves_out_the_clinic_note(clinic_folder: Path) -> None:
    assert invoke_cli("build", "blood-test.yaml", "-q") == (0, "", "")


@pytest.mark.parametrize("clinic", [("--clinic", "clinic.yaml"), ()])
def test_check_every_yaml_in_a_clinic_folder(clinic_folder: Path, clinic: tuple[str, ...]) -> None:
    files = sorted(p.name for p in clinic_folder.glob("*.yaml"))
    assert files == ["blood-test.yaml", "clinic.yaml"]
    code, stdout, stderr = invoke_cli("check", *files, *clinic)
    assert code == 0, stdout + stderr
    assert "blood-test.yaml" in stdout
    assert "error" not in stdout.replace("0 errors", "")


def test_handouts_with_different_clinics_are_refused(clinic_folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text((clinic_folder / "blood-test.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, _, stderr = invoke_cli("check", "blood-test.yaml", other)
    if (tmp_path.parent / "clinic.yaml").exists():  # pragma: no cover - a stray profile above the test folder
        pytest.skip("a clinic.yaml above the test folder")
    assert code == 2
    assert "error: the handouts are in folders with different clinic profiles (clinic.yaml, none)" in stderr


def test_batch_in_a_clinic_folder(clinic_folder: Path, pdf_text: Callable[..., str]) -> None:
    code, _, stderr = invoke_cli("batch", "blood-test.yaml", "clinic.yaml", "--jobs", "1")
    assert code == 0, stderr
    assert NOTE_BESIDE in stderr
    assert "clinic.yaml: info: skipped" in stderr
    assert clinic_name(clinic_folder) in pdf_text(clinic_folder / "out" / "blood-test.pdf")


# -- batch --set -------------------------------------------------------------------------------------------
PERSONAL = SMALL + """      - heading: Your appointment
        body:
          - "{{ name }}, please come to {{ ward }}."
"""


def test_batch_set_fills_every_copy(write_yaml: Callable[..., Path], tmp_path: Path,
                                    pdf_text: Callable[..., str]) -> None:
    handout = write_yaml(PERSONAL, "letter.yaml")
    data = tmp_path / "patients.csv"
    with data.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["name"], ["Ana"], ["Ben"]])
    code, _, stderr = invoke_cli("batch", handout, "--data", data, "--set", "ward=Ward 7", "--out", tmp_path / "o",
                                 "--jobs", "1", "--no-clinic")
    assert code == 0, stderr
    assert "Ana, please come to Ward 7." in pdf_text(tmp_path / "o" / "1.pdf")
    assert "Ben, please come to Ward 7." in pdf_text(tmp_path / "o" / "2.pdf")


def test_batch_set_without_data(write_yaml: Callable[..., Path], tmp_path: Path, pdf_text: Callable[..., str]) -> None:
    handout = write_yaml(PERSONAL, "letter.yaml")
    code, _, stderr = invoke_cli("batch", handout, "--set", "ward=Ward 7", "--set", "name=Everyone",
                                 "--out", tmp_path / "o", "--jobs", "1", "--no-clinic")
    assert code == 0, stderr
    assert "Everyone, please come to Ward 7." in pdf_text(tmp_path / "o" / "letter.pdf")
    code, _, stderr = invoke_cli("batch", handout, "--set", "ward=Ward 7", "--out", tmp_path / "p", "--jobs", "1",
                                 "--no-clinic")
    assert code == 1
    assert "the placeholder {{ name }} has no value\n    hint: give one with --set name=..." in stderr


def test_batch_set_and_a_column_of_the_same_name(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    handout = write_yaml(PERSONAL, "letter.yaml")
    data = tmp_path / "patients.csv"
    data.write_text("name,ward\nAna,Ward 1\n", encoding="utf-8")
    code, _, stderr = invoke_cli("batch", handout, "--data", data, "--set", "ward=Ward 7", "--out", tmp_path / "o",
                                 "--no-clinic")
    assert code == 2
    assert f"--set: error: 'ward' is given with --set and is also a column of {data}" in stderr


def test_batch_quiet_reports_only_failures(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    good = write_yaml(SMALL, "good.yaml")
    assert invoke_cli("batch", good, "--out", tmp_path / "o", "--jobs", "1", "-q", "--no-clinic") == (0, "", "")
    bad = write_yaml(BAD, "bad.yaml")
    code, _, stderr = invoke_cli("batch", good, bad, "--out", tmp_path / "o", "--jobs", "1", "-q", "--no-clinic")
    assert code == 1
    assert stderr.startswith("1 written, 1 failed")
    assert "bad.yaml:3:1: error: unknown key 'titel'" in stderr


def test_example_still_builds_with_an_explicit_clinic(tmp_path: Path) -> None:
    code, _, stderr = invoke_cli("build", EXAMPLE, "--clinic", RIVERSIDE, "-o", tmp_path / "e.pdf")
    assert code == 0
    assert stderr.startswith(f"wrote {tmp_path / 'e.pdf'}")
