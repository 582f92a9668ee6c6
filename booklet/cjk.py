"""The Chinese, Japanese and Korean fonts: an optional extra, `pip install 'booklet[cjk]'`.

A CJK font is 10 to 20 MB, so booklet's own wheel does not carry them: the extra brings the PyPI package
`justmytype-intl-cjk` (Noto Sans SC, TC, JP and KR from Google Fonts, SIL Open Font License 1.1). Those
are variable fonts, which ReportLab draws at their default weight (Thin): booklet makes static Regular
(400) and Bold (700) faces from them with fontTools' instancer, once, the first time a handout needs them
(20 to 60 seconds a face), and keeps them in a per-user cache folder (`cache_dir`). Every build after
that reads the cached files: nothing is fetched, nothing is made again. A cached face is named after the
SHA-256 of the variable font it was made from (from the package's manifest) and `RECIPE`, and written
atomically (a build stopped half-way leaves no half-written font); the instancer keeps the font's own
timestamps, so the same package gives the same face, and the same handout the same PDF bytes.

`python -m booklet.cjk` makes all eight faces ahead of time (for an administrator setting up a machine).

Which face draws Han characters follows the handout's language (the glyph shapes differ: 骨 in Chinese
and Japanese), as data in FACES; kana take the Japanese face and Hangul the Korean one whatever the language.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from .errors import BookletError
from .output import write_atomic

#: What `pip install` needs for these fonts (the hint of every error about them).
INSTALL = "pip install 'booklet[cjk]'"
PACKAGE = "justmytype_intl_cjk"

#: A face: (the variable font in the package, the name of the static faces made from it).
FACES = {"SC": ("ofl/notosanssc/NotoSansSC[wght].ttf", "NotoSansSC"),
         "TC": ("ofl/notosanstc/NotoSansTC[wght].ttf", "NotoSansTC"),
         "JP": ("ofl/notosansjp/NotoSansJP[wght].ttf", "NotoSansJP"),
         "KR": ("ofl/notosanskr/NotoSansKR[wght].ttf", "NotoSansKR")}
#: The face for Han characters by the handout's layout-words language (booklet.theme.words_language: zh-CN
#: finds zh-Hans, zh-TW zh-Hant); other languages take the script's own default (booklet.scripts).
LANGUAGE_FACES = {"zh-Hans": "SC", "zh-Hant": "TC", "ja": "JP", "ko": "KR"}
#: Where a character is missing from the chosen face, the next face that has it (every character from a
#: font that has it).
FALLBACK = ("SC", "TC", "JP", "KR")
WEIGHTS = {False: ("Regular", 400), True: ("Bold", 700)}
#: Changes when the way faces are made does (then they are made again, under new names).
RECIPE = "1"


def installed() -> bool:
    """Is the extra installed (its package importable)? Nothing is loaded."""
    return _package_dir() is not None


@cache
def _package_dir() -> Path | None:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "fonts"


def _require() -> Path:
    folder = _package_dir()
    if folder is None:
        raise BookletError.at("booklet", "the Chinese, Japanese and Korean fonts are not installed",
                              f"install them once with: {INSTALL}")
    return folder


@cache
def _manifest() -> dict[str, str]:
    """The variable fonts' SHA-256, by path in the package (from its manifest: no 60 MB read per build)."""
    data = json.loads((_require() / "pack_manifest.json").read_text(encoding="utf-8"))
    return {f["path"]: f["sha256"] for f in data["fonts"]}


def source(face: str) -> Path:
    """The variable font of a face (its cmap is the static faces' cmap)."""
    return _require() / FACES[face][0]


@cache
def face_for(language: str, default: str) -> str:
    """The face for Han characters (and CJK punctuation) in a handout in `language`."""
    from .theme import words_language

    return LANGUAGE_FACES.get(words_language(language) or "", default)


def cache_dir() -> Path:
    """Where the static faces are kept: $BOOKLET_CACHE_DIR, else the user's cache folder
    (%LOCALAPPDATA% on Windows, ~/Library/Caches on macOS, $XDG_CACHE_HOME or ~/.cache elsewhere)."""
    if os.environ.get("BOOKLET_CACHE_DIR"):
        return Path(os.environ["BOOKLET_CACHE_DIR"]) / "fonts"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "booklet" / "fonts"


#: Told, in words, before a face is made (the command line says it: a first build in a language otherwise waits a
#: minute without a word). The library itself never prints.
notify: Callable[[str], None] | None = None


def face_path(face: str, bold: bool) -> Path:
    """Where the static face is kept (made or not)."""
    variable, family = FACES[face]
    return cache_dir() / f"{family}-{WEIGHTS[bold][0]}-{_manifest()[variable][:16]}-r{RECIPE}.ttf"


def all_made() -> bool:
    """Are all eight static faces in the cache already?"""
    return all(face_path(face, bold).exists() for face in FACES for bold in (False, True))


@cache
def font_file(face: str, bold: bool) -> str:
    """The static TrueType face (absolute path), made from the variable font the first time it is needed."""
    from .fonts import metrics_path, write_metrics

    target = face_path(face, bold)
    if target.exists() and not metrics_path(target).exists():  # a face made before booklet kept its metrics
        with _making(target):
            write_metrics(target)
    if not target.exists():
        with _making(target):
            if not target.exists():  # another process made it while this one waited
                if notify is not None:
                    notify(f"preparing the font {FACES[face][1]} {WEIGHTS[bold][0]} for Chinese, Japanese and "
                           f"Korean text: once, about a minute; later builds use it from {target.parent}")
                _instance(source(face), WEIGHTS[bold][1], target)
                write_metrics(target)  # what ReportLab reads from it, so that later builds need not parse it
    return str(target)


@contextmanager
def _making(target: Path) -> Iterator[None]:
    """One process at a time makes a face (batch workers, parallel builds on a cold cache): the others wait
    for it, then read the file it made, instead of spending the same minute again. An advisory lock on a
    file beside the face (POSIX; elsewhere each process makes its own, and the last atomic rename wins)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.with_suffix(".lock"), "a+b")
    except OSError:
        yield  # an unwritable cache: _instance says so, with the hint
        return
    with lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _instance(variable: Path, weight: int, target: Path) -> None:
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        font = TTFont(str(variable), recalcTimestamp=False)
        instancer.instantiateVariableFont(font, {"wght": weight}, inplace=True, updateFontNames=True)
        made = io.BytesIO()
        font.save(made)
    except OSError as exc:
        raise BookletError.at(str(target.parent), f"the Chinese, Japanese and Korean fonts cannot be prepared "
                              f"here ({exc.strerror or exc})",
                              "booklet keeps them in this folder once made; make it writable, or set "
                              "BOOKLET_CACHE_DIR to a folder that is") from None
    # Whole or not at all (a build stopped half-way leaves no half-written font), readable like any installed font;
    # not fsynced: a face lost to a power cut is made again.
    write_atomic(target, made.getvalue(), fsync=False)


@cache
def _cmap(face: str) -> frozenset[int]:
    import uharfbuzz as hb

    blob = hb.Blob.from_file_path(str(source(face)))
    return frozenset(hb.Face(blob).unicodes)


def has(face: str, ch: str) -> bool:
    return ord(ch) in _cmap(face)


def face_with(ch: str, face: str) -> str:
    """`face` when it has the character, else the first face in FALLBACK that has it (else `face`)."""
    if has(face, ch):
        return face
    return next((f for f in FALLBACK if has(f, ch)), face)


def can_draw(ch: str) -> bool:
    """Some face has the character (False when the extra is not installed)."""
    return installed() and any(has(face, ch) for face in FALLBACK)


if __name__ == "__main__":  # python -m booklet.cjk: make every face now, not at the first handout that needs it
    for key in FACES:
        for is_bold in (False, True):
            print(font_file(key, is_bold))  # noqa: T201 - an administrator's command
