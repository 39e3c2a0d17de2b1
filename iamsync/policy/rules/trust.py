"""Trust policies: principals IAM accepts, and web-identity trusts that name their subject.

A role assumed through an OIDC provider (GitHub Actions, for one) with no condition on the
token's subject can be assumed by anyone the provider issues tokens to: every repository
on GitHub. That is an error, not a warning.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from typing import Any

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer
from iamsync.policy.rules.context import DocKind, Document, Statement, entries, statements

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


def check(policy: Document) -> Iterator[Problem]:
    if policy.kind is not DocKind.TRUST:
        return
    for st in statements(policy):
        yield from _principals(policy, st)
        yield from _web_identity(policy, st)
        yield from _anyone(policy, st)


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


def _grants(st: Statement, action: str) -> bool:
    """The statement allows `action` (Action patterns, or NotAction that leaves it)."""
    if st.body.get("Effect") != "Allow":
        return False
    if "NotAction" in st.body:
        return not any(fnmatch.fnmatchcase(action, a.lower()) for _, a in entries(st, "NotAction"))
    return any(fnmatch.fnmatchcase(action, a.lower()) for _, a in entries(st, "Action"))


def _web_identity(policy: Document, st: Statement) -> Iterator[Problem]:
    if not _grants(st, "sts:assumerolewithwebidentity"):
        return
    principal = st.body.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, dict) else None
    block = st.body.get("Condition")
    at = (*st.pointer, "Condition") if "Condition" in st.body else st.pointer
    for provider in federated if isinstance(federated, list) else [federated]:
        if not isinstance(provider, str):
            continue
        if provider in _PUBLIC_IDPS:
            key = _PUBLIC_IDPS[provider]
            if not _pins(block, key, _literal):
                yield policy.problem(
                    at,
                    "FEDERATED_WITHOUT_AUDIENCE",
                    f"this trust lets anyone with a {provider} identity assume the role: add a "
                    f'StringEquals condition on "{key}" naming your application',
                )
            continue
        if "oidc-provider/" not in provider:
            continue
        host = provider.split("oidc-provider/", 1)[1]
        github = host.split("/", 1)[0] == "token.actions.githubusercontent.com"  # enterprise: /slug
        pinned = _github_subject if github else _literal
        if not _pins(block, f"{host}:sub", pinned):
            yield policy.problem(
                at,
                "OIDC_WITHOUT_SUBJECT",
                f"this trust lets any identity {host} issues tokens to assume the role (every "
                f"repository, on GitHub): add a StringEquals or StringLike condition on "
                f'"{host}:sub" naming your organisation and repository, e.g. '
                '"repo:YOUR_ORG/YOUR_REPO:ref:refs/heads/main" (a negated operator, Null, or '
                "a wildcard before the repository admits anyone)",
            )
        if not _condition_values(block, f"{host}:aud"):
            yield policy.problem(
                st.pointer,
                "OIDC_WITHOUT_AUDIENCE",
                f'add a condition on "{host}:aud" (for GitHub: StringEquals "sts.amazonaws.com")',
            )


# Public identity providers and the condition key that names the application they sign for.
_PUBLIC_IDPS = {
    "accounts.google.com": "accounts.google.com:aud",
    "cognito-identity.amazonaws.com": "cognito-identity.amazonaws.com:aud",
    "graph.facebook.com": "graph.facebook.com:app_id",
    "www.amazon.com": "www.amazon.com:app_id",
}
_POSITIVE = ("StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike")


def _pins(block: Any, key: str, pinned: Callable[[str], bool]) -> bool:
    """Some entry on `key` admits only pinned values: a positive operator (never a negated
    one, never Null: those admit nearly everything), neither IfExists nor ForAllValues
    (both admit a request without the key), whose every value is pinned (a *Equals
    operator compares literally: its values name one thing each)."""
    if not isinstance(block, dict):
        return False
    for op, keys in block.items():
        qualifier, _, base = str(op).rpartition(":")
        if base.endswith("IfExists") or qualifier == "ForAllValues":
            continue
        if base not in _POSITIVE or not isinstance(keys, dict):
            continue
        literal = base in ("StringEquals", "StringEqualsIgnoreCase")  # Arn* take wildcards
        for name, values in keys.items():
            listed = values if isinstance(values, list) else [values]
            ok = all(str(v) and (literal or pinned(str(v))) for v in listed)
            if name.lower() == key.lower() and listed and ok:
                return True
    return False


def _literal(value: str) -> bool:
    """A value with no wildcard: it names one thing."""
    return bool(value) and not any(c in value for c in "*?")


# What names one organisation or repository in a GitHub subject, before any wildcard:
# repo:ORG/ (the default claim), or the custom claims repository_owner_id / repository_id /
# repository_owner. A {{Variable}} not yet rendered (a broken iamsync.json) counts as a name.
_NAME = r"(?:[A-Za-z0-9_.-]|\{\{\w+\}\})+"
_GITHUB_PINS = re.compile(
    rf"(?:^|:)(?:repo:{_NAME}/|repository_owner_id:\d+(?::|$)|repository_id:\d+(?::|$)"
    rf"|repository_owner:{_NAME}(?::|$))"
)


def _github_subject(value: str) -> bool:
    """The subject names the organisation (or repository) before its first wildcard:
    "repo:ORG/REPO:…", "repo:ORG/*"; never "repo*", "repo:org*", "*:ref:…"."""
    head = re.split(r"[*?]", value, maxsplit=1)[0]
    return _GITHUB_PINS.search(head) is not None


def _anyone(policy: Document, st: Statement) -> Iterator[Problem]:
    """An Allow of sts:AssumeRole (or every action) to Principal "*", or to everyone but a
    list (NotPrincipal), unless a condition pins who the caller is."""
    assumes = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml")
    if not any(_grants(st, a) for a in assumes):
        return
    principal = st.body.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    every = principal == "*" or "*" in (aws if isinstance(aws, list) else [aws])
    if "NotPrincipal" in st.body or (every and not _pins_caller(st.body.get("Condition"))):
        yield policy.problem(
            st.pointer,
            "TRUST_ANYONE",
            "this trust lets anyone (any AWS account) assume the role: name the principals, "
            "or pin the caller with a condition on aws:PrincipalOrgID, aws:PrincipalAccount "
            "or aws:PrincipalArn (a condition such as aws:SecureTransport does not say who)",
        )


def _org_path(value: str) -> bool:
    """ "o-abc/r-ab/ou-ab-123/*": the organisation written out."""
    org = value.split("/", 1)[0]
    return org.startswith("o-") and _literal(org)


def _in_account(value: str) -> bool:
    """An ARN pattern whose account is written out: arn:aws:iam::123456789012:role/ci-*."""
    parts = value.split(":")
    return len(parts) > 4 and parts[4].isdigit() and len(parts[4]) == 12


# Condition keys that say who the caller is, and what pins each.
_CALLER_KEYS: dict[str, Callable[[str], bool]] = {
    "aws:principalorgid": _literal,
    "aws:principalorgpaths": _org_path,
    "aws:principalaccount": _literal,
    "aws:principalarn": _in_account,
    "aws:sourceaccount": _literal,
    "aws:sourcearn": _in_account,
}


def _pins_caller(block: Any) -> bool:
    return any(_pins(block, key, pinned) for key, pinned in _CALLER_KEYS.items())


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
