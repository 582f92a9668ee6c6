"""The `booklet` command: a thin layer that turns options into one library call.

Bad input (BookletError) is printed and exits 2 here, in one place; anything
else is a bug and keeps its traceback (exit 1). Everything said goes to stderr
(stdout carries only a PDF written with `-o -`, or `check`'s report), through
the Console: `-q` leaves out notes and "wrote" lines, never errors or warnings;
`-v` adds timings; colour only on a terminal, never with NO_COLOR or --no-color.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__

CONTENT = click.Path(path_type=Path, dir_okay=False)
#: A content file, or `-` for YAML on standard input.
CONTENT_OR_STDIN = click.Path(path_type=Path, dir_okay=False, allow_dash=True)
PAPER = click.Choice(["a4", "letter"], case_sensitive=False)
VARIANT_NAMES = ("booklet", "summary", "large-print", "large-print-summary")
#: What `batch --variant` makes: the PDFs, and the web page (`booklet html`, `booklet html --large-print`).
BATCH_VARIANT_NAMES = (*VARIANT_NAMES, "html", "large-print-html")


class Console:
    """How the command talks to the person at the terminal: on stderr, quietly or verbosely, in colour or not."""

    def __init__(self) -> None:
        self.quiet = False
        self.verbose = False
        self.color: bool | None = None  # --color/--no-color; None: decide from NO_COLOR and the terminal

    @property
    def colour(self) -> bool | None:
        """For click.echo: False strips colour, None keeps it on a terminal only (https://no-color.org)."""
        if self.color is not None:
            return self.color
        return False if os.environ.get("NO_COLOR") else None

    def problem(self, text: str) -> None:
        """Errors and warnings: always said, -q or not."""
        click.echo(paint(text), err=True, color=self.colour)

    def note(self, text: str) -> None:
        self.info(f"note: {text}")

    def info(self, text: str) -> None:
        """Located notes (`file: info: ...`): left out with -q."""
        if not self.quiet:
            click.echo(paint(text), err=True, color=self.colour)

    def say(self, text: str) -> None:
        """What was done ("wrote ..."): left out with -q."""
        if not self.quiet:
            click.echo(text, err=True)

    def detail(self, text: str) -> None:
        """Timings and such: only with -v."""
        if self.verbose:
            click.echo(text, err=True)

    def report(self, text: str) -> None:
        """A command's own output on stdout (check's findings), coloured like problems."""
        click.echo(paint(text), color=self.colour)


_SEVERITY = re.compile(r"^(?:(?P<where>[^\n]*?): )?(?P<severity>error|warning|info|note):(?= )", re.MULTILINE)
_HINT = re.compile(r"^(  hint:)", re.MULTILINE)
_STYLES: dict[str, dict[str, Any]] = {"error": {"fg": "red", "bold": True}, "warning": {"fg": "magenta", "bold": True},
                                      "info": {"fg": "cyan"}, "note": {"fg": "cyan"}}


def paint(text: str) -> str:
    """`file:line:col: error: ...` with the place in bold and the severity in colour (as compilers do)."""
    def severity(mt: re.Match[str]) -> str:
        where = click.style(mt["where"], bold=True) + ": " if mt["where"] else ""
        return where + click.style(mt["severity"], **_STYLES[mt["severity"]]) + ":"

    return _HINT.sub(lambda mt: click.style(mt[1], fg="green"), _SEVERITY.sub(severity, text))


def console() -> Console:
    ctx = click.get_current_context()
    found = ctx.ensure_object(Console)
    if found.quiet and found.verbose:
        raise click.UsageError("give -q (quiet) or -v (verbose), not both")
    return found


def _set_console(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and value is not False:  # not given here (it may have been given before the command)
        setattr(ctx.ensure_object(Console), param.name or "", value)


def console_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """-q, -v and --color/--no-color, before the command (`booklet -q build ...`) or after it."""
    for option in reversed([
        click.option("-q", "--quiet", is_flag=True, default=None, expose_value=False, callback=_set_console,
                     help="Say only errors and warnings: no notes, no 'wrote' lines."),
        click.option("-v", "--verbose", is_flag=True, default=None, expose_value=False, callback=_set_console,
                     help="Also say how long the work took."),
        click.option("--color/--no-color", "color", default=None, expose_value=False, callback=_set_console,
                     help="Colour errors and warnings. Default: on a terminal, unless NO_COLOR is set."),
    ]):
        func = option(func)
    return func


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print the tool's own errors as `file:line:col: error: ...` and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from . import cjk
        from .errors import BookletError

        say = console()  # refuses -q with -v before any work
        cjk.notify = say.note
        try:
            return func(*args, **kwargs)
        except BookletError as exc:
            say.problem(str(exc))
            sys.exit(2)

    return wrapper


#: Options several commands share (each use makes its own click Option).
SET_VALUES = click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                          help="Fill a {{ KEY }} placeholder with plain text. Repeatable.")
ASSETS = click.option("--assets", type=click.Path(path_type=Path, file_okay=False), multiple=True,
                      help="Another folder images may come from (besides the content file's own).")


def clinic_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--no-clinic", is_flag=True,
                        help="Use the neutral profile (no logo, calm blue), not a clinic.yaml found near the "
                             "handout.")(func)
    return click.option("--clinic", type=CONTENT,
                        help="Clinic profile YAML (logo, colours, contact details). Default: clinic.yaml in the "
                             "handout's folder or the nearest folder above it that has one.")(func)


def _clinic_for(contents: Sequence[Path], clinic: Path | None, no_clinic: bool) -> Path | None:
    """The clinic profile to use: --clinic, none with --no-clinic, else the clinic.yaml nearest the handouts."""
    from .api import STDIN, find_clinic
    from .errors import BookletError

    if clinic is not None and no_clinic:
        raise BookletError.at("--no-clinic", "--clinic and --no-clinic cannot both be given", "keep one of them")
    if clinic is not None or no_clinic:
        return clinic
    found = list(dict.fromkeys(find_clinic(c) for c in contents))
    if len(found) > 1:
        named = ", ".join(str(f) if f else "none" for f in found)
        raise BookletError.at("--clinic", f"the handouts are in folders with different clinic profiles ({named})",
                              "name one with --clinic FILE (or --no-clinic for none), or run booklet once "
                              "per folder")
    chosen = found[0] if found else None
    if chosen is not None:
        folder = "the current folder" if contents[0] == STDIN else "the handout's folder"
        if chosen.absolute().parent != Path(contents[0]).absolute().parent:
            folder = f"a folder above {folder}"
        console().note(f"using the clinic profile {chosen} from {folder} (--clinic FILE or --no-clinic to "
                       "choose another)")
    return chosen


#: --paper, for every command that lays out pages.
PAPER_OPTION = click.option("--paper", type=PAPER, default="a4", show_default=True,
                            help="Printer paper: a4 folds to A5 pages, letter to half-letter.")


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        PAPER_OPTION,
        SET_VALUES,
        ASSETS,
        click.option("-o", "--output", type=click.Path(path_type=Path, allow_dash=True),
                     help="Output PDF file; - writes it to standard output. Default: in the current folder, "
                          "named after the handout (see README)."),
    ]):
        func = option(func)
    return clinic_options(func)


def tagging_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--strict", is_flag=True,
                        help="Refuse to write the PDF when there are warnings (exit 2), for scripts and CI.")(func)
    func = click.option("--pdfua", is_flag=True,
                        help="Claim PDF/UA-1 in the metadata. Not validated by an external checker: see README.")(func)
    return click.option("--no-tags", is_flag=True,
                        help="Leave out the structure tags that screen readers use (same pages, untagged PDF).")(func)


def print_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--marks", is_flag=True,
                        help="Crop marks outside each page's corners, for a print shop.")(func)
    return click.option("--bleed", metavar="LENGTH",
                        help="For a print shop: colour bands run this far past the trim (e.g. 3mm, 0.125in); "
                             "writes TrimBox and BleedBox.")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="booklet")
@console_options
def main() -> None:
    """Print-ready patient information from YAML: booklets, one-sheet summaries, large print.

    Without --clinic, the clinic.yaml in the handout's folder (or the nearest folder
    above it) is used. Errors and warnings go to stderr as file:line:column.
    """


#: This process imported the library through a command (`_load_library`): it is a `booklet` process.
_LOADED_HERE = False


def _load_library() -> None:
    """Import the library (ReportLab, Pillow, PyYAML and booklet's stages) for a command that makes documents.

    Importing makes some 25,000 objects the cyclic garbage collector tracks (modules, classes, functions,
    tables) that live as long as the process; it walked them again and again while they were made and while
    a handout was read, and once more in full after the document (about 4% of a one-handout build's
    instructions, more of its time). It is paused while they are made, then told to leave them be
    (`gc.freeze`, as a batch worker does in booklet.batch). Only the first time: a process that has the
    library already (a test runner, a program using booklet) keeps its collector as it is.
    """
    global _LOADED_HERE
    if "booklet.api" in sys.modules:
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from . import api  # noqa: F401 - imported for what it brings
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()
    _LOADED_HERE = True


@contextmanager
def _one_document() -> Iterator[None]:
    """The build of a `booklet build` or `booklet summary` process, which makes one document and ends.

    The document's objects are freed with the process: the collector is kept from walking them when the
    build ends and again as Python shuts down (about 3% of the process's work), as it is while the document
    is built (booklet.render.collecting_less). Only in a process whose library the command imported
    (`_LOADED_HERE`): a test runner or a program that imported booklet itself gets its garbage collected as usual.
    """
    if not _LOADED_HERE:
        yield
        return
    from .render import collecting_less

    with collecting_less():
        yield
        gc.freeze()


def _read_content(content: Path) -> tuple[Path, bytes | None]:
    """The content file to name in messages and, for `-`, the YAML read from standard input."""
    from .api import STDIN
    from .errors import BookletError

    if str(content) != "-":
        return content, None
    stream = sys.stdin.buffer
    if stream.isatty():
        raise BookletError.at(STDIN, "nothing was piped in: '-' reads the handout from standard input",
                              "give the handout's file name, or pipe it in: "
                              "cat handout.yaml | booklet build - -o out.pdf")
    return STDIN, stream.read()


def _output_for(content: Path, output: Path | None, variant: str, what: str = "PDF") -> Path | None:
    """Where to write the PDF (or the web page): -o, else `<stem>.pdf` as the commands name it; None for
    standard output (-o -)."""
    from .api import STDIN, default_output
    from .errors import BookletError

    ext = "html" if what == "web page" else "pdf"
    if output is not None and str(output) == "-":
        if sys.stdout.isatty() and ext == "pdf":
            raise BookletError.at("-o -", "the PDF would be written to the terminal",
                                  "send it into a file or a program: ... -o - > handout.pdf")
        return None
    if output is not None:
        return output
    if content == STDIN:
        raise BookletError.at("-o", f"a handout read from standard input has no file name to name the {what} after",
                              f"give -o FILE.{ext}, or -o - to write the {what} to standard output")
    return default_output(content, variant)


def _build(content: Path, clinic: Path | None, no_clinic: bool, paper: str, settings: tuple[str, ...],
           assets: tuple[Path, ...], output: Path | None, variant: str, *, tags: bool = True, pdfua: bool = False,
           strict: bool = False, bleed: str | None = None, marks: bool = False, one_side: bool = False) -> None:
    _load_library()
    from .api import build
    from .bleed import parse_bleed
    from .validate import parse_set_options

    say = console()
    start = time.perf_counter()
    content, text = _read_content(content)
    clinic = _clinic_for([content], clinic, no_clinic)
    target = _output_for(content, output, variant)
    with _one_document():
        result = build(content, clinic=clinic, variant=variant, paper=paper, values=parse_set_options(settings),
                       output=target, assets=assets, tags=tags, pdfua=pdfua, strict=strict,
                       bleed=parse_bleed(bleed), marks=marks, one_side=one_side, text=text)
    if target is None:
        stdout = sys.stdout.buffer
        stdout.write(result.pdf)
        stdout.flush()
    for notice in result.notices:
        say.note(notice)
    for warning in result.warnings:
        say.problem(str(warning))
    where = "the PDF to standard output" if target is None else str(target)
    say.say(f"wrote {where} ({_pages(result.pages)})")
    say.detail(f"took {time.perf_counter() - start:.2f} s")


def _pages(n: int) -> str:
    return f"{n} page{'s' if n != 1 else ''}"


@main.command()
@click.argument("content", type=CONTENT_OR_STDIN)
@common_options
@click.option("--large-print", is_flag=True, help="Large print: A4/Letter pages, 18 pt text, nothing under 16 pt.")
@tagging_options
@print_options
@console_options
@reports_errors
def build(content: Path, clinic: Path | None, no_clinic: bool, paper: str, settings: tuple[str, ...],
          assets: tuple[Path, ...], output: Path | None, large_print: bool, no_tags: bool, pdfua: bool, strict: bool,
          bleed: str | None, marks: bool) -> None:
    """Build a folded patient booklet from CONTENT.yaml (- reads it from standard input).

    \b
    Example:
      booklet build content/metastatic-breast-cancer.yaml \\
          --clinic content/clinics/riverside/clinic.yaml -o booklet.pdf
      cat handout.yaml | booklet build - -o - > handout.pdf
    """
    _build(content, clinic, no_clinic, paper, settings, assets, output,
           "large-print" if large_print else "booklet",
           tags=not no_tags, pdfua=pdfua, strict=strict, bleed=bleed, marks=marks)


@main.command()
@click.argument("content", type=CONTENT_OR_STDIN)
@common_options
@click.option("--large-print", is_flag=True, help="Large print summary: 18 pt text, nothing under 16 pt.")
@click.option("--one-side", is_flag=True,
              help="Use the front of the sheet only: refused, saying how far over, when the summary needs the back.")
@tagging_options
@print_options
@console_options
@reports_errors
def summary(content: Path, clinic: Path | None, no_clinic: bool, paper: str, settings: tuple[str, ...],
            assets: tuple[Path, ...], output: Path | None, large_print: bool, one_side: bool, no_tags: bool,
            pdfua: bool, strict: bool, bleed: str | None, marks: bool) -> None:
    """Build a summary of CONTENT.yaml on one sheet: the front, and the back when the front is not enough.

    Urgent and warning callouts are printed whole, the urgent ones on the front. A summary
    that needs more than the sheet (or, with --one-side, more than the front) is refused,
    saying how far over it is. - reads the handout from standard input.

    \b
    Example:
      booklet summary content/metastatic-breast-cancer.yaml --clinic clinic.yaml
    """
    _build(content, clinic, no_clinic, paper, settings, assets, output,
           "large-print-summary" if large_print else "summary",
           tags=not no_tags, pdfua=pdfua, strict=strict, bleed=bleed, marks=marks, one_side=one_side)


@main.command("html")
@click.argument("content", type=CONTENT_OR_STDIN)
@clinic_options
@click.option("--large-print", is_flag=True, help="Large print: 18 pt (24 px) body text, emphasis in bold.")
@SET_VALUES
@ASSETS
@click.option("-o", "--output", type=click.Path(path_type=Path, allow_dash=True),
              help="Output HTML file; - writes it to standard output. Default: <stem>.html in the current folder.")
@click.option("--strict", is_flag=True, help="Refuse to write the page when there are warnings (exit 2).")
@console_options
@reports_errors
def html_page(content: Path, clinic: Path | None, no_clinic: bool, large_print: bool, settings: tuple[str, ...],
              assets: tuple[Path, ...], output: Path | None, strict: bool) -> None:
    """Make CONTENT.yaml one self-contained, accessible web page (- reads it from standard input).

    Semantic HTML from the same content and clinic profile as the PDFs: pictures and
    the logo inside the file, no script, nothing loaded from anywhere, a print stylesheet.

    \b
    Example:
      booklet html content/metastatic-breast-cancer.yaml --clinic clinic.yaml -o leaflet.html
    """
    _load_library()
    from .api import html
    from .validate import parse_set_options

    say = console()
    start = time.perf_counter()
    content, text = _read_content(content)
    clinic = _clinic_for([content], clinic, no_clinic)
    target = _output_for(content, output, "large-print-html" if large_print else "html", "web page")
    result = html(content, clinic=clinic, large_print=large_print, values=parse_set_options(settings),
                  output=target, assets=assets, strict=strict, text=text)
    if target is None:
        click.echo(result.html, nl=False)
    for notice in result.notices:
        say.note(notice)
    for warning in result.warnings:
        say.problem(str(warning))
    say.say(f"wrote {'the page to standard output' if target is None else target}")
    say.detail(f"took {time.perf_counter() - start:.2f} s")


@main.command()
@click.argument("content", type=CONTENT)
@clinic_options
@click.option("--variant", type=click.Choice(VARIANT_NAMES, case_sensitive=False), default="booklet",
              show_default=True, help="What to make: as build, summary, build --large-print, summary --large-print.")
@PAPER_OPTION
@SET_VALUES
@ASSETS
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Output PDF file. Default: named as build and summary name it.")
@click.option("--open", "open_", is_flag=True, help="Open the PDF once, after the first good build, in the "
              "system's PDF viewer (which reloads it by itself after each rebuild).")
@console_options
@reports_errors
def watch(content: Path, clinic: Path | None, no_clinic: bool, variant: str, paper: str, settings: tuple[str, ...],
          assets: tuple[Path, ...], output: Path | None, open_: bool) -> None:
    """Build CONTENT.yaml, then build it again each time you save it, the clinic profile or a picture it uses.

    A save with a mistake prints the error and leaves the last good PDF as it was. Keep
    the PDF open in a viewer that reloads changed files (most do). Stop with Ctrl-C.

    \b
    Example:
      booklet watch handout.yaml --open
    """
    _load_library()
    from .api import build as build_pdf
    from .errors import BookletError
    from .validate import parse_set_options
    from .watch import rebuilds

    say = console()
    if output is not None and str(output) == "-":
        raise BookletError.at("-o -", "watch writes a file, which PDF viewers reload after each build",
                              "give -o FILE.pdf, or leave -o out for the usual name")
    clinic = _clinic_for([content], clinic, no_clinic)
    target = _output_for(content, output, variant)
    assert target is not None
    values = parse_set_options(settings)

    def make() -> Any:
        return build_pdf(content, clinic=clinic, variant=variant, paper=paper, values=values, output=target,
                         assets=assets)

    opened = False
    say.say(f"watching {content}{f' and {clinic}' if clinic else ''} and the pictures it uses; stop with Ctrl-C")
    try:
        for rebuild in rebuilds(make, [content, *([clinic] if clinic else [])]):
            why = f" after a change to {', '.join(_shown(p) for p in rebuild.changed)}" if rebuild.changed else ""
            stamp = time.strftime("%H:%M:%S")
            if rebuild.error is not None:
                say.problem(str(rebuild.error))
                kept = f"; {target} is the last good one" if target.exists() else ""
                say.problem(f"{stamp} not rebuilt{why}{kept}. Waiting for the next save.")
                continue
            result = rebuild.result
            assert result is not None
            for notice in result.notices:
                say.note(notice)
            for warning in result.warnings:
                say.problem(str(warning))
            say.say(f"{stamp} wrote {target} ({_pages(result.pages)}) in {rebuild.seconds:.2f} s{why}")
            if open_ and not opened:
                opened = True
                if click.launch(str(target)) != 0:
                    say.note(f"could not open {target}: open it in your PDF viewer")
    except KeyboardInterrupt:
        say.say("stopped watching")


def _shown(path: Path) -> str:
    """A path as short as it can be said: relative to the current folder when it is inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@main.command()
@click.argument("source", type=CONTENT)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Imposed PDF to write.")
@click.option("--marks", is_flag=True, help="Add fold marks at the centre of each sheet.")
@console_options
@reports_errors
def impose(source: Path, output: Path, marks: bool) -> None:
    """Put booklet pages two to a sheet in saddle-stitch order, for duplex printing.

    Print the result double-sided, flipped on the short edge, then fold and staple.

    \b
    Example:
      booklet impose handout.pdf -o handout-print.pdf
    """
    from .impose import impose_file

    impose_file(source, output, marks=marks)
    console().say(f"wrote {output}")


@main.command()
@click.argument("contents", metavar="CONTENT.yaml...", nargs=-1, required=True, type=CONTENT)
@clinic_options
@click.option("--format", "format_", type=click.Choice(["text", "json"], case_sensitive=False), default="text",
              show_default=True, help="text for people; json for programs (shape documented in booklet/check.py).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 1), for CI.")
@click.option("--max-grade", type=click.FloatRange(1, 20), default=8.0, show_default=True, metavar="N",
              help="Highest SMOG reading grade for English text before a warning.")
@ASSETS
@PAPER_OPTION
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True, help="Check as if on this date (tests).")
@console_options
@reports_errors
def check(contents: tuple[Path, ...], clinic: Path | None, no_clinic: bool, format_: str, strict: bool,
          max_grade: float, assets: tuple[Path, ...], paper: str, today: Any) -> None:
    """Check handouts before printing: plain language, review dates, sources, images, colours, fit.

    Writes no PDF. Each finding says file:line:column, how serious it is (error,
    warning or info), what to change and the rule's name. Exit 2 when there are
    errors, 1 with --strict when there are warnings, else 0. With -q, info findings
    are left out. The four variants are laid out on --paper (a4 or letter), as build
    and summary lay them out.

    \b
    Example:
      booklet check *.yaml --clinic clinic.yaml
    """
    _load_library()
    from .check import check as check_handouts
    from .check import counts, render_json, render_text

    say = console()
    start = time.perf_counter()
    clinic = _clinic_for(contents, clinic, no_clinic)
    findings = check_handouts(contents, clinic, today.date() if today else None, max_grade, assets=assets,
                              paper=paper)
    if say.quiet:
        findings = [f for f in findings if f.severity != "info"]
    if format_ == "json":
        click.echo(render_json(findings))
    else:
        say.report(render_text(findings, len(contents)))
    say.detail(f"took {time.perf_counter() - start:.2f} s")
    n = counts(findings)
    sys.exit(2 if n["error"] else 1 if strict and n["warning"] else 0)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@console_options
@reports_errors
def init(folder: Path) -> None:
    """Start a clinic folder: a commented clinic.yaml, a placeholder logo, an example handout and a README.

    Never overwrites a file: if any of them exists, nothing is written. Handouts in the
    folder use its clinic.yaml without --clinic.

    \b
    Example:
      booklet init my-clinic && cd my-clinic && booklet check *.yaml
    """
    from .starter import create_starter

    say = console()
    for path in create_starter(folder):
        say.say(f"wrote {path}")
    say.say(f"next: read {folder / 'README.md'}")


@main.command()
@click.argument("contents", metavar="CONTENT.yaml...", nargs=-1, required=True, type=CONTENT)
@clinic_options
@click.option("--variant", "variants", multiple=True, type=click.Choice(BATCH_VARIANT_NAMES, case_sensitive=False),
              default=("booklet",), show_default=True,
              help="What to make of each handout (html: the web page, as booklet html). Repeatable.")
@click.option("--data", type=click.Path(path_type=Path, dir_okay=False), metavar="PATIENTS.csv",
              help="One personalised copy per row; each column fills the {{ column }} placeholders.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Fill a {{ KEY }} placeholder in every copy (not a CSV column too). Repeatable.")
@click.option("--name", "name", metavar="TEMPLATE",
              help="File name for each copy, e.g. '{{ patient_id }}-{{ stem }}'. Fields: CSV columns, "
                   "{{ row }}, {{ stem }} (the single commands' name), {{ variant }}. "
                   "Default: the row number (with --data), else the single commands' name.")
@click.option("--paper", type=PAPER, default="a4", show_default=True,
              help="Printer paper: a4 folds to A5 pages, letter to half-letter.")
@click.option("--impose", is_flag=True, help="Put each booklet's pages on printer sheets in saddle-stitch order.")
@click.option("--combine", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Also write every copy into this one PDF, each starting on a new sheet.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N", help="Processes to use (default: every core).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"), show_default=True,
              help="Folder for the PDFs (created if missing).")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Run the jobs on this Dask cluster instead of local processes (pip install 'booklet[dask]'). "
                   "Every worker must reach the files and --out by the same paths.")
@click.option("--manifest", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.jsonl",
              help="Record each copy (row, file, pages, sha256, status) as one JSON line, as it is made.")
@click.option("--resume", is_flag=True,
              help="Go on with a stopped run: skip the copies its --manifest records whose files are there "
                   "unchanged; make the rest.")
@ASSETS
@click.option("--one-side", is_flag=True,
              help="Summaries on the front of the sheet only: refused when one needs the back.")
@click.option("--pdfua", is_flag=True, help="Claim PDF/UA-1 in each PDF's metadata, as the single commands do.")
@click.option("--no-tags", is_flag=True, help="Leave out the structure tags (same pages, untagged PDFs).")
@print_options
@console_options
@reports_errors
def batch(contents: tuple[Path, ...], clinic: Path | None, no_clinic: bool, variants: tuple[str, ...],
          data: Path | None, settings: tuple[str, ...], name: str | None, paper: str, impose: bool,
          combine: Path | None, jobs: int | None, out: Path, scheduler: str | None, manifest: Path | None,
          resume: bool, assets: tuple[Path, ...], one_side: bool, pdfua: bool, no_tags: bool, bleed: str | None,
          marks: bool) -> None:
    """Make many PDFs at once: every CONTENT.yaml in every --variant, or one copy per patient with --data.

    One failing item never stops the others. Exit 0 when all were written, 1 when any
    failed, 2 when nothing could start, 130 when stopped with Ctrl-C (finished PDFs are kept).
    With -q only failures are reported. --manifest and --resume: see the README, 'Long mailings'.

    \b
    Examples:
      booklet batch content/*.yaml --variant booklet --variant summary --clinic clinic.yaml
      booklet batch leaflet.yaml --data tomorrow.csv --name '{{ patient_id }}-{{ stem }}' --impose
      booklet batch letter.yaml --data mailing.csv --scheduler tcp://10.0.0.5:8786 --out /shared/mailing \\
          --manifest /shared/mailing.jsonl [--resume]
    """
    from contextlib import ExitStack

    _load_library()
    from .batch import IN_FLIGHT_PER_WORKER, plan, run
    from .bleed import parse_bleed
    from .errors import BookletError
    from .manifest import open_manifest
    from .validate import parse_set_options

    say = console()
    if scheduler is not None and jobs is not None:
        raise BookletError.at("--jobs", "--jobs sets how many local processes to use, but --scheduler runs the "
                              "jobs on the Dask cluster's workers", "leave out --jobs or --scheduler")
    clinic = _clinic_for(contents, clinic, no_clinic)
    # A new manifest kept in the --out folder the run makes (`--manifest out/manifest.jsonl`) is opened once the
    # plan has made it; any other is opened (or refused) before any work.
    in_out = (manifest is not None and not resume and not manifest.parent.exists()
              and out.absolute() in (manifest.parent.absolute(), *manifest.parent.absolute().parents))
    with ExitStack() as stack:
        log = None if in_out else open_manifest(manifest, resume=resume)
        if log is not None:
            stack.enter_context(log)
        cluster = None
        if scheduler is not None:
            from .cluster import connect

            cluster = stack.enter_context(connect(scheduler))
            busy = {worker: n for worker, n in cluster.threads().items() if n > 1}
            if busy:
                say.note(f"{len(busy)} Dask worker(s) have more than one thread; each makes one copy at a time. "
                         "Start workers with --nthreads 1 --nworkers N to use every core")
        work = plan(list(contents), clinic=clinic, variants=variants, data=data, name=name, paper=paper,
                    impose=impose, combine=combine, out=out, assets=assets, bleed=parse_bleed(bleed), marks=marks,
                    one_side=one_side, values=parse_set_options(settings), absolute_paths=cluster is not None,
                    tags=not no_tags, pdfua=pdfua)
        for note in work.notes:  # a content file skipped because it is the clinic profile (booklet/batch.py)
            say.info(str(note))
        if in_out:
            log = stack.enter_context(open_manifest(manifest))  # type: ignore[arg-type]
        show = _BatchProgress(sys.stderr.isatty() and not say.quiet, quiet=say.quiet)
        result = run(work, jobs=jobs, on_progress=show, manifest=log, resume=resume, keep_outcomes=False,
                     executor=cluster.executor if cluster else None,
                     in_flight=IN_FLIGHT_PER_WORKER * cluster.workers if cluster else None)
        show.finish()
    sys.exit(_batch_report(result, work.out, quiet=say.quiet, resumed=resume))


class _BatchProgress:
    """A live line (done/total, failures, time left) on a terminal; one plain line per item otherwise."""

    def __init__(self, live: bool, *, quiet: bool = False) -> None:
        self.live = live
        self.quiet = quiet  # -q: nothing per item (failures are listed at the end)
        self.drawn = False

    def __call__(self, p: Any) -> None:
        if self.quiet:
            return
        if self.live:
            left = p.seconds_left
            eta = f", {int(left) // 60}:{int(left) % 60:02d} left" if left is not None and p.done < p.total else ""
            skipped = f", {p.skipped} skipped" if p.skipped else ""
            click.echo(f"\r\x1b[K{p.done}/{p.total} done, {p.failed} failed{skipped}{eta}", err=True, nl=False)
            self.drawn = True
            return
        o = p.last
        if o.skipped:  # --resume: counted in the summary, not a line each (there may be 300,000)
            return
        # Personalised copies are named by row, never by their file name (it may hold patient values).
        what = "failed" if not o.ok else ("done" if o.personal else f"wrote {o.output}")
        click.echo(f"[{p.done}/{p.total}] {what}: {o.label}" if o.personal or not o.ok else
                   f"[{p.done}/{p.total}] {what}", err=True)

    def finish(self) -> None:
        if self.drawn:
            click.echo("", err=True)


def _batch_report(result: Any, out: Path, *, quiet: bool = False, resumed: bool = False) -> int:
    """Print the summary: counts, then each failure (identical messages once); returns the exit code.
    With -q the counts only when something failed."""
    written, failed = result.written_count, len(result.failed)
    if not quiet or failed or result.combine_error or result.interrupted:
        skipped = f", {result.skipped} skipped (complete in the manifest and on disk)" if resumed else ""
        click.echo(f"{written} written, {failed} failed{skipped} ({result.elapsed:.1f} s); PDFs in {out}", err=True)
    for w, count in result.warnings.items():  # each warning once, however many copies it concerns
        more = f" ({count} files)" if count > 1 else ""
        console().problem(w.replace(": warning: ", f": warning{more}: ", 1) if more else w)
    seen: dict[str, list[str]] = {}
    for o in result.failed:
        seen.setdefault(o.error or "", []).append(o.label)
    for error, labels in seen.items():
        more = f" (and {len(labels) - 1} more with the same error)" if len(labels) > 1 else ""
        console().problem(f"failed: {labels[0]}{more}\n  " + error.replace("\n", "\n  "))
    if result.combined is not None and not quiet:
        pdfs = result.combined_count
        click.echo(f"combined {pdfs} cop{'ies' if pdfs != 1 else 'y'} into {result.combined}", err=True)
    if result.combine_error:
        click.echo(f"not combined: {result.combine_error}", err=True)
    if result.interrupted:
        click.echo(f"interrupted: {result.done} of {result.total} items done, {result.not_run} not made; "
                   "every PDF written is complete", err=True)
        return 130
    return 1 if failed or result.combine_error else 0
