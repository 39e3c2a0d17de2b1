"""The plan: a pure diff of Desired against Live, as frozen values (no client, no clock)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from iamsync import fingerprint, limits, normalize, ownership
from iamsync.model import (
    COMMIT_TAG,
    Credentials,
    Desired,
    DesiredPolicy,
    DesiredUser,
    Live,
    LivePolicy,
    LiveUser,
    PolicyVersion,
)


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"

    @property
    def is_destructive(self) -> bool:
        return self is Action.DELETE

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-"}[self.value]


@dataclass(frozen=True)
class PolicyChange:
    action: Action
    name: str
    arn: str
    before: Any  # live default document (None on create)
    after: Any  # desired document as written (None on delete)
    reactivate: str | None = None  # make this existing version default instead of creating
    prune: tuple[str, ...] = ()  # non-default versions deleted first, to stay within 5
    delete_versions: tuple[str, ...] = ()  # on delete: non-default versions, removed first
    users: tuple[str, ...] = ()  # display only: owned users whose access this changes
    # Display only: a created and a deleted policy with the same document (a renamed file).
    # IAM cannot rename a policy, so it stays a create and a delete; the plan says which.
    same_document_as: str | None = None  # the other policy's name
    keeps_access: bool = False  # and the same users hold the new one as held the old one
    type: str = field(default="policy", init=False)


@dataclass(frozen=True)
class UserChange:
    action: Action
    name: str
    arn: str
    attach: tuple[str, ...] = ()  # policy ARNs
    detach: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # to set
    untag: tuple[str, ...] = ()
    # Display only: the live values of the tags set or removed (a key absent: a new tag).
    tags_before: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    add_groups: tuple[str, ...] = ()
    remove_groups: tuple[str, ...] = ()
    boundary: str | None = None  # set this permissions boundary
    remove_boundary: bool = False
    # On delete: everything that blocks DeleteUser, removed first (said in the plan).
    inline_policies: tuple[str, ...] = ()
    credentials: Credentials = field(default_factory=Credentials)
    type: str = field(default="user", init=False)


Change = PolicyChange | UserChange


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    account_id: str
    partition: str
    path_prefix: str
    fingerprint: str  # of the live state the plan was computed from
    owned: int = 0  # resources under the prefix in live IAM when the plan was made
    # Provenance, set by the caller: the commit the files were read from ("" when they were
    # not all committed) and a digest of the desired state built from them.
    commit: str = ""
    desired_digest: str = ""

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def deletes_everything(self) -> bool:
        """Every owned resource goes and nothing comes: what an empty or wrong folder plans."""
        deletes = self.count(Action.DELETE)
        return deletes > 0 and deletes >= self.owned and self.count(Action.CREATE) == 0


def doomed_users(desired: Desired, live: Live) -> list[str]:
    """Owned users that the plan will delete: the only ones whose credentials are read."""
    return sorted(
        n
        for n, u in live.users.items()
        if ownership.owned(u.path, desired.path_prefix) and n not in desired.users
    )


def diff(
    desired: Desired, live: Live, credentials: Mapping[str, Credentials] | None = None
) -> Plan:
    """Every change that makes Live equal Desired within the ownership prefix."""
    prefix = desired.path_prefix
    ownership.check(desired, live)
    attached_by = _attachments(live, prefix)
    wanted_by = _wanted_by(desired)
    changes: list[Change | None] = []
    for name, want in sorted(desired.policies.items()):
        users = tuple(sorted(wanted_by.get(want.arn, set()) | attached_by.get(want.arn, set())))
        changes.append(_policy_change(want, live.policies.get(name), users))
    for name, wanted in sorted(desired.users.items()):
        changes.append(_user_change(wanted, live.users.get(name)))
    for name in doomed_users(desired, live):
        changes.append(
            _delete_user(live.users[name], (credentials or {}).get(name), desired.required_boundary)
        )
    for name, policy in sorted(live.policies.items()):
        if ownership.owned(policy.path, prefix) and name not in desired.policies:
            changes.append(_delete_policy(policy, attached_by))
    kept = _mark_renames(tuple(c for c in changes if c), wanted_by, attached_by)
    owned = sum(
        1
        for resources in (live.users.values(), live.policies.values())
        for r in resources
        if ownership.owned(r.path, prefix)
    )
    return Plan(
        kept,
        live.account_id,
        live.partition,
        prefix,
        fingerprint.of(live, prefix, (c.name for c in kept)),
        owned,
    )


def _mark_renames(
    changes: tuple[Change, ...],
    wanted_by: Mapping[str, set[str]],
    attached_by: Mapping[str, set[str]],
) -> tuple[Change, ...]:
    """Pair each created policy with a deleted one of the same document: a renamed file."""
    deleted = {
        normalize.dumps(normalize.canonical(c.before)): c
        for c in changes
        if isinstance(c, PolicyChange) and c.action is Action.DELETE
    }
    pairs: dict[str, PolicyChange] = {}
    for c in changes:
        if isinstance(c, PolicyChange) and c.action is Action.CREATE:
            old = deleted.pop(normalize.dumps(normalize.canonical(c.after)), None)
            if old is not None:
                keeps = wanted_by.get(c.arn, set()) == attached_by.get(old.arn, set())
                pairs[c.name] = replace(c, same_document_as=old.name, keeps_access=keeps)
                pairs[old.name] = replace(old, same_document_as=c.name, keeps_access=keeps)
    if not pairs:
        return changes
    return tuple(pairs.get(c.name, c) if isinstance(c, PolicyChange) else c for c in changes)


def _attachments(live: Live, prefix: str) -> dict[str, set[str]]:
    """Policy ARN -> owned users that have it attached now."""
    found: dict[str, set[str]] = {}
    for user in live.users.values():
        if ownership.owned(user.path, prefix):
            for arn in user.attached:
                found.setdefault(arn, set()).add(user.name)
    return found


def _wanted_by(desired: Desired) -> dict[str, set[str]]:
    """Policy ARN -> users of the repository that attach it."""
    found: dict[str, set[str]] = {}
    for user in desired.users.values():
        for arn in user.policies:
            found.setdefault(arn, set()).add(user.name)
    return found


def _oldest_first(versions: Iterable[PolicyVersion]) -> list[PolicyVersion]:
    """By creation time; the version number breaks ties (same-second creates)."""
    return sorted(versions, key=lambda v: (v.created, v.number))


def _delete_user(
    user: LiveUser, credentials: Credentials | None, required_boundary: str | None
) -> UserChange:
    """Everything that blocks DeleteUser goes first (a boundary does not block it).

    Under a required boundary, a user without it gets it first: the apply role may change
    a user's policies only while the user has the boundary.
    """
    missing = required_boundary and user.permissions_boundary != required_boundary
    return UserChange(
        Action.DELETE,
        user.name,
        user.arn,
        detach=tuple(sorted(user.attached)),
        remove_groups=tuple(sorted(user.groups)),
        boundary=required_boundary if missing else None,
        inline_policies=user.inline_policies,
        credentials=credentials or Credentials(),
    )


def _delete_policy(policy: LivePolicy, attached_by: Mapping[str, Iterable[str]]) -> PolicyChange:
    return PolicyChange(
        Action.DELETE,
        policy.name,
        policy.arn,
        before=policy.default.document,
        after=None,
        delete_versions=tuple(v.id for v in _oldest_first(policy.versions) if not v.is_default),
        users=tuple(sorted(attached_by.get(policy.arn, ()))),
    )


def _policy_change(
    want: DesiredPolicy, have: LivePolicy | None, users: tuple[str, ...]
) -> PolicyChange | None:
    if have is None:
        return PolicyChange(Action.CREATE, want.name, want.arn, None, want.document, users=users)
    if want.document == have.default.document:
        return None  # byte-for-byte what iamsync sent last time: the common case, and cheap
    target = normalize.canonical(want.document)
    if normalize.canonical(have.default.document) == target:
        return None
    older = [v for v in _oldest_first(have.versions) if not v.is_default]
    same = [v for v in older if normalize.canonical(v.document) == target]
    # Re-use a kept version; else make room for a new one, never touching the default.
    excess = 0 if same else len(have.versions) - (limits.POLICY_VERSIONS - 1)
    return PolicyChange(
        Action.UPDATE,
        want.name,
        have.arn,
        have.default.document,
        want.document,
        reactivate=same[-1].id if same else None,
        prune=tuple(v.id for v in older[: max(excess, 0)]),
        users=users,
    )


def _user_change(want: DesiredUser, have: LiveUser | None) -> UserChange | None:
    if have is None:
        return UserChange(
            Action.CREATE,
            want.name,
            want.arn,
            attach=tuple(sorted(want.policies)),
            tags=want.tags,
            add_groups=tuple(sorted(want.groups)),
            boundary=want.permissions_boundary,
        )
    tags, untag = _tag_changes(want.tags, have.tags)
    live_tags = {k.lower(): v for k, v in have.tags.items()}
    before = {k: live_tags[k.lower()] for k in (*tags, *untag) if k.lower() in live_tags}
    change = UserChange(
        Action.UPDATE,
        want.name,
        have.arn,
        attach=tuple(sorted(want.policies - have.attached)),
        detach=tuple(sorted(have.attached - want.policies)),
        tags=MappingProxyType(tags),
        untag=untag,
        tags_before=MappingProxyType(before),
        add_groups=tuple(sorted(want.groups - have.groups)),
        remove_groups=tuple(sorted(have.groups - want.groups)),
        boundary=want.permissions_boundary
        if want.permissions_boundary != have.permissions_boundary
        else None,
        remove_boundary=want.permissions_boundary is None and have.permissions_boundary is not None,
    )
    if not (
        change.attach
        or change.detach
        or change.tags
        or change.untag
        or change.add_groups
        or change.remove_groups
        or change.boundary
        or change.remove_boundary
    ):
        return None
    return change


def _tag_changes(
    want: Mapping[str, str], have: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """User tag keys are case-insensitive: setting "Team" replaces "team"."""
    have_by_lower = {k.lower(): (k, v) for k, v in have.items() if k != COMMIT_TAG}
    wanted_lower = {k.lower() for k in want}
    to_set = {k: v for k, v in want.items() if have_by_lower.get(k.lower()) != (k, v)}
    to_unset = tuple(
        sorted(k for lower, (k, _) in have_by_lower.items() if lower not in wanted_lower)
    )
    return to_set, to_unset
