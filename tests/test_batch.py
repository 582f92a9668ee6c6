"""Tests for `booklet batch` and booklet.batch: planning, CSV rows, names, imposition, combining, interruption."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pdfplumber
import pytest
from conftest import normalise, squash
from pypdf import PdfReader

from booklet import batch
from booklet.errors import BookletError
from booklet.impose import sheet_order

HANDOUT = """\
title: {title}
subtitle: A short test handout
reference: {ref}
language: en-GB
summary:
  - Take your tablets every morning.
  - Call us if you feel unwell.
sections:
  - heading: About {title}
    key_points: [It is common., It can be treated.]
    body:
      - "{text}"
      - bullets: [Rest, Drink water, Ask questions]
  - heading: Treatment
    body:
      - Treatment depends on what matters most to you.
      - callout: {{kind: urgent, title: Get help now, text: Call 111 if you have a temperature.}}
  - heading: Support
    body:
      - Your nurse is your key contact.
"""

PERSONAL = """\
title: Your appointment
reference: APT-1
language: en-GB
summary: [Arrive 15 minutes early.]
sections:
  - heading: For {{ patient_name }}
    body:
      - "Dear {{ patient_name }}, your hospital number is {{ patient_id }}. Please bring this letter."
"""


def handout(write_yaml, name: str, title: str = "Asthma", text: str = "Asthma affects the airways.") -> Path:
    return write_yaml(HANDOUT.format(title=title, ref=name.upper()[:6], text=text), f"{name}.yaml")


def pages(path: Path) -> int:
    return len(PdfReader(str(path)).pages)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def write_csv(path: Path, rows: list[list[str]], bom: bool = False) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


# -- handouts x variants ------------------------------------------------------------
def test_three_handouts_in_four_variants(write_yaml, run_cli, tmp_path):
    contents = [handout(write_yaml, "asthma"), handout(write_yaml, "eczema", "Eczema", "Eczema makes skin dry."),
                handout(write_yaml, "gout", "Gout", "Gout makes joints sore.")]
    out = tmp_path / "out"
    code, _, err = run_cli("batch", *contents, "--variant", "booklet", "--variant", "summary", "--variant",
                           "large-print", "--variant", "large-print-summary", "--jobs", "2", "--out", out)
    assert code == 0, err
    expected = [f"{stem}{suffix}.pdf" for stem in ("asthma", "eczema", "gout")
                for suffix in ("", "-summary", "-large-print", "-large-print-summary")]
    assert files(out) == sorted(expected)
    for stem in ("asthma", "eczema", "gout"):
        assert pages(out / f"{stem}.pdf") % 4 == 0
        assert pages(out / f"{stem}-large-print.pdf") % 4 == 0
        assert pages(out / f"{stem}-summary.pdf") == 1
        assert pages(out / f"{stem}-large-print-summary.pdf") == 1
    assert "12 written, 0 failed" in err


def test_names_follow_the_single_commands_and_outputs_are_deterministic(write_yaml, run_cli, tmp_path):
    contents = [handout(write_yaml, "asthma"), handout(write_yaml, "gout", "Gout")]
    for out in ("one", "two"):
        code, _, err = run_cli("batch", *contents, "--variant", "booklet", "--variant", "large-print",
                               "--jobs", "2", "--out", tmp_path / out)
        assert code == 0, err
    assert files(tmp_path / "one") == ["asthma-large-print.pdf", "asthma.pdf", "gout-large-print.pdf", "gout.pdf"]
    for name in files(tmp_path / "one"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert "[4/4] wrote " in err  # plain progress lines when stderr is not a terminal


def test_jobs_1_runs_in_process_and_gives_the_same_bytes(write_yaml, run_cli, tmp_path):
    content = handout(write_yaml, "asthma")
    assert run_cli("batch", content, "--jobs", "1", "--out", tmp_path / "a")[0] == 0
    assert run_cli("batch", content, "--jobs", "2", "--out", tmp_path / "b")[0] == 0
    assert (tmp_path / "a" / "asthma.pdf").read_bytes() == (tmp_path / "b" / "asthma.pdf").read_bytes()


def test_a_bad_handout_fails_its_items_only(write_yaml, run_cli, tmp_path):
    good = handout(write_yaml, "asthma")
    bad = write_yaml("title: Broken\nsections:\n  - heading: One\n    body:\n      - tabel: {}\n", "broken.yaml")
    code, _, err = run_cli("batch", good, bad, "--jobs", "2", "--out", tmp_path / "out")
    assert code == 1
    assert files(tmp_path / "out") == ["asthma.pdf"]
    assert "1 written, 1 failed" in err
    assert f"failed: broken.yaml (booklet)\n  {bad}:5:9: error: unknown block 'tabel'" in err


# -- personalised copies ---------------------------------------------------------------
def patients_csv(tmp_path: Path, count: int = 200, missing_row: int = 57) -> tuple[Path, list[list[str]]]:
    first = ["Zoë", "Siobhán", "François", "Łucja", "Nguyễn Thị", "D'Arcy", "Ørjan", "Ana María"]
    last = ["O'Brien", "Müller", "Nuñez", "Dvořák", "Thanh Hà", "N'Diaye", "Ångström", "García-López"]
    rows = [["patient_id", "patient_name", "ward"]]
    for i in range(1, count + 1):
        name = f"{first[i % len(first)]} {last[i % len(last)]}"
        if i % 50 == 0:  # a 200-character name
            name = (name + " " + "Bartholomew-Featherstonehaugh " * 10)[:200]
        rows.append([f"P{i:04d}", "" if i == missing_row else name, f"Ward {i % 7}"])
    return write_csv(tmp_path / "patients.csv", rows, bom=True), rows


def test_200_patients_one_missing_value(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data, rows = patients_csv(tmp_path)
    out = tmp_path / "out"
    code, _, err = run_cli("batch", content, "--data", data, "--name", "{{ patient_id }}-{{ stem }}",
                           "--jobs", "2", "--out", out)
    assert code == 1
    written = files(out)
    assert len(written) == 199
    assert "P0057-appointment.pdf" not in written  # nothing written for the failing row
    assert all(name.endswith(".pdf") for name in written)  # no temporary or other files
    assert "199 written, 1 failed" in err
    assert (f"failed: {data} row 57 (line 58), appointment.yaml (booklet)\n"
            f"  {data}:58: error: row 57 has no value in the column 'patient_name' (column B), "
            f"which appointment.yaml needs for {{{{ patient_name }}}}\n"
            f"    hint: fill in the cell, or leave the row out") in err
    for _, name, _ in rows[1:]:  # messages and progress name rows, never a patient's name
        assert not name or name not in err
    # the copies hold their own patient's values, accents, apostrophes and long names intact
    for i in (1, 6, 50, 200):
        _, name, _ = rows[i]
        text = normalise(" ".join(p.extract_text() for p in PdfReader(str(out / f"P{i:04d}-appointment.pdf")).pages))
        assert normalise(f"your hospital number is P{i:04d}") in text
        assert squash(name) in squash(text)


def test_default_names_are_row_numbers(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"]] + [[f"P{i}", f"Name {i}"] for i in range(12)])
    code, _, err = run_cli("batch", content, "--data", data, "--jobs", "2", "--out", tmp_path / "out")
    assert code == 0, err
    assert files(tmp_path / "out") == [f"{i:02d}.pdf" for i in range(1, 13)]


def test_csv_with_and_without_bom_give_the_same_pdfs(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    rows = [["patient_id", "patient_name"], ["P1", "Zoë O'Brien"], ["P2", "Łucja Nguyễn"]]
    for bom in (True, False):
        data = write_csv(tmp_path / f"bom-{bom}.csv", rows, bom=bom)
        code, _, err = run_cli("batch", content, "--data", data, "--jobs", "2", "--out", tmp_path / str(bom))
        assert code == 0, err
    for name in ("1.pdf", "2.pdf"):
        assert (tmp_path / "True" / name).read_bytes() == (tmp_path / "False" / name).read_bytes()


@pytest.mark.parametrize(("header", "message"), [
    ("patient_id,,ward", "column B of the header has no name"),
    ("patient_id,patient_name,patient_id", "the column name 'patient_id' is used twice (column A and column C)"),
    ("patient_id,patient name", "the column name 'patient name' (column B) cannot be a placeholder name"),
])
def test_bad_header_stops_before_anything_starts(write_yaml, run_cli, tmp_path, header, message):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = tmp_path / "p.csv"
    data.write_text(header + "\nP1,Ann,Ward 1\n", encoding="utf-8")
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith(f"{data}:1: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_a_column_the_handout_needs_is_missing(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id"], ["P1"]])
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 2
    assert re.fullmatch(re.escape(f"{data}: error: there is no column 'patient_name', which appointment.yaml needs "
                                  f"for {{{{ patient_name }}}} (used at {content}:") + r"\d+:\d+\)\n" +
                        re.escape("  hint: add a 'patient_name' column to the CSV's first line\n"), err)


def test_unreadable_csv(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = tmp_path / "p.csv"
    data.write_bytes(b"patient_id,patient_name\nP1,Zo\xeb\n")  # Latin-1, not UTF-8
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith(f"{data}:2: error: the file is not UTF-8 text\n")
    assert run_cli("batch", content, "--data", tmp_path / "none.csv")[0] == 2


def test_name_template_with_an_unknown_field(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"], ["P1", "Ann"]])
    code, _, err = run_cli("batch", content, "--data", data, "--name", "{{ patient_ID }}", "--out", tmp_path / "o")
    assert code == 2
    assert err == ("--name: error: '{{ patient_ID }}' is not a column of the CSV or a name field\n"
                   "  hint: did you mean '{{ patient_id }}'?\n")


def test_clashing_names_fail_the_later_row_without_saying_the_name(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name", "surname"],
                                          ["P1", "Ann Smith", "Smith"], ["P2", "Bob Smith", "Smith"]])
    code, _, err = run_cli("batch", content, "--data", data, "--name", "{{ surname }}", "--out", tmp_path / "out")
    assert code == 1
    assert files(tmp_path / "out") == ["Smith.pdf"]
    assert f"{data}:3: error: row 2 would get the same file name as {data} row 1 (line 2)" in err
    assert "Smith" not in err.replace(str(tmp_path), "")


def test_values_that_the_font_cannot_draw_fail_the_row_without_echoing_it(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"], ["P1", "Ann"], ["P2", "Mei สมศรี"]])
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 1
    assert files(tmp_path / "out") == ["1.pdf"]
    assert f"{data}:3 (row 2) column patient_name: error: this text is in the Thai script" in err
    assert "Mei" not in err


def test_columns_the_handout_does_not_use_are_not_checked_or_sent(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name", "notes"], ["P1", "Ann", "王秀英 🙂"]])
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 0, err
    work = batch.plan([content], data=data, out=tmp_path / "out")
    assert set(work.jobs[0].values) == {"patient_id", "patient_name"}


@pytest.mark.parametrize(("template", "value", "expected"), [
    ("{{ v }}", "../../etc/passwd", "_._etc_passwd.pdf"),
    ("{{ v }}", "a/b\\c", "a_b_c.pdf"),
    ("{{ v }}", "..", None),
    ("{{ v }}", "tab\there\x00\x1b[31m", "tabhere[31m.pdf"),
    ("{{ v }}-x", ".hidden", "hidden-x.pdf"),
    ("{{ v }}.pdf", "report", "report.pdf"),
    ("{{ v }}", "é" * 150, "é" * 100 + ".pdf"),
])
def test_file_names_are_made_safe(template, value, expected):
    if expected is None:
        with pytest.raises(BookletError, match="the file name from --name is empty"):
            batch._file_name(template, {"v": value}, None, None)
    else:
        assert batch._file_name(template, {"v": value}, None, None) == expected


# -- imposition and combining --------------------------------------------------------------
def half_texts(path: Path) -> list[tuple[str, str]]:
    """The text of the left and right half of every sheet side."""
    out = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            w, h = page.width, page.height
            out.append(tuple(normalise(page.crop((x0, 0, x1, h)).extract_text() or "")
                             for x0, x1 in ((0, w / 2), (w / 2, w))))
    return out


def page_texts(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [normalise(page.extract_text() or "") for page in pdf.pages]


def test_impose_puts_every_booklet_page_in_saddle_stitch_order(write_yaml, run_cli, tmp_path):
    # Long enough for two sheets (a short handout is a 4-page leaflet).
    content = handout(write_yaml, "asthma", text=" ".join(["Asthma affects the airways and makes it hard to breathe."]
                                                           * 100))
    assert run_cli("batch", content, "--jobs", "1", "--out", tmp_path / "flat")[0] == 0
    code, _, err = run_cli("batch", content, "--impose", "--jobs", "1", "--out", tmp_path / "sheets")
    assert code == 0, err
    flat = page_texts(tmp_path / "flat" / "asthma.pdf")
    sides = half_texts(tmp_path / "sheets" / "asthma.pdf")
    n = len(flat)
    assert n == 8
    assert len(sides) == 4
    expected = [(flat[left - 1], flat[right - 1]) for left, right in sheet_order(n)]
    assert sides == expected
    assert f"Page {n - 1}" in sides[1][1]  # 8 pages: the back of sheet 1 is 2|7, and page 7 is really there
    sheet = PdfReader(str(tmp_path / "sheets" / "asthma.pdf")).pages[0].mediabox
    assert (round(float(sheet.width)), round(float(sheet.height))) == (842, 595)  # A4 landscape


def test_impose_leaves_summaries_as_single_pages(write_yaml, run_cli, tmp_path):
    content = handout(write_yaml, "asthma")
    code, _, err = run_cli("batch", content, "--variant", "summary", "--impose", "--out", tmp_path / "out")
    assert code == 0, err
    assert pages(tmp_path / "out" / "asthma-summary.pdf") == 1


def test_combine_gives_one_file_each_copy_on_a_new_sheet(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"]] + [[f"P{i}", f"Name {i}"] for i in range(5)])
    out, combined = tmp_path / "out", tmp_path / "print" / "all.pdf"
    combined.parent.mkdir()
    code, _, err = run_cli("batch", content, "--data", data, "--impose", "--combine", combined, "--jobs", "2",
                           "--out", out)
    assert code == 0, err
    each = [pages(out / f"{i}.pdf") for i in range(1, 6)]
    assert all(n % 2 == 0 for n in each)  # imposed: front and back of each sheet
    assert pages(combined) == sum(each)
    assert f"combined 5 copies into {combined}" in err
    # copies come in row order, each starting on the front of a sheet (every copy has an even number of sides)
    copies = [half_texts(out / f"{i}.pdf") for i in range(1, 6)]
    assert half_texts(combined) == [side for copy in copies for side in copy]
    for row, copy in enumerate(copies):
        assert any(f"For Name {row}" in half for side in copy for half in side)


# -- the library ---------------------------------------------------------------------------
def test_plan_orders_rows_first_so_each_patients_copies_are_together(write_yaml, tmp_path):
    a, b = write_yaml(PERSONAL, "a.yaml"), write_yaml(PERSONAL, "b.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"], ["P1", "Ann"], ["P2", "Bob"]])
    work = batch.plan([a, b], data=data, out=tmp_path / "out")
    assert [(j.label.split(", ")[0].rsplit(" ", 3)[1], j.output.name) for j in work.jobs] == [
        ("1", "1-a.pdf"), ("1", "1-b.pdf"), ("2", "2-a.pdf"), ("2", "2-b.pdf")]
    assert all("Ann" not in repr(j) and "Bob" not in repr(j) for j in work.jobs)  # values stay out of reprs


def test_ctrl_c_leaves_only_complete_pdfs_and_says_how_far_it_got(write_yaml, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"]] + [[f"P{i}", f"N {i}"] for i in range(40)])
    work = batch.plan([content], data=data, out=tmp_path / "out")

    def stop_after_three(progress: batch.Progress) -> None:
        if progress.done == 3:
            raise KeyboardInterrupt

    result = batch.run(work, jobs=2, on_progress=stop_after_three)
    assert result.interrupted
    assert 3 <= len(result.outcomes) < 40
    assert result.not_run == 40 - len(result.outcomes)
    written = files(tmp_path / "out")
    assert written == sorted(o.output.name for o in result.written)  # no partial or temporary files
    for name in written:
        assert len(PdfReader(str(tmp_path / "out" / name)).pages) % 4 == 0


def test_progress_reports_every_item(write_yaml, tmp_path):
    content = handout(write_yaml, "asthma")
    seen: list[batch.Progress] = []
    result = batch.run(batch.plan([content], variants=("booklet", "large-print"), out=tmp_path / "o"), jobs=2,
                       on_progress=seen.append)
    assert [p.done for p in seen] == [1, 2]
    assert (seen[-1].total, seen[-1].failed) == (2, 0)
    assert seen[-1].seconds_left == 0
    assert len(result.written) == 2
    assert all(o.peak_rss_kb > 0 for o in result.written)


# -- hostile values from the CSV ------------------------------------------------------
def test_hostile_csv_values_print_literally_and_run_nothing(write_yaml, run_cli, tmp_path):
    """Values are plain text: markup, entities, the CVE-2023-33733 payload and placeholders print as typed."""
    from conftest import page_texts_of, without_footers
    from test_hostile import cve_payload

    marker = tmp_path / "MARKER"
    values = ["<b>", "</para>", '<img src="/etc/passwd">', '<a href="javascript:alert(1)">x</a>', "&nbsp;",
              "AT&T & <you>", "{{ patient_id }}", cve_payload(marker)]
    content = write_yaml(PERSONAL, "letter.yaml")
    rows = [["patient_id", "patient_name"]] + [[f"H{i}", value] for i, value in enumerate(values, 1)]
    data = write_csv(tmp_path / "patients.csv", rows)
    out = tmp_path / "out"
    code, _, stderr = run_cli("batch", content, "--data", data, "--out", out, "--jobs", "2")
    assert code == 0, stderr
    assert not marker.exists()
    for number, value in enumerate(values, 1):
        pdf = out / f"{number}.pdf"
        text = squash(without_footers(page_texts_of(pdf)))
        assert squash(f"Dear {value}, your hospital number is H{number}.") in text, value
        annotations = [a for page in PdfReader(str(pdf)).pages for a in (page.get("/Annots") or [])]
        assert annotations == []
    assert "<b>" not in stderr
    assert "passwd" not in stderr


def test_what_build_would_warn_about_is_said_once_for_the_whole_batch(write_yaml, run_cli, tmp_path):
    # An expired review date and a language without layout words: every copy has them, said once each.
    text = HANDOUT.format(title="Gout", ref="GOUT", text="Gout makes joints sore.").replace(
        "language: en-GB\n", "language: nl\nreview_by: 2020-01-31\n")
    content = write_yaml(text, "gout.yaml")
    code, _, err = run_cli("batch", content, "--variant", "booklet", "--variant", "summary", "--jobs", "1",
                           "--out", tmp_path / "out")
    assert code == 0, err
    assert files(tmp_path / "out") == ["gout-summary.pdf", "gout.pdf"]
    expired = [line for line in err.splitlines() if "the review date 2020-01-31 has passed" in line]
    assert expired == [f"{content}:5:12: warning (2 files): the review date 2020-01-31 has passed "
                       f"({(dt.date.today() - dt.date(2020, 1, 31)).days} days ago)"]
    assert sum("no layout words in 'nl'" in line for line in err.splitlines()) == 1


# -- long mailings: the CSV streamed, a few jobs in flight ---------------------------------
class CountingExecutor(ThreadPoolExecutor):
    """Threads that count how many submitted jobs are unfinished at once."""

    def __init__(self) -> None:
        super().__init__(2)
        self.lock = threading.Lock()
        self.unfinished = self.most = 0

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.lock:
            self.unfinished += 1
            self.most = max(self.most, self.unfinished)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.unfinished -= 1


def test_run_keeps_only_a_few_jobs_in_flight(write_yaml, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    data = write_csv(tmp_path / "p.csv", [["patient_id", "patient_name"]] + [[f"P{i}", f"Zoë {i}"] for i in range(30)])
    work = batch.plan([content], data=data, out=tmp_path / "out")
    with CountingExecutor() as pool:
        result = batch.run(work, executor=pool, in_flight=4, keep_outcomes=False)
    assert (result.written_count, result.done, result.failed, result.outcomes) == (30, 30, (), ())
    assert 1 < pool.most <= 4
    assert len(files(tmp_path / "out")) == 30


def test_a_bad_line_far_down_a_long_csv_stops_the_batch_before_anything_starts(write_yaml, run_cli, tmp_path):
    content = write_yaml(PERSONAL, "appointment.yaml")
    rows = [f"P{i:05d},Patient number {i} with a longer name".encode() for i in range(1, 3001)]  # 130 KB
    rows[2400 - 2] = b"P02399,Zo\xeb Latin-1"  # line 2400
    data = tmp_path / "p.csv"
    data.write_bytes(b"patient_id,patient_name\n" + b"\n".join(rows) + b"\n")
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith(f"{data}:2400: error: the file is not UTF-8 text\n")
    rows[2400 - 2] = b'P02399,"Zo\xc3\xab" Nu\xc3\xb1ez'  # a quote that does not close the cell
    data.write_bytes(b"patient_id,patient_name\n" + b"\n".join(rows) + b"\n")
    code, _, err = run_cli("batch", content, "--data", data, "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith(f"{data}:2400: error: the CSV cannot be read (")
    assert not (tmp_path / "out").exists()
