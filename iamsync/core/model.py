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


@dataclass(frozen=True)
class CredentialKind:
    """One kind of what blocks DeleteUser and is not a policy or a membership: how IAM lists
    it for a user and deletes one. Read only for users the plan deletes."""

    field: str  # Credentials' field
    words: str  # "access key"
    list_call: str  # the IAM client method that lists them for a user
    answer: str  # the answer's key holding them
    id_key: str  # each one's id in the answer (what the delete call takes)
    delete_call: str
    delete_param: str  # "" when the user's name is all the delete call takes

    def ids(self, answer: Mapping[str, Any]) -> tuple[str, ...]:
        found = answer[self.answer]
        items = found if isinstance(found, list) else [found]
        return tuple(str(item[self.id_key]) for item in items)


CREDENTIAL_KINDS = (
    CredentialKind(
        "access_keys",
        "access key",
        "list_access_keys",
        "AccessKeyMetadata",
        "AccessKeyId",
        "delete_access_key",
        "AccessKeyId",
    ),
    CredentialKind(
        "login_profile",
        "console login profile",
        "get_login_profile",
        "LoginProfile",
        "UserName",
        "delete_login_profile",
        "",
    ),
    CredentialKind(
        "mfa_devices",
        "MFA device",
        "list_mfa_devices",
        "MFADevices",
        "SerialNumber",
        "deactivate_mfa_device",
        "SerialNumber",
    ),
    CredentialKind(
        "signing_certificates",
        "signing certificate",
        "list_signing_certificates",
        "Certificates",
        "CertificateId",
        "delete_signing_certificate",
        "CertificateId",
    ),
    CredentialKind(
        "ssh_public_keys",
        "SSH public key",
        "list_ssh_public_keys",
        "SSHPublicKeys",
        "SSHPublicKeyId",
        "delete_ssh_public_key",
        "SSHPublicKeyId",
    ),
    CredentialKind(
        "service_credentials",
        "service-specific credential",
        "list_service_specific_credentials",
        "ServiceSpecificCredentials",
        "ServiceSpecificCredentialId",
        "delete_service_specific_credential",
        "ServiceSpecificCredentialId",
    ),
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

    def ids(self, kind: CredentialKind) -> tuple[str, ...]:
        """The ids of one kind (a login profile's is the user's name)."""
        value = getattr(self, kind.field)
        return ("",) if value is True else () if value is False else tuple(value)

    def describe(self) -> list[str]:
        said = []
        for kind in CREDENTIAL_KINDS:
            n = len(self.ids(kind))
            if n:
                said.append(f"{n} {kind.words}{'s' if n > 1 else ''}")
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
