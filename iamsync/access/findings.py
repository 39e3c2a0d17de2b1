"""Risk findings on a principal's effective access: escalation paths and wide grants (pure).

Each rule reads a principal (its policies, its boundary) and its effective actions, and
says what it found in one line. "Unconstrained" is the research's test: allowed on every
resource, with no condition, and nothing closing it (a conditional Deny such as a
boundary's "only with this boundary", or a boundary that allows it only conditionally).
The codes, severities and help live in iamsync.codes.FINDINGS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from iamsync import arn, codes
from iamsync.access.effective import Principal, wide

ESCALATIONS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy",
)
LAUNCHERS = (
    "lambda:CreateFunction",
    "ec2:RunInstances",
    "ecs:RunTask",
    "ecs:StartTask",
    "ecs:CreateService",
    "cloudformation:CreateStack",
    "cloudformation:CreateStackSet",
    "glue:CreateDevEndpoint",
    "glue:CreateJob",
    "codebuild:CreateProject",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateTrainingJob",
    "datapipeline:CreatePipeline",
    "apprunner:CreateService",
)
SECRETS = (
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
)
# iamsync's own access: its roles, its boundary, its stack (as the catalog writes ARNs).
IAMSYNC_RESOURCES = (
    "arn:${Partition}:iam::${Account}:role/iamsync-apply",
    "arn:${Partition}:iam::${Account}:role/iamsync-plan",
    "arn:${Partition}:iam::${Account}:policy/iamsync-boundary",
    "arn:${Partition}:cloudformation:${Region}:${Account}:stack/iamsync-roles/${Id}",
)


@dataclass(frozen=True)
class Found:
    code: str
    principal: str  # "user ci"
    message: str

    @property
    def risk(self) -> codes.Risk:
        return codes.FINDINGS[self.code].risk


@dataclass(frozen=True)
class View:
    """What the rules read of one principal, computed once."""

    principal: Principal
    allowed: frozenset[str]  # its effective actions
    wide: frozenset[str]  # those it may perform unconstrained


Rule = Callable[[View], Iterator[str]]


def check(
    principal: Principal, allowed: frozenset[str], trust: Any = None, account: str = ""
) -> list[Found]:
    """Every finding for one principal (`allowed`: its effective actions; `trust`: a
    role's trust policy, whose other accounts are told from `account`)."""
    view = View(principal, allowed, wide(principal, allowed))
    found = [
        Found(code, principal.label, message)
        for code, rule in RULES.items()
        for message in rule(view)
    ]
    if trust is not None:
        found += [
            Found("CROSS_ACCOUNT_TRUST", principal.label, m) for m in cross_account(trust, account)
        ]
    return found


def _admin(v: View) -> Iterator[str]:
    found = [
        (pol, a) for pol in v.principal.policies for a in ("*", "iam:*") if a in pol.open_patterns
    ]
    if found and all(a in v.wide for a in ESCALATIONS[:4]):
        policy, pattern = found[0]
        what = "every action" if pattern == "*" else "every IAM action"
        yield f"{policy.source} allows {what} ({pattern}) on every resource"


def _escalations(v: View) -> Iterator[str]:
    risky = [a for a in ESCALATIONS if a in v.wide]
    if risky:
        yield (
            f"may {_some(risky)} on any resource: each of these grants more access than it "
            "has (its own or another principal's)"
        )


def _passrole(v: View) -> Iterator[str]:
    if "iam:PassRole" not in v.wide:
        return
    launchers = [a for a in LAUNCHERS if a in v.allowed]
    if launchers:
        yield (
            f"may pass any role to a service it can start ({_some(launchers)}): code runs with "
            "that role's access; name the roles in Resource or add an iam:PassedToService "
            "condition"
        )


def _create_role(v: View) -> Iterator[str]:
    if "iam:CreateRole" not in v.wide:
        return
    gives = [a for a in ("iam:AttachRolePolicy", "iam:PutRolePolicy") if a in v.allowed]
    if gives and "iam:PassRole" in v.allowed:
        yield (
            "may create a role, give it any policy and pass it: require "
            "iam:PermissionsBoundary on iam:CreateRole (or a permissions boundary that does)"
        )


def _iamsync(v: View) -> Iterator[str]:
    hits = sorted({r for p in v.principal.policies for r in _own_resources(p.resources)})
    if hits and v.allowed:
        yield f"reaches iamsync's own access: {_some(hits)}"


@lru_cache(maxsize=4096)
def _own_resources(resources: frozenset[str]) -> tuple[str, ...]:
    """The resource patterns (of one document) that name iamsync's own roles or stack."""
    return tuple(
        r for r in resources if r != "*" and any(arn.fits(r, own) for own in IAMSYNC_RESOURCES)
    )


def _exposure(v: View) -> Iterator[str]:
    """Resource policies and grants outside IAM (IAM's own are escalations, above)."""
    level = v.principal.level
    if level is None:
        return
    outside = [a for a in v.wide if not a.startswith("iam:")]
    if len(outside) > _LEVELS_LOOKED_UP:
        return  # everything, near enough: ADMIN_EQUIVALENT or ALLOW_NOT_ACTION says so
    exposed = sorted(a for a in outside if level(a) == "Permissions management")
    if exposed:
        yield (
            f"may {_some(exposed)} on every resource: resource policies and grants can open "
            "those resources to anyone"
        )


_LEVELS_LOOKED_UP = 3000  # beyond this many wide actions, access levels are not looked up


def _service_wildcard(v: View) -> Iterator[str]:
    """A statement that allows every action of a service on every resource, no condition."""
    for policy in v.principal.policies:
        for pattern in policy.open_patterns:
            service, _, name = pattern.partition(":")
            if name != "*" or service == "*":
                continue
            service = service.lower()
            if any(a.partition(":")[0].lower() == service for a in v.wide):
                yield f"{policy.source} allows {pattern} on every resource"


def _not_action(v: View) -> Iterator[str]:
    for policy in v.principal.policies:
        if policy.allow_not_action:
            yield f"{policy.source} allows every action but a list (NotAction)"


def _secrets(v: View) -> Iterator[str]:
    exposed = [a for a in SECRETS if a in v.wide]
    if exposed:
        yield f"may {_some(exposed)} on every resource"


def cross_account(trust: Any, account: str) -> Iterator[str]:
    """A role's trust: principals of other accounts than `account`, or anyone."""
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        aws_any = isinstance(principal, dict) and "*" in _listed(principal.get("AWS"))
        if principal == "*" or aws_any:
            if "Condition" not in st:
                yield "anyone may assume this role (Principal *, no condition)"
            continue
        aws = principal.get("AWS", []) if isinstance(principal, Mapping) else []
        for who in aws if isinstance(aws, list) else [aws]:
            other = _account_of(str(who))
            if other is not None and other != account:
                yield f"account {other} may assume this role ({who})"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _account_of(principal: str) -> str | None:
    """The 12-digit account a principal ("123456789012" or an ARN) names, if any."""
    parts = principal.split(":")
    account = principal if principal.isdigit() else (parts[4] if len(parts) > 4 else "")
    return account if account.isdigit() and len(account) == 12 else None


def _some(items: list[str], shown: int = 4) -> str:
    head = ", ".join(items[:shown])
    return head if len(items) <= shown else f"{head} and {len(items) - shown} more"


RULES: dict[str, Rule] = {
    "ADMIN_EQUIVALENT": _admin,
    "IAM_PRIVILEGE_ESCALATION": _escalations,
    "PASSROLE_TO_LAUNCHER": _passrole,
    "CREATE_ROLE_WITHOUT_BOUNDARY": _create_role,
    "REACHES_IAMSYNC": _iamsync,
    "RESOURCE_EXPOSURE": _exposure,
    "SERVICE_WILDCARD": _service_wildcard,
    "ALLOW_NOT_ACTION": _not_action,
    "CREDENTIAL_EXPOSURE": _secrets,
}
