"""Turns the templates in booklet/data/init/ into a new, ready-to-edit clinic folder (`booklet init`)."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from .errors import BookletError, Loc, Problem

#: The files `booklet init` writes, in the order it writes them.
STARTER_FILES = ("clinic.yaml", "logo.svg", "blood-test.yaml", "README.md")
#: A new handout is due for review this many years after it is published (a common policy is 2 to 3).
REVIEW_AFTER_YEARS = 2


def starter_files(today: dt.date | None = None) -> dict[str, str]:
    """The starter folder's files by name. The example's dates are today and REVIEW_AFTER_YEARS on."""
    today = today or dt.date.today()
    folder = resources.files("booklet").joinpath("data").joinpath("init")
    files = {name: folder.joinpath(name).read_text(encoding="utf-8") for name in STARTER_FILES}
    files["blood-test.yaml"] = (
        files["blood-test.yaml"]
        .replace("__PUBLISHED_YEAR__", str(today.year))
        .replace("__PUBLISHED__", today.isoformat())
        .replace("__REVIEW_BY__", years_later(today, REVIEW_AFTER_YEARS).isoformat())
    )
    return files


def create_starter(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write the starter files into `folder` (created if needed). Returns the paths written.

    Nothing is overwritten: if any of the files exists already, nothing at all is
    written and the BookletError names every such file.
    """
    files = starter_files(today)
    if folder.exists() and not folder.is_dir():
        raise BookletError.at(str(folder), "this is a file, not a folder", "give the name of a new folder")
    targets = {folder / name: text for name, text in files.items()}
    existing = [path for path in targets if path.exists() or path.is_symlink()]
    if existing:
        raise BookletError([
            Problem(Loc(str(path)), "the file already exists, and booklet init never overwrites a file",
                    "choose a new folder, or move the file out of the way first")
            for path in existing
        ])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in targets.items():
            with path.open("x", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
    except FileExistsError as exc:  # created by something else since the check above
        raise BookletError.at(str(exc.filename), "the file already exists, and booklet init never overwrites a file",
                              "choose a new folder") from None
    except OSError as exc:
        raise BookletError.at(str(exc.filename or folder), f"cannot write here ({exc.strerror})",
                              "choose a folder you can write to") from None
    return list(targets)


def years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
