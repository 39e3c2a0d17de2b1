"""The customer-managed policy: policies/<name>.json is the document, versions kept at 5.

A changed document becomes a new default version; at IAM's limit the oldest non-default
version goes first; a document equal to a kept version re-activates it instead. A
created and a deleted policy with the same document are a renamed file: IAM cannot
rename a policy, so the plan says so rather than showing two unrelated changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from iamsync.core.lines import Line, note
from iamsync.core.model import BOOKKEEPING_TAGS, Desired, Live, PolicyVersion
from iamsync.core.ownership import Conflict, owned, under
from iamsync.core.problems import Problem
from iamsync.files.source import Source
from iamsync.iam import limits, names, normalize
from iamsync.kinds import documents
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
from iamsync.kinds.principal import LivePrincipal, tags_param
from iamsync.policy import grants
from iamsync.policy.rules.context import DocKind, Document


@dataclass(frozen=True)
class DesiredPolicy:
    name: str
    arn: str
    document: Any  # rendered document, as written (not canonicalised)


@dataclass(frozen=True)
class LivePolicy:
    name: str
    arn: str
    path: str
    versions: tuple[PolicyVersion, ...]
    attachment_count: int  # every principal: users, groups, roles
    boundary_count: int = 0  # principals that have it as their permissions boundary
    # None: not read (the bulk read has no policy tags); read for the policies a plan would
    # delete, so one iamsync did not make (no managed-by tag) is never deleted.
    tags: Mapping[str, str] | None = None

    @property
    def bookkept(self) -> bool:
        return self.tags is not None

    @property
    def default(self) -> PolicyVersion:
        return next(v for v in self.versions if v.is_default)


@dataclass(frozen=True)
class PolicyChange(Change):
    before: Any = None  # live default document (None on create)
    after: Any = None  # desired document as written (None on delete)
    reactivate: str | None = None  # make this existing version default instead of creating
    prune: tuple[str, ...] = ()  # non-default versions deleted first, to stay within 5
    delete_versions: tuple[str, ...] = ()  # on delete: non-default versions, removed first
    principals: tuple[str, ...] = ()  # display only: owned principals it changes access of
    # Display only: a created and a deleted policy with the same document (a renamed file).
    same_document_as: str | None = None  # the other policy's name
    keeps_access: bool = False  # and the same principals hold the new one as the old one
    type: str = field(default="policy", init=False)


class ManagedPolicy:
    type = "policy"
    folder = "policies"
    schema = "policy"
    service = "iam"
    name_rule = names.POLICY_NAME
    name_limit = "1-128"
    change_class = PolicyChange
    access = Access.DOCUMENT

    @staticmethod
    def managed_document(record: DesiredPolicy | LivePolicy) -> Any:
        """The document principals holding it get: the file's, or the live default version."""
        return record.document if isinstance(record, DesiredPolicy) else record.default.document

    # -- files ----------------------------------------------------------------------------
    def check(self, source: Source, name: str, value: Any, ctx: CheckContext) -> Iterator[Problem]:
        doc = Document(source, (), value, DocKind.IDENTITY, ctx.catalog, limits.MANAGED_POLICY_SIZE)
        yield from documents.check(doc)

    def build(self, name: str, value: Any, ctx: BuildContext) -> DesiredPolicy:
        return DesiredPolicy(name, ctx.policy_arn(name), value)

    def adopt(self, record: LivePolicy, ctx: AdoptContext) -> dict[str, Any]:
        value: dict[str, Any] = ctx.template(record.default.document)
        return value

    # -- live ------------------------------------------------------------------------------
    def read(self, source: LiveSource) -> dict[str, LivePolicy]:
        pages = source.pages
        return {p.name: p for page in pages for p in map(_policy, page.get("Policies", []))}

    def unkept(self, record: LivePolicy) -> list[str]:
        """What of a live policy its file cannot hold: a policy file is only the document."""
        kept = {k: v for k, v in (record.tags or {}).items() if k.lower() not in BOOKKEEPING_TAGS}
        if not kept:
            return []
        shown = ", ".join(f"{k}={v}" for k, v in sorted(kept.items()))
        return [
            f"policy {record.name}: its tags ({shown}) are not kept (a policy file is its document)"
        ]

    def fingerprint(self, record: LivePolicy) -> list[Any]:
        versions = sorted(
            (v.id, v.is_default, normalize.dumps(v.document)) for v in record.versions
        )
        return [
            record.name,
            record.path,
            record.attachment_count,
            record.boundary_count,
            versions,
        ]

    def conflicts(self, desired: Desired, live: Live) -> Iterator[Conflict]:
        for name, policy in sorted(live.of(self.type).items()):
            if owned(policy, desired.path_prefix) and name not in desired.of(self.type):
                yield from _still_used_elsewhere(policy, live, desired.path_prefix)
                yield from _still_wanted(policy, desired)

    # -- plan ------------------------------------------------------------------------------
    def diff(self, ctx: DiffContext) -> list[Change]:
        prefix = ctx.desired.path_prefix
        have = ctx.live.of(self.type)
        changes: list[PolicyChange] = []
        for name, want in sorted(ctx.desired.of(self.type).items()):
            holders = ctx.wanted_by.get(want.arn, frozenset()) | ctx.attached_by.get(
                want.arn, frozenset()
            )
            change = _change(want, have.get(name), tuple(sorted(holders)))
            if change:
                changes.append(change)
        for name, policy in sorted(have.items()):
            if owned(policy, prefix) and name not in ctx.desired.of(self.type):
                changes.append(_delete(policy, ctx.attached_by))
        return list(_mark_renames(changes, ctx))

    def calls(self, change: PolicyChange, stage: Stage, ctx: CallContext) -> Iterable[Chain]:
        if stage is Stage.POLICIES and change.action is not Action.DELETE:
            return [_write(change, ctx)]
        if stage is Stage.DELETE_POLICIES and change.action is Action.DELETE:
            versions = [
                _call("delete_policy_version", change, VersionId=v) for v in change.delete_versions
            ]
            return [(*versions, _call("delete_policy", change))]
        return []

    # -- words -----------------------------------------------------------------------------
    def details(self, c: PolicyChange) -> list[Line]:
        if c.same_document_as:
            return [note(text) for text in _rename_details(c)]
        out = []
        if c.action is Action.CREATE:
            out.append("new managed policy")
        elif c.action is Action.UPDATE and c.reactivate:
            out.append(f"re-activates kept version {c.reactivate} as the default (no new version)")
        elif c.action is Action.UPDATE:
            out.append("new default version")
        if c.prune:
            out.append(
                f"deletes old version{'s' if len(c.prune) > 1 else ''} {', '.join(c.prune)} "
                "first, to stay within IAM's 5 versions"
            )
        if c.action is Action.DELETE:
            if c.delete_versions:
                out.append(f"deletes non-default versions {', '.join(c.delete_versions)} first")
            if c.principals:
                out.append(f"detached from {', '.join(c.principals)} first")
        elif c.principals:
            out.append(f"access changes for: {', '.join(c.principals)}")
        lines = [note(text) for text in out]
        if c.action is Action.UPDATE:
            lines += [line.below() for line in grants.access_changes(c.before, c.after)]
        return lines

    def reads(self, live: Live, need: Need) -> list[Read]:
        """ListPolicyTags, which GAAD omits: whether iamsync made a policy under the prefix.
        A plan asks only of those it would delete (no file names them); an import, of those
        it writes (to say the tags a policy file cannot hold)."""
        have = (
            need.desired.of(self.type)
            if need.desired is not None
            else need.present.get(self.type, {})
        )
        records: Mapping[str, LivePolicy] = live.of(self.type)
        return [
            Read(
                n,
                "list_policy_tags",
                {"PolicyArn": p.arn},
                _with_tags,
                "the tags of policies no file names",
                paginated=True,
            )
            for n, p in sorted(records.items())
            if under(p.path, need.prefix) and n not in have
        ]

    def documents(self, c: PolicyChange) -> list[DocumentRef]:
        return [DocumentRef("", c.before, c.after, repeated=bool(c.same_document_as))]


KIND = ManagedPolicy()


def _with_tags(policy: LivePolicy, pages: list[Mapping[str, Any]]) -> LivePolicy:
    tags = {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}
    return replace(policy, tags=MappingProxyType(tags))


# -- live parsing ----------------------------------------------------------------------------


def _policy(p: Mapping[str, Any]) -> LivePolicy:
    arn = p["Arn"]
    # PolicyName is absent from some endpoints' answers (moto); the ARN always ends with it.
    name = p.get("PolicyName") or arn.rsplit("/", 1)[-1]
    versions = tuple(
        PolicyVersion(
            id=v["VersionId"],
            is_default=bool(v.get("IsDefaultVersion")),
            created=v.get("CreateDate") or datetime.min,
            document=normalize.decode(v.get("Document")),
        )
        for v in p.get("PolicyVersionList", [])
    )
    return LivePolicy(
        name=name,
        arn=arn,
        path=p.get("Path", "/"),
        versions=versions,
        attachment_count=int(p.get("AttachmentCount", 0)),
        boundary_count=int(p.get("PermissionsBoundaryUsageCount", 0)),
    )


# -- diff ----------------------------------------------------------------------------------


def _oldest_first(versions: Iterable[PolicyVersion]) -> list[PolicyVersion]:
    """By creation time; the version number breaks ties (same-second creates)."""
    return sorted(versions, key=lambda v: (v.created, v.number))


def _change(
    want: DesiredPolicy, have: LivePolicy | None, principals: tuple[str, ...]
) -> PolicyChange | None:
    if have is None:
        return PolicyChange(
            Action.CREATE, want.name, want.arn, after=want.document, principals=principals
        )
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
        before=have.default.document,
        after=want.document,
        reactivate=same[-1].id if same else None,
        prune=tuple(v.id for v in older[: max(excess, 0)]),
        principals=principals,
    )


def _delete(policy: LivePolicy, attached_by: Mapping[str, Iterable[str]]) -> PolicyChange:
    return PolicyChange(
        Action.DELETE,
        policy.name,
        policy.arn,
        before=policy.default.document,
        delete_versions=tuple(v.id for v in _oldest_first(policy.versions) if not v.is_default),
        principals=tuple(sorted(attached_by.get(policy.arn, ()))),
    )


def _mark_renames(changes: list[PolicyChange], ctx: DiffContext) -> list[PolicyChange]:
    """Pair each created policy with a deleted one of the same document: a renamed file."""
    pairs: dict[str, PolicyChange] = {}
    for c, old in renamed_pairs(
        changes, lambda x: x.after if x.action is Action.CREATE else x.before
    ):
        keeps = ctx.wanted_by.get(c.arn, frozenset()) == ctx.attached_by.get(old.arn, frozenset())
        pairs[c.name] = replace(c, same_document_as=old.name, keeps_access=keeps)
        pairs[old.name] = replace(old, same_document_as=c.name, keeps_access=keeps)
    return [pairs.get(c.name, c) for c in changes]


def _still_used_elsewhere(policy: LivePolicy, live: Live, prefix: str) -> list[Conflict]:
    """A policy to delete must not be attached to, or bound, anything iamsync does not own."""
    attached: list[str] = []
    bounding: list[str] = []
    mine_attached = mine_bounding = 0
    for kind, records in sorted(live.resources.items()):
        for p in records.values():
            if not isinstance(p, LivePrincipal):
                continue
            if owned(p, prefix):
                mine_attached += policy.arn in p.attached
                mine_bounding += p.permissions_boundary == policy.arn
                continue
            if policy.arn in p.attached:
                attached.append(f"{kind} {p.name}")
            if p.permissions_boundary == policy.arn:
                bounding.append(f"{kind} {p.name}")
    # IAM's own counts also cover principals the read may not have listed: name the rest.
    _count_rest(attached, policy.attachment_count - mine_attached)
    _count_rest(bounding, policy.boundary_count - mine_bounding)
    uses = [
        f"attached to {', '.join(sorted(attached))}" if attached else "",
        f"the permissions boundary of {', '.join(sorted(bounding))}" if bounding else "",
    ]
    said = " and ".join(u for u in uses if u)
    if not said:
        return []
    return [
        Conflict(
            "policy",
            policy.name,
            "POLICY_IN_USE",
            f'policy "{policy.name}" is to be deleted (its file is gone) but is {said}, outside '
            f"{prefix}, which iamsync does not touch; remove it from them first, or keep its file",
        )
    ]


def _still_wanted(policy: LivePolicy, desired: Desired) -> Iterator[Conflict]:
    """A policy to delete (its file is gone) that a file still names by its ARN."""
    for kind, records in sorted(desired.resources.items()):
        for record in records.values():
            uses = [("policies", a) for a in getattr(record, "policies", ()) if a == policy.arn]
            if getattr(record, "permissions_boundary", None) == policy.arn:
                uses.append(("permissions_boundary", policy.arn))
            for key, arn in uses:
                yield Conflict(
                    kind,
                    record.name,
                    "POLICY_IN_USE",
                    f'policy "{policy.name}" is to be deleted (its file policies/{policy.name}'
                    f".json is gone) but this {kind} still names it ({arn}); keep the file, or "
                    "remove it from here",
                    key,
                    arn,
                )


def _count_rest(named: list[str], total: int) -> None:
    if total > len(named):
        named.append(f"{total - len(named)} other principal(s)")


# -- calls ---------------------------------------------------------------------------------


def _call(operation: str, c: PolicyChange, **params: Any) -> Call:
    return Call(operation, {"PolicyArn": c.arn, **params}, f"policy {c.name}")


def _write(c: PolicyChange, ctx: CallContext) -> Chain:
    tags = tags_param({}, ctx.commit)
    if c.action is Action.CREATE:
        return (
            Call(
                "create_policy",
                {
                    "PolicyName": c.name,
                    "Path": ctx.prefix,
                    "PolicyDocument": normalize.compact(c.after),
                    "Tags": tags,
                },
                f"policy {c.name}",
            ),
        )
    calls = [_call("delete_policy_version", c, VersionId=v) for v in c.prune]
    if c.reactivate:
        calls.append(_call("set_default_policy_version", c, VersionId=c.reactivate))
    else:
        calls.append(
            _call(
                "create_policy_version",
                c,
                PolicyDocument=normalize.compact(c.after),
                SetAsDefault=True,
            )
        )
    calls.append(_call("tag_policy", c, Tags=tags))
    return tuple(calls)


# -- words ---------------------------------------------------------------------------------


def _rename_details(c: PolicyChange) -> list[str]:
    """A created and a deleted policy with one document: what a renamed file plans."""
    other = c.same_document_as
    if c.action is Action.CREATE:
        out = [f"new managed policy with the same document as policy {other} (deleted below)"]
    else:
        out = [f"replaced by policy {other}, which has the same document (created above)"]
        if c.delete_versions:
            out.append(f"deletes non-default versions {', '.join(c.delete_versions)} first")
    who = ", ".join(c.principals)
    if c.keeps_access:
        old, new = (other, c.name) if c.action is Action.CREATE else (c.name, other)
        out.append(
            f"nobody's access changes: {who} move{'s' if len(c.principals) == 1 else ''} "
            f"from {old} to {new}"
            if who
            else "nobody's access changes: nothing holds either"
        )
    elif who:
        out.append(f"{'attached to' if c.action is Action.CREATE else 'detached from'}: {who}")
    return out
