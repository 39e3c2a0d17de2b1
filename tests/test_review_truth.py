"""The access review never says "safe" when it is not: on a moto server, from the seed.

Each case is what a reviewer most needs to see: a grant widened to every resource, a
principal iamsync does not own that a change reaches, a dangerous grant next to a big
read-only policy, a Deny or a condition that may never hold, resource patterns spelled
`?*`, launching with any role under the shipped boundary. Each has its negative: what
really closes a path keeps it closed.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import GitRepo, MotoServer
from tests.test_loop import ACCOUNT
from tests.test_review_loop import _applied_seed, _set_ecr_push

ECR_REPO = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/fargate-service"
PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
    "ecr:BatchDeleteImage",
]


def _plan_json(repo: GitRepo, *args: str) -> dict[str, Any]:
    result = repo.run("--plan", "--format", "json", *args)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _access_of(data: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    (found,) = [
        a
        for a in data["access"]
        if (a["principal"]["type"], a["principal"]["name"]) == (kind, name)
    ]
    return found


def _new(data: dict[str, Any], name: str) -> dict[str, str]:
    return {
        f["code"]: f["message"]
        for f in data["findings"]
        if f["new"] and f["principal"]["name"] == name
    }


def _policy(repo: GitRepo, name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {f"policies/{name}.json": {"Version": "2012-10-17", "Statement": list(statements)}}


def _with_policy(repo: GitRepo, name: str) -> dict[str, Any]:
    """The seed user holding one more policy (all it held, kept)."""
    user: dict[str, Any] = json.loads((repo.root / "users" / "cdk-deployer.json").read_text())
    if name not in user["policies"]:
        user["policies"].append(name)
    return user


# -- 1. resources are visible --------------------------------------------------------------


def test_widening_ecr_push_to_every_repository_is_widened_not_no_change(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    doc = json.loads((repo.root / "policies" / "ecr-push.json").read_text())
    keep = [s for s in doc["Statement"] if s["Sid"] == "GetAuthorizationToken"]
    _set_ecr_push(repo, keep[0])  # first narrow it to the token only, then widen: both ways
    repo.run("--apply")
    repo_wide = {"Effect": "Allow", "Action": PUSH, "Resource": ECR_REPO}
    _set_ecr_push(repo, repo_wide)
    doc = json.loads((repo.root / "policies" / "ecr-push.json").read_text())
    doc["Statement"].append(keep[0])
    repo.write({"policies/ecr-push.json": doc}).commit("push to the one repository")
    assert repo.run("--apply").code == 0

    doc["Statement"][0]["Resource"] = "*"
    repo.write({"policies/ecr-push.json": doc}).commit("push and delete everywhere")
    data = _plan_json(repo)
    user = _access_of(data, "user", "cdk-deployer")
    assert user["principal"]["owned"] is True
    assert user["gained"] == [] and user["lost"] == []
    assert {w["action"] for w in user["widened"]} == set(PUSH)
    put = next(w for w in user["widened"] if w["action"] == "ecr:PutImage")
    assert put["before"] == [ECR_REPO] and put["after"] == ["*"]
    text = repo.run("--plan")
    assert "no effective change" not in text.out
    assert (
        "6 actions of ecr now on every resource (*) "
        f"(was {ECR_REPO}): ecr:BatchCheckLayerAvailability" in text.out
    )
    md = repo.run("--plan", "--format", "markdown").out
    assert "`user cdk-deployer 6 actions of ecr now on more resources`" in md
    assert "no effective change" not in md

    # And back: narrowed, not widened, no alarm.
    assert repo.run("--apply").code == 0
    doc["Statement"][0]["Resource"] = ECR_REPO
    repo.write({"policies/ecr-push.json": doc}).commit("back to the one repository")
    back = _access_of(_plan_json(repo), "user", "cdk-deployer")
    assert back["widened"] == [] and {w["action"] for w in back["narrowed"]} == set(PUSH)
    assert next(w for w in back["narrowed"] if w["action"] == "ecr:PutImage")["after"] == [ECR_REPO]


def test_widening_passrole_to_every_role_is_not_already_granted_by_an_aws_policy(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    path = repo.root / "policies" / "cdk-deploy.json"
    doc = json.loads(path.read_text())
    (passing,) = [s for s in doc["Statement"] if s["Action"] == "iam:PassRole"]
    passing["Resource"] = "*"
    repo.write({"policies/cdk-deploy.json": doc}).commit("pass any role")
    data = _plan_json(repo)
    user = _access_of(data, "user", "cdk-deployer")
    (widened,) = [w for w in user["widened"] if w["action"] == "iam:PassRole"]
    assert widened["after"][0].startswith("* if ")  # the service condition is carried
    assert "iam:PassedToService" in widened["after"][0]
    assert not [n for n in data["access_notes"] if "AWSCloudFormationReadOnlyAccess" in n]
    assert not [n for n in data["access_notes"] if "cdk-deployer" in n]


def test_a_change_another_policy_really_covers_names_it(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    repo.write(
        _policy(
            repo,
            "describe",
            {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"},
        )
    )
    repo.write({"users/cdk-deployer.json": _with_policy(repo, "describe")}).commit("redundant")
    data = _plan_json(repo)
    assert not [a for a in data["access"] if a["principal"]["name"] == "cdk-deployer"]
    assert (
        "no effective change for user cdk-deployer: already granted by policy "
        "AWSCloudFormationReadOnlyAccess" in data["access_notes"]
    )


# -- 2. principals iamsync does not own ---------------------------------------------------


def test_a_user_iamsync_does_not_own_that_holds_a_changed_policy_is_reviewed(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    iam.create_user(UserName="alice", Path="/")  # made in the console
    iam.attach_user_policy(
        UserName="alice", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/iamsync/ecr-push"
    )
    doc = json.loads((repo.root / "policies" / "ecr-push.json").read_text())
    doc["Statement"].append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    repo.write({"policies/ecr-push.json": doc}).commit("oops")
    data = _plan_json(repo)
    alice = _access_of(data, "user", "alice")
    assert alice["principal"]["owned"] is False
    assert len(alice["gained"]) > 20_000
    assert "ADMIN_EQUIVALENT" in _new(data, "alice")
    assert repo.run("--plan", "--fail-on", "low").code == 1
    text = repo.run("--plan").out
    assert "NEW high ADMIN_EQUIVALENT user alice (not managed by iamsync)" in text
    # A user iamsync does not own and the change does not reach is not reviewed.
    iam.create_user(UserName="bystander", Path="/")
    assert not [a for a in _plan_json(repo)["access"] if a["principal"]["name"] == "bystander"]


def test_a_member_iamsync_does_not_own_of_a_managed_group_is_reviewed(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    repo.write({"groups/deployers.json": {"policies": []}}).commit("a group")
    assert repo.run("--apply").code == 0
    iam.create_user(UserName="bob", Path="/")
    iam.add_user_to_group(GroupName="deployers", UserName="bob")  # added in the console
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    repo.write({"groups/deployers.json": {"policies": [admin]}}).commit("admins")
    data = _plan_json(repo)
    bob = _access_of(data, "user", "bob")
    assert bob["principal"] == {"type": "user", "name": "bob", "owned": False}
    assert "iam:CreateUser" in bob["gained"]
    assert "ADMIN_EQUIVALENT" in _new(data, "bob")
    assert repo.run("--plan", "--fail-on", "low").code == 1


# -- 3. findings do not disappear -----------------------------------------------------------


def _add_policy(repo: GitRepo, *statements: dict[str, Any]) -> dict[str, Any]:
    repo.write(_policy(repo, "extra", *statements))
    repo.write({"users/cdk-deployer.json": _with_policy(repo, "extra")}).commit("extra")
    return _plan_json(repo)


def _without_boundary(repo: GitRepo) -> None:
    config = json.loads((repo.root / "iamsync.json").read_text())
    del config["permissions_boundary"]
    repo.write({"iamsync.json": config}).commit("no boundary")


def test_read_only_access_next_to_a_dangerous_grant_keeps_its_finding(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    user = _with_policy(repo, "extra")
    user["policies"].append("arn:aws:iam::aws:policy/ReadOnlyAccess")
    repo.write(
        _policy(
            repo, "extra", {"Effect": "Allow", "Action": "lambda:AddPermission", "Resource": "*"}
        )
    )
    repo.write({"users/cdk-deployer.json": user}).commit("read-only and one grant")
    found = _new(_plan_json(repo), "cdk-deployer")
    assert "lambda:AddPermission" in found["RESOURCE_EXPOSURE"]


def test_a_deny_that_may_never_hold_does_not_remove_a_finding(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _without_boundary(repo)
    found = _new(
        _add_policy(
            repo,
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": "someone-else"}},
            },
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.7/32"}},
            },
        ),
        "cdk-deployer",
    )
    assert "ADMIN_EQUIVALENT" in found and "IAM_PRIVILEGE_ESCALATION" in found
    assert "a Deny applies if" in found["ADMIN_EQUIVALENT"]  # lower confidence, said


def test_an_unconditional_deny_still_closes_the_path(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _without_boundary(repo)
    found = _new(
        _add_policy(
            repo,
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        ),
        "cdk-deployer",
    )
    assert "ADMIN_EQUIVALENT" not in found and "IAM_PRIVILEGE_ESCALATION" not in found


def test_an_always_true_condition_does_not_suppress_escalation(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _without_boundary(repo)
    found = _new(
        _add_policy(
            repo,
            {
                "Effect": "Allow",
                "Action": ["iam:CreatePolicyVersion", "iam:AttachUserPolicy"],
                "Resource": "*",
                "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}},
            },
        ),
        "cdk-deployer",
    )
    assert "only if DateGreaterThan aws:tokenissuetime" in found["IAM_PRIVILEGE_ESCALATION"]


def test_resource_patterns_spelled_question_star_are_every_resource(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _without_boundary(repo)
    found = _new(
        _add_policy(
            repo,
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:*:key/?*"},
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:*:*:secret:?*",
            },
            {
                "Effect": "Allow",
                "Action": "iam:CreateAccessKey",
                "Resource": "arn:aws:iam::*:user/?*",
            },
        ),
        "cdk-deployer",
    )
    assert "kms:Decrypt" in found["CREDENTIAL_EXPOSURE"]
    assert "secretsmanager:GetSecretValue" in found["CREDENTIAL_EXPOSURE"]
    assert "iam:CreateAccessKey" in found["IAM_PRIVILEGE_ESCALATION"]


def test_launching_with_any_role_under_the_shipped_boundary_is_found(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)  # iamsync.json requires iamsync-boundary
    found = _new(
        _add_policy(
            repo,
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:RunInstances",
                    "lambda:CreateFunction",
                    "iam:PassRole",
                    "sts:AssumeRole",
                ],
                "Resource": "*",
            },
        ),
        "cdk-deployer",
    )
    assert "lambda:CreateFunction" in found["PASSROLE_TO_LAUNCHER"]
    assert "ec2:RunInstances" in found["PASSROLE_TO_LAUNCHER"]
    assert "not capped by its permissions boundary" in found["ASSUME_ANY_ROLE"]


def test_passing_only_the_stack_roles_to_ecs_stays_closed(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """The seed's own PassRole (named roles, one service) and role writes (only with the
    boundary) raise no new finding when another policy is added next to them."""
    repo = _applied_seed(git_repo, iam)
    found = _new(
        _add_policy(repo, {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}),
        "cdk-deployer",
    )
    assert found == {}


def test_each_escalation_class_reaches_the_plan_and_fails_it(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """One plan per class, through the command line: taking over running compute, a trust
    write, a policy write on itself, assuming roles outside the boundary."""
    repo = _applied_seed(git_repo, iam)
    me = f"arn:aws:iam::{ACCOUNT}:user/iamsync/cdk-deployer"
    classes = {
        "COMPUTE_TAKEOVER": {
            "Effect": "Allow",
            "Action": "lambda:UpdateFunctionCode",
            "Resource": "*",
        },
        "ASSUME_ANY_ROLE": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    }
    for code, statement in classes.items():
        found = _new(_add_policy(repo, statement), "cdk-deployer")
        assert code in found, (code, found)
        assert repo.run("--plan", "--fail-on", "medium").code == 1
    on_itself = {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": me}
    bounded = _new(_add_policy(repo, on_itself), "cdk-deployer")
    assert "IAM_PRIVILEGE_ESCALATION" not in bounded  # the boundary denies it outright
    trust = {"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"}
    assert "IAM_PRIVILEGE_ESCALATION" not in _new(_add_policy(repo, trust), "cdk-deployer")
    _without_boundary(repo)  # the boundary allowed trust writes only on roles it bounds
    assert "IAM_PRIVILEGE_ESCALATION" in _new(_add_policy(repo, trust), "cdk-deployer")
    itself = _new(_add_policy(repo, on_itself), "cdk-deployer")
    message = itself["IAM_PRIVILEGE_ESCALATION"]
    assert "may iam:PutUserPolicy on itself (user cdk-deployer)" in message
