"""Plans and runs many builds at once: content files x variants (x patient rows) on a pool of processes.

    batch = plan([Path("asthma.yaml")], variants=("booklet", "summary"), data=Path("patients.csv"))
    result = run(batch, jobs=4, on_progress=print)

`plan` reads and checks everything that can be checked before any work starts
(options, the CSV and its header, the name template, each content file) and
raises BookletError when nothing can start. Problems that belong to one item
(a content file that does not validate, a row without a value a placeholder
needs) become that item's failure; the other items still run.

`run` hands the jobs to a `concurrent.futures.Executor` (a process pool by
default; any other executor, such as a Dask cluster's from booklet/cluster.py,
can be passed in) and reports each finished item through a callback. The CSV is
read as a stream: the plan keeps its header and row count, and `run` makes each
row's jobs as it submits them, a few per worker at a time, so memory stays flat
at any row count. Workers write their files straight to the output folder and
send back only what was written (file, pages, checksum). Every worker keeps the
row-independent work (`api.Prepared`) per handout, variant and paper, so a
personalised batch validates and prepares a handout once per worker, not once
per row. A manifest (booklet/manifest.py) records each copy, and lets a stopped
mailing go on where it stopped.

Patient values travel only in memory, to the worker that renders the row. They
are never logged, cached on disk or repeated in messages: messages name the CSV
row, line and column instead. Only the requested PDFs are written, atomically.
(On a Dask cluster the values cross the network to the workers, through the
scheduler: use a cluster on a network you trust, or TLS, `tls://` addresses.)
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import itertools
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from . import api, reuse
from .errors import BookletError, Loc, Problem, Problems
from .manifest import Manifest, resume_needs_manifest
from .model import Clinic, Handout
from .output import write_atomic
from .render import collecting_less
from .validate import PLACEHOLDER_NAME

#: Variants whose output is a folded booklet; `--impose` puts these on printer sheets (summaries are single pages).
FOLDED = ("booklet", "large-print")
#: File names longer than this many UTF-8 bytes are cut: most file systems stop at 255 bytes, and
#: write_atomic's temporary name adds a dot, a random part and ".tmp".
MAX_NAME_BYTES = 200
#: Fields of the --name template besides the CSV's columns.
NAME_FIELDS = ("row", "stem", "variant")
_NAME_FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
#: Characters that cannot or should not appear in a file name on common systems.
_UNSAFE_IN_NAME = re.compile(r'[/\\:*?"<>|]')


# -- the patient data ------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One data row of the CSV: `values` maps each column to its cell ('' when empty or missing)."""

    number: int  # 1-based, counting data rows only
    line: int  # the CSV line the row starts on
    values: dict[str, str]
    extra_cells: int = 0  # cells beyond the header's columns


@dataclass(frozen=True)
class PatientData:
    """A checked CSV: its header and row count. The rows are read again, one at a time, by `rows()`, so a
    mailing of any length is never held in memory."""

    path: Path
    columns: tuple[str, ...]
    count: int  # data rows

    def rows(self) -> Iterator[Row]:
        """The data rows in file order, streamed from the file."""
        records = _records(self.path)
        next(records)  # the header, checked by read_patients
        for number, (start, cells) in enumerate(records, 1):
            values = {name: unicodedata.normalize("NFC", cell.strip())
                      for name, cell in zip(self.columns, cells, strict=False)}
            values.update({name: "" for name in self.columns[len(cells):]})
            yield Row(number, start, values, max(0, len(cells) - len(self.columns)))

    def column_label(self, name: str) -> str:
        """'patient_name' (column C), as a spreadsheet shows it."""
        return f"'{name}' (column {_spreadsheet_column(self.columns.index(name) + 1)})"


def read_patients(path: Path) -> PatientData:
    """Check a UTF-8 CSV (with or without BOM) whose header names the placeholders each column fills.

    The whole file is read once, as a stream, so that a bad line anywhere stops the batch before any
    work starts; only the header and the number of rows are kept."""
    where = str(path)
    header: list[str] | None = None
    header_line = count = 0
    records = _records(path)
    for start, cells in records:
        if header is None:
            header, header_line = [c.strip() for c in cells], start
            _check_header(path, header, header_line)
        else:
            count += 1
    if header is None:
        raise BookletError.at(where, "the CSV is empty",
                              "the first line names the columns, e.g. patient_id,patient_name")
    if not count:
        raise BookletError.at(_csv_loc(path, header_line), "the CSV has a header but no rows",
                              "add one row per patient")
    return PatientData(path, tuple(header), count)


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells) for each non-blank CSV record, streamed from the file.
    BookletError naming the line when the file cannot be read as CSV text."""
    where = str(path)
    try:
        f = open(path, encoding="utf-8-sig", newline="")  # closed by the `with` below
    except FileNotFoundError:
        raise BookletError.at(where, "the file does not exist", "check the file name and folder") from None
    except IsADirectoryError:
        raise BookletError.at(where, "this is a folder, not a CSV file", "give the path of the CSV file") from None
    except OSError as exc:
        raise BookletError.at(where, f"cannot read the file: {exc.strerror or exc}",
                              "check that you may read it") from None
    with f:
        # newline="": line ends inside quoted cells stay part of the cell, as the csv module expects.
        lines = _text_lines(f, path)
        reader: Iterator[list[str]] | None = None
        try:
            first = next(lines, "")
            reader = csv.reader(itertools.chain([first], lines), dialect=_dialect(first), strict=True)
            while True:
                start = reader.line_num + 1  # type: ignore[attr-defined]
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                if any(c.strip() for c in cells):  # blank lines (often at the end of an export) are not records
                    yield start, cells
        except UnicodeDecodeError:
            raise BookletError.at(_csv_loc(path, _line_of_bad_utf8(path)), "the file is not UTF-8 text",
                                  "save it as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8)") from None
        except csv.Error as exc:
            line = reader.line_num if reader is not None else 1  # type: ignore[attr-defined]
            raise BookletError.at(_csv_loc(path, line), f"the CSV cannot be read ({exc})",
                                  "check the quotes on this line, or export the spreadsheet again as 'CSV UTF-8'"
                                  ) from None
        except OSError as exc:
            raise BookletError.at(where, f"cannot read the file: {exc.strerror or exc}",
                                  "check that you may read it") from None


def _text_lines(f: TextIO, path: Path) -> Iterator[str]:
    """The file's lines as the csv module counts them, refusing a NUL character (binary data, not text)."""
    for number, line in enumerate(f, 1):
        if "\x00" in line:
            raise BookletError.at(_csv_loc(path, number), "the file contains a NUL character, so it is not CSV text",
                                  "export the spreadsheet again as 'CSV UTF-8'")
        yield line


def _dialect(first_line: str) -> type[csv.Dialect]:
    """Commas, unless the header line clearly uses semicolons or tabs (as some spreadsheet locales save)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _check_header(path: Path, header: list[str], line: int) -> None:
    problems = Problems()
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        column = f"column {_spreadsheet_column(i)}"
        if not name:
            problems.add(_csv_loc(path, line), f"{column} of the header has no name",
                         "name every column after the placeholder it fills, e.g. patient_name")
        elif not PLACEHOLDER_NAME.match(name):
            problems.add(_csv_loc(path, line), f"the column name '{name}' ({column}) cannot be a placeholder name",
                         "use letters, digits and _ only, starting with a letter, e.g. patient_name")
        elif name in seen:
            problems.add(_csv_loc(path, line), f"the column name '{name}' is used twice "
                         f"(column {_spreadsheet_column(seen[name])} and {column})", "give every column its own name")
        else:
            seen[name] = i
    problems.raise_if_any()


def _spreadsheet_column(n: int) -> str:
    """1 -> A, 27 -> AA: how a spreadsheet labels the n-th column."""
    label = ""
    while n:
        n, rest = divmod(n - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def _csv_loc(path: Path, line: int) -> Loc:
    # A CSV cell has no meaningful character column: name the line only ("patients.csv:6").
    return Loc(f"{path}:{line}") if line else Loc(str(path))


def _line_of_bad_utf8(path: Path) -> int:
    """The line of the first byte that is not UTF-8, read in blocks (the file may be large); 0 if unknown."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    try:
        with open(path, "rb") as f:
            while True:
                block = f.read(1 << 16)
                try:
                    decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:  # exc.object: this block after the bytes still pending
                    return line + exc.object[:exc.start].count(b"\n")
                if not block:
                    return 0
                line += block.count(b"\n")
    except OSError:
        return 0


# -- the plan ----------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One PDF to make. Picklable, so any executor can run it in another process or on another machine."""

    index: int  # position in the plan: the order of outputs and of the combined file
    label: str  # how messages name this item; never contains a patient value
    content: Path
    variant: str
    output: Path
    clinic: Path | None = None
    paper: str = "a4"
    assets: tuple[Path, ...] = ()
    impose: bool = False
    values: dict[str, str] | None = field(default=None, repr=False)  # patient values: keep out of reprs and logs
    values_source: str = ""  # e.g. "patients.csv:6 (row 5) column"
    personal: bool = False
    bleed: float = 0.0  # points; with `marks`, pages for a print shop (booklet/bleed.py)
    marks: bool = False
    one_side: bool = False  # a summary on the front of the sheet only (refused when it needs the back)
    tags: bool = True  # a tagged PDF (structure tree), as the single commands make without --no-tags
    pdfua: bool = False  # claim PDF/UA-1 in the metadata (--pdfua)
    row: int | None = None  # the CSV row (1-based data rows), for the manifest
    #: fsync the file before it counts as written. A run with a manifest leaves it to the manifest's
    #: checksums instead (see `run`): one fsync per copy is what limits a mailing of 500,000.
    fsync: bool = True


@dataclass(frozen=True)
class Outcome:
    """What became of one item: the file written, or the error text. Small: what a worker sends back."""

    index: int
    label: str
    output: Path | None = None
    error: str | None = None
    pages: int = 0
    personal: bool = False
    pid: int = 0  # the process that rendered it
    peak_rss_kb: int = 0  # that process's peak resident memory so far
    #: What `build` would have warned about, as printed (file:line: warning: ...): about the handout,
    #: the clinic profile or the layout, never a patient's values.
    warnings: tuple[str, ...] = ()
    row: int | None = None  # the CSV row, if any
    sha256: str = ""  # of the file written (hex)
    skipped: bool = False  # --resume: already complete, not made again

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Plan:
    """What a batch will make. The items are listed as they are run (`items`), reading the CSV as a
    stream, so a plan for 500,000 rows holds no row."""

    out: Path
    total: int  # items: rows x content files x variants, the refused ones included
    combine: Path | None = None
    #: Things to tell before the work starts (a content file skipped because it is the clinic profile).
    notes: tuple[Problem, ...] = ()
    recipe: _Recipe | None = field(default=None, repr=False, compare=False)

    def items(self) -> Iterator[Job | Outcome]:
        """Every item in plan order: a Job, or the failed Outcome of an item refused before any work
        (bad content, missing values, a clashing name). Each call reads the CSV again."""
        return iter(self.recipe) if self.recipe is not None else iter(())

    @property
    def jobs(self) -> tuple[Job, ...]:
        """Every job, at once (reads the whole CSV: for small batches and tests; `run` streams `items`)."""
        return tuple(i for i in self.items() if isinstance(i, Job))

    @property
    def refused(self) -> tuple[Outcome, ...]:
        return tuple(i for i in self.items() if isinstance(i, Outcome))


def plan(contents: Sequence[Path], *, clinic: Path | None = None, variants: Sequence[str] = ("booklet",),
         data: Path | None = None, name: str | None = None, paper: str = "a4", impose: bool = False,
         combine: Path | None = None, out: Path = Path("out"), assets: tuple[Path, ...] = (),
         bleed: float = 0.0, marks: bool = False, one_side: bool = False,
         values: Mapping[str, str] | None = None, absolute_paths: bool = False, tags: bool = True,
         pdfua: bool = False) -> Plan:
    """Check the options and inputs and list the jobs; BookletError when nothing can start.
    `values` (`--set`) fill placeholders in every copy; a CSV column of the same name is refused.
    `absolute_paths`: the jobs name every file by its absolute path, for workers on other machines
    (a Dask cluster), whose working folder is not this one."""
    problems = Problems()
    if impose and (bleed or marks):
        problems.add(Loc("--impose"), "--impose makes sheets for an office printer, which cut away the bleed "
                     "and crop marks", "leave out --bleed and --marks, or --impose for a print shop")
    if not contents:
        problems.add(Loc("CONTENT"), "no content files given", "name one or more handout YAML files")
    for v in variants:
        if v not in api.VARIANTS and v not in api.HTML_VARIANTS:
            problems.add(Loc("--variant"), f"unknown variant '{v}'",
                         "use one of: " + ", ".join((*api.VARIANTS, *api.HTML_VARIANTS)))
    if paper not in api.PAPERS:
        problems.add(Loc("--paper"), f"unknown paper '{paper}'", "use a4 or letter")
    problems.raise_if_any()
    variants = list(dict.fromkeys(variants))  # a repeated --variant makes one copy, not a clash
    contents = list(dict.fromkeys(Path(c) for c in contents))
    # `booklet batch *.yaml --clinic clinic.yaml` in a clinic folder: the profile is not a handout.
    notes = tuple(skipped_clinic(c) for c in contents if is_clinic_profile(c, clinic))
    contents = [c for c in contents if not is_clinic_profile(c, clinic)]
    if not contents:
        raise BookletError.at("CONTENT", "the only content file given is the clinic profile",
                              "name the handout YAML files too, like: booklet batch *.yaml --clinic clinic.yaml")
    if absolute_paths:
        contents = [c.absolute() for c in contents]
        clinic = clinic.absolute() if clinic is not None else None
        assets = tuple(a.absolute() for a in assets)
        out = Path(out).absolute()
    patients = read_patients(Path(data)) if data is not None else None
    columns = patients.columns if patients else ()
    shared = dict(values or {})
    for column in (c for c in columns if c in shared):
        problems.add(Loc("--set"), f"'{column}' is given with --set and is also a column of {data}",
                     "keep one of them: --set for a value every copy shares, the column for one per row")
    template = name if name is not None else _default_name(patients, len(contents) * len(variants))
    _check_template(template, columns, name is not None)
    out = Path(out)

    # With a CSV, load each handout here: its placeholders are checked against the columns, and its
    # errors fail its items before any row starts. The prepared handouts are cached, so forked workers
    # start with them. Without a CSV each worker loads what it renders: many distinct handouts are then
    # read in parallel, not one after another here.
    loaded: dict[Path, BookletError | None] = dict.fromkeys(contents)
    placeholders: dict[Path, tuple[str, ...]] = {}
    for content in contents if patients is not None else ():
        try:
            handout, _ = _load(content, clinic, assets)
            placeholders[content] = tuple(handout.placeholders)
        except BookletError as exc:
            loaded[content] = exc
            continue
        for placeholder, loc in handout.placeholders.items():
            if placeholder not in columns and placeholder not in shared:
                problems.add(Loc(str(data)), f"there is no column '{placeholder}', "
                             f"which {content.name} needs for {{{{ {placeholder} }}}} (used at {loc})",
                             f"add a '{placeholder}' column to the CSV's first line")
    problems.raise_if_any()
    _make_folder(out)
    unprepared: dict[tuple[Path, str], BookletError] = {}  # (content, variant) that cannot be prepared
    for content in contents if patients is not None else ():
        for variant in variants:
            if loaded[content] is None and variant not in api.HTML_VARIANTS:  # a web page needs no preparing
                try:
                    _prepared(content, clinic, variant, paper, assets)
                except BookletError as exc:
                    unprepared[content, variant] = exc
    recipe = _Recipe(tuple(contents), tuple(variants), patients, template, name, shared, loaded, unprepared,
                     placeholders, out, Path(combine) if combine is not None else None, clinic, paper, assets,
                     impose, bleed, marks, one_side, tags, pdfua)
    total = (patients.count if patients else 1) * len(contents) * len(variants)
    return Plan(out, total, Path(combine) if combine is not None else None, notes, recipe)


#: In the file-name index: the --combine file, which no copy may overwrite.
_COMBINE_FILE = -1


@dataclass(frozen=True)
class _Recipe:
    """Everything `plan` checked, from which the items are made one row at a time (iterate it)."""

    contents: tuple[Path, ...]
    variants: tuple[str, ...]
    patients: PatientData | None
    template: str
    name: str | None  # --name as given (None: the default template)
    shared: dict[str, str]  # --set
    loaded: dict[Path, BookletError | None]  # content files that failed to load
    unprepared: dict[tuple[Path, str], BookletError]  # (content, variant) that failed to prepare
    placeholders: dict[Path, tuple[str, ...]]
    out: Path
    combine: Path | None
    clinic: Path | None
    paper: str
    assets: tuple[Path, ...]
    impose: bool
    bleed: float
    marks: bool
    one_side: bool
    tags: bool
    pdfua: bool

    def __iter__(self) -> Iterator[Job | Outcome]:
        folder = self.out.resolve()
        # Each file name taken so far, for clashes: hash of the casefolded path -> who has it (see _owner).
        # Two ints per copy (about 100 bytes), not the names: a 500,000-row mailing keeps about 50 MB here.
        # Python's 64-bit string hash: a false clash among 500,000 names has a chance of about 1 in 10^8.
        taken: dict[int, int] = {}
        if self.combine is not None:
            taken[hash(str(self.combine.resolve()).casefold())] = _COMBINE_FILE
        rows: Iterable[Row | None] = self.patients.rows() if self.patients else (None,)
        width = len(str(self.patients.count)) if self.patients else 0
        index = 0
        for row in rows:
            for content in self.contents:
                for variant in self.variants:
                    yield self._item(index, row, content, variant, folder, taken, width)
                    index += 1

    def _item(self, index: int, row: Row | None, content: Path, variant: str, folder: Path,
              taken: dict[int, int], width: int) -> Job | Outcome:
        patients = self.patients
        label = _label(content, variant, patients, row.number if row else 0, row.line if row else 0)
        failure = self.loaded[content] or self.unprepared.get((content, variant))
        if failure is None and row is not None and patients is not None:
            failure = _row_problem(row, patients, content,
                                   tuple(p for p in self.placeholders[content] if p not in self.shared), self.template)
        output: Path | None = None
        if failure is None:
            fields = {"row": f"{row.number:0{width}d}" if row else "",
                      "stem": api.default_output(content, variant).stem, "variant": variant}
            if row is not None:
                fields = {**row.values, **fields}
            try:
                output = self.out / _file_name(self.template, fields, row, patients,
                                               ".html" if variant in api.HTML_VARIANTS else ".pdf")
            except BookletError as exc:
                failure = exc
        if output is not None:
            key = hash(str(folder / output.name).casefold())
            if key in taken:
                failure = _clash(row, patients, self._owner(taken[key]), output, self.name)
            else:
                taken[key] = index << 32 | (row.line if row else 0)
        number = row.number if row else None
        if failure is not None:
            return Outcome(index, label, error=str(failure), personal=row is not None, row=number)
        assert output is not None
        placeholders = self.placeholders.get(content, ())
        return Job(
            index, label, content, variant, output, self.clinic, self.paper, self.assets,
            impose=self.impose and variant in FOLDED,
            # Only the values this handout prints travel to the worker (and are checked for glyphs).
            values={k: row.values[k] if k in row.values else self.shared[k] for k in placeholders}
            if row else self.shared or None,
            values_source=f"{patients.path}:{row.line} (row {row.number}) column" if row and patients
            else "--set" if self.shared else "",
            personal=row is not None,
            bleed=self.bleed, marks=self.marks, one_side=self.one_side, tags=self.tags, pdfua=self.pdfua,
            row=number,
        )

    def _owner(self, taken: int) -> str:
        """The label of the item that has a file name, from what the name index keeps (its index and line)."""
        if taken == _COMBINE_FILE:
            return "--combine"
        index, line = taken >> 32, taken & 0xFFFFFFFF
        per_row = len(self.contents) * len(self.variants)
        content = self.contents[index % per_row // len(self.variants)]
        return _label(content, self.variants[index % len(self.variants)], self.patients, index // per_row + 1, line)


def is_clinic_profile(content: Path, clinic: Path | None) -> bool:
    """Whether a content file named on the command line is the clinic profile given with --clinic."""
    if clinic is None:
        return False
    try:
        return content.samefile(clinic)
    except OSError:
        return False


def skipped_clinic(content: Path) -> Problem:
    """The note for a clinic profile met among the content files (a `*.yaml` in a clinic folder)."""
    return Problem(Loc(str(content)), "skipped: this is the clinic profile in use, not a handout",
                   severity="info")


def _default_name(patients: PatientData | None, per_row: int) -> str:
    if patients is None:
        return "{{ stem }}"
    return "{{ row }}" if per_row == 1 else "{{ row }}-{{ stem }}"


def _check_template(template: str, columns: tuple[str, ...], given: bool) -> None:
    import difflib

    known = (*NAME_FIELDS, *columns)
    problems = Problems()
    used = _NAME_FIELD.findall(template)
    for field_name in used:
        if field_name not in known:
            close = difflib.get_close_matches(field_name, known, n=1)
            hint = f"did you mean '{{{{ {close[0]} }}}}'?" if close else (
                "use {{ row }}, {{ stem }}, {{ variant }} or a column of the CSV")
            problems.add(Loc("--name"), f"'{{{{ {field_name} }}}}' is not a column of the CSV or a name field", hint)
    if given and not used:
        problems.add(Loc("--name"), "the name template has no {{ field }}, so every copy would get the same name",
                     "include {{ row }} or a column that differs per patient, e.g. '{{ patient_id }}-{{ stem }}'")
    problems.raise_if_any()


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BookletError.at(str(out), "--out names a file, not a folder", "give a folder for the PDFs")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BookletError.at(str(out), f"cannot create the output folder: {exc.strerror or exc}",
                              "choose a folder you can write to") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise BookletError.at(str(out), "cannot write in the output folder: permission denied",
                              "choose a folder you can write to")


def _label(content: Path, variant: str, patients: PatientData | None, number: int, line: int) -> str:
    item = f"{content.name} ({variant})"
    if patients is None:
        return item
    return f"{patients.path} row {number} (line {line}), {item}"


def _row_problem(row: Row, patients: PatientData, content: Path, placeholders: tuple[str, ...],
                 template: str) -> BookletError | None:
    """A row that lacks a value its handout or the file name needs fails alone, naming row, line and column."""
    needed = {p: f"{content.name} needs for {{{{ {p} }}}}" for p in placeholders}
    for field_name in _NAME_FIELD.findall(template):
        if field_name not in NAME_FIELDS:
            needed.setdefault(field_name, "--name needs for the file name")
    loc = _csv_loc(patients.path, row.line)
    if row.extra_cells:
        return BookletError.at(loc, f"row {row.number} has {row.extra_cells} more cell"
                               f"{'s' if row.extra_cells != 1 else ''} than the header has columns",
                               "an unquoted comma in a cell splits it: put quotes around that cell")
    problems = Problems()
    for column, why in needed.items():
        if not row.values.get(column, ""):
            problems.add(loc, f"row {row.number} has no value in the column {patients.column_label(column)}, "
                         f"which {why}", "fill in the cell, or leave the row out")
    if problems:
        return BookletError(problems.items)
    return None


def _file_name(template: str, fields: dict[str, str], row: Row | None, patients: PatientData | None,
               extension: str = ".pdf") -> str:
    """The template filled in and made safe as one file name in the output folder."""
    name = _NAME_FIELD.sub(lambda mt: fields.get(mt.group(1), ""), template)
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE_IN_NAME.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)  # no '..', so the name can never mean a parent folder
    name = name.strip(" .")  # no hidden files, no trailing dots (Windows drops them)
    if name.lower().endswith(extension):
        name = name[:-len(extension)].rstrip(" .")
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .")
    if not name:
        where = _csv_loc(patients.path, row.line) if row and patients else Loc("--name")
        what = f"row {row.number}" if row else "this item"
        raise BookletError.at(where, f"the file name from --name is empty for {what}",
                              "use fields that have a value in every row, e.g. {{ row }}")
    return name + extension


def _clash(row: Row | None, patients: PatientData | None, other: str, output: Path, given: str | None) -> BookletError:
    if row is not None and patients is not None:
        # The file name may hold patient values: name the rows, not the name.
        return BookletError.at(_csv_loc(patients.path, row.line),
                               f"row {row.number} would get the same file name as {other}",
                               "make --name unique per row, e.g. '{{ patient_id }}-{{ stem }}' "
                               "or '{{ row }}-{{ stem }}'")
    if other == "--combine":
        return BookletError.at(str(output), "this output would overwrite the --combine file",
                               "give --combine another name or folder")
    hint = ("make --name give each item its own name" if given
            else "give content files with the same name different names")
    return BookletError.at(str(output), f"two items would be written to this file ({other} already is)", hint)


# -- running ----------------------------------------------------------------------
#: Jobs handed to the executor and not yet finished, per worker: enough that no worker waits for its
#: next job, few enough that a batch of any length holds only a handful of jobs and results at once.
IN_FLIGHT_PER_WORKER = 3


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    elapsed: float
    last: Outcome
    skipped: int = 0  # --resume: complete already

    @property
    def seconds_left(self) -> float | None:
        """A straight-line estimate from the pace of the items made so far (skipped ones take no time);
        None before anything is made."""
        made = self.done - self.skipped
        if not made:
            return None
        return self.elapsed / made * (self.total - self.done)


@dataclass(frozen=True)
class BatchResult:
    #: In plan order: every item that finished (written, failed or skipped); empty with run(keep_outcomes=False),
    #: which keeps only the counts below, so that memory stays flat however many rows there are.
    outcomes: tuple[Outcome, ...]
    total: int
    elapsed: float
    interrupted: bool = False
    combined: Path | None = None
    combine_error: str | None = None
    combined_count: int = 0  # PDFs in the combined file
    done: int = 0  # items finished, skipped ones included
    written_count: int = 0
    skipped: int = 0  # --resume: complete already, not made again
    failed: tuple[Outcome, ...] = ()  # in plan order
    #: Each warning once, with the number of files it concerns (in the order first met).
    warnings: dict[str, int] = field(default_factory=dict)
    #: Peak resident memory of each process that rendered something, by process id.
    peak_rss_kb: dict[int, int] = field(default_factory=dict)

    @property
    def written(self) -> tuple[Outcome, ...]:
        """The items written (skipped ones included): from `outcomes`, so empty with keep_outcomes=False."""
        return tuple(o for o in self.outcomes if o.ok)

    @property
    def not_run(self) -> int:
        return self.total - self.done


class _Tally:
    """What a run keeps of the outcomes as they arrive: counts, failures and warnings, not every item."""

    def __init__(self, keep: bool, combine: bool) -> None:
        self.keep = keep
        self.outcomes: dict[int, Outcome] = {}
        self.combine: dict[int, Path] | None = {} if combine else None  # index -> PDF, for --combine
        self.done = self.written = self.skipped = 0
        self.failed: list[Outcome] = []
        self.warnings: dict[str, int] = {}
        self.peaks: dict[int, int] = {}

    def add(self, outcome: Outcome) -> None:
        self.done += 1
        if self.keep:
            self.outcomes[outcome.index] = outcome
        if not outcome.ok:
            self.failed.append(outcome)
            return
        self.skipped += outcome.skipped
        self.written += not outcome.skipped
        for w in outcome.warnings:
            self.warnings[w] = self.warnings.get(w, 0) + 1
        if outcome.pid:
            self.peaks[outcome.pid] = max(self.peaks.get(outcome.pid, 0), outcome.peak_rss_kb)
        if self.combine is not None and outcome.output is not None and outcome.output.suffix == ".pdf":
            self.combine[outcome.index] = outcome.output  # not web pages

    def result(self, batch: Plan, elapsed: float, interrupted: bool) -> BatchResult:
        combined = combine_error = None
        count = len(self.combine or ())
        if batch.combine is not None and interrupted:
            combine_error = f"{batch.combine}: error: the batch was interrupted, so the combined file was not written"
        elif batch.combine is not None and self.combine is not None:
            combined, combine_error = _combine(batch.combine, [self.combine[i] for i in sorted(self.combine)])
        return BatchResult(tuple(self.outcomes[i] for i in sorted(self.outcomes)), batch.total, elapsed,
                           interrupted, combined, combine_error, count if combined else 0, self.done, self.written,
                           self.skipped, tuple(sorted(self.failed, key=lambda o: o.index)), self.warnings, self.peaks)


def run(batch: Plan, *, jobs: int | None = None, executor: Executor | None = None,
        on_progress: Callable[[Progress], None] | None = None, manifest: Manifest | None = None,
        resume: bool = False, in_flight: int | None = None, keep_outcomes: bool = True) -> BatchResult:
    """Run the plan's jobs, in parallel on `jobs` processes (default: every core) or on `executor`
    (such as a Dask cluster's: booklet/cluster.py).

    The items are made from the CSV as they are handed out, and at most `in_flight` jobs (default
    IN_FLIGHT_PER_WORKER per process, or per `jobs` with an executor) are submitted and unfinished at
    any time, so a batch of any length runs in the same memory. `manifest` gets one line per item
    as it finishes (booklet/manifest.py); with `resume`, an item whose file the manifest records
    and that is on disk with the recorded checksum is skipped. `keep_outcomes=False` keeps counts,
    failures and warnings only (what the command line reports), not every item.

    Returns when every item is done, or when Ctrl-C stopped the batch: then no
    more items start, the running ones finish (so only complete PDFs are left),
    and the result says how far it got.
    """
    if resume and manifest is None:
        raise resume_needs_manifest()
    started = time.perf_counter()
    tally = _Tally(keep_outcomes, batch.combine is not None)

    def record(outcome: Outcome) -> None:
        tally.add(outcome)
        if manifest is not None and not outcome.skipped:
            _add_to_manifest(manifest, outcome)
        if on_progress is not None:
            on_progress(Progress(tally.done, batch.total, len(tally.failed), time.perf_counter() - started, outcome,
                                 tally.skipped))

    work = _work(batch.items(), manifest if resume else None, fsync=manifest is None)
    workers = max(1, min(jobs or os.cpu_count() or 1, batch.total))
    interrupted = False
    try:
        if executor is None and workers <= 1:
            try:
                for item in work:
                    record(item if isinstance(item, Outcome) else render_job(item))
            except KeyboardInterrupt:
                interrupted = True
        else:
            interrupted = _run_on(executor, workers, in_flight or IN_FLIGHT_PER_WORKER * workers, work, record)
    finally:
        if manifest is not None:
            # The copies were not fsynced one by one (see booklet/manifest.py): flush this machine's
            # writes once, then the manifest. (Copies written by workers on other machines are left
            # to their file system; --resume checks every checksum.)
            if hasattr(os, "sync"):  # not on Windows
                os.sync()
            manifest.sync()
    return tally.result(batch, time.perf_counter() - started, interrupted)


def _work(items: Iterator[Job | Outcome], resume: Manifest | None, *, fsync: bool) -> Iterator[Job | Outcome]:
    """The plan's items as they go to the workers: complete ones skipped (--resume), fsync as the run wants."""
    for item in items:
        if isinstance(item, Outcome):
            yield item
        elif resume is not None and resume.is_complete(item.output):
            yield Outcome(item.index, item.label, item.output, personal=item.personal, row=item.row, skipped=True)
        else:
            yield item if item.fsync == fsync else replace(item, fsync=fsync)


def _run_on(executor: Executor | None, workers: int, in_flight: int, work: Iterator[Job | Outcome],
            record: Callable[[Outcome], None]) -> bool:
    """Hand the jobs to `executor` (or a pool of `workers` processes of our own), never more than
    `in_flight` unfinished at once; True when Ctrl-C stopped it."""
    own = executor is None
    if own and _context() is not None:  # workers forked from this process start with what it has made
        work = _first_template_made(work)
    pool = executor or ProcessPoolExecutor(workers, mp_context=_context(), initializer=_worker_start)
    pending: dict[Future[Outcome], Job] = {}

    def collect() -> None:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            record(_outcome_of(future, pending.pop(future)))

    try:
        for item in work:
            if isinstance(item, Outcome):
                record(item)
                continue
            while len(pending) >= in_flight:
                collect()
            pending[pool.submit(render_one_at_a_time, item)] = item
        while pending:
            collect()
    except KeyboardInterrupt:
        for future in pending:
            future.cancel()
        # Items already handed to a worker finish and are written whole; wait for them.
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        for future, job in pending.items():
            if future.done() and not future.cancelled():
                record(_outcome_of(future, job))
        return True
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return False


def _first_template_made(work: Iterator[Job | Outcome]) -> Iterator[Job | Outcome]:
    """The items, once the first job's template is made here (booklet/reuse.py: a personalised row's copy is
    written from it), before the pool's workers are forked: each has it from the start, rather than making
    its own (about half a second of CPU each), and it is made on two cores (reuse.make_template)."""
    head: list[Job | Outcome] = []
    for item in work:
        head.append(item)
        if isinstance(item, Job):
            if item.values and item.variant not in api.HTML_VARIANTS:
                try:
                    with collecting_less():
                        prepared = _prepared(item.content, item.clinic, item.variant, item.paper, item.assets)
                        reuse.template_for(prepared, reuse.Options(item.tags, item.pdfua, item.bleed, item.marks,
                                                                   item.one_side), two_cores=True)
                except Exception:  # what is wrong with the handout, its jobs say (render_job)
                    pass
            break
    return itertools.chain(head, work)


def _add_to_manifest(manifest: Manifest, o: Outcome) -> None:
    written = o.ok and o.output is not None
    manifest.add(row=o.row, file=o.output.name if written and o.output is not None else None,
                 pages=o.pages if written else 0, sha256=o.sha256 if written else None,
                 status="written" if written else "failed", message=o.error)


def _context():  # type: ignore[no-untyped-def]
    """fork where the platform has it: workers start with the parent's imports, fonts and prepared handouts."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return None


def _worker_start() -> None:
    # Ctrl-C is the parent's to handle: a worker finishes the item it has (so its PDF is whole).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What every job needs and keeps for the worker's life (the modules of a build, the shipped fonts, what the
    # parent had when it forked) is made now, then frozen out of the collector's sight: a full collection then
    # walks only what documents made, and the collector never writes to the pages shared with the parent.
    # The thresholds stay Python's own between documents (booklet.render raises them only during one: kept
    # high for a worker's whole life, memory grew threefold).
    from . import compose_booklet, compose_summary  # noqa: F401 - imported to be frozen with the rest
    from .fonts import font_set

    font_set()
    gc.freeze()


def _outcome_of(future: Future[Outcome], job: Job) -> Outcome:
    try:
        return future.result()
    except BaseException as exc:  # the worker process died (killed, out of memory) or could not start
        return Outcome(job.index, job.label, error=f"{job.label}: error: the worker process stopped "
                       f"({type(exc).__name__}); the item was not made", personal=job.personal, row=job.row)


def _combine(target: Path, written: list[Path]) -> tuple[Path | None, str | None]:
    from .impose import combine

    if not written:
        return None, f"{target}: error: nothing to combine, no item was written"
    try:
        write_atomic(target, combine([path.read_bytes() for path in written]))
    except BookletError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"{target}: error: cannot read a written PDF back ({exc.strerror or exc})"
    return target, None


# -- in the worker ------------------------------------------------------------------
#: Handouts kept prepared per process. Enough for every variant of the handouts a
#: personalised batch alternates between; few enough that memory stays flat across
#: a batch of thousands of distinct handouts (the plan puts a handout's variants together).
CACHED_HANDOUTS = 16
#: Prepared handouts by (content, clinic, variant, paper, assets): row-independent work, done once per process.
_PREPARED: OrderedDict[tuple[Path, Path | None, str, str, tuple[Path, ...]], api.Prepared] = OrderedDict()
#: Loaded handouts and clinics by (content, clinic, assets), shared by the variants.
_LOADED: OrderedDict[tuple[Path, Path | None, tuple[Path, ...]], tuple[Handout, Clinic]] = OrderedDict()


def _cached(cache: OrderedDict, key: tuple, make: Callable[[], object]):  # type: ignore[no-untyped-def,type-arg]
    """The cached value for `key` (made on a miss); the least recently used entry goes past CACHED_HANDOUTS."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    if len(cache) > CACHED_HANDOUTS:
        cache.popitem(last=False)
    return value


def _load(content: Path, clinic: Path | None, assets: tuple[Path, ...]) -> tuple[Handout, Clinic]:
    return _cached(_LOADED, (content, clinic, assets), lambda: api.load(content, clinic, assets=assets))


def _prepared(content: Path, clinic: Path | None, variant: str, paper: str, assets: tuple[Path, ...]) -> api.Prepared:
    def make() -> api.Prepared:
        handout, clinic_model = _load(content, clinic, assets)
        return api.prepare(handout, clinic_model, variant, paper)

    return _cached(_PREPARED, (content, clinic, variant, paper, assets), make)


#: One job at a time in a process. A Dask worker may run jobs on several threads, and ReportLab keeps
#: per-process state (fonts, settings) that is not safe to share between documents being made at once.
_ONE_AT_A_TIME = threading.Lock()


def render_one_at_a_time(job: Job) -> Outcome:
    """render_job, never alongside another in the same process: what `run` hands to the executor."""
    with _ONE_AT_A_TIME:
        return render_job(job)


def render_job(job: Job) -> Outcome:
    """Make one PDF or web page (in whichever process runs this); never raises for bad input.
    Returns only what was written where (file, pages, checksum), never the file's bytes."""
    try:
        data, pages, handout, found = (_web_page if job.variant in api.HTML_VARIANTS else _pdf)(job)
        warnings = tuple(str(w) for w in api.warnings_with_review(handout, found))
        _write(job, data)
    except BookletError as exc:
        return _done(job, error=str(exc))
    except Exception as exc:  # a bug: keep where it happened, but never a patient value
        return _done(job, error=_bug_report(job, exc))
    return _done(job, output=job.output, pages=pages, warnings=warnings, sha256=hashlib.sha256(data).hexdigest())


def _pdf(job: Job) -> tuple[bytes, int, Handout, tuple[Problem, ...]]:
    """The job's PDF (imposed if asked), its pages, the handout and what the build warns about."""
    prepared = _prepared(job.content, job.clinic, job.variant, job.paper, job.assets)
    # Without --data a handout's placeholders have no values: that fails here, with the usual message.
    # A row's copy draws only the pages that show its values when it can (booklet/reuse.py): the same bytes.
    result = reuse.render_copy(prepared, job.values, values_source=job.values_source or "a CSV given with --data",
                               tags=job.tags, pdfua=job.pdfua, bleed=job.bleed, marks=job.marks,
                               one_side=job.one_side)
    pdf = result.pdf
    if job.impose:
        from .impose import impose_saddle_stitch

        pdf = impose_saddle_stitch(pdf)
    return pdf, result.pages, prepared.handout, result.warnings


def _web_page(job: Job) -> tuple[bytes, int, Handout, tuple[Problem, ...]]:
    """The job's web page (booklet/html.py), as UTF-8; a web page has no pages (0)."""
    handout, clinic = _load(job.content, job.clinic, job.assets)
    result = api.render_html(handout, clinic, large_print=job.variant == "large-print-html", values=job.values,
                             values_source=job.values_source or "a CSV given with --data")
    return result.html.encode("utf-8"), 0, handout, result.warnings


def _write(job: Job, pdf: bytes) -> None:
    try:
        write_atomic(job.output, pdf, fsync=job.fsync)
    except BookletError as exc:
        if not job.personal:
            raise
        # The path may hold patient values (--name): point at the row instead, keep the message and hint.
        where = Loc(job.values_source.rsplit(" column", 1)[0])
        raise BookletError([type(p)(where, p.message, p.hint, p.severity) for p in exc.problems]) from None


def _bug_report(job: Job, exc: Exception) -> str:
    frames = traceback.format_tb(exc.__traceback__)
    # The exception's own message can quote the text being laid out (a patient's name): leave it out then.
    what = type(exc).__name__ if job.personal else f"{type(exc).__name__}: {exc}"
    return (f"{job.label}: error: internal error (a bug in booklet, please report it): {what}\n"
            + "".join(frames).rstrip())


def _done(job: Job, *, output: Path | None = None, error: str | None = None, pages: int = 0,
          warnings: tuple[str, ...] = (), sha256: str = "") -> Outcome:
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    except ImportError:  # pragma: no cover - not on Windows
        peak = 0
    return Outcome(job.index, job.label, output, error, pages, job.personal, os.getpid(), peak, warnings, job.row,
                   sha256)
