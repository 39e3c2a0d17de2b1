"""iamsync's own access, proven offline: each request, allowed or denied, as IAM decides.

The apply role may do every call the loop makes and none of the escalations a security
review found; the boundary lets a bounded principal do service work and never widen IAM.
Evaluated by tests/evaluator.py (moto cannot: it authorises IAM calls on "*" only).
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from iamsync.core.model import Credentials
from iamsync.engine import calls
from iamsync.kinds.group import LiveGroup
from tests.conftest import REPO_ROOT
from tests.evaluator import Request, allowed
from tests.test_bootstrap import policy_file, render
from tests.test_plan_calls import (
    ACCOUNT,
    AWS_RO,
    P,
    doc,
    live,
    live_policy,
    live_user,
)

A = f"arn:aws:iam::{ACCOUNT}"
BOUNDARY = f"{A}:policy/iamsync-boundary"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

APPLY = [render(policy_file("iamsync-plan")), render(policy_file("iamsync-apply"))]
BOUNDARY_DOC = render(policy_file("iamsync-boundary"))


def req(action: str, resource: str, **context: str) -> Request:
    return Request(action, resource, {k.replace("__", ":"): v for k, v in context.items()})


# -- the apply role -----------------------------------------------------------------------

APPLY_ESCALATIONS = {
    "join any user to an Administrators group": req("iam:AddUserToGroup", f"{A}:group/Admins"),
    "attach a policy to a user without the boundary": req(
        "iam:AttachUserPolicy", f"{A}:user/iamsync/ci"
    ),
    "attach a policy to a user with another boundary": req(
        "iam:AttachUserPolicy", f"{A}:user/iamsync/ci", iam__PermissionsBoundary=ADMIN
    ),
    "attach a policy to a user outside the path": req(
        "iam:AttachUserPolicy", f"{A}:user/human", iam__PermissionsBoundary=BOUNDARY
    ),
    "create a user without the boundary": req("iam:CreateUser", f"{A}:user/iamsync/x"),
    "replace a user's boundary": req(
        "iam:PutUserPermissionsBoundary", f"{A}:user/iamsync/ci", iam__PermissionsBoundary=ADMIN
    ),
    "remove a user's boundary": req("iam:DeleteUserPermissionsBoundary", f"{A}:user/iamsync/ci"),
    "edit the boundary policy": req("iam:CreatePolicyVersion", BOUNDARY),
    "make another boundary version default": req("iam:SetDefaultPolicyVersion", BOUNDARY),
    "create a policy outside the path": req("iam:CreatePolicy", f"{A}:policy/admin"),
    "create an access key": req("iam:CreateAccessKey", f"{A}:user/iamsync/ci"),
    "create a console password": req("iam:CreateLoginProfile", f"{A}:user/iamsync/ci"),
    "trust itself from elsewhere": req("iam:UpdateAssumeRolePolicy", f"{A}:role/iamsync-apply"),
    "widen its own role": req("iam:PutRolePolicy", f"{A}:role/iamsync-apply"),
    "widen the plan role": req("iam:AttachRolePolicy", f"{A}:role/iamsync-plan"),
    "change the bootstrap stack": req(
        "cloudformation:UpdateStack",
        f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/iamsync-roles/abc",
    ),
    "create an admin role": req("iam:CreateRole", f"{A}:role/admin"),
    "pass any role": req("iam:PassRole", f"{A}:role/admin"),
}


@pytest.mark.parametrize("request_", APPLY_ESCALATIONS.values(), ids=APPLY_ESCALATIONS.keys())
def test_the_apply_role_cannot_escalate(request_: Request) -> None:
    assert not allowed(APPLY, request_)


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _every_call_the_loop_makes() -> list[calls.Call]:
    """Calls of a plan that creates, updates and deletes every kind iamsync manages."""
    from iamsync.engine.desired import build
    from iamsync.engine.plan import diff
    from iamsync.kinds.role import LiveRole

    def group(name: str, *attached: str, inline: tuple[str, ...] = ()) -> LiveGroup:
        return LiveGroup(
            name,
            f"{A}:group/iamsync/{name}",
            "/iamsync/",
            frozenset(attached),
            {n: doc("s3:X") for n in inline},
        )

    def role(name: str, *attached: str, boundary: str | None = BOUNDARY, **extra: Any) -> LiveRole:
        return LiveRole(
            name,
            f"{A}:role/iamsync/{name}",
            "/iamsync/",
            frozenset(attached),
            {"old": doc("s3:X")},
            {"managed-by": "iamsync", "stale": "x"},
            boundary,
            trust=TRUST,
            **extra,
        )

    profile = (("worker", "/iamsync/"),)
    state = live(
        group("old", P + "gone", inline=("gi",)),
        group("new"),
        group("doomed", P + "gone", inline=("gi",)),
        role("worker", P + "gone", instance_profiles=profile),
        role("retired", P + "gone", instance_profiles=profile),
        role("unbounded", P + "gone", boundary=None),  # made by hand: bounded before it goes
        group("team"),
        live_policy("keep", *(doc(f"s3:A{i}") for i in range(5))),
        live_policy("back", doc("s3:B"), doc("s3:C")),
        live_policy("gone", doc("s3:G"), doc("s3:H")),
        live_user(
            "ci",
            P + "gone",
            groups=frozenset({"old"}),
            tags={"managed-by": "iamsync", "stale": "x"},
            permissions_boundary=BOUNDARY,
        ),
        live_user(
            "leaver",
            P + "gone",
            groups=frozenset({"old"}),
            inline_policies=("inl",),
            permissions_boundary=None,
        ),
        live_user("mover", permissions_boundary=BOUNDARY),
    )
    creds = {
        "leaver": Credentials(
            access_keys=("AKIA1",),
            login_profile=True,
            mfa_devices=(f"{A}:mfa/leaver",),
            signing_certificates=("c",),
            ssh_public_keys=("k",),
            service_credentials=("s",),
        )
    }
    inline = {"q": doc("sqs:SendMessage")}
    trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Action": ["sts:AssumeRole"]}]}
    wanted = build(
        {
            "policy": {"keep": doc("s3:New"), "back": doc("s3:B"), "made": doc("s3:M")},
            "user": {
                "ci": {"policies": ["made", AWS_RO], "groups": ["new"], "inline_policies": inline},
                "newbie": {"policies": ["keep"], "groups": ["new"], "tags": {"t": "1"}},
                "moved": {"renamed_from": "mover"},
            },
            "group": {
                "old": {"policies": ["made"], "inline_policies": inline},
                "new": {},
                "fresh": {"policies": ["keep"], "inline_policies": inline},
                "squad": {"renamed_from": "team"},
            },
            "role": {
                "worker": {
                    "trust_policy": {**trust, "Statement": [{**TRUST["Statement"][0], "Sid": "X"}]},
                    "policies": ["made"],
                    "inline_policies": inline,
                    "description": "runs jobs",
                    "tags": {"team": "a"},
                },
                "fresh": {
                    "trust_policy": TRUST,
                    "policies": ["keep"],
                    "inline_policies": inline,
                    "instance_profile": True,
                },
            },
        },
        account_id=ACCOUNT,
        partition="aws",
        path_prefix="/iamsync/",
        required_boundary=BOUNDARY,
    )
    users = {n: replace(u, credentials=creds.get(n)) for n, u in state.of("user").items()}
    state = replace(state, resources=MappingProxyType({**state.resources, "user": users}))
    plan = diff(wanted, state)
    found = calls.flat(calls.to_calls(plan, "c0ffee"))
    ops = {c.operation for c in found}
    expected = {
        "create_policy", "create_policy_version", "set_default_policy_version",
        "delete_policy_version", "tag_policy", "delete_policy",
        "create_user", "tag_user", "untag_user", "add_user_to_group", "remove_user_from_group",
        "attach_user_policy", "detach_user_policy", "put_user_policy", "delete_user_policy",
        "put_user_permissions_boundary", "delete_access_key", "delete_login_profile",
        "deactivate_mfa_device", "delete_virtual_mfa_device", "delete_signing_certificate",
        "delete_ssh_public_key", "delete_service_specific_credential", "delete_user",
        "update_user", "update_group", "put_role_permissions_boundary",
        "create_group", "attach_group_policy", "detach_group_policy", "put_group_policy",
        "delete_group_policy", "delete_group",
        "create_role", "update_assume_role_policy", "update_role", "tag_role", "untag_role",
        "attach_role_policy", "detach_role_policy", "put_role_policy", "delete_role_policy",
        "create_instance_profile", "add_role_to_instance_profile",
        "remove_role_from_instance_profile", "delete_instance_profile", "delete_role",
    }  # fmt: skip
    assert expected <= ops, expected - ops
    return found


_RENAMED = {"Mfa": "MFA", "Ssh": "SSH"}


def _as_request(call: calls.Call, boundaries: dict[str, str]) -> Request:
    """The IAM request a boto3 call is authorised as: action, resource, condition keys."""
    p = call.params
    action = "iam:" + "".join(w.capitalize() for w in call.operation.split("_"))
    for wrong, right in _RENAMED.items():
        action = action.replace(wrong, right)
    if "PolicyArn" in p and not {"UserName", "GroupName", "RoleName"} & set(p):
        return Request(action, p["PolicyArn"])
    if call.operation == "create_policy":
        return Request(action, f"{A}:policy{p['Path']}{p['PolicyName']}")
    if call.operation == "delete_virtual_mfa_device":
        return Request(action, p["SerialNumber"])
    if "InstanceProfileName" in p:
        return Request(action, f"{A}:instance-profile/iamsync/{p['InstanceProfileName']}")
    if "GroupName" in p:
        return Request(action, f"{A}:group/iamsync/{p['GroupName']}")
    noun, name = ("role", p["RoleName"]) if "RoleName" in p else ("user", p["UserName"])
    key = f"{noun} {name}"
    if "PermissionsBoundary" in p:  # Create*, Put*PermissionsBoundary: the new one
        boundaries[key] = p["PermissionsBoundary"]
    context = {"iam:PermissionsBoundary": boundaries[key]} if key in boundaries else {}
    return Request(action, f"{A}:{noun}/iamsync/{name}", context)


def test_the_apply_role_may_make_every_call_the_loop_makes() -> None:
    # What live IAM has; the calls set the rest as they go.
    boundaries = {
        "user ci": BOUNDARY,
        "user mover": BOUNDARY,
        "role worker": BOUNDARY,
        "role retired": BOUNDARY,
    }
    for call in _every_call_the_loop_makes():
        request = _as_request(call, boundaries)
        assert allowed(APPLY, request), f"{call.describe()} as {request}"
        # A rename is authorised on the old name and on the new one.
        new_name = call.params.get("NewUserName") or call.params.get("NewGroupName")
        if new_name:
            noun = "user" if "NewUserName" in call.params else "group"
            target = Request(request.action, f"{A}:{noun}/iamsync/{new_name}")
            assert allowed(APPLY, target), f"{call.describe()} as {target}"
            if f"user {call.params.get('UserName')}" in boundaries:
                boundaries[f"user {new_name}"] = boundaries[f"user {call.params['UserName']}"]


def test_the_apply_role_cannot_rename_a_user_out_of_its_path() -> None:
    request = req("iam:UpdateUser", f"{A}:user/elsewhere/ci")
    assert allowed(APPLY, req("iam:UpdateUser", f"{A}:user/iamsync/ci"))
    assert not allowed(APPLY, request)


# -- the boundary ---------------------------------------------------------------------------

ROLE = f"{A}:role/bounded/FargateServiceStack-TaskRole"  # task roles live under /bounded/
WITH_BOUNDARY = {"iam__PermissionsBoundary": BOUNDARY}

BOUNDED_ADMIN_DENIED = {
    "edit a policy": req("iam:CreatePolicyVersion", f"{A}:policy/iamsync/cdk-deploy"),
    "create a policy": req("iam:CreatePolicy", f"{A}:policy/mine"),
    "attach a policy to a user": req("iam:AttachUserPolicy", f"{A}:user/iamsync/ci"),
    "put an inline policy on a user": req("iam:PutUserPolicy", f"{A}:user/human"),
    "attach a policy to a group": req("iam:AttachGroupPolicy", f"{A}:group/Admins"),
    "join an administrators group": req("iam:AddUserToGroup", f"{A}:group/Admins"),
    "create an access key for someone": req("iam:CreateAccessKey", f"{A}:user/human"),
    "create a console password": req("iam:CreateLoginProfile", f"{A}:user/human"),
    "remove its own boundary": req("iam:DeleteUserPermissionsBoundary", f"{A}:user/iamsync/ci"),
    "create a role without the boundary": req("iam:CreateRole", ROLE),
    "create a role with another boundary": req(
        "iam:CreateRole", ROLE, iam__PermissionsBoundary=ADMIN
    ),
    "attach a policy to an unbounded role": req("iam:AttachRolePolicy", f"{A}:role/admin"),
    "trust itself in an unbounded role": req("iam:UpdateAssumeRolePolicy", f"{A}:role/admin"),
    "swap a role's boundary": req(
        "iam:PutRolePermissionsBoundary", ROLE, iam__PermissionsBoundary=ADMIN
    ),
    "create a user without the boundary": req("iam:CreateUser", f"{A}:user/x"),
    "leave the organization": req("organizations:LeaveOrganization", "*"),
    "change the account": req("account:PutAlternateContact", "*"),
    "add an identity provider": req("iam:CreateOpenIDConnectProvider", "*"),
    "assume iamsync's apply role": req("sts:AssumeRole", f"{A}:role/iamsync-apply"),
    "pass iamsync's apply role": req(
        "iam:PassRole", f"{A}:role/iamsync-apply", iam__PassedToService="ec2.amazonaws.com"
    ),
    "edit the boundary": req("iam:CreatePolicyVersion", BOUNDARY),
    "delete the bootstrap stack": req(
        "cloudformation:DeleteStack",
        f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/iamsync-roles/abc",
    ),
}

BOUNDED_ADMIN_ALLOWED = {
    "deploy a stack": req(
        "cloudformation:ExecuteChangeSet",
        f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/FargateServiceStack/abc",
    ),
    "push an image": req("ecr:PutImage", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/app"),
    "stage assets": req("s3:PutObject", "arn:aws:s3:::cdktoolkit-stagingbucket-abc/asset.zip"),
    "roll out the service": req("ecs:UpdateService", "*"),
    "create a task role with the boundary": req("iam:CreateRole", ROLE, **WITH_BOUNDARY),
    "give a bounded role a policy": req("iam:PutRolePolicy", ROLE, **WITH_BOUNDARY),
    "pass a role to ECS tasks": req(
        "iam:PassRole", ROLE, iam__PassedToService="ecs-tasks.amazonaws.com"
    ),
    "create ECS's service-linked role": req("iam:CreateServiceLinkedRole", "*"),
    "read IAM": req("iam:GetRole", ROLE),
}


@pytest.mark.parametrize("request_", BOUNDED_ADMIN_DENIED.values(), ids=BOUNDED_ADMIN_DENIED.keys())
def test_the_boundary_caps_even_an_administrator(request_: Request) -> None:
    assert not allowed([ADMIN_DOC], request_, BOUNDARY_DOC)


@pytest.mark.parametrize(
    "request_", BOUNDED_ADMIN_ALLOWED.values(), ids=BOUNDED_ADMIN_ALLOWED.keys()
)
def test_the_boundary_leaves_service_work_to_the_identity_policy(request_: Request) -> None:
    assert allowed([ADMIN_DOC], request_, BOUNDARY_DOC)
    assert not allowed([], request_, BOUNDARY_DOC)  # a ceiling grants nothing by itself


# -- the seed's deploy user, under the boundary ---------------------------------------------


def _seed_policy(name: str) -> Any:
    text = (REPO_ROOT / "policies" / f"{name}.json").read_text()
    for var, value in {
        "Partition": "aws",
        "AccountId": ACCOUNT,
        "Region": "eu-west-1",
        "StackName": "FargateServiceStack",
        "ClusterName": "FargateServiceStack-Cluster",
        "ServiceName": "FargateServiceStack-Service",
        "RepositoryName": "fargate-service",
    }.items():
        text = text.replace("{{" + var + "}}", value)
    return json.loads(text)


DEPLOYER = [_seed_policy("cdk-deploy")]


@pytest.mark.parametrize(
    "request_, expected",
    [
        (req("iam:CreateRole", ROLE, **WITH_BOUNDARY), True),
        (req("iam:CreateRole", ROLE), False),  # the seed's old escalation: an unbounded role
        (req("iam:AttachRolePolicy", ROLE), False),
        (req("iam:AttachRolePolicy", ROLE, **WITH_BOUNDARY), True),  # capped by the boundary
        (req("iam:PassRole", ROLE, iam__PassedToService="ecs-tasks.amazonaws.com"), True),
        (req("iam:PassRole", ROLE, iam__PassedToService="lambda.amazonaws.com"), False),
        (req("iam:CreateRole", f"{A}:role/other", **WITH_BOUNDARY), False),
        (  # a task role outside /bounded/ cannot be passed, even one the user could name
            req(
                "iam:PassRole",
                f"{A}:role/FargateServiceStack-TaskRole",
                iam__PassedToService="ecs-tasks.amazonaws.com",
            ),
            False,
        ),
    ],
)
def test_the_deploy_user_makes_task_roles_only_under_the_boundary(
    request_: Request, expected: bool
) -> None:
    assert allowed(DEPLOYER, request_, BOUNDARY_DOC) is expected


def test_the_apply_role_reads_only_its_own_instance_profiles() -> None:
    # apply reads a profile that already exists to tell an interrupted apply's from another's
    assert allowed(APPLY, req("iam:GetInstanceProfile", f"{A}:instance-profile/iamsync/app"))
    assert not allowed(APPLY, req("iam:GetInstanceProfile", f"{A}:instance-profile/app"))
    assert not allowed(APPLY, req("iam:AddRoleToInstanceProfile", f"{A}:instance-profile/app"))


# -- the boundary contains a bounded principal: what it can reach is bounded too ------------

BOUNDED_ROLE = f"{A}:role/bounded/FargateServiceStack-TaskRole"
UNBOUNDED_ADMIN_ROLE = f"{A}:role/Admin"

BOUNDED_ADMIN_CANNOT_ESCAPE = {
    "assume an unbounded role": req("sts:AssumeRole", UNBOUNDED_ADMIN_ROLE),
    "assume a role in another account": req(
        "sts:AssumeRole", "arn:aws:iam::999999999999:role/bounded/x"
    ),
    "pass an unbounded admin role to EC2": req(
        "iam:PassRole", UNBOUNDED_ADMIN_ROLE, iam__PassedToService="ec2.amazonaws.com"
    ),
    "pass an unbounded admin role to Lambda": req(
        "iam:PassRole", UNBOUNDED_ADMIN_ROLE, iam__PassedToService="lambda.amazonaws.com"
    ),
    "pass a role with a path of its own": req(
        "iam:PassRole", f"{A}:role/ops/Admin", iam__PassedToService="ec2.amazonaws.com"
    ),
    "move any user under iamsync's path": req("iam:UpdateUser", f"{A}:user/alice"),
    "rename a managed user": req("iam:UpdateUser", f"{A}:user/iamsync/ci"),
    "move a group under iamsync's path": req("iam:UpdateGroup", f"{A}:group/Admins"),
    "tag an unbounded role": req("iam:TagRole", UNBOUNDED_ADMIN_ROLE),
    "untag an unbounded role": req("iam:UntagRole", UNBOUNDED_ADMIN_ROLE),
    "tag a user": req("iam:TagUser", f"{A}:user/alice"),
    "trust itself in iamsync's apply role": req(
        "iam:UpdateAssumeRolePolicy", f"{A}:role/iamsync-apply"
    ),
    "trust itself in iamsync's plan role": req(
        "iam:UpdateAssumeRolePolicy", f"{A}:role/iamsync-plan", **WITH_BOUNDARY
    ),
    "mark a role as iamsync's": req("iam:TagRole", BOUNDED_ROLE, aws__TagKeys=["managed-by"]),
    "create a role marked as iamsync's": req(
        "iam:CreateRole",
        f"{A}:role/iamsync/fake",
        aws__TagKeys=["iamsync-commit"],
        **WITH_BOUNDARY,
    ),
    "create a user marked as iamsync's": req(
        "iam:CreateUser", f"{A}:user/iamsync/fake", aws__TagKeys=["managed-by"], **WITH_BOUNDARY
    ),
}

BOUNDED_DEPLOY_STILL_WORKS = {
    "create a task role under /bounded/ with the boundary": req(
        "iam:CreateRole", BOUNDED_ROLE, **WITH_BOUNDARY
    ),
    "tag its task role": req("iam:TagRole", BOUNDED_ROLE, aws__TagKeys=["aws-cdk:path"]),
    "give its task role a policy": req("iam:PutRolePolicy", BOUNDED_ROLE, **WITH_BOUNDARY),
    "pass its task role to ECS tasks": req(
        "iam:PassRole", BOUNDED_ROLE, iam__PassedToService="ecs-tasks.amazonaws.com"
    ),
    "pass a role iamsync made to ECS tasks": req(
        "iam:PassRole", f"{A}:role/iamsync/app", iam__PassedToService="ecs-tasks.amazonaws.com"
    ),
    "assume a role iamsync made": req("sts:AssumeRole", f"{A}:role/iamsync/app"),
    "deploy a stack": req(
        "cloudformation:ExecuteChangeSet",
        f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/FargateServiceStack/abc",
    ),
}


@pytest.mark.parametrize(
    "request_", BOUNDED_ADMIN_CANNOT_ESCAPE.values(), ids=BOUNDED_ADMIN_CANNOT_ESCAPE.keys()
)
def test_a_bounded_administrator_cannot_reach_beyond_the_boundary(request_: Request) -> None:
    assert not allowed([ADMIN_DOC], request_, BOUNDARY_DOC)


@pytest.mark.parametrize(
    "request_", BOUNDED_DEPLOY_STILL_WORKS.values(), ids=BOUNDED_DEPLOY_STILL_WORKS.keys()
)
def test_bounded_deploy_work_still_passes_the_boundary(request_: Request) -> None:
    assert allowed([ADMIN_DOC], request_, BOUNDARY_DOC)


BOUNDED_ADMIN_CANNOT_HARM = {
    "mark a role as iamsync's, in another case": req(
        "iam:TagRole", BOUNDED_ROLE, aws__TagKeys=["Managed-By"]
    ),
    "create a user marked as iamsync's, in another case": req(
        "iam:CreateUser", f"{A}:user/iamsync/fake", aws__TagKeys=["MANAGED-BY"], **WITH_BOUNDARY
    ),
    "make an Identity Center permission set": req("sso:CreatePermissionSet", "*"),
    "give it AdministratorAccess": req("sso:AttachManagedPolicyToPermissionSet", "*"),
    "assign it to an account": req("sso:CreateAccountAssignment", "*"),
    "make an identity-store user": req("identitystore:CreateUser", "*"),
    "change a role iamsync manages": req(
        "iam:UpdateAssumeRolePolicy", f"{A}:role/iamsync/cdk-deployer-github", **WITH_BOUNDARY
    ),
    "attach a policy to a role iamsync manages": req(
        "iam:AttachRolePolicy", f"{A}:role/iamsync/cdk-deployer-github", **WITH_BOUNDARY
    ),
    "delete a role iamsync manages": req(
        "iam:DeleteRole", f"{A}:role/iamsync/cdk-deployer-github", **WITH_BOUNDARY
    ),
    "delete an unbounded role": req("iam:DeleteRole", UNBOUNDED_ADMIN_ROLE),
    "delete the GitHub OIDC provider": req(
        "iam:DeleteOpenIDConnectProvider",
        f"{A}:oidc-provider/token.actions.githubusercontent.com",
    ),
    "delete a SAML provider": req("iam:DeleteSAMLProvider", f"{A}:saml-provider/corp"),
    "delete another user's access key": req("iam:DeleteAccessKey", f"{A}:user/alice"),
    "delete another user's password": req("iam:DeleteLoginProfile", f"{A}:user/alice"),
    "deactivate another user's MFA": req("iam:DeactivateMFADevice", f"{A}:user/alice"),
    "cap an unbounded role with the boundary": req(
        "iam:PutRolePermissionsBoundary", UNBOUNDED_ADMIN_ROLE, **WITH_BOUNDARY
    ),
    "empty an instance profile": req(
        "iam:RemoveRoleFromInstanceProfile", f"{A}:instance-profile/app"
    ),
    "make a group under iamsync's path": req("iam:CreateGroup", f"{A}:group/iamsync/x"),
}


@pytest.mark.parametrize(
    "request_", BOUNDED_ADMIN_CANNOT_HARM.values(), ids=BOUNDED_ADMIN_CANNOT_HARM.keys()
)
def test_a_bounded_administrator_cannot_harm_what_iamsync_and_others_rely_on(
    request_: Request,
) -> None:
    assert not allowed([ADMIN_DOC], request_, BOUNDARY_DOC)
