"""Risk findings on a principal's effective access: escalation paths and wide grants (pure).

Each rule reads a principal (its policies, its boundary) and its effective actions, and
says what it found in one line. "Unconstrained" is the research's test: allowed on every
resource, with no condition, and nothing closing it (a conditional Deny such as a
boundary's "only with this boundary", or a boundary that allows it only conditionally).
The codes, severities and help live in iamsync.codes.FINDINGS.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from iamsync import codes
from iamsync.access.effective import Principal, grants, unconstrained

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
# iamsync's own access: its roles, its boundary, its stack (any account, any region).
IAMSYNC_RESOURCES = (
    "arn:*:iam::*:role/iamsync-apply",
    "arn:*:iam::*:role/iamsync-plan",
    "arn:*:iam::*:policy/iamsync-boundary",
    "arn:*:cloudformation:*:*:stack/iamsync-roles/*",
)


@dataclass(frozen=True)
class Found:
    code: str
    principal: str  # "user ci"
    message: str

    @property
    def risk(self) -> codes.Risk:
        return codes.FINDINGS[self.code].risk


Rule = Callable[[Principal, frozenset[str]], Iterator[str]]


def check(
    principal: Principal, allowed: frozenset[str], trust: Any = None, account: str = ""
) -> list[Found]:
    """Every finding for one principal (`allowed`: its effective actions; `trust`: a
    role's trust policy, whose other accounts are told from `account`)."""
    found = [
        Found(code, principal.label, message)
        for code, rule in RULES.items()
        for message in rule(principal, allowed)
    ]
    if trust is not None:
        found += [
            Found("CROSS_ACCOUNT_TRUST", principal.label, m) for m in cross_account(trust, account)
        ]
    return found


def _admin(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    wide = [pol for pol in p.policies if {"*", "iam:*"} & set(pol.patterns)]
    if wide and all(unconstrained(p, a, allowed) for a in ESCALATIONS[:4]):
        yield f"{wide[0].source} allows every action on every resource, IAM included"


def _escalations(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    risky = [a for a in ESCALATIONS if unconstrained(p, a, allowed)]
    if risky:
        yield (
            f"may {_some(risky)} on any resource: each of these grants more access than it "
            "has (its own or another principal's)"
        )


def _passrole(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    if not unconstrained(p, "iam:PassRole", allowed):
        return
    launchers = [a for a in LAUNCHERS if a in allowed]
    if launchers:
        yield (
            f"may pass any role to a service it can start ({_some(launchers)}): code runs with "
            "that role's access; name the roles in Resource or add an iam:PassedToService "
            "condition"
        )


def _create_role(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    if not unconstrained(p, "iam:CreateRole", allowed):
        return
    gives = [a for a in ("iam:AttachRolePolicy", "iam:PutRolePolicy") if a in allowed]
    if gives and "iam:PassRole" in allowed:
        yield (
            "may create a role, give it any policy and pass it: require "
            "iam:PermissionsBoundary on iam:CreateRole (or a permissions boundary that does)"
        )


def _iamsync(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    hits = sorted(
        {
            f"{action} on {resource}"
            for action in allowed
            for grant in grants(p, action)
            if not grant.not_resource
            for resource in grant.resources
            if resource != "*"
            and any(fnmatch.fnmatchcase(resource, own) for own in IAMSYNC_RESOURCES)
        }
    )
    if hits:
        yield f"reaches iamsync's own access: {_some(hits)}"


def _exposure(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    """Resource policies and grants outside IAM (IAM's own are escalations, above)."""
    if p.level is None:
        return
    wide = [a for a in allowed if not a.startswith("iam:") and unconstrained(p, a, allowed)]
    if len(wide) > _LEVELS_LOOKED_UP:
        return  # everything, near enough: ADMIN_EQUIVALENT or ALLOW_NOT_ACTION says so
    exposed = sorted(a for a in wide if p.level(a) == "Permissions management")
    if exposed:
        yield (
            f"may {_some(exposed)} on every resource: resource policies and grants can open "
            "those resources to anyone"
        )


_LEVELS_LOOKED_UP = 3000  # beyond this many wide actions, access levels are not looked up


def _service_wildcard(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    for policy in p.policies:
        for pattern in policy.patterns:
            service, _, name = pattern.partition(":")
            if name != "*" or service == "*":
                continue
            sample = next(
                (a for a in allowed if a.partition(":")[0].lower() == service.lower()), None
            )
            if sample is not None and unconstrained(p, sample, allowed):
                yield f"{policy.source} allows {pattern} on every resource"


def _not_action(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    for policy in p.policies:
        if policy.allow_not_action:
            yield f"{policy.source} allows every action but a list (NotAction)"


def _secrets(p: Principal, allowed: frozenset[str]) -> Iterator[str]:
    exposed = [a for a in SECRETS if unconstrained(p, a, allowed)]
    if exposed:
        yield f"may {_some(exposed)} on every resource"


def cross_account(trust: Any, account: str) -> Iterator[str]:
    """A role's trust: principals of other accounts than `account`, or anyone."""
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
            if "Condition" not in st:
                yield "anyone may assume this role (Principal *, no condition)"
            continue
        aws = principal.get("AWS", []) if isinstance(principal, Mapping) else []
        for who in aws if isinstance(aws, list) else [aws]:
            other = _account_of(str(who))
            if other is not None and other != account:
                yield f"account {other} may assume this role ({who})"


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
