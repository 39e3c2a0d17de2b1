"""Policy rules: each module yields Problems for one aspect of a Document; none stops early."""

from __future__ import annotations

from collections.abc import Iterator

from iamsync.core.problems import Problem
from iamsync.policy.rules import actions, conditions, document, resources, statement, trust
from iamsync.policy.rules.context import Document

RULES = (
    statement.check,
    actions.check,
    resources.check,
    conditions.check,
    document.check,
    trust.check,
)


def check(policy: Document) -> Iterator[Problem]:
    """Every rule on one document: a policy file, an inline policy or a trust policy."""
    for rule in RULES:
        yield from rule(policy)
