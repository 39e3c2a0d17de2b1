"""The IAM user: users/<name>.json — managed and inline policies, groups, boundary, tags.

Deleting a user first removes what blocks DeleteUser (credentials, memberships, policies);
the plan lists them. A file may say what it was renamed from: IAM's UpdateUser keeps the
user's credentials and memberships, so a rename is never a delete and a create.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, ClassVar

from iamsync.core.lines import Line, added, note, removed
from iamsync.core.model import CREDENTIAL_KINDS, CredentialKind, Credentials, Desired, Live
from iamsync.core.ownership import Conflict, owned, renames
from iamsync.core.problems import Problem
from iamsync.files.source import Source
from iamsync.iam import limits, names
from iamsync.kinds import principal, principal_files as principal_checks
from iamsync.kinds.base import (
    Access,
    Action,
    AdoptContext,
    BuildContext,
    Call,
    CallContext,
    Chain,
    Change,
    CheckContext,
    DiffContext,
    DocumentRef,
    LiveSource,
    Need,
    Read,
    Stage,
    Unanswered,
)
from iamsync.kinds.principal import Api, DesiredPrincipal, LivePrincipal, PrincipalChange

API = Api(
    noun="user",
    key="UserName",
    attach="attach_user_policy",
    detach="detach_user_policy",
    put_inline="put_user_policy",
    delete_inline="delete_user_policy",
    tag="tag_user",
    untag="untag_user",
    put_boundary="put_user_permissions_boundary",
    delete_boundary="delete_user_permissions_boundary",
)


@dataclass(frozen=True)
class DesiredUser(DesiredPrincipal):
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LiveUser(LivePrincipal):
    bookkept: ClassVar[bool] = True  # iamsync tags what it makes: ownership reads it
    groups: frozenset[str] = frozenset()
    # what blocks DeleteUser: read (reads()) only for users a plan deletes; None: not read
    credentials: Credentials | None = None


@dataclass(frozen=True)
class UserChange(PrincipalChange):
    add_groups: tuple[str, ...] = ()
    remove_groups: tuple[str, ...] = ()
    leave_first: bool = False  # at IAM's 10 groups per user, old groups are left first
    # On delete: what blocks DeleteUser besides policies and memberships (said in the plan).
    credentials: Credentials = field(default_factory=Credentials)
    type: str = field(default="user", init=False)


class User:
    type = "user"
    folder = "users"
    schema = "user"
    service = "iam"
    name_rule = names.USER_NAME
    name_limit = "1-64"
    change_class = UserChange
    movable = True  # IAM changes its path (update-user --new-path): one outside can be adopted
    access = Access.PRINCIPAL

    # -- files ----------------------------------------------------------------------------
    def check(self, source: Source, name: str, value: Any, ctx: CheckContext) -> Iterator[Problem]:
        file = principal_checks.PrincipalFile(source, "user", name, value, ctx)
        yield from principal_checks.check(file)
        yield from principal_checks.check_groups(file)

    def build(self, name: str, value: Any, ctx: BuildContext) -> DesiredUser:
        fields = principal.desired_fields(name, value, "user", ctx)
        if fields["permissions_boundary"] is None:
            fields["permissions_boundary"] = ctx.required_boundary
        return DesiredUser(**fields, groups=frozenset(value.get("groups", [])))

    def adopt(self, record: LiveUser, ctx: AdoptContext) -> dict[str, Any]:
        value = principal.adopt(record, ctx, tags=True)
        if record.groups:
            value["groups"] = sorted(record.groups)
        return value

    # -- live ------------------------------------------------------------------------------
    def read(self, source: LiveSource) -> dict[str, LiveUser]:
        pages = source.pages
        return {
            u["UserName"]: LiveUser(
                **principal.live_fields(u, "UserName", "UserPolicyList"),
                groups=frozenset(u.get("GroupList", [])),
            )
            for page in pages
            for u in page.get("UserDetailList", [])
        }

    def fingerprint(self, record: LiveUser) -> list[Any]:
        return [*principal.fingerprint(record), sorted(record.groups)]

    def conflicts(self, desired: Desired, live: Live) -> Iterator[Conflict]:
        yield from _stuck_memberships(desired, live)
        groups = live.of("group")
        wanted_groups = desired.of("group").keys()
        for user in sorted(desired.of(self.type).values(), key=lambda u: u.name):
            for group in sorted(user.groups & groups.keys() - wanted_groups):
                if owned(groups[group], desired.path_prefix):
                    yield Conflict(
                        "user",
                        user.name,
                        "UNKNOWN_GROUP",
                        f'group "{group}" is under {desired.path_prefix} but no '
                        f"groups/{group}.json defines it, so this plan deletes it; add its file "
                        "(iamsync --import writes it)",
                        "groups",
                        group,
                    )
            for group in sorted(user.groups - groups.keys() - wanted_groups):
                yield Conflict(
                    "user",
                    user.name,
                    "UNKNOWN_GROUP",
                    f'group "{group}" does not exist in account {live.account_id} and no '
                    f"groups/{group}.json defines it (users join existing or managed groups)",
                    "groups",
                    group,
                )
            if desired.required_boundary is None:
                continue
            for group in sorted(user.groups & groups.keys()):
                path = groups[group].path
                if not owned(groups[group], desired.path_prefix):
                    yield Conflict(
                        "user",
                        user.name,
                        "GROUP_OUTSIDE_PREFIX",
                        f'group "{group}" is at path {path}, outside {desired.path_prefix}: '
                        "under the required permissions boundary, iamsync's apply role manages "
                        f"membership only of groups under {desired.path_prefix} (IAM authorises "
                        "AddUserToGroup on the group alone, so a role allowed any group could "
                        "add anyone to an administrators group)",
                        "groups",
                        group,
                    )

    # -- plan ------------------------------------------------------------------------------
    def diff(self, ctx: DiffContext) -> list[Change]:
        have: Mapping[str, LiveUser] = ctx.live.of(self.type)
        renamed_groups = ctx.renames.get("group", {})
        sources = ctx.renames.get(self.type, {})
        changes: list[Change] = []
        for name, want in sorted(ctx.desired.of(self.type).items()):
            old = next((o for o, n in sources.items() if n == name), None)
            live_user = have.get(name) or (have.get(old) if old else None)
            change = _change(
                want,
                live_user,
                renamed_groups,
                old if name not in have else None,
                ctx.desired.policy_quota,
            )
            if change:
                changes.append(change)
        for name in doomed(ctx.desired, ctx.live, sources):
            changes.append(
                _delete(
                    have[name],
                    have[name].credentials,
                    ctx.desired.required_boundary,
                    renamed_groups,
                )
            )
        return changes

    def calls(self, c: UserChange, stage: Stage, ctx: CallContext) -> Iterable[Chain]:
        if c.action is Action.DELETE:
            return [_delete_chain(c)] if stage is Stage.DELETE_PRINCIPALS else []
        if stage is Stage.PRINCIPALS:
            return [_setup(c, ctx)]
        joins = [API.call("add_user_to_group", c.name, GroupName=g) for g in c.add_groups]
        leaves = [API.call("remove_user_from_group", c.name, GroupName=g) for g in c.remove_groups]
        if stage is Stage.GRANT:
            if c.leave_first:
                return [*principal.grant(c, API), (*leaves, *joins)]
            return principal.grant(c, API) + [(call,) for call in joins]
        if stage is Stage.REVOKE and c.action is Action.UPDATE:
            later = [] if c.leave_first else [(call,) for call in leaves]
            return principal.revoke(c, API) + later
        return []

    # -- words -----------------------------------------------------------------------------
    def details(self, c: UserChange) -> list[Line]:
        if c.action is Action.DELETE:
            out = [note("deletes the user and, first, what blocks its deletion:")]
            if c.boundary:
                out.append(
                    note(f"sets the required permissions boundary {c.boundary} (first)").below()
                )
            out += [note(f"deletes {item}").below() for item in c.credentials.describe()]
            out += [note(f"leaves group {g}").below() for g in c.remove_groups]
            return out + principal.teardown_details(c)
        out = [note("new user")] if c.action is Action.CREATE else []
        out += principal.details(c)
        out += [added(f"join group {g}") for g in c.add_groups]
        return out + [removed(f"leave group {g}") for g in c.remove_groups]

    def reads(self, live: Live, need: Need) -> list[Read]:
        """The credentials of each user a plan deletes (they block DeleteUser): one listing
        per credential kind, only for those users."""
        if need.desired is None:
            return []
        moved = renames(need.desired, live).get(self.type, {})
        return [
            Read(
                name,
                kind.list_call,
                {"UserName": name},
                partial(_with_credentials, kind),
                f"the {kind.words}s of user {name}",
                optional=True,
            )
            for name in doomed(need.desired, live, moved)
            for kind in CREDENTIAL_KINDS
        ]

    def references(self, c: UserChange) -> list[tuple[str, str]]:
        return principal.references(c)

    def documents(self, c: UserChange) -> list[DocumentRef]:
        return principal.documents(c)


KIND = User()


def _with_credentials(kind: CredentialKind, user: LiveUser, answer: Any) -> LiveUser:
    """`user` with one credential kind's listing folded in (or said unlisted)."""
    have = user.credentials or Credentials()
    if answer is Unanswered.UNREAD:
        return replace(user, credentials=replace(have, unlisted=(*have.unlisted, f"{kind.words}s")))
    ids = () if answer is Unanswered.ABSENT else kind.ids(answer)
    value: Any = bool(ids) if kind.field == "login_profile" else ids
    return replace(user, credentials=replace(have, **{kind.field: value}))


def doomed(desired: Desired, live: Live, renamed: Mapping[str, str] | None = None) -> list[str]:
    """Owned users the plan deletes: the only ones whose credentials are read."""
    wanted = desired.of("user")
    moving = set(renamed or {})
    return sorted(
        n
        for n, u in live.of("user").items()
        if owned(u, desired.path_prefix) and n not in wanted and n not in moving
    )


def _stuck_memberships(desired: Desired, live: Live) -> Iterator[Conflict]:
    """Under a required boundary, the apply role cannot take an owned user out of a group
    outside the prefix (to leave it, or to delete the user): say so before any write."""
    if desired.required_boundary is None:
        return
    groups, wanted = live.of("group"), desired.of("user")
    for name, user in sorted(live.of("user").items()):
        if not owned(user, desired.path_prefix):
            continue
        keep = wanted[name].groups if name in wanted else frozenset()
        for group in sorted(user.groups - keep):
            if group in groups and not owned(groups[group], desired.path_prefix):
                doing = "leaves it" if name in wanted else "deletes the user"
                yield Conflict(
                    "user",
                    name,
                    "GROUP_OUTSIDE_PREFIX",
                    f'user "{name}" is in group "{group}" (path {groups[group].path}), outside '
                    f"{desired.path_prefix}, and this plan {doing}: under the required "
                    "permissions boundary iamsync's apply role may not change that group's "
                    f"members; first run: aws iam remove-user-from-group --group-name {group} "
                    f"--user-name {name}",
                    "groups",
                )


def _change(
    want: DesiredUser,
    have: LiveUser | None,
    renamed_groups: Mapping[str, str],
    renamed_from: str | None,
    quota: int,
) -> UserChange | None:
    if have is None:
        return UserChange(
            Action.CREATE,
            want.name,
            want.arn,
            **principal.created(want),
            add_groups=tuple(sorted(want.groups)),
        )
    fields = principal.updated(want, have, quota)
    live_groups = {renamed_groups.get(g, g) for g in have.groups}
    add = tuple(sorted(want.groups - live_groups))
    remove = tuple(sorted(live_groups - want.groups))
    if not (principal.anything(fields) or add or remove or renamed_from):
        return None
    return UserChange(
        Action.UPDATE,
        want.name,
        want.arn,
        **fields,
        renamed_from=renamed_from,
        add_groups=add,
        remove_groups=remove,
        leave_first=bool(add) and len(live_groups) + len(add) > limits.GROUPS_PER_USER,
    )


def _delete(
    user: LiveUser,
    credentials: Credentials | None,
    required_boundary: str | None,
    renamed_groups: Mapping[str, str],
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
        **principal.deleted(user),
        boundary=required_boundary if missing else None,
        # A group renamed by this plan has its new name by the time users are deleted.
        remove_groups=tuple(sorted(renamed_groups.get(g, g) for g in user.groups)),
        credentials=credentials or Credentials(),
    )


def _setup(c: UserChange, ctx: CallContext) -> Chain:
    if c.action is Action.CREATE:
        extra = {"PermissionsBoundary": c.boundary} if c.boundary else {}
        tags = principal.tags_param(c.tags, ctx.commit)
        return (API.call("create_user", c.name, Path=ctx.prefix, Tags=tags, **extra),)
    calls: list[Call] = []
    if c.renamed_from:
        calls.append(API.call("update_user", c.renamed_from, NewUserName=c.name))
    return (*calls, *principal.setup(c, API, c.name, ctx.commit))


def _delete_chain(c: UserChange) -> Chain:
    u = c.name
    cred = c.credentials
    calls = []
    if c.boundary:  # the required boundary first: the apply role acts only on bounded users
        calls.append(API.call("put_user_permissions_boundary", u, PermissionsBoundary=c.boundary))
    for kind in CREDENTIAL_KINDS:
        for i in cred.ids(kind):
            ident = {kind.delete_param: i} if kind.delete_param else {}
            calls.append(API.call(kind.delete_call, u, **ident))
            if kind.field == "mfa_devices" and ":mfa/" in i:
                # a virtual device (its serial is its ARN) is deleted once deactivated
                calls.append(Call("delete_virtual_mfa_device", {"SerialNumber": i}, f"user {u}"))
    calls += [API.call("remove_user_from_group", u, GroupName=g) for g in c.remove_groups]
    calls += principal.teardown(c, API)
    calls.append(API.call("delete_user", u))
    return tuple(calls)
