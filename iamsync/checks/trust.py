"""Trust policies: principals IAM accepts, and web-identity trusts that name their subject.

A role assumed through an OIDC provider (GitHub Actions, for one) with no condition on the
token's subject can be assumed by anyone the provider issues tokens to: every repository
on GitHub. That is an error, not a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from iamsync.checks.context import DocKind, Document, Statement, entries, statements
from iamsync.problems import Problem
from iamsync.source import Pointer

_AWS = re.compile(
    r"\*|\d{12}|arn:[a-z-]+:iam::(\d{12}|\{\{AccountId\}\}):(root|(user|role)/[\w+=,.@/-]+)"
    r"|arn:[a-z-]+:sts::\d{12}:(assumed-role|federated-user)/[\w+=,.@/-]+"
)
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
_FEDERATED = re.compile(
    r"arn:[a-z-]+:iam::\d{12}:(saml-provider/[\w.-]+|oidc-provider/[\w.:/-]+)"
    r"|cognito-identity\.amazonaws\.com|accounts\.google\.com|graph\.facebook\.com|www\.amazon\.com"
)
_FORMS = {"AWS": _AWS, "Service": _SERVICE, "Federated": _FEDERATED, "CanonicalUser": None}
# A subject condition that lets any repository (or any subject) through is no condition.
_ANY_SUBJECT = re.compile(r"\*|repo:\*.*|repo:[^/]*\*[^/]*/.*")


def check(policy: Document) -> Iterator[Problem]:
    if policy.kind is not DocKind.TRUST:
        return
    for st in statements(policy):
        yield from _principals(policy, st)
        yield from _web_identity(policy, st)


def _principals(policy: Document, st: Statement) -> Iterator[Problem]:
    for key in ("Principal", "NotPrincipal"):
        value = st.body.get(key)
        if value is None or value == "*":
            continue
        if not isinstance(value, dict):
            yield policy.problem(
                (*st.pointer, key),
                "INVALID_PRINCIPAL",
                f'{key} must be "*" or an object such as {{"Service": "ecs-tasks.amazonaws.com"}}',
            )
            continue
        for form, items in value.items():
            at: Pointer = (*st.pointer, key, form)
            if form not in _FORMS:
                yield policy.problem(
                    at,
                    "INVALID_PRINCIPAL",
                    f'unknown principal type "{form}"; IAM knows AWS, Service, Federated '
                    "and CanonicalUser",
                    key=True,
                )
                continue
            pattern = _FORMS[form]
            listed = items if isinstance(items, list) else [items]
            for i, item in enumerate(listed):
                where = (*at, i) if isinstance(items, list) else at
                if pattern is not None and not (isinstance(item, str) and pattern.fullmatch(item)):
                    yield policy.problem(
                        where,
                        "INVALID_PRINCIPAL",
                        f"{_shown(item)} is not a {form} principal IAM accepts",
                    )


def _web_identity(policy: Document, st: Statement) -> Iterator[Problem]:
    if st.body.get("Effect") != "Allow":
        return
    actions = [a.lower() for _, a in entries(st, "Action")]
    if "sts:assumerolewithwebidentity" not in actions and "sts:*" not in actions:
        return
    principal = st.body.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, dict) else None
    for provider in federated if isinstance(federated, list) else [federated]:
        if not isinstance(provider, str) or "oidc-provider/" not in provider:
            continue
        host = provider.split("oidc-provider/", 1)[1]
        subjects = _condition_values(st.body.get("Condition"), f"{host}:sub")
        if not subjects or any(_ANY_SUBJECT.fullmatch(s) for s in subjects):
            yield policy.problem(
                (*st.pointer, "Condition") if "Condition" in st.body else st.pointer,
                "OIDC_WITHOUT_SUBJECT",
                f"this trust lets any identity {host} issues tokens to assume the role (every "
                f'repository, on GitHub): add a condition on "{host}:sub", e.g. StringLike '
                '"repo:YOUR_ORG/YOUR_REPO:ref:refs/heads/main"',
            )
        if not _condition_values(st.body.get("Condition"), f"{host}:aud"):
            yield policy.problem(
                st.pointer,
                "OIDC_WITHOUT_AUDIENCE",
                f'add a condition on "{host}:aud" (for GitHub: StringEquals "sts.amazonaws.com")',
            )


def _condition_values(block: Any, key: str) -> list[str]:
    """Every value a condition block tests `key` against (any operator)."""
    if not isinstance(block, dict):
        return []
    found: list[str] = []
    for keys in block.values():
        if not isinstance(keys, dict):
            continue
        for name, values in keys.items():
            if name.lower() == key.lower():
                found += [str(v) for v in (values if isinstance(values, list) else [values])]
    return found


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
