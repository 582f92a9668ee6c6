"""Turns saves of a handout's files into rebuilds, in one warm process (`booklet watch`).

    for rebuild in rebuilds(lambda: build(content, output=target), [content, clinic]):
        ...  # rebuild.result, or rebuild.error (the last good PDF is left as it was)

What is watched is what the last good build was made from (`Result.inputs`: the handout,
the clinic profile, its images, the logo, house fonts), plus the files first named.

Why polling and not file-system events (inotify and friends, as the watchfiles package
uses): handouts often live on a shared network drive, or are edited from Windows in a
folder that WSL sees under /mnt/c, and neither delivers change events; a handful of
stat() calls ten times a second costs nothing measurable and needs no dependency.
Nothing here prints: the caller says what happened.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .api import Result
from .errors import BookletError

#: How often the files are looked at. A rebuild of the example takes about 0.3 s, so a save shows within
#: about half a second.
POLL_SECONDS = 0.1
#: After a change, wait until the files have stayed the same this long: an editor that truncates then
#: writes, or writes a file in several pieces, makes one rebuild, not a rebuild of half a file.
SETTLE_SECONDS = 0.05

#: A file's state as seen by stat(), or None when it does not exist (yet).
Stamp = tuple[int, int, int] | None


@dataclass(frozen=True)
class Rebuild:
    """One build and what started it."""

    result: Result | None  # None when the build was refused
    error: BookletError | None
    seconds: float  # how long the build took
    changed: tuple[Path, ...] = ()  # the files whose change started it; empty for the first build


def rebuilds(build: Callable[[], Result], files: Iterable[Path], *, poll: float = POLL_SECONDS,
             sleep: Callable[[float], None] = time.sleep) -> Iterator[Rebuild]:
    """Build now, then again after every change to the files the last good build used (and `files`).

    Runs until the caller stops iterating (or Ctrl-C). A refused build (BookletError) is yielded as
    `error`; any other exception is a bug and propagates."""
    base = tuple(dict.fromkeys(Path(f) for f in files))
    watched = base
    changed: tuple[Path, ...] = ()
    while True:
        # Stamped before the build: a save made while it runs starts another one.
        before = stamps(watched)
        start = time.perf_counter()
        try:
            result: Result | None = build()
            error = None
        except BookletError as exc:
            result, error = None, exc
        seconds = time.perf_counter() - start
        if result is not None:
            watched = tuple(dict.fromkeys((*base, *result.inputs)))
            # Files first met in this build (its pictures) are stamped now, before anyone can save them.
            before = {path: before[path] if path in before else _stamp(path) for path in watched}
        yield Rebuild(result, error, seconds, changed)
        changed = wait_for_change(before, poll=poll, sleep=sleep)


def stamps(files: Iterable[Path]) -> dict[Path, Stamp]:
    return {path: _stamp(path) for path in files}


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # The inode changes when an editor saves by writing a new file and renaming it over the old one.
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def wait_for_change(seen: dict[Path, Stamp], *, poll: float = POLL_SECONDS,
                    sleep: Callable[[float], None] = time.sleep) -> tuple[Path, ...]:
    """Wait until a file's stamp differs from `seen` and then holds still; returns the changed files."""
    while True:
        sleep(poll)
        now = stamps(seen)
        if now == seen:
            continue
        while True:  # let the save finish
            sleep(SETTLE_SECONDS)
            later = stamps(seen)
            if later == now:
                return tuple(path for path in seen if now[path] != seen[path])
            now = later
