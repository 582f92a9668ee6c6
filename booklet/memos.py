"""Per-process memos for work ReportLab repeats in every document: decoded pictures, font subsets, compression.

ReportLab starts each document from nothing: it decodes every picture again (to name it by a digest of its
pixels, and to compress them), cuts the same font subset again for the same characters and compresses the same
font programs and pictures again. Each of these is a pure function of bytes that booklet gives it, so the
result is remembered per process, bounded, and the PDF's bytes do not change (tests/test_floor.py).

`install()` (called when booklet.render is imported) puts the memos in; the hooks into ReportLab are in
booklet.rl_internals.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from . import rl_internals as rl

V = TypeVar("V")

#: Compressed streams smaller than this are compressed again (it costs less than remembering them).
MIN_COMPRESSED = 8 * 1024
#: The memos' limits, in bytes kept (inputs and results): at most this much memory per process each.
COMPRESSED_BYTES = 24 * 1024 * 1024
PICTURE_BYTES = 24 * 1024 * 1024
SUBSET_BYTES = 8 * 1024 * 1024


class BoundedMemo(Generic[V]):
    """Results by key, the least recently used going first once `max_bytes` (as counted by the caller) are kept.
    Safe to use from several threads."""

    def __init__(self, max_bytes: int, max_entries: int = 1 << 16) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: V, size: int) -> V:
        if size > self.max_bytes:
            return value
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._items) > self.max_entries:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V], size: Callable[[V], int]) -> V:
        hit = self.get(key)
        if hit is not None:
            return hit
        value = make()
        return self.put(key, value, size(value))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


#: zlib.compress(data) by data, for data of MIN_COMPRESSED bytes or more: font programs, pictures, page streams
#: that repeat between copies.
COMPRESSED: BoundedMemo[bytes] = BoundedMemo(COMPRESSED_BYTES)
#: A picture's decoded pixels (mode, bytes) and the digests drawImage names them by, by its encoded bytes.
PICTURES: BoundedMemo[tuple[str, bytes, dict[bytes, str]]] = BoundedMemo(PICTURE_BYTES)
#: A font subset's font program by (font face, the subset's characters in code order).
SUBSETS: BoundedMemo[bytes] = BoundedMemo(SUBSET_BYTES)


def install() -> None:
    """Route ReportLab's picture decoding, font subsetting and stream compression through the memos, and its
    formatting of PDF objects and splitting of text into subset codes through `rl_internals.faster_formatting`
    and `rl_internals.faster_split_string` (once)."""
    rl.memoise_compression(COMPRESSED, MIN_COMPRESSED)
    rl.memoise_decoded_pictures(PICTURES)
    rl.memoise_subsets(SUBSETS)
    rl.faster_formatting()
    rl.faster_split_string()


def clear() -> None:
    """Forget everything remembered (tests; a long-lived process that wants its memory back)."""
    COMPRESSED.clear()
    PICTURES.clear()
    SUBSETS.clear()
