"""The `booklet` command: a thin layer that turns options into one library call.

Bad input (BookletError) is printed and exits 2 here, in one place; anything
else is a bug and keeps its traceback (exit 1).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__

CONTENT = click.Path(path_type=Path, dir_okay=False)


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print the tool's own errors as `file:line:col: error: ...` and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import BookletError

        try:
            return func(*args, **kwargs)
        except BookletError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)

    return wrapper


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--clinic", type=CONTENT, help="Clinic profile YAML (logo, colours, contact details)."),
        click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True,
                     help="Printer paper: a4 folds to A5 pages, letter to half-letter."),
        click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                     help="Fill a {{ KEY }} placeholder with plain text. Repeatable."),
        click.option("--assets", type=click.Path(path_type=Path, file_okay=False), multiple=True,
                     help="Another folder images may come from (besides the content file's own)."),
        click.option("-o", "--output", type=click.Path(path_type=Path), help="Output PDF file."),
    ]):
        func = option(func)
    return func


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
@click.version_option(__version__, prog_name="booklet")
def main() -> None:
    """Print-ready patient information from YAML: booklets, one-sheet summaries, large print."""


def _build(content: Path, clinic: Path | None, paper: str, settings: tuple[str, ...], assets: tuple[Path, ...],
           output: Path | None, variant: str, *, tags: bool = True, pdfua: bool = False,
           strict: bool = False, bleed: str | None = None, marks: bool = False, one_side: bool = False) -> None:
    from .api import build
    from .bleed import parse_bleed
    from .validate import parse_set_options

    result = build(content, clinic=clinic, variant=variant, paper=paper, values=parse_set_options(settings),
                   output=output, assets=assets, tags=tags, pdfua=pdfua, strict=strict,
                   bleed=parse_bleed(bleed), marks=marks, one_side=one_side)
    for notice in result.notices:
        click.echo(f"note: {notice}", err=True)
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    click.echo(f"wrote {result.output} ({result.pages} page{'s' if result.pages != 1 else ''})", err=True)


@main.command()
@click.argument("content", type=CONTENT)
@common_options
@click.option("--large-print", is_flag=True, help="Large print: A4/Letter pages, 18 pt text, nothing under 16 pt.")
@tagging_options
@print_options
@reports_errors
def build(content: Path, clinic: Path | None, paper: str, settings: tuple[str, ...], assets: tuple[Path, ...],
          output: Path | None, large_print: bool, no_tags: bool, pdfua: bool, strict: bool, bleed: str | None,
          marks: bool) -> None:
    """Build a folded patient booklet from CONTENT.yaml.

    \b
    Example:
      booklet build content/metastatic-breast-cancer.yaml \\
          --clinic content/clinics/riverside/clinic.yaml -o booklet.pdf
    """
    _build(content, clinic, paper, settings, assets, output, "large-print" if large_print else "booklet",
           tags=not no_tags, pdfua=pdfua, strict=strict, bleed=bleed, marks=marks)


@main.command()
@click.argument("content", type=CONTENT)
@common_options
@click.option("--large-print", is_flag=True, help="Large print summary: 18 pt text, nothing under 16 pt.")
@click.option("--one-side", is_flag=True,
              help="Use the front of the sheet only: refused, saying how far over, when the summary needs the back.")
@tagging_options
@print_options
@reports_errors
def summary(content: Path, clinic: Path | None, paper: str, settings: tuple[str, ...], assets: tuple[Path, ...],
            output: Path | None, large_print: bool, one_side: bool, no_tags: bool, pdfua: bool, strict: bool,
            bleed: str | None, marks: bool) -> None:
    """Build a summary of CONTENT.yaml on one sheet: the front, and the back when the front is not enough.

    Urgent and warning callouts are printed whole, the urgent ones on the front. A summary
    that needs more than the sheet (or, with --one-side, more than the front) is refused,
    saying how far over it is.

    \b
    Example:
      booklet summary content/metastatic-breast-cancer.yaml --clinic clinic.yaml
    """
    _build(content, clinic, paper, settings, assets, output, "large-print-summary" if large_print else "summary",
           tags=not no_tags, pdfua=pdfua, strict=strict, bleed=bleed, marks=marks, one_side=one_side)


@main.command()
@click.argument("source", type=CONTENT)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Imposed PDF to write.")
@click.option("--marks", is_flag=True, help="Add fold marks at the centre of each sheet.")
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
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("contents", metavar="CONTENT.yaml...", nargs=-1, required=True, type=CONTENT)
@click.option("--clinic", type=CONTENT, help="Clinic profile YAML: its colours are checked too.")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json for programs (shape documented in booklet/check.py).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 1), for CI.")
@click.option("--max-grade", type=click.FloatRange(1, 20), default=8.0, show_default=True, metavar="N",
              help="Highest SMOG reading grade for English text before a warning.")
@click.option("--assets", type=click.Path(path_type=Path, file_okay=False), multiple=True,
              help="Another folder images may come from (besides the content file's own).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True, help="Check as if on this date (tests).")
@reports_errors
def check(contents: tuple[Path, ...], clinic: Path | None, format_: str, strict: bool, max_grade: float,
          assets: tuple[Path, ...], today: Any) -> None:
    """Check handouts before printing: plain language, review dates, sources, images, colours, fit.

    Writes no PDF. Each finding says file:line:column, how serious it is (error,
    warning or info), what to change and the rule's name. Exit 2 when there are
    errors, 1 with --strict when there are warnings, else 0.

    \b
    Example:
      booklet check content/*.yaml --clinic clinic.yaml
    """
    from .check import check as check_handouts
    from .check import counts, render_json, render_text

    findings = check_handouts(contents, clinic, today.date() if today else None, max_grade, assets=assets)
    click.echo(render_json(findings) if format_ == "json" else render_text(findings, len(contents)))
    n = counts(findings)
    sys.exit(2 if n["error"] else 1 if strict and n["warning"] else 0)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@reports_errors
def init(folder: Path) -> None:
    """Start a clinic folder: a commented clinic.yaml, a placeholder logo, an example handout and a README.

    Never overwrites a file: if any of them exists, nothing is written.

    \b
    Example:
      booklet init my-clinic && cd my-clinic && booklet check blood-test.yaml --clinic clinic.yaml
    """
    from .starter import create_starter

    for path in create_starter(folder):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"next: read {folder / 'README.md'}", err=True)


VARIANT_NAMES = ("booklet", "summary", "large-print", "large-print-summary")


@main.command()
@click.argument("contents", metavar="CONTENT.yaml...", nargs=-1, required=True, type=CONTENT)
@click.option("--clinic", type=CONTENT, help="Clinic profile YAML (logo, colours, contact details).")
@click.option("--variant", "variants", multiple=True, type=click.Choice(VARIANT_NAMES), default=("booklet",),
              show_default=True, help="What to make of each handout. Repeatable.")
@click.option("--data", type=click.Path(path_type=Path, dir_okay=False), metavar="PATIENTS.csv",
              help="One personalised copy per row; each column fills the {{ column }} placeholders.")
@click.option("--name", "name", metavar="TEMPLATE",
              help="File name for each copy, e.g. '{{ patient_id }}-{{ stem }}'. Fields: CSV columns, "
                   "{{ row }}, {{ stem }} (the single commands' name), {{ variant }}. "
                   "Default: the row number (with --data), else the single commands' name.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True,
              help="Printer paper: a4 folds to A5 pages, letter to half-letter.")
@click.option("--impose", is_flag=True, help="Put each booklet's pages on printer sheets in saddle-stitch order.")
@click.option("--combine", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Also write every copy into this one PDF, each starting on a new sheet.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N", help="Processes to use (default: every core).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"), show_default=True,
              help="Folder for the PDFs (created if missing).")
@click.option("--assets", type=click.Path(path_type=Path, file_okay=False), multiple=True,
              help="Another folder images may come from (besides the content file's own).")
@click.option("--one-side", is_flag=True,
              help="Summaries on the front of the sheet only: refused when one needs the back.")
@print_options
@reports_errors
def batch(contents: tuple[Path, ...], clinic: Path | None, variants: tuple[str, ...], data: Path | None,
          name: str | None, paper: str, impose: bool, combine: Path | None, jobs: int | None, out: Path,
          assets: tuple[Path, ...], one_side: bool, bleed: str | None, marks: bool) -> None:
    """Make many PDFs at once: every CONTENT.yaml in every --variant, or one copy per patient with --data.

    One failing item never stops the others. Exit 0 when all were written, 1 when any
    failed, 2 when nothing could start, 130 when stopped with Ctrl-C (finished PDFs are kept).

    \b
    Examples:
      booklet batch content/*.yaml --variant booklet --variant summary --clinic clinic.yaml
      booklet batch leaflet.yaml --data tomorrow.csv --name '{{ patient_id }}-{{ stem }}' --impose
    """
    from .batch import plan, run
    from .bleed import parse_bleed

    work = plan(list(contents), clinic=clinic, variants=variants, data=data, name=name, paper=paper,
                impose=impose, combine=combine, out=out, assets=assets, bleed=parse_bleed(bleed), marks=marks,
                one_side=one_side)
    show = _BatchProgress(sys.stderr.isatty())
    result = run(work, jobs=jobs, on_progress=show)
    show.finish()
    sys.exit(_batch_report(result, work.out))


class _BatchProgress:
    """A live line (done/total, failures, time left) on a terminal; one plain line per item otherwise."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.drawn = False

    def __call__(self, p: Any) -> None:
        if self.live:
            left = p.seconds_left
            eta = f", {int(left) // 60}:{int(left) % 60:02d} left" if left is not None and p.done < p.total else ""
            click.echo(f"\r\x1b[K{p.done}/{p.total} done, {p.failed} failed{eta}", err=True, nl=False)
            self.drawn = True
            return
        o = p.last
        # Personalised copies are named by row, never by their file name (it may hold patient values).
        what = "failed" if not o.ok else ("done" if o.personal else f"wrote {o.output}")
        click.echo(f"[{p.done}/{p.total}] {what}: {o.label}" if o.personal or not o.ok else
                   f"[{p.done}/{p.total}] {what}", err=True)

    def finish(self) -> None:
        if self.drawn:
            click.echo("", err=True)


def _batch_report(result: Any, out: Path) -> int:
    """Print the summary: counts, then each failure (identical messages once); returns the exit code."""
    written, failed = len(result.written), len(result.failed)
    click.echo(f"{written} written, {failed} failed ({result.elapsed:.1f} s); PDFs in {out}", err=True)
    seen: dict[str, list[str]] = {}
    for o in result.failed:
        seen.setdefault(o.error or "", []).append(o.label)
    for error, labels in seen.items():
        more = f" (and {len(labels) - 1} more with the same error)" if len(labels) > 1 else ""
        click.echo(f"failed: {labels[0]}{more}\n  " + error.replace("\n", "\n  "), err=True)
    if result.combined is not None:
        click.echo(f"combined {written} cop{'ies' if written != 1 else 'y'} into {result.combined}", err=True)
    if result.combine_error:
        click.echo(f"not combined: {result.combine_error}", err=True)
    if result.interrupted:
        click.echo(f"interrupted: {len(result.outcomes)} of {result.total} items done, {result.not_run} not made; "
                   "every PDF written is complete", err=True)
        return 130
    return 1 if failed or result.combine_error else 0
