"""Read one JSON file strictly, keeping where every key and value sits in the text.

Parsing is the C json module (fast); line/column positions are computed only
when a problem needs one, by a small tokenizer that walks the same text.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from iamsync.core.problems import Problem

Pointer = tuple[str | int, ...]

_UTF16_32_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


@dataclass(frozen=True)
class Source:
    """A parsed JSON file: its value, and lazy positions of every node in the text."""

    path: str  # relative to the repository root, "/" separators
    text: str
    value: Any
    has_duplicates: bool = False  # some object repeats a key; see duplicate_problems()

    def where(self, pointer: Pointer, *, key: bool = False) -> tuple[int, int]:
        """(line, col) of the value at `pointer`, or of its key when `key` is set.

        A pointer that does not exist (e.g. a missing member) falls back to its
        nearest existing ancestor, so a problem always has a place.
        """
        nodes = self._layout.nodes
        while pointer not in nodes and pointer:
            pointer, key = pointer[:-1], False
        value_at, key_at = nodes.get(pointer, (0, None))
        offset = key_at if key and key_at is not None else value_at
        return self._layout.line_col(offset)

    def problem(
        self,
        pointer: Pointer,
        code: str,
        message: str,
        *,
        key: bool = False,
    ) -> Problem:
        line, col = self.where(pointer, key=key)
        return Problem.at(self.path, line, col, code, message)

    @cached_property
    def _layout(self) -> _Layout:
        return _Layout.of(self.text)


def from_bytes(rel: str, raw: bytes) -> Source | Problem:
    """Decode and parse a file's bytes; the Source, or the Problem that stops it parsing."""
    for bom, name in _UTF16_32_BOMS:
        if raw.startswith(bom):
            return Problem.at(rel, 1, 1, "ENCODING", f"file is {name}; save it as UTF-8")
    if raw.startswith(codecs.BOM_UTF8):  # editors on Windows add one; harmless, skip it
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8")
        line, col = _Layout.of(before, walk=False).line_col(len(before))
        return Problem.at(
            rel,
            line,
            col,
            "ENCODING",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
        )
    return parse(rel, text)


def parse(rel: str, text: str) -> Source | Problem:
    """Parse JSON text strictly: no duplicate keys, no NaN/Infinity, not empty."""
    if not text.strip():
        return Problem.at(rel, 1, 1, "EMPTY_FILE", "file is empty; expected a JSON object")
    dupes: list[str] = []
    try:
        if text.count("[") + text.count("{") > MAX_DEPTH:  # cheap: most files are shallow
            _check_depth(text)
        value = json.loads(
            text, object_pairs_hook=_pairs_hook(dupes), parse_constant=_reject_constant
        )
    except _TooDeep as exc:
        line, col = _Layout.of(text, walk=False).line_col(exc.offset)
        return Problem.at(
            rel,
            line,
            col,
            "TOO_DEEP",
            f"nested more than {MAX_DEPTH} levels deep; no IAM document is (this one was not "
            "read further)",
        )
    except json.JSONDecodeError as exc:
        return Problem.at(
            rel,
            exc.lineno,
            exc.colno,
            "JSON_SYNTAX",
            f"invalid JSON: {_explain(exc)}",
        )
    except _ConstantError as exc:
        offset = text.find(exc.token)
        line, col = _Layout.of(text, walk=False).line_col(max(offset, 0))
        return Problem.at(
            rel,
            line,
            col,
            "JSON_SYNTAX",
            f"invalid JSON: {exc.token} is not a JSON value",
        )
    return Source(rel, text, value, has_duplicates=bool(dupes))


def duplicate_problems(source: Source) -> Iterator[Problem]:
    """One error per repeated key, at the repetition."""
    layout = source._layout
    for pointer, first in layout.duplicates:
        line, col = layout.line_col(layout.dupe_offsets[pointer])
        first_line, _ = layout.line_col(layout.nodes[pointer][1] or 0)
        yield Problem.at(
            source.path,
            line,
            col,
            "DUPLICATE_KEY",
            f'duplicate key "{first}" (first at line {first_line}); JSON parsers '
            "silently keep only one of them, so what IAM gets is not what a "
            "reviewer reads",
        )


# IAM documents nest about 6 levels (Statement > [ ] > Condition > operator > key > [ ]);
# the cap keeps every recursive walk of a file far from Python's recursion limit.
MAX_DEPTH = 32
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class _TooDeep(ValueError):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _check_depth(text: str) -> None:
    """Raise _TooDeep at the first bracket nested deeper than MAX_DEPTH (strings skipped)."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep(match.start())
        elif token in "]}":
            depth -= 1


class _ConstantError(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _reject_constant(token: str) -> Any:
    raise _ConstantError(token)


def _pairs_hook(dupes: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            dupes.append("")
        return result

    return hook


def _explain(exc: json.JSONDecodeError) -> str:
    msg = exc.msg
    if msg.startswith("Expecting property name enclosed in double quotes"):
        return "expected a key in double quotes (a trailing comma, or a single-quoted key?)"
    if msg.startswith("Expecting value"):
        return "expected a value (a trailing comma, or a missing value?)"
    if msg.startswith("Extra data"):
        return "extra data after the JSON value (two documents, or a stray character?)"
    if msg.startswith("Invalid control character"):
        return "a raw control character (e.g. a newline or tab) inside a string; escape it"
    return msg[0].lower() + msg[1:]


# No leading \s*: finditer skips whitespace itself, so trailing blanks cost one step each.
_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")|([{}\[\]:,])|([^\s{}\[\]:,"]+)', re.S)


@dataclass
class _Layout:
    """Offsets of every node (value offset, key offset) by JSON pointer."""

    line_starts: list[int]
    nodes: dict[Pointer, tuple[int, int | None]]
    duplicates: list[tuple[Pointer, str]]
    dupe_offsets: dict[Pointer, int]

    @classmethod
    def of(cls, text: str, *, walk: bool = True) -> _Layout:
        """Index `text`; `walk` maps node positions too (the text must be valid JSON)."""
        starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
        layout = cls(starts, {}, [], {})
        if not walk:
            return layout
        tokens = [
            (
                m.start(1) if m.group(1) else m.start(2) if m.group(2) else m.start(3),
                m.group(1) or m.group(2) or m.group(3),
            )
            for m in _TOKEN.finditer(text)
            if m.group(0).strip()
        ]
        if tokens:
            layout._walk(tokens, 0, (), None)
        return layout

    def line_col(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def _walk(self, tokens: list[tuple[int, str]], i: int, ptr: Pointer, key_at: int | None) -> int:
        """Record the value starting at tokens[i]; return the index after it."""
        offset, tok = tokens[i]
        self.nodes[ptr] = (offset, key_at)
        if tok == "{":
            return self._walk_object(tokens, i + 1, ptr)
        if tok == "[":
            return self._walk_array(tokens, i + 1, ptr)
        return i + 1

    def _walk_object(self, tokens: list[tuple[int, str]], i: int, ptr: Pointer) -> int:
        seen: set[str] = set()
        while i < len(tokens) and tokens[i][1] != "}":
            key_offset, raw_key = tokens[i]
            name = json.loads(raw_key)
            child = (*ptr, name)
            if name in seen:
                self.duplicates.append((child, name))
                self.dupe_offsets[child] = key_offset
                first = self.nodes[child]
                i = self._walk(tokens, i + 2, child, key_offset)
                self.nodes[child] = first  # positions point at the first occurrence
            else:
                seen.add(name)
                i = self._walk(tokens, i + 2, child, key_offset)
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        return i + 1

    def _walk_array(self, tokens: list[tuple[int, str]], i: int, ptr: Pointer) -> int:
        index = 0
        while i < len(tokens) and tokens[i][1] != "]":
            i = self._walk(tokens, i, (*ptr, index), None)
            index += 1
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        return i + 1
