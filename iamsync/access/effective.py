"""Effective access: what a principal may do, on which resources, under which conditions (pure).

A policy document becomes an index: action (the catalog's spelling) -> the grants that
allow or deny it, each with its resources and conditions. Wildcards and NotAction are
expanded through the catalog. A principal's effective actions are those some identity
policy allows, that no Deny removes outright (on every resource, with no condition), and
that its permissions boundary allows too. Conditions are carried, not evaluated: a
condition never makes an action disappear, it is said where the action is shown.

Principals that hold the same documents and boundary share one `Holdings`, so each
distinct combination is evaluated once however many principals hold it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from iamsync.access import patterns
from iamsync.iam import normalize
from iamsync.iam.catalog import Catalog
from iamsync.policy.grants import where

NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")
POSITIVE = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")


@dataclass(frozen=True)
class Condition:
    """One entry of a Condition block: an operator on a key with its values."""

    operator: str  # as written: "StringNotEquals", "ForAnyValue:StringLike", "…IfExists"
    key: str  # lower-case
    values: tuple[str, ...]

    @property
    def base(self) -> str:
        """The operator without set qualifier or IfExists: "StringEquals"."""
        op = self.operator.rpartition(":")[2]
        return op.removesuffix("IfExists")

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    @property
    def literal(self) -> bool:
        """Every value names one thing (no wildcard, no policy variable)."""
        return all(not any(c in v for c in "*?") and "${" not in v for v in self.values)


@dataclass(frozen=True)
class Grant:
    """One statement's allow or deny of an action."""

    resources: tuple[str, ...]  # patterns; with not_resource, every resource but these
    not_resource: bool
    condition: str  # canonical JSON of the Condition block; "" when none
    source: str  # display: the policy it comes from, e.g. "policy deploy"
    conditions: tuple[Condition, ...] = ()

    @property
    def key(self) -> tuple[tuple[str, ...], bool, str]:
        """What the grant allows, whichever policy holds it."""
        return (self.resources, self.not_resource, self.condition)

    def every(self, templates: tuple[str, ...] | None) -> bool:
        """An Allow's reach: every resource of one of the action's types (NotResource, all
        but some, counts: the finding errs towards saying more)."""
        return self.not_resource or any(
            patterns.every_resource(r, templates) for r in self.resources
        )

    def blankets(self, templates: tuple[str, ...] | None) -> bool:
        """A Deny's reach: every resource of every one of the action's types (a Deny of
        one optional type, or a NotResource Deny, leaves requests it does not cover)."""
        if self.not_resource:
            return False
        if not templates:
            return any(patterns.every_resource(r, templates) for r in self.resources)
        return all(any(patterns.every_resource(r, (t,)) for r in self.resources) for t in templates)

    def matches(self, arn: str, variables: Mapping[str, str], *, deny: bool = False) -> bool:
        """Whether the grant applies to one resource. A Deny with a variable whose value is
        not known here is not proven to apply (`deny`); an Allow may."""
        hit = any(patterns.matches(r, arn, variables, unknown=not deny) for r in self.resources)
        if self.not_resource and deny:
            return not any(patterns.matches(r, arn, variables) for r in self.resources)
        return hit is not self.not_resource

    def describe(self) -> str:
        """ "arn:…:repository/web", "every resource but arn:…", "* if {…}"."""
        return where(self.resources, excluded=self.not_resource, condition=self.condition)


@dataclass(frozen=True)
class PolicyAccess:
    """One document, indexed by the actions it allows and denies."""

    source: str
    allow: Mapping[str, tuple[Grant, ...]] = field(default_factory=lambda: MappingProxyType({}))
    deny: Mapping[str, tuple[Grant, ...]] = field(default_factory=lambda: MappingProxyType({}))
    allow_not_action: bool = False  # an Allow with NotAction (a finding of its own)
    patterns: tuple[str, ...] = ()  # the Action patterns as written, for display
    # Computed once per document, for every principal that holds it:
    allowed: frozenset[str] = frozenset()  # every action some statement allows
    denied: frozenset[str] = frozenset()  # actions a Deny removes outright
    resources: frozenset[str] = frozenset()  # every Resource pattern of its Allows
    # (Action pattern, Resource pattern) of Allows with no condition, for the rules that
    # name a statement ("allows ecr:* on every resource"); "!a,b" is NotAction a, b
    statements: tuple[tuple[str, str], ...] = ()


def index(document: Any, source: str, catalog: Catalog) -> PolicyAccess:
    """The access index of a document (its canonical form: case and lists normalised)."""
    allow: dict[str, tuple[Grant, ...]] = {}
    deny: dict[str, tuple[Grant, ...]] = {}
    not_action = False
    written: list[str] = []
    statements: list[tuple[str, str]] = []
    denied: set[str] = set()
    for st in normalize.canonical(document, fold_case=False).get("Statement", []):
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny"):
            continue
        actions = _actions(st, catalog)
        action_patterns = [a for a in st.get("Action", []) if isinstance(a, str)]
        written += action_patterns
        grant = _grant(st, source)
        if st["Effect"] == "Allow":
            not_action = not_action or "NotAction" in st
            if not grant.conditions:
                on = ["*"] if grant.not_resource else list(grant.resources)
                written_here = action_patterns or [
                    "!" + ",".join(a for a in st.get("NotAction", []) if isinstance(a, str))
                ]
                statements += [(a, r) for a in written_here for r in on]
            target = allow
        else:
            target = deny
            if not grant.conditions and not grant.not_resource:
                denied.update(_denied_everywhere(grant, actions, catalog))
        alone = (grant,)  # shared by every action of the statement that has no other grant
        for action in actions:
            held = target.get(action)
            target[action] = alone if held is None else (*held, grant)
    return PolicyAccess(
        source,
        MappingProxyType(allow),
        MappingProxyType(deny),
        not_action,
        tuple(written),
        frozenset(allow),
        frozenset(denied),
        frozenset(
            r for gs in allow.values() for g in gs if not g.not_resource for r in g.resources
        ),
        tuple(dict.fromkeys(statements)),
    )


def _grant(st: Mapping[str, Any], source: str) -> Grant:
    block = st.get("Condition")
    conditions = tuple(
        Condition(op, key.lower(), tuple(str(v) for v in values))
        for op, keys in (block.items() if isinstance(block, dict) else ())
        if isinstance(keys, dict)
        for key, values in keys.items()
        if isinstance(values, list)
    )
    return Grant(
        tuple(st.get("Resource") or st.get("NotResource") or ["*"]),
        "NotResource" in st,
        normalize.dumps(block) if "Condition" in st else "",
        source,
        conditions,
    )


def _denied_everywhere(grant: Grant, actions: frozenset[str], catalog: Catalog) -> set[str]:
    """The actions an unconditional Deny removes on every resource. Only actions of the
    services its ARNs name are looked up (a Deny of "*" on one role is about IAM)."""
    if "*" in grant.resources:
        return set(actions)
    services = {r.split(":")[2].lower() if r.count(":") >= 5 else "*" for r in grant.resources}
    if any(patterns.STAR in patterns.tokens(s) or "?" in s or "$" in s for s in services):
        candidates: Iterable[str] = actions
    else:
        candidates = [a for a in actions if a.partition(":")[0].lower() in services]
    return {a for a in candidates if grant.blankets(catalog.resource_arns(a))}


def _actions(st: Mapping[str, Any], catalog: Catalog) -> frozenset[str]:
    if "Action" in st:
        return frozenset().union(*(catalog.action_names(p) for p in st["Action"]))
    excluded = frozenset().union(*(catalog.action_names(p) for p in st.get("NotAction", [])))
    return catalog.action_names("*") - excluded


@dataclass(frozen=True)
class Principal:
    """What one principal holds: identity policies (its own and its groups'), a boundary,
    and who it is (the self-targeting rules read its ARN, policies and groups)."""

    kind: str  # its kind's type, for labels ("user ci"); IAM's rules read `iam_type`
    name: str
    policies: tuple[PolicyAccess, ...]
    boundary: PolicyAccess | None = None
    level: Callable[[str], str] | None = None  # an action's access level (the catalog's)
    arn: str = ""
    held: tuple[str, ...] = ()  # ARNs of the managed policies it holds (groups' included)
    groups: tuple[str, ...] = ()  # ARNs of its groups
    boundary_arn: str | None = None
    owned: bool = True

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def iam_type(self) -> str:
        """The IAM resource type its ARN names ("user", "role"): what IAM's own rules about
        callers depend on (aws:username, one's own credentials); "" without an ARN."""
        parts = self.arn.split(":", 5)
        return parts[5].split("/", 1)[0] if len(parts) == 6 else ""

    @property
    def variables(self) -> Mapping[str, str]:
        """The policy variables IAM fixes for this principal's own requests."""
        return {"aws:username": self.name} if self.iam_type == "user" else {}


@dataclass(frozen=True)
class Opening:
    """How an action is allowed on every resource: the conditions of its least
    conditioned way, and the conditional Denies that may still apply."""

    conditions: tuple[Condition, ...]
    denies: tuple[Grant, ...]
    limits: tuple[str, ...] = ()  # an unconditional NotResource Deny leaves only these

    def note(self) -> str:
        """ " (only on …; only if …; a Deny applies if …)" — what may make the path not hold."""
        parts = [f"only on {', '.join(self.limits)}"] if self.limits else []
        if self.conditions:
            parts.append("only if " + " and ".join(_said(c) for c in self.conditions))
        if self.denies:
            parts.append("a Deny applies if " + "; ".join(d.condition for d in self.denies))
        return f" ({'; '.join(parts)})" if parts else ""


def _said(c: Condition) -> str:
    return f"{c.operator} {c.key} {', '.join(c.values)}"


# Closes(condition, in_deny) -> whether that condition entry closes a path.
Closes = Callable[[Condition, bool], bool]


class Holdings:
    """What a set of identity policies and a boundary allow together."""

    def __init__(
        self, policies: tuple[PolicyAccess, ...], boundary: PolicyAccess | None, catalog: Catalog
    ) -> None:
        self.policies = policies
        self.boundary = boundary
        self.catalog = catalog
        self._ways: dict[str, tuple[tuple[Condition, ...], ...]] = {}

    @cached_property
    def allowed(self) -> frozenset[str]:
        """The effective actions: allowed somewhere, not denied outright, within the boundary."""
        allowed = frozenset().union(*(p.allowed for p in self.policies))
        allowed -= frozenset().union(*(p.denied for p in self.policies))
        if self.boundary is not None:
            allowed &= self.boundary.allowed
            allowed -= self.boundary.denied
        return allowed

    def grants(self, action: str) -> list[Grant]:
        """The identity grants that allow `action`."""
        return [g for p in self.policies for g in p.allow.get(action, ())]

    def denies(self, action: str) -> list[Grant]:
        everything = (*self.policies, *((self.boundary,) if self.boundary else ()))
        return [g for p in everything for g in p.deny.get(action, ())]

    def ways(self, action: str) -> tuple[tuple[Condition, ...], ...]:
        """The condition sets under which `action` is allowed on every resource: one per
        (identity grant, boundary grant) pair that both reach every resource."""
        found = self._ways.get(action)
        if found is None:
            found = self._ways[action] = self._every_ways(action)
        return found

    def _every_ways(self, action: str) -> tuple[tuple[Condition, ...], ...]:
        if action not in self.allowed:
            return ()
        templates = self.catalog.resource_arns(action)
        mine = {g.conditions for g in self.grants(action) if g.every(templates)}
        if self.boundary is None:
            return tuple(sorted(mine, key=len))
        caps = {g.conditions for g in self.boundary.allow.get(action, ()) if g.every(templates)}
        ways = {tuple(dict.fromkeys((*a, *b))) for a in mine for b in caps}
        return tuple(sorted(ways, key=len))

    def opening(self, action: str, closes: Closes | None = None) -> Opening | None:
        """How `action` is allowed on every resource, or None when it is not, or when
        every way is closed by a condition `closes` recognises (an Allow closes when one
        of its entries does; a Deny on every resource closes when all of its entries do)."""
        ways = self.ways(action)
        if not ways:
            return None
        templates = self.catalog.resource_arns(action)
        denies = tuple(g for g in self.denies(action) if g.conditions and g.blankets(templates))
        if closes is not None:
            if any(all(closes(c, True) for c in d.conditions) for d in denies):
                return None
            ways = tuple(w for w in ways if not any(closes(c, False) for c in w))
            if not ways:
                return None
            denies = tuple(d for d in denies if not any(closes(c, True) for c in d.conditions))
        return Opening(ways[0], denies, self.limits(action) or ())

    def on(
        self, action: str, arn: str, variables: Mapping[str, str], closes: Closes | None = None
    ) -> Opening | None:
        """Whether `action` is allowed on one concrete resource, and under what conditions."""
        if action not in self.allowed:
            return None
        mine = [g.conditions for g in self.grants(action) if g.matches(arn, variables)]
        if self.boundary is not None:
            caps = [
                g.conditions
                for g in self.boundary.allow.get(action, ())
                if g.matches(arn, variables)
            ]
            mine = [tuple(dict.fromkeys((*a, *b))) for a in mine for b in caps]
        denies = [g for g in self.denies(action) if g.matches(arn, variables, deny=True)]
        if any(not d.conditions for d in denies):
            return None
        if closes is not None:
            mine = [w for w in mine if not any(closes(c, False) for c in w)]
            if any(all(closes(c, True) for c in d.conditions) for d in denies):
                return None
        if not mine:
            return None
        return Opening(min(mine, key=len), tuple(d for d in denies))

    def caps(self, action: str) -> list[Grant]:
        """The boundary's grants of `action` (none without a boundary)."""
        return list(self.boundary.allow.get(action, ())) if self.boundary else []

    def limits(self, action: str) -> tuple[str, ...] | None:
        """The resources an unconditional NotResource Deny leaves `action` on ("only on
        these"), or None when no such Deny limits it."""
        found = [g.resources for g in self.denies(action) if g.not_resource and not g.conditions]
        return found[0] if found else None

    def scope(self, action: str) -> Scope:
        """What decides on which resources `action` is allowed (for widened / narrowed)."""
        boundary = self.boundary
        return Scope(
            frozenset(g.key for g in self.grants(action)),
            frozenset(g.key for g in self.denies(action)),
            boundary is not None,
            frozenset(g.key for g in boundary.allow.get(action, ())) if boundary else None,
        )


@dataclass(frozen=True)
class Scope:
    allows: frozenset[tuple[tuple[str, ...], bool, str]]
    denies: frozenset[tuple[tuple[str, ...], bool, str]]
    bounded: bool
    caps: frozenset[tuple[tuple[str, ...], bool, str]] | None  # the boundary's allows

    def patterns(self) -> list[str]:
        """The resources on which the action is allowed, as a reviewer reads them."""
        return sorted(_describe(k) for k in self.allows)


def _describe(key: tuple[tuple[str, ...], bool, str]) -> str:
    resources, not_resource, condition = key
    return where(resources, excluded=not_resource, condition=condition)


HoldingsKey = tuple[tuple[int, ...], int]
HELD = 512  # the Holdings kept at once: the most recently used (a review of 5,000 new
# principals held every one of them, tens of MB at its peak, for no later use)


class Evaluator:
    """One per review: Holdings shared by every principal that holds the same documents
    (the most recent HELD of them kept; the rest are computed again when asked)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._holdings: dict[HoldingsKey, Holdings] = {}
        self._keep: list[Any] = []  # the indexed documents stay alive: their ids stay unique
        self._admin: PolicyAccess | None = None
        self._admin_holdings: dict[int, Holdings] = {}  # by boundary: asked for often

    def admin_under(self, boundary: PolicyAccess) -> Holdings:
        """An administrator (Allow * on *) under `boundary`: what the boundary contains."""
        if self._admin is None:
            everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
            doc = {"Version": "2012-10-17", "Statement": [everything]}
            self._admin = index(doc, "administrator", self.catalog)
        found = self._admin_holdings.get(id(boundary))
        if found is None:
            admin = Principal("user", "administrator", (self._admin,), boundary)
            found = self._admin_holdings[id(boundary)] = Holdings(
                (self._admin,), boundary, self.catalog
            )
            self._keep.append((admin.policies, boundary))
        return found

    @staticmethod
    def key(principal: Principal) -> HoldingsKey:
        """What its Holdings depend on: the documents it holds (each once) and its boundary.
        Stable for the review (the documents stay alive), unlike a Holdings' id."""
        return tuple(sorted({id(p) for p in principal.policies})), id(principal.boundary)

    def holdings(self, principal: Principal) -> Holdings:
        key = self.key(principal)
        found = self._holdings.pop(key, None)
        if found is None:
            unique = tuple({id(p): p for p in principal.policies}.values())
            found = Holdings(unique, principal.boundary, self.catalog)
            self._keep.append((principal.policies, principal.boundary))
            if len(self._holdings) >= HELD:
                del self._holdings[next(iter(self._holdings))]  # the least recently used
        self._holdings[key] = found  # the most recent last
        return found


def effective(principal: Principal, evaluator: Evaluator) -> frozenset[str]:
    """The actions the principal may perform on at least some resource."""
    return evaluator.holdings(principal).allowed
