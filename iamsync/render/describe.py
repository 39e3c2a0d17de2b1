"""Words and diffs for one change, shared by the text and markdown renderers (pure).

What a change says is its kind's (kinds.<kind>.details); this module adds the title, the
summary line, and unified diffs of the documents the change edits.
"""

from __future__ import annotations

import difflib

from iamsync import kinds
from iamsync.core.lines import Line, diff_line
from iamsync.engine.plan import Plan
from iamsync.iam import normalize
from iamsync.kinds.base import Action, Change


def title(change: Change) -> str:
    return f"{change.action.symbol} {change.type} {change.name}"


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes. Live IAM matches the repository."
    return (
        f"Plan: {plan.count(Action.CREATE)} to add, {plan.count(Action.UPDATE)} to change, "
        f"{plan.count(Action.DELETE)} to destroy."
    )


def done_line(plan: Plan) -> str:
    """What an apply did, in the past tense: "1 added, 0 changed, 0 destroyed."."""
    return (
        f"{plan.count(Action.CREATE)} added, {plan.count(Action.UPDATE)} changed, "
        f"{plan.count(Action.DELETE)} destroyed."
    )


def left_alone(plan: Plan) -> list[str]:
    """One line per resource under the prefix that iamsync did not make and leaves alone."""
    return [
        f"left alone: {what} is under {plan.path_prefix} but iamsync did not make it (no "
        "managed-by tag), so it is never changed or deleted; to adopt it, iamsync --import "
        "writes its file and the next apply tags it"
        for what in plan.left_alone
    ]


def details(change: Change) -> list[Line]:
    """One line per effect of the change, most important first."""
    return _kind(change.type).details(change)


def document_diff(change: Change) -> list[Line]:
    """Unified diffs of the canonical JSON of each document the change edits."""
    out: list[Line] = []
    for ref in _kind(change.type).documents(change):
        if ref.repeated:
            continue  # shown with the change it repeats
        diff = difflib.unified_diff(_lines(ref.before), _lines(ref.after), lineterm="", n=3)
        lines = [diff_line(line) for line in list(diff)[2:]]  # after the ---/+++ header
        if lines and ref.label:
            out.append(diff_line(f"@@ {ref.label}"))
        out += lines
    return out


def _lines(document: object) -> list[str]:
    if document is None:
        return []
    # Only "\n" ends a line: JSON escapes it in strings, but not U+0085 or U+2028, which
    # str.splitlines would split on, showing text from inside a string as a line of its own.
    return normalize.pretty(normalize.canonical(document, fold_case=False)).split("\n")


def _kind(type_: str) -> kinds.Kind:
    found = kinds.by_type(type_)
    if found is None:
        raise KeyError(f"no registered kind {type_!r}")
    return found
