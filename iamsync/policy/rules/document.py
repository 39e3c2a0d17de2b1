"""Whole-document limits: the document's own size quota and IAM's character set."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer
from iamsync.iam import limits, normalize
from iamsync.policy.rules.context import DocKind, Document

# IAM accepts TAB, LF, CR and U+0020..U+00FF in a policy document.
_BAD_CHAR = re.compile(r"[^\t\n\r\u0020-\u00ff]")


def check(policy: Document) -> Iterator[Problem]:
    limit = policy.size_limit
    text = normalize.compact(policy.doc)
    size = limits.compact_size(text)
    if limit is not None and size > limit:
        what = "a trust policy" if policy.kind is DocKind.TRUST else "a managed policy"
        yield policy.problem(
            (),
            "POLICY_TOO_LARGE",
            f"policy is {size:,} characters without whitespace, {size - limit:,} over "
            f"IAM's {limit:,} limit for {what}; split it into two policies or use wildcards",
        )
    if "\\" not in text and _BAD_CHAR.search(text) is None:
        # JSON escaped nothing (no backslash), so every character of every key and string
        # stands in `text` as itself, and none is outside the set: nothing to place
        return
    for pointer, found in _strings(policy.doc, ()):
        bad = _BAD_CHAR.search(found)
        if bad:
            yield policy.problem(
                pointer,
                "INVALID_CHARACTER",
                f"character U+{ord(bad.group()):04X} is outside what IAM "
                "accepts in a policy (ASCII and Latin-1)",
            )
            return


def _strings(value: Any, pointer: Pointer) -> Iterator[tuple[Pointer, str]]:
    """Every string in a document, keys included, with where it sits."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield (*pointer, k), k
            yield from _strings(v, (*pointer, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*pointer, i))
