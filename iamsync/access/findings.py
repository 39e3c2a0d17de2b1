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
The codes, severities and help live in iamsync.codes.FINDINGS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from iamsync import codes
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
)

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
EXTRA_LAUNCHERS = ("datapipeline:PutPipelineDefinition",)
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
    # rule results of principals that hold the same documents (rules that do not read who
    # the principal is): each distinct set of holdings is checked once
    _memo: dict[tuple[str, int], list[str]] = field(default_factory=dict)

    def contains(self, arn: str) -> bool:
        """Whether a policy, as a boundary or as the only policy attached, keeps IAM writes
        closed: an administrator under it cannot write policies, credentials or trust.
        Unknown documents contain nothing. A boundary that requires itself on new
        principals is read as containing while it is judged (the fixed point)."""
        if arn in self._contains:
            return self._contains[arn]
        doc = self.resolve(arn)
        if doc is None:
            return False
        self._contains[arn] = True
        admin = self.evaluator.admin_under(doc)
        closes = self.closer()
        escapes = any(
            admin.opening(a, closes) for a in (*POLICY_WRITES, *CREDENTIAL_WRITES, "iam:CreateRole")
        )
        self._contains[arn] = not escapes
        return not escapes

    def closer(self) -> Closes:
        """Conditions that close IAM writes: a contained boundary required, or only
        policies that are contained themselves attached."""

        def closes(c: Condition, in_deny: bool) -> bool:
            if c.key not in ("iam:permissionsboundary", "iam:policyarn"):
                return False
            return _names_only(c, in_deny) and all(self.contains(v) for v in c.values)

        return closes


def _names_only(c: Condition, in_deny: bool) -> bool:
    """The entry limits the request to literal values: a positive operator in an Allow
    (not IfExists: an absent key would pass), a negated one in a Deny."""
    if not c.literal:
        return False
    if in_deny:
        return c.base in NEGATED
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


Rule = Callable[[View], Iterator[str]]


def check(principal: Principal, context: Context, trust: Any = None) -> list[Found]:
    """Every finding for one principal (`trust`: a role's trust policy)."""
    view = View(principal, context.evaluator.holdings(principal), context)
    found = []
    for code, rule in RULES.items():
        if code in PERSONAL:
            messages = list(rule(view))
        else:
            key = (code, id(view.holdings))
            if key not in context._memo:
                context._memo[key] = list(rule(view))
            messages = context._memo[key]
        found += [Found(code, principal.label, m) for m in messages]
    if trust is not None:
        found += [
            Found("CROSS_ACCOUNT_TRUST", principal.label, m)
            for m in cross_account(trust, context.account)
        ]
    return found


# -- administrator ------------------------------------------------------------------------------


def _admin(v: View) -> Iterator[str]:
    closes = v.context.closer()
    if not all(v.opening(a, closes) for a in ADMIN_PROBES):
        return
    for policy in v.principal.policies:
        for action, resource in policy.statements:
            if action in ("*", "iam:*") and _spans_service(v, action, resource):
                what = "every action" if action == "*" else "every IAM action"
                note = v.opening(ADMIN_PROBES[0], closes)
                yield f"{policy.source} allows {what} ({action}) on every resource" + (
                    note.note() if note else ""
                )
                return


def _spans_service(v: View, action: str, resource: str) -> bool:
    """The statement's resource reaches every resource its action pattern can name."""
    if resource == "*" or patterns.covers(resource, "arn:*:*:*:*:*"):
        return True
    service = action.partition(":")[0]
    if action == "*" or patterns.STAR in patterns.tokens(service):
        return False
    own = service.lower()
    templates = [t for t in v.holdings.catalog.service_arns(own) if t.split(":")[2] == own]
    return bool(templates) and all(patterns.every_resource(resource, (t,)) for t in templates)


# -- IAM writes ---------------------------------------------------------------------------------


def _escalations(v: View) -> Iterator[str]:
    closes = v.context.closer()
    anywhere: list[tuple[str, Opening]] = []
    for action in (*POLICY_WRITES, *CREDENTIAL_WRITES):
        if action in v.allowed:
            opened = v.opening(action, closes)
            if opened is not None:
                anywhere.append((action, opened))
    if anywhere:
        names = [a for a, _ in anywhere]
        yield (
            f"may {_some(names)} on any resource: each grants more access than it has (its "
            f"own or another principal's){_notes(o for _, o in anywhere)}"
        )
    done = {a for a, _ in anywhere}
    yield from _on_itself(v, done, closes)
    yield from _credentials_of_others(v, done, closes)
    yield from _removes_own_deny(v, closes)


def _on_itself(v: View, done: set[str], closes: Closes) -> Iterator[str]:
    """Policy writes limited by a resource pattern that still names the principal itself,
    its groups, or a policy it holds (its boundary included)."""
    mine = _own_resources(v.principal)
    for action, kind in POLICY_WRITES.items():
        if action in done or action not in v.allowed:
            continue
        if action == "iam:AddUserToGroup":
            continue  # joining one's own group adds nothing; other groups: below
        for arn, what in mine.get(kind, ()):
            opened = v.on(action, arn, closes)
            if opened is not None:
                yield f"may {action} on {what}{opened.note()}"
                break
    if "iam:AddUserToGroup" in v.allowed and "iam:AddUserToGroup" not in done:
        others = _patterns_beyond(v, "iam:AddUserToGroup", set(v.principal.groups), "group")
        if v.principal.kind == "user" and others:
            yield f"may add users (itself included) to groups {_some(others)}"


def _own_resources(p: Principal) -> dict[str, list[tuple[str, str]]]:
    own: dict[str, list[tuple[str, str]]] = {
        "policy": [(arn, f"policy {_tail(arn)} that it holds") for arn in p.held],
        "group": [(arn, f"its group {_tail(arn)}") for arn in p.groups],
    }
    if p.boundary_arn:
        own["policy"].append((p.boundary_arn, f"its own boundary {_tail(p.boundary_arn)}"))
    if p.arn:
        own[p.kind] = [(p.arn, f"itself ({p.kind} {p.name})")]
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


def _credentials_of_others(v: View, done: set[str], closes: Closes) -> Iterator[str]:
    """Credentials made for a user other than the principal (its own are no escalation)."""
    me = v.principal.arn if v.principal.kind == "user" else ""
    for action in CREDENTIAL_WRITES:
        if action in done or action not in v.allowed:
            continue
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


def _removes_own_deny(v: View, closes: Closes) -> Iterator[str]:
    """Detaching or deleting a policy of its own that holds a Deny lifts the Deny."""
    if not any(p.deny for p in v.principal.policies):
        return
    mine = _own_resources(v.principal)
    for action, kind in POLICY_REMOVALS.items():
        if action not in v.allowed:
            continue
        for arn, what in mine.get(kind, ()):
            opened = v.on(action, arn, closes)
            if opened is not None:
                yield f"may {action} on {what}, lifting a Deny it holds{opened.note()}"
                return


def _create_principal(v: View) -> Iterator[str]:
    closes = v.context.closer()
    for kind, create, writes, use in (
        (
            "role",
            "iam:CreateRole",
            ("iam:AttachRolePolicy", "iam:PutRolePolicy"),
            None,  # the new role's trust policy may name the creator: assuming needs nothing
        ),
        (
            "user",
            "iam:CreateUser",
            ("iam:AttachUserPolicy", "iam:PutUserPolicy"),
            ("iam:CreateAccessKey", "iam:CreateLoginProfile"),
        ),
    ):
        opened = v.opening(create, closes) if create in v.allowed else None
        if opened is None:
            continue
        gives = [a for a in writes if _granted_open(v, a, closes)]
        uses = [a for a in use if _granted_open(v, a, closes)] if use else ["its trust policy"]
        if gives and uses:
            yield (
                f"may create a {kind} without a permissions boundary and give it any policy "
                f"({_some(gives)}): require iam:PermissionsBoundary on {create} (or a "
                f"permissions boundary that does){opened.note()}"
            )


def _granted_open(v: View, action: str, closes: Closes) -> bool:
    """Some grant allows `action` on some resource with no condition that closes it."""
    return action in v.allowed and any(
        not any(closes(c, False) for c in g.conditions) for g in v.holdings.grants(action)
    )


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
        r for r in resources if r != "*" and any(patterns.intersects(r, o) for o in _own(partition))
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
    named = [o for o in _own(v.context.partition) if patterns.intersects(pattern, o)]
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
    """Roles of the account it may assume that do not have its boundary."""
    p = v.principal
    if p.boundary_arn is None or not p.arn:
        return
    reachable = []
    for role in v.context.roles:
        if role.arn == p.arn or role.boundary == p.boundary_arn:
            continue
        direct = _trusts(role.trust, p.arn, "")
        if direct or (
            _trusts(role.trust, p.arn, v.context.account)
            and v.on("sts:AssumeRole", role.arn) is not None
        ):
            reachable.append(role.arn.rsplit("/", 1)[-1])
    if reachable:
        yield (
            f"may assume {_some(sorted(reachable))}, not under its permissions boundary "
            f"{_tail(p.boundary_arn)}: the boundary does not contain it"
        )


def _trusts(trust: Any, principal_arn: str, account: str) -> bool:
    """The trust policy lets `principal_arn` (or, with `account`, any principal of that
    account) call sts:AssumeRole, ignoring conditions."""
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in _listed(st.get("Action", [])) if isinstance(a, str)]
        if not any(patterns.matches(a, "sts:assumerole") for a in actions):
            continue
        who = st.get("Principal")
        aws = _listed(who.get("AWS", [])) if isinstance(who, dict) else [who]
        for name in aws:
            name = str(name)
            if name == "*" or name == principal_arn:
                return True
            if account and name in (account, f"arn:aws:iam::{account}:root"):
                return True
            if account and name.endswith(f":{account}:root"):
                return True
    return False


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
