"""The IAM role: roles/<name>.json — a trust policy, managed and inline policies, boundary,
tags, description, session length, and an instance profile when the file asks for one.

The trust policy passes the same policy rules as any document, as a trust policy: a
Principal is required, and a web-identity trust (GitHub Actions' OIDC) must test the
token's subject. IAM cannot rename a role: a renamed file is a create and a delete.
GetAccountAuthorizationDetails omits a role's description and session length, so those
are read (GetRole) only for roles whose file sets them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from iamsync.core.lines import Line, added, changed, note, removed, set_or_changed
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import Conflict, owned, under
from iamsync.core.problems import Problem
from iamsync.files.source import Source
from iamsync.iam import limits, names, normalize
from iamsync.kinds import documents, principal, principal_files as principal_checks
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
    renamed_pairs,
)
from iamsync.kinds.principal import Api, DesiredPrincipal, LivePrincipal, PrincipalChange
from iamsync.policy.rules.context import DocKind, Document

API = Api(
    noun="role",
    key="RoleName",
    attach="attach_role_policy",
    detach="detach_role_policy",
    put_inline="put_role_policy",
    delete_inline="delete_role_policy",
    tag="tag_role",
    untag="untag_role",
    put_boundary="put_role_permissions_boundary",
    delete_boundary="delete_role_permissions_boundary",
)


@dataclass(frozen=True)
class DesiredRole(DesiredPrincipal):
    trust: Any = None  # rendered trust policy
    description: str | None = None  # None: not managed
    max_session_duration: int | None = None  # None: not managed (IAM's default 3600)
    instance_profile: bool = False


@dataclass(frozen=True)
class LiveRole(LivePrincipal):
    bookkept: ClassVar[bool] = True  # iamsync tags what it makes: ownership reads it
    trust: Any = None
    description: str | None = None  # known only when read with GetRole
    max_session_duration: int | None = None  # likewise
    instance_profiles: tuple[tuple[str, str], ...] = ()  # (name, path)


@dataclass(frozen=True)
class RoleChange(PrincipalChange):
    trust_before: Any = None  # live trust policy (display; None on create)
    trust_after: Any = None  # set this trust policy (None: unchanged)
    description: str | None = None  # set this description
    max_session_duration: int | None = None  # set this session length
    description_before: str | None = None  # display
    max_session_before: int | None = None  # display
    create_instance_profile: bool = False
    # Profiles the role leaves: on delete, or when the file no longer asks for one. Those
    # under the ownership path (iamsync's own) are deleted too.
    remove_instance_profiles: tuple[tuple[str, str], ...] = ()
    same_trust_as: str | None = None  # display: a create and a delete with one trust policy
    type: str = field(default="role", init=False)


class Role:
    type = "role"
    folder = "roles"
    schema = "role"
    service = "iam"
    name_rule = names.ROLE_NAME
    name_limit = "1-64"
    change_class = RoleChange
    access = Access.PRINCIPAL
    assumable = True  # its `trust` says who may assume it: the review's reachable roles

    # -- files ----------------------------------------------------------------------------
    def check(self, source: Source, name: str, value: Any, ctx: CheckContext) -> Iterator[Problem]:
        yield from principal_checks.check(
            principal_checks.PrincipalFile(source, "role", name, value, ctx)
        )
        trust = value.get("trust_policy")
        if not isinstance(trust, dict):
            return
        yield from documents.check(
            Document(
                source,
                ("trust_policy",),
                trust,
                DocKind.TRUST,
                ctx.catalog,
                limits.TRUST_POLICY_SIZE,
            )
        )

    def build(self, name: str, value: Any, ctx: BuildContext) -> DesiredRole:
        fields = principal.desired_fields(name, value, "role", ctx)
        if fields["permissions_boundary"] is None:
            fields["permissions_boundary"] = ctx.required_boundary
        return DesiredRole(
            **fields,
            trust=value["trust_policy"],
            description=value.get("description"),
            max_session_duration=value.get("max_session_duration"),
            instance_profile=bool(value.get("instance_profile", False)),
        )

    def adopt(self, record: LiveRole, ctx: AdoptContext) -> dict[str, Any]:
        value: dict[str, Any] = {"trust_policy": ctx.template(record.trust)}
        value.update(principal.adopt(record, ctx, tags=True))
        if record.description:
            value["description"] = record.description
        if record.max_session_duration and (
            record.max_session_duration != limits.DEFAULT_MAX_SESSION_DURATION
        ):
            value["max_session_duration"] = record.max_session_duration
        if any(n == record.name and under(p, ctx.prefix) for n, p in record.instance_profiles):
            value["instance_profile"] = True
        return value

    # -- live ------------------------------------------------------------------------------
    def read(self, source: LiveSource) -> dict[str, LiveRole]:
        pages = source.pages
        return {
            r["RoleName"]: LiveRole(
                **principal.live_fields(r, "RoleName", "RolePolicyList"),
                trust=normalize.decode(r.get("AssumeRolePolicyDocument")),
                description=r.get("Description"),
                max_session_duration=r.get("MaxSessionDuration"),
                instance_profiles=tuple(
                    (p["InstanceProfileName"], p.get("Path", "/"))
                    for p in r.get("InstanceProfileList", [])
                ),
            )
            for page in pages
            for r in page.get("RoleDetailList", [])
        }

    def fingerprint(self, record: LiveRole) -> list[Any]:
        trust = normalize.dumps(normalize.canonical(record.trust)) if record.trust else ""
        return [
            *principal.fingerprint(record),
            trust,
            record.description,
            record.max_session_duration,
            sorted(record.instance_profiles),
        ]

    def conflicts(self, desired: Desired, live: Live) -> Iterator[Conflict]:
        return iter(())

    # -- plan ------------------------------------------------------------------------------
    def diff(self, ctx: DiffContext) -> list[Change]:
        have: Mapping[str, LiveRole] = ctx.live.of(self.type)
        prefix = ctx.desired.path_prefix
        changes: list[RoleChange] = []
        for name, want in sorted(ctx.desired.of(self.type).items()):
            change = _change(want, have.get(name), prefix, ctx.desired.policy_quota)
            if change:
                changes.append(change)
        required = ctx.desired.required_boundary
        for name, role in sorted(have.items()):
            if owned(role, prefix) and name not in ctx.desired.of(self.type):
                # Under a required boundary, a role without it gets it first: the apply role
                # changes and deletes only bounded roles.
                missing = required and role.permissions_boundary != required
                changes.append(
                    RoleChange(
                        Action.DELETE,
                        name,
                        role.arn,
                        **principal.deleted(role),
                        boundary=required if missing else None,
                        trust_before=role.trust,
                        remove_instance_profiles=role.instance_profiles,
                    )
                )
        return list(_mark_renames(changes))

    def calls(self, c: RoleChange, stage: Stage, ctx: CallContext) -> Iterable[Chain]:
        if c.action is Action.DELETE:
            if stage is not Stage.DELETE_PRINCIPALS:
                return []
            first = (
                [API.call("put_role_permissions_boundary", c.name, PermissionsBoundary=c.boundary)]
                if c.boundary
                else []
            )
            calls = first + _leave_profiles(c, ctx.prefix) + principal.teardown(c, API)
            return [(*calls, API.call("delete_role", c.name))]
        if stage is Stage.PRINCIPALS:
            return [_setup(c, ctx)]
        if stage is Stage.GRANT:
            return principal.grant(c, API)
        if stage is Stage.REVOKE and c.action is Action.UPDATE:
            chains = principal.revoke(c, API)
            leave = _leave_profiles(c, ctx.prefix)
            return chains + ([tuple(leave)] if leave else [])
        return []

    # -- words -----------------------------------------------------------------------------
    def details(self, c: RoleChange) -> list[Line]:
        if c.action is Action.DELETE:
            out = [
                note(
                    "deletes the role and, first, its policies and instance profiles:"
                    if not c.same_trust_as
                    else f"deletes the role (IAM cannot rename a role: {c.same_trust_as}, "
                    "created above, has the same trust policy) and, first, its policies:"
                )
            ]
            if c.boundary:
                out.append(
                    note(f"sets the required permissions boundary {c.boundary} (first)").below()
                )
            out += [
                note(f"leaves instance profile {n}").below() for n, _ in c.remove_instance_profiles
            ]
            return out + principal.teardown_details(c)
        out = []
        if c.action is Action.CREATE:
            out.append(
                note(
                    "new role"
                    if not c.same_trust_as
                    else f"new role with the trust policy of role {c.same_trust_as} (deleted "
                    "below: IAM cannot rename a role)"
                )
            )
        elif c.trust_after is not None:
            out.append(changed("trust policy (who may assume the role)"))
        new = c.action is Action.CREATE  # what a create sets is all new
        if c.description is not None and c.description != (c.description_before or ""):
            out.append(set_or_changed(f"description {c.description!r}", new=new))
        session = c.max_session_duration
        if session is not None and session != c.max_session_before:
            out.append(set_or_changed(f"max session duration {session} s", new=new))
        if c.create_instance_profile:
            out.append(added(f"instance profile {c.name}"))
        out += [removed(f"instance profile {n}") for n, _ in c.remove_instance_profiles]
        return out + principal.details(c)

    def reads(self, live: Live, need: Need) -> list[Read]:
        """GetRole for what GAAD omits (description, session length): on a plan only for the
        roles whose files set them, on an import for every owned role."""
        records: Mapping[str, LiveRole] = live.of(self.type)
        if need.desired is not None:
            wanted = need.desired.of(self.type)
            names = [
                n
                for n, w in wanted.items()
                if w.description is not None or w.max_session_duration is not None
            ]
        else:
            names = [n for n, r in records.items() if under(r.path, need.prefix)]
        return [
            Read(n, "get_role", {"RoleName": n}, _with_details, "the roles' descriptions")
            for n in sorted(names)
            if n in records
        ]

    def references(self, c: RoleChange) -> list[tuple[str, str]]:
        return principal.references(c)

    def documents(self, c: RoleChange) -> list[DocumentRef]:
        found = []
        if c.trust_after is not None:
            found.append(DocumentRef("trust policy", c.trust_before, c.trust_after, "trust"))
        return found + principal.documents(c)


KIND = Role()


def _with_details(role: LiveRole, answer: Mapping[str, Any]) -> LiveRole:
    found = answer["Role"]
    return replace(
        role,
        description=found.get("Description", ""),
        max_session_duration=found.get("MaxSessionDuration"),
    )


def _change(want: DesiredRole, have: LiveRole | None, prefix: str, quota: int) -> RoleChange | None:
    if have is None:
        return RoleChange(
            Action.CREATE,
            want.name,
            want.arn,
            **principal.created(want),
            trust_after=want.trust,
            description=want.description,
            max_session_duration=want.max_session_duration,
            create_instance_profile=want.instance_profile,
        )
    fields = principal.updated(want, have, quota)
    trust_changed = normalize.canonical(want.trust) != normalize.canonical(have.trust)
    live_session = have.max_session_duration or limits.DEFAULT_MAX_SESSION_DURATION
    described = want.description is not None and want.description != (have.description or "")
    timed = want.max_session_duration not in (None, live_session)
    # UpdateRole is sent with every managed value: an omitted one may be reset.
    description = want.description if described or timed else None
    session = want.max_session_duration if described or timed else None
    mine = [(n, p) for n, p in have.instance_profiles if n == want.name and under(p, prefix)]
    create_profile = want.instance_profile and not mine
    drop_profiles = tuple(mine) if not want.instance_profile else ()
    if not (
        principal.anything(fields)
        or trust_changed
        or description is not None
        or session is not None
        or create_profile
        or drop_profiles
    ):
        return None
    return RoleChange(
        Action.UPDATE,
        want.name,
        have.arn,
        **fields,
        trust_before=have.trust,
        trust_after=want.trust if trust_changed else None,
        description=description,
        max_session_duration=session,
        description_before=have.description,
        max_session_before=live_session,
        create_instance_profile=create_profile,
        remove_instance_profiles=drop_profiles,
    )


def _mark_renames(changes: list[RoleChange]) -> list[RoleChange]:
    """A created and a deleted role with one trust policy: a renamed file, said as such."""
    pairs: dict[str, RoleChange] = {}

    def trust(x: RoleChange) -> Any:
        return x.trust_after if x.action is Action.CREATE else x.trust_before

    for c, old in renamed_pairs(changes, trust):
        pairs[c.name] = replace(c, same_trust_as=old.name)
        pairs[old.name] = replace(old, same_trust_as=c.name)
    return [pairs.get(c.name, c) for c in changes]


def _setup(c: RoleChange, ctx: CallContext) -> Chain:
    calls: list[Call] = []
    if c.action is Action.CREATE:
        extra: dict[str, Any] = {}
        if c.boundary:
            extra["PermissionsBoundary"] = c.boundary
        if c.description is not None:
            extra["Description"] = c.description
        if c.max_session_duration is not None:
            extra["MaxSessionDuration"] = c.max_session_duration
        calls.append(
            API.call(
                "create_role",
                c.name,
                Path=ctx.prefix,
                AssumeRolePolicyDocument=normalize.compact(c.trust_after),
                Tags=principal.tags_param(c.tags, ctx.commit),
                **extra,
            )
        )
    else:
        calls += principal.setup(c, API, c.name, ctx.commit)
        if c.trust_after is not None:
            calls.append(
                API.call(
                    "update_assume_role_policy",
                    c.name,
                    PolicyDocument=normalize.compact(c.trust_after),
                )
            )
        update: dict[str, Any] = {}
        if c.description is not None:
            update["Description"] = c.description
        if c.max_session_duration is not None:
            update["MaxSessionDuration"] = c.max_session_duration
        if update:
            calls.append(API.call("update_role", c.name, **update))
    if c.create_instance_profile:
        profile = {"InstanceProfileName": c.name}
        calls.append(
            Call("create_instance_profile", {**profile, "Path": ctx.prefix}, f"role {c.name}")
        )
        calls.append(API.call("add_role_to_instance_profile", c.name, **profile))
    return tuple(calls)


def _leave_profiles(c: RoleChange, prefix: str) -> list[Call]:
    calls = []
    for name, path in c.remove_instance_profiles:
        calls.append(
            API.call("remove_role_from_instance_profile", c.name, InstanceProfileName=name)
        )
        if under(path, prefix):
            calls.append(
                Call("delete_instance_profile", {"InstanceProfileName": name}, f"role {c.name}")
            )
    return calls
