"""The checks a policy document in a repository file passes: every policy rule, and for
an identity document what the access review's rules say of it alone (offline).

One risk engine: the review's (access/findings) judges whether a statement may pass any
role, here as at plan time, so a condition hides the warning only when it closes that
path. The offline check cannot know the holder's other policies or boundary: it assumes
the holder may start every service, so it warns where the plan's review may not.
"""

from __future__ import annotations

from collections.abc import Iterator

from iamsync.access import findings
from iamsync.core.problems import Problem
from iamsync.files import schema
from iamsync.policy import rules
from iamsync.policy.rules.context import DocKind, Document, statements


def check(document: Document) -> Iterator[Problem]:
    yield from rules.check(document)
    if document.kind is DocKind.IDENTITY:
        yield from _passes_any_role(document)


def _passes_any_role(document: Document) -> Iterator[Problem]:
    """PASS_ROLE_WITH_STAR_IN_RESOURCE (Access Analyzer's name for it) at each Allow
    statement that lets its holder hand any role to a service that acts with it."""
    formed = [st for st in statements(document) if schema.valid("identity_statement", st.body)]
    denies = [st.body for st in formed if st.body.get("Effect") == "Deny"]
    for st in formed:
        if st.body.get("Effect") != "Allow":
            continue
        services, limited = findings.passes_any_role(st.body, denies, document.catalog)
        if not services:
            continue
        key = "NotResource" if "NotResource" in st.body else "Resource"
        to = ", ".join(services[:4]) + (f" and {len(services) - 4} more" if services[4:] else "")
        advice = (
            "name the roles it may pass in Resource: its iam:PassedToService condition "
            "still lets it pass any role, an administrator's too, to those"
            if limited
            else "name the roles in Resource, or add an iam:PassedToService condition naming "
            "only the services that need it"
        )
        yield document.problem(
            (*st.pointer, key),
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            f"this statement lets iam:PassRole hand any role to {to}, which then act with "
            f"that role's access (a privilege escalation path); {advice}",
            key=True,
        )
