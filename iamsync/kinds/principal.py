"""What users, groups and roles share, written once: managed policy attachments, inline
policies, permissions boundary and tags — their records, diff, calls, words and files.

Each principal kind describes its IAM calls with an `Api`; a kind without tags or a
boundary (groups) leaves those calls out and never gets such changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iamsync.core.lines import Line, added, changed, note, removed, set_or_changed
from iamsync.core.model import BOOKKEEPING_TAGS, COMMIT_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE, empty
from iamsync.core.ownership import made_by_iamsync
from iamsync.iam import limits, normalize
from iamsync.kinds.base import (
    Action,
    AdoptContext,
    BuildContext,
    Call,
    Chain,
    Change,
    DocumentRef,
)


@dataclass(frozen=True)
class Api:
    """A principal kind's IAM calls and the name of its name parameter."""

    noun: str  # "user"
    key: str  # "UserName"
    attach: str
    detach: str
    put_inline: str
    delete_inline: str
    tag: str | None = None
    untag: str | None = None
    put_boundary: str | None = None
    delete_boundary: str | None = None

    def call(self, operation: str, name: str, **params: Any) -> Call:
        return Call(operation, {self.key: name, **params}, f"{self.noun} {name}")


@dataclass(frozen=True)
class DesiredPrincipal:
    name: str
    arn: str
    policies: frozenset[str]  # managed policy ARNs
    inline: Mapping[str, Any]  # inline policy name -> rendered document
    tags: Mapping[str, str]  # as written (iamsync's bookkeeping tags are added on write)
    permissions_boundary: str | None
    renamed_from: str | None  # the live name to rename from


@dataclass(frozen=True)
class LivePrincipal:
    name: str
    arn: str
    path: str
    attached: frozenset[str] = frozenset()  # managed policy ARNs
    inline: Mapping[str, Any] = field(default_factory=empty)  # name -> decoded document
    tags: Mapping[str, str] = field(default_factory=empty)
    permissions_boundary: str | None = None


@dataclass(frozen=True)
class PrincipalChange(Change):
    attach: tuple[str, ...] = ()  # policy ARNs
    detach: tuple[str, ...] = ()
    put_inline: Mapping[str, Any] = field(default_factory=empty)  # name -> document
    delete_inline: tuple[str, ...] = ()
    inline_before: Mapping[str, Any] = field(default_factory=empty)  # display: live documents
    tags: Mapping[str, str] = field(default_factory=empty)  # to set
    untag: tuple[str, ...] = ()
    tags_before: Mapping[str, str] = field(default_factory=empty)  # display: live values
    boundary: str | None = None  # set this permissions boundary
    remove_boundary: bool = False
    renamed_from: str | None = None  # renamed from this live name first (keeps everything)
    adopt: bool = False  # under the prefix but not made by iamsync: this plan tags it as its
    # At IAM's quota, new before old cannot work: what goes, goes first (said in the plan).
    detach_first: bool = False  # managed policies: live + new would exceed the quota
    untag_first: bool = False  # tags: live + new keys would exceed 50


# -- building and reading -----------------------------------------------------------------


def desired_fields(name: str, value: Any, noun: str, ctx: BuildContext) -> dict[str, Any]:
    """The DesiredPrincipal fields of a rendered principal file."""
    boundary = value.get("permissions_boundary")
    return {
        "name": name,
        "arn": ctx.arn(noun, name),
        "policies": frozenset(ctx.policy_arn(r) for r in value.get("policies", [])),
        "inline": dict(value.get("inline_policies", {})),
        "tags": dict(value.get("tags", {})),
        "permissions_boundary": ctx.policy_arn(boundary) if boundary else None,
        "renamed_from": value.get("renamed_from"),
    }


def live_fields(detail: Mapping[str, Any], name_key: str, inline_key: str) -> dict[str, Any]:
    """The LivePrincipal fields of a GAAD user, group or role detail."""
    return {
        "name": detail[name_key],
        "arn": detail["Arn"],
        "path": detail.get("Path", "/"),
        "attached": frozenset(a["PolicyArn"] for a in detail.get("AttachedManagedPolicies", [])),
        "inline": {
            p["PolicyName"]: normalize.decode(p.get("PolicyDocument"))
            for p in detail.get(inline_key, [])
        },
        "tags": {t["Key"]: t["Value"] for t in detail.get("Tags", [])},
        "permissions_boundary": (detail.get("PermissionsBoundary") or {}).get(
            "PermissionsBoundaryArn"
        ),
    }


# -- diff --------------------------------------------------------------------------------


def created(want: DesiredPrincipal) -> dict[str, Any]:
    """The PrincipalChange fields that create `want`."""
    return {
        "attach": tuple(sorted(want.policies)),
        "put_inline": dict(sorted(want.inline.items())),
        "tags": dict(want.tags),
        "boundary": want.permissions_boundary,
    }


def updated(want: DesiredPrincipal, have: LivePrincipal, quota: int) -> dict[str, Any]:
    """The PrincipalChange fields that make `have` into `want` (all empty: nothing to do).

    `quota`: managed policies per principal. Attachments are added before old ones go,
    unless together they would exceed it; tags likewise with IAM's 50.
    """
    tags, untag = _tag_changes(want.tags, have.tags)
    attach = want.policies - have.attached
    live_keys = {k.lower() for k in have.tags} | {t.lower() for t in BOOKKEEPING_TAGS}
    live_tags = {k.lower(): v for k, v in have.tags.items()}
    changed_inline = {
        n: d
        for n, d in sorted(want.inline.items())
        if n not in have.inline or normalize.canonical(d) != normalize.canonical(have.inline[n])
    }
    dropped = tuple(sorted(set(have.inline) - set(want.inline)))
    bookkept = getattr(have, "bookkept", False)
    return {
        "adopt": bookkept and not made_by_iamsync(have.tags),
        "attach": tuple(sorted(attach)),
        "detach": tuple(sorted(have.attached - want.policies)),
        "detach_first": bool(attach) and len(have.attached) + len(attach) > quota,
        "untag_first": bool(untag)
        and len(live_keys | {k.lower() for k in tags}) > limits.TAGS_PER_RESOURCE,
        "put_inline": changed_inline,
        "delete_inline": dropped,
        "inline_before": {
            n: have.inline[n] for n in (*changed_inline, *dropped) if n in have.inline
        },
        "tags": tags,
        "untag": untag,
        "tags_before": {k: live_tags[k.lower()] for k in (*tags, *untag) if k.lower() in live_tags},
        "boundary": want.permissions_boundary
        if want.permissions_boundary != have.permissions_boundary
        else None,
        "remove_boundary": want.permissions_boundary is None
        and have.permissions_boundary is not None,
    }


def deleted(have: LivePrincipal) -> dict[str, Any]:
    """What deleting `have` removes first: its inline policies and attachments."""
    return {
        "detach": tuple(sorted(have.attached)),
        "delete_inline": tuple(sorted(have.inline)),
        "inline_before": dict(have.inline),
    }


def anything(fields: Mapping[str, Any]) -> bool:
    return any(bool(v) for k, v in fields.items() if k not in ("inline_before", "tags_before"))


def _tag_changes(
    want: Mapping[str, str], have: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Tag keys are case-insensitive; iamsync's own tags never make a change on their own."""
    reserved = {t.lower() for t in BOOKKEEPING_TAGS}  # in any case: IAM's keys ignore it
    have_by_lower = {k.lower(): (k, v) for k, v in have.items() if k.lower() not in reserved}
    wanted_lower = {k.lower() for k in want}
    to_set = {k: v for k, v in want.items() if have_by_lower.get(k.lower()) != (k, v)}
    to_unset = tuple(
        sorted(k for lower, (k, _) in have_by_lower.items() if lower not in wanted_lower)
    )
    return to_set, to_unset


# -- calls -------------------------------------------------------------------------------


def tags_param(tags: Mapping[str, str], commit: str) -> list[dict[str, str]]:
    merged = {**tags, MANAGED_BY_TAG: MANAGED_BY_VALUE, COMMIT_TAG: commit}
    return [{"Key": k, "Value": v} for k, v in sorted(merged.items())]


def setup(c: PrincipalChange, api: Api, name: str, commit: str) -> list[Call]:
    """Stage PRINCIPALS of an update: tags (recording the commit) and a new boundary."""
    calls = []
    if c.untag_first and api.untag:
        calls.append(api.call(api.untag, name, TagKeys=list(c.untag)))
    if api.tag:
        calls.append(api.call(api.tag, name, Tags=tags_param(c.tags, commit)))
    if c.boundary and api.put_boundary:
        calls.append(api.call(api.put_boundary, name, PermissionsBoundary=c.boundary))
    return calls


def grant(c: PrincipalChange, api: Api) -> list[Chain]:
    """Stage GRANT: new attachments and inline policies, one chain each (at the quota, one
    chain that detaches the old ones first)."""
    attaches = [api.call(api.attach, c.name, PolicyArn=arn) for arn in c.attach]
    if c.detach_first:
        detaches = [api.call(api.detach, c.name, PolicyArn=arn) for arn in c.detach]
        chains: list[Chain] = [(*detaches, *attaches)]
    else:
        chains = [(call,) for call in attaches]
    chains += [
        (api.call(api.put_inline, c.name, PolicyName=n, PolicyDocument=document(d)),)
        for n, d in c.put_inline.items()
    ]
    return chains


def revoke(c: PrincipalChange, api: Api) -> list[Chain]:
    """Stage REVOKE of an update: what takes access or metadata away."""
    chains: list[Chain] = [
        (api.call(api.detach, c.name, PolicyArn=arn),) for arn in c.detach if not c.detach_first
    ]
    chains += [(api.call(api.delete_inline, c.name, PolicyName=n),) for n in c.delete_inline]
    if c.untag and api.untag and not c.untag_first:
        chains.append((api.call(api.untag, c.name, TagKeys=list(c.untag)),))
    if c.remove_boundary and api.delete_boundary:
        chains.append((api.call(api.delete_boundary, c.name),))
    return chains


def teardown(c: PrincipalChange, api: Api) -> list[Call]:
    """Before deleting a principal: its inline policies, then its attachments."""
    calls = [api.call(api.delete_inline, c.name, PolicyName=n) for n in c.delete_inline]
    calls += [api.call(api.detach, c.name, PolicyArn=a) for a in c.detach]
    return calls


def document(doc: Any) -> str:
    """What iamsync sends: compact JSON (IAM does not count whitespace, but it stores it)."""
    return normalize.compact(doc)


# -- words ---------------------------------------------------------------------------------


def details(c: PrincipalChange) -> list[Line]:
    """The shared lines of a create or update: policies, inline policies, boundary, tags."""
    out = []
    if c.adopt:
        out.append(
            note(
                f"adopts it: iamsync did not make it (no {MANAGED_BY_TAG} tag); this plan tags it "
                "as iamsync's, and from then on iamsync manages (and may delete) it"
            )
        )
    if c.renamed_from:
        out.append(note(f"renamed from {c.renamed_from} (credentials and memberships kept)"))
    if c.detach_first:
        out.append(note("detaches first: together, old and new would exceed IAM's quota"))
    out += [added(f"attach {arn}") for arn in c.attach]
    out += [removed(f"detach {arn}") for arn in c.detach]
    for name in c.put_inline:
        out.append(set_or_changed(f"inline policy {name}", new=name not in c.inline_before))
    out += [removed(f"inline policy {name}") for name in c.delete_inline]
    if c.boundary:  # a create sets it; an update changes it
        out.append(
            set_or_changed(f"permissions boundary {c.boundary}", new=c.action is Action.CREATE)
        )
    if c.remove_boundary:
        out.append(removed("permissions boundary removed"))
    if c.action is Action.CREATE:
        out += [added(f"tag {key} = {value!r}") for key, value in sorted(c.tags.items())]
        return out
    for key, value in sorted(c.tags.items()):
        if key in c.tags_before:
            out.append(changed(f"tag {key}: {c.tags_before[key]!r} → {value!r}"))
        else:
            out.append(added(f"tag {key} = {value!r}"))
    out += [
        removed(f"tag {key}" + (f" (was {c.tags_before[key]!r})" if key in c.tags_before else ""))
        for key in c.untag
    ]
    return out


def teardown_details(c: PrincipalChange) -> list[Line]:
    out = [note(f"deletes inline policy {p}").below() for p in c.delete_inline]
    return out + [note(f"detaches {arn}").below() for arn in c.detach]


def references(c: PrincipalChange) -> list[tuple[str, str]]:
    """(policy ARN, file key) of each managed policy the change newly attaches or sets as
    the boundary: each must exist."""
    if c.action is Action.DELETE:
        return []
    found = [(arn, "policies") for arn in c.attach]
    return found + ([(c.boundary, "permissions_boundary")] if c.boundary else [])


def documents(c: PrincipalChange) -> list[DocumentRef]:
    """The inline policies a change puts or deletes."""
    if c.action is Action.DELETE:
        return []
    found = [
        DocumentRef(f"inline policy {n}", c.inline_before.get(n), d)
        for n, d in c.put_inline.items()
    ]
    return found + [
        DocumentRef(f"inline policy {n}", c.inline_before.get(n), None) for n in c.delete_inline
    ]


# -- files and fingerprints -----------------------------------------------------------------


def adopt(record: LivePrincipal, ctx: AdoptContext, *, tags: bool) -> dict[str, Any]:
    """The principal keys of the file that reproduces `record`."""
    value: dict[str, Any] = {}
    if record.attached:
        value["policies"] = sorted(ctx.reference(a) for a in record.attached)
    if record.inline:
        value["inline_policies"] = {n: ctx.template(d) for n, d in sorted(record.inline.items())}
    if record.permissions_boundary and record.permissions_boundary != ctx.required_boundary:
        value["permissions_boundary"] = ctx.reference(record.permissions_boundary)
    kept = {k: v for k, v in record.tags.items() if k.lower() not in BOOKKEEPING_TAGS}
    if tags and kept:
        value["tags"] = dict(sorted(kept.items()))
    return value


def fingerprint(record: LivePrincipal) -> list[Any]:
    return [
        record.name,
        record.path,
        sorted(record.attached),
        sorted((n, normalize.dumps(normalize.canonical(d))) for n, d in record.inline.items()),
        sorted(record.tags.items()),
        record.permissions_boundary,
    ]
