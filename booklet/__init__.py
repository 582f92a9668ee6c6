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
