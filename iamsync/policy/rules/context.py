"""What a policy rule sees: one policy document wherever it sits, and helpers to walk it.

A document may be a whole policy file, an inline policy of a user, group or role, or a
role's trust policy: the same rules check them all, with problems placed in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer, Source
from iamsync.iam.catalog import Catalog


class DocKind(StrEnum):
    IDENTITY = "identity"  # what a principal may do: Action + Resource, no Principal
    TRUST = "trust"  # who may assume a role: Principal + Action, no Resource


@dataclass(frozen=True)
class Document:
    source: Source
    pointer: Pointer  # where the document sits in its file (() for a policy file)
    doc: Any  # the document after {{Variable}} substitution; same shape as written
    kind: DocKind
    catalog: Catalog
    size_limit: int | None = None  # IAM's limit for this one document, if it has its own

    def problem(self, pointer: Pointer, code: str, message: str, *, key: bool = False) -> Problem:
        return self.source.problem((*self.pointer, *pointer), code, message, key=key)

    def line(self, pointer: Pointer) -> int:
        return self.source.where((*self.pointer, *pointer))[0]

    @cached_property
    def statements(self) -> tuple[Statement, ...]:
        """Its statements, made once: every rule walks them."""
        return _statements(self)

    @property
    def original(self) -> Any:
        """The document as written (templates not substituted)."""
        node: Any = self.source.value
        for step in self.pointer:
            node = node[step]
        return node


@dataclass(frozen=True)
class Statement:
    pointer: Pointer  # relative to the document
    body: dict[str, Any]  # rendered
    original: dict[str, Any]  # as written, for keys that templating may have changed


def statements(policy: Document) -> tuple[Statement, ...]:
    """Every statement that is an object (the schema reports the rest)."""
    return policy.statements


def _statements(policy: Document) -> tuple[Statement, ...]:
    if not isinstance(policy.doc, dict):
        return ()
    raw = policy.doc.get("Statement")
    written = policy.original
    original: Any = raw
    if isinstance(written, dict):
        original = written.get("Statement")
    same = (isinstance(raw, dict) and isinstance(original, dict)) or (
        isinstance(raw, list) and isinstance(original, list) and len(original) == len(raw)
    )
    if not same:
        original = raw  # a {{Name}} key made "Statement": what was written has another shape
    if isinstance(raw, dict):
        return (Statement(("Statement",), raw, _same_shape(original, raw)),)
    if isinstance(raw, list):
        return tuple(
            Statement(("Statement", i), item, _same_shape(original[i], item))
            for i, item in enumerate(raw)
            if isinstance(item, dict)
        )
    return ()


def _same_shape(written: Any, rendered: dict[str, Any]) -> dict[str, Any]:
    return written if isinstance(written, dict) else rendered


def entries(statement: Statement, key: str) -> Iterator[tuple[Pointer, str]]:
    """(pointer, string) for each entry of a string-or-list element such as Action."""
    value = statement.body.get(key)
    if isinstance(value, str):
        yield (*statement.pointer, key), value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield (*statement.pointer, key, i), item
