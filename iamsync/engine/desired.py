"""Turn validated repository content into the Desired state for one account, kind by kind."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from iamsync import kinds
from iamsync.core.model import Desired
from iamsync.iam import limits
from iamsync.kinds.base import BuildContext


def build(
    values: Mapping[str, Mapping[str, Any]],
    *,
    account_id: str,
    partition: str,
    path_prefix: str,
    required_boundary: str | None = None,
    policy_quota: int = limits.DEFAULT_MANAGED_POLICIES_PER_USER,
) -> Desired:
    """Desired state from rendered files (already valid): kind -> name -> file value.

    With `required_boundary` (iamsync.json's permissions_boundary), every user and role
    has it.
    """
    ctx = BuildContext(account_id, partition, path_prefix, required_boundary)
    resources = {
        kind.type: MappingProxyType(
            {
                name: kind.build(name, value, ctx)
                for name, value in values.get(kind.type, {}).items()
            }
        )
        for kind in kinds.registered()
    }
    return Desired(path_prefix, MappingProxyType(resources), required_boundary, policy_quota)
