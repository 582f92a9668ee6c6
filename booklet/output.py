"""Writes output files atomically: a complete new file or the old one untouched."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from booklet.errors import BookletError


def write_atomic(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write `data` to `path` via a temporary file in the same folder and os.replace.

    Readers see either the old file or the complete new one, never a partial
    write. On any failure the temporary file is removed and the old file is
    left as it was. A new file gets the usual permissions (0666 less the
    umask); a replaced file keeps its permissions. With `fsync` (the default)
    the data and the rename are on disk before this returns; without it a
    power cut may still lose the file (a batch with a manifest checks that
    instead, see booklet/manifest.py).
    """
    path = Path(path)
    if path.is_dir():
        raise BookletError.at(path, "the output path is a folder", "give a file name ending in .pdf")
    if path.exists() and not path.is_file():  # a device or a pipe (/dev/null) would be replaced by the rename
        raise BookletError.at(path, "the output path is not a regular file", "give a file name ending in .pdf")
    parent = path.parent
    if not parent.is_dir():
        raise BookletError.at(
            path, "the folder for the output does not exist",
            f"create the folder {parent} first or choose another output path"
        )
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix="." + path.name + ".", suffix=".tmp")
    except PermissionError:
        raise BookletError.at(path, "cannot write here: permission denied",
                              "choose a folder you can write to") from None
    except OSError as exc:
        raise BookletError.at(path, f"cannot write the output: {exc.strerror}", "choose another output path") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, PermissionError):
            raise BookletError.at(path, "cannot write here: permission denied",
                                  "choose a file you can write to") from None
        if isinstance(exc, OSError):
            raise BookletError.at(path, f"cannot write the output: {exc.strerror or exc}",
                                  "check the disk and the path") from None
        raise
    if fsync:
        _fsync_dir(parent)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
