"""What a policy check sees: the file, its rendered document, and helpers to walk it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iamsync.catalog import Catalog
from iamsync.problems import Problem
from iamsync.source import Pointer, Source


@dataclass(frozen=True)
class PolicyFile:
    source: Source
    name: str
    doc: Any  # the document after {{Variable}} substitution; same shape as source.value
    catalog: Catalog

    def problem(self, pointer: Pointer, code: str, message: str, *, key: bool = False) -> Problem:
        return self.source.problem(pointer, code, message, key=key)


@dataclass(frozen=True)
class Statement:
    pointer: Pointer
    body: dict[str, Any]  # rendered
    original: dict[str, Any]  # as written, for keys that templating may have changed


def statements(policy: PolicyFile) -> Iterator[Statement]:
    """Every statement that is an object (the schema reports the rest)."""
    if not isinstance(policy.doc, dict):
        return
    raw = policy.doc.get("Statement")
    original: Any = policy.source.value["Statement"] if raw is not None else None
    if isinstance(raw, dict):
        yield Statement(("Statement",), raw, original)
    elif isinstance(raw, list):
        for i, item in enumerate(raw):
            if isinstance(item, dict):
                yield Statement(("Statement", i), item, original[i])


def entries(statement: Statement, key: str) -> Iterator[tuple[Pointer, str]]:
    """(pointer, string) for each entry of a string-or-list element such as Action."""
    value = statement.body.get(key)
    if isinstance(value, str):
        yield (*statement.pointer, key), value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield (*statement.pointer, key, i), item
