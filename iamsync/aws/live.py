"""Read the account's IAM (every registered kind) in O(pages) calls; and what GAAD lacks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from iamsync import kinds
from iamsync.aws import bulk
from iamsync.aws.session import error_code, failure, reading
from iamsync.core.errors import IamsyncError
from iamsync.core.model import Live
from iamsync.core.ownership import Conflict, PlanConflict
from iamsync.engine.plan import Plan
from iamsync.iam import normalize
from iamsync.kinds.base import Action, Change, LiveSource, Need, Read, Unanswered

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


def read(iam: IAMClient, account_id: str, partition: str, client: Callable[[str], Any]) -> Live:
    """Every registered kind's live records: IAM's from GetAccountAuthorizationDetails
    pages, any other kind's from its own list calls (`client`: service -> client)."""
    return assemble(bulk.fetch(iam), account_id, partition, client)


def assemble(
    pages: list[Any], account_id: str, partition: str, client: Callable[[str], Any]
) -> Live:
    """The live state of `pages`, and of every other kind's own reads."""
    source = LiveSource(pages, client)
    resources = {kind.type: MappingProxyType(kind.read(source)) for kind in kinds.registered()}
    return Live(account_id, partition, MappingProxyType(resources))


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


def complete(state: Live, need: Need, client: Callable[[str], Any]) -> Live:
    """The live records completed with what the bulk read lacks, as each kind asks (its
    `reads` hook: a role's description, a policy's tags, the credentials of a user to
    delete): one call per record that needs it."""
    resources = dict(state.resources)
    for kind in kinds.registered():
        asks = getattr(kind, "reads", None)
        if asks is None:
            continue
        records = dict(state.of(kind.type))
        reads = [r for r in asks(state, need) if r.name in records]
        service: Any = client(kind.service) if reads else None
        for read in reads:
            # the fold too: a reply that parsed but lacks what IAM's has (a KeyError) is a
            # garbled endpoint, one clean error, never a traceback or a partial record
            with reading(read.purpose):
                records[read.name] = read.fold(records[read.name], _answer(service, read))
        resources[kind.type] = MappingProxyType(records)
    return replace(state, resources=MappingProxyType(resources))


def _answer(service: Any, read: Read) -> Any:
    def ask() -> Any:
        if read.paginated:
            return list(service.get_paginator(read.operation).paginate(**read.params))
        return getattr(service, read.operation)(**read.params)

    if not read.optional:
        return ask()
    try:
        return ask()
    except ClientError as exc:
        code = error_code(exc)
        if code == "NoSuchEntity":
            return Unanswered.ABSENT
        if "AccessDenied" in code:
            raise IamsyncError(f"not allowed to read {read.purpose}: {failure(exc)}") from exc
        return Unanswered.UNREAD
    except (BotoCoreError, ResponseParserError):  # an endpoint without the call (moto)
        return Unanswered.UNREAD
    # Anything else (a reply that is not IAM's) stops the run: the caller's reading() says so.


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
    managed = {k.type for k in kinds.with_access(kinds.Access.DOCUMENT)}
    known = {r.arn for t in managed for r in state.of(t).values()}
    # Policies the plan creates or updates exist by the time they are attached; deleted ones
    # do not (a file naming one is refused before this).
    known |= {c.arn for c in plan.changes if c.type in managed and c.action is not Action.DELETE}
    known -= {c.arn for c in plan.changes if c.type in managed and c.action is Action.DELETE}
    wanted: dict[str, list[tuple[Change, str]]] = {}
    for c in plan.changes:
        kind = kinds.by_type(c.type)
        for arn, field in getattr(kind, "references", lambda _: ())(c):
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
