"""Validation problems as data: one frozen record per finding, with its place in the file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from iamsync.core import codes, safe
from iamsync.core.codes import Severity


@dataclass(frozen=True, order=True)
class Problem:
    """One finding. Ordered by file, then position, so reports sort naturally."""

    file: str  # path relative to the repository root, with "/" separators
    line: int  # 1-based
    col: int  # 1-based, in characters
    severity: Severity
    code: str  # stable UPPER_SNAKE identifier; config may silence warnings by code
    message: str

    @classmethod
    def at(cls, file: str, line: int, col: int, code: str, message: str) -> Problem:
        """A problem of `code`, with the severity the registry gives it (iamsync.core.codes)."""
        return cls(file, line, col, codes.severity(code), code, message)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """The contract line: FILE:LINE:COL: error|warning: message (inert for any terminal)."""
        return safe.line(
            f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.code}]"
        )

    def annotation(self) -> str:
        """A GitHub Actions workflow command, so the problem shows on the PR diff."""
        place = {"file": self.file, "line": str(self.line), "col": str(self.col)}
        return safe.workflow_command(str(self.severity), place, f"{self.message} [{self.code}]")


def count(problems: Iterable[Problem]) -> tuple[int, int]:
    """Return (errors, warnings)."""
    errors = warnings = 0
    for p in problems:
        if p.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def summary(problems: Iterable[Problem], files: int) -> str:
    errors, warnings = count(problems)
    noun = "file" if files == 1 else "files"
    if not errors and not warnings:
        return f"{files} {noun} valid, no problems"
    parts = [_plural(errors, "error"), _plural(warnings, "warning")]
    return f"{', '.join(parts)} in {files} {noun}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
