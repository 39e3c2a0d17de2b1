"""The plan as the exact IAM API calls, in an order decided once, as data.

Calls come in stages that run one after another. A stage holds chains: the
calls of one chain run in order; different chains of a stage touch different
resources and may run concurrently. The stages encode every ordering rule:

1. policies: create, or (prune old versions ->) new default version / re-activation
2. users: create (tags and boundary inline), tag, boundary, join groups
3. attach every new policy attachment           (attach new before detaching old)
4. detach old attachments, untag, leave groups
5. delete users: credentials, memberships, inline policies, attachments, then the user
6. delete policies: non-default versions, then the policy    (after every detach)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from iamsync.model import COMMIT_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE
from iamsync.plan import Action, Plan, PolicyChange, UserChange


@dataclass(frozen=True)
class Call:
    operation: str  # the boto3 IAM client method, e.g. "create_policy"
    params: Mapping[str, Any]
    resource: str  # display only: "policy deploy", "user ci"

    @property
    def is_destructive(self) -> bool:
        return self.operation.startswith(("delete_", "detach_", "remove_", "deactivate_", "untag_"))

    def describe(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("PolicyDocument", "Tags")}
        args = ", ".join(f"{k}={v}" for k, v in shown.items())
        return f"{self.operation}({args})"


Chain = tuple[Call, ...]
Stage = tuple[Chain, ...]


def to_calls(plan: Plan, commit: str) -> tuple[Stage, ...]:
    """Every call that carries out `plan`, tagging what it writes with `commit`."""
    policies = [c for c in plan.changes if isinstance(c, PolicyChange)]
    users = [c for c in plan.changes if isinstance(c, UserChange)]
    stages = (
        tuple(
            _policy_chain(c, plan.path_prefix, commit)
            for c in policies
            if c.action is not Action.DELETE
        ),
        tuple(
            _user_chain(c, plan.path_prefix, commit) for c in users if c.action is not Action.DELETE
        ),
        tuple(
            (_user_call("attach_user_policy", c.name, UserName=c.name, PolicyArn=arn),)
            for c in users
            for arn in c.attach
            if c.action is not Action.DELETE
        ),
        tuple(chain for c in users if c.action is Action.UPDATE for chain in _loosen(c)),
        tuple(_delete_user_chain(c) for c in users if c.action is Action.DELETE),
        tuple(_delete_policy_chain(c) for c in policies if c.action is Action.DELETE),
    )
    return tuple(s for s in stages if s)


def flat(stages: tuple[Stage, ...]) -> list[Call]:
    return [call for stage in stages for chain in stage for call in chain]


def document(doc: Any) -> str:
    """What iamsync sends: compact JSON (IAM does not count whitespace, but it stores it)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _policy_call(operation: str, name: str, **params: Any) -> Call:
    return Call(operation, MappingProxyType(params), f"policy {name}")


def _user_call(operation: str, name: str, **params: Any) -> Call:
    return Call(operation, MappingProxyType(params), f"user {name}")


def _tags(tags: Mapping[str, str], commit: str) -> list[dict[str, str]]:
    merged = {**tags, COMMIT_TAG: commit}
    return [{"Key": k, "Value": v} for k, v in sorted(merged.items())]


def _policy_chain(c: PolicyChange, prefix: str, commit: str) -> Chain:
    if c.action is Action.CREATE:
        return (
            _policy_call(
                "create_policy",
                c.name,
                PolicyName=c.name,
                Path=prefix,
                PolicyDocument=document(c.after),
                Tags=_tags({MANAGED_BY_TAG: MANAGED_BY_VALUE}, commit),
            ),
        )
    calls = [
        _policy_call("delete_policy_version", c.name, PolicyArn=c.arn, VersionId=v) for v in c.prune
    ]
    if c.reactivate:
        calls.append(
            _policy_call(
                "set_default_policy_version", c.name, PolicyArn=c.arn, VersionId=c.reactivate
            )
        )
    else:
        calls.append(
            _policy_call(
                "create_policy_version",
                c.name,
                PolicyArn=c.arn,
                PolicyDocument=document(c.after),
                SetAsDefault=True,
            )
        )
    calls.append(
        _policy_call(
            "tag_policy",
            c.name,
            PolicyArn=c.arn,
            Tags=_tags({MANAGED_BY_TAG: MANAGED_BY_VALUE}, commit),
        )
    )
    return tuple(calls)


def _user_chain(c: UserChange, prefix: str, commit: str) -> Chain:
    if c.action is Action.CREATE:
        extra = {"PermissionsBoundary": c.boundary} if c.boundary else {}
        calls = [
            _user_call(
                "create_user",
                c.name,
                UserName=c.name,
                Path=prefix,
                Tags=_tags(c.tags, commit),
                **extra,
            )
        ]
    else:
        calls = [_user_call("tag_user", c.name, UserName=c.name, Tags=_tags(c.tags, commit))]
        if c.boundary:
            calls.append(
                _user_call(
                    "put_user_permissions_boundary",
                    c.name,
                    UserName=c.name,
                    PermissionsBoundary=c.boundary,
                )
            )
    calls += [
        _user_call("add_user_to_group", c.name, GroupName=g, UserName=c.name) for g in c.add_groups
    ]
    return tuple(calls)


def _loosen(c: UserChange) -> list[Chain]:
    """Stage 4 for an updated user: what takes access or metadata away."""
    chains: list[Chain] = [
        (_user_call("detach_user_policy", c.name, UserName=c.name, PolicyArn=arn),)
        for arn in c.detach
    ]
    chains += [
        (_user_call("remove_user_from_group", c.name, GroupName=g, UserName=c.name),)
        for g in c.remove_groups
    ]
    if c.untag:
        chains.append((_user_call("untag_user", c.name, UserName=c.name, TagKeys=list(c.untag)),))
    if c.remove_boundary:
        chains.append((_user_call("delete_user_permissions_boundary", c.name, UserName=c.name),))
    return chains


def _delete_user_chain(c: UserChange) -> Chain:
    u = c.name
    cred = c.credentials
    calls = []
    if c.boundary:  # the required boundary first: the apply role acts only on bounded users
        calls.append(
            _user_call(
                "put_user_permissions_boundary", u, UserName=u, PermissionsBoundary=c.boundary
            )
        )
    calls += [
        _user_call("delete_access_key", u, UserName=u, AccessKeyId=k) for k in cred.access_keys
    ]
    if cred.login_profile:
        calls.append(_user_call("delete_login_profile", u, UserName=u))
    for serial in cred.mfa_devices:
        calls.append(_user_call("deactivate_mfa_device", u, UserName=u, SerialNumber=serial))
        if ":mfa/" in serial:  # a virtual device: its ARN; hardware devices have no ARN
            calls.append(_user_call("delete_virtual_mfa_device", u, SerialNumber=serial))
    calls += [
        _user_call("delete_signing_certificate", u, UserName=u, CertificateId=i)
        for i in cred.signing_certificates
    ]
    calls += [
        _user_call("delete_ssh_public_key", u, UserName=u, SSHPublicKeyId=i)
        for i in cred.ssh_public_keys
    ]
    calls += [
        _user_call(
            "delete_service_specific_credential", u, UserName=u, ServiceSpecificCredentialId=i
        )
        for i in cred.service_credentials
    ]
    calls += [
        _user_call("remove_user_from_group", u, GroupName=g, UserName=u) for g in c.remove_groups
    ]
    calls += [
        _user_call("delete_user_policy", u, UserName=u, PolicyName=p) for p in c.inline_policies
    ]
    calls += [_user_call("detach_user_policy", u, UserName=u, PolicyArn=a) for a in c.detach]
    calls.append(_user_call("delete_user", u, UserName=u))
    return tuple(calls)


def _delete_policy_chain(c: PolicyChange) -> Chain:
    calls = [
        _policy_call("delete_policy_version", c.name, PolicyArn=c.arn, VersionId=v)
        for v in c.delete_versions
    ]
    calls.append(_policy_call("delete_policy", c.name, PolicyArn=c.arn))
    return tuple(calls)
