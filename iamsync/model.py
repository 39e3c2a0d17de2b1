"""The state iamsync compares: what Git wants (Desired) and what IAM has (Live)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

MANAGED_BY_TAG = "managed-by"
MANAGED_BY_VALUE = "iamsync"
COMMIT_TAG = "iamsync-commit"


def _empty() -> Mapping[str, str]:
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


@dataclass(frozen=True)
class LivePolicy:
    name: str
    arn: str
    path: str
    versions: tuple[PolicyVersion, ...]
    attachment_count: int  # every principal: users, groups, roles
    boundary_count: int = 0  # principals that have it as their permissions boundary

    @property
    def default(self) -> PolicyVersion:
        return next(v for v in self.versions if v.is_default)


@dataclass(frozen=True)
class LiveUser:
    name: str
    arn: str
    path: str
    attached: frozenset[str]  # managed policy ARNs
    tags: Mapping[str, str] = field(default_factory=_empty)
    groups: frozenset[str] = frozenset()
    inline_policies: tuple[str, ...] = ()
    permissions_boundary: str | None = None


@dataclass(frozen=True)
class LiveGroup:
    name: str
    arn: str
    path: str
    attached: frozenset[str] = frozenset()  # managed policy ARNs
    inline_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveRole:
    name: str
    arn: str
    path: str
    attached: frozenset[str] = frozenset()  # managed policy ARNs
    permissions_boundary: str | None = None
    inline_policies: tuple[str, ...] = ()


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
        parts = [
            (len(self.access_keys), "access key"),
            (int(self.login_profile), "console login profile"),
            (len(self.mfa_devices), "MFA device"),
            (len(self.signing_certificates), "signing certificate"),
            (len(self.ssh_public_keys), "SSH public key"),
            (len(self.service_credentials), "service-specific credential"),
        ]
        said = [f"{n} {word}{'s' if n > 1 else ''}" for n, word in parts if n]
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
    users: Mapping[str, LiveUser]  # every user of the account, owned or not
    policies: Mapping[str, LivePolicy]  # every customer-managed policy, by name
    groups: Mapping[str, LiveGroup] = field(default_factory=lambda: MappingProxyType({}))
    roles: Mapping[str, LiveRole] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DesiredPolicy:
    name: str
    arn: str
    document: Any  # rendered document, as written (not canonicalised)


@dataclass(frozen=True)
class DesiredUser:
    name: str
    arn: str
    policies: frozenset[str]  # ARNs
    tags: Mapping[str, str]  # including iamsync's managed-by tag, excluding the commit tag
    groups: frozenset[str]
    permissions_boundary: str | None


@dataclass(frozen=True)
class Desired:
    path_prefix: str
    policies: Mapping[str, DesiredPolicy]
    users: Mapping[str, DesiredUser]
    required_boundary: str | None = None  # every owned user has it (delegated administration)
