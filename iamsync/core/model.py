"""The state iamsync compares, for every kind: what Git wants (Desired) and IAM has (Live).

Each kind (iamsync/kinds/) defines the records of its resources; the containers here
hold them by kind type ("policy", "user", "group", "role") and name, so the stages loop
over kinds instead of naming them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

MANAGED_BY_TAG = "managed-by"
MANAGED_BY_VALUE = "iamsync"
COMMIT_TAG = "iamsync-commit"
BOOKKEEPING_TAGS = (MANAGED_BY_TAG, COMMIT_TAG)  # written by iamsync itself, never by files


def empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class PolicyVersion:
    id: str  # "v3"
    is_default: bool
    created: datetime
    document: Any  # decoded JSON

    @property
    def number(self) -> int:
        return int(self.id.lstrip("v") or 0)


# Everything that blocks DeleteUser and is not a policy or a membership: (field, words,
# the call that lists them). Read only for users the plan deletes.
CREDENTIAL_KINDS = (
    ("access_keys", "access key"),
    ("login_profile", "console login profile"),
    ("mfa_devices", "MFA device"),
    ("signing_certificates", "signing certificate"),
    ("ssh_public_keys", "SSH public key"),
    ("service_credentials", "service-specific credential"),
)


@dataclass(frozen=True)
class Credentials:
    """What blocks deleting a user, read only for users the plan deletes."""

    access_keys: tuple[str, ...] = ()
    login_profile: bool = False
    mfa_devices: tuple[str, ...] = ()  # serial numbers (ARNs for virtual devices)
    signing_certificates: tuple[str, ...] = ()
    ssh_public_keys: tuple[str, ...] = ()
    service_credentials: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()  # kinds the endpoint could not list (said in the plan)

    def describe(self) -> list[str]:
        said = []
        for name, word in CREDENTIAL_KINDS:
            value = getattr(self, name)
            n = int(value) if isinstance(value, bool) else len(value)
            if n:
                said.append(f"{n} {word}{'s' if n > 1 else ''}")
        return said + [
            f"any {what} (IAM could not list them; if some exist, DeleteUser "
            "fails and nothing is lost)"
            for what in self.unlisted
        ]


@dataclass(frozen=True)
class Live:
    """Everything the plan knows of the account, read in O(pages) calls."""

    account_id: str
    partition: str
    # kind type -> name -> that kind's live record; every resource of the account (owned or
    # not) for principals and customer-managed policies.
    resources: Mapping[str, Mapping[str, Any]] = field(default_factory=empty)

    def of(self, kind: str) -> Mapping[str, Any]:
        return self.resources.get(kind, MappingProxyType({}))


@dataclass(frozen=True)
class Desired:
    path_prefix: str
    # kind type -> name -> that kind's desired record
    resources: Mapping[str, Mapping[str, Any]] = field(default_factory=empty)
    required_boundary: str | None = None  # every owned user and role has it
    policy_quota: int = 10  # managed policies per principal (iamsync.json's quotas)

    def of(self, kind: str) -> Mapping[str, Any]:
        return self.resources.get(kind, MappingProxyType({}))
