"""The access review against public escalation catalogues it did not write.

DataDog's pathfinding.cloud (66 paths, as catalogued in salesforce/cloudsplaining's
research/pathfinding-cloud) and Rhino Security Labs' AWS privilege-escalation methods (the
ones pathfinding.cloud does not already hold; the CodeStar methods are gone with the
service). Each path's required actions, granted on every resource, must raise an
escalation finding, as a user and as a role; granted only on one unrelated resource, or
behind a condition that closes the path, it must not.
"""

from __future__ import annotations

from typing import Any

import pytest

from iamsync.access import findings
from iamsync.access.effective import Principal, index
from tests.test_access import BOUNDARY_B, CATALOG, EVAL, context, pol, st

PATHFINDING = {
    "apprunner-001": ("iam:passrole", "apprunner:createservice"),
    "apprunner-002": ("apprunner:updateservice",),
    "bedrock-001": (
        "iam:passrole",
        "bedrock-agentcore:createcodeinterpreter",
        "bedrock-agentcore:startcodeinterpretersession",
        "bedrock-agentcore:invokecodeinterpreter",
    ),
    "bedrock-002": (
        "bedrock-agentcore:startcodeinterpretersession",
        "bedrock-agentcore:invokecodeinterpreter",
    ),
    "cloudformation-001": ("iam:passrole", "cloudformation:createstack"),
    "cloudformation-002": ("cloudformation:updatestack",),
    "cloudformation-003": (
        "iam:passrole",
        "cloudformation:createstackset",
        "cloudformation:createstackinstances",
    ),
    "cloudformation-004": ("iam:passrole", "cloudformation:updatestackset"),
    "cloudformation-005": ("cloudformation:createchangeset", "cloudformation:executechangeset"),
    "codebuild-001": ("iam:passrole", "codebuild:createproject", "codebuild:startbuild"),
    "codebuild-002": ("codebuild:startbuild",),
    "codebuild-003": ("codebuild:startbuildbatch",),
    "codebuild-004": ("iam:passrole", "codebuild:createproject", "codebuild:startbuildbatch"),
    "datapipeline-001": (
        "iam:passrole",
        "datapipeline:createpipeline",
        "datapipeline:putpipelinedefinition",
        "datapipeline:activatepipeline",
    ),
    "ec2-001": ("iam:passrole", "ec2:runinstances"),
    "ec2-002": ("ec2:modifyinstanceattribute", "ec2:stopinstances", "ec2:startinstances"),
    "ec2-003": ("iam:passrole", "ec2:requestspotinstances"),
    "ec2-004": ("ec2:createlaunchtemplateversion", "ec2:modifylaunchtemplate"),
    "ec2instanceconnect-003": ("ec2-instance-connect:sendsshpublickey", "ec2:describeinstances"),
    "ecs-001": (
        "iam:passrole",
        "ecs:createcluster",
        "ecs:registertaskdefinition",
        "ecs:createservice",
    ),
    "ecs-002": ("iam:passrole", "ecs:createcluster", "ecs:registertaskdefinition", "ecs:runtask"),
    "ecs-003": ("iam:passrole", "ecs:registertaskdefinition", "ecs:createservice"),
    "ecs-004": ("iam:passrole", "ecs:registertaskdefinition", "ecs:runtask"),
    "ecs-005": ("iam:passrole", "ecs:registertaskdefinition", "ecs:starttask"),
    "ecs-006": ("ecs:executecommand", "ecs:describetasks"),
    "glue-001": ("iam:passrole", "glue:createdevendpoint"),
    "glue-002": ("glue:updatedevendpoint",),
    "glue-003": ("iam:passrole", "glue:createjob", "glue:startjobrun"),
    "glue-004": ("iam:passrole", "glue:createjob", "glue:createtrigger"),
    "glue-005": ("iam:passrole", "glue:updatejob", "glue:startjobrun"),
    "glue-006": ("iam:passrole", "glue:updatejob", "glue:createtrigger"),
    "iam-001": ("iam:createpolicyversion",),
    "iam-002": ("iam:createaccesskey",),
    "iam-003": ("iam:createaccesskey", "iam:deleteaccesskey"),
    "iam-004": ("iam:createloginprofile",),
    "iam-005": ("iam:putrolepolicy",),
    "iam-006": ("iam:updateloginprofile",),
    "iam-007": ("iam:putuserpolicy",),
    "iam-008": ("iam:attachuserpolicy",),
    "iam-009": ("iam:attachrolepolicy",),
    "iam-010": ("iam:attachgrouppolicy",),
    "iam-011": ("iam:putgrouppolicy",),
    "iam-012": ("iam:updateassumerolepolicy",),
    "iam-013": ("iam:addusertogroup",),
    "iam-014": ("iam:attachrolepolicy", "sts:assumerole"),
    "iam-015": ("iam:attachuserpolicy", "iam:createaccesskey"),
    "iam-016": ("iam:createpolicyversion", "sts:assumerole"),
    "iam-017": ("iam:putrolepolicy", "sts:assumerole"),
    "iam-018": ("iam:putuserpolicy", "iam:createaccesskey"),
    "iam-019": ("iam:attachrolepolicy", "iam:updateassumerolepolicy"),
    "iam-020": ("iam:createpolicyversion", "iam:updateassumerolepolicy"),
    "iam-021": ("iam:putrolepolicy", "iam:updateassumerolepolicy"),
    "lambda-001": ("iam:passrole", "lambda:createfunction", "lambda:invokefunction"),
    "lambda-002": ("iam:passrole", "lambda:createfunction", "lambda:createeventsourcemapping"),
    "lambda-003": ("lambda:updatefunctioncode",),
    "lambda-004": ("lambda:updatefunctioncode", "lambda:invokefunction"),
    "lambda-005": ("lambda:updatefunctioncode", "lambda:addpermission"),
    "lambda-006": ("iam:passrole", "lambda:createfunction", "lambda:addpermission"),
    "sagemaker-001": ("iam:passrole", "sagemaker:createnotebookinstance"),
    "sagemaker-002": ("iam:passrole", "sagemaker:createtrainingjob"),
    "sagemaker-003": ("iam:passrole", "sagemaker:createprocessingjob"),
    "sagemaker-004": ("sagemaker:createpresignednotebookinstanceurl",),
    "sagemaker-005": (
        "sagemaker:createnotebookinstancelifecycleconfig",
        "sagemaker:stopnotebookinstance",
        "sagemaker:updatenotebookinstance",
        "sagemaker:startnotebookinstance",
    ),
    "ssm-001": ("ssm:startsession",),
    "ssm-002": ("ssm:sendcommand",),
    "sts-001": ("sts:assumerole",),
}
RHINO = {
    "rhino-17-dynamodb": (
        "iam:passrole",
        "lambda:createfunction",
        "lambda:createeventsourcemapping",
        "dynamodb:createtable",
        "dynamodb:putitem",
    ),
    "rhino-22-datapipeline": (
        "iam:passrole",
        "datapipeline:createpipeline",
        "datapipeline:putpipelinedefinition",
    ),
    "rhino-26-layer": ("lambda:updatefunctionconfiguration",),
    "rhino-14-trust-then-assume": ("iam:updateassumerolepolicy", "sts:assumerole"),
}
PATHS = {**PATHFINDING, **RHINO}
ESCALATION = {
    "ADMIN_EQUIVALENT",
    "IAM_PRIVILEGE_ESCALATION",
    "PASSROLE_TO_LAUNCHER",
    "CREATE_ROLE_WITHOUT_BOUNDARY",
    "COMPUTE_TAKEOVER",
    "ASSUMES_BEYOND_BOUNDARY",
    "ASSUME_ANY_ROLE",
}


def _spelled(actions: tuple[str, ...]) -> list[str]:
    out = []
    for a in actions:
        (name,) = CATALOG.action_names(a)
        out.append(name)
    return out


def _principal(kind: str, *statements: dict[str, Any]) -> Principal:
    name = "attacker"
    return Principal(
        kind,
        name,
        (index(pol(*statements), "policy path", CATALOG),),
        None,
        CATALOG.access_level,
        arn=f"arn:aws:iam::123456789012:{kind}/{name}",
        held=("arn:aws:iam::123456789012:policy/path",),
    )


def _codes(p: Principal) -> dict[str, str]:
    return {f.code: f.risk.value for f in findings.check(p, context())}


@pytest.mark.parametrize("kind", ["user", "role"])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_catalogued_path_on_every_resource_is_found(path: str, kind: str) -> None:
    actions = _spelled(PATHS[path])
    found = _codes(_principal(kind, st(Action=actions, Resource="*")))
    caught = {c: s for c, s in found.items() if c in ESCALATION}
    assert caught, f"{path}: {actions} -> {found}"
    expected = "medium" if path == "sts-001" else "high"
    assert expected in caught.values(), caught


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_catalogued_path_on_one_unrelated_resource_is_not(path: str) -> None:
    """Named resources that are not the principal's own: no path (the over-suppression
    tests are the positive ones above; this one keeps the rules from crying wolf)."""
    actions = _spelled(PATHS[path])
    statements = [
        st(Action=a, Resource=f"arn:aws:{a.split(':')[0]}:us-east-1:123456789012:thing/other")
        for a in actions
    ]
    found = _codes(_principal("user", *statements))
    assert not set(found) & ESCALATION, f"{path}: {found}"


ME = "arn:aws:iam::123456789012:user/iamsync/ci"
MINE = "arn:aws:iam::123456789012:policy/iamsync/deploy"
TEAM = "arn:aws:iam::123456789012:group/iamsync/team"


def _me(*statements: dict[str, Any], boundary: str | None = None) -> Principal:
    return Principal(
        "user",
        "ci",
        (index(pol(*statements), "policy deploy", CATALOG),),
        None,
        CATALOG.access_level,
        arn=ME,
        held=(MINE,),
        groups=(TEAM,),
        boundary_arn=boundary,
    )


SELF = {
    "a new version of a policy it holds (policy/iamsync/*)": (
        st(Action="iam:CreatePolicyVersion", Resource="arn:aws:iam::123456789012:policy/iamsync/*"),
        True,
    ),
    "a new version of other policies only": (
        st(Action="iam:CreatePolicyVersion", Resource="arn:aws:iam::123456789012:policy/app/*"),
        False,
    ),
    "an inline policy on itself (user/iamsync/*)": (
        st(Action="iam:PutUserPolicy", Resource="arn:aws:iam::123456789012:user/iamsync/*"),
        True,
    ),
    "an inline policy on itself (user/${aws:username})": (
        st(Action="iam:PutUserPolicy", Resource="arn:aws:iam::*:user/iamsync/${aws:username}"),
        True,
    ),
    "a policy on its own group": (
        st(Action="iam:AttachGroupPolicy", Resource=TEAM),
        True,
    ),
    "a policy on another group it is not in": (
        st(Action="iam:AttachGroupPolicy", Resource="arn:aws:iam::123456789012:group/ops"),
        False,
    ),
    "joining a group it is not in": (
        st(Action="iam:AddUserToGroup", Resource="arn:aws:iam::123456789012:group/admins"),
        True,
    ),
    "joining only its own group": (st(Action="iam:AddUserToGroup", Resource=TEAM), False),
    "keys for every user under a path": (
        st(Action="iam:CreateAccessKey", Resource="arn:aws:iam::123456789012:user/iamsync/*"),
        True,
    ),
    "keys for itself": (
        st(Action="iam:CreateAccessKey", Resource="arn:aws:iam::*:user/iamsync/${aws:username}"),
        False,
    ),
}


@pytest.mark.parametrize("case", SELF.values(), ids=SELF.keys())
def test_a_pattern_that_still_names_the_principal_itself_is_found(
    case: tuple[dict[str, Any], bool],
) -> None:
    statement, expected = case
    found = _codes(_me(statement))
    assert ("IAM_PRIVILEGE_ESCALATION" in found) is expected, found


def test_detaching_its_own_deny_is_found() -> None:
    p = _me(
        st(Action="*", Resource="arn:aws:s3:::app/*"),
        st("Deny", Action="s3:DeleteObject", Resource="*"),
        st(Action="iam:DetachUserPolicy", Resource=ME),
    )
    found = findings.check(p, context())
    assert any("lifting a Deny" in f.message for f in found), found


# -- from the attacker's side: ways around the rules a review found, each closed ------------

DENY_IAMSYNC = st(
    "Deny",
    Action="*",
    Resource=[
        "arn:aws:iam::*:role/iamsync-*",
        "arn:aws:iam::*:policy/iamsync-boundary",
        "arn:aws:cloudformation:*:*:stack/iamsync-roles/*",
    ],
)
LAUNCH = ["iam:PassRole", "ec2:RunInstances", "lambda:CreateFunction"]


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:*",
        "arn*",
        "*:*",
        "*/*",
        "*role/*",
        "*:role/*",
        "?rn:aws:iam::*:role/*",
        "arn:aws:iam:*",
        "arn:aws:iam::${aws:PrincipalAccount}:role/*",
    ],
)
def test_every_resource_however_it_is_spelled(resource: str) -> None:
    found = _codes(_principal("user", st(Action=LAUNCH, Resource=resource), DENY_IAMSYNC))
    assert "PASSROLE_TO_LAUNCHER" in found, found


def test_every_resource_of_a_service_spelled_short() -> None:
    found = _codes(
        _principal(
            "user",
            st(
                Action=["lambda:UpdateFunctionCode", "lambda:AddPermission"],
                Resource="arn:aws:lambda:*",
            ),
        )
    )
    assert {"COMPUTE_TAKEOVER", "RESOURCE_EXPOSURE"} <= set(found), found
    admin = _codes(_principal("user", st(Action="*", Resource="arn:aws:*"), DENY_IAMSYNC))
    assert "ADMIN_EQUIVALENT" in admin, admin


@pytest.mark.parametrize("written", ["*:*", "IAM:*", "Iam:*"])
def test_admin_however_the_action_is_spelled(written: str) -> None:
    assert "ADMIN_EQUIVALENT" in _codes(_principal("user", st(Action=written, Resource="*")))


def test_admin_by_not_action() -> None:
    found = findings.check(
        _principal("user", st(NotAction="iam:CreateUser", Resource="*")), context()
    )
    (admin,) = [f for f in found if f.code == "ADMIN_EQUIVALENT"]
    assert "every action but iam:createuser (NotAction)" in admin.message


@pytest.mark.parametrize(
    "kind", ["key-pair", "launch-template", "placement-group", "capacity-reservation"]
)
def test_a_deny_of_one_optional_resource_type_keeps_the_action(kind: str) -> None:
    p = _principal(
        "user",
        st(Action=["iam:PassRole", "ec2:RunInstances"], Resource="*"),
        st("Deny", Action="ec2:RunInstances", Resource=f"arn:aws:ec2:*:*:{kind}/*"),
    )
    assert "ec2:RunInstances" in EVAL.holdings(p).allowed
    assert "PASSROLE_TO_LAUNCHER" in _codes(p)


def test_a_not_resource_deny_that_excludes_everything_closes_nothing() -> None:
    p = _principal(
        "user",
        st(Action=["iam:PassRole", "lambda:CreateFunction"], Resource="*"),
        st(
            "Deny",
            Action="iam:PassRole",
            NotResource="arn:aws:iam::*:role/*",
            Condition={"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
    )
    assert "PASSROLE_TO_LAUNCHER" in _codes(p)


def test_a_for_any_value_deny_does_not_require_a_boundary() -> None:
    actions = ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"]
    p = _principal(
        "user",
        st(Action=actions, Resource="*"),
        st(
            "Deny",
            Action=actions,
            Resource="*",
            Condition={"ForAnyValue:StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY_B}},
        ),
    )
    assert "CREATE_ROLE_WITHOUT_BOUNDARY" in _codes(p)
    plain = _principal(  # the plain negated operator does require it: closed
        "user",
        st(Action=actions, Resource="*"),
        st(
            "Deny",
            Action=actions,
            Resource="*",
            Condition={"StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY_B}},
        ),
    )
    assert "CREATE_ROLE_WITHOUT_BOUNDARY" not in _codes(plain)


def test_deleting_a_boundary_is_not_closed_by_naming_it() -> None:
    x = "arn:aws:iam::1:policy/X"
    only_x = {"StringEquals": {"iam:PermissionsBoundary": x}}
    bx = pol(
        st(Action="s3:GetObject", Resource="*"),
        st(Action="iam:DeleteUserPermissionsBoundary", Resource="*", Condition=only_x),
    )
    mine = pol(
        st(Action=["iam:AttachUserPolicy", "s3:GetObject"], Resource="arn:aws:iam::1:user/u"),
        st(Action="iam:DeleteUserPermissionsBoundary", Resource="*", Condition=only_x),
    )
    p = Principal(
        "user",
        "u",
        (index(mine, "policy mine", CATALOG),),
        index(bx, "boundary X", CATALOG),
        CATALOG.access_level,
        arn="arn:aws:iam::1:user/u",
        boundary_arn=x,
    )
    found = findings.check(p, context({x: bx}))
    assert any("DeleteUserPermissionsBoundary" in f.message for f in found), found


def test_a_boundary_that_may_rewrite_itself_contains_nothing() -> None:
    b = "arn:aws:iam::1:policy/self-editing"
    doc = pol(
        st(NotAction="iam:*", Resource="*"),
        st(Action=["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"], Resource=b),
        st(
            Action=["iam:CreateRole", "iam:AttachRolePolicy"],
            Resource="*",
            Condition={"StringEquals": {"iam:PermissionsBoundary": b}},
        ),
    )
    ctx = context({b: doc})
    assert not ctx.contains(b)
    creates = st(
        Action=["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
        Resource="*",
        Condition={"StringEquals": {"iam:PermissionsBoundary": b}},
    )
    assert "CREATE_ROLE_WITHOUT_BOUNDARY" in _codes_in(_principal("user", creates), ctx)


def test_a_contained_boundary_the_principal_may_rewrite_contains_nothing() -> None:
    creates = st(
        Action=["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
        Resource="*",
        Condition={"StringEquals": {"iam:PermissionsBoundary": BOUNDARY_B}},
    )
    closed = _principal("user", creates)
    assert "CREATE_ROLE_WITHOUT_BOUNDARY" not in _codes(closed)
    rewriter = _principal(
        "user", creates, st(Action="iam:CreatePolicyVersion", Resource=BOUNDARY_B)
    )
    assert "CREATE_ROLE_WITHOUT_BOUNDARY" in _codes(rewriter)


def _codes_in(p: Principal, ctx: findings.Context) -> dict[str, str]:
    return {f.code: f.risk.value for f in findings.check(p, ctx)}


@pytest.mark.parametrize(
    "kind, variable", [("user", "${aws:PrincipalTag/team}"), ("role", "${aws:username}")]
)
def test_a_deny_whose_variable_is_unknown_does_not_close_a_path_on_itself(
    kind: str, variable: str
) -> None:
    me = f"arn:aws:iam::123456789012:{kind}/attacker"
    write = "iam:AttachUserPolicy" if kind == "user" else "iam:AttachRolePolicy"
    p = _principal(
        kind,
        st(Action=write, Resource=me),
        st("Deny", Action=write, Resource=f"arn:aws:iam::123456789012:{kind}/{variable}"),
    )
    assert "IAM_PRIVILEGE_ESCALATION" in _codes(p)


def test_a_pattern_whose_wildcard_spans_a_colon_is_widened() -> None:
    from iamsync.access import compare

    action = "lambda:UpdateFunctionCode"
    cap = pol(st(Action=action, Resource="arn:aws:lambda:*:*:function:prod-*"))

    def bounded(resource: str) -> Principal:
        return Principal(
            "user",
            "u",
            (index(pol(st(Action=action, Resource=resource)), "policy p", CATALOG),),
            index(cap, "boundary", CATALOG),
        )

    before = EVAL.holdings(bounded("arn:aws:lambda:*:*:function:dev-x"))
    after = EVAL.holdings(bounded("arn:aws:lambda:*:function:prod-a"))
    diff = compare.difference(before, after)
    assert [w.action for w in diff.widened] == [action]


def test_ssm_automation_with_any_role_and_associations_are_found() -> None:
    auto = _codes(
        _principal(
            "user", st(Action=["iam:PassRole", "ssm:StartAutomationExecution"], Resource="*")
        )
    )
    assert "PASSROLE_TO_LAUNCHER" in auto, auto
    assoc = _codes(_principal("user", st(Action="ssm:CreateAssociation", Resource="*")))
    assert "COMPUTE_TAKEOVER" in assoc, assoc


# -- the shipped boundary, judged by the review as the evaluator proves it -------------------


def _shipped_context(*roles: findings.LiveRole) -> findings.Context:
    from tests.test_bootstrap import policy_file, render

    boundary = "arn:aws:iam::123456789012:policy/iamsync-boundary"
    doc = render(policy_file("iamsync-boundary"))
    return findings.Context(
        EVAL,
        "123456789012",
        roles=roles,
        resolve=lambda arn: index(doc, arn, CATALOG) if arn == boundary else None,
    )


SHIPPED = "arn:aws:iam::123456789012:policy/iamsync-boundary"


def test_the_shipped_boundary_contains_what_it_bounds() -> None:
    bounded = findings.LiveRole(
        "arn:aws:iam::123456789012:role/bounded/FargateServiceStack-TaskRole", {}, SHIPPED
    )
    ctx = _shipped_context(bounded)
    assert ctx.contains(SHIPPED), ctx._ways_out


def test_an_unbounded_role_on_a_bounded_path_breaks_the_boundary() -> None:
    stray = findings.LiveRole("arn:aws:iam::123456789012:role/bounded/Admin", {}, None)
    ctx = _shipped_context(stray)
    assert not ctx.contains(SHIPPED)
    assert "iam:PassRole" in " ".join(ctx._ways_out[SHIPPED])


def test_the_old_boundary_did_not_contain() -> None:
    """The boundary before this design (PassRole of any role to any AWS service, any
    sts:AssumeRole) is judged uncontained: the check can fail."""
    from tests.test_bootstrap import policy_file, render

    doc = render(policy_file("iamsync-boundary"))
    doc["Statement"] = [
        s
        for s in doc["Statement"]
        if s["Sid"] not in ("PassAndAssumeOnlyRolesThatCarryThisBoundary",)
    ]
    ctx = findings.Context(
        EVAL,
        "123456789012",
        resolve=lambda arn: index(doc, arn, CATALOG) if arn == SHIPPED else None,
    )
    assert not ctx.contains(SHIPPED)
    assert {"sts:AssumeRole"} <= set(ctx._ways_out[SHIPPED])
