"""The two sides of an access review: every principal a plan reaches, before and after (pure).

Before is live IAM (attachments, default versions, inline policies, groups, boundaries);
after is live IAM with the repository applied. Owned users and roles are on both sides;
so is every principal iamsync does not own that the plan reaches: one holding a managed
policy that changes (attached, or as its boundary), a member of a managed group that
changes, a member of an unowned group holding a changed policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from iamsync.access.effective import PolicyAccess, Principal, index
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import owned, renames
from iamsync.iam import normalize
from iamsync.iam.catalog import Catalog


@dataclass(frozen=True)
class Roles:
    """What the registered kinds are to access, by kind type (the kinds layer makes it:
    kinds.access_roles()); the review reads records by these roles and names no kind.

    A principal's record holds managed documents (`attached` live, `policies` desired),
    `inline` ones, a `permissions_boundary`, maybe `groups` (names of `group` records) and,
    when its kind is `assumable`, a `trust` policy; a group's record holds documents the
    same way and passes them to its members; `documents` reads a managed document's
    content from its record."""

    # No defaults: a Roles made by accident with no principals would review nobody and
    # say "no effective change" for every plan.
    principals: tuple[str, ...]
    group: str  # "" when no kind is a group
    documents: Mapping[str, Callable[[Any], Any]]
    assumable: tuple[str, ...]

    def principal_records(self, state: Desired | Live) -> Iterator[tuple[str, Any]]:
        """(kind, record) of every principal on this side."""
        return ((t, r) for t in self.principals for r in state.of(t).values())

    def groups(self, state: Desired | Live) -> Mapping[str, Any]:
        return state.of(self.group) if self.group else {}

    def managed(self, state: Desired | Live) -> Iterator[tuple[Any, Any]]:
        """(record, content) of every managed document on this side."""
        return ((r, read(r)) for t, read in self.documents.items() for r in state.of(t).values())

    @property
    def holders(self) -> tuple[str, ...]:
        """The kinds whose records hold documents: principals and groups."""
        return (*self.principals, *((self.group,) if self.group else ()))


class Side:
    """One principal on one side. `key` says what decides its access (its documents by
    content, boundary, trust): two sides with equal keys have the same access, and the
    principal itself (each document indexed) is built only when a review needs it."""

    def __init__(self, key: Any, make: Callable[[], Principal], trust: Any, owned: bool) -> None:
        self.key = key
        self._make = make
        self.trust = trust  # a role's trust policy; None for users
        self.owned = owned

    @cached_property
    def principal(self) -> Principal:
        return self._make()


class Indexer:
    """One index per distinct document: principals that share a policy share its index."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cache: dict[tuple[str, str], PolicyAccess] = {}  # by content: shared by sides
        self.seen: dict[int, tuple[Any, str]] = {}  # by object: its content, computed once

    def content(self, document: Any) -> str:
        known = self.seen.get(id(document))
        if known is not None and known[0] is document:
            return known[1]
        text = normalize.dumps(document)
        self.seen[id(document)] = (document, text)  # holds the document: its id stays
        return text

    def __call__(self, source: str, document: Any) -> PolicyAccess:
        key = (source, self.content(document))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = index(document, source, self.catalog)
        return found


def documents(
    desired: Desired | None, live: Live, aws_docs: Mapping[str, Any], roles: Roles
) -> dict[str, Any]:
    """Policy ARN -> the document it has on this side (repository first, then live IAM)."""
    docs = dict(aws_docs)
    docs.update({r.arn: content for r, content in roles.managed(live)})
    if desired is not None:
        docs.update({r.arn: content for r, content in roles.managed(desired)})
    return docs


def policy_name(arn: str) -> str:
    return "policy " + arn.rsplit("/", 1)[-1]


def policies_of(record: Any) -> frozenset[str]:
    """A desired principal's policies, or a live one's attachments."""
    if hasattr(record, "policies"):
        return frozenset(record.policies)
    return frozenset(record.attached)


# -- what the plan reaches -----------------------------------------------------------------


class _Changes:
    """Which managed policies and groups the plan changes, asked only of the ones a
    principal iamsync does not own holds (most accounts: none, and nothing is compared)."""

    def __init__(self, desired: Desired, live: Live, roles: Roles) -> None:
        prefix = desired.path_prefix
        self.have = {r.arn: doc for r, doc in roles.managed(live) if owned(r, prefix)}
        self.want = {r.arn: doc for r, doc in roles.managed(desired)}
        self.moved = renames(desired, live).get(roles.group, {})
        self.desired, self.prefix, self.roles = desired, prefix, roles
        self._policies: dict[str, bool] = {}

    def policy(self, arn: str | None) -> bool:
        """The plan creates, changes or deletes this policy's document."""
        if arn is None or (arn not in self.have and arn not in self.want):
            return False
        if arn not in self._policies:
            self._policies[arn] = (
                arn not in self.have
                or arn not in self.want
                or not normalize.equal(self.have[arn], self.want[arn])
            )
        return self._policies[arn]

    def group(self, group: Any) -> bool:
        """An owned group whose policies the plan changes, renames or deletes; an unowned one
        holding a changed policy."""
        if not owned(group, self.prefix):
            return any(self.policy(a) for a in group.attached)
        want = self.roles.groups(self.desired).get(self.moved.get(group.name, group.name))
        return want is None or group.name in self.moved or not _same_group(want, group)


def _same_group(want: Any, have: Any) -> bool:
    if set(want.policies) != set(have.attached) or want.inline.keys() != have.inline.keys():
        return False
    return all(normalize.equal(d, have.inline[n]) for n, d in want.inline.items())


def reached_unowned(desired: Desired, live: Live, roles: Roles) -> dict[str, list[Any]]:
    """kind -> the live principals iamsync does not own that the plan reaches: holding a
    changed policy (attached or as boundary), or in a group that changes or holds one."""
    prefix = desired.path_prefix
    changes = _Changes(desired, live, roles)
    groups = roles.groups(live)
    found: dict[str, list[Any]] = {t: [] for t in roles.principals}
    for kind, record in roles.principal_records(live):
        if owned(record, prefix):
            continue
        held = (*record.attached, record.permissions_boundary)
        joined = [groups[g] for g in getattr(record, "groups", ()) if g in groups]
        if any(changes.policy(a) for a in held) or any(changes.group(g) for g in joined):
            found[kind].append(record)
    return found


def aws_managed(desired: Desired, live: Live, roles: Roles) -> set[str]:
    """Policy ARNs the reviewed principals hold (before or after) that are neither
    customer-managed in the account nor in the repository: their documents must be read
    (GetPolicyVersion). Principals iamsync does not own count only when the plan reaches
    them."""
    known = {r.arn for state in (live, desired) for r, _ in roles.managed(state)}
    prefix = desired.path_prefix
    mine = {t: [r for r in live.of(t).values() if owned(r, prefix)] for t in roles.holders}
    for kind, reached in reached_unowned(desired, live, roles).items():
        mine[kind] += reached
    # Groups a reviewed principal is in, before or after, reach it even when iamsync does
    # not own them.
    wanted = [r for _, r in roles.principal_records(desired)]
    reviewed = [r for t in roles.principals for r in mine[t]]
    joined = {g for r in (*wanted, *reviewed) for g in getattr(r, "groups", ())}
    if roles.group:
        mine[roles.group] += [g for n, g in roles.groups(live).items() if n in joined]
    held: set[str] = set()
    for kind in roles.holders:
        for record in (*desired.of(kind).values(), *mine[kind]):
            held |= policies_of(record)
            boundary = getattr(record, "permissions_boundary", None)
            if boundary:
                held.add(boundary)
    return held - known


# -- building each side --------------------------------------------------------------------


@dataclass(frozen=True)
class Builder:
    """Makes one side's principals from records, with that side's documents."""

    docs: Mapping[str, Any]
    indexer: Indexer
    account: str
    partition: str

    def side(
        self,
        kind: str,
        record: Any,
        attached: Iterable[str],
        inline: Mapping[str, Any],
        groups: Iterable[Any],
        *,
        trust: Any = None,
        name: str | None = None,
        owned: bool = True,
    ) -> Side:
        """`name`: the principal's name when it differs from the record's (a live principal
        a file renames is reviewed under its new name, so its access is compared)."""
        name = name or record.name
        docs, indexer = self.docs, self.indexer
        arns = sorted(a for a in attached if a in docs)
        held = [(policy_name(arn), docs[arn]) for arn in arns]
        held += [(f"inline policy {n} of {kind} {name}", d) for n, d in inline.items()]
        group_arns: list[str] = []
        for group in groups:
            group_arns.append(group.arn)
            theirs = sorted(a for a in policies_of(group) if a in docs)
            arns += theirs
            held += [(f"{policy_name(arn)} (via group {group.name})", docs[arn]) for arn in theirs]
            held += [
                (f"inline policy {n} of group {group.name}", d) for n, d in group.inline.items()
            ]
        boundary_arn = record.permissions_boundary
        bounded = (
            (f"boundary {policy_name(boundary_arn)}", docs[boundary_arn])
            if boundary_arn and boundary_arn in docs
            else None
        )
        key = (
            tuple((source, indexer.content(d)) for source, d in held),
            (bounded[0], indexer.content(bounded[1])) if bounded else None,
            normalize.dumps(normalize.canonical(trust)) if trust is not None else None,
        )
        arn = self._arn(kind, record, name)

        def make() -> Principal:
            return Principal(
                kind,
                name,
                tuple(indexer(source, d) for source, d in held),
                indexer(*bounded) if bounded else None,
                indexer.catalog.access_level,
                arn=arn,
                held=tuple(dict.fromkeys(arns)),
                groups=tuple(group_arns),
                boundary_arn=boundary_arn,
                owned=owned,
            )

        return Side(key, make, trust, owned)

    def _arn(self, kind: str, record: Any, name: str) -> str:
        arn = str(getattr(record, "arn", "") or "")
        if name == record.name and arn:
            return arn
        path = getattr(record, "path", "/")
        return f"arn:{self.partition}:iam::{self.account}:{kind}{path}{name}"

    def documents(self) -> Callable[[str], PolicyAccess | None]:
        """ARN -> that side's index of the policy (for conditions that name a policy)."""

        def resolve(arn: str) -> PolicyAccess | None:
            doc = self.docs.get(arn)
            return None if doc is None else self.indexer(policy_name(arn), doc)

        return resolve


def live_sides(
    live: Live, desired: Desired, aws_docs: Mapping[str, Any], indexer: Indexer, roles: Roles
) -> tuple[dict[str, Side], Builder]:
    docs = documents(None, live, aws_docs, roles)
    build = Builder(docs, indexer, live.account_id, live.partition)
    prefix = desired.path_prefix
    moved = renames(desired, live)
    regrouped = moved.get(roles.group, {})
    groups = {  # a renamed group's policies reach its members under its new name
        name: replace(group, name=regrouped[name]) if name in regrouped else group
        for name, group in roles.groups(live).items()
    }
    unowned = {k: {r.name for r in v} for k, v in reached_unowned(desired, live, roles).items()}
    sides = {}
    for kind, record in roles.principal_records(live):
        mine = owned(record, prefix) or record.name in desired.of(kind)  # an adoption too
        if mine or record.name in unowned[kind]:
            name = moved.get(kind, {}).get(record.name, record.name) if mine else record.name
            member_of = [groups[g] for g in sorted(getattr(record, "groups", ())) if g in groups]
            sides[f"{kind} {name}"] = build.side(
                kind,
                record,
                record.attached,
                record.inline,
                member_of,
                trust=getattr(record, "trust", None),
                name=name,
                owned=mine,
            )
    return sides, build


def desired_sides(
    desired: Desired, live: Live, aws_docs: Mapping[str, Any], indexer: Indexer, roles: Roles
) -> tuple[dict[str, Side], Builder]:
    docs = documents(desired, live, aws_docs, roles)
    build = Builder(docs, indexer, live.account_id, live.partition)
    managed, existing = roles.groups(desired), roles.groups(live)
    sides = {}
    for kind, record in roles.principal_records(desired):
        joined = sorted(getattr(record, "groups", ()))
        member_of = [managed.get(g) or existing.get(g) for g in joined]
        sides[f"{kind} {record.name}"] = build.side(
            kind,
            record,
            record.policies,
            record.inline,
            [g for g in member_of if g],
            trust=getattr(record, "trust", None),
        )
    after_group = _groups_after(desired, live, roles)
    for kind, reached in reached_unowned(desired, live, roles).items():
        for record in reached:
            joined = sorted(getattr(record, "groups", ()))
            sides[f"{kind} {record.name}"] = build.side(
                kind,
                record,
                record.attached,
                record.inline,
                [after_group[g] for g in joined if after_group.get(g)],
                trust=getattr(record, "trust", None),
                owned=False,
            )
    return sides, build


def _groups_after(desired: Desired, live: Live, roles: Roles) -> dict[str, Any]:
    """Live group name -> the group after the plan (None: deleted), for members iamsync does
    not own (their memberships stay as they are)."""
    moved = renames(desired, live).get(roles.group, {})
    wanted = roles.groups(desired)
    out: dict[str, Any] = {}
    for name, group in roles.groups(live).items():
        if owned(group, desired.path_prefix):
            out[name] = wanted.get(moved.get(name, name))
        else:
            out[name] = group
    return out


def same(a: Side, b: Side) -> bool:
    """The same inputs: the same documents (by content), boundary and trust."""
    return bool(a.key == b.key)
