"""The one error family for bad input: every problem carries file:line:column and a hint."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Beyond this many problems in one file a list stops helping; the rest are counted.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Loc:
    """Where a value came from: a file and, where known, a 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, said so that a nurse can fix it."""

    loc: Loc
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{self.loc}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class BookletError(Exception):
    """Bad input: one or more problems. The CLI prints it and exits 2."""

    def __init__(self, problems: Problem | list[Problem] | str) -> None:
        self._annotated = ""
        if isinstance(problems, str):
            # ReportLab re-raises an error from inside its layout callbacks as a new exception of the
            # same type built from annotated text (reportlab.lib.utils.annotateException); the
            # original error, with its problems, is then this one's __context__.
            self._annotated = problems
            self._problems: list[Problem] = []
            super().__init__(problems)
            return
        self._problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(str(self))

    @property
    def problems(self) -> list[Problem]:
        if self._annotated:
            original = self.__context__
            if isinstance(original, BookletError):
                return original.problems
            return [Problem(Loc("<layout>"), self._annotated.strip())]
        return self._problems

    @problems.setter
    def problems(self, problems: list[Problem]) -> None:
        self._annotated = ""
        self._problems = list(problems)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickle with the problems themselves (to and from worker processes), not the text."""
        return (type(self), (self.problems,))

    @classmethod
    def at(cls, loc: Loc | str | os.PathLike[str], message: str, hint: str = "") -> BookletError:
        if not isinstance(loc, Loc):
            loc = Loc(str(loc))
        return cls(Problem(loc, message, hint))

    def __str__(self) -> str:
        shown = self.problems[:MAX_PROBLEMS]
        lines = [str(p) for p in shown]
        hidden = len(self.problems) - len(shown)
        if hidden > 0:
            lines.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''}")
        return "\n".join(lines)


class Problems:
    """Collects problems while a file is checked, then fails once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, loc: Loc, message: str, hint: str = "") -> None:
        self.items.append(Problem(loc, message, hint))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise BookletError(sorted(self.items, key=_order))


def _order(p: Problem) -> tuple[str, int, int]:
    return (p.loc.path, p.loc.line, p.loc.col)
