"""--suggest --write: the repository edits that grant what a principal was denied and drop
what it did not use, in files only that principal uses (pure: values in, values out).

- Missing grants go into the principal's own file, as the inline policy `from-evidence`
  (it lives and dies with the principal; nothing else holds it): one statement per set of
  resources the denials named, ARNs with the repository's {{AccountId}}, {{Region}} and
  {{Partition}}; "*" only for actions that take no resource.
- Unused actions leave the documents only this principal holds: its inline policies and
  the managed policy files attached to it and to nothing else (never a boundary, never a
  group's). An Action entry goes when every action it grants went unused; a wildcard that
  also grants used (or unprovable) actions becomes the list of those. A statement with no
  action left goes; a document with no statement left goes (a policy file is deleted and
  detached). NotAction statements and Denies are left as they are, and said.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iamsync.access.sides import Roles
from iamsync.core.model import Desired
from iamsync.engine.suggest import Suggestion
from iamsync.files.source import Source
from iamsync.iam.catalog import Catalog

INLINE_NAME = "from-evidence"
# Never granted from evidence alone: whoever holds the principal's credentials chooses
# which calls are denied, so a denial of one of these is a request for more access, not a
# missing step. They are listed, for a person to grant (or not) in a reviewed change.
CHANGES_ACCESS = ("Permissions management",)
HANDS_OUT_ROLES = frozenset(
    {
        "iam:passrole",
        "sts:assumerole",
        "sts:assumerolewithwebidentity",
        "sts:assumerolewithsaml",
        "sts:setsourceidentity",
        "sts:tagsession",
    }
)


@dataclass(frozen=True)
class Edits:
    files: Mapping[str, Any] = field(default_factory=dict)  # path -> new value; None: delete
    written: tuple[str, ...] = ()  # what each edit does, for the output
    left: tuple[str, ...] = ()  # what was not narrowed, and why


@dataclass(frozen=True)
class Place:
    """Where the values of the target live: for {{AccountId}} and friends in new ARNs."""

    account: str
    partition: str
    region: str


def edits(
    s: Suggestion,
    kind: str,
    sources: Mapping[tuple[str, str], Source],
    desired: Desired,
    roles: Roles,
    catalog: Catalog,
    place: Place,
) -> Edits:
    mine = sources[(kind, s.principal.name)]
    record = desired.of(kind)[s.principal.name]
    value = copy.deepcopy(mine.value)
    files: dict[str, Any] = {}
    written: list[str] = []
    left: list[str] = []
    unused = frozenset(s.unused)

    # -- drop what went unused -------------------------------------------------------------
    if unused:
        for name, document in list(value.get("inline_policies", {}).items()):
            if name == INLINE_NAME:
                continue
            narrowed, said = _narrow(document, unused, catalog)
            left += [f"inline policy {name}: {w}" for w in said]
            if narrowed == document:
                continue
            if narrowed is None:
                del value["inline_policies"][name]
                written.append(
                    f"{mine.path}: removed inline policy {name} (nothing in it was used)"
                )
            else:
                value["inline_policies"][name] = narrowed
                written.append(f"{mine.path}: narrowed inline policy {name}")
        for arn, (doc_kind, doc_name) in _documents(desired, roles).items():
            if arn not in record.policies:
                continue
            others = _holders(arn, desired, roles) - {(kind, s.principal.name)}
            if others:
                who = ", ".join(f"{k} {n}" for k, n in sorted(others))
                left.append(f"policy {doc_name} is shared with {who}: not narrowed")
                continue
            source = sources.get((doc_kind, doc_name))
            if source is None:
                continue
            narrowed, said = _narrow(source.value, unused, catalog)
            left += [f"policy {doc_name}: {w}" for w in said]
            if narrowed == source.value:
                continue
            files[source.path] = narrowed
            if narrowed is None:
                value["policies"] = [
                    p for p in value.get("policies", []) if p not in (doc_name, arn)
                ]
                written.append(f"{source.path}: deleted (nothing in it was used), and detached")
            else:
                written.append(f"{source.path}: removed unused actions")
    # -- grant what was denied ---------------------------------------------------------------
    statements, unplaced = _grants(s, catalog, place)
    left += unplaced
    if statements:
        inline = value.setdefault("inline_policies", {})
        existing = inline.get(INLINE_NAME) or {"Version": "2012-10-17", "Statement": []}
        listed = (
            existing["Statement"]
            if isinstance(existing["Statement"], list)
            else [existing["Statement"]]
        )
        for st in statements:
            if st not in listed:
                listed.append(st)
        for i, st in enumerate(listed, 1):
            st["Sid"] = f"FromEvidence{i}"
        existing["Statement"] = listed
        inline[INLINE_NAME] = existing
        actions = sorted({a for st in statements for a in st["Action"]})
        written.append(f"{mine.path}: inline policy {INLINE_NAME} grants {', '.join(actions)}")
    if value != mine.value:
        files[mine.path] = value
    return Edits(files, tuple(written), tuple(left))


def _grants(
    s: Suggestion, catalog: Catalog, place: Place
) -> tuple[list[dict[str, Any]], list[str]]:
    by_resources: dict[tuple[str, ...], list[str]] = {}
    left: list[str] = []
    for m in s.missing:
        takes = catalog.resource_arns(m.action)
        level = catalog.access_level(m.action)
        if level in CHANGES_ACCESS or m.action.lower() in HANDS_OUT_ROLES:
            what = level if level in CHANGES_ACCESS else "a way to act as a role"
            left.append(
                f"{m.action} ({what}) was denied but is not granted from evidence: it changes "
                "who may do what; grant it by hand in a reviewed change if it is meant"
            )
        elif takes == ():  # the action takes only "*"
            by_resources.setdefault(("*",), []).append(m.action)
        elif m.resources:
            by_resources.setdefault(tuple(_templated(r, place) for r in m.resources), []).append(
                m.action
            )
        else:
            left.append(
                f"{m.action}: no denial named its resource, so it was not granted; add it by hand"
            )
    statements = [
        {
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": list(resources) if resources != ("*",) else "*",
        }
        for resources, actions in sorted(by_resources.items())
    ]
    return statements, left


def _templated(arn: str, place: Place) -> str:
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn
    if parts[1] == place.partition:
        parts[1] = "{{Partition}}"
    if place.region and parts[3] == place.region:
        parts[3] = "{{Region}}"
    if parts[4] == place.account:
        parts[4] = "{{AccountId}}"
    return ":".join(parts)


def _narrow(document: Any, unused: frozenset[str], catalog: Catalog) -> tuple[Any, list[str]]:
    """The document without its unused actions (None: nothing left), and what was left."""
    if not isinstance(document, dict):
        return document, []
    doc = copy.deepcopy(document)
    raw = doc.get("Statement")
    listed = raw if isinstance(raw, list) else [raw]
    said: list[str] = []
    out = []
    for st in listed:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            out.append(st)
            continue
        if "NotAction" in st:
            said.append("a NotAction statement cannot be narrowed by action; left as it is")
            out.append(st)
            continue
        entries = st.get("Action")
        entries = [entries] if isinstance(entries, str) else list(entries or [])
        kept: list[str] = []
        for entry in entries:
            names = catalog.action_names(entry) if "{{" not in entry else frozenset()
            if not names or not names & unused:
                kept.append(entry)  # unknown, or nothing of it went unused
            elif names <= unused:
                continue  # every action it grants went unused
            elif "*" in entry or "?" in entry:
                kept += sorted(names - unused, key=str.lower)
            else:
                kept.append(entry)
        kept = list(dict.fromkeys(kept))
        if not kept:
            continue
        if kept != entries:
            st["Action"] = kept if len(kept) > 1 else kept[0]
        out.append(st)
    if not out:
        return None, said
    doc["Statement"] = out if isinstance(raw, list) else out[0]
    return doc, said


def _documents(desired: Desired, roles: Roles) -> dict[str, tuple[str, str]]:
    """Every managed document of the repository: ARN -> (its kind, its name)."""
    return {
        record.arn: (kind, record.name)
        for kind in roles.documents
        for record in desired.of(kind).values()
    }


def _holders(arn: str, desired: Desired, roles: Roles) -> set[tuple[str, str]]:
    """Who holds a managed policy in the repository: attached, as a boundary, or by a group."""
    found = set()
    for kind in roles.holders:
        for record in desired.of(kind).values():
            if (
                arn in getattr(record, "policies", ())
                or getattr(record, "permissions_boundary", None) == arn
            ):
                found.add((kind, record.name))
    return found
