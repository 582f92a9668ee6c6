"""booklet: patient information booklets from YAML, as a library.

    import booklet

    result = booklet.build("handout.yaml", clinic="clinic.yaml", variant="large-print", values={"name": "Ana"})
    result.pdf        # the PDF's bytes (nothing is written unless output= is given)
    result.pages      # its page count; result.warnings: things to look at before printing
    findings = booklet.check(["handout.yaml"], clinic="clinic.yaml")   # what `booklet check` reports

Paths may be str or Path. Bad input raises booklet.BookletError, and nothing else does: a list of
problems (`.problems`), each with a file, line, column, message and hint.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = ["BookletError", "Finding", "Problem", "Result", "__version__", "build", "check", "find_clinic"]

if TYPE_CHECKING:
    from .api import Result, build, check, find_clinic
    from .check import Finding
    from .errors import BookletError, Problem

#: The front door's names and the modules they live in, imported on first use: `booklet --help` and
#: `booklet init` do not need ReportLab.
_FRONT_DOOR = {"build": "api", "check": "api", "find_clinic": "api", "Result": "api",
               "Finding": "check", "BookletError": "errors", "Problem": "errors"}


def __getattr__(name: str) -> Any:
    if name not in _FRONT_DOOR:
        raise AttributeError(f"module 'booklet' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{_FRONT_DOOR[name]}"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """The package, whose name `check` stays the function `booklet.check` once the module `booklet.check`
    is imported (importing a submodule otherwise sets the package's attribute of that name to the module).
    Modules import that module by its full name (`from .check import Finding`), which still works."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FRONT_DOOR and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

from . import precompiled  # noqa: E402 - before any of booklet's dataclasses is made

precompiled.install()


#: Modules ReportLab imports when it is imported, whatever a document needs: HarfBuzz (for text it shapes
#: itself; booklet's shaping stage imports it when a paragraph needs it) and pyphen (for hyphenation, which
#: a layout turns on with `hyphenate: true`). Loaded on first use instead (importing the two takes about
#: 40 ms of CPU here). Also Pillow's table of EXIF tags (enums of some 400 members, about 7 ms), which
#: `PIL.Image` imports and reads only in functions about EXIF data, which a build never calls.
DEFERRED_IMPORTS = ("uharfbuzz", "pyphen", "PIL.ExifTags")


class _Deferred(types.ModuleType):
    """Stands in for an installed module until something uses it, then becomes it (its namespace copied in).

    importlib's LazyLoader cannot do this: an `import` statement reads the module's `__spec__`, which loads
    it, and ReportLab imports both modules with `import` statements."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        try:
            module = importlib.import_module(name)
        except BaseException:
            sys.modules.setdefault(name, self)
            raise
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)


def _defer_imports(names: tuple[str, ...]) -> None:
    """`import NAME` gives a `_Deferred` for each of `names` that is installed and not imported yet."""
    import importlib.util

    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is not None:
            module = sys.modules[name] = _Deferred(name)
            module.__spec__ = spec


_defer_imports(DEFERRED_IMPORTS)


#: ReportLab 5.1's `reportlab.platypus.paragraph.uri_pat`, a web address pattern compiled when that module is
#: imported: its case-insensitive classes over most of Unicode take `re` about 30 ms of CPU to compile here (a
#: fifth of importing ReportLab's paragraphs), for a pattern ReportLab uses only to hyphenate a long web address.
_RL_URI_PATTERN = (
    '(^(?:[a-z0-9\\.\\-\\+]*)://)(?:\\S+(?::\\S*)?@)?(?:(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)){3}|\\[[0-9a-f:\\.]+\\]|([a-z\xa1-\uffff0-9](?:[a-z\xa1-\uffff0-9-]{0,61}[a-z\xa1-\uffff0-9])?(?:\\.(?!-)[a-z\xa1-\uffff0-9-]{1,63}(?<!-))*\\.(?!-)(?:[a-z\xa1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\\.?|localhost))(?::\\d{2,5})?(?:[/?#][^\\s]*)?\\Z'
)


class _LazyPattern:
    """A regular expression compiled when first used (as `re.compile` would have made it)."""

    def __init__(self, key: tuple[type, str, int]) -> None:
        self._key = key
        self._compiled: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            import re

            cache = getattr(re, "_cache", None)
            if isinstance(cache, dict) and cache.get(self._key) is self:
                del cache[self._key]
            self._compiled = re.compile(self._key[1], self._key[2])
        return getattr(self._compiled, name)


def _defer_pattern(pattern: str, flags: int) -> None:
    """Make `re.compile(pattern, flags)` give a `_LazyPattern` (through `re`'s own cache of compiled patterns;
    where that cache is not a dict, as in some future Python, the pattern is compiled as usual)."""
    import re

    cache = getattr(re, "_cache", None)
    key = (str, pattern, flags)
    if isinstance(cache, dict) and key not in cache:
        cache[key] = _LazyPattern(key)


#: Other patterns compiled when their modules are imported, which a build imports but does not use, as
#: (module, pattern, flags): PyYAML's check for unprintable characters (its pure-Python reader's; booklet reads
#: YAML with libyaml's parser, `booklet.source`) and ReportLab's `textsplit.rx` (its `cjkwrap`, which ReportLab
#: itself never calls): about 12 ms of CPU to compile here, most of what importing them costs.
DEFERRED_PATTERNS = (
    ("reportlab.platypus.paragraph", _RL_URI_PATTERN, 2),  # re.IGNORECASE
    ("yaml.reader", "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]", 0),
    ("reportlab.lib.textsplit", "([\u2e80-\uffff])", 32),  # re.UNICODE
)

for _module, _pattern, _flags in DEFERRED_PATTERNS:
    if _module not in sys.modules:  # (once imported, the module has its pattern compiled already)
        _defer_pattern(_pattern, _flags)
del _module, _pattern, _flags
