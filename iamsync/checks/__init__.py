"""Policy rules: each module yields Problems for one aspect of a Document; none stops early."""

from __future__ import annotations

from collections.abc import Iterator

from iamsync.checks import actions, conditions, document, resources, risks, statement, trust
from iamsync.checks.context import Document
from iamsync.problems import Problem

RULES = (
    statement.check,
    actions.check,
    resources.check,
    conditions.check,
    document.check,
    risks.check,
    trust.check,
)


def check(policy: Document) -> Iterator[Problem]:
    """Every rule on one document: a policy file, an inline policy or a trust policy."""
    for rule in RULES:
        yield from rule(policy)
