"""Resource/NotResource entries are "*" or well-formed ARNs that fit the statement's actions."""

from __future__ import annotations

from collections.abc import Iterator

from iamsync import arn
from iamsync.checks.context import PolicyFile, Statement, entries, statements
from iamsync.problems import Problem


def check(policy: PolicyFile) -> Iterator[Problem]:
    for st in statements(policy):
        templates: frozenset[str] | None = None
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
                        pointer, "INVALID_ARN", f'"{text}" has an empty resource part', warning=True
                    )
                if key == "NotResource":
                    continue
                if templates is None:
                    templates = _templates(policy, st)
                if templates and not any(arn.fits(text, t) for t in templates):
                    yield policy.problem(
                        pointer,
                        "RESOURCE_MISMATCH",
                        f'"{text}" matches no resource type of this '
                        f"statement's actions{_example(templates)}, so it "
                        "grants nothing",
                        warning=True,
                    )


def _templates(policy: PolicyFile, st: Statement) -> frozenset[str]:
    """ARN templates the statement's actions accept; empty when the check can't apply."""
    actions = tuple(a for _, a in entries(st, "Action"))
    if not actions:
        return frozenset()
    return policy.catalog.accepted_arns(actions) or frozenset()


def _example(templates: frozenset[str]) -> str:
    real = sorted(t for t in templates if t != "*")
    if not real:
        return ' (they accept only "*")'
    shown = real[0].replace("${Partition}", "aws")
    more = f" and {len(real) - 1} more" if len(real) > 1 else ""
    return f" (e.g. {shown}{more})"
