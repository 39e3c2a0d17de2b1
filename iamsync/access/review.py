"""The access review of a plan: who gains, loses, widens and narrows which access, and
which risks it brings (pure).

Every principal the plan reaches is reviewed, owned or not (iamsync.access.sides): its
effective access is computed before and after, per action and resource. A principal whose
inputs (documents, boundary, trust) do not change is not reviewed at all: a plan that
changes nothing reviews nothing. Findings are checked on both sides; one the plan
introduces is new, one the principal already had is listed as not new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from iamsync.access import compare, sides
from iamsync.access.compare import Difference, Widening
from iamsync.access.effective import Evaluator, Holdings, Scope
from iamsync.access.findings import Context, Found, LiveRole, check, trusted
from iamsync.access.sides import Roles
from iamsync.core.codes import Risk
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import owned
from iamsync.iam.catalog import Catalog

LEVELS = ("Permissions management", "Write", "Tagging", "Read", "List")
SHOWN = 12  # gained actions described one by one with their resources; the rest are counted

aws_managed = sides.aws_managed  # what pipeline reads before reviewing


@dataclass(frozen=True)
class Ref:
    type: str  # its kind ("user", "role", any kind whose access role is principal)
    name: str
    owned: bool = True  # iamsync manages it (False: reached through a policy or group)


@dataclass(frozen=True)
class AccessChange:
    """One principal whose effective access changes (the JSON plan's `access`)."""

    principal: Ref
    gained: tuple[str, ...]  # effective actions, the catalog's spelling
    lost: tuple[str, ...]
    widened: tuple[Widening, ...] = ()  # kept, on more resources or with fewer conditions
    narrowed: tuple[Widening, ...] = ()  # kept, on fewer resources
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
        return tuple(f for f in self.findings if f.new and rank(f) >= least)


def review(
    desired: Desired,
    live: Live,
    documents: Mapping[str, Any],
    catalog: Catalog,
    changed: Iterable[str] = (),
    *,
    roles: Roles,
) -> Review:
    """The access review. `documents`: AWS-managed ARN -> default document; `changed`: the
    names of the managed policies the plan creates or updates (for the reach diagram);
    `roles`: what each kind is to access (kinds.access_roles())."""
    indexer = sides.Indexer(catalog)
    evaluator = Evaluator(catalog)
    before, old_build = sides.live_sides(live, desired, documents, indexer, roles)
    after, new_build = sides.desired_sides(desired, live, documents, indexer, roles)
    was_ctx = _context(evaluator, live, None, old_build, roles)
    now_ctx = _context(evaluator, live, desired, new_build, roles)
    differences: dict[tuple[Any, Any], Difference] = {}
    changes: dict[tuple[Any, Any], AccessChange] = {}
    access: list[AccessChange] = []
    findings: list[FindingRecord] = []
    notes: list[str] = []
    reviewed = []
    for label in sorted(set(before) | set(after)):
        was, now = before.get(label), after.get(label)
        if was is not None and now is not None and sides.same(was, now):
            continue  # its inputs do not change: nothing to review
        # principals whose inputs are alike share a difference and its words (keyed by
        # what they hold, never by a Holdings' id: the evaluator keeps only recent ones)
        key = (
            evaluator.key(was.principal) if was else None,
            evaluator.key(now.principal) if now else None,
        )
        reviewed.append((label, was, now, key))
    alike = Counter(key for *_, key in reviewed)  # kept only where another one shares it
    before.clear()
    after.clear()
    reviewed.reverse()
    while reviewed:  # in order; each one's sides (its principals) go once it is said
        label, was, now, key = reviewed.pop()
        ref = _ref(label, (now or was).owned)  # type: ignore[union-attr]
        now_found = check(now.principal, now_ctx, now.trust) if now else []
        was_found = check(was.principal, was_ctx, was.trust) if was else []
        old = {(f.code, f.message) for f in was_found}
        findings += [_record(f, ref, new=(f.code, f.message) not in old) for f in now_found]
        hb = evaluator.holdings(was.principal) if was else None
        ha = evaluator.holdings(now.principal) if now else None
        diff = differences.get(key)
        if diff is None:
            diff = compare.difference(hb, ha)
            if alike[key] > 1:
                differences[key] = diff
        if not diff.none:
            said = changes.get(key)
            if said is None:
                said = _change(ref, diff, ha, catalog)
                if alike[key] > 1:
                    changes[key] = said
            access.append(replace(said, principal=ref))
        elif was is not None and now is not None and hb is not None and ha is not None:
            notes.append(_already(label, was, now, hb, ha))
        if was is not None and now is not None and was.trust != now.trust:
            notes.append(_trust_note(label, was.trust, now.trust))
    return Review(
        tuple(access),
        tuple(sorted(findings, key=lambda f: (not f.new, -rank(f), f.principal.name))),
        tuple(n for n in notes if n),
        MappingProxyType(_reach(desired, set(changed), roles)),
    )


def _context(
    evaluator: Evaluator, live: Live, desired: Desired | None, build: Any, roles: Roles
) -> Context:
    """What the rules know of one side: the roles one may assume (trust, boundary) and its
    documents."""
    assumable: dict[tuple[str, str], LiveRole] = {}
    for kind in roles.assumable:
        after = desired.of(kind) if desired is not None else None
        prefix = desired.path_prefix if desired is not None else ""
        for name, r in live.of(kind).items():
            if after is None or name in after or not owned(r, prefix):  # else the plan deletes it
                assumable[kind, name] = LiveRole(r.arn, r.trust, r.permissions_boundary)
        for name, r in (after or {}).items():
            assumable[kind, name] = LiveRole(r.arn, r.trust, r.permissions_boundary)
    return Context(
        evaluator, live.account_id, live.partition, tuple(assumable.values()), build.documents()
    )


def _ref(label: str, is_owned: bool) -> Ref:
    kind, _, name = label.partition(" ")
    return Ref(kind, name, is_owned)


# -- words -------------------------------------------------------------------------------------


def _change(ref: Ref, diff: Difference, after: Holdings | None, catalog: Catalog) -> AccessChange:
    scope: list[str] = []
    if after is not None:
        for action in sorted(diff.gained, key=_by_level(catalog))[:SHOWN]:
            where = sorted({g.describe() for g in after.grants(action)})
            scope.append(f"{action} on {'; '.join(where)}")
    return AccessChange(
        ref,
        tuple(sorted(diff.gained)),
        tuple(sorted(diff.lost)),
        diff.widened,
        diff.narrowed,
        MappingProxyType(levels(diff.gained, catalog)),
        MappingProxyType(levels(diff.lost, catalog)),
        tuple(scope),
    )


def _by_level(catalog: Catalog) -> Any:
    """Most dangerous first: Permissions management, Write, Tagging, Read, List."""
    order = {level: i for i, level in enumerate(LEVELS)}
    return lambda a: (order.get(catalog.access_level(a), len(LEVELS)), a)


def levels(actions: Iterable[str], catalog: Catalog) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in actions:
        level = catalog.access_level(action) or "Unknown"
        counts[level] = counts.get(level, 0) + 1
    return {k: counts[k] for k in (*LEVELS, "Unknown") if k in counts}


def _already(label: str, was: sides.Side, now: sides.Side, hb: Holdings, ha: Holdings) -> str:
    """A principal whose policies changed but whose effective access did not: why, naming
    only policies that really grant (action and resources) what a new policy grants."""
    old = {id(p) for p in was.principal.policies}
    fresh = [p for p in now.principal.policies if id(p) not in old]
    if not fresh:
        return f"no effective change for {label}" if was.principal != now.principal else ""
    kept = [p for p in now.principal.policies if id(p) in old]
    covering: set[str] = set()
    for p in fresh:
        for action in p.allowed & ha.allowed:
            mine = {g.key for g in p.allow.get(action, ())}
            for other in kept:
                theirs = {g.key for g in other.allow.get(action, ())}
                if theirs and all(_granted(theirs, g) for g in mine):
                    covering.add(other.source)
    by = f": already granted by {', '.join(sorted(covering))}" if covering else ""
    return f"no effective change for {label}{by}"


def _granted(theirs: set[Any], grant: Any) -> bool:
    outer = Scope(frozenset(theirs), frozenset(), False, None)
    inner = Scope(frozenset({grant}), frozenset(), False, None)
    return compare.contains(outer, inner)


def _trust_note(label: str, before: Any, after: Any) -> str:
    """ "who may assume role ops: now also AWS arn:…:user/intern; no longer Service …"."""
    was, now = trusted(before), trusted(after)
    added = [f"{k} {n}" for k, n in now if (k, n) not in was]
    removed = [f"{k} {n}" for k, n in was if (k, n) not in now]
    parts = [f"now also {', '.join(added)}"] if added else []
    parts += [f"no longer {', '.join(removed)}"] if removed else []
    return f"who may assume {label}: {'; '.join(parts) or 'its trust conditions change'}"


def _record(found: Found, ref: Ref, *, new: bool) -> FindingRecord:
    return FindingRecord(found.code, found.risk.value, new, ref, found.message)


def rank(f: FindingRecord) -> int:
    return Risk(f.severity).rank


def _reach(desired: Desired, changed: set[str], roles: Roles) -> dict[str, tuple[str, ...]]:
    """Each changed managed policy -> the principals holding it after (groups' members)."""
    by_arn = {r.arn: r.name for r, _ in roles.managed(desired) if r.name in changed}
    reach: dict[str, set[str]] = {}
    groups = roles.groups(desired)
    for kind, record in roles.principal_records(desired):
        held = set(record.policies)
        for g in getattr(record, "groups", ()):
            if g in groups:
                held |= groups[g].policies
        for arn in held & by_arn.keys():
            reach.setdefault(f"policy {by_arn[arn]}", set()).add(f"{kind} {record.name}")
    return {k: tuple(sorted(v)) for k, v in sorted(reach.items())}
