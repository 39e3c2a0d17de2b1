"""Turn validated repository content into the Desired state for one account."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from iamsync.model import MANAGED_BY_TAG, MANAGED_BY_VALUE, Desired, DesiredPolicy, DesiredUser


def policy_arn(partition: str, account_id: str, path_prefix: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:policy{path_prefix}{name}"


def user_arn(partition: str, account_id: str, path_prefix: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:user{path_prefix}{name}"


def build(
    policies: Mapping[str, Any],
    users: Mapping[str, Any],
    *,
    account_id: str,
    partition: str,
    path_prefix: str,
    required_boundary: str | None = None,
) -> Desired:
    """Desired state from rendered policy documents and user objects (already valid).

    With `required_boundary` (iamsync.json's permissions_boundary), every user has it.
    """

    def resolve(ref: str) -> str:
        return (
            ref if ref.startswith("arn:") else policy_arn(partition, account_id, path_prefix, ref)
        )

    desired_policies = {
        name: DesiredPolicy(name, resolve(name), doc) for name, doc in policies.items()
    }
    desired_users = {}
    for name, value in users.items():
        tags = dict(value.get("tags", {}))
        tags[MANAGED_BY_TAG] = MANAGED_BY_VALUE
        boundary = value.get("permissions_boundary") or required_boundary
        desired_users[name] = DesiredUser(
            name=name,
            arn=user_arn(partition, account_id, path_prefix, name),
            policies=frozenset(resolve(r) for r in value.get("policies", [])),
            tags=MappingProxyType(tags),
            groups=frozenset(value.get("groups", [])),
            permissions_boundary=resolve(boundary) if boundary else None,
        )
    return Desired(
        path_prefix,
        MappingProxyType(desired_policies),
        MappingProxyType(desired_users),
        required_boundary,
    )
