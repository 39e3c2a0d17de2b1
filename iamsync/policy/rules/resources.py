"""Resource/NotResource entries are "*" or well-formed ARNs that fit the statement's actions."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from iamsync.core.problems import Problem
from iamsync.iam import arn
from iamsync.policy.rules.context import Document, Statement, entries, statements


def check(policy: Document) -> Iterator[Problem]:
    for st in statements(policy):
        templates: frozenset[str] | None = None
        fitted: set[str] = set()  # the templates some Resource ARN of the statement fits
        for key in ("Resource", "NotResource"):
            for pointer, text in entries(st, key):
                if text == "*":
                    continue
                parsed = arn.parse(text)
                if isinstance(parsed, str):
                    yield policy.problem(pointer, "INVALID_ARN", f'"{text}": {parsed}')
                    continue
                if not parsed.resource:
                    yield policy.problem(
                        pointer, "EMPTY_RESOURCE", f'"{text}" has an empty resource part'
                    )
                if key == "NotResource":
                    continue
                if templates is None:
                    templates = _templates(policy, st)
                fits = {t for t in templates if t != "*" and arn.fits(text, t)}
                fitted |= fits
                if templates and not fits:
                    yield policy.problem(
                        pointer,
                        "RESOURCE_MISMATCH",
                        f'"{text}" matches no resource type of this '
                        f"statement's actions{_example(templates, near=text)}, so it "
                        "grants nothing",
                    )
        star = any(text == "*" for _, text in entries(st, "Resource"))
        if fitted and not star:
            yield from _actions_without_resource(policy, st, fitted)


def _actions_without_resource(
    policy: Document, st: Statement, fitted: set[str]
) -> Iterator[Problem]:
    """Actions whose resource types none of the statement's resources fit (`fitted`)."""
    for pointer, action in entries(st, "Action"):
        templates = policy.catalog.accepted_arns((action,))
        if not templates or templates & fitted:
            continue
        yield policy.problem(
            pointer,
            "RESOURCE_MISMATCH",
            f'"{action}" applies to none of this statement\'s resources'
            f"{_example(templates, 'it accepts')}, so the statement grants it nothing; move "
            "it to a statement with its resource",
        )


def _templates(policy: Document, st: Statement) -> frozenset[str]:
    """ARN templates the statement's actions accept; empty when the check can't apply."""
    actions = tuple(a for _, a in entries(st, "Action"))
    if not actions:
        return frozenset()
    return policy.catalog.accepted_arns(actions) or frozenset()


def _example(templates: frozenset[str], accepts: str = "they accept", near: str = "") -> str:
    """One template as an example: the one most like `near` (what the file wrote), so a
    bucket grant is shown a bucket's ARN, not an access point's."""
    real = sorted(t for t in templates if t != "*")
    if not real:
        return f' ({accepts} only "*")'
    if near:
        near = near[:256]  # templates are short: a long entry costs no more than this
        real.sort(key=lambda t: -difflib.SequenceMatcher(None, near, t, autojunk=False).ratio())
    shown = real[0].replace("${Partition}", "aws")
    more = f" and {len(real) - 1} more" if len(real) > 1 else ""
    return f" (e.g. {shown}{more})"
