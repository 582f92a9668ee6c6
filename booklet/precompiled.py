"""The code `dataclasses` writes for booklet's classes, compiled once and shipped, not compiled at every start.

    python -c "from booklet import precompiled; precompiled.write()"   # after changing a dataclass

Making a dataclass writes the source of its methods (`__init__`, `__eq__`, `__repr__`, a frozen class's
`__setattr__` ...) and compiles it: for booklet's sixty-odd classes about a tenth of one `booklet build`
process. `install` (from `booklet/__init__.py`, before any of them is made) has `dataclasses` look each
source up in this file first: the code `compile` made of that very text, by a Python of the same bytecode
(the file names its magic number; for another Python it is not read). A source not in the file (a class
changed since, anyone else's dataclass) is compiled as before, so the file can only make a start faster,
never different; `tests/test_floor.py` says when it is out of date.
"""

import builtins
import dataclasses
import importlib
import importlib.util
import marshal
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "data" / "dataclasses.code"
#: The file starts with this line and the magic number of the Python that wrote it.
HEADER = b"booklet dataclass code 1\n"

_code: dict[str, Any] | None = None
#: Every source `dataclasses` gave `exec` since `install` (for `write` and the test).
seen: dict[str, Any] = {}


def _load() -> dict[str, Any]:
    try:
        data = PATH.read_bytes()
    except OSError:
        return {}
    magic = importlib.util.MAGIC_NUMBER
    if not data.startswith(HEADER + magic):
        return {}  # another Python's bytecode (or not this file): compile as usual
    try:
        code = marshal.loads(data[len(HEADER) + len(magic):])
    except (EOFError, ValueError, TypeError):
        return {}
    return code if isinstance(code, dict) else {}


def _exec(source: Any, globals_: Any = None, locals_: Any = None) -> Any:
    """`exec` as `dataclasses` calls it (source text, globals, a namespace), with the source's code from the
    file when it is there."""
    global _code
    if not isinstance(source, str) or not isinstance(globals_, dict) or \
            not str(globals_.get("__name__", "")).startswith("booklet."):
        # (not one of booklet's classes) compiled as `dataclasses` would, not with this module's compiler flags
        code = compile(source, "<string>", "exec", dont_inherit=True) if isinstance(source, str) else source
        return builtins.exec(code, globals_, locals_)
    if _code is None:
        _code = _load()
    code = _code.get(source)
    if code is None:  # as `exec` compiles it in `dataclasses` (inheriting no compiler flags: it has none)
        code = compile(source, "<string>", "exec", dont_inherit=True)
    seen[source] = code
    return builtins.exec(code, globals_, locals_)


def install() -> None:
    """Have `dataclasses` run its sources through `_exec` (it calls `exec` by its module-global name)."""
    if getattr(dataclasses, "exec", None) is None:
        dataclasses.exec = _exec  # type: ignore[attr-defined]


def every_module() -> list[str]:
    """Import every module of booklet; returns those left out because they need what is not installed."""
    import pkgutil

    import booklet

    left_out = []
    for info in pkgutil.walk_packages(booklet.__path__, "booklet."):
        if info.name == "booklet.__main__":  # (it runs the command)
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:
            left_out.append(info.name)
    return left_out


def write() -> Path:
    """Import every module and write booklet/data/dataclasses.code: what dataclasses compiled for them (each
    compiled afresh: the file is not read). Run it in a new process, before anything else imports booklet's
    modules."""
    global _code
    _code = {}
    install()
    every_module()
    from .output import write_atomic

    write_atomic(PATH, HEADER + importlib.util.MAGIC_NUMBER + marshal.dumps(dict(sorted(seen.items()))), fsync=False)
    return PATH
