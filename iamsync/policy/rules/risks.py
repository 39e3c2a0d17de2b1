"""Security warnings IAM accepts silently: grants that are wider than they look."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from iamsync.core.problems import Problem
from iamsync.policy.rules.context import DocKind, Document, entries, statements


def check(policy: Document) -> Iterator[Problem]:
    if policy.kind is not DocKind.IDENTITY:
        return
    for st in statements(policy):
        if st.body.get("Effect") != "Allow" or "Condition" in st.body:
            continue
        resources = [r for _, r in entries(st, "Resource")]
        unbounded = "NotResource" in st.body or "*" in resources
        if unbounded and _passes_roles(policy, st.body):
            key = "NotResource" if "NotResource" in st.body else "Resource"
            yield policy.problem(
                (*st.pointer, key),
                "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                "this statement lets iam:PassRole hand any role to any service (a privilege "
                "escalation path); name the roles in Resource, or add an iam:PassedToService "
                "condition",
                key=True,
            )


def _passes_roles(policy: Document, body: dict[str, object]) -> bool:
    """Whether the statement's actions include iam:PassRole (Action, or all but NotAction)."""
    key = "NotAction" if "NotAction" in body else "Action"
    value = body.get(key)
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list):
        return False
    matched = any(
        isinstance(p, str) and fnmatch.fnmatchcase("iam:passrole", p.lower()) for p in listed
    )
    return matched != (key == "NotAction")
