"""Effective access: what a principal may do, from every policy it holds (pure).

A policy document becomes an index: action (the catalog's spelling) -> the grants that
allow or deny it, each with its resources and condition. Wildcards and NotAction are
expanded through the catalog; NotResource is kept as a "all but" marker; conditions are
carried as qualifiers (shown, not evaluated). A principal's effective actions are those
some identity policy allows, that no Deny removes outright (on every resource, with no
condition), and that its permissions boundary allows too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from iamsync import normalize
from iamsync.catalog import Catalog


@dataclass(frozen=True)
class Grant:
    resources: tuple[str, ...]  # patterns; with not_resource, every resource but these
    not_resource: bool
    condition: str  # canonical JSON of the Condition block; "" when none
    source: str  # display: the policy it comes from, e.g. "policy deploy"

    @property
    def unconstrained(self) -> bool:
        """Reaches every resource (or all but a few) with no condition: a finding's test."""
        broad = self.not_resource or any(_covers_all(r) for r in self.resources)
        return broad and not self.condition


_TYPE_STAR = re.compile(r"[A-Za-z-]+[/:]\*")


def _covers_all(resource: str) -> bool:
    """ "*", or a pattern for every resource of a service or of a resource type in the account:
    arn:*, arn:aws:s3:*, arn:aws:s3:::*, arn:aws:iam::*:user/*, arn:aws:lambda:*:1:function:*."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if parts[0] != "arn":
        return False
    if len(parts) < 6:
        return resource.endswith("*")  # the * swallows the segments that follow it
    what = parts[5]
    if what == "*":
        return True
    # "type/*" or "type:*"; not in S3, whose "bucket/*" is one bucket's objects
    return parts[2] not in ("s3", "s3-object-lambda") and _TYPE_STAR.fullmatch(what) is not None


@dataclass(frozen=True)
class PolicyAccess:
    """One document, indexed by the actions it allows and denies."""

    source: str
    allow: Mapping[str, tuple[Grant, ...]] = field(default_factory=lambda: MappingProxyType({}))
    deny: Mapping[str, tuple[Grant, ...]] = field(default_factory=lambda: MappingProxyType({}))
    allow_not_action: bool = False  # an Allow with NotAction (a finding of its own)
    patterns: tuple[str, ...] = ()  # the Action patterns as written, for display
    # Computed once per document, for the risk rules of every principal that holds it:
    open: frozenset[str] = frozenset()  # actions some grant allows unconstrained
    guarded: frozenset[str] = frozenset()  # actions a Deny with a condition narrows
    resources: frozenset[str] = frozenset()  # every Resource pattern of its Allows
    open_patterns: tuple[str, ...] = ()  # Action patterns of the unconstrained Allows


def index(document: Any, source: str, catalog: Catalog) -> PolicyAccess:
    """The access index of a document (its canonical form: case and lists normalised)."""
    allow: dict[str, list[Grant]] = {}
    deny: dict[str, list[Grant]] = {}
    not_action = False
    patterns: list[str] = []
    open_patterns: list[str] = []
    for st in normalize.canonical(document, fold_case=False).get("Statement", []):
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny"):
            continue
        actions = _actions(st, catalog)
        if st["Effect"] == "Allow" and "NotAction" in st:
            not_action = True
        patterns += [a for a in st.get("Action", []) if isinstance(a, str)]
        grant = Grant(
            tuple(st.get("Resource") or st.get("NotResource") or ["*"]),
            "NotResource" in st,
            normalize.dumps(st["Condition"]) if "Condition" in st else "",
            source,
        )
        if st["Effect"] == "Allow" and grant.unconstrained:
            open_patterns += [a for a in st.get("Action", []) if isinstance(a, str)]
        target = allow if st["Effect"] == "Allow" else deny
        for action in actions:
            target.setdefault(action, []).append(grant)
    return PolicyAccess(
        source,
        MappingProxyType({a: tuple(g) for a, g in allow.items()}),
        MappingProxyType({a: tuple(g) for a, g in deny.items()}),
        not_action,
        tuple(patterns),
        frozenset(a for a, gs in allow.items() if any(g.unconstrained for g in gs)),
        frozenset(a for a, gs in deny.items() if any(g.condition for g in gs)),
        frozenset(
            r for gs in allow.values() for g in gs if not g.not_resource for r in g.resources
        ),
        tuple(open_patterns),
    )


def _actions(st: Mapping[str, Any], catalog: Catalog) -> frozenset[str]:
    if "Action" in st:
        return frozenset().union(*(catalog.action_names(p) for p in st["Action"]))
    excluded = frozenset().union(*(catalog.action_names(p) for p in st.get("NotAction", [])))
    return catalog.action_names("*") - excluded


@dataclass(frozen=True)
class Principal:
    """What one principal holds: identity policies (its own and its groups'), a boundary."""

    kind: str  # "user" | "role"
    name: str
    policies: tuple[PolicyAccess, ...]
    boundary: PolicyAccess | None = None
    level: Callable[[str], str] | None = None  # an action's access level (the catalog's)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


def effective(principal: Principal) -> frozenset[str]:
    """The actions the principal may perform on at least some resource."""
    allowed: set[str] = set()
    for policy in principal.policies:
        allowed.update(policy.allow)
    allowed -= _denied_outright(principal.policies)
    boundary = principal.boundary
    if boundary is not None:
        allowed &= boundary.allow.keys()
        allowed -= _denied_outright((boundary,))
    return frozenset(allowed)


def _denied_outright(policies: Iterable[PolicyAccess]) -> set[str]:
    """Actions a Deny removes on every resource, unconditionally."""
    return {
        action
        for policy in policies
        for action, grants in policy.deny.items()
        if any(g.unconstrained and not g.not_resource for g in grants)
    }


def grants(principal: Principal, action: str) -> list[Grant]:
    """The identity grants that allow `action` (for resources and conditions in a plan)."""
    return [g for p in principal.policies for g in p.allow.get(action, ())]


def wide(principal: Principal, allowed: frozenset[str]) -> frozenset[str]:
    """The effective actions (`allowed`) the principal may perform unconstrained: on every
    resource with no condition, and nothing closing them — no Deny of them with a condition
    (a boundary's "only with this boundary"), a boundary that allows them without one."""
    everything = (*principal.policies, *((principal.boundary,) if principal.boundary else ()))
    found = frozenset().union(*(p.open for p in principal.policies)) & allowed
    found -= frozenset().union(*(p.guarded for p in everything))
    if principal.boundary is not None:
        found &= principal.boundary.open
    return found


def unconstrained(principal: Principal, action: str, allowed: frozenset[str]) -> bool:
    return action in wide(principal, allowed)
