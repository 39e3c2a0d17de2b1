"""The IAM group: groups/<name>.json — managed and inline policies; members are listed on
the user side (a user's `groups`). IAM groups have no tags and no boundary.

Deleting a group first removes its members, attachments and inline policies; the plan
lists them. A file may say what it was renamed from (UpdateGroup keeps the members).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from iamsync.core.lines import Line, note
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import Conflict, owned
from iamsync.core.problems import Problem
from iamsync.files.source import Source
from iamsync.iam import names
from iamsync.kinds import principal, principal_files as principal_checks
from iamsync.kinds.base import (
    Access,
    Action,
    AdoptContext,
    BuildContext,
    CallContext,
    Chain,
    Change,
    CheckContext,
    DiffContext,
    DocumentRef,
    LiveSource,
    Stage,
)
from iamsync.kinds.principal import Api, DesiredPrincipal, LivePrincipal, PrincipalChange

API = Api(
    noun="group",
    key="GroupName",
    attach="attach_group_policy",
    detach="detach_group_policy",
    put_inline="put_group_policy",
    delete_inline="delete_group_policy",
)


@dataclass(frozen=True)
class LiveGroup(LivePrincipal):
    members: frozenset[str] = frozenset()  # user names, from the users' GroupList


@dataclass(frozen=True)
class GroupChange(PrincipalChange):
    members: tuple[str, ...] = ()  # on delete: users removed from it first
    type: str = field(default="group", init=False)


class Group:
    type = "group"
    folder = "groups"
    schema = "group"
    service = "iam"
    name_rule = names.GROUP_NAME
    name_limit = "1-128"
    change_class = GroupChange
    movable = True  # IAM changes its path (update-group --new-path): one outside can be adopted
    access = Access.GROUP

    def check(self, source: Source, name: str, value: Any, ctx: CheckContext) -> Iterator[Problem]:
        yield from principal_checks.check(
            principal_checks.PrincipalFile(source, "group", name, value, ctx)
        )

    def build(self, name: str, value: Any, ctx: BuildContext) -> DesiredPrincipal:
        return DesiredPrincipal(**principal.desired_fields(name, value, "group", ctx))

    def adopt(self, record: LiveGroup, ctx: AdoptContext) -> dict[str, Any]:
        return principal.adopt(record, ctx, tags=False)

    def read(self, source: LiveSource) -> dict[str, LiveGroup]:
        pages = source.pages
        members: dict[str, set[str]] = {}
        for page in pages:
            for user in page.get("UserDetailList", []):
                for group in user.get("GroupList", []):
                    members.setdefault(group, set()).add(user["UserName"])
        return {
            g["GroupName"]: LiveGroup(
                **principal.live_fields(g, "GroupName", "GroupPolicyList"),
                members=frozenset(members.get(g["GroupName"], ())),
            )
            for page in pages
            for g in page.get("GroupDetailList", [])
        }

    def fingerprint(self, record: LiveGroup) -> list[Any]:
        return [*principal.fingerprint(record), sorted(record.members)]

    def conflicts(self, desired: Desired, live: Live) -> Iterator[Conflict]:
        return iter(())

    def diff(self, ctx: DiffContext) -> list[Change]:
        have: Mapping[str, LiveGroup] = ctx.live.of(self.type)
        sources = ctx.renames.get(self.type, {})
        changes: list[Change] = []
        for name, want in sorted(ctx.desired.of(self.type).items()):
            old = next((o for o, n in sources.items() if n == name), None)
            live_group = have.get(name) or (have.get(old) if old else None)
            if live_group is None:
                changes.append(
                    GroupChange(Action.CREATE, want.name, want.arn, **principal.created(want))
                )
                continue
            fields = principal.updated(want, live_group, ctx.desired.policy_quota)
            moved = old if name not in have else None
            if principal.anything(fields) or moved:
                changes.append(
                    GroupChange(Action.UPDATE, want.name, want.arn, **fields, renamed_from=moved)
                )
        leaving = set(_doomed_users(ctx))
        for name, group in sorted(have.items()):
            wanted = name in ctx.desired.of(self.type) or name in sources
            if owned(group, ctx.desired.path_prefix) and not wanted:
                changes.append(
                    GroupChange(
                        Action.DELETE,
                        name,
                        group.arn,
                        **principal.deleted(group),
                        members=tuple(sorted(group.members - leaving)),
                    )
                )
        return changes

    def calls(self, c: GroupChange, stage: Stage, ctx: CallContext) -> Iterable[Chain]:
        if c.action is Action.DELETE:
            if stage is not Stage.DELETE_GROUPS:
                return []
            calls = [API.call("remove_user_from_group", c.name, UserName=u) for u in c.members]
            calls += principal.teardown(c, API)
            return [(*calls, API.call("delete_group", c.name))]
        if stage is Stage.PRINCIPALS:
            if c.action is Action.CREATE:
                return [(API.call("create_group", c.name, Path=ctx.prefix),)]
            if c.renamed_from:
                return [(API.call("update_group", c.renamed_from, NewGroupName=c.name),)]
            return []
        if stage is Stage.GRANT:
            return principal.grant(c, API)
        if stage is Stage.REVOKE and c.action is Action.UPDATE:
            return principal.revoke(c, API)
        return []

    def details(self, c: GroupChange) -> list[Line]:
        if c.action is Action.DELETE:
            out = [note("deletes the group and, first, its members and policies:")]
            out += [note(f"removes member {u}").below() for u in c.members]
            return out + principal.teardown_details(c)
        out = [note("new group")] if c.action is Action.CREATE else []
        return out + principal.details(c)

    def references(self, c: GroupChange) -> list[tuple[str, str]]:
        return principal.references(c)

    def documents(self, c: GroupChange) -> list[DocumentRef]:
        return principal.documents(c)


KIND = Group()


def _doomed_users(ctx: DiffContext) -> list[str]:
    from iamsync.kinds.user import doomed

    return doomed(ctx.desired, ctx.live, ctx.renames.get("user", {}))
