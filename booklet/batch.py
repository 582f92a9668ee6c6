"""Plans and runs many builds at once: content files x variants (x patient rows) on a pool of processes.

    batch = plan([Path("asthma.yaml")], variants=("booklet", "summary"), data=Path("patients.csv"))
    result = run(batch, jobs=4, on_progress=print)

`plan` reads and checks everything that can be checked before any work starts
(options, the CSV and its header, the name template, each content file) and
raises BookletError when nothing can start. Problems that belong to one item
(a content file that does not validate, a row without a value a placeholder
needs) become that item's failure; the other items still run.

`run` hands the jobs to a `concurrent.futures.Executor` (a process pool by
default; any other executor, such as Dask's, can be passed in) and reports each
finished item through a callback. Every worker keeps the row-independent work
(`api.Prepared`) per handout, variant and paper, so a personalised batch
validates and prepares a handout once per worker, not once per row.

Patient values travel only in memory, to the worker that renders the row. They
are never logged, cached on disk or repeated in messages: messages name the CSV
row, line and column instead. Only the requested PDFs are written, atomically.
"""

from __future__ import annotations

import csv
import gc
import io
import multiprocessing
import os
import re
import signal
import sys
import time
import traceback
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import api
from .errors import BookletError, Loc, Problem, Problems
from .model import Clinic, Handout
from .output import write_atomic
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
    path: Path
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def column_label(self, name: str) -> str:
        """'patient_name' (column C), as a spreadsheet shows it."""
        return f"'{name}' (column {_spreadsheet_column(self.columns.index(name) + 1)})"


def read_patients(path: Path) -> PatientData:
    """Read a UTF-8 CSV (with or without BOM) whose header names the placeholders each column fills."""
    where = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise BookletError.at(where, "the file does not exist", "check the file name and folder") from None
    except IsADirectoryError:
        raise BookletError.at(where, "this is a folder, not a CSV file", "give the path of the CSV file") from None
    except UnicodeDecodeError as exc:
        raise BookletError.at(_csv_loc(path, _line_of_byte(path, exc.start)), "the file is not UTF-8 text",
                              "save it as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8)") from None
    except OSError as exc:
        raise BookletError.at(where, f"cannot read the file: {exc.strerror or exc}",
                              "check that you may read it") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise BookletError.at(_csv_loc(path, line), "the file contains a NUL character, so it is not CSV text",
                              "export the spreadsheet again as 'CSV UTF-8'")
    # newline="": line ends inside quoted cells stay part of the cell, as the csv module expects.
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text.split("\n", 1)[0]), strict=True)
    rows: list[Row] = []
    header: list[str] | None = None
    header_line = 0
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(c.strip() for c in cells):
                continue  # blank lines (often at the end of an export) are not rows
            if header is None:
                header, header_line = [c.strip() for c in cells], start
                _check_header(path, header, header_line)
                continue
            values = {name: unicodedata.normalize("NFC", cell.strip())
                      for name, cell in zip(header, cells, strict=False)}
            values.update({name: "" for name in header[len(cells):]})
            rows.append(Row(len(rows) + 1, start, values, max(0, len(cells) - len(header))))
    except csv.Error as exc:
        raise BookletError.at(_csv_loc(path, reader.line_num), f"the CSV cannot be read ({exc})",
                              "check the quotes on this line, or export the spreadsheet again as 'CSV UTF-8'") from None
    if header is None:
        raise BookletError.at(where, "the CSV is empty",
                              "the first line names the columns, e.g. patient_id,patient_name")
    if not rows:
        raise BookletError.at(_csv_loc(path, header_line), "the CSV has a header but no rows",
                              "add one row per patient")
    return PatientData(path, tuple(header), tuple(rows))


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


def _line_of_byte(path: Path, offset: int) -> int:
    try:
        return path.read_bytes()[:offset].count(b"\n") + 1
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


@dataclass(frozen=True)
class Outcome:
    """What became of one item: the file written, or the error text."""

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

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Plan:
    jobs: tuple[Job, ...]
    refused: tuple[Outcome, ...]  # items that fail before any work (bad content, missing values, clashing names)
    out: Path
    combine: Path | None = None
    #: Things to tell before the work starts (a content file skipped because it is the clinic profile).
    notes: tuple[Problem, ...] = ()

    @property
    def total(self) -> int:
        return len(self.jobs) + len(self.refused)


def plan(contents: Sequence[Path], *, clinic: Path | None = None, variants: Sequence[str] = ("booklet",),
         data: Path | None = None, name: str | None = None, paper: str = "a4", impose: bool = False,
         combine: Path | None = None, out: Path = Path("out"), assets: tuple[Path, ...] = (),
         bleed: float = 0.0, marks: bool = False, one_side: bool = False,
         values: Mapping[str, str] | None = None) -> Plan:
    """Check the options and inputs and list the jobs; BookletError when nothing can start.
    `values` (`--set`) fill placeholders in every copy; a CSV column of the same name is refused."""
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

    jobs: list[Job] = []
    refused: list[Outcome] = []
    folder = out.resolve()
    taken: dict[str, str] = {}  # casefolded file path -> the label of the item that has it
    if combine is not None:
        taken[str(Path(combine).resolve()).casefold()] = "--combine"
    rows: Sequence[Row | None] = patients.rows if patients else (None,)
    width = len(str(len(rows)))
    for row in rows:
        for content in contents:
            for variant in variants:
                index = len(jobs) + len(refused)
                label = _label(content, variant, row, patients)
                failure = loaded[content] or unprepared.get((content, variant))
                if failure is None and row is not None and patients is not None:
                    failure = _row_problem(row, patients, content,
                                           tuple(p for p in placeholders[content] if p not in shared), template)
                output: Path | None = None
                if failure is None:
                    fields = {"row": f"{row.number:0{width}d}" if row else "",
                              "stem": api.default_output(content, variant).stem, "variant": variant}
                    if row is not None:
                        fields = {**row.values, **fields}
                    try:
                        output = out / _file_name(template, fields, row, patients,
                                                  ".html" if variant in api.HTML_VARIANTS else ".pdf")
                    except BookletError as exc:
                        failure = exc
                if output is not None:
                    key = str(folder / output.name).casefold()
                    if key in taken:
                        failure = _clash(row, patients, taken[key], output, name)
                    else:
                        taken[key] = label
                if failure is not None:
                    refused.append(Outcome(index, label, error=str(failure), personal=row is not None))
                    continue
                assert output is not None
                jobs.append(Job(
                    index, label, content, variant, output, clinic, paper, assets,
                    impose=impose and variant in FOLDED,
                    # Only the values this handout prints travel to the worker (and are checked for glyphs).
                    values={k: row.values[k] if k in row.values else shared[k] for k in placeholders[content]}
                    if row else shared or None,
                    values_source=f"{patients.path}:{row.line} (row {row.number}) column" if row and patients
                    else "--set" if shared else "",
                    personal=row is not None,
                    bleed=bleed, marks=marks, one_side=one_side,
                ))
    return Plan(tuple(jobs), tuple(refused), out, Path(combine) if combine is not None else None, notes)


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


def _label(content: Path, variant: str, row: Row | None, patients: PatientData | None) -> str:
    item = f"{content.name} ({variant})"
    if row is None or patients is None:
        return item
    return f"{patients.path} row {row.number} (line {row.line}), {item}"


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
@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    elapsed: float
    last: Outcome

    @property
    def seconds_left(self) -> float | None:
        """A straight-line estimate from the pace so far; None before anything is done."""
        if not self.done:
            return None
        return self.elapsed / self.done * (self.total - self.done)


@dataclass(frozen=True)
class BatchResult:
    outcomes: tuple[Outcome, ...]  # in plan order; only the items that finished
    total: int
    elapsed: float
    interrupted: bool = False
    combined: Path | None = None
    combine_error: str | None = None

    @property
    def written(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.ok)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def not_run(self) -> int:
        return self.total - len(self.outcomes)

    @property
    def peak_rss_kb(self) -> dict[int, int]:
        """Peak resident memory of each process that rendered something, by process id."""
        peaks: dict[int, int] = {}
        for o in self.outcomes:
            if o.pid:
                peaks[o.pid] = max(peaks.get(o.pid, 0), o.peak_rss_kb)
        return peaks


def run(batch: Plan, *, jobs: int | None = None, executor: Executor | None = None,
        on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
    """Run the plan's jobs, in parallel on `jobs` processes (default: every core) or on `executor`.

    Returns when every item is done, or when Ctrl-C stopped the batch: then no
    more items start, the running ones finish (so only complete PDFs are left),
    and the result says how far it got.
    """
    started = time.perf_counter()
    outcomes: dict[int, Outcome] = {}
    failed = 0

    def record(outcome: Outcome) -> None:
        nonlocal failed
        outcomes[outcome.index] = outcome
        failed += not outcome.ok
        if on_progress is not None:
            on_progress(Progress(len(outcomes), batch.total, failed, time.perf_counter() - started, outcome))

    for outcome in batch.refused:
        record(outcome)
    workers = min(jobs or os.cpu_count() or 1, len(batch.jobs))
    interrupted = False
    if executor is None and workers <= 1:
        try:
            for job in batch.jobs:
                record(render_job(job))
        except KeyboardInterrupt:
            interrupted = True
    else:
        own = executor is None
        pool = executor or ProcessPoolExecutor(workers, mp_context=_context(), initializer=_worker_start)
        futures: dict[Future[Outcome], Job] = {}
        try:
            futures = {pool.submit(render_job, job): job for job in batch.jobs}
            for future in as_completed(futures):
                record(_outcome_of(future, futures[future]))
        except KeyboardInterrupt:
            interrupted = True
            for future in futures:
                future.cancel()
            # Items already handed to a worker finish and are written whole; wait for them.
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
            for future, job in futures.items():
                if future.done() and not future.cancelled() and job.index not in outcomes:
                    record(_outcome_of(future, job))
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
    ordered = tuple(outcomes[i] for i in sorted(outcomes))
    combined = combine_error = None
    if batch.combine is not None and interrupted:
        combine_error = f"{batch.combine}: error: the batch was interrupted, so the combined file was not written"
    elif batch.combine is not None:
        combined, combine_error = _combine(batch.combine, [o for o in ordered if o.ok and o.output is not None
                                                           and o.output.suffix == ".pdf"])  # not web pages
    return BatchResult(ordered, batch.total, time.perf_counter() - started, interrupted, combined, combine_error)


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
                       f"({type(exc).__name__}); the item was not made", personal=job.personal)


def _combine(target: Path, written: list[Outcome]) -> tuple[Path | None, str | None]:
    from .impose import combine

    if not written:
        return None, f"{target}: error: nothing to combine, no item was written"
    try:
        write_atomic(target, combine([o.output.read_bytes() for o in written if o.output is not None]))
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


def render_job(job: Job) -> Outcome:
    """Make one PDF or web page (in whichever process runs this); never raises for bad input."""
    try:
        data, pages, handout, found = (_web_page if job.variant in api.HTML_VARIANTS else _pdf)(job)
        warnings = tuple(str(w) for w in api.warnings_with_review(handout, found))
        _write(job, data)
    except BookletError as exc:
        return _done(job, error=str(exc))
    except Exception as exc:  # a bug: keep where it happened, but never a patient value
        return _done(job, error=_bug_report(job, exc))
    return _done(job, output=job.output, pages=pages, warnings=warnings)


def _pdf(job: Job) -> tuple[bytes, int, Handout, tuple[Problem, ...]]:
    """The job's PDF (imposed if asked), its pages, the handout and what the build warns about."""
    prepared = _prepared(job.content, job.clinic, job.variant, job.paper, job.assets)
    # Without --data a handout's placeholders have no values: that fails here, with the usual message.
    result = api.render_prepared(prepared, job.values, values_source=job.values_source or "a CSV given with --data",
                                 bleed=job.bleed, marks=job.marks, one_side=job.one_side)
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
        write_atomic(job.output, pdf)
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
          warnings: tuple[str, ...] = ()) -> Outcome:
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    except ImportError:  # pragma: no cover - not on Windows
        peak = 0
    return Outcome(job.index, job.label, output, error, pages, job.personal, os.getpid(), peak, warnings)
