"""Read the account's IAM (every registered kind) in O(pages) calls; and what GAAD lacks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from iamsync import kinds
from iamsync.aws.session import Garbled
from iamsync.core.errors import IamsyncError
from iamsync.core.model import Credentials, Desired, Live
from iamsync.core.ownership import Conflict, PlanConflict, under
from iamsync.engine.plan import Plan
from iamsync.iam import normalize
from iamsync.kinds.base import Action, Change, LiveSource
from iamsync.kinds.managed_policy import LivePolicy
from iamsync.kinds.principal import PrincipalChange
from iamsync.kinds.role import LiveRole

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# Principals and policies are read as two paginations running side by side: on a large
# account neither waits for the other's pages. IAM's largest page is 1,000 entries.
_PRINCIPALS: list[Any] = ["User", "Group", "Role"]
_POLICIES: list[Any] = ["LocalManagedPolicy"]
_PAGE_SIZE = 1000


def read(iam: IAMClient, account_id: str, partition: str, client: Callable[[str], Any]) -> Live:
    """Every registered kind's live records: IAM's from GetAccountAuthorizationDetails
    pages, any other kind's from its own list calls (`client`: service -> client)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        policy_pages = pool.submit(_pages, iam, _POLICIES)
        principal_pages = _pages(iam, _PRINCIPALS)
        pages = principal_pages + policy_pages.result()
    source = LiveSource(pages, client)
    resources = {kind.type: MappingProxyType(kind.read(source)) for kind in kinds.registered()}
    return Live(account_id, partition, MappingProxyType(resources))


def _pages(iam: IAMClient, kinds: list[Any]) -> list[Any]:
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = list(paginator.paginate(Filter=kinds, PaginationConfig={"PageSize": _PAGE_SIZE}))
    if any("IsTruncated" not in page for page in pages):
        # Every GAAD answer says whether more pages follow; one that does not is not IAM's,
        # and reading it as "no users, no policies" would plan to delete everything.
        raise Garbled("GetAccountAuthorizationDetails")
    return pages


def roles_to_complete(wanted: Desired) -> list[str]:
    """The roles whose files set a description or a session length."""
    return sorted(
        name
        for name, want in wanted.of("role").items()
        if want.description is not None or want.max_session_duration is not None
    )


def _missing(
    arn: str, users: list[tuple[Change, str]], account: str, required: str | None
) -> Conflict:
    n = len(users)
    if arn == required:
        return Conflict(
            "config",
            "iamsync",
            "BOUNDARY_MISSING",
            f"the required permissions boundary {arn} does not exist in account {account}: "
            "deploy iamsync's bootstrap stack first (README, 'Use it on your account', step "
            f"1: aws cloudformation deploy --template-file bootstrap/iamsync-roles.template.json "
            f"...); {n} user{'s and roles' if n > 1 else ''} of this plan need it",
            "permissions_boundary",
        )
    first, field = users[0]
    more = f" (and {n - 1} more files name it)" if n > 1 else ""
    return Conflict(
        first.type,
        first.name,
        "UNKNOWN_POLICY_ARN",
        f"policy {arn} does not exist in account {account}{more}",
        field,
        arn,
    )


def complete_roles(iam: IAMClient, state: Live, names: list[str]) -> Live:
    """Description and session length of the named roles (GetRole each).

    GetAccountAuthorizationDetails omits both; only the roles that need them pay a call:
    those whose files set them (plan), or the owned ones being imported.
    """
    roles: dict[str, LiveRole] = dict(state.of("role"))
    for name in names:
        if name in roles:
            role = iam.get_role(RoleName=name)["Role"]
            roles[name] = replace(
                roles[name],
                description=role.get("Description", ""),
                max_session_duration=role.get("MaxSessionDuration"),
            )
    resources = {**state.resources, "role": MappingProxyType(roles)}
    return replace(state, resources=MappingProxyType(resources))


def complete_for_import(
    iam: IAMClient, state: Live, prefix: str, present: Mapping[str, Any]
) -> Live:
    """What GAAD lacks of the resources an import writes: roles' descriptions and session
    lengths, the tags of policies (a policy file cannot hold them: import says so)."""
    roles = [n for n, r in state.of("role").items() if under(r.path, prefix)]
    policies = [
        n
        for n, p in state.of("policy").items()
        if under(p.path, prefix) and n not in present.get("policy", {})
    ]
    return complete_policy_tags(iam, complete_roles(iam, state, roles), policies)


def policies_to_check(desired: Desired, state: Live) -> list[str]:
    """The policies a plan would delete: under the prefix, named by no file. Their tags
    say whether iamsync made them (the bulk read has no policy tags)."""
    wanted = desired.of("policy")
    return sorted(
        name
        for name, p in state.of("policy").items()
        if under(p.path, desired.path_prefix) and name not in wanted
    )


def complete_policy_tags(iam: IAMClient, state: Live, names: list[str]) -> Live:
    """The tags of the named policies (ListPolicyTags each, only for those)."""
    policies: dict[str, LivePolicy] = dict(state.of("policy"))
    for name in names:
        if name in policies:
            pages = iam.get_paginator("list_policy_tags").paginate(PolicyArn=policies[name].arn)
            tags = {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}
            policies[name] = replace(policies[name], tags=MappingProxyType(tags))
    resources = {**state.resources, "policy": MappingProxyType(policies)}
    return replace(state, resources=MappingProxyType(resources))


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


def documents(iam: IAMClient, arns: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """The default document of each policy (AWS-managed ones, for the access review), and
    the policies that could not be read, with why.

    Two calls per policy, run side by side. A policy that does not exist is left out (the
    plan refuses attaching it anyway); one the credentials may not read (a plan role of an
    older bootstrap stack) is named, and the review goes on without it.
    """

    def one(arn: str) -> tuple[str, Any, str]:
        try:
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            found = iam.get_policy_version(PolicyArn=arn, VersionId=version)
        except iam.exceptions.NoSuchEntityException:
            return arn, None, ""
        except ClientError as exc:
            if "AccessDenied" not in str(exc.response.get("Error", {}).get("Code", "")):
                raise
            return arn, None, "AccessDenied"
        return arn, normalize.decode(found["PolicyVersion"].get("Document")), ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, sorted(arns)))
    docs = {arn: doc for arn, doc, _ in results if doc is not None}
    return docs, [f"{arn} ({why})" for arn, _, why in results if why]


def check_policies_exist(
    iam: IAMClient, plan: Plan, state: Live, required_boundary: str | None = None
) -> None:
    """Every policy ARN the plan newly attaches exists (one GetPolicy each, only for those).

    A missing required boundary is one problem, at iamsync.json (the bootstrap stack is
    not deployed); another missing ARN is said at the first file naming it, the rest counted.
    """
    known = {p.arn for p in state.of("policy").values()}
    # Policies the plan creates or updates exist by the time they are attached; deleted ones
    # do not (a file naming one is refused before this).
    known |= {c.arn for c in plan.changes if c.type == "policy" and c.action is not Action.DELETE}
    known -= {c.arn for c in plan.changes if c.type == "policy" and c.action is Action.DELETE}
    wanted: dict[str, list[tuple[Change, str]]] = {}
    for c in plan.changes:
        if isinstance(c, PrincipalChange) and c.action is not Action.DELETE:
            uses = [(arn, "policies") for arn in c.attach]
            uses += [(c.boundary, "permissions_boundary")] if c.boundary else []
            for arn, field in uses:
                if arn not in known:
                    wanted.setdefault(arn, []).append((c, field))
    missing = []
    for arn, users in sorted(wanted.items()):
        try:
            iam.get_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            missing.append(_missing(arn, users, state.account_id, required_boundary))
    if missing:
        raise PlanConflict(missing)
