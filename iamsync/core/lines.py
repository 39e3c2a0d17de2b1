"""Lines of words about a change, typed: what each says (added, removed, changed, a note, a
diff's hunk or context) travels with it, so a renderer styles and places a line without
reading its text (no leading "+" to match, no indentation to count)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mark(Enum):
    ADD = "+"
    REMOVE = "-"
    CHANGE = "~"
    NOTE = ""
    HUNK = "@"  # a document diff's "@@" line
    CONTEXT = " "  # a document diff's unchanged line
    HEADING = "#"  # the title of a section ("Access review:")
    ALERT = "!"  # what must not be missed: a new high-severity finding


@dataclass(frozen=True)
class Line:
    """One line as shown (`text`, its mark written in it); `under` the line above it."""

    text: str
    mark: Mark = Mark.NOTE
    under: bool = False

    def __str__(self) -> str:
        return f"  {self.text}" if self.under else self.text

    def below(self) -> Line:
        """The same line, belonging to the one above it."""
        return Line(self.text, self.mark, under=True)


def added(text: str) -> Line:
    return Line(f"+ {text}", Mark.ADD)


def removed(text: str) -> Line:
    return Line(f"- {text}", Mark.REMOVE)


def changed(text: str) -> Line:
    return Line(f"~ {text}", Mark.CHANGE)


def note(text: str) -> Line:
    return Line(text)


def set_or_changed(text: str, *, new: bool) -> Line:
    """What a create sets is added; what an update sets, changed."""
    return added(text) if new else changed(text)


_DIFF_MARKS = {"+": Mark.ADD, "-": Mark.REMOVE, "@": Mark.HUNK}


def diff_line(text: str) -> Line:
    """A line of a unified diff, marked by its first character (difflib's own format)."""
    return Line(text, _DIFF_MARKS.get(text[:1], Mark.CONTEXT))
