"""The plan as JSON: what --format json prints and --out saves, and reading it back."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from iamsync import safe
from iamsync.errors import IamsyncError
from iamsync.model import Credentials
from iamsync.plan import Action, Change, Plan, PolicyChange, UserChange

FORMAT_VERSION = 1


def to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "account_id": plan.account_id,
        "partition": plan.partition,
        "path_prefix": plan.path_prefix,
        "fingerprint": plan.fingerprint,
        "owned": plan.owned,
        "commit": plan.commit,
        "desired_digest": plan.desired_digest,
        "summary": {a.value: plan.count(a) for a in Action},
        "changes": [_change(c) for c in plan.changes],
    }


def dumps(plan: Plan) -> str:
    """ASCII JSON (a terminal shows no raw control character) with no "##[" in it."""
    return safe.json_text(json.dumps(to_json(plan), indent=2, ensure_ascii=True)) + "\n"


def loads(text: str, source: str = "plan file") -> Plan:
    """Read a saved plan; anything malformed is one clear error."""
    try:
        data = json.loads(text)
        if data.get("format_version") != FORMAT_VERSION:
            raise IamsyncError(
                f"{source}: format_version {data.get('format_version')!r} is not "
                f"{FORMAT_VERSION}; re-run --plan --out with this iamsync"
            )
        return Plan(
            changes=tuple(_read_change(c) for c in data["changes"]),
            account_id=data["account_id"],
            partition=data["partition"],
            path_prefix=data["path_prefix"],
            fingerprint=data["fingerprint"],
            owned=int(data["owned"]),
            commit=str(data["commit"]),
            desired_digest=str(data["desired_digest"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IamsyncError(f"{source} is not a plan saved by iamsync --out ({exc})") from exc


def _change(c: Change) -> dict[str, Any]:
    head = {"action": c.action.value, "type": c.type, "name": c.name, "arn": c.arn}
    if isinstance(c, PolicyChange):
        return head | {
            "before": c.before,
            "after": c.after,
            "reactivate": c.reactivate,
            "prune_versions": list(c.prune),
            "delete_versions": list(c.delete_versions),
            "users": list(c.users),
            "same_document_as": c.same_document_as,
            "keeps_access": c.keeps_access,
        }
    cred = c.credentials
    return head | {
        "attach": list(c.attach),
        "detach": list(c.detach),
        "tags": dict(c.tags),
        "untag": list(c.untag),
        "tags_before": dict(c.tags_before),
        "add_groups": list(c.add_groups),
        "remove_groups": list(c.remove_groups),
        "permissions_boundary": c.boundary,
        "remove_permissions_boundary": c.remove_boundary,
        "inline_policies": list(c.inline_policies),
        "credentials": {
            "access_keys": list(cred.access_keys),
            "login_profile": cred.login_profile,
            "mfa_devices": list(cred.mfa_devices),
            "signing_certificates": list(cred.signing_certificates),
            "ssh_public_keys": list(cred.ssh_public_keys),
            "service_credentials": list(cred.service_credentials),
            "unlisted": list(cred.unlisted),
        },
    }


def _read_change(d: dict[str, Any]) -> Change:
    action = Action(d["action"])
    if d["type"] == "policy":
        return PolicyChange(
            action,
            d["name"],
            d["arn"],
            d["before"],
            d["after"],
            reactivate=d["reactivate"],
            prune=tuple(d["prune_versions"]),
            delete_versions=tuple(d["delete_versions"]),
            users=tuple(d["users"]),
            same_document_as=d["same_document_as"],
            keeps_access=bool(d["keeps_access"]),
        )
    if d["type"] != "user":
        raise ValueError(f"unknown change type {d['type']!r}")
    cred = d["credentials"]
    return UserChange(
        action,
        d["name"],
        d["arn"],
        attach=tuple(d["attach"]),
        detach=tuple(d["detach"]),
        tags=MappingProxyType(dict(d["tags"])),
        untag=tuple(d["untag"]),
        tags_before=MappingProxyType(dict(d["tags_before"])),
        add_groups=tuple(d["add_groups"]),
        remove_groups=tuple(d["remove_groups"]),
        boundary=d["permissions_boundary"],
        remove_boundary=d["remove_permissions_boundary"],
        inline_policies=tuple(d["inline_policies"]),
        credentials=Credentials(
            access_keys=tuple(cred["access_keys"]),
            login_profile=cred["login_profile"],
            mfa_devices=tuple(cred["mfa_devices"]),
            signing_certificates=tuple(cred["signing_certificates"]),
            ssh_public_keys=tuple(cred["ssh_public_keys"]),
            service_credentials=tuple(cred["service_credentials"]),
            unlisted=tuple(cred["unlisted"]),
        ),
    )
