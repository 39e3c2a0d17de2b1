"""Risk findings on a principal's effective access: escalation paths and wide grants (pure).

The rules are classes of what IAM allows, not a list of examples:

- policy writes: IAM's Permissions-management actions that add access to a user, group,
  role or policy (the catalog's level; a test holds every such action classified), on
  every resource, on the principal itself, or on principals it can then use;
- credential writes on other users, and group memberships;
- trust writes (a role's trust policy) and creating roles or users without a boundary;
- launch with a role: iam:PassRole to any action whose API call takes a role (derived from
  AWS's API definitions, iamsync/access/passes_role.txt);
- update compute that already runs with a role (a function's code, a stack, a dev
  endpoint, a shell on an instance, a notebook's URL): the public escalation catalogues'
  "existing role" class;
- sts:AssumeRole on every role, and on roles that trust the principal but not its boundary.

A condition never hides a finding unless it closes that very path: iam:PermissionsBoundary
naming a boundary that itself contains IAM writes, iam:PassedToService naming only other
services, iam:PolicyARN naming only policies that grant no IAM writes. Any other condition,
and any conditional Deny, is said in the message ("only if …") and the finding stays.
The codes, severities and help live in iamsync.core.codes.FINDINGS.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from iamsync.access import patterns
from iamsync.access.effective import (
    NEGATED,
    POSITIVE,
    Closes,
    Condition,
    Evaluator,
    Holdings,
    Opening,
    PolicyAccess,
    Principal,
    index,
)
from iamsync.core import codes
from iamsync.iam import normalize

# IAM actions that add access to an identity, by the type of resource they change.
POLICY_WRITES = {
    "iam:CreatePolicyVersion": "policy",
    "iam:SetDefaultPolicyVersion": "policy",
    "iam:AttachUserPolicy": "user",
    "iam:PutUserPolicy": "user",
    "iam:DeleteUserPermissionsBoundary": "user",
    "iam:PutUserPermissionsBoundary": "user",
    "iam:AttachGroupPolicy": "group",
    "iam:PutGroupPolicy": "group",
    "iam:AddUserToGroup": "group",
    "iam:AttachRolePolicy": "role",
    "iam:PutRolePolicy": "role",
    "iam:DeleteRolePermissionsBoundary": "role",
    "iam:PutRolePermissionsBoundary": "role",
    "iam:UpdateAssumeRolePolicy": "role",
}
# IAM actions that take access away: an escalation only when what they remove is a Deny.
POLICY_REMOVALS = {
    "iam:DetachUserPolicy": "user",
    "iam:DeleteUserPolicy": "user",
    "iam:DetachGroupPolicy": "group",
    "iam:DeleteGroupPolicy": "group",
    "iam:DetachRolePolicy": "role",
    "iam:DeleteRolePolicy": "role",
}
# IAM's other Permissions-management actions on identities, which neither add nor remove
# what an identity may do (a test holds the three tables to the catalog).
POLICY_INERT = ("iam:CreatePolicy", "iam:DeletePolicy", "iam:DeletePolicyVersion")
# Credentials of a user, made or revived by someone else.
CREDENTIAL_WRITES = (
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:UploadSSHPublicKey",
)
# Compute that already runs with a role, changed to run the caller's code: each tuple is
# one way (all its actions needed). The "existing role" paths of pathfinding.cloud and
# Rhino Security Labs' list, and their close relatives.
TAKEOVERS = (
    ("lambda:UpdateFunctionCode",),
    ("lambda:UpdateFunctionConfiguration",),
    ("glue:UpdateDevEndpoint",),
    ("glue:UpdateJob",),
    ("cloudformation:UpdateStack",),
    ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"),
    ("cloudformation:UpdateStackSet",),
    ("codebuild:StartBuild",),
    ("codebuild:StartBuildBatch",),
    ("codebuild:UpdateProject",),
    ("ssm:SendCommand",),
    ("ssm:StartSession",),
    ("ssm:CreateAssociation",),  # an association runs a command document on instances
    ("ssm:UpdateAssociation",),
    ("ssm:CreateAssociationBatch",),
    ("ec2-instance-connect:SendSSHPublicKey",),
    ("ec2-instance-connect:SendSerialConsoleSSHPublicKey",),
    ("ecs:ExecuteCommand",),
    ("ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"),
    ("ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"),
    ("sagemaker:CreatePresignedNotebookInstanceUrl",),
    ("sagemaker:CreatePresignedDomainUrl",),
    ("sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:UpdateNotebookInstance"),
    ("apprunner:UpdateService",),
    ("bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"),
    ("elasticmapreduce:AddJobFlowSteps",),
    ("batch:SubmitJob",),
    ("airflow:CreateCliToken",),
    ("datapipeline:PutPipelineDefinition",),
    ("states:UpdateStateMachine",),
)
# Services whose role-taking actions run code the caller supplies, with the role: passing
# any role to them is a high finding; to any other service, medium.
CODE_RUNNERS = frozenset(
    {
        "airflow",
        "airflow-serverless",
        "amplify",
        "apprunner",
        "autoscaling",
        "batch",
        "bedrock",
        "bedrock-agentcore",
        "cloudformation",
        "codebuild",
        "codepipeline",
        "datapipeline",
        "ec2",
        "ecs",
        "eks",
        "elasticbeanstalk",
        "elasticmapreduce",
        "emr-containers",
        "emr-serverless",
        "events",
        "gamelift",
        "glue",
        "imagebuilder",
        "kafkaconnect",
        "kinesisanalytics",
        "lambda",
        "pipes",
        "sagemaker",
        "scheduler",
        "ssm",
        "states",
    }
)
# Named first in a message: the launchers the escalation catalogues use.
KNOWN_LAUNCHERS = frozenset(
    {
        "lambda:CreateFunction",
        "ec2:RunInstances",
        "ec2:RequestSpotInstances",
        "ecs:RegisterTaskDefinition",
        "ecs:RunTask",
        "ecs:StartTask",
        "ecs:CreateService",
        "glue:CreateDevEndpoint",
        "glue:CreateJob",
        "cloudformation:CreateStack",
        "codebuild:CreateProject",
        "sagemaker:CreateNotebookInstance",
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateProcessingJob",
        "apprunner:CreateService",
        "datapipeline:PutPipelineDefinition",
    }
)
# Where a role is given that the API definitions do not show as a role parameter.
# (an automation's AutomationAssumeRole travels inside its Parameters)
EXTRA_LAUNCHERS = ("datapipeline:PutPipelineDefinition", "ssm:StartAutomationExecution")
SECRETS = (
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "ec2:GetPasswordData",
    "redshift:GetClusterCredentials",
)
# iamsync's own access: its roles, its boundary, its stack (as the catalog writes ARNs).
IAMSYNC_RESOURCES = (
    "arn:${Partition}:iam::${Account}:role/iamsync-apply",
    "arn:${Partition}:iam::${Account}:role/iamsync-plan",
    "arn:${Partition}:iam::${Account}:policy/iamsync-boundary",
    "arn:${Partition}:cloudformation:${Region}:${Account}:stack/iamsync-roles/${Id}",
)
USER_ARN = "arn:*:iam::*:user/*"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")
# What rewrites a managed policy's effective document.
REWRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
ADMIN_PROBES = (
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:CreatePolicyVersion",
)


@cache
def launchers() -> frozenset[str]:
    """Every action that passes a role to a service (generated; see tools/role_actions.py)."""
    text = resources.files("iamsync.access").joinpath("passes_role.txt").read_text("utf-8")
    found = {line.strip() for line in text.splitlines() if line and not line.startswith("#")}
    return frozenset(found | set(EXTRA_LAUNCHERS))


@dataclass(frozen=True)
class Found:
    code: str
    principal: str  # "user ci"
    message: str

    @property
    def risk(self) -> codes.Risk:
        return codes.FINDINGS[self.code].risk


@dataclass(frozen=True)
class LiveRole:
    """A role of the account, for the AssumeRole rules: who may assume it, its boundary."""

    arn: str
    trust: Any
    boundary: str | None


@dataclass
class Context:
    """What the rules know beyond the principal: the account, its roles, the documents of
    policies a condition may name (by ARN), and verdicts computed once per review."""

    evaluator: Evaluator
    account: str = ""
    partition: str = "aws"
    roles: tuple[LiveRole, ...] = ()
    resolve: Callable[[str], PolicyAccess | None] = lambda arn: None  # ARN -> its index
    _contains: dict[str, bool] = field(default_factory=dict)
    _ways_out: dict[str, list[str]] = field(default_factory=dict)
    _trusting: tuple[dict[str, list[LiveRole]], list[LiveRole]] | None = None
    _beyond: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # rule results of principals that hold the same documents (rules that do not read who
    # the principal is): each distinct set of holdings is checked once. Keyed by what they
    # hold (Evaluator.key), never by a Holdings' id: an evicted one's address is reused.
    # Only rules that found something are kept: most principals' entry is ().
    _memo: dict[Any, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)

    def contains(self, arn: str) -> bool:
        """Whether a policy, as a boundary or as the only policy attached, contains who
        holds it: an administrator under it can write no policy, credential or trust,
        create no principal without a contained boundary, pass no role to a service that
        runs code, and assume no role (a role not under it is not capped by it). Unknown
        documents contain nothing. A boundary that requires itself on new principals is
        read as containing while it is judged (the fixed point)."""
        if arn in self._contains:
            return self._contains[arn]
        doc = self.resolve(arn)
        if doc is None:
            return False
        self._contains[arn] = True
        admin = self.evaluator.admin_under(doc)
        self._ways_out[arn] = [
            f"{a} on itself" for a in REWRITES if admin.on(a, arn, {}) is not None
        ] + self.escapes(admin, arn)
        self._contains[arn] = contained = not self._ways_out[arn]
        return contained

    def uncontained(self, opening: Opening) -> str:
        """ " (boundary X does not contain: iam:PassRole to ec2, sts:AssumeRole)" for the
        boundaries an opening's conditions name that contain nothing, or ""."""
        said = []
        for c in opening.conditions:
            if c.key == "iam:permissionsboundary":
                for arn in c.values:
                    if not self.contains(arn):
                        ways = self._ways_out.get(arn)
                        why = f": {', '.join(ways[:3])}" if ways else " (it cannot be read)"
                        said.append(f"boundary {arn.rsplit('/', 1)[-1]} does not contain{why}")
        return f" ({'; '.join(said)})" if said else ""

    def escapes(self, admin: Holdings, boundary: str = "") -> list[str]:
        """The ways out an administrator holding `admin` (under `boundary`) has; none:
        contained. Passing or assuming a role is a way out unless every role it may reach
        is one the boundary limits it to (an unconditional Deny with NotResource, or Allows
        on named role paths) and every live role there carries the boundary."""
        ways = [
            a
            for a in (*POLICY_WRITES, *CREDENTIAL_WRITES, "iam:CreateRole", "iam:CreateUser")
            if admin.opening(a, self.closer(a))
        ]
        services = {a.partition(":")[0].lower() for a in launchers() & admin.allowed}
        passing = [
            f"iam:PassRole to {s}"
            for s in sorted(services & CODE_RUNNERS, key=lambda s: (s not in _FAMOUS, s))
            if admin.opening("iam:PassRole", _passed_elsewhere(s))
        ][:1]
        if passing and not self._only_bounded_roles(admin, "iam:PassRole", boundary):
            ways += passing
        if admin.opening("sts:AssumeRole") and not self._only_bounded_roles(
            admin, "sts:AssumeRole", boundary
        ):
            ways.append("sts:AssumeRole")
        return ways

    def _only_bounded_roles(self, admin: Holdings, action: str, boundary: str) -> bool:
        """Every role `action` may reach is named by a role path, in this account, and
        every live role there has `boundary`."""
        limits = admin.limits(action)
        if limits is None:  # no NotResource Deny: the boundary's Allows bound it
            limits = tuple(
                r for g in admin.caps(action) for r in (("*",) if g.not_resource else g.resources)
            )
        here = f"arn:{self.partition}:iam::{self.account}:role/"
        for pattern in limits:
            rest = pattern[len(here) :] if pattern.startswith(here) else ""
            head = rest.split("/", 1)[0] if "/" in rest else rest
            literal = not any(c in head for c in "*?$")
            if not rest or not literal:  # every role, or a name pattern at any path
                return False
        return all(
            role.boundary == boundary
            for role in self.roles
            if any(patterns.matches(p, role.arn) for p in limits)
        )

    def trusting(self) -> tuple[dict[str, list[LiveRole]], list[LiveRole]]:
        """The account's roles by who their trust names: principal ARN -> roles, and the
        roles that trust the whole account (or anyone). Built once per review."""
        if self._trusting is None:
            direct: dict[str, list[LiveRole]] = {}
            by_account: list[LiveRole] = []
            for role in self.roles:
                aws = [name for kind, name in trusted(role.trust) if kind == "AWS"]
                if any(_trusts_account(n, self.account) for n in aws):
                    by_account.append(role)
                for name in aws:
                    direct.setdefault(name, []).append(role)
            self._trusting = (direct, by_account)
        return self._trusting

    def beyond(self, boundary: str) -> tuple[str, ...]:
        """Names of the roles that trust the account and do not have `boundary`, sorted."""
        if boundary not in self._beyond:
            _, by_account = self.trusting()
            names = {_tail(r.arn) for r in by_account if r.boundary != boundary}
            self._beyond[boundary] = tuple(sorted(names))
        return self._beyond[boundary]

    def closer(self, action: str = "", writer: Callable[[str], bool] | None = None) -> Closes:
        """Conditions that close IAM writes: a contained boundary required, or only
        policies that are contained themselves attached. `writer(arn)`: whether the
        principal being judged may itself rewrite that policy (then it contains nothing).
        On Delete*PermissionsBoundary the boundary key names what is removed: it closes
        nothing there."""
        removes = action in (
            "iam:DeleteUserPermissionsBoundary",
            "iam:DeleteRolePermissionsBoundary",
        )

        def closes(c: Condition, in_deny: bool) -> bool:
            if c.key not in ("iam:permissionsboundary", "iam:policyarn"):
                return False
            if removes and c.key == "iam:permissionsboundary":
                return False
            return _names_only(c, in_deny) and all(
                self.contains(v) and not (writer and writer(v)) for v in c.values
            )

        return closes


def _names_only(c: Condition, in_deny: bool) -> bool:
    """The entry limits the request to literal values: a positive operator in an Allow
    (not IfExists: an absent key would pass), a negated one in a Deny."""
    if not c.literal:
        return False
    if in_deny:  # ForAnyValue / ForAllValues change what an absent key does: not these
        return c.base in NEGATED and ":" not in c.operator
    return c.base in POSITIVE and not c.if_exists and not c.operator.startswith("ForAllValues")


@dataclass(frozen=True)
class View:
    """What the rules read of one principal."""

    principal: Principal
    holdings: Holdings
    context: Context

    @property
    def allowed(self) -> frozenset[str]:
        return self.holdings.allowed

    def opening(self, action: str, closes: Closes | None = None) -> Opening | None:
        return self.holdings.opening(action, closes)

    def on(self, action: str, arn: str, closes: Closes | None = None) -> Opening | None:
        return self.holdings.on(action, arn, self.principal.variables, closes)

    def closer(self, action: str = "") -> Closes:
        """The context's closing conditions for `action`, where a boundary or policy the
        principal may itself rewrite closes nothing."""
        return self.context.closer(action, self._writes)

    def _writes(self, arn: str) -> bool:
        return any(self.on(a, arn) is not None for a in REWRITES)


Rule = Callable[[View], Iterator[str]]


def check(principal: Principal, context: Context, trust: Any = None) -> list[Found]:
    """Every finding for one principal (`trust`: a role's trust policy)."""
    view = View(principal, context.evaluator.holdings(principal), context)
    key = context.evaluator.key(principal)
    shared = context._memo.get(key)
    if shared is None:
        said = ((code, tuple(RULES[code](view))) for code in RULES if code not in PERSONAL)
        shared = context._memo[key] = tuple((code, found) for code, found in said if found)
    by_code = dict(shared)
    found = []
    for code, rule in RULES.items():
        messages = rule(view) if code in PERSONAL else by_code.get(code, ())
        found += [Found(code, principal.label, m) for m in messages]
    if trust is not None:
        found += [
            Found(
                "ANYONE_MAY_ASSUME" if m.startswith("anyone") else "CROSS_ACCOUNT_TRUST",
                principal.label,
                m,
            )
            for m in cross_account(trust, context.account)
        ]
        high = sorted({f.code for f in found if f.risk is codes.Risk.HIGH})
        who = [name for kind, name in trusted(trust) if kind == "AWS"]
        if high and who:
            found.append(
                Found(
                    "POWERFUL_ROLE_ASSUMABLE",
                    principal.label,
                    f"may be assumed by {_some(who)}, who then hold what it holds "
                    f"({', '.join(high)})",
                )
            )
    return found


# -- administrator ------------------------------------------------------------------------------


def _admin(v: View) -> Iterator[str]:
    closes = v.closer()
    if not all(v.opening(a, closes) for a in ADMIN_PROBES):
        return
    for policy in v.principal.policies:
        for action, resource in policy.statements:
            written = action.lower()
            if written.startswith("!"):
                what, written = f"every action but {_some(written[1:].split(','))}", "*"
            elif written in ("*", "*:*"):
                what, written = "every action", "*"
            elif written == "iam:*":
                what = "every IAM action"
            else:
                continue
            if _spans_service(v, written, resource):
                note = v.opening(ADMIN_PROBES[0], closes)
                shown = action if not action.startswith("!") else "NotAction"
                yield f"{policy.source} allows {what} ({shown}) on every resource" + (
                    note.note() if note else ""
                )
                return


def _spans_service(v: View, action: str, resource: str) -> bool:
    """The statement's resource reaches every resource its action pattern can name."""
    if resource == "*" or any(
        patterns.covers(resource, f"arn:{part}:*:*:*:*") for part in ("*", *PARTITIONS)
    ):
        return True
    service = action.partition(":")[0]
    if action == "*" or patterns.STAR in patterns.tokens(service):
        return False
    own = service.lower()
    templates = [t for t in v.holdings.catalog.service_arns(own) if t.split(":")[2] == own]
    return bool(templates) and all(patterns.every_resource(resource, (t,)) for t in templates)


# -- IAM writes ---------------------------------------------------------------------------------


def _escalations(v: View) -> Iterator[str]:
    anywhere: list[tuple[str, Opening]] = []
    for action in (*POLICY_WRITES, *CREDENTIAL_WRITES):
        if action in v.allowed:
            opened = v.opening(action, v.closer(action))
            if opened is not None:
                anywhere.append((action, opened))
    if anywhere:
        names = [a for a, _ in anywhere]
        yield (
            f"may {_some(names)} on any resource: each grants more access than it has (its "
            f"own or another principal's){_notes(o for _, o in anywhere)}"
        )
    done = {a for a, _ in anywhere}
    yield from _on_itself(v, done)
    yield from _credentials_of_others(v, done)
    yield from _removes_own_deny(v)


def _on_itself(v: View, done: set[str]) -> Iterator[str]:
    """Policy writes limited by a resource pattern that still names the principal itself,
    its groups, or a policy it holds (its boundary included)."""
    mine = _own_resources(v.principal)
    for action, kind in POLICY_WRITES.items():
        if action in done or action not in v.allowed:
            continue
        if action == "iam:AddUserToGroup":
            continue  # joining one's own group adds nothing; other groups: below
        for arn, what in mine.get(kind, ()):
            opened = v.on(action, arn, v.closer(action))
            if opened is not None:
                yield f"may {action} on {what}{opened.note()}"
                break
    if "iam:AddUserToGroup" in v.allowed and "iam:AddUserToGroup" not in done:
        others = _patterns_beyond(v, "iam:AddUserToGroup", set(v.principal.groups), "group")
        if v.principal.iam_type == "user" and others:
            yield f"may add users (itself included) to groups {_some(others)}"


def _own_resources(p: Principal) -> dict[str, list[tuple[str, str]]]:
    own: dict[str, list[tuple[str, str]]] = {
        "policy": [(arn, f"policy {_tail(arn)} that it holds") for arn in p.held],
        "group": [(arn, f"its group {_tail(arn)}") for arn in p.groups],
    }
    if p.boundary_arn:
        own["policy"].append((p.boundary_arn, f"its own boundary {_tail(p.boundary_arn)}"))
    if p.arn:
        own[p.iam_type] = [(p.arn, f"itself ({p.label})")]
    return own


def _tail(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _patterns_beyond(v: View, action: str, mine: set[str], kind: str) -> list[str]:
    """The resource patterns `action` is granted on that may name a `kind` not in `mine`."""
    out = []
    for g in v.holdings.grants(action):
        for r in ("*",) if g.not_resource else g.resources:
            if r in out or not patterns.intersects(r, f"arn:*:iam::*:{kind}/*"):
                continue
            if not any(patterns.covers(m, r) for m in mine):
                out.append(r)
    return out


def _credentials_of_others(v: View, done: set[str]) -> Iterator[str]:
    """Credentials made for a user other than the principal (its own are no escalation)."""
    me = v.principal.arn if v.principal.iam_type == "user" else ""
    for action in CREDENTIAL_WRITES:
        if action in done or action not in v.allowed:
            continue
        closes = v.closer(action)
        others = [
            r
            for g in v.holdings.grants(action)
            if not any(closes(c, False) for c in g.conditions)
            for r in (("*",) if g.not_resource else g.resources)
            if patterns.intersects(r, USER_ARN) and not _only_self(r, me, v.principal.variables)
        ]
        if others and not _all_denied(v, action, others):
            yield f"may {action} for other users ({_some(sorted(set(others)))})"


def _only_self(pattern: str, me: str, variables: Mapping[str, str]) -> bool:
    """The pattern names no user but `me` (e.g. user/${aws:username})."""
    if not me:
        return False
    resolved = pattern
    for name, value in variables.items():
        resolved = re.sub(r"\$\{" + re.escape(name) + r"\}", value, resolved, flags=re.I)
    got, want = resolved.split(":", 5), me.split(":", 5)
    if len(got) != 6 or len(want) != 6:
        return False
    if got[4] == "*":  # an IAM call reaches its own account only: any account is its own
        got[4] = want[4]
    literal = not any(t in (patterns.STAR, patterns.ONE) for t in patterns.tokens(":".join(got)))
    return literal and "${" not in resolved and got == want


def _all_denied(v: View, action: str, on: list[str]) -> bool:
    """Every pattern is denied outright (a Deny with no condition covering it)."""
    denies = [d for d in v.holdings.denies(action) if not d.conditions and not d.not_resource]
    return all(any(patterns.any_covers(d.resources, r) for d in denies) for r in on)


def _removes_own_deny(v: View) -> Iterator[str]:
    """Detaching or deleting a policy of its own that holds a Deny lifts the Deny."""
    if not any(p.deny for p in v.principal.policies):
        return
    mine = _own_resources(v.principal)
    for action, kind in POLICY_REMOVALS.items():
        if action not in v.allowed:
            continue
        for arn, what in mine.get(kind, ()):
            opened = v.on(action, arn, v.closer(action))
            if opened is not None:
                yield f"may {action} on {what}, lifting a Deny it holds{opened.note()}"
                return


def _create_principal(v: View) -> Iterator[str]:
    """Creating a role or user and giving it any policy: the create's Resource only names
    the new principal, so any grant of it counts (the name is the creator's choice)."""
    for kind, create, writes, use in (
        (
            "role",
            "iam:CreateRole",
            ("iam:AttachRolePolicy", "iam:PutRolePolicy"),
            (),  # the new role's trust policy may name the creator: assuming needs nothing
        ),
        (
            "user",
            "iam:CreateUser",
            ("iam:AttachUserPolicy", "iam:PutUserPolicy"),
            ("iam:CreateAccessKey", "iam:CreateLoginProfile"),
        ),
    ):
        made = _granted(v, create, v.closer(create))
        if made is None:
            continue
        opened, names = made
        gives = [a for a in writes if _granted(v, a, v.closer(a), on=names)]
        uses = [a for a in use if _granted(v, a, v.closer(a), on=names)]
        if gives and (uses or not use):
            yield (
                f"may create a {kind} and give it any policy ({_some(gives)}), with no "
                f"permissions boundary that contains it: require iam:PermissionsBoundary on "
                f"{create} naming a boundary that keeps IAM writes, role passing and "
                f"assuming closed{opened.note()}{v.context.uncontained(opened)}"
            )


def _granted(
    v: View, action: str, closes: Closes, on: tuple[str, ...] = ()
) -> tuple[Opening, tuple[str, ...]] | None:
    """Whether some grant allows `action` on some resource (on one `on` names, if given)
    with no condition that closes it, within the boundary and no closing Deny: how, and
    the resource patterns it is granted on."""
    if action not in v.allowed:
        return None
    mine = [
        g
        for g in v.holdings.grants(action)
        if not any(closes(c, False) for c in g.conditions)
        and (
            not on
            or g.not_resource
            or any(patterns.intersects(r, o) for r in g.resources for o in on)
        )
    ]
    boundary = v.holdings.boundary
    if boundary is not None:
        caps = [
            g
            for g in boundary.allow.get(action, ())
            if not any(closes(c, False) for c in g.conditions)
        ]
        if not caps:
            return None
    templates = v.holdings.catalog.resource_arns(action)
    denies = [d for d in v.holdings.denies(action) if d.conditions and d.blankets(templates)]
    if any(all(closes(c, True) for c in d.conditions) for d in denies) or not mine:
        return None
    best = min(mine, key=lambda g: len(g.conditions))
    names = tuple(r for g in mine for r in (("*",) if g.not_resource else g.resources))
    return Opening(best.conditions, tuple(denies)), names


def _iamsync(v: View) -> Iterator[str]:
    """Allowed on iamsync's own roles, boundary or stack (a Deny of them closes it)."""
    hits = []
    for policy in v.principal.policies:
        named = _iamsync_patterns(policy.resources, v.context.partition)
        if not named:
            continue
        for action, grants in policy.allow.items():
            if action not in v.allowed:
                continue
            for r in {r for g in grants if not g.not_resource for r in g.resources} & named:
                if r not in hits and not _denied_on(v, action, r):
                    hits.append(r)
    if hits:
        yield f"reaches iamsync's own access: {_some(sorted(hits))}"


@lru_cache(maxsize=4096)
def _iamsync_patterns(resources: frozenset[str], partition: str) -> frozenset[str]:
    """The patterns of one document that may name iamsync's own resources (not "*": a
    grant on everything is the other rules' business)."""
    return frozenset(
        r for r in resources if r != "*" and any(patterns.may_name(r, o) for o in _own(partition))
    )


@lru_cache(maxsize=16)
def _own(partition: str) -> tuple[str, ...]:
    """iamsync's resources as patterns: its roles in any account are iamsync's."""
    return tuple(
        t.replace("${Partition}", partition)
        .replace("${Account}", "*")
        .replace("${Region}", "*")
        .replace("${Id}", "*")
        for t in IAMSYNC_RESOURCES
    )


def _denied_on(v: View, action: str, pattern: str) -> bool:
    """Every iamsync resource `pattern` names is denied to `action` with no condition."""
    denies = [d for d in v.holdings.denies(action) if not d.conditions and not d.not_resource]
    named = [o for o in _own(v.context.partition) if patterns.may_name(pattern, o)]
    return all(any(patterns.any_covers(d.resources, o) for d in denies) for o in named)


# -- roles: passed, taken over, assumed ----------------------------------------------------


def _passrole(v: View, code_runners: bool) -> Iterator[str]:
    if "iam:PassRole" not in v.allowed:
        return
    open_by_service: dict[str, Opening | None] = {}
    found: list[str] = []
    opening: Opening | None = None
    for action in sorted(launchers() & v.allowed):
        service = action.partition(":")[0].lower()
        if (service in CODE_RUNNERS) is not code_runners:
            continue
        if service not in open_by_service:
            open_by_service[service] = v.opening("iam:PassRole", _passed_elsewhere(service))
        if open_by_service[service] is not None:
            found.append(action)
            opening = opening or open_by_service[service]
    if found and opening is not None:
        found.sort(key=lambda a: (a not in KNOWN_LAUNCHERS, a))
        runs = "code runs with that role's access" if code_runners else "it acts with that role"
        yield (
            f"may pass any role to a service it can start ({_some(found, 8)}): {runs}; name the "
            f"roles in Resource or add an iam:PassedToService condition{opening.note()}"
        )


def _passrole_code(v: View) -> Iterator[str]:
    return _passrole(v, True)


def _passrole_service(v: View) -> Iterator[str]:
    return _passrole(v, False)


_FAMOUS = ("lambda", "ec2", "ecs", "glue", "cloudformation")
_ALIASES = {"ecs": ("ecs-tasks",), "batch": ("ecs-tasks",), "elasticmapreduce": ("emr",)}


def _passed_elsewhere(service: str) -> Closes:
    """iam:PassedToService closes the path to `service` when it names only services that
    are certainly others (an unknown name may be this one)."""
    names = {service, *_ALIASES.get(service, ())}

    def closes(c: Condition, in_deny: bool) -> bool:
        if c.key != "iam:passedtoservice" or not _names_only(c, in_deny):
            return False
        return not any(_may_be(value, names) for value in c.values)

    return closes


def _may_be(value: str, names: set[str]) -> bool:
    host = value.lower().removesuffix(".amazonaws.com").removesuffix(".amazonaws.com.cn")
    labels = set(re.split(r"[.]", host)) | set(re.split(r"[.-]", host))
    return bool(labels & names) or host in names


def _takeover(v: View) -> Iterator[str]:
    """Compute that already runs with a role, made to run the caller's code."""
    found: list[str] = []
    notes: list[Opening] = []
    for way in TAKEOVERS:
        opened = [v.opening(a) if a in v.allowed else None for a in way]
        if all(o is not None for o in opened):
            found.append(" + ".join(way))
            notes += [o for o in opened if o is not None]
    if found:
        yield (
            f"may {_some(found)} on every resource: code it supplies then runs with the role "
            f"those resources already have{_notes(notes)}"
        )


def _assume_any(v: View) -> Iterator[str]:
    if "sts:AssumeRole" not in v.allowed:
        return
    opened = v.opening("sts:AssumeRole")
    if opened is not None:
        bounded = v.principal.boundary is not None
        beyond = " (they are not capped by its permissions boundary)" if bounded else ""
        yield (f"may assume any role whose trust policy allows this account{beyond}{opened.note()}")


def _assumes_beyond_boundary(v: View) -> Iterator[str]:
    """Roles of the account it may assume that do not have its boundary: those whose trust
    names it (same account: no permission of its own is needed), and those that trust the
    account when its sts:AssumeRole reaches them."""
    p = v.principal
    if p.boundary_arn is None or not p.arn:
        return
    direct, by_account = v.context.trusting()
    names = {_tail(r.arn) for r in direct.get(p.arn, ()) if r.boundary != p.boundary_arn}
    every: tuple[str, ...] = ()
    if "sts:AssumeRole" in v.allowed:
        if v.opening("sts:AssumeRole") is not None:  # every such role: one list per boundary
            every = v.context.beyond(p.boundary_arn)
        else:
            names |= {
                _tail(r.arn)
                for r in by_account
                if r.boundary != p.boundary_arn and v.on("sts:AssumeRole", r.arn) is not None
            }
    me = _tail(p.arn) if p.iam_type == "role" else ""
    shown = sorted((names | set(every[:6])) - {me})[:4]
    count = len(every) + len(names - set(every)) - (me in names or me in every)
    if count > 0:
        more = f" and {count - len(shown)} more" if count > len(shown) else ""
        yield (
            f"may assume {', '.join(shown)}{more}, not under its permissions boundary "
            f"{_tail(p.boundary_arn)}: the boundary does not contain it"
        )


def trusted(trust: Any) -> list[tuple[str, str]]:
    """(kind, principal) pairs a trust policy lets call sts:AssumeRole (or its SAML and
    web-identity forms), conditions aside: ("AWS", "arn:…:user/ci"), ("AWS", "*")."""
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    found: list[tuple[str, str]] = []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in _listed(st.get("Action", [])) if isinstance(a, str)]
        if not any(patterns.matches(a, "sts:assumerole") for a in actions) and not any(
            patterns.matches(a, f"sts:assumerolewith{w}")
            for a in actions
            for w in ("saml", "webidentity")
        ):
            continue
        who = st.get("Principal")
        if who == "*":
            found.append(("AWS", "*"))
        elif isinstance(who, dict):
            for kind, names in who.items():
                found += [(str(kind), str(n)) for n in _listed(names)]
    return list(dict.fromkeys(found))


def _trusts_account(name: str, account: str) -> bool:
    return name == "*" or name == account or name.endswith(f":{account}:root")


# -- wide grants ------------------------------------------------------------------------------


def _exposure(v: View) -> Iterator[str]:
    """Resource policies and grants outside IAM (IAM's own are escalations, above)."""
    outside = sorted(a for a in v.allowed if not a.startswith("iam:"))
    exposed: list[str] = []
    notes: list[Opening] = []
    for action in v.holdings.catalog.permissions_management(outside):
        opened = v.opening(action)
        if opened is not None:
            exposed.append(action)
            notes.append(opened)
    if exposed:
        yield (
            f"may {_some(exposed)} on every resource: resource policies and grants can open "
            f"those resources to anyone{_notes(notes)}"
        )


def _service_wildcard(v: View) -> Iterator[str]:
    """A statement that allows every action of a service on every resource, no condition."""
    for policy in v.principal.policies:
        for action, resource in policy.statements:
            service, _, name = action.partition(":")
            if name != "*" or service == "*" or not _spans_service(v, action, resource):
                continue
            prefix = service.lower() + ":"
            if any(a.lower().startswith(prefix) for a in v.allowed):
                yield f"{policy.source} allows {action} on every resource"


def _not_action(v: View) -> Iterator[str]:
    for policy in v.principal.policies:
        if policy.allow_not_action:
            yield f"{policy.source} allows every action but a list (NotAction)"


def _secrets(v: View) -> Iterator[str]:
    exposed = [(a, o) for a in SECRETS if a in v.allowed for o in [v.opening(a)] if o]
    if exposed:
        names = [a for a, _ in exposed]
        yield f"may {_some(names)} on every resource{_notes(o for _, o in exposed)}"


def cross_account(trust: Any, account: str) -> Iterator[str]:
    """A role's trust: principals of other accounts than `account`, or anyone."""
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        aws_any = isinstance(principal, dict) and "*" in _listed(principal.get("AWS"))
        if principal == "*" or aws_any:
            limit = _who_may(st.get("Condition"), account)
            if limit != "this account":
                yield f"{limit} may assume this role (Principal *{_conditions_said(st)})"
            continue
        aws = principal.get("AWS", []) if isinstance(principal, Mapping) else []
        for who in aws if isinstance(aws, list) else [aws]:
            other = _account_of(str(who))
            if other is not None and other != account:
                yield f"account {other} may assume this role ({who})"


def _who_may(block: Any, account: str) -> str:
    """Who a Principal "*" statement's conditions let in: "this account" (the principal's
    account or ARN pinned to it), "principals of organization o-…", or "anyone"."""
    if not isinstance(block, dict):
        return "anyone"
    for op, keys in block.items():
        if not isinstance(keys, dict) or str(op).rpartition(":")[2] not in POSITIVE:
            continue
        for key, values in keys.items():
            vals = [str(v) for v in _listed(values)]
            if any(c in v for v in vals for c in "*?$"):
                continue
            name = str(key).lower()
            if name in ("aws:principalaccount", "aws:sourceaccount") and vals == [account]:
                return "this account"
            if name == "aws:principalarn" and all(f":{account}:" in v for v in vals):
                return "this account"
            if name == "aws:principalorgid":
                return f"principals of organization {', '.join(vals)}"
    return "anyone"


def _conditions_said(st: Mapping[str, Any]) -> str:
    block = st.get("Condition")
    return f", only if {normalize.dumps(block)}" if block else ", no condition"


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


def _notes(openings: Iterator[Opening] | list[Opening]) -> str:
    """The conditions under which the weakest of several paths holds (none: "")."""
    said = [o.note() for o in openings]
    return "" if not said or "" in said else said[0]


# Rules that read who the principal is (its ARN, groups, policies' ARNs, boundary's ARN).
PERSONAL = frozenset({"IAM_PRIVILEGE_ESCALATION", "ASSUMES_BEYOND_BOUNDARY"})
RULES: dict[str, Rule] = {
    "ADMIN_EQUIVALENT": _admin,
    "IAM_PRIVILEGE_ESCALATION": _escalations,
    "PASSROLE_TO_LAUNCHER": _passrole_code,
    "PASSROLE_TO_SERVICE": _passrole_service,
    "CREATE_ROLE_WITHOUT_BOUNDARY": _create_principal,
    "COMPUTE_TAKEOVER": _takeover,
    "ASSUMES_BEYOND_BOUNDARY": _assumes_beyond_boundary,
    "REACHES_IAMSYNC": _iamsync,
    "RESOURCE_EXPOSURE": _exposure,
    "ASSUME_ANY_ROLE": _assume_any,
    "SERVICE_WILDCARD": _service_wildcard,
    "ALLOW_NOT_ACTION": _not_action,
    "CREDENTIAL_EXPOSURE": _secrets,
}


# -- one document, offline (validate) --------------------------------------------------------


def passes_any_role(
    statement: Mapping[str, Any], denies: list[Any], catalog: Any
) -> tuple[list[str], bool]:
    """What the review's PassRole rules say of an Allow `statement` on its own (with its
    document's Deny statements): the services it may pass any role to, most used first
    ([] when it cannot pass every role), and whether a condition left out some services.

    For a document alone, its holder is taken to be able to start every service (another
    of its policies may grant that), so only what this statement and its Denies say can
    close the path: a Resource naming roles, iam:PassedToService naming only other
    services, an unconditional Deny (of PassRole, or of it on all but named roles). Any
    other condition, and any conditional Deny, leaves it open.
    """
    if not _may_name_pass_role(statement):
        return [], False  # cheap: most statements name other actions
    document = {"Version": "2012-10-17", "Statement": [dict(statement), *denies]}
    mine = _index(normalize.dumps(document), catalog)
    if "iam:PassRole" not in mine.allowed:
        return [], False
    evaluator = Evaluator(catalog)
    holder = Principal("policy", "document", (mine, _every_launcher(catalog)))
    view = View(holder, evaluator.holdings(holder), Context(evaluator))
    started = {a.partition(":")[0].lower() for a in launchers() & view.allowed}
    roles = catalog.resource_arns("iam:PassRole")
    services = [
        s
        for s in started
        if (way := view.opening("iam:PassRole", _passed_elsewhere(s))) is not None
        # an unconditional NotResource Deny that leaves only named roles closes it too
        and (not way.limits or any(patterns.every_resource(r, roles) for r in way.limits))
    ]
    famous = {s: i for i, s in enumerate(_FAMOUS)}
    return sorted(services, key=lambda s: (famous.get(s, len(famous)), s)), len(services) < len(
        started
    )


def _may_name_pass_role(statement: Mapping[str, Any]) -> bool:
    """Whether an Action entry may match iam:PassRole (* and ? as IAM reads them: a pattern
    that can match it has no bracket, so fnmatch reads it alike), or it has NotAction."""
    if "NotAction" in statement:
        return True
    action = statement.get("Action")
    listed = [action] if isinstance(action, str) else action if isinstance(action, list) else []
    return any(
        isinstance(a, str) and fnmatch.fnmatchcase("iam:passrole", a.lower()) for a in listed
    )


@lru_cache(maxsize=1024)
def _index(document: str, catalog: Any) -> PolicyAccess:
    return index(json.loads(document), "document", catalog)


@lru_cache(maxsize=8)
def _every_launcher(catalog: Any) -> PolicyAccess:
    """A policy that may start every service that takes a role (what the holder's other
    policies may grant): only PassRole is then left for the statement to decide."""
    launch = {"Effect": "Allow", "Action": sorted(launchers()), "Resource": "*"}
    return _index(normalize.dumps({"Version": "2012-10-17", "Statement": [launch]}), catalog)
