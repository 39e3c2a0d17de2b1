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
from tests.test_access import CATALOG, context, pol, st

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
