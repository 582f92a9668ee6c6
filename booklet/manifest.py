"""The record of a mailing, for the print house and for `batch --resume`: one JSON line per copy.

Each line is one JSON object with these keys, always all of them and always in this order:

    {"row": 12, "file": "P0012-letter.pdf", "pages": 4, "sha256": "9f86d0...", "status": "written", "message": null}

    row      the CSV data row (1 is the first row under the header); null in a batch without --data
    file     the file's name in the --out folder; null when nothing was written
    pages    the PDF's page count (0 for a web page or when nothing was written)
    sha256   the SHA-256 of the file written, 64 lowercase hex digits; null when nothing was written
    status   "written" or "failed"
    message  for a failure, the error as `booklet batch` prints it (it names the CSV line and column,
             never a patient's value); null when written

Lines are appended as the copies finish, in the order they finish (not row order), UTF-8, each
ended by a newline and flushed at once. A new run starts the file afresh; `--resume` appends to it.
The file names come from --name, so the manifest holds whatever the names hold.

Durability: a run with a manifest does not fsync every copy (one fsync per file is what limits a
mailing of 500,000); the manifest is fsynced at most once a second and at the end. After a crash
or power cut a copy the manifest calls written may be missing or cut short on disk, which is why
`--resume` trusts a line only when the file is there with the same SHA-256: it redoes anything
else. Renaming a complete temporary file into place keeps every file that is there whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import IO

from .errors import BookletError

#: The keys of every line, in the order they are written.
KEYS = ("row", "file", "pages", "sha256", "status", "message")
#: Seconds between fsyncs of the manifest: a crash loses at most this much of the record (those copies are redone).
FSYNC_EVERY = 1.0
_BLOCK = 1 << 20


class Manifest:
    """An open manifest: `is_complete` answers --resume, `add` appends a line. Use as a context manager."""

    def __init__(self, path: Path, file: IO[str], complete: set[int], *, fresh: bool = False) -> None:
        self.path = path
        self._file = file
        # A new run empties the file when it records its first copy: a run that cannot start (a bad CSV)
        # leaves the manifest of the last run as it was.
        self._empty_first = fresh
        # hash((file name, sha256)) of every "written" line read back: one 64-bit int per copy (about 60 bytes,
        # 30 MB for 500,000), not the names. A false match needs a 64-bit collision *and* that file on disk.
        self._complete = complete
        self._synced = time.monotonic()

    @classmethod
    def open(cls, path: Path, *, resume: bool = False) -> Manifest:
        """Start a manifest (resume=False: an existing one is replaced) or read one back and append to it."""
        path = Path(path)
        if path.is_dir():
            raise BookletError.at(str(path), "--manifest names a folder", "give a file name, e.g. manifest.jsonl")
        if resume and not path.is_file():
            raise BookletError.at(str(path), "there is no manifest here to resume from",
                                  "give the --manifest file of the run to go on with, or leave out --resume "
                                  "to start the mailing")
        try:
            file = open(path, "a", encoding="utf-8", newline="\n")  # appends, whatever is read or cut meanwhile
        except OSError as exc:
            raise BookletError.at(str(path), f"cannot write the manifest: {exc.strerror or exc}",
                                  "choose a file in a folder you can write to") from None
        try:
            _lock(file, path)
            complete = _read(path) if resume else set()
        except BaseException:
            file.close()
            raise
        return cls(path, file, complete, fresh=not resume)

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_complete(self, output: Path) -> bool:
        """Whether a line says `output` was written and the file there still has that SHA-256."""
        if not self._complete:
            return False
        digest = sha256_of(output)
        return digest is not None and hash((output.name, digest)) in self._complete

    def add(self, *, row: int | None, file: str | None, pages: int, sha256: str | None, status: str,
            message: str | None) -> None:
        record = {"row": row, "file": file, "pages": pages, "sha256": sha256, "status": status, "message": message}
        try:
            if self._empty_first:
                self._file.truncate(0)
                self._empty_first = False
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._file.flush()
        except OSError as exc:
            raise self._cannot_write(exc) from None
        if time.monotonic() - self._synced >= FSYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise self._cannot_write(exc) from None
        self._synced = time.monotonic()

    def _cannot_write(self, exc: OSError) -> BookletError:
        """The batch stops: a mailing without its record could not be resumed."""
        return BookletError.at(str(self.path), f"cannot write the manifest: {exc.strerror or exc}",
                               "make room on the disk (or fix the folder), then go on with --resume")

    def close(self) -> None:
        if not self._file.closed:
            try:
                self.sync()
            finally:
                self._file.close()


def open_manifest(path: Path | None, *, resume: bool = False) -> Manifest | None:
    """`--manifest` and `--resume` as given: None without a manifest; BookletError for --resume without one."""
    if path is None:
        if resume:
            raise resume_needs_manifest()
        return None
    return Manifest.open(path, resume=resume)


def resume_needs_manifest() -> BookletError:
    return BookletError.at("--resume", "--resume needs the manifest of the run to go on with",
                           "add --manifest with the file that run wrote, e.g. --manifest out/manifest.jsonl")


def _lock(file: IO[str], path: Path) -> None:
    """One run at a time per manifest: two would each skip and redo copies by a record the other is writing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, the manifest is used unlocked
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise BookletError.at(str(path), "another `booklet batch` is using this manifest",
                              "wait for it to finish (or stop it), or give another --manifest") from None


def sha256_of(path: Path) -> str | None:
    """The file's SHA-256 in hex, read in blocks; None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while block := f.read(_BLOCK):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _read(path: Path) -> set[int]:
    """The complete copies a manifest records. A last line cut short by a crash is dropped (that copy is
    redone) and cut from the file, so the lines appended next start on a line of their own."""
    complete: set[int] = set()
    keep = 0  # bytes of whole lines
    unended = False  # the last line is a whole record without its newline
    try:
        with open(path, "rb") as f:
            for number, raw in enumerate(f, 1):
                whole = raw.endswith(b"\n")
                if not raw.strip():
                    keep += len(raw)
                    continue
                try:
                    record = json.loads(raw)
                    if not isinstance(record, dict) or tuple(record) != KEYS:
                        raise ValueError
                except ValueError:
                    if not whole:  # the line being written when the run stopped
                        break
                    raise BookletError.at(f"{path}:{number}", "this line is not a line of a booklet manifest",
                                          "give the file `booklet batch --manifest` wrote, or leave out --resume "
                                          "to start again") from None
                if record["status"] == "written" and record["file"] and record["sha256"]:
                    complete.add(hash((record["file"], record["sha256"])))
                keep += len(raw)
                unended = not whole
        if keep != path.stat().st_size:
            os.truncate(path, keep)
        if unended:  # the lines appended next start on a line of their own
            with open(path, "ab") as f:
                f.write(b"\n")
    except OSError as exc:
        raise BookletError.at(str(path), f"cannot read the manifest: {exc.strerror or exc}",
                              "check that you may read and write it") from None
    return complete
