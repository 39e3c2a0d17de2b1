"""Read the account's users, customer-managed policies and groups in O(pages) calls."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from iamsync import normalize
from iamsync.aws import Garbled
from iamsync.errors import IamsyncError
from iamsync.model import (
    Credentials,
    Live,
    LiveGroup,
    LivePolicy,
    LiveRole,
    LiveUser,
    PolicyVersion,
)
from iamsync.ownership import Conflict, PlanConflict
from iamsync.plan import Plan, PolicyChange, UserChange

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import (
        GroupDetailTypeDef,
        ManagedPolicyDetailTypeDef,
        RoleDetailTypeDef,
        UserDetailTypeDef,
    )

# Principals and policies are read as two paginations running side by side: on a large
# account neither waits for the other's pages. IAM's largest page is 1,000 entries.
_PRINCIPALS: list[Any] = ["User", "Group", "Role"]
_POLICIES: list[Any] = ["LocalManagedPolicy"]
_PAGE_SIZE = 1000


def read(iam: IAMClient, account_id: str, partition: str) -> Live:
    """Users, groups and customer-managed policies, from GetAccountAuthorizationDetails."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        policy_pages = pool.submit(_pages, iam, _POLICIES)
        principal_pages = _pages(iam, _PRINCIPALS)
        pages = principal_pages + policy_pages.result()
    users = {u.name: u for page in pages for u in map(_user, page.get("UserDetailList", []))}
    policies = {p.name: p for page in pages for p in map(_policy, page.get("Policies", []))}
    groups = {g.name: g for page in pages for g in map(_group, page.get("GroupDetailList", []))}
    roles = {r.name: r for page in pages for r in map(_role, page.get("RoleDetailList", []))}
    return Live(
        account_id,
        partition,
        MappingProxyType(users),
        MappingProxyType(policies),
        MappingProxyType(groups),
        MappingProxyType(roles),
    )


def _pages(iam: IAMClient, kinds: list[Any]) -> list[Any]:
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = list(paginator.paginate(Filter=kinds, PaginationConfig={"PageSize": _PAGE_SIZE}))
    if any("IsTruncated" not in page for page in pages):
        # Every GAAD answer says whether more pages follow; one that does not is not IAM's,
        # and reading it as "no users, no policies" would plan to delete everything.
        raise Garbled("GetAccountAuthorizationDetails")
    return pages


def _user(u: UserDetailTypeDef) -> LiveUser:
    boundary = u.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return LiveUser(
        name=u["UserName"],
        arn=u["Arn"],
        path=u.get("Path", "/"),
        attached=_attached(u),
        tags=MappingProxyType({t["Key"]: t["Value"] for t in u.get("Tags", [])}),
        groups=frozenset(u.get("GroupList", [])),
        inline_policies=tuple(p["PolicyName"] for p in u.get("UserPolicyList", [])),
        permissions_boundary=boundary,
    )


def _attached(detail: Any) -> frozenset[str]:
    return frozenset(a["PolicyArn"] for a in detail.get("AttachedManagedPolicies", []))


def _group(g: GroupDetailTypeDef) -> LiveGroup:
    return LiveGroup(
        name=g["GroupName"],
        arn=g["Arn"],
        path=g.get("Path", "/"),
        attached=_attached(g),
        inline_policies=tuple(p["PolicyName"] for p in g.get("GroupPolicyList", [])),
    )


def _role(r: RoleDetailTypeDef) -> LiveRole:
    return LiveRole(
        name=r["RoleName"],
        arn=r["Arn"],
        path=r.get("Path", "/"),
        attached=_attached(r),
        permissions_boundary=r.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        inline_policies=tuple(p["PolicyName"] for p in r.get("RolePolicyList", [])),
    )


def _policy(p: ManagedPolicyDetailTypeDef) -> LivePolicy:
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


def read_credentials(iam: IAMClient, user: str) -> Credentials:
    """Everything that blocks DeleteUser: read only for users the plan deletes."""
    unlisted: list[str] = []

    def listing(what: str, call: Callable[[], list[str]]) -> tuple[str, ...]:
        try:
            return tuple(call())
        except iam.exceptions.NoSuchEntityException:
            return ()
        except ClientError as exc:
            if "AccessDenied" in str(exc.response.get("Error", {}).get("Code", "")):
                raise IamsyncError(f"not allowed to list the {what} of user {user}: {exc}") from exc
            unlisted.append(what)
        except (BotoCoreError, ResponseParserError):  # e.g. an endpoint without the call
            unlisted.append(what)
        return ()

    login = listing(
        "login profile", lambda: [iam.get_login_profile(UserName=user)["LoginProfile"]["UserName"]]
    )
    return Credentials(
        access_keys=listing(
            "access keys",
            lambda: [
                k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
            ],
        ),
        login_profile=bool(login),
        mfa_devices=listing(
            "MFA devices",
            lambda: [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]],
        ),
        signing_certificates=listing(
            "signing certificates",
            lambda: [
                c["CertificateId"]
                for c in iam.list_signing_certificates(UserName=user)["Certificates"]
            ],
        ),
        ssh_public_keys=listing(
            "SSH public keys",
            lambda: [
                k["SSHPublicKeyId"]
                for k in iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]
            ],
        ),
        service_credentials=listing(
            "service-specific credentials",
            lambda: [
                c["ServiceSpecificCredentialId"]
                for c in iam.list_service_specific_credentials(UserName=user)[
                    "ServiceSpecificCredentials"
                ]
            ],
        ),
        unlisted=tuple(unlisted),
    )


def check_policies_exist(iam: IAMClient, plan: Plan, state: Live) -> None:
    """Every policy ARN the plan newly attaches exists (one GetPolicy each, only for those)."""
    known = {p.arn for p in state.policies.values()}
    known |= {c.arn for c in plan.changes if isinstance(c, PolicyChange)}
    wanted: dict[str, list[tuple[str, str]]] = {}
    for c in plan.changes:
        if isinstance(c, UserChange):
            uses = [(arn, "policies") for arn in c.attach]
            uses += [(c.boundary, "permissions_boundary")] if c.boundary else []
            for arn, field in uses:
                if arn not in known:
                    wanted.setdefault(arn, []).append((c.name, field))
    missing = []
    for arn, users in sorted(wanted.items()):
        try:
            iam.get_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            missing += [
                Conflict(
                    "user",
                    user,
                    "UNKNOWN_POLICY_ARN",
                    f"policy {arn} does not exist in account {state.account_id}",
                    field,
                    arn,
                )
                for user, field in users
            ]
    if missing:
        raise PlanConflict(missing)
