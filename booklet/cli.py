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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="booklet")
def main() -> None:
    """Print-ready patient information from YAML: booklets, one-page summaries, large print."""


def _build(content: Path, clinic: Path | None, paper: str, settings: tuple[str, ...], assets: tuple[Path, ...],
           output: Path | None, variant: str) -> None:
    from .api import build
    from .validate import parse_set_options

    result = build(content, clinic=clinic, variant=variant, paper=paper, values=parse_set_options(settings),
                   output=output, assets=assets)
    for notice in result.notices:
        click.echo(f"note: {notice}", err=True)
    click.echo(f"wrote {result.output} ({result.pages} page{'s' if result.pages != 1 else ''})", err=True)


@main.command()
@click.argument("content", type=CONTENT)
@common_options
@click.option("--large-print", is_flag=True, help="Large print: A4/Letter pages, 18 pt text, nothing under 16 pt.")
@reports_errors
def build(content: Path, clinic: Path | None, paper: str, settings: tuple[str, ...], assets: tuple[Path, ...],
          output: Path | None, large_print: bool) -> None:
    """Build a folded patient booklet from CONTENT.yaml.

    \b
    Example:
      booklet build content/metastatic-breast-cancer.yaml \\
          --clinic content/clinics/riverside/clinic.yaml -o booklet.pdf
    """
    _build(content, clinic, paper, settings, assets, output, "large-print" if large_print else "booklet")


@main.command()
@click.argument("content", type=CONTENT)
@common_options
@click.option("--large-print", is_flag=True, help="Large print summary: nothing under 16 pt.")
@reports_errors
def summary(content: Path, clinic: Path | None, paper: str, settings: tuple[str, ...], assets: tuple[Path, ...],
            output: Path | None, large_print: bool) -> None:
    """Build a one-page summary of CONTENT.yaml (it fits on one page, or says how far over it is).

    \b
    Example:
      booklet summary content/metastatic-breast-cancer.yaml --clinic clinic.yaml
    """
    _build(content, clinic, paper, settings, assets, output, "large-print-summary" if large_print else "summary")


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
