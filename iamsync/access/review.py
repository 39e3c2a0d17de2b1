"""The access review of a plan: who gains and loses which actions, and which risks it brings.

Before is live IAM (attachments, default versions, inline policies, groups, boundaries);
after is the repository. For every owned user and role, effective access is computed on
both sides (a group's policies reach its members); a principal whose inputs did not change
is not recomputed. Findings are checked on the after-state; one the plan introduces is new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from iamsync import normalize
from iamsync.access.effective import PolicyAccess, Principal, effective, grants, index
from iamsync.access.findings import Found, check
from iamsync.catalog import Catalog
from iamsync.codes import Risk
from iamsync.model import Desired, Live
from iamsync.ownership import owned, renames

LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
SHOWN = 12  # gained or lost actions described one by one; the rest are counted


@dataclass(frozen=True)
class Ref:
    type: str  # "user" | "role"
    name: str


@dataclass(frozen=True)
class AccessChange:
    """One principal whose effective actions change (the JSON plan's `access`)."""

    principal: Ref
    gained: tuple[str, ...]  # effective actions, the catalog's spelling
    lost: tuple[str, ...]
    gained_levels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    lost_levels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Display: "ecr:PutImage on arn:… [if …]" for the first gained actions.
    scope: tuple[str, ...] = ()


@dataclass(frozen=True)
class FindingRecord:
    """One risk finding (the JSON plan's `findings`)."""

    code: str
    severity: str  # "high" | "medium" | "low"
    new: bool  # the plan introduces it
    principal: Ref
    message: str


@dataclass(frozen=True)
class AnalyzerFinding:
    """One finding of IAM Access Analyzer's ValidatePolicy (--access-analyzer)."""

    document: str  # "policy deploy", "role app trust policy"
    type: str  # ERROR, SECURITY_WARNING, WARNING, SUGGESTION
    issue: str  # its issue code
    details: str


@dataclass(frozen=True)
class Review:
    access: tuple[AccessChange, ...] = ()
    findings: tuple[FindingRecord, ...] = ()
    # "no effective change for user ci: already granted by policy deploy"
    notes: tuple[str, ...] = ()
    # changed policy ("policy deploy") -> principals it reaches, for a diagram
    reach: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    analyzer: tuple[AnalyzerFinding, ...] = ()  # with --access-analyzer

    def new_at_or_above(self, level: str) -> tuple[FindingRecord, ...]:
        """The findings the plan introduces at `level` ("high", "medium", "low") or above."""
        least = Risk(level).rank
        return tuple(f for f in self.findings if f.new and _rank(f) >= least)


@dataclass(frozen=True)
class _Side:
    principal: Principal
    trust: Any  # a role's trust policy; None for users


def aws_managed(desired: Desired, live: Live) -> set[str]:
    """Policy ARNs owned principals hold (before or after) that are neither customer-managed
    in the account nor in the repository: their documents must be read (GetPolicyVersion)."""
    known = {p.arn for p in live.of("policy").values()}
    known |= {p.arn for p in desired.of("policy").values()}
    prefix = desired.path_prefix
    mine = {
        kind: [r for r in live.of(kind).values() if owned(r.path, prefix)]
        for kind in ("user", "group", "role")
    }
    # Groups an owned user is in, before or after, reach it even when iamsync does not own them.
    joined = {g for u in (*desired.of("user").values(), *mine["user"]) for g in u.groups}
    mine["group"] += [g for n, g in live.of("group").items() if n in joined]
    held: set[str] = set()
    for kind in ("user", "group", "role"):
        for record in (*desired.of(kind).values(), *mine[kind]):
            held |= _policies_of(record)
            boundary = getattr(record, "permissions_boundary", None)
            if boundary:
                held.add(boundary)
    return held - known


def review(
    desired: Desired,
    live: Live,
    documents: Mapping[str, Any],
    catalog: Catalog,
    changed: Iterable[str] = (),
) -> Review:
    """The access review. `documents`: AWS-managed ARN -> default document; `changed`: the
    names of the managed policies the plan creates or updates."""
    indexer = _Indexer(catalog)
    before = _live_sides(live, desired, documents, indexer)
    after = _desired_sides(desired, live, documents, indexer)
    access: list[AccessChange] = []
    findings: list[FindingRecord] = []
    notes: list[str] = []
    for label in sorted(set(before) | set(after)):
        was, now = before.get(label), after.get(label)
        now_allowed = effective(now.principal) if now else frozenset()
        now_found = check(now.principal, now_allowed, now.trust, live.account_id) if now else []
        if was is not None and now is not None and _same(was, now):
            findings += [_record(f, new=False) for f in now_found]
            continue
        was_allowed = effective(was.principal) if was else frozenset()
        was_found = check(was.principal, was_allowed, was.trust, live.account_id) if was else []
        old = {(f.code, f.message) for f in was_found}
        findings += [_record(f, new=(f.code, f.message) not in old) for f in now_found]
        gained, lost = now_allowed - was_allowed, was_allowed - now_allowed
        if gained or lost:
            access.append(_change(label, gained, lost, now, catalog))
        elif now is not None and was is not None:
            notes.append(_already(label, was, now))
    return Review(
        tuple(access),
        tuple(sorted(findings, key=lambda f: (not f.new, -_rank(f), f.principal.name))),
        tuple(n for n in notes if n),
        MappingProxyType(_reach(desired, set(changed))),
    )


# -- building each side -----------------------------------------------------------------------


class _Indexer:
    """One index per distinct document: principals that share a policy share its index."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cache: dict[tuple[str, str], PolicyAccess] = {}  # by content: shared by sides
        self.seen: dict[tuple[str, int], tuple[Any, PolicyAccess]] = {}  # by object: cheap

    def __call__(self, source: str, document: Any) -> PolicyAccess:
        known = self.seen.get((source, id(document)))
        if known is not None and known[0] is document:
            return known[1]
        key = (source, normalize.dumps(document))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = index(document, source, self.catalog)
        self.seen[(source, id(document))] = (document, found)  # holds the document: ids stay
        return found


def _documents(desired: Desired | None, live: Live, aws_docs: Mapping[str, Any]) -> dict[str, Any]:
    """Policy ARN -> the document it has on this side (repository first, then live IAM)."""
    docs = {arn: doc for arn, doc in aws_docs.items()}
    docs.update({p.arn: p.default.document for p in live.of("policy").values()})
    if desired is not None:
        docs.update({p.arn: p.document for p in desired.of("policy").values()})
    return docs


def _name(arn: str) -> str:
    return "policy " + arn.rsplit("/", 1)[-1]


def _side(
    kind: str,
    record: Any,
    attached: Iterable[str],
    inline: Mapping[str, Any],
    groups: Iterable[Any],
    docs: Mapping[str, Any],
    indexer: _Indexer,
    trust: Any = None,
    name: str | None = None,
) -> _Side:
    """`name`: the principal's name when it differs from the record's (a live principal a
    file renames is reviewed under its new name, so its access is compared, not replaced)."""
    name = name or record.name
    held = [indexer(_name(arn), docs[arn]) for arn in sorted(attached) if arn in docs]
    held += [indexer(f"inline policy {n} of {kind} {name}", d) for n, d in inline.items()]
    for group in groups:
        held += [
            indexer(f"{_name(arn)} (via group {group.name})", docs[arn])
            for arn in sorted(_policies_of(group))
            if arn in docs
        ]
        held += [
            indexer(f"inline policy {n} of group {group.name}", d) for n, d in group.inline.items()
        ]
    boundary_arn = record.permissions_boundary
    boundary = (
        indexer(f"boundary {_name(boundary_arn)}", docs[boundary_arn])
        if boundary_arn and boundary_arn in docs
        else None
    )
    level = indexer.catalog.access_level
    return _Side(Principal(kind, name, tuple(held), boundary, level), trust)


def _policies_of(record: Any) -> frozenset[str]:
    """A desired principal's policies, or a live one's attachments."""
    if hasattr(record, "policies"):
        return frozenset(record.policies)
    return frozenset(record.attached)


def _live_sides(
    live: Live, desired: Desired, aws_docs: Mapping[str, Any], indexer: _Indexer
) -> dict[str, _Side]:
    docs = _documents(None, live, aws_docs)
    prefix = desired.path_prefix
    moved = renames(desired, live)
    regrouped = moved.get("group", {})
    groups = {  # a renamed group's policies reach its members under its new name
        name: replace(group, name=regrouped[name]) if name in regrouped else group
        for name, group in live.of("group").items()
    }
    sides = {}
    for user in live.of("user").values():
        if owned(user.path, prefix):
            name = moved.get("user", {}).get(user.name, user.name)
            member_of = [groups[g] for g in sorted(user.groups) if g in groups]
            sides[f"user {name}"] = _side(
                "user", user, user.attached, user.inline, member_of, docs, indexer, name=name
            )
    for role in live.of("role").values():
        if owned(role.path, prefix):
            sides[f"role {role.name}"] = _side(
                "role", role, role.attached, role.inline, (), docs, indexer, role.trust
            )
    return sides


def _desired_sides(
    desired: Desired, live: Live, aws_docs: Mapping[str, Any], indexer: _Indexer
) -> dict[str, _Side]:
    docs = _documents(desired, live, aws_docs)
    managed, existing = desired.of("group"), live.of("group")
    sides = {}
    for user in desired.of("user").values():
        member_of = [managed.get(g) or existing.get(g) for g in sorted(user.groups)]
        sides[f"user {user.name}"] = _side(
            "user", user, user.policies, user.inline, [g for g in member_of if g], docs, indexer
        )
    for role in desired.of("role").values():
        sides[f"role {role.name}"] = _side(
            "role", role, role.policies, role.inline, (), docs, indexer, role.trust
        )
    return sides


def _same(a: _Side, b: _Side) -> bool:
    """The same inputs: the same documents (shared index objects), boundary and trust."""
    return (
        [id(p) for p in a.principal.policies] == [id(p) for p in b.principal.policies]
        and a.principal.boundary is b.principal.boundary
        and normalize.canonical(a.trust) == normalize.canonical(b.trust)
    )


# -- words -------------------------------------------------------------------------------------


def _change(
    label: str, gained: frozenset[str], lost: frozenset[str], now: _Side | None, catalog: Catalog
) -> AccessChange:
    kind, _, name = label.partition(" ")
    scope: list[str] = []
    if now is not None:
        for action in sorted(gained)[:SHOWN]:
            where = sorted(
                {
                    ("all but " if g.not_resource else "")
                    + ", ".join(g.resources)
                    + (f" if {g.condition}" if g.condition else "")
                    for g in grants(now.principal, action)
                }
            )
            scope.append(f"{action} on {'; '.join(where)}")
    return AccessChange(
        Ref(kind, name),
        tuple(sorted(gained)),
        tuple(sorted(lost)),
        MappingProxyType(_levels(gained, catalog)),
        MappingProxyType(_levels(lost, catalog)),
        tuple(scope),
    )


def _levels(actions: Iterable[str], catalog: Catalog) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in actions:
        level = catalog.access_level(action) or "Unknown"
        counts[level] = counts.get(level, 0) + 1
    return {k: counts[k] for k in (*LEVELS, "Unknown") if k in counts}


def _already(label: str, was: _Side, now: _Side) -> str:
    """A principal whose policies changed but whose effective access did not: why."""
    old = {id(p) for p in was.principal.policies}
    fresh = [p for p in now.principal.policies if id(p) not in old]
    if not fresh:
        return ""
    covering = sorted(
        {
            other.source
            for p in fresh
            for action in p.allow
            for other in now.principal.policies
            if other is not p and id(other) in old and action in other.allow
        }
    )
    by = f": already granted by {', '.join(covering)}" if covering else ""
    return f"no effective change for {label}{by}"


def _record(found: Found, *, new: bool) -> FindingRecord:
    kind, _, name = found.principal.partition(" ")
    return FindingRecord(found.code, found.risk.value, new, Ref(kind, name), found.message)


def _rank(f: FindingRecord) -> int:
    return Risk(f.severity).rank


def _reach(desired: Desired, changed: set[str]) -> dict[str, tuple[str, ...]]:
    """Each changed managed policy -> the principals holding it after (groups' members)."""
    by_arn = {p.arn: n for n, p in desired.of("policy").items() if n in changed}
    reach: dict[str, set[str]] = {}
    groups = desired.of("group")
    for kind in ("user", "role"):
        for record in desired.of(kind).values():
            held = set(record.policies)
            for g in getattr(record, "groups", ()):
                if g in groups:
                    held |= groups[g].policies
            for arn in held & by_arn.keys():
                reach.setdefault(f"policy {by_arn[arn]}", set()).add(f"{kind} {record.name}")
    return {k: tuple(sorted(v)) for k, v in sorted(reach.items())}
